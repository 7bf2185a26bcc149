"""Batch check-in (批量签到) and the seat map: several candidates confirmed at once, each
recorded as their own check-in; the selection refused whole when it is not the session's;
the identity cards of the selection; the room's seats in rows beside the list."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.errors import Conflict, NotFound, ValidationFailed
from app.exams import photos
from app.exams.models import ExamSession, Registration, SessionStatus
from app.proctoring import service as proctoring
from app.reference.identifiers import mask_resident_id
from tests.exams.test_photos import image_bytes
from tests.factories import staff_actor
from tests.helpers import page_login, staff_token
from tests.proctoring.support import audits, check_in, events, proctor_of, room

HX = {"HX-Request": "true"}


def _checked(db: Session, reg_id: int | None) -> Registration:
    db.rollback()
    reg = db.get(Registration, reg_id, populate_existing=True)
    assert reg is not None
    db.commit()
    return reg


def test_a_batch_records_each_check_in_and_leaves_those_done_before_alone(db: Session) -> None:
    exam = room(db, candidates=4)
    first, second, third, fourth = exam.seats
    check_in(db, exam, third)
    before = _checked(db, third.registration.id).checked_in_at
    ids = [s.registration.id or 0 for s in (second, first, third)]
    done = proctoring.check_in_many(
        db, staff=proctor_of(exam), session_id=exam.session.id or 0, registration_ids=ids
    )
    db.commit()
    assert [r.seat_number for r in done.checked_in] == [1, 2]
    assert [r.seat_number for r in done.already] == [3]
    for seat in (first, second):
        reg = _checked(db, seat.registration.id)
        assert reg.checked_in_at is not None and reg.checked_in_by == exam.proctor.id
        [entry] = audits(db, "registration.checkin", seat.registration.id)
        assert entry.actor_id == exam.proctor.id
        [event] = events(db, seat.registration.id, "checkin")
        assert event.actor_staff_id == exam.proctor.id
    assert _checked(db, third.registration.id).checked_in_at == before
    assert len(audits(db, "registration.checkin", third.registration.id)) == 1
    assert _checked(db, fourth.registration.id).checked_in_at is None


def test_a_batch_with_anyone_of_another_session_changes_nothing(db: Session) -> None:
    exam = room(db, candidates=2)
    other = room(db, candidates=1)
    ids = [exam.seats[0].registration.id or 0, other.seats[0].registration.id or 0]
    with pytest.raises(NotFound) as refused:
        proctoring.check_in_many(
            db, staff=proctor_of(exam), session_id=exam.session.id or 0, registration_ids=ids
        )
    db.rollback()
    assert refused.value.code == "registration_not_found"
    assert _checked(db, exam.seats[0].registration.id).checked_in_at is None
    assert audits(db, "registration.checkin") == []


def test_an_empty_selection_or_a_closed_session_is_refused(db: Session) -> None:
    exam = room(db, candidates=1)
    sid = exam.session.id or 0
    with pytest.raises(ValidationFailed) as empty:
        proctoring.check_in_many(db, staff=proctor_of(exam), session_id=sid, registration_ids=[])
    db.rollback()
    assert empty.value.code == "nothing_selected" and empty.value.message == "请先勾选要签到的考生"
    session = db.get(ExamSession, sid)
    assert session is not None
    session.status = SessionStatus.CLOSED
    db.add(session)
    db.commit()
    with pytest.raises(Conflict):
        proctoring.check_in_many(
            db,
            staff=proctor_of(exam),
            session_id=sid,
            registration_ids=[exam.seats[0].registration.id or 0],
        )
    db.rollback()
    assert _checked(db, exam.seats[0].registration.id).checked_in_at is None


def test_the_batch_dialog_shows_each_photo_beside_the_masked_id_then_checks_in(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=3)
    photos.set_photo(
        db, actor=staff_actor(exam.admin), candidate=exam.seats[0].candidate, data=image_bytes()
    )
    db.commit()
    csrf = page_login(client, exam.proctor.username)
    sid = exam.session.id
    picked = [exam.seats[0], exam.seats[2]]
    query = "&".join(f"registration_ids={s.registration.id}" for s in picked)
    cards = client.get(f"/proctor/sessions/{sid}/cards?{query}", headers=HX)
    assert cards.status_code == 200, cards.text
    assert cards.text.count('class="pc-card pc-card-small') == 2
    assert f'src="/registrations/{exam.seats[0].registration.id}/photo"' in cards.text
    assert "未上传证件照" in cards.text  # the third has none
    for seat in picked:
        assert seat.candidate.name in cards.text
        assert mask_resident_id(seat.id_number) in cards.text and seat.id_number not in cards.text
    assert exam.seats[1].candidate.name not in cards.text

    r = client.post(
        f"/proctor/sessions/{sid}/checkin",
        data={"registration_ids": [str(s.registration.id) for s in picked]},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert "已签到 2 名（1、3 号）" in r.text and r.headers["HX-Trigger"] == "roster-refresh"
    assert _checked(db, exam.seats[0].registration.id).checked_in_at is not None
    assert _checked(db, exam.seats[1].registration.id).checked_in_at is None
    assert _checked(db, exam.seats[2].registration.id).checked_in_at is not None

    again = client.post(
        f"/proctor/sessions/{sid}/checkin",
        data={"registration_ids": [str(exam.seats[0].registration.id)]},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert "1 号此前已签到" in again.text


def test_batch_check_in_through_the_api(client: TestClient, db: Session) -> None:
    exam = room(db, candidates=2)
    headers = staff_token(client, exam.proctor.username)
    ids = [s.registration.id for s in exam.seats]
    r = client.post(
        f"/api/v1/proctor/sessions/{exam.session.id}/checkin",
        json={"registration_ids": ids, "note": "统一核验"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["registration_id"] for c in body["checked_in"]] == ids
    assert body["already_checked_in"] == []
    assert all(c["checked_in_by"] == exam.proctor.id for c in body["checked_in"])
    assert [a.reason for a in audits(db, "registration.checkin")] == ["统一核验", "统一核验"]
    empty = client.post(
        f"/api/v1/proctor/sessions/{exam.session.id}/checkin", json={}, headers=headers
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "nothing_selected"


def test_the_console_has_search_selection_and_a_seat_map_in_rows(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=8)
    session = db.get(ExamSession, exam.session.id)
    assert session is not None
    session.seats_per_row = 5
    db.add(session)
    db.commit()
    check_in(db, exam, exam.seats[6])
    page_login(client, exam.proctor.username)
    page = client.get(f"/proctor/sessions/{exam.session.id}").text
    assert 'id="pc-search"' in page and 'id="pc-batch"' in page
    # A box to pick each candidate not checked in yet; seat 7 is checked in already.
    assert page.count('class="pc-pick"') == 7
    assert f'class="pc-pick" value="{exam.seats[6].registration.id}"' not in page
    # The map: rows of five from the front, every seat with its state.
    assert "讲台（前）" in page and page.count('class="pc-map-row pc-per-row-5"') == 2
    assert page.count('class="pc-seat pc-state-not_checked_in') == 7
    assert page.count('class="pc-seat pc-state-checked_in') == 1
    seat7 = exam.seats[6]
    assert f'data-reg="{seat7.registration.id}" data-seat="7"' in page
    assert f'title="7 号 {seat7.candidate.name}：已签到"' in page
