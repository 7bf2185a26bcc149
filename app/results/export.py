"""A session's results as an Excel workbook (成绩单). Pure: results in, bytes out.
Only what the results page shows: no ID numbers."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.core.clock import to_china
from app.core.xlsx import append_row
from app.results.schemas import PlanResults, SessionResults

HEADERS = ("座位号", "姓名", "准考证号", "状态", "理论成绩", "是否合格", "交卷时间", "交卷方式")
WIDTHS = (8, 12, 16, 10, 10, 10, 18, 16)


def _passed_text(passed: bool | None) -> str:
    if passed is None:
        return ""
    return "合格" if passed else "不合格"


def session_results_xlsx(results: SessionResults) -> bytes:
    s = results.session
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "成绩单"
    append_row(ws, [f"{s.plan_name} {s.name}（{s.room}）成绩单"])
    ws["A1"].font = Font(bold=True, size=14)
    starts = to_china(s.starts_at)
    append_row(
        ws,
        [
            f"开考时间：{starts:%Y-%m-%d %H:%M}" if starts else "",
            "",
            f"合格线：{s.pass_mark:g} 分",
            "",
            f"报名 {s.registered} 人，交卷 {s.submitted} 人，合格 {s.passed} 人",
        ],
    )
    ws.append(list(HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r in results.rows:
        submitted = to_china(r.submitted_at)
        append_row(
            ws,
            [
                r.seat_number,
                r.candidate_name,
                r.ticket_number,  # text, so leading zeros survive
                r.status_name,
                r.score,
                _passed_text(r.passed),
                f"{submitted:%Y-%m-%d %H:%M:%S}" if submitted else "",
                r.submit_reason_name,
            ],
        )
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_filename(results: SessionResults) -> str:
    s = results.session
    return f"成绩单-{s.plan_name}-{s.name}.xlsx"


def plan_results_xlsx(results: PlanResults, session_label: str = "") -> bytes:
    """The plan's result records (成绩单 a centre files): every component, the composite
    where the scheme has one, the outcome with its reasons and the record's state."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "成绩单"
    append_row(ws, [f"{results.plan_name}{session_label} 成绩单（{results.level}）"])
    ws["A1"].font = Font(bold=True, size=14)
    names = [c.name for c in results.rows[0].components] if results.rows else []
    headers = ["准考证号", "姓名", *names]
    if results.composite_pass_mark is not None:
        headers.append("综合成绩")
    headers += ["评定结果", "原因", "状态"]
    append_row(ws, headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r in results.rows:
        row: list[object] = [r.ticket_number, r.candidate_name]
        row += [c.score if c.status == "scored" else c.status_name for c in r.components]
        if results.composite_pass_mark is not None:
            row.append(r.composite)
        row += [r.outcome_name, "；".join(r.reasons), r.state_name]
        append_row(ws, row)
    for i, width in enumerate([16, 12, *[12] * len(names), 10, 10, 40, 10], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
