"""Candidate rosters (考生名单) as Excel or CSV files: the template staff fill in, and
reading a filled one back. Pure: bytes in, rows and problems out.

Columns are found by their header in row 1, so staff may reorder columns or add their
own; 姓名 and 身份证号 are required, 联系电话 and 工作单位 optional, and a few optional
columns carry the common facts of the candidate's record (考生档案: 学历, 毕业时间,
从业年限, 已有证书, 就业状态, ...) that 申报条件 and subsidies read; the rest of the
record is entered on the candidate's page or through the API."""

import csv
import dataclasses
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from app.core.errors import ValidationFailed
from app.core.text import name_problem
from app.core.xlsx import append_row, check_archive
from app.exams.facts import EDUCATION_NAMES, EMPLOYMENT_NAMES, HolderFacts, PriorCertificate
from app.reference.identifiers import normalise_resident_id, resident_id_problem

# (field, header, required, max length)
COLUMNS: tuple[tuple[str, str, bool, int], ...] = (
    ("name", "姓名", True, 50),
    ("id_number", "身份证号", True, 18),
    ("phone", "联系电话", False, 20),
    ("employer", "工作单位", False, 200),
)
# The record's common facts: (field, header, kind). Blank cells say nothing; a row with
# none of them leaves a known candidate's record as it is.
FACT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("education", "学历", "education"),
    ("school_type_accredited", "专业经评估认可", "yes_no"),
    ("graduation_date", "毕业时间", "date"),
    ("final_year_student", "应届毕业生", "yes_no"),
    ("years_in_occupation", "从业年限", "years"),
    ("prior_level", "已有证书等级", "text"),
    ("prior_obtained_on", "证书取得时间", "date"),
    ("prior_number", "证书编号", "text"),
    ("employment", "就业状态", "employment"),
    ("employer_credit_code", "单位统一社会信用代码", "text"),
    ("work_region", "工作地区划", "text"),
    ("unemployment_insurance_months", "失业保险缴费月数", "months"),
)
FACT_HEADERS = {f: h for f, h, _ in FACT_COLUMNS}
HEADER_ALIASES = {
    "身份证号码": "身份证号",
    "公民身份号码": "身份证号",
    "电话": "联系电话",
    "工作年限": "从业年限",
    "本职业工作年限": "从业年限",
    "现有证书等级": "已有证书等级",
    "工作地行政区划": "工作地区划",
}
_CHOICES = {
    "education": {
        **{name: code.value for code, name in EDUCATION_NAMES.items()},
        "初中": "none",
        "高中": "high_school",
        "中职": "secondary_vocational",
        "中专": "secondary_vocational",
        "技校": "technical_school",
        "高职": "higher_vocational",
        "大专": "higher_vocational",
        "本科": "bachelor",
        "研究生": "bachelor",
    },
    "employment": {
        **{name: code.value for code, name in EMPLOYMENT_NAMES.items()},
        "学生": "student",
    },
}
_YES = {"是", "有", "Y", "YES", "TRUE", "1", "√"}
_NO = {"否", "无", "N", "NO", "FALSE", "0", "×"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?")
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
    # The record's columns as found (field → cell value), blank ones left out.
    fact_cells: dict[str, Any] = dataclasses.field(default_factory=dict)


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
        facts = {
            f: values[index[h]]
            for f, h, _ in FACT_COLUMNS
            if h in index and index[h] < len(values) and _cell_text(values[index[h]])
        }
        if not any(texts.values()) and not facts:
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
                fact_cells=facts,
            )
        )
    return found


def _fact_value(kind: str, value: Any) -> Any:
    """A cell as the record's value; ValueError with what to write instead."""
    text = _cell_text(value)
    if kind in _CHOICES:
        key = re.sub(r"\s", "", text)
        if key not in _CHOICES[kind]:
            names = EDUCATION_NAMES if kind == "education" else EMPLOYMENT_NAMES
            raise ValueError("应为 " + "、".join(names.values()) + " 之一")
        return _CHOICES[kind][key]
    if kind == "yes_no":
        if text.upper() in _YES:
            return True
        if text.upper() in _NO:
            return False
        raise ValueError("应填“是”或“否”")
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        m = _DATE.fullmatch(text)
        if not m:
            raise ValueError("应为日期，例如 2023-06 或 2023-06-30")
        try:
            return date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError:
            raise ValueError("不是有效的日期") from None
    if kind in ("years", "months"):
        number = text.removesuffix("年" if kind == "years" else "个月").removesuffix("月")
        try:
            n = float(number) if kind == "years" else int(number)
        except ValueError:
            raise ValueError("应为数字" if kind == "years" else "应为整数") from None
        if n < 0:
            raise ValueError("不能为负数")
        return n
    return text


def row_facts(
    r: RosterFileRow, base: Mapping[str, Any]
) -> tuple[HolderFacts | None, list[dict[str, Any]]]:
    """The row's record: `base` (the candidate's record as stored, {} when new) with what
    the row's columns say on top, and the problems, each with its column. None when the
    row has none of the record's columns."""
    if not r.fact_cells:
        return None, []
    problems: list[dict[str, Any]] = []
    given: dict[str, Any] = {}
    for f, h, kind in FACT_COLUMNS:
        if f in r.fact_cells:
            try:
                given[f] = _fact_value(kind, r.fact_cells[f])
            except ValueError as exc:
                problems.append(_problem(r.row, h, str(exc)))
    prior = {
        k: given.pop(k) for k in ("prior_level", "prior_obtained_on", "prior_number") if k in given
    }
    merged: dict[str, Any] = {**base, **given}
    if prior:
        if "prior_level" not in prior:
            problems.append(
                _problem(r.row, "已有证书等级", "填写了证书取得时间或编号，请同时填写证书等级")
            )
        else:
            try:
                cert = PriorCertificate(
                    level_code=prior["prior_level"],
                    number=prior.get("prior_number", ""),
                    obtained_on=prior.get("prior_obtained_on"),
                )
            except ValidationError as exc:
                problems.append(_problem(r.row, "已有证书等级", _pydantic_problem(exc)))
            else:
                held = [
                    PriorCertificate.model_validate(c) for c in base.get("prior_certificates", [])
                ]
                # The same certificate uploaded again is not a second one.
                if not any(
                    c.level_code == cert.level_code
                    and c.obtained_on == cert.obtained_on
                    and c.number == cert.number
                    for c in held
                ):
                    merged["prior_certificates"] = [
                        *(c.model_dump(mode="json", exclude_defaults=True) for c in held),
                        cert.model_dump(mode="json", exclude_defaults=True),
                    ]
    if problems:
        return None, problems
    try:
        return HolderFacts.model_validate(merged), []
    except ValidationError as exc:
        for err in exc.errors():
            f = str(err["loc"][0]) if err["loc"] else ""
            problems.append(
                _problem(
                    r.row, FACT_HEADERS.get(f, f), str(err["msg"]).removeprefix("Value error, ")
                )
            )
        return None, problems


def _pydantic_problem(exc: ValidationError) -> str:
    return "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


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
        problems.extend(row_facts(r, {})[1])
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
    headers = [h for _, h, _, _ in COLUMNS] + [h for _, h, _ in FACT_COLUMNS]
    append_row(ws, headers)
    for pos, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(pos)].width = max(12, 2 * len(header) + 4)
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["D"].width = 30
    # Text, not numbers: ID numbers, phones, certificate numbers, credit and region codes
    # (an 18-digit number typed into a number cell loses its last digits).
    text_columns = {"身份证号", "联系电话", "证书编号", "单位统一社会信用代码", "工作地区划"}
    for pos, header in enumerate(headers, start=1):
        if header in text_columns:
            for (cell,) in ws.iter_rows(min_row=2, max_row=MAX_ROWS + 1, min_col=pos, max_col=pos):
                cell.number_format = "@"
    notes = wb.create_sheet("填写说明")
    for line in (
        "第 1 行为表头，请勿修改列名；从第 2 行起每行一名考生。",
        "姓名、身份证号必填；联系电话、工作单位选填。",
        "其余各列为考生档案（申报条件和补贴依据），选填；留空的单元格不改变已登记的档案：",
        "  学历："
        + "、".join(EDUCATION_NAMES.values())
        + "；专业经评估认可、应届毕业生：填“是”或“否”；",
        "  毕业时间、证书取得时间：如 2023-06 或 2023-06-30；从业年限：本职业或相关职业累计年数，如 5 或 3.5；",
        "  已有证书等级：本职业的五级、四级、三级、二级或一级（本平台颁发的证书按身份证号自动查到，无需填写）；",
        "  就业状态："
        + "、".join(EMPLOYMENT_NAMES.values())
        + "；工作地区划：6 位行政区划代码，如 340400；",
        "  其他档案信息（补贴性培训、竞赛获奖、特才特评等）请在考生页面填写。",
        "每名考生须符合本场次等级的申报条件（任一途径），不符合的行会列出所缺条件，整份名单不导入；确需破格报名的考生请在场次页面单独添加并填写原因。",
        "身份证号为 18 位居民身份证号码，末位 X 大小写均可；请保持该列为文本格式。",
        "同一文件中身份证号不能重复；已在本考场报名的考生会被跳过（保留原座位和准考证号）。",
        "导入前会检查每一行：只要有一处问题，整份名单都不会导入，请按提示修改后重新上传。也可另存为 CSV（UTF-8 或 GBK 编码）上传；旧版 .xls 请先另存为 .xlsx。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
