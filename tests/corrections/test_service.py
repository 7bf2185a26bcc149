"""Corrections (更正) to plans, sessions, registrations and candidates: each audited with
who and why, each refused once the candidates concerned started; the staffing rule at the
opening; 缺考 once entry closed."""

from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.corrections import service as corrections
from app.delivery import service as delivery
from app.delivery.errors import RoomUnderstaffed, SessionEnded
from app.exams import sessions
from app.exams.models import Candidate, ExamPlan, ExamSession, Registration, SessionStatus
from app.exams.schemas import CandidateIn, PlanUpdate, SessionUpdate
from app.proctoring import service as proctoring
from app.results import service as results
from tests.delivery.support import login_of
from tests.factories import (
    ExamFixture,
    Seat,
    make_plan,
    make_registration,
    make_session,
    make_staff,
    staff_actor,
)
from tests.helpers import candidate_token
from tests.proctoring.support import audits, check_in, proctor_of, room, start


def admin(exam: ExamFixture):  # type: ignore[no-untyped-def]
    return staff_actor(exam.admin)


def fresh(db: Session, model: type, obj_id: int | None):  # type: ignore[no-untyped-def]
    db.rollback()
    found = db.get(model, obj_id, populate_existing=True)
    db.commit()
    return found


def second_session(db: Session, exam: ExamFixture, **kw: object) -> ExamSession:
    s = make_session(db, exam.plan, admin=exam.admin, proctors=exam.proctors, **kw)  # type: ignore[arg-type]
    db.commit()
    return s


# --- withdrawal ---------------------------------------------------------------------------


def test_a_withdrawn_candidate_leaves_the_room_their_ticket_is_void_and_never_reused(
    client: TestClient, db: Session
) -> None:
    exam = room(db, candidates=3)
    gone = exam.seats[2]
    token = candidate_token(client, gone.ticket_number, gone.id_number)
    corrections.withdraw_registration(
        db, actor=admin(exam), registration_id=gone.registration.id or 0, reason="本人申请退考"
    )
    db.commit()
    reg = fresh(db, Registration, gone.registration.id)
    assert reg.withdrawn_at is not None and reg.withdrawn_by == exam.admin.id
    [entry] = audits(db, "registration.withdraw", reg.id)
    assert entry.actor_id == exam.admin.id and entry.reason == "本人申请退考"
    # Off the console, the page's counts and the results.
    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    assert [row.seat_number for row in r.rows] == [1, 2]
    detail = sessions.session_detail(db, actor=admin(exam), session_id=exam.session.id or 0)
    assert detail.summary.candidate_count == 2 and len(detail.registrations) == 2
    db.commit()
    # The open login ended; a new one says why.
    assert client.get("/api/v1/exam/status", headers=token).status_code == 401
    r2 = client.post(
        "/api/v1/auth/candidate-login",
        json={"ticket_number": gone.ticket_number, "id_number": gone.id_number},
    )
    assert r2.status_code == 401 and r2.json()["error"]["code"] == "registration_withdrawn"
    assert "该准考证已作废" in r2.json()["error"]["message"]
    # The next candidate gets seat 4, not the withdrawn seat 3.
    new = make_registration(db, exam.session, admin=exam.admin)
    db.commit()
    assert new.seat_number == 4


def test_withdrawal_is_refused_once_the_candidate_started(db: Session) -> None:
    exam = room(db, candidates=1)
    start(db, exam, exam.seats[0])
    with pytest.raises(Conflict) as refused:
        corrections.withdraw_registration(
            db, actor=admin(exam), registration_id=exam.seats[0].registration.id or 0, reason="x"
        )
    db.rollback()
    assert refused.value.code == "attempt_started"
    assert refused.value.message == "已有考生开始作答，不能撤销报名"
    assert fresh(db, Registration, exam.seats[0].registration.id).withdrawn_at is None
    assert audits(db, "registration.withdraw") == []


def test_a_reason_is_required_and_nothing_changes_without_one(db: Session) -> None:
    exam = room(db, candidates=1)
    with pytest.raises(ValidationFailed):
        corrections.withdraw_registration(
            db, actor=admin(exam), registration_id=exam.seats[0].registration.id or 0, reason=" "
        )
    db.rollback()
    assert fresh(db, Registration, exam.seats[0].registration.id).withdrawn_at is None


# --- moves --------------------------------------------------------------------------------


def test_a_move_gives_a_new_seat_and_ticket_in_the_other_session_and_back_again(
    db: Session,
) -> None:
    exam = room(db, candidates=2)
    later = second_session(db, exam, starts_at=clock.utcnow() + timedelta(days=1))
    seat = exam.seats[1]
    check_in(db, exam, seat)
    moved = corrections.move_registration(
        db,
        actor=admin(exam),
        registration_id=seat.registration.id or 0,
        session_id=later.id or 0,
        reason="与单位培训冲突",
    )
    db.commit()
    assert moved.new.session_id == later.id and moved.new.seat_number == 1
    assert moved.new.ticket_number != seat.ticket_number
    assert moved.summary.startswith(f"已调到新场次，新准考证号 {moved.new.ticket_number}")
    old = fresh(db, Registration, seat.registration.id)
    assert old.withdrawn_at is not None and old.checked_in_at is None
    [entry] = audits(db, "registration.move", old.id)
    assert entry.reason == "与单位培训冲突"
    assert entry.detail["to_ticket"] == moved.new.ticket_number
    # And back: the old seat and ticket are theirs again (never given to anyone else).
    back = corrections.move_registration(
        db,
        actor=admin(exam),
        registration_id=moved.new.id or 0,
        session_id=exam.session.id or 0,
        reason="冲突已解决",
    )
    db.commit()
    assert back.new.id == seat.registration.id and back.new.ticket_number == seat.ticket_number
    assert fresh(db, Registration, seat.registration.id).withdrawn_at is None


def test_a_moved_candidate_keeps_the_eligibility_they_were_registered_by(
    db: Session,
) -> None:
    exam = room(db, candidates=2)
    later = second_session(db, exam, starts_at=clock.utcnow() + timedelta(days=1))
    by_route, by_override = exam.seats[0].registration, exam.seats[1].registration
    by_route.eligibility_route = "years"
    by_override.eligibility_route = ""
    by_override.eligibility_override_reason = "经人社局批准破格参评"
    by_override.eligibility_override_by = exam.admin.id
    db.add_all([by_route, by_override])
    db.commit()
    moved = [
        corrections.move_registration(
            db,
            actor=admin(exam),
            registration_id=reg.id or 0,
            session_id=later.id or 0,
            reason="调到第2场",
        ).new
        for reg in (by_route, by_override)
    ]
    db.commit()
    route, override = (fresh(db, Registration, r.id) for r in moved)
    assert route.eligibility_route == "years" and route.eligibility_override_reason is None
    assert override.eligibility_route == ""
    assert override.eligibility_override_reason == "经人社局批准破格参评"
    assert override.eligibility_override_by == exam.admin.id


def test_a_move_only_within_the_plan_to_an_open_session_and_not_after_the_start(
    db: Session,
) -> None:
    exam = room(db, candidates=2)
    other_plan = make_plan(db, exam.blueprint, admin=exam.admin)
    elsewhere = make_session(db, other_plan, admin=exam.admin, proctors=exam.proctors)
    cancelled = second_session(db, exam, starts_at=clock.utcnow() + timedelta(days=2))
    corrections.cancel_session(db, actor=admin(exam), session_id=cancelled.id or 0, reason="停电")
    db.commit()
    reg_id = exam.seats[0].registration.id or 0
    for target, message in (
        (elsewhere.id, "只能调到同一考试计划的其他场次"),
        (cancelled.id, "目标场次已关闭或已取消"),
        (exam.session.id, "考生已在该场次"),
    ):
        with pytest.raises(Conflict) as refused:
            corrections.move_registration(
                db, actor=admin(exam), registration_id=reg_id, session_id=target or 0, reason="x"
            )
        db.rollback()
        assert refused.value.message == message
    start(db, exam, exam.seats[1])
    later = second_session(db, exam, starts_at=clock.utcnow() + timedelta(days=1))
    with pytest.raises(Conflict) as started:
        corrections.move_registration(
            db,
            actor=admin(exam),
            registration_id=exam.seats[1].registration.id or 0,
            session_id=later.id or 0,
            reason="x",
        )
    db.rollback()
    assert started.value.code == "attempt_started"
    assert audits(db, "registration.move") == []


# --- candidates ---------------------------------------------------------------------------


def test_a_candidates_name_is_corrected_before_the_start_and_kept_after(db: Session) -> None:
    exam = room(db, candidates=2)
    seat = exam.seats[0]
    c = seat.candidate
    before = c.name
    corrections.update_candidate(
        db,
        actor=admin(exam),
        candidate_id=c.id or 0,
        data=CandidateIn(name="张维", id_number=c.id_number, phone="13900000000"),
        reason="姓名录入错误",
    )
    db.commit()
    assert fresh(db, Candidate, c.id).name == "张维"
    [entry] = audits(db, "candidate.update", c.id)
    assert entry.reason == "姓名录入错误" and entry.detail["changes"]["name"] == [before, "张维"]
    start(db, exam, seat)
    with pytest.raises(Conflict) as refused:
        corrections.update_candidate(
            db,
            actor=admin(exam),
            candidate_id=c.id or 0,
            data=CandidateIn(name="张伟", id_number=c.id_number),
            reason="again",
        )
    db.rollback()
    assert refused.value.code == "attempt_started"
    assert fresh(db, Candidate, c.id).name == "张维"
    # Contact details may still change.
    corrections.update_candidate(
        db,
        actor=admin(exam),
        candidate_id=c.id or 0,
        data=CandidateIn(name="张维", id_number=c.id_number, phone="13911111111"),
        reason="新号码",
    )
    db.commit()
    assert fresh(db, Candidate, c.id).phone == "13911111111"


def test_an_id_number_of_another_candidate_is_refused(db: Session) -> None:
    exam = room(db, candidates=2)
    a, b = exam.seats[0].candidate, exam.seats[1].candidate
    with pytest.raises(Conflict) as refused:
        corrections.update_candidate(
            db,
            actor=admin(exam),
            candidate_id=a.id or 0,
            data=CandidateIn(name=a.name, id_number=b.id_number),
            reason="更正",
        )
    db.rollback()
    assert refused.value.code == "id_number_taken"
    assert fresh(db, Candidate, a.id).id_number == exam.seats[0].id_number


# --- sessions and plans -------------------------------------------------------------------


def test_a_session_is_moved_later_with_a_reason_and_a_past_start_needs_confirming(
    db: Session,
) -> None:
    exam = room(db, candidates=1, starts_at=clock.utcnow() + timedelta(hours=2))
    sid = exam.session.id or 0
    soon = (clock.utcnow() + timedelta(hours=3)).replace(tzinfo=UTC, second=0, microsecond=0)
    corrections.update_session(
        db,
        actor=admin(exam),
        session_id=sid,
        data=SessionUpdate(starts_at=soon, room="302 机房", reason="机房调整"),
    )
    db.commit()
    s = fresh(db, ExamSession, sid)
    assert s.room == "302 机房" and s.starts_at == soon.replace(tzinfo=None)
    [entry] = audits(db, "session.update", sid)
    assert entry.reason == "机房调整" and set(entry.detail["changes"]) == {"room", "starts_at"}
    past = (clock.utcnow() - timedelta(hours=1)).replace(tzinfo=UTC)
    with pytest.raises(ValidationFailed) as refused:
        corrections.update_session(
            db, actor=admin(exam), session_id=sid, data=SessionUpdate(starts_at=past, reason="x")
        )
    db.rollback()
    assert [d["field"] for d in refused.value.details] == ["starts_at"]
    corrections.update_session(
        db,
        actor=admin(exam),
        session_id=sid,
        data=SessionUpdate(starts_at=past, confirm_past_start=True, reason="补录已开考场次"),
    )
    db.commit()
    assert fresh(db, ExamSession, sid).starts_at == past.replace(tzinfo=None)


def test_the_start_as_the_page_shows_it_to_the_minute_is_no_change(db: Session) -> None:
    # A session created with seconds (API, factories); the page's field sends the minute.
    begins = (clock.utcnow() + timedelta(hours=2)).replace(second=37, microsecond=5)
    exam = room(db, candidates=1, starts_at=begins)
    sid = exam.session.id or 0
    shown = clock.to_china(begins)
    assert shown is not None
    corrections.update_session(
        db,
        actor=admin(exam),
        session_id=sid,
        data=SessionUpdate(
            starts_at=shown.replace(tzinfo=None, second=0, microsecond=0),
            room="305 机房",
            reason="换机房",
        ),
    )
    db.commit()
    assert fresh(db, ExamSession, sid).starts_at == begins
    [entry] = audits(db, "session.update", sid)
    assert set(entry.detail["changes"]) == {"room"}


def test_a_session_with_a_started_candidate_is_neither_changed_nor_cancelled(
    db: Session,
) -> None:
    exam = room(db, candidates=1)
    start(db, exam, exam.seats[0])
    sid = exam.session.id or 0
    for act in (
        lambda: corrections.update_session(
            db, actor=admin(exam), session_id=sid, data=SessionUpdate(room="x", reason="r")
        ),
        lambda: corrections.cancel_session(db, actor=admin(exam), session_id=sid, reason="r"),
    ):
        with pytest.raises(Conflict) as refused:
            act()
        db.rollback()
        assert refused.value.code == "attempt_started"
    s = fresh(db, ExamSession, sid)
    assert s.status == SessionStatus.SCHEDULED and s.room == "第1考场"


def test_a_cancelled_session_lets_nobody_start(db: Session) -> None:
    exam = room(db, candidates=1)
    check_in(db, exam, exam.seats[0])
    corrections.cancel_session(
        db, actor=admin(exam), session_id=exam.session.id or 0, reason="停电"
    )
    db.commit()
    with pytest.raises(SessionEnded) as refused:
        delivery.start_attempt(db, login=login_of(exam.seats[0]))
    db.rollback()
    assert refused.value.message == "本场考试已取消"
    state = delivery.exam_state(db, login=login_of(exam.seats[0]), with_questions=False)
    db.commit()
    assert state.phase == "ended" and state.session_cancelled
    [entry] = audits(db, "session.cancel", exam.session.id)
    assert entry.reason == "停电"


def test_a_plan_is_corrected_then_cancelled_with_its_sessions(db: Session) -> None:
    exam = room(db, candidates=1, starts_at=clock.utcnow() + timedelta(hours=2))
    pid = exam.plan.id or 0
    corrections.update_plan(
        db,
        actor=admin(exam),
        plan_id=pid,
        data=PlanUpdate(late_entry_minutes=15, allow_calculator=True, reason="按通知调整"),
    )
    db.commit()
    plan = fresh(db, ExamPlan, pid)
    assert plan.late_entry_minutes == 15 and plan.allow_calculator
    [entry] = audits(db, "plan.update", pid)
    assert entry.detail["changes"]["late_entry_minutes"] == [30, 15]
    with pytest.raises(ValidationFailed):
        corrections.update_plan(
            db, actor=admin(exam), plan_id=pid, data=PlanUpdate(late_entry_minutes=-1, reason="x")
        )
    db.rollback()
    corrections.cancel_plan(db, actor=admin(exam), plan_id=pid, reason="上级通知取消")
    db.commit()
    assert fresh(db, ExamPlan, pid).cancelled_at is not None
    assert fresh(db, ExamSession, exam.session.id).status == SessionStatus.CANCELLED
    assert len(audits(db, "session.cancel")) == 1 and len(audits(db, "plan.cancel")) == 1


def test_a_plan_with_a_started_candidate_is_not_changed(db: Session) -> None:
    exam = room(db, candidates=1)
    start(db, exam, exam.seats[0])
    with pytest.raises(Conflict) as refused:
        corrections.update_plan(
            db, actor=admin(exam), plan_id=exam.plan.id or 0, data=PlanUpdate(name="x", reason="r")
        )
    db.rollback()
    assert refused.value.code == "attempt_started"


def test_another_centres_registration_does_not_exist(db: Session) -> None:
    exam = room(db, candidates=1)
    other = room(db, candidates=1)
    with pytest.raises(NotFound):
        corrections.withdraw_registration(
            db, actor=admin(exam), registration_id=other.seats[0].registration.id or 0, reason="x"
        )
    db.rollback()


# --- staffing at the opening --------------------------------------------------------------


def test_an_understaffed_room_does_not_open_until_an_admin_overrides_with_a_reason(
    db: Session,
) -> None:
    exam = room(db, candidates=1)
    thin = make_session(db, exam.plan, admin=exam.admin, proctors=[exam.proctor])
    reg = make_registration(db, thin, admin=exam.admin)
    db.commit()
    cand = db.get(Candidate, reg.candidate_id)
    assert cand is not None
    seat = Seat(reg, cand)
    proctoring.check_in(db, staff=proctor_of(exam), registration_id=reg.id or 0)
    db.commit()
    state = delivery.exam_state(db, login=login_of(seat), with_questions=False)
    db.commit()
    assert state.phase == "waiting_staff"
    with pytest.raises(RoomUnderstaffed):
        delivery.start_attempt(db, login=login_of(seat))
    db.rollback()
    console = proctoring.roster(db, staff=proctor_of(exam), session_id=thin.id or 0)
    db.commit()
    assert console.opening_refusal is not None
    assert "每个考场至少需要 2 名监考员，目前只有 1 名" in console.opening_refusal
    with pytest.raises(ValidationFailed):
        sessions.override_staffing(db, actor=admin(exam), session_id=thin.id or 0, reason="")
    db.rollback()
    sessions.override_staffing(
        db, actor=admin(exam), session_id=thin.id or 0, reason="另一监考员突发疾病，考生已到场"
    )
    db.commit()
    [entry] = audits(db, "session.staffing_override", thin.id)
    assert entry.actor_id == exam.admin.id and entry.detail["problems"]
    attempt = delivery.start_attempt(db, login=login_of(seat))
    db.commit()
    assert attempt.id is not None


def test_a_well_staffed_room_needs_no_override(db: Session) -> None:
    exam = room(db, candidates=1)
    with pytest.raises(Conflict) as refused:
        sessions.override_staffing(
            db, actor=admin(exam), session_id=exam.session.id or 0, reason="x"
        )
    db.rollback()
    assert refused.value.code == "staffing_ok"


def test_a_proctor_added_later_opens_the_room(db: Session) -> None:
    exam = room(db, candidates=1)
    thin = make_session(db, exam.plan, admin=exam.admin, proctors=[exam.proctor])
    db.commit()
    assert sessions.opening_refusal(db, thin) is not None
    sessions.assign_proctors(
        db,
        actor=admin(exam),
        session_id=thin.id or 0,
        proctor_ids=[exam.proctor.id or 0, make_staff(db, exam.proctor.role, exam.centre).id or 0],
    )
    db.commit()
    assert sessions.opening_refusal(db, thin) is None


# --- 缺考 ---------------------------------------------------------------------------------


def test_after_entry_closes_who_never_started_reads_absent_on_console_and_results(
    db: Session,
) -> None:
    exam = room(db, candidates=2, late_entry_minutes=10)
    start(db, exam, exam.seats[0])
    sid = exam.session.id or 0
    row = {
        r.seat_number: r for r in proctoring.roster(db, staff=proctor_of(exam), session_id=sid).rows
    }
    db.commit()
    assert row[2].state_name == "未签到"
    clock.travel(timedelta(minutes=11))
    rows = {
        r.seat_number: r for r in proctoring.roster(db, staff=proctor_of(exam), session_id=sid).rows
    }
    db.commit()
    assert rows[2].state_name == "缺考" and rows[1].state_name == "考试中"
    table = results.session_results(db, staff=staff_actor(exam.examiner), session_id=sid)
    db.commit()
    assert [r.status_name for r in table.rows] == ["作答中", "缺考"]
