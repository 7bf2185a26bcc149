"""Jinja2 templates for the pages; `render` gives every page the login and CSRF token."""

from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from app.accounts.models import ROLE_NAMES
from app.core.clock import to_china

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "web" / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _fmt_time(dt: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_china(dt)
    return local.strftime(fmt) if local else ""


def fmt_points(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


templates.env.filters["cst"] = _fmt_time
templates.env.filters["pts"] = fmt_points
templates.env.globals["ROLE_NAMES"] = ROLE_NAMES


def _dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value).decode()


# `tojson` (HTML-safe: Jinja escapes <, >, & and ' after this) with orjson, which writes
# Chinese as itself (as \uXXXX it would double the exam paper's questions) in a tenth of
# json.dumps' time: the paper is the exam page's largest part (templates/exam/exam.html).
templates.env.policies["json.dumps_function"] = _dumps
templates.env.policies["json.dumps_kwargs"] = {}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    auth = getattr(request.state, "auth", None)
    ctx = {
        "auth": auth,
        "user": auth.principal if auth else None,
        "csrf_token": auth.csrf_token if auth else "",
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
