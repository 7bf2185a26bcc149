"""The proctor console pages: the session list, the live console and its polled fragment,
actions from the dialog (toasts), and the session log."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.delivery.models import AttemptStatus
from app.proctoring import service as proctoring
from tests.factories import make_centre, make_staff
from tests.helpers import page_login
from tests.proctoring.support import attempt_of, audits, check_in, proctor_of, room, start

HX = {"HX-Request": "true"}


def test_my_sessions_page_links_to_the_console(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=2)
    page_login(client, exam.proctor.username)
    r = client.get("/proctor")
    assert r.status_code == 200
    assert exam.session.name in r.text and exam.session.room in r.text
    assert f'href="/proctor/sessions/{exam.session.id}"' in r.text
    assert "今天" in r.text


def test_the_console_shows_the_roster_and_polls_its_own_url(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=3)
    start(db, exam, exam.seats[1])
    page_login(client, exam.proctor.username)
    r = client.get(f"/proctor/sessions/{exam.session.id}")
    assert r.status_code == 200
    page = r.text
    assert "<html" in page and 'id="pc-dialog"' in page and "/static/proctor.js" in page
    assert f'hx-get="/proctor/sessions/{exam.session.id}"' in page
    assert 'hx-trigger="every 3s' in page
    for seat in exam.seats:
        assert seat.candidate.name in page and seat.ticket_number in page
        assert seat.id_number not in page
    assert "未签到" in page and "考试中" in page
    assert "签到</button>" in page and "暂停</button>" in page and "强制收卷</button>" in page
    assert "全场暂停" in page and "全场继续" in page


def test_htmx_polling_gets_only_the_fragment_with_time_as_mm_ss(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=2)
    attempt = start(db, exam, exam.seats[0])
    proctoring.pause(db, staff=proctor_of(exam), attempt_id=attempt.id or 0, reason="停电")
    db.commit()
    [row] = [
        r
        for r in proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0).rows
        if r.attempt_id == attempt.id
    ]
    db.commit()
    assert row.remaining_seconds is not None
    shown = f"{row.remaining_seconds // 60:02d}:{row.remaining_seconds % 60:02d}"
    page_login(client, exam.proctor.username)

    r = client.get(f"/proctor/sessions/{exam.session.id}", headers=HX)
    assert r.status_code == 200
    fragment = r.text
    assert "<html" not in fragment and "pc-dialog" not in fragment and "<table" in fragment
    assert exam.seats[0].candidate.name in fragment and exam.seats[1].candidate.name in fragment
    assert shown in fragment and "已暂停" in fragment
    assert "HX-Request" in r.headers.get("vary", "")


def test_the_poll_is_not_modified_until_the_roster_changes(client: TestClient, db: Session) -> None:
    """The console sends back the fragment's ETag: 304 (and no swap) while only the clock
    and the pages' own polls moved; the fragment again once something the proctor sees
    changed (here a candidate's answer)."""
    from datetime import timedelta

    from app.core import clock
    from app.delivery import service as delivery
    from tests.delivery.support import login_of

    exam = room(db, candidates=2)
    start(db, exam, exam.seats[0])
    page_login(client, exam.proctor.username)
    url = f"/proctor/sessions/{exam.session.id}"
    first = client.get(url, headers=HX)
    tag = first.headers["etag"]
    assert first.status_code == 200 and "<table" in first.text

    clock.travel(timedelta(seconds=7))
    delivery.exam_state(db, login=login_of(exam.seats[0]), with_questions=False, seen=True)
    db.commit()
    same = client.get(url, headers={**HX, "If-None-Match": tag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["hx-reswap"] == "none" and same.headers["etag"] == tag

    delivery.save_answer(
        db,
        login=login_of(exam.seats[0]),
        position=1,
        response={"choice": "B"},
        flagged=False,
        client_seq=1,
    )
    db.commit()
    changed = client.get(url, headers={**HX, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert "1/20" in changed.text


def test_answers_saved_leave_the_poll_not_modified_until_the_console_shows_a_change(
    client: TestClient, db: Session
) -> None:
    """The room saves answers all the time: re-saving a question already answered adds
    answer events but changes nothing on the console (304), while a window left, a
    check-in or a second login of a ticket sends the fragment again, saying so."""
    from app.delivery import service as delivery
    from tests.delivery.support import login_of

    exam = room(db, candidates=3)
    writing, leaving, late = exam.seats
    start(db, exam, writing)
    start(db, exam, leaving)
    page_login(client, exam.proctor.username)
    url = f"/proctor/sessions/{exam.session.id}"

    def save(seq: int, choice: str) -> None:
        delivery.save_answer(
            db,
            login=login_of(writing),
            position=1,
            response={"choice": choice},
            flagged=False,
            client_seq=seq,
        )
        db.commit()

    def poll(tag: str) -> tuple[int, str, str]:
        r = client.get(url, headers={**HX, "If-None-Match": tag})
        return r.status_code, r.headers["etag"], r.text

    save(1, "A")
    tag = client.get(url, headers=HX).headers["etag"]
    for seq, choice in enumerate("BCDAB", start=2):
        save(seq, choice)  # the same question again: still 1/20
    assert poll(tag) == (304, tag, "")

    delivery.record_event(db, login=login_of(leaving), kind="blur")
    db.commit()
    status, after_leave, text = poll(tag)
    assert status == 200 and after_leave != tag
    assert f"{leaving.registration.seat_number} 号 {leaving.candidate.name}" in text
    assert "离开考试窗口（累计 1 次）" in text
    assert poll(after_leave)[0] == 304

    check_in(db, exam, late)
    status, after_checkin, text = poll(after_leave)
    assert status == 200 and after_checkin != after_leave
    assert f'id="reg-{late.registration.id}"' in text
    assert text.count('class="pc-row pc-state-checked_in"') == 1

    delivery.record_relogin(
        db, registration_id=late.registration.id or 0, ended=1, client_ip="10.1.2.3"
    )
    db.commit()
    status, _, text = poll(after_checkin)
    assert status == 200
    assert "该准考证在另一处登录（10.1.2.3），前一登录已结束：请核对考生身份" in text


def test_every_action_a_roster_row_names_is_posted_to_a_console_route() -> None:
    """A row's buttons carry only their action (data-act); static/proctor.js builds the
    URL from the row. Each of those URLs must be a route the console answers."""
    import re

    from starlette.routing import Match

    from app.main import app
    from app.web.templating import TEMPLATES_DIR

    script = (TEMPLATES_DIR.parent / "static" / "proctor.js").read_text()
    urls = dict(re.findall(r'^\s+(\w+): "(/proctor/[^"]+)",$', script, re.MULTILINE))
    fragment = (TEMPLATES_DIR / "proctor" / "_live.html").read_text()
    row_actions = set(
        re.findall(r'<button type="button" class="pc-act[^"]*" data-act="(\w+)"', fragment)
    )
    assert row_actions and row_actions <= set(urls), row_actions - set(urls)
    for act, url in urls.items():
        path = url.replace("{reg}", "7").replace("{attempt}", "9")
        scope = {"type": "http", "path": path, "method": "POST"}
        assert any(route.matches(scope)[0] == Match.FULL for route in app.routes), (act, path)


def test_an_action_from_the_dialog_answers_a_toast_and_refreshes_the_roster(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    csrf = page_login(client, exam.proctor.username)
    headers = {**HX, "X-CSRF-Token": csrf}

    r = client.post(
        f"/proctor/attempts/{attempt.id}/extra-time",
        data={"minutes": "10", "reason": "机器故障补时"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert "toast-ok" in r.text and "10 分钟" in r.text
    assert r.headers["hx-trigger"] == "roster-refresh"
    assert r.headers["hx-retarget"] == "#toasts"
    [entry] = audits(db, "attempt.extra_time", attempt.id)
    assert (entry.actor_id, entry.reason) == (exam.proctor.id, "机器故障补时")


def test_a_refused_action_answers_an_error_toast_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    csrf = page_login(client, exam.proctor.username)
    r = client.post(
        f"/proctor/attempts/{attempt.id}/force-submit",
        data={"reason": " ", "confirm": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert r.status_code == 422
    assert "请填写操作原因" in r.text and "toast" in r.text
    assert r.headers["hx-retarget"] == "#toasts"
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_forms_work_without_htmx_and_need_the_csrf_token(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    reg_id = exam.seats[0].registration.id
    csrf = page_login(client, exam.proctor.username)
    forged = client.post(f"/proctor/registrations/{reg_id}/checkin", data={"note": "x"})
    assert forged.status_code == 403
    assert audits(db, "registration.checkin") == []
    r = client.post(
        f"/proctor/registrations/{reg_id}/checkin",
        data={"csrf_token": csrf, "identity_confirmed": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/proctor/sessions/{exam.session.id}"
    assert len(audits(db, "registration.checkin", reg_id)) == 1


def test_a_wrong_csrf_token_is_refused_like_a_missing_one(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    # A real token, but another login's: what a page on another site could have got.
    someone_elses = page_login(client, exam.proctors[1].username)
    own = page_login(client, exam.proctor.username)
    assert someone_elses != own
    pause = f"/proctor/attempts/{attempt.id}/pause"
    for forged in (someone_elses, own[:-1], own + "x", "x"):
        r = client.post(pause, data={"csrf_token": forged, "reason": "停电"})
        assert r.status_code == 403 and "CSRF 校验失败" in r.text, forged
        r = client.post(pause, data={"reason": "停电"}, headers={**HX, "X-CSRF-Token": forged})
        assert r.status_code == 403 and "CSRF 校验失败" in r.text, forged
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS
    assert audits(db, "attempt.pause") == []
    r = client.post(pause, data={"csrf_token": own, "reason": "停电"}, follow_redirects=False)
    assert r.status_code == 303
    assert attempt_of(db, attempt.id).status == AttemptStatus.PAUSED


def test_an_examiner_is_refused_the_proctor_pages(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    csrf = page_login(client, exam.examiner.username)
    for url in ("/proctor", f"/proctor/sessions/{exam.session.id}", "/proctor/sessions/x"):
        r = client.get(url)
        assert r.status_code == 403 and "您的角色无权进行此操作" in r.text, url
        assert exam.session.name not in r.text and exam.seats[0].candidate.name not in r.text
    for url in (f"/proctor/attempts/{attempt.id}/pause", "/proctor/attempts/x/pause"):
        r = client.post(url, data={"csrf_token": csrf, "reason": "停电"})
        assert r.status_code == 403 and "您的角色无权进行此操作" in r.text, url
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_room_pause_and_incident_from_the_page(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=2)
    attempts = [start(db, exam, s) for s in exam.seats]
    csrf = page_login(client, exam.proctor.username)
    headers = {**HX, "X-CSRF-Token": csrf}
    r = client.post(
        f"/proctor/sessions/{exam.session.id}/pause", data={"reason": "停电"}, headers=headers
    )
    assert r.status_code == 200 and "2 名考生" in r.text
    assert {attempt_of(db, a.id).status for a in attempts} == {AttemptStatus.PAUSED}
    r = client.post(
        f"/proctor/registrations/{exam.seats[0].registration.id}/incidents",
        data={"reason_code": "disruption", "note": "大声喧哗"},
        headers=headers,
    )
    assert r.status_code == 200 and "考场事件已记录" in r.text
    fragment = client.get(f"/proctor/sessions/{exam.session.id}", headers=HX).text
    assert "⚑ 1" in fragment


def test_the_log_page_lists_actions_with_reasons(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    proctoring.pause(db, staff=proctor_of(exam), attempt_id=attempt.id or 0, reason="显示器故障")
    proctoring.record_incident(
        db,
        staff=proctor_of(exam),
        registration_id=exam.seats[0].registration.id or 0,
        reason_code="technical_fault",
        note="显示器黑屏",
    )
    db.commit()
    page_login(client, exam.proctor.username)
    r = client.get(f"/proctor/sessions/{exam.session.id}/log")
    assert r.status_code == 200
    assert "暂停考试" in r.text and "显示器故障" in r.text and exam.proctor.display_name in r.text
    assert "设备/技术故障" in r.text and "显示器黑屏" in r.text
    assert "签到（人证合一）" in r.text and "开始作答" in r.text


def test_pages_refuse_outsiders_and_send_strangers_to_log_in(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=1)
    outsider = make_staff(db, Role.PROCTOR, make_centre(db))
    unassigned = make_staff(db, Role.PROCTOR, exam.centre)
    db.commit()
    url = f"/proctor/sessions/{exam.session.id}"
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    page_login(client, outsider.username)
    r = client.get(url)
    assert r.status_code == 404 and exam.seats[0].candidate.name not in r.text
    page_login(client, unassigned.username)
    r = client.get(url)
    assert r.status_code == 403 and exam.seats[0].candidate.name not in r.text
