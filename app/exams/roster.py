"""Candidate rosters (考生名单) as Excel or CSV files: the template staff fill in, and
reading a filled one back. Pure: bytes in, rows and problems out.

Columns are found by their header in row 1, so staff may reorder columns or add their
own; 姓名 and 身份证号 are required, 联系电话 and 工作单位 optional."""

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.core.errors import ValidationFailed
from app.core.text import name_problem
from app.core.xlsx import append_row, check_archive
from app.reference.identifiers import normalise_resident_id, resident_id_problem

# (field, header, required, max length)
COLUMNS: tuple[tuple[str, str, bool, int], ...] = (
    ("name", "姓名", True, 50),
    ("id_number", "身份证号", True, 18),
    ("phone", "联系电话", False, 20),
    ("employer", "工作单位", False, 200),
)
HEADER_ALIASES = {"身份证号码": "身份证号", "公民身份号码": "身份证号", "电话": "联系电话"}
MAX_ROWS = 2000
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class RosterFileRow:
    row: int  # the Excel row number (the header is row 1)
    name: str
    id_number: str  # normalised: trimmed, upper-case X
    phone: str = ""
    employer: str = ""
    id_stored_as_number: bool = False


def _header_key(value: Any) -> str:
    text = re.sub(r"[（(].*?[)）]|\s|\*", "", str(value or ""))
    return HEADER_ALIASES.get(text, text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _place(row: int, header: str) -> str:
    return f"第 {row} 行「{header}」"


def _problem(row: int, header: str, problem: str) -> dict[str, Any]:
    return {"row": row, "column": header, "place": _place(row, header), "problem": problem}


# An .xls (Excel 97–2003) workbook is an OLE compound file; an .xlsx is a zip archive.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK"
# "1.10105E+17": an ID number a spreadsheet turned into a number before saving as CSV.
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def _unreadable(problem: str) -> ValidationFailed:
    return ValidationFailed(
        f"无法读取名单文件：{problem}。请下载名单模板，填写后以 .xlsx 或 .csv 格式上传",
        code="roster_unreadable",
        details=[{"field": "file", "problem": problem}],
    )


def _xlsx_table(content: bytes) -> list[tuple[Any, ...]]:
    check_archive(content, what="名单文件")
    try:
        wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _unreadable("文件已损坏，或不是 Excel 工作簿") from exc
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS + 100))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _unreadable("文件已损坏，或不是 Excel 工作簿") from exc
    finally:
        wb.close()


def _csv_table(content: bytes) -> list[tuple[Any, ...]]:
    """A CSV as Excel saves it: UTF-8 (with or without its BOM), or, as Excel does on a
    Chinese Windows, GB18030 (a superset of GBK and GB2312)."""
    if b"\x00" in content:
        raise _unreadable("文件已损坏，或不是 Excel 工作簿（.xlsx）或 CSV 文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly any byte string
        raise _unreadable("文件的文字编码无法识别（应为 UTF-8 或 GBK）")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [tuple(r) for r in csv.reader(io.StringIO(text), dialect)]


def read_roster(content: bytes) -> list[RosterFileRow]:
    """The candidates in the first sheet of an .xlsx workbook or in a .csv file (told
    apart by their content, not their name), skipping blank rows. Raises ValidationFailed,
    with a sentence a centre admin can act on, when the file is an old .xls workbook, is
    neither, is broken, or lacks a required column."""
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f"名单文件不能超过 {MAX_BYTES // 1_000_000} MB", code="roster_too_large"
        )
    if not content.strip():
        raise _unreadable("文件是空的")
    if content.startswith(_OLE_SIGNATURE):
        raise ValidationFailed(
            "这是旧版 Excel 文件（.xls），无法直接读取：请在 Excel 中打开它，"
            "“另存为”Excel 工作簿（.xlsx）或 CSV 后重新上传",
            code="roster_xls",
            details=[{"field": "file", "problem": "旧版 .xls 格式：请另存为 .xlsx 或 .csv"}],
        )
    is_xlsx = content.startswith(_ZIP_SIGNATURE)
    table = _xlsx_table(content) if is_xlsx else _csv_table(content)
    header = table[0] if table else ()
    index: dict[str, int] = {}
    for pos, value in enumerate(header):
        index.setdefault(_header_key(value), pos)
    missing = [h for _, h, required, _ in COLUMNS if required and h not in index]
    if missing:
        raise ValidationFailed(
            "名单表头不完整：第 1 行须是表头，列名见模板",
            code="roster_header_missing",
            details=[
                {"row": 1, "column": h, "place": "第 1 行（表头）", "problem": f"缺少“{h}”列"}
                for h in missing
            ],
        )
    found: list[RosterFileRow] = []
    for number, values in enumerate(table[1:], start=2):
        cells = {
            field: values[index[h]] if h in index and index[h] < len(values) else None
            for field, h, _, _ in COLUMNS
        }
        texts = {field: _cell_text(v) for field, v in cells.items()}
        if not any(texts.values()):
            continue
        if len(found) >= MAX_ROWS:
            raise ValidationFailed(
                f"一份名单最多 {MAX_ROWS} 名考生，请分批导入", code="roster_too_long"
            )
        raw_id = cells["id_number"]
        found.append(
            RosterFileRow(
                row=number,
                name=texts["name"],
                id_number=normalise_resident_id(texts["id_number"]),
                phone=texts["phone"],
                employer=texts["employer"],
                id_stored_as_number=isinstance(raw_id, int | float)
                or _SCIENTIFIC.fullmatch(texts["id_number"]) is not None,
            )
        )
    return found


def name_mismatch(known_name: str, given_name: str) -> str | None:
    """The same ID number must be the same person: a different name is a typo to fix, not
    a second candidate."""
    if known_name != given_name:
        return f"该身份证号已登记为考生「{known_name}」，与填写的姓名「{given_name}」不一致"
    return None


def roster_problems(
    rows: list[RosterFileRow],
    *,
    known_names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Every problem of every row. `known_names`: the centre's candidates by ID number."""
    problems: list[dict[str, Any]] = []
    if not rows:
        problems.append({"row": 2, "column": "", "place": "名单", "problem": "名单中没有考生"})
    headers = {field: h for field, h, _, _ in COLUMNS}
    limits = {field: n for field, _, _, n in COLUMNS}
    first_row: dict[str, int] = {}
    for r in rows:
        if problem := name_problem(r.name, max_length=limits["name"]):
            problems.append(_problem(r.row, "姓名", problem))
        for field in ("phone", "employer"):
            value = getattr(r, field)
            if len(value) > limits[field]:
                problems.append(_problem(r.row, headers[field], f"不能超过 {limits[field]} 个字符"))
        if not r.id_number:
            problems.append(_problem(r.row, "身份证号", "身份证号不能为空"))
            continue
        if problem := resident_id_problem(r.id_number):
            if r.id_stored_as_number:
                problem += (
                    "（该单元格被 Excel 存成了数字，末几位可能已丢失：请把该列设为文本后重新填写）"
                )
            problems.append(_problem(r.row, "身份证号", problem))
            continue
        if r.id_number in first_row:
            problems.append(
                _problem(r.row, "身份证号", f"与第 {first_row[r.id_number]} 行的身份证号重复")
            )
            continue
        first_row[r.id_number] = r.row
        # Rows already registered are skipped (skipped_rows), but still the same person.
        if r.name and (problem := name_mismatch(known_names.get(r.id_number, r.name), r.name)):
            problems.append(_problem(r.row, "姓名", problem))
    return problems


@dataclass(frozen=True)
class SkippedRow:
    row: int
    name: str
    ticket_number: str
    why: str

    @property
    def place(self) -> str:
        return f"第 {self.row} 行"


def skipped_rows(
    rows: list[RosterFileRow],
    *,
    registered: Mapping[str, str],
    withdrawn: Mapping[str, str] | None = None,
) -> tuple[list[RosterFileRow], list[SkippedRow]]:
    """The rows to register, and those skipped: a candidate already in this session (a
    list uploaded again, or extended) keeps their seat and ticket; one withdrawn from it
    stays withdrawn (the old list must not undo a decision; add them one by one to bring
    them back). `registered` / `withdrawn`: ticket numbers by ID number."""
    gone = withdrawn or {}
    new: list[RosterFileRow] = []
    skipped: list[SkippedRow] = []
    for r in rows:
        if r.id_number in registered:
            ticket = registered[r.id_number]
            skipped.append(SkippedRow(r.row, r.name, ticket, f"已报名（准考证号 {ticket}）"))
        elif r.id_number in gone:
            ticket = gone[r.id_number]
            why = f"已撤销报名（原准考证号 {ticket}），如需恢复请单独添加"
            skipped.append(SkippedRow(r.row, r.name, ticket, why))
        else:
            new.append(r)
    return new, skipped


def template_xlsx() -> bytes:
    """The roster template: the header row, the ID column formatted as text (an 18-digit
    number typed into a number cell loses its last digits), and a sheet of instructions."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "考生名单"
    append_row(ws, [h for _, h, _, _ in COLUMNS])
    for letter, width in zip("ABCD", (12, 24, 16, 30), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2, max_row=MAX_ROWS + 1, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "@"
    notes = wb.create_sheet("填写说明")
    for line in (
        "第 1 行为表头，请勿修改列名；从第 2 行起每行一名考生。",
        "姓名、身份证号必填；联系电话、工作单位选填。",
        "身份证号为 18 位居民身份证号码，末位 X 大小写均可；请保持该列为文本格式。",
        "同一文件中身份证号不能重复；已在本考场报名的考生会被跳过（保留原座位和准考证号）。",
        "导入前会检查每一行：只要有一处问题，整份名单都不会导入，请按提示修改后重新上传。也可另存为 CSV（UTF-8 或 GBK 编码）上传；旧版 .xls 请先另存为 .xlsx。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
