"""The ASGI application: `app.main:app`."""

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.api import admin as api_admin
from app.api import audit as api_audit
from app.api import auth as api_auth
from app.api import banks as api_banks
from app.api import certificates as api_certificates
from app.api import delivery as api_delivery
from app.api import exams as api_exams
from app.api import marking as api_marking
from app.api import proctoring as api_proctoring
from app.api import reference as api_reference
from app.api import results as api_results
from app.api import subsidies as api_subsidies
from app.api import tasks as api_tasks
from app.api import written as api_written
from app.certificates import batches as certificate_batches
from app.core.config import get_settings
from app.core.db import RequestTransaction, get_engine
from app.core.errors import AuthRequired, DomainError
from app.core.limits import RequestLimits, check_request_values
from app.delivery import background
from app.subsidies import service as subsidy_service
from app.web import admin as web_admin
from app.web import audit as web_audit
from app.web import auth as web_auth
from app.web import banks as web_banks
from app.web import candidate as web_candidate
from app.web import certificates as web_certificates
from app.web import evaluations as web_evaluations
from app.web import exams as web_exams
from app.web import home as web_home
from app.web import marking as web_marking
from app.web import proctor as web_proctor
from app.web import results as web_results
from app.web import subsidies as web_subsidies
from app.web import supervision as web_supervision
from app.web import tasks as web_tasks
from app.web import written as web_written
from app.web.templating import is_htmx, render

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
API_PREFIX = "/api/v1"


# Process tuning for the answer path, measured with scripts/bench_saves.py (2 cores,
# SQLite, 50 connections):
# - The writer's thread and the event loop share the GIL. A thread waiting for the GIL gets
#   it after the switch interval (CPython's default 5 ms), and a batch hands the GIL back
#   and forth with every SQLite call and row: at the default, a loaded server spends most of
#   a batch waiting. 0.5 ms: +50% saves/s, a third of the p99.
# - Full (generation 2) garbage collections scan every object of the process, ~90 ms with
#   FastAPI, SQLAlchemy and pydantic loaded, about once a second under load: the p99 was
#   those pauses. Freezing what exists after start-up takes it out of those scans
#   (p99 111 ms -> 32 ms); shutdown unfreezes it so that it can be collected again.
SWITCH_INTERVAL_SECONDS = 0.0005


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.freeze()
    settings = get_settings()
    tasks = await background.start(settings)
    if settings.run_certificate_batches:
        tasks.append(asyncio.create_task(certificate_batches.run_forever(), name="certificates"))
    if settings.run_sweeper:  # the same switch as the deadline sweeper: scheduled work
        tasks.append(asyncio.create_task(subsidy_service.run_schedule_forever(), name="subsidies"))
    try:
        yield
    finally:
        await background.stop(tasks)
        gc.unfreeze()


def create_app() -> FastAPI:
    app = FastAPI(
        title="技评 Jiping",
        version="0.1.0",
        description="职业技能等级认定与考试平台 API",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(check_request_values)],
    )
    app.add_middleware(RequestLimits)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    # Outside the exception handlers, so that it sees the status of every error response.
    app.add_middleware(RequestTransaction)

    # The hot routes first (see app/api/delivery.py `hot_router`).
    app.include_router(api_delivery.hot_router, prefix=API_PREFIX)
    for hot in (web_candidate, web_proctor):
        app.include_router(hot.hot_router, include_in_schema=False)
    for api in (
        api_auth,
        api_admin,
        api_reference,
        api_banks,
        api_tasks,
        api_exams,
        api_delivery,
        api_proctoring,
        api_results,
        api_marking,
        api_written,
        api_certificates,
        api_subsidies,
        api_audit,
    ):
        app.include_router(api.router, prefix=API_PREFIX)
    for web in (
        web_auth,
        web_home,
        web_admin,
        web_banks,
        web_tasks,
        web_exams,
        web_candidate,
        web_proctor,
        web_results,
        web_marking,
        web_written,
        web_certificates,
        web_evaluations,
        web_subsidies,
        web_supervision,
        web_audit,
    ):
        app.include_router(web.router, include_in_schema=False)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Up, and the database answers. (Nothing about where it is: anyone may ask.)"""
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    _install_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path == "/healthz"


def _error_response(
    request: Request, status: int, code: str, message: str, details: list[dict[str, Any]]
) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"error": {"code": code, "message": message, "details": details}}, status_code=status
        )
    if is_htmx(request):
        # htmx swaps this toast into the page's message area, whatever element asked.
        return render(
            request,
            "_toast.html",
            {"message": message, "details": details, "level": "error"},
            status_code=status,
            headers={"HX-Retarget": "#toasts", "HX-Reswap": "afterbegin"},
        )
    if code == "password_change_required":
        return RedirectResponse("/account/password", status_code=303)
    if status == 401:
        login = "/exam/login" if request.url.path.startswith("/exam") else "/login"
        return RedirectResponse(f"{login}?next={request.url.path}", status_code=303)
    return render(
        request,
        "error.html",
        {"message": message, "details": details, "status": status},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, AuthRequired) or exc.status_code >= 500:
            log.info("refused %s %s: %s", request.method, request.url.path, exc.code)
        return _error_response(request, exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "problem": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return _error_response(
            request, 422, "invalid_request", "提交的内容不完整或格式不正确", details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "页面不存在", 405: "不支持的请求方式"}.get(exc.status_code, str(exc.detail))
        if exc.status_code == 413:
            message = str(exc.detail)
        return _error_response(request, exc.status_code, f"http_{exc.status_code}", message, [])


app = create_app()
