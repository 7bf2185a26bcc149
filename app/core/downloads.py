"""File downloads, the same for pages and the API (Excel workbooks, QTI packages)."""

from urllib.parse import quote

from starlette.responses import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MEDIA_TYPE = "application/zip"


def attachment(
    filename: str, content: bytes, *, ascii_name: str, media_type: str = XLSX_MEDIA_TYPE
) -> Response:
    """A file download; the Chinese file name goes in RFC 5987 form, with `ascii_name`
    as the fallback for clients that do not read it."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
