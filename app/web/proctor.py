"""Pages: the proctor console (监考台).

The console polls its own URL every few seconds; for an htmx request it answers only the
live fragment (counts, alerts, roster). Actions are posted from a dialog outside that
fragment, so a refresh never loses what the proctor is typing; they answer with a toast
and ask the roster to refresh (HX-Trigger), or redirect back without htmx."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from app.auth.deps import Proctor
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.text import typed_int
from app.delivery import timer
from app.live import service as live
from app.live.stream import event_stream
from app.proctoring import service as proctoring
from app.proctoring.models import INCIDENT_REASON_NAMES
from app.web.templating import is_htmx, render

router = APIRouter(prefix="/proctor")
# The console's poll (every 3 s per proctor): main.py includes this router before the
# other page routes (route matching is in order; see app/api/delivery.py `hot_router`).
hot_router = APIRouter(prefix="/proctor")

FormStr = Annotated[str, Form()]


def _minutes(value: str) -> int | None:
    """A typed number of minutes; anything else is None, which the service refuses with
    the field named."""
    return typed_int(value)


def _done(request: Request, session_id: int, message: str) -> Response:
    if is_htmx(request):
        return render(
            request,
            "_toast.html",
            {"message": message, "level": "ok"},
            headers={
                "HX-Retarget": "#toasts",
                "HX-Reswap": "afterbegin",
                "HX-Trigger": "roster-refresh",
            },
        )
    return RedirectResponse(f"/proctor/sessions/{session_id}", status_code=303)


@router.get("")
def sessions_page(request: Request, db: SessionDep, staff: Proctor) -> Response:
    return render(
        request, "proctor/sessions.html", {"sessions": proctoring.list_sessions(db, staff=staff)}
    )


@hot_router.get("/sessions/{session_id}")
def console(request: Request, session_id: int, db: SessionDep, staff: Proctor) -> Response:
    # The same URL answers a page or a fragment: caches must tell them apart.
    headers = {"Vary": "HX-Request"}
    if not is_htmx(request):
        roster = proctoring.roster(db, staff=staff, session_id=session_id)
        return _console(request, "proctor/console.html", roster, headers)
    # The poll sends back the version of the fragment it shows (static/proctor.js): while
    # nothing it shows changed, nothing is built, rendered or sent, and htmx leaves it.
    shown = request.headers.get("if-none-match", "").removeprefix("W/").strip('"')
    found = proctoring.roster_if_changed(
        db, staff=staff, session_id=session_id, shown_version=shown or None
    )
    headers |= {"ETag": f'"{found.version}"', "Cache-Control": "no-store"}
    if isinstance(found, proctoring.RosterUnchanged):
        return Response(status_code=304, headers=headers | {"HX-Reswap": "none"})
    return _console(request, "proctor/_live.html", found, headers)


def _console(
    request: Request, page: str, roster: proctoring.Roster, headers: dict[str, str]
) -> Response:
    return render(
        request,
        page,
        {
            "r": roster,
            "states": proctoring.ROSTER_STATE_NAMES,
            "incident_reasons": INCIDENT_REASON_NAMES,
            "extra_max": timer.EXTRA_MINUTES_MAX,
            "login_window": get_settings().login_window_minutes,
        },
        headers=headers,
    )


@router.get("/sessions/{session_id}/stream")
def stream(session_id: int, db: SessionDep, staff: Proctor) -> EventSourceResponse:
    """Server-Sent Events: `{"kind": "roster"}` whenever the roster changed; the console
    then refreshes it at once instead of at its next poll."""
    proctoring.proctored_session(db, staff=staff, session_id=session_id)
    return event_stream([live.session_topic(session_id)], hello={"session_id": session_id})


@router.get("/sessions/{session_id}/log")
def log_page(
    request: Request, session_id: int, db: SessionDep, staff: Proctor, page: int = 1
) -> Response:
    session = proctoring.proctored_session(db, staff=staff, session_id=session_id)
    return render(
        request,
        "proctor/log.html",
        {
            "session": session,
            "log": proctoring.session_log(db, staff=staff, session_id=session_id, page=page),
            "incidents": proctoring.list_incidents(db, staff=staff, session_id=session_id),
        },
    )


@router.get("/registrations/{registration_id}/card")
def checkin_card(
    request: Request, registration_id: int, db: SessionDep, staff: Proctor
) -> Response:
    """The check-in dialog's identity card (人证合一): the photo large, beside the full ID
    number, to compare with the person and their ID card. Fetched only when the proctor
    opens the check-in; the roster itself shows the number masked."""
    card = proctoring.checkin_card(db, staff=staff, registration_id=registration_id)
    return render(request, "proctor/_checkin_card.html", {"c": card})


def _picked(values: list[str]) -> list[int]:
    """The registrations ticked on the console; anything else (not a number) is left out
    and the service then finds the selection incomplete or empty."""
    return [n for v in values if (n := typed_int(v)) is not None]


@router.get("/sessions/{session_id}/cards")
def checkin_cards(
    request: Request,
    session_id: int,
    db: SessionDep,
    staff: Proctor,
    registration_ids: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """The batch check-in dialog: each selected candidate's card, photo beside name."""
    cards = proctoring.checkin_cards(
        db, staff=staff, session_id=session_id, registration_ids=_picked(registration_ids)
    )
    return render(request, "proctor/_checkin_cards.html", {"cards": cards})


@router.post("/sessions/{session_id}/checkin")
def check_in_many(
    request: Request,
    session_id: int,
    db: SessionDep,
    staff: Proctor,
    registration_ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    note: FormStr = "",
) -> Response:
    done = proctoring.check_in_many(
        db,
        staff=staff,
        session_id=session_id,
        registration_ids=_picked(registration_ids),
        note=note,
    )
    seats = "、".join(str(r.seat_number) for r in done.checked_in)
    message = f"已签到 {len(done.checked_in)} 名（{seats} 号）" if done.checked_in else ""
    if done.already:
        before = "、".join(str(r.seat_number) for r in done.already)
        message += ("；" if message else "") + f"{before} 号此前已签到"
    return _done(request, session_id, message)


@router.post("/registrations/{registration_id}/checkin")
def check_in(
    request: Request, registration_id: int, db: SessionDep, staff: Proctor, note: FormStr = ""
) -> Response:
    reg = proctoring.check_in(db, staff=staff, registration_id=registration_id, note=note)
    return _done(request, reg.session_id, f"{reg.seat_number} 号已签到")


@router.post("/attempts/{attempt_id}/pause")
def pause(
    request: Request, attempt_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    attempt = proctoring.pause(db, staff=staff, attempt_id=attempt_id, reason=reason)
    return _done(request, attempt.session_id, "已暂停该考生的考试")


@router.post("/attempts/{attempt_id}/resume")
def resume(
    request: Request, attempt_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    attempt = proctoring.resume(db, staff=staff, attempt_id=attempt_id, reason=reason)
    return _done(request, attempt.session_id, "已恢复该考生的考试")


@router.post("/attempts/{attempt_id}/extra-time")
def extra_time(
    request: Request,
    attempt_id: int,
    db: SessionDep,
    staff: Proctor,
    minutes: FormStr = "",
    reason: FormStr = "",
) -> Response:
    n = _minutes(minutes)
    attempt = proctoring.add_extra_time(
        db, staff=staff, attempt_id=attempt_id, minutes=n, reason=reason
    )
    return _done(request, attempt.session_id, f"已延长 {n} 分钟")


@router.post("/attempts/{attempt_id}/force-submit")
def force_submit(
    request: Request, attempt_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    attempt = proctoring.force_submit(db, staff=staff, attempt_id=attempt_id, reason=reason)
    return _done(request, attempt.session_id, "已强制收卷")


@router.post("/attempts/{attempt_id}/reopen")
def reopen(
    request: Request,
    attempt_id: int,
    db: SessionDep,
    staff: Proctor,
    reason: FormStr = "",
    extra_minutes: FormStr = "",
) -> Response:
    attempt = proctoring.reopen(
        db,
        staff=staff,
        attempt_id=attempt_id,
        reason=reason,
        extra_minutes=_minutes(extra_minutes) if extra_minutes.strip() else 0,
    )
    return _done(request, attempt.session_id, "已重新开放，考生可继续作答")


@router.post("/sessions/{session_id}/pause")
def pause_room(
    request: Request, session_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    done = proctoring.pause_room(db, staff=staff, session_id=session_id, reason=reason)
    return _done(request, session_id, f"全场暂停：{done.count} 名考生")


@router.post("/sessions/{session_id}/resume")
def resume_room(
    request: Request, session_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    done = proctoring.resume_room(db, staff=staff, session_id=session_id, reason=reason)
    return _done(request, session_id, f"全场继续：{done.count} 名考生")


@router.post("/sessions/{session_id}/message")
def message_room(
    request: Request, session_id: int, db: SessionDep, staff: Proctor, text: FormStr = ""
) -> Response:
    sent = proctoring.send_message(db, staff=staff, session_id=session_id, text=text)
    return _done(request, session_id, f"消息已发送给全场 {len(sent)} 名考生")


@router.post("/registrations/{registration_id}/message")
def message_one(
    request: Request, registration_id: int, db: SessionDep, staff: Proctor, text: FormStr = ""
) -> Response:
    reg = proctoring.get_registration(db, staff=staff, registration_id=registration_id)
    proctoring.send_message(
        db, staff=staff, session_id=reg.session_id, text=text, registration_ids=[registration_id]
    )
    return _done(request, reg.session_id, f"消息已发送给 {reg.seat_number} 号")


@router.post("/registrations/{registration_id}/unlock-login")
def unlock_login(
    request: Request, registration_id: int, db: SessionDep, staff: Proctor, reason: FormStr = ""
) -> Response:
    reg, _ = proctoring.unlock_login(
        db, staff=staff, registration_id=registration_id, reason=reason
    )
    return _done(request, reg.session_id, f"{reg.seat_number} 号的登录锁定已解除")


@router.post("/registrations/{registration_id}/incidents")
def record_incident(
    request: Request,
    registration_id: int,
    db: SessionDep,
    staff: Proctor,
    reason_code: FormStr = "",
    note: FormStr = "",
) -> Response:
    incident = proctoring.record_incident(
        db, staff=staff, registration_id=registration_id, reason_code=reason_code, note=note
    )
    return _done(request, incident.session_id, "考场事件已记录")
