"""File downloads the pages and the API send (Excel workbooks)."""

from urllib.parse import quote

from starlette.responses import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, content: bytes, *, ascii_name: str) -> Response:
    """A workbook download; the Chinese file name goes in RFC 5987 form, with `ascii_name`
    as the fallback for clients that do not read it."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )
