"""Excel files in and out, safely.

Out: text that a spreadsheet would run as a formula (it starts with = + - @, or a tab or
carriage return before one) is written as text, with Excel's quote prefix so that editing
the cell keeps it text: a candidate named "=HYPERLINK(...)" is a name, not a link.

In: an .xlsx is a zip archive, and a 1 MB one can expand to gigabytes. Before a workbook
is opened its directory is checked: how many members, how large they say they are once
expanded, and how much they expand. The zip reader stops at the declared size, so a member
that lies about it is cut short (and fails its checksum) instead of expanding further."""

import zipfile
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from app.core.errors import ValidationFailed

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPANDED_MAX_BYTES = 64 * 1024 * 1024
MEMBERS_MAX = 1000
RATIO_MAX = 100  # expanded / compressed, per member


def append_row(ws: Worksheet, values: Iterable[Any]) -> None:
    """`ws.append`, with formula-like text written as text."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def check_archive(content: bytes, *, what: str) -> None:
    """Refuse a zip archive (xlsx) that would expand beyond what any real file needs."""
    try:
        members = zipfile.ZipFile(BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip at all: the reader that follows says so in its own words
    expanded = sum(m.file_size for m in members)
    too_much = (
        len(members) > MEMBERS_MAX
        or expanded > EXPANDED_MAX_BYTES
        or any(m.file_size > RATIO_MAX * max(m.compress_size, 1024) for m in members)
    )
    if too_much:
        raise ValidationFailed(
            f"{what}解压后过大（{expanded / 2**20:.0f} MB，最多 "
            f"{EXPANDED_MAX_BYTES // 2**20} MB），请检查文件是否正确",
            code="archive_too_large",
            details=[{"field": "file", "problem": "解压后过大或压缩比异常"}],
        )
