"""Lock-outs slow the one guessing, not the one guessed at (accounts/throttle.py).

Every request of a TestClient comes from the same address ("testclient"), as the seats of
an exam room behind one address do; seats are told apart by their device cookies."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import LoginFailure, Role
from app.accounts.throttle import DEVICE_COOKIE, new_device_cookie, normalise_username
from app.audit.models import AuditEntry
from app.core.config import get_settings
from app.main import app
from tests.factories import PASSWORD, ExamFixture, make_centre, make_exam, make_staff
from tests.helpers import login_csrf, page_login, staff_token


@pytest.fixture
def exam(db: Session) -> ExamFixture:
    fx = make_exam(db, candidates=3, require_checkin=False)
    db.commit()
    return fx


def seat_browser(client: TestClient) -> TestClient:
    """Another browser at another seat: its own cookies, the same address."""
    other = TestClient(app)
    other.__enter__()
    assert other.get("/exam/login").status_code == 200
    assert other.cookies.get(DEVICE_COOKIE)
    return other


def candidate_form(browser: TestClient, ticket: str, id_number: str) -> tuple[int, str]:
    r = browser.post(
        "/exam/login",
        data={
            "ticket_number": ticket,
            "id_number": id_number,
            "csrf_token": login_csrf(browser, "/exam/login"),
        },
        follow_redirects=False,
    )
    return r.status_code, r.text


def test_a_sprayed_ticket_still_lets_its_candidate_in_from_their_seat(
    client: TestClient, exam: ExamFixture
) -> None:
    seat = exam.seats[0]
    client.get("/exam/login")  # the attacker's browser
    for n in range(get_settings().login_max_failures):
        status, page = candidate_form(client, seat.ticket_number, "110101199001011234")
        assert status == 401
        left = get_settings().login_max_failures - n - 1
        assert (f"本机还可尝试 {left} 次" if left else "本机已被暂时锁定") in page
    status, page = candidate_form(client, seat.ticket_number, seat.id_number)
    assert status == 429 and "请监考员解除锁定" in page  # the sprayer is stopped, even when right
    candidate = seat_browser(client)
    status, _ = candidate_form(candidate, seat.ticket_number, seat.id_number)
    assert status == 303  # the candidate is not
    candidate.__exit__(None, None, None)


def test_a_client_spraying_many_tickets_slows_itself_not_the_room(
    client: TestClient, exam: ExamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_max_failures_per_client", 4)
    client.get("/exam/login")
    for n in range(4):
        status, _ = candidate_form(client, f"26999900{n:05d}", "110101199001011234")
        assert status == 401
    status, _ = candidate_form(client, exam.seats[1].ticket_number, exam.seats[1].id_number)
    assert status == 429  # refused on every account now, a right one too
    other = seat_browser(client)
    assert candidate_form(other, exam.seats[1].ticket_number, exam.seats[1].id_number)[0] == 303
    other.__exit__(None, None, None)


def test_the_address_brake_spares_a_seat_prepared_before_the_window(
    client: TestClient, exam: ExamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fresh cookies are free to get, so new and cookie-less browsers share one count per
    address; a browser that had its cookie before the window is never refused by it."""
    monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 3)
    for n in range(3):  # three "new browsers" (cookie-less API calls), one try each
        r = client.post(
            "/api/v1/auth/candidate-login",
            json={"ticket_number": f"2699990000{n}", "id_number": "110101199001011234"},
        )
        assert r.status_code == 401
    seat = exam.seats[2]
    fresh = seat_browser(client)
    assert candidate_form(fresh, seat.ticket_number, seat.id_number)[0] == 429
    fresh.__exit__(None, None, None)
    prepared = TestClient(app)
    with prepared:
        prepared.cookies.set(DEVICE_COOKIE, new_device_cookie(now=time.time() - 3600))
        assert candidate_form(prepared, seat.ticket_number, seat.id_number)[0] == 303


def test_a_forged_device_cookie_counts_as_none(client: TestClient, exam: ExamFixture) -> None:
    client.cookies.set(DEVICE_COOKIE, "abcd.1.0123456789abcdef0123456789abcdef")
    r = client.get("/exam/login")
    assert DEVICE_COOKIE in r.headers.get("set-cookie", "")  # replaced by a real one


def test_the_proctor_lifts_a_lock_and_it_is_recorded(
    client: TestClient, db: Session, exam: ExamFixture
) -> None:
    seat = exam.seats[0]
    for _ in range(get_settings().login_max_failures):
        client.post(
            "/api/v1/auth/candidate-login",
            json={"ticket_number": seat.ticket_number, "id_number": "110101199001011234"},
        )
    r = client.post(
        "/api/v1/auth/candidate-login",
        json={"ticket_number": seat.ticket_number, "id_number": seat.id_number},
    )
    assert r.status_code == 429
    proctor = staff_token(client, exam.proctor.username)
    roster = client.get(
        f"/api/v1/proctor/sessions/{exam.session.id}/roster", headers=proctor
    ).json()
    assert "rows" in roster, roster
    row = next(x for x in roster["rows"] if x["ticket_number"] == seat.ticket_number)
    assert row["login_failures"] == get_settings().login_max_failures
    url = f"/api/v1/proctor/registrations/{seat.registration.id}/unlock-login"
    assert client.post(url, json={"reason": ""}, headers=proctor).status_code == 422
    r = client.post(url, json={"reason": "考生输错身份证号"}, headers=proctor)
    assert r.status_code == 200 and r.json()["failures_cleared"] == 5
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "registration.login_unlocked"))
    logged = entry.one()
    assert logged.reason == "考生输错身份证号" and logged.actor_id == exam.proctor.id
    r = client.post(
        "/api/v1/auth/candidate-login",
        json={"ticket_number": seat.ticket_number, "id_number": seat.id_number},
    )
    assert r.status_code == 200


def test_the_console_shows_failed_logins_with_an_unlock_button(
    client: TestClient, exam: ExamFixture
) -> None:
    seat = exam.seats[1]
    client.post(
        "/api/v1/auth/candidate-login",
        json={"ticket_number": seat.ticket_number, "id_number": "110101199001011234"},
    )
    page_login(client, exam.proctor.username)
    page = client.get(f"/proctor/sessions/{exam.session.id}").text
    row = page[page.index(f'id="reg-{seat.registration.id}"') :]
    row = row[: row.index("</tr>")]
    # The row's button names its action; static/proctor.js posts it to the row's
    # /proctor/registrations/{id}/unlock-login (tests/proctoring/test_pages.py).
    assert "登录失败 1 次" in row and 'data-act="unlock">解除登录锁定</button>' in row


def test_another_sessions_proctor_cannot_lift_a_lock(
    client: TestClient, db: Session, exam: ExamFixture
) -> None:
    outsider = make_staff(db, Role.PROCTOR, exam.centre, username="outsider")
    db.commit()
    headers = staff_token(client, outsider.username)
    r = client.post(
        f"/api/v1/proctor/registrations/{exam.seats[0].registration.id}/unlock-login",
        json={"reason": "试图解除"},
        headers=headers,
    )
    assert r.status_code in (403, 404)


def test_usernames_are_one_account_whatever_their_case_or_width(
    client: TestClient, db: Session
) -> None:
    centre = make_centre(db)
    make_staff(db, Role.CENTRE_ADMIN, centre, username="centre")
    db.commit()
    for name in ("Centre", "CENTRE", "ｃｅｎｔｒｅ", " centre "):
        r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, name
    assert normalise_username("ＣＥＮＴＲＥ") == "centre"
    admin = staff_token(client, "centre")
    r = client.post(
        "/api/v1/staff",
        json={
            "username": "CENTRE",
            "display_name": "重复",
            "password": "long-enough-1",
            "role": "proctor",
        },
        headers=admin,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "username_taken"


def test_failures_on_one_client_never_lock_the_account_elsewhere(
    client: TestClient, db: Session
) -> None:
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="centre2")
    db.commit()
    token = login_csrf(client)
    for _ in range(get_settings().login_max_failures):
        client.post(
            "/login", data={"username": "Centre2", "password": "wrong-guess", "csrf_token": token}
        )
    r = client.post(
        "/login", data={"username": "centre2", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429 and "本机登录失败次数过多" in r.text
    desk = TestClient(app)
    with desk:
        r = desk.post(
            "/login",
            data={"username": "centre2", "password": PASSWORD, "csrf_token": login_csrf(desk)},
            follow_redirects=False,
        )
        assert r.status_code == 303


def test_an_overlong_username_is_refused_before_anything_is_stored(
    client: TestClient, db: Session
) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "u" * 100_000, "password": "x"})
    assert r.status_code == 422
    r = client.post(
        "/login",
        data={"username": "u" * 100_000, "password": "x", "csrf_token": login_csrf(client)},
    )
    assert r.status_code == 422 and "用户名过长" in r.text
    assert db.exec(select(LoginFailure)).all() == []


def test_a_correct_login_clears_the_clients_own_failures_and_no_one_elses(
    client: TestClient, exam: ExamFixture, db: Session
) -> None:
    seat = exam.seats[1]
    client.get("/exam/login")  # another browser, failing on this ticket
    for _ in range(2):
        assert candidate_form(client, seat.ticket_number, "110101199001011234")[0] == 401
    candidate = seat_browser(client)
    status, page = candidate_form(candidate, seat.ticket_number, "110101199001011234")
    assert status == 401 and f"本机还可尝试 {get_settings().login_max_failures - 1} 次" in page
    assert candidate_form(candidate, seat.ticket_number, seat.id_number)[0] == 303
    db.rollback()
    left = db.exec(select(LoginFailure)).all()
    assert len(left) == 2  # the candidate's own failure is gone, the sprayer's two stay
    # Their next typo starts from a full count again.
    status, page = candidate_form(candidate, seat.ticket_number, "110101199001011234")
    assert f"本机还可尝试 {get_settings().login_max_failures - 1} 次" in page
    candidate.__exit__(None, None, None)
