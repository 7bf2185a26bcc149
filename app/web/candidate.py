"""Pages: the candidate's side — log in with the admission ticket, the waiting room with
the exam rules (考场规则), the exam itself, and the result after submission.

The exam page's script (static/exam.js) talks to the JSON API (app/api/delivery.py) with
the session cookie and the CSRF header: answers, window events, status, submission."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from app.accounts.principals import CandidateLogin
from app.auth import service as auth_service
from app.auth.deps import AuthDep, LoginClientDep, candidate_in_handler, candidate_token_digest
from app.core.db import SessionDep, end_in_handler
from app.core.errors import DomainError
from app.delivery import service
from app.delivery.service import ExamState, Phase
from app.delivery.sheet import answer_sheet
from app.itemtypes import ItemType
from app.itemtypes.fill_in import MAX_ANSWER_CHARS
from app.web.auth import (
    check_login_form,
    login_page_context,
    set_session_cookie,
    with_device_cookie,
)
from app.web.templating import fmt_points, is_htmx, render

router = APIRouter()
# The exam page, the waiting room's poll and the start: main.py includes these before the
# other page routes (route matching is in order; see app/api/delivery.py `hot_router`).
hot_router = APIRouter()


@router.get("/exam/login")
def login_page(request: Request, auth: AuthDep, client: LoginClientDep) -> Response:
    if auth is not None and isinstance(auth.principal, CandidateLogin):
        return RedirectResponse("/exam", status_code=303)
    ctx, cookie = login_page_context(request, client)
    return with_device_cookie(render(request, "exam/login.html", ctx), client, cookie)


@router.post("/exam/login")
def login(
    request: Request,
    db: SessionDep,
    client: LoginClientDep,
    ticket_number: Annotated[str, Form()],
    id_number: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_login_form(request, csrf_token)
        issued = auth_service.login_candidate(
            db, ticket_number=ticket_number, id_number=id_number, client=client
        )
    except DomainError as exc:
        ctx, cookie = login_page_context(request, client)
        page = render(
            request,
            "exam/login.html",
            {"error": exc.message, "ticket_number": ticket_number[:32], **ctx},
            status_code=exc.status_code,
        )
        return with_device_cookie(page, client, cookie)
    end_in_handler(db)  # a room logs in at once: the commit in this thread, not a hop
    response = RedirectResponse("/exam", status_code=303)
    set_session_cookie(response, issued.token)
    return response


@hot_router.get("/exam")
def exam_page(request: Request, db: SessionDep) -> Response:
    """One URL for the whole exam: the waiting room, the paper, or the result."""
    # The login and the state in one query, in this thread (not a hop of its own).
    digest, via_cookie = candidate_token_digest(request)
    request.state.auth, state = service.exam_state_for_token(
        db, token_digest=digest, via_cookie=via_cookie, seen=True
    )
    if state.phase in (Phase.IN_PROGRESS, Phase.PAUSED):
        sheet = answer_sheet(
            (q.position, q.section, q.question["type_name"], q.question["points"])
            for q in state.questions
        )
        context = {
            "state": state,
            "boot": _boot(state),
            "paper": _paper(state),
            "sheet": sheet,
            "sheet_buttons": [_sheet_buttons(section.positions, state) for section in sheet],
        }
        page = render(request, "exam/exam.html", context)
        end_in_handler(db)  # the commit in this thread, not a hop of its own
        return page
    if state.phase == Phase.SUBMITTED:
        return render(request, "exam/result.html", {"state": state})
    return render(request, "exam/before.html", {"state": state})


@hot_router.get("/exam/gate")
def gate(request: Request, db: SessionDep) -> Response:
    """The waiting room's status, polled until the candidate may start."""
    login = candidate_in_handler(request, db)
    state = service.exam_state(db, login=login, with_questions=False)
    if state.attempt_id is not None and is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/exam"})
    if not is_htmx(request):
        return RedirectResponse("/exam", status_code=303)
    return render(request, "exam/_gate.html", {"state": state})


@hot_router.post("/exam/start")
def start(
    request: Request,
    db: SessionDep,
    agree: Annotated[str | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    # Every candidate of a room presses start within seconds: authenticated in this
    # handler's thread (the form's CSRF token passed on), not a thread hop of its own.
    login = candidate_in_handler(request, db, form_csrf=csrf_token)
    if not agree:
        return _before_with_error(request, db, login, "请先阅读考场规则并勾选“我已阅读并同意”")
    try:
        service.start_attempt(db, login=login)
    except DomainError as exc:
        return _before_with_error(request, db, login, exc.message, exc.status_code)
    end_in_handler(db)  # the commit in this thread, not a hop of its own
    return RedirectResponse("/exam", status_code=303)


def _before_with_error(
    request: Request,
    db: SessionDep,
    login: CandidateLogin,
    message: str,
    status_code: int = 422,
) -> Response:
    state: ExamState = service.exam_state(db, login=login, with_questions=False)
    return render(
        request, "exam/before.html", {"state": state, "error": message}, status_code=status_code
    )


def _boot(state: ExamState) -> dict[str, Any]:
    """What the exam page's script starts from (no question content, no key)."""
    return {
        "attempt_id": state.attempt_id,
        "phase": state.phase,
        "remaining_seconds": state.remaining_seconds,
        "item_count": state.item_count,
        "last_seq": state.last_seq,
        "leave_count": state.leave_count,
        "leave_limit": state.leave_limit,
        "answers": {
            str(p): {"seq": a.seq, "flagged": a.flagged, "answered": bool(a.response)}
            for p, a in state.answers.items()
        },
    }


def _sheet_buttons(positions: list[int], state: ExamState) -> Markup:
    """A section's buttons on the answer sheet (答题卡), one per question: built here in one
    pass rather than by a template loop, which was the larger part of the page's render
    (scripts/bench_rush.py). Nothing but numbers goes into the markup."""
    buttons = []
    for position in positions:
        saved = state.answers.get(position)
        css = "nav-btn"
        if saved and saved.response:
            css += " answered"
        if saved and saved.flagged:
            css += " flagged"
        n = int(position)
        buttons.append(
            f'<button type="button" class="{css}" data-goto="{n}" aria-label="第 {n} 题">{n}</button>'
        )
    return Markup("".join(buttons))


def _paper(state: ExamState) -> list[dict[str, Any]]:
    """The questions as static/exam.js renders them (`questionEl`, the same markup as
    templates/items/_question.html), with the saved responses. Sent as data rather than
    rendered here: the markup of 100 questions was 60 KiB of the page and most of its
    server time (scripts/bench_rush.py); as data it is a third of that, built in a
    fraction of the time, and the browser renders it once when the page loads."""
    paper = []
    for item in state.questions:
        q, saved = item.question, state.answers.get(item.position)
        shown: dict[str, Any] = {
            "position": item.position,
            "type": q["type"],
            "type_name": q["type_name"],
            "points": fmt_points(q["points"]),
            "stem": q["stem"],
            "options": q["options"],
            "response": saved.response if saved else {},
        }
        if q["type"] == ItemType.FILL_IN:
            shown |= {"unit": q["unit"], "maxlength": MAX_ANSWER_CHARS}
        if q["type"] == ItemType.MATCHING:
            shown["prompts"] = q["prompts"]
        if "rows" in q:  # a written answer's box (简答, 论述/计算)
            shown |= {"maxlength": q["maxlength"], "rows": q["rows"]}
        paper.append(shown)
    return paper
