"""File downloads, the same for pages and the API."""

from urllib.parse import quote

from starlette.responses import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, filename: str, media_type: str = XLSX_MEDIA_TYPE) -> Response:
    """`content` as a download named `filename` (UTF-8, so Chinese names survive)."""
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
