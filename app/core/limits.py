"""What every request may cost and what every response says about itself.

- Bodies are capped before they are read: a declared Content-Length over the cap is
  refused (413) without reading a byte, and a body sent without one is counted as it
  arrives and cut off at the cap. Uploads (multipart) may be larger than other bodies.
- Integers in paths, queries and JSON bodies are ids, counts, points and page numbers:
  beyond 2^31 - 1 (the database's INTEGER) they are refused here, once, instead of
  failing in each query.
- JSON text must be valid Unicode: a lone surrogate ("\\ud800") parses in Python but can
  be neither stored nor sent back.
- Every page says that it runs only its own scripts and styles and may not be framed."""

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException, Request

from app.core.errors import ValidationFailed

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MiB = 1024 * 1024
BODY_MAX_BYTES = 1 * MiB
# A roster, photo or YAML bank file (5 MB at most) plus the multipart framing.
UPLOAD_MAX_BYTES = 6 * MiB
# A question bank source: the largest any of its readers takes (a QTI content package; an
# Excel workbook or an XML file 20 MB, a YAML file 5 MB, each reader naming its own cap),
# read whole by banks.service.import_upload. Only the bank import routes (page and API
# alike) take uploads this large, plus the multipart framing.
BANK_SOURCE_MAX_BYTES = 50 * MiB
BANK_UPLOAD_MAX_BYTES = BANK_SOURCE_MAX_BYTES + MiB
BANK_UPLOAD_PATHS = ("/banks/import", "/api/v1/banks/import")
INT_MAX = 2**31 - 1

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# The interactive API documentation is FastAPI's Swagger page (its own inline script);
# it shows no data of ours, so it keeps only the framing rules.
_DOCS_PATHS = ("/api/docs", "/api/docs/oauth2-redirect")


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"提交的内容过大（最多 {limit // MiB} MB）")


class RequestLimits:
    """ASGI middleware: body caps and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = BODY_MAX_BYTES
        if multipart:
            bank = scope.get("path", "") in BANK_UPLOAD_PATHS
            limit = BANK_UPLOAD_MAX_BYTES if bank else UPLOAD_MAX_BYTES
        declared = headers.get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > limit
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if over:
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        docs = scope.get("path", "") in _DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = _SECURITY_HEADERS[1:] if docs else _SECURITY_HEADERS
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)


_DIGITS = re.compile(r"^[+-]?\d+$")
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|"
    rb"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


async def check_request_values(request: Request) -> None:
    """An app-wide dependency: integers in range, JSON text valid Unicode."""
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in params:
        text = str(value).strip()
        if _DIGITS.match(text) and abs(int(text)) > INT_MAX:
            raise ValidationFailed(
                f"参数 {name} 的数值过大",
                code="number_out_of_range",
                details=[{"field": name, "problem": f"不能超过 {INT_MAX}"}],
            )
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        if b"\\u" in body and _LONE_SURROGATE.search(body):
            raise ValidationFailed(
                "提交的文本包含无效的 Unicode 字符", code="invalid_unicode", details=[]
            )
        if _LONG_NUMBER.search(body) and _has_huge_int(body):
            raise ValidationFailed(
                "提交的数值过大",
                code="number_out_of_range",
                details=[{"problem": f"整数不能超过 {INT_MAX}"}],
            )


_LONG_NUMBER = re.compile(rb"\d{10}")


def _has_huge_int(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False  # the route's own parsing says what is wrong
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) > INT_MAX:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
