"""Question banks in Excel (题库 Excel 模板), in and out.

Pure: workbook bytes in, the same BankFile a YAML file gives out (and back). The layout is
the one Chinese centres keep banks in: a sheet of items with 题型, 题干, 选项A…选项H, 答案,
分值, 鉴定点代码, 重要程度, 难度, 解析, beside the bank's details and its 鉴定要素细目表, and
an instructions sheet (说明). One workbook holds one bank (one occupation and level).

Every row is checked by the same rules as a YAML item (app.banks.format.validate_item), and
each problem names its sheet, row, column and item in Chinese; a workbook with any problem
imports nothing. Read with openpyxl in read-only mode: rows stream, memory stays flat."""

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from app.banks import format as bank_format
from app.banks.format import (
    OPTION_LABELS,
    BankFile,
    BankHeader,
    EnemyGroup,
    ItemLike,
    OutlineArea,
    Problem,
)
from app.core.errors import ValidationFailed
from app.itemtypes import ITEM_TYPE_NAMES, ItemType, strategy_for
from app.itemtypes.true_false import word_truth
from app.reference.levels import get_level, is_level

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
# A zip bomb is small on the wire and huge unpacked: refuse before openpyxl unpacks it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 500

INFO_SHEET, OUTLINE_SHEET, ITEMS_SHEET, HELP_SHEET = "题库信息", "鉴定要素细目表", "试题", "说明"
INFO_ROWS = (
    ("code", "题库代码"),
    ("name", "题库名称"),
    ("occupation", "职业编码"),
    ("direction", "工种/方向"),
    ("levels", "适用等级"),
)
OUTLINE_COLUMNS = (
    "鉴定范围代码",
    "鉴定范围名称",
    "鉴定比重(%)",
    "鉴定点代码",
    "鉴定点名称",
    "重要程度",
    "必考",
)
OPTION_COLUMNS = tuple(f"选项{label}" for label in OPTION_LABELS)
ITEM_COLUMNS = (
    "题号",
    "题型",
    "题干",
    *OPTION_COLUMNS,
    "答案",
    "分值",
    "鉴定点代码",
    "重要程度",
    "难度",
    "解析",
    "适用等级",
    "互斥组",
)
REQUIRED_ITEM_COLUMNS = ("题号", "题型", "题干", "答案", "鉴定点代码", "难度")

TYPE_WORDS = {
    **{name: t for t, name in ITEM_TYPE_NAMES.items()},
    **{t.value: t for t in ItemType},
    "单选": ItemType.SINGLE_CHOICE,
    "单选题": ItemType.SINGLE_CHOICE,
    "多选": ItemType.MULTIPLE_CHOICE,
    "多选题": ItemType.MULTIPLE_CHOICE,
    "判断": ItemType.TRUE_FALSE,
    "填空": ItemType.FILL_IN,
    "排序": ItemType.ORDERING,
    "匹配": ItemType.MATCHING,
    "连线题": ItemType.MATCHING,
    "简答": ItemType.SHORT_ANSWER,
    "论述": ItemType.EXTENDED,
    "论述题": ItemType.EXTENDED,
    "计算": ItemType.EXTENDED,
    "计算题": ItemType.EXTENDED,
}
# The field validate_item names → the column an Excel author fixes.
FIELD_COLUMNS = {
    "id": "题号",
    "type": "题型",
    "stem": "题干",
    "options": "选项A",
    "key": "答案",
    "points": "分值",
    "area": "鉴定点代码",
    "point": "鉴定点代码",
    "difficulty": "难度",
    "explanation": "解析",
    "levels": "适用等级",
}
_POINT_REF = re.compile(r"([A-Z]{1,2})[-.－ ]?(\d{3})")
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
_GROUP_SPLIT = re.compile(r"[;；]")
AUTO_GROUP = re.compile(r"互斥组\d+")


# --- reading -----------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A cell as the YAML reader would give it: text stripped, whole numbers as int."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text_of(value: Any) -> str:
    """A cell read as text (an option "220" typed as a number is still the text 220)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _unpacked_problem(content: bytes, filename: str) -> Problem | None:
    if len(content) > MAX_WORKBOOK_BYTES:
        size = len(content) / 2**20
        return Problem(filename, None, None, None, f"文件过大（{size:.1f} MB），不能超过 20 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        return Problem(filename, None, None, None, "文件不是有效的 Excel 工作簿（.xlsx）")
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        return Problem(filename, None, None, None, "工作簿解压后过大，不像是题库文件，未导入")
    return None


def check_bank_workbook(content: bytes, filename: str) -> tuple[BankFile | None, list[Problem]]:
    """Read and check a whole workbook: the bank, or None with every problem found."""
    if (refused := _unpacked_problem(content, filename)) is not None:
        return None, [refused]
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None, [Problem(filename, None, None, None, "文件不是有效的 Excel 工作簿（.xlsx）")]
    try:
        return _check_book(book, filename, hashlib.sha256(content).hexdigest())
    finally:
        book.close()


def parse_bank_workbook(content: bytes, filename: str) -> BankFile:
    bank, problems = check_bank_workbook(content, filename)
    if bank is None:
        raise ValidationFailed(
            f"工作簿 {filename} 有 {len(problems)} 处问题，未导入任何内容",
            code="invalid_bank_file",
            details=[p.as_detail() for p in problems],
        )
    return bank


def _rows(book: Any, sheet: str) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(book[sheet].iter_rows(values_only=True), start=1):
        yield number, [_cell(v) for v in row]


def _check_book(book: Any, file: str, digest: str) -> tuple[BankFile | None, list[Problem]]:
    problems: list[Problem] = []
    missing = [s for s in (INFO_SHEET, OUTLINE_SHEET, ITEMS_SHEET) if s not in book.sheetnames]
    if missing:
        return None, [
            Problem(
                file,
                None,
                None,
                None,
                f"缺少工作表“{s}”（请使用下载的题库 Excel 模板）",
                sheet=s,
            )
            for s in missing
        ]
    header, header_rows = _read_info(book, file, problems)
    outline, _ = _read_outline(book, file, problems)
    items, groups = _read_items(
        book, file, outline, header.level_codes if header else None, problems
    )
    if problems:
        return None, problems[: bank_format.MAX_PROBLEMS]
    assert header is not None
    return (
        BankFile(
            filename=file,
            header=header,
            outline=outline,
            items=items,
            digest=digest,
            header_lines={k: header_rows.get(k) for k, _ in INFO_ROWS},
            enemy_groups=groups,
            holds_tasks=False,
        ),
        [],
    )


def _read_info(
    book: Any, file: str, problems: list[Problem]
) -> tuple[BankHeader | None, dict[str, int]]:
    by_label = {label: key for key, label in INFO_ROWS}
    raw: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for number, row in _rows(book, INFO_SHEET):
        label = _text_of(row[0] if row else None)
        if label in by_label:
            key = by_label[label]
            value = row[1] if len(row) > 1 else None
            if key == "levels":
                value = [v for v in _LIST_SPLIT.split(_text_of(value)) if v]
            elif key in ("occupation", "direction", "code", "name"):
                value = _text_of(value)
            raw[key], rows[key] = value, number
    found: list[Problem] = []
    header, _ = bank_format._check_header({"bank": raw}, file, found)
    for p in found:
        key = (p.field or "").removeprefix("bank.")
        problems.append(
            Problem(file, rows.get(key), None, p.field, p.problem, sheet=INFO_SHEET, column="内容")
        )
    return header, rows


def _read_outline(
    book: Any, file: str, problems: list[Problem]
) -> tuple[list[OutlineArea], dict[tuple[str, str], int]]:
    areas: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], int] = {}
    area_rows: dict[str, int] = {}
    columns: dict[str, int] = {}
    for number, row in _rows(book, OUTLINE_SHEET):
        if not columns:
            columns = {_text_of(v): i for i, v in enumerate(row) if v is not None}
            absent = [c for c in OUTLINE_COLUMNS[:6] if c not in columns]
            for c in absent:
                problems.append(
                    Problem(file, number, None, None, f"缺少“{c}”列", sheet=OUTLINE_SHEET, column=c)
                )
            if absent:
                return [], rows
            continue

        def get(name: str, row: list[Any] = row, columns: dict[str, int] = columns) -> Any:
            i = columns.get(name)
            return row[i] if i is not None and i < len(row) else None

        code = _text_of(get("鉴定范围代码")).upper()
        if not any(v is not None for v in row):
            continue
        area = areas.setdefault(code, {"area": code, "points": []})
        area_rows.setdefault(code, number)
        if get("鉴定范围名称") is not None and "name" not in area:
            area["name"] = _text_of(get("鉴定范围名称"))
        if get("鉴定比重(%)") is not None and "weight" not in area:
            area["weight"] = get("鉴定比重(%)")
        point: dict[str, Any] = {
            "code": _text_of(get("鉴定点代码")),
            "name": _text_of(get("鉴定点名称")) or None,
            "importance": _folded(_text_of(get("重要程度"))).upper() or None,
        }
        mandatory = _text_of(get("必考"))
        if mandatory:
            truth = word_truth(mandatory)
            point["mandatory"] = mandatory if truth is None else truth
        area["points"].append(point)
        rows[(code, point["code"])] = number
    outline, found = bank_format._check_outline(list(areas.values()), file, None)
    for p in found:
        m = re.match(r"outline\.([A-Z]{1,2})(?:\.points\.(\d{3}))?(?:\.(\w+))?", p.field or "")
        at: int | None = None
        column = None
        if m:
            at = rows.get((m[1], m[2])) if m[2] else area_rows.get(m[1])
            column = {
                "importance": "重要程度",
                "name": "鉴定点名称" if m[2] else "鉴定范围名称",
                "weight": "鉴定比重(%)",
                "code": "鉴定点代码",
                "area": "鉴定范围代码",
                "mandatory": "必考",
            }.get(m[3] or "")
        problems.append(
            Problem(file, at, None, p.field, p.problem, sheet=OUTLINE_SHEET, column=column)
        )
    return outline, rows


def _key_from_cell(item_type: ItemType | None, value: Any) -> Any:
    """The 答案 cell in the YAML key's shape (validate_item then checks it)."""
    text = _text_of(value)
    return text if item_type is None else strategy_for(item_type).key_from_cell(text)


def _read_items(
    book: Any,
    file: str,
    outline: Sequence[OutlineArea],
    bank_levels: list[str] | None,
    problems: list[Problem],
) -> tuple[list[bank_format.ItemContent], list[EnemyGroup]]:
    levels = bank_levels or []
    columns: dict[str, int] = {}
    items: list[bank_format.ItemContent] = []
    seen: dict[str, int] = {}
    group_members: dict[str, list[tuple[str, int]]] = {}
    for number, row in _rows(book, ITEMS_SHEET):
        if not columns:
            columns = {_text_of(v): i for i, v in enumerate(row) if v is not None}
            absent = [c for c in REQUIRED_ITEM_COLUMNS if c not in columns]
            for c in absent:
                problems.append(
                    Problem(file, number, None, None, f"缺少“{c}”列", sheet=ITEMS_SHEET, column=c)
                )
            if absent:
                return [], []
            continue
        if not any(v is not None for v in row):
            continue

        def get(name: str, row: list[Any] = row, columns: dict[str, int] = columns) -> Any:
            i = columns.get(name)
            return row[i] if i is not None and i < len(row) else None

        item_id = _text_of(get("题号")) or None

        def report(
            column: str | None, message: str, row: int = number, item_id: str | None = item_id
        ) -> None:
            problems.append(
                Problem(file, row, item_id, None, message, sheet=ITEMS_SHEET, column=column)
            )

        raw, row_ok = _raw_item(get, report, outline)
        found: list[Problem] = []
        content, found = bank_format.validate_item(
            raw, outline=outline, bank_levels=levels, file=file, line=number
        )
        for p in found:
            head = (p.field or "").split(".")[0]
            if not row_ok and head in ("area", "point"):
                continue  # the 鉴定点代码 column is already reported
            column = FIELD_COLUMNS.get(head)
            if p.field and p.field.startswith("options."):
                column = f"选项{p.field.split('.')[1]}"
            problems.append(
                Problem(
                    file, number, p.item_id, p.field, p.problem, sheet=ITEMS_SHEET, column=column
                )
            )
        if item_id:
            if item_id in seen:
                report("题号", f"题号 {item_id} 重复（第 {seen[item_id]} 行已有）")
            else:
                seen[item_id] = number
            for label in _GROUP_SPLIT.split(_text_of(get("互斥组"))):
                if label.strip():
                    group_members.setdefault(label.strip(), []).append((item_id, number))
        if content is not None and row_ok:
            items.append(content)
    groups = []
    for label, members in group_members.items():
        if len(members) < 2:
            item_id, number = members[0]
            problems.append(
                Problem(
                    file,
                    number,
                    item_id,
                    None,
                    f"互斥组“{label}”只有这一道题；同一互斥组应至少有两道题",
                    sheet=ITEMS_SHEET,
                    column="互斥组",
                )
            )
            continue
        reason = "" if AUTO_GROUP.fullmatch(label) else label
        groups.append(EnemyGroup(tuple(i for i, _ in members), reason))
    return items, bank_format.canonical_groups(groups)


def _raw_item(get: Any, report: Any, outline: Sequence[OutlineArea]) -> tuple[dict[str, Any], bool]:
    """A row as the YAML item validate_item reads; False when the row has a problem only
    Excel can have (reported here)."""
    ok = True
    raw: dict[str, Any] = {}
    if get("题号") is not None:
        raw["id"] = _text_of(get("题号"))
    type_text = _folded(_text_of(get("题型")))
    item_type = TYPE_WORDS.get(type_text)
    if type_text:
        raw["type"] = item_type.value if item_type else type_text
    ref = _folded(_text_of(get("鉴定点代码"))).upper()
    m = _POINT_REF.fullmatch(ref)
    if m:
        raw["area"], raw["point"] = m[1], m[2]
    elif ref:
        report("鉴定点代码", f"鉴定点代码应写成“鉴定范围-鉴定点”，如 A-001，实际为“{ref}”")
        ok = False
    else:
        report("鉴定点代码", "缺少鉴定点代码（如 A-001）")
        ok = False
    importance = _folded(_text_of(get("重要程度"))).upper()
    if m and importance:
        area = next((a for a in outline if a.code == m[1]), None)
        point = area.point(m[2]) if area else None
        if point is not None and point.importance != importance:
            report(
                "重要程度",
                f"重要程度 {importance} 与鉴定要素细目表中 {m[1]}-{m[2]} 的 {point.importance} 不一致",
            )
            ok = False
    for name, field_name in (("难度", "difficulty"), ("分值", "points")):
        if get(name) is not None:
            raw[field_name] = get(name)
    if get("题干") is not None:
        raw["stem"] = _text_of(get("题干"))
    options = {
        label: _text_of(get(column))
        for label, column in zip(OPTION_LABELS, OPTION_COLUMNS, strict=True)
        if get(column) is not None
    }
    if options:
        raw["options"] = options
    if get("答案") is not None:
        raw["key"] = _key_from_cell(item_type, get("答案"))
    if get("解析") is not None:
        raw["explanation"] = _text_of(get("解析"))
    if get("适用等级") is not None:
        raw["levels"] = [v for v in _LIST_SPLIT.split(_text_of(get("适用等级"))) if v]
    return raw, ok


# --- writing -----------------------------------------------------------------------------


def _levels_cell(codes: Iterable[str]) -> str:
    return "、".join(get_level(c).name if is_level(c) else c for c in codes)


HELP = (
    ("题库 Excel 模板说明", ""),
    ("", ""),
    ("工作表", "用途"),
    (
        "题库信息",
        "题库代码（本机构内唯一）、题库名称、职业编码（职业分类大典，如 6-31-01-03）、工种/方向（没有时留空）、适用等级（如 中级工，多个用顿号分隔）。",
    ),
    (
        "鉴定要素细目表",
        "每行一个鉴定点：鉴定范围代码（A、B……）、鉴定范围名称、鉴定比重(%)（各范围合计 100）、鉴定点代码（三位数字）、鉴定点名称、重要程度（X 核心 / Y 一般 / Z 辅助）、必考（填“是”表示每份试卷都要有该鉴定点的题）。",
    ),
    ("试题", "每行一道题，各列见下。"),
    ("", ""),
    ("列", "填写方法"),
    ("题号", "本题库内唯一，以后不要改给别的题用，如 DG4-A001-001。"),
    (
        "题型",
        "单项选择题、多项选择题、判断题、填空题、排序题、匹配题、简答题、论述/计算题（也可写 单选、多选、判断、填空、排序、匹配、简答、论述、计算）。",
    ),
    ("题干", "填空题用 ____（至少四个下划线）标出空位。"),
    (
        "选项A…选项H",
        "选择题、排序题的选项和匹配题的备选项（右列），从 A 起连续填写；单选 2–8 个，多选、排序 3–8 个，匹配 2–8 个；其他题型留空。",
    ),
    (
        "答案",
        "单选：B；多选：ACD；判断：对 或 错；填空（文字）：传输层|传输（多个可接受答案用 | 分隔）；填空（数值）：数值 220±0.5 V（以“数值”开头，± 后为允差，最后为单位），可再加“；小数位 1”“；单位也可写 伏/伏特”“；可用中文数字”；排序：按正确顺序写出全部选项，如 CAB；匹配：每个题项（左列）写成 题项=选项，用；或换行分隔，如 熔断器=A；接触器=B（全对才得分；要按题项计分时在每项后写得分，如 熔断器=A（1分））；简答、论述/计算：先写参考答案，再写“得分点：”，每行一个得分点，分值写在括号内，如 说明两个接触器不能同时吸合（2分），各得分点分值之和等于本题分值。这两种题由考评员评分。",
    ),
    ("分值", "可不填：试卷中每题的分值由组卷方案决定，这里只是默认值（0.5 的倍数）。"),
    ("鉴定点代码", "鉴定范围-鉴定点，如 A-001，须在鉴定要素细目表中。"),
    ("重要程度", "可不填；填写时须与鉴定要素细目表一致。"),
    ("难度", "1（容易）至 5（难）的整数。"),
    ("解析", "可不填，只给工作人员看。"),
    ("适用等级", "可不填，默认为题库的适用等级。"),
    (
        "互斥组",
        "可不填。互相提示答案或考查内容过近的题填同一个组名，同一份试卷最多出其中一道；一题属于多个组时用；分隔。",
    ),
    ("", ""),
    (
        "导入规则",
        "整个工作簿检查无误才导入；有任何问题时不导入任何内容，并列出每处问题所在的工作表、行、列和题号。重复导入内容相同的工作簿不会产生变化；题目内容修改后生成新版本，已组卷的考试仍使用原版本。",
    ),
)

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet_with_header(book: Workbook, title: str, columns: Sequence[str]) -> Any:
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
    sheet.freeze_panes = "A2"
    return sheet


def write_workbook(
    header: BankHeader,
    outline: Sequence[OutlineArea],
    items: Sequence[tuple[str, ItemLike]],
    enemy_groups: Sequence[EnemyGroup] = (),
) -> bytes:
    """A bank in the template's layout (what check_bank_workbook reads back as-is)."""
    book = Workbook()
    help_sheet = book.active
    assert help_sheet is not None
    help_sheet.title = HELP_SHEET
    for line in HELP:
        help_sheet.append(list(line))
    help_sheet["A1"].font = Font(bold=True, size=14)
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 110
    for cells in help_sheet.iter_rows(min_row=2):
        cells[1].alignment = Alignment(wrap_text=True, vertical="top")

    info = _sheet_with_header(book, INFO_SHEET, ("项目", "内容"))
    values = {
        "code": header.code,
        "name": header.name,
        "occupation": header.occupation_code,
        "direction": header.direction,
        "levels": _levels_cell(header.level_codes),
    }
    for key, label in INFO_ROWS:
        info.append([label, values[key]])
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 14, 50

    sheet = _sheet_with_header(book, OUTLINE_SHEET, OUTLINE_COLUMNS)
    for area in outline:
        for point in area.points:
            sheet.append(
                [
                    area.code,
                    area.name,
                    bank_format._plain_number(area.weight),
                    point.code,
                    point.name,
                    point.importance,
                    "是" if point.mandatory else None,
                ]
            )

    groups: dict[str, list[str]] = {}
    for number, group in enumerate(enemy_groups, start=1):
        label = group.reason or f"互斥组{number}"
        for item_id in group.items:
            groups.setdefault(item_id, []).append(label)
    sheet = _sheet_with_header(book, ITEMS_SHEET, ITEM_COLUMNS)
    for external_id, item in items:
        options = {o["label"]: o["text"] for o in item.options}
        sheet.append(
            [
                external_id,
                ITEM_TYPE_NAMES[ItemType(item.item_type)],
                item.stem,
                *(options.get(label) for label in OPTION_LABELS),
                strategy_for(item.item_type).key_to_cell(item.key),
                None if item.points is None else bank_format._plain_number(item.points),
                f"{item.area_code}-{item.point_code}",
                item.importance,
                item.difficulty,
                item.explanation or None,
                _levels_cell(item.level_codes)
                if list(item.level_codes) != list(header.level_codes)
                else None,
                "；".join(groups.get(external_id, [])) or None,
            ]
        )
    for column, width in (("A", 16), ("B", 12), ("C", 60)):
        sheet.column_dimensions[column].width = width
    for each in book.worksheets:
        _as_text(each)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(sheet: Any) -> None:
    """Text is written as text: a stem or option that starts with "=" must not become a
    formula Excel would run when the exported bank is opened."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


TEMPLATE_FILENAME = "题库导入模板.xlsx"


def template_workbook() -> bytes:
    """The downloadable template: instructions, and one worked example of each item type."""
    sample = bank_format.parse_bank_file(SAMPLE_YAML.encode(), "sample.yaml")
    return write_workbook(
        sample.header,
        sample.outline,
        [(it.external_id, it) for it in sample.items],
        sample.enemy_groups,
    )


SAMPLE_YAML = """\
format: jiping-bank/1
bank:
  code: DG-SAMPLE-L4
  name: 电工 四级/中级工 理论知识题库（示例）
  occupation: "6-31-01-03"
  direction: ""
  levels: [intermediate]
outline:
  - area: A
    name: 基础知识
    weight: 30
    points:
      - {code: "001", name: 直流电路基本定律与计算, importance: X}
  - area: B
    name: 专业知识
    weight: 50
    points:
      - {code: "001", name: 常用低压电器, importance: X}
  - area: C
    name: 安全与相关知识
    weight: 20
    points:
      - {code: "001", name: 职业道德与相关法律法规, importance: Z, mandatory: true}
items:
  - id: EX-A001-001
    type: single_choice
    area: A
    point: "001"
    difficulty: 1
    points: 0.5
    stem: 两个阻值均为 10 Ω 的电阻并联后，其等效电阻为（　　）。
    options: {A: 2.5 Ω, B: 5 Ω, C: 10 Ω, D: 20 Ω}
    key: B
    explanation: 两个相同电阻并联，等效电阻为单个电阻的一半。
  - id: EX-B001-001
    type: multiple_choice
    area: B
    point: "001"
    difficulty: 2
    stem: 下列属于低压控制电器的有（　　）。
    options: {A: 接触器, B: 按钮, C: 电力变压器, D: 中间继电器}
    key: [A, B, D]
  - id: EX-B001-002
    type: true_false
    area: B
    point: "001"
    difficulty: 1
    stem: 热继电器可以用作电动机的短路保护。
    key: false
  - id: EX-A001-002
    type: fill_in
    area: A
    point: "001"
    difficulty: 2
    stem: 我国工频交流电的频率为 ____。
    key: {numeric: {value: 50, tolerance: 0}, unit: Hz, unit_words: [赫兹]}
  - id: EX-C001-001
    type: fill_in
    area: C
    point: "001"
    difficulty: 1
    stem: 我国的安全生产方针是“安全第一、____、综合治理”。
    key: {accepted: [预防为主]}
  - id: EX-B001-003
    type: ordering
    area: B
    point: "001"
    difficulty: 2
    stem: 在停电的设备上工作，保证安全的技术措施按先后顺序是（　　）。
    options: {A: 验电, B: 停电, C: 悬挂标示牌和装设遮栏, D: 装设接地线}
    key: [B, A, D, C]
  - id: EX-B001-004
    type: matching
    area: B
    point: "001"
    difficulty: 2
    stem: 将下列低压电器与其文字符号对应起来。
    options: {A: FU, B: KM, C: QF, D: FR}
    key: {熔断器: A, 接触器: B, 断路器: C}
  - id: EX-B001-005
    type: short_answer
    area: B
    point: "001"
    difficulty: 3
    points: 5
    stem: 简述接触器联锁正反转控制线路中联锁触头的作用。
    key:
      reference: 将正转接触器的常闭辅助触头串接在反转接触器线圈回路中，反转接触器的常闭辅助触头串接在正转接触器线圈回路中，使两个接触器不能同时吸合，防止主电路电源相间短路。
      marking_points:
        - {point: 指出两个接触器的常闭辅助触头互相串接在对方线圈回路中, points: 2}
        - {point: 说明两个接触器不能同时吸合, points: 2}
        - {point: 说明目的是防止电源相间短路, points: 1}
  - id: EX-A001-003
    type: extended
    area: A
    point: "001"
    difficulty: 3
    points: 5
    stem: 一台额定电压 220 V、额定功率 2.2 kW 的电阻炉，求其额定电流和电阻（写出计算过程）。
    key:
      reference: I = P / U = 2200 / 220 = 10 A；R = U / I = 220 / 10 = 22 Ω。
      marking_points:
        - {point: 写出 I = P / U 并算得 10 A, points: 2.5}
        - {point: 写出 R = U / I（或 U²/P）并算得 22 Ω, points: 2.5}
enemies:
  - items: [EX-B001-001, EX-B001-002]
    reason: 判断题的说法是多选题的干扰项
"""
