"""The proctor console's services: roster states and alerts, check-in, timer actions,
room-wide pause, incidents, the session log, and who may do what."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from app.delivery import service as delivery
from app.delivery.models import AttemptStatus, SubmitReason
from app.exams import sessions
from app.exams.models import ExamSession, Registration, SessionStatus
from app.proctoring import service as proctoring
from app.proctoring.models import Incident
from tests.delivery.support import login_of
from tests.factories import make_centre, make_staff, staff_actor
from tests.proctoring.support import (
    QueryCounter,
    attempt_of,
    audits,
    check_in,
    events,
    proctor_of,
    ran_down_from,
    room,
    row_of,
    start,
)


def field_of(error: DomainError) -> list[str]:
    return [d.get("field", "") for d in error.details]


# --- roster ---------------------------------------------------------------------------------


def test_roster_shows_every_state_with_progress_time_and_leaves(db: Session) -> None:
    exam = room(db, candidates=5)
    waiting, checked, running, paused, forced = exam.seats
    proctor = proctor_of(exam)
    check_in(db, exam, checked)
    start(db, exam, running)
    delivery.save_answer(
        db,
        login=login_of(running),
        position=1,
        response={"choice": "A"},
        flagged=False,
        client_seq=1,
    )
    delivery.record_event(db, login=login_of(running), kind="blur")
    db.commit()
    pause = start(db, exam, paused)
    proctoring.pause(db, staff=proctor, attempt_id=pause.id or 0, reason="设备故障")
    gone = start(db, exam, forced)
    proctoring.force_submit(db, staff=proctor, attempt_id=gone.id or 0, reason="携带手机")
    db.commit()

    states = {s.registration.id: row_of(db, exam, s).state_name for s in exam.seats}
    assert [states[s.registration.id] for s in exam.seats] == [
        "未签到",
        "已签到",
        "考试中",
        "已暂停",
        "已交卷",
    ]
    row = row_of(db, exam, running)
    assert (row.answered_count, row.item_count, row.leave_count) == (1, 20, 1)
    assert row.remaining_seconds is not None and 59 * 60 < row.remaining_seconds <= 60 * 60
    forced_row = row_of(db, exam, forced)
    assert forced_row.submit_reason_name == "强制收卷" and forced_row.remaining_seconds is None
    assert row_of(db, exam, waiting).attempt_id is None

    r = proctoring.roster(db, staff=proctor, session_id=exam.session.id or 0)
    db.commit()
    assert r.counts == {
        "not_checked_in": 1,
        "checked_in": 1,
        "in_progress": 1,
        "paused": 1,
        "submitted": 1,
        "absent": 0,
    }
    assert [row.seat_number for row in r.rows] == sorted(row.seat_number for row in r.rows)


def test_remaining_time_runs_down_and_stands_still_while_paused(db: Session) -> None:
    exam = room(db, candidates=2)
    running, paused = exam.seats
    start(db, exam, running)
    held = start(db, exam, paused)
    before = row_of(db, exam, running).remaining_seconds
    assert before is not None
    proctoring.pause(db, staff=proctor_of(exam), attempt_id=held.id or 0, reason="停电")
    db.commit()
    at_pause = row_of(db, exam, paused).remaining_seconds

    clock.travel(timedelta(minutes=10))

    after = row_of(db, exam, running).remaining_seconds
    assert after is not None and before - 600 - 30 <= after <= before - 600
    assert row_of(db, exam, paused).remaining_seconds == at_pause


def test_the_id_number_shows_only_its_last_four_characters(db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    row = row_of(db, exam, seat)
    assert seat.id_number not in row.id_number_masked
    assert row.id_number_masked.endswith(seat.id_number[-4:])
    assert seat.id_number[6:14] not in row.id_number_masked  # no birth date


@pytest.mark.parametrize(
    ("how", "reason_name"),
    [("candidate", "考生交卷"), ("timeout", "超时"), ("leave_limit", "切屏超限")],
)
def test_submitted_rows_say_why(db: Session, how: str, reason_name: str) -> None:
    exam = room(db, candidates=1, leave_limit=2)
    seat = exam.seats[0]
    start(db, exam, seat)
    if how == "candidate":
        delivery.submit_own_attempt(db, login=login_of(seat))
    elif how == "timeout":
        clock.travel(timedelta(minutes=61))
        assert delivery.close_expired_attempts(db, clock.utcnow()) == 1
    else:
        for _ in range(2):
            delivery.record_event(db, login=login_of(seat), kind="blur")
    db.commit()
    row = row_of(db, exam, seat)
    assert (row.state_name, row.submit_reason_name) == ("已交卷", reason_name)
    assert row.reopenable == (how != "candidate")  # a candidate's own submission is final


def test_alerts_name_leave_limit_submissions_recent_leaves_and_silent_pages(
    db: Session,
) -> None:
    exam = room(db, candidates=3, leave_limit=3)
    over, left, quiet = exam.seats
    for seat in exam.seats:
        start(db, exam, seat)
    for _ in range(3):
        delivery.record_event(db, login=login_of(over), kind="blur")
    db.commit()
    clock.travel(timedelta(seconds=50))
    delivery.record_event(db, login=login_of(left), kind="blur")
    delivery.exam_state(db, login=login_of(over), with_questions=False, seen=True)
    delivery.mark_present(db, registration_ids=[], now=clock.utcnow())  # the presence writer
    db.commit()
    # quiet: last seen 57 s ago; left: 7 s ago (within NOT_SEEN_SECONDS)
    clock.travel(timedelta(seconds=proctoring.NOT_SEEN_SECONDS - 3))

    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    assert [row.disconnected for row in r.rows] == [False, False, True]  # over is submitted
    found = {(a.kind, a.registration_id) for a in r.alerts}
    assert found == {
        ("leave_limit_submitted", over.registration.id),
        ("left_window", left.registration.id),
        ("not_seen", quiet.registration.id),
    }
    assert r.alerts[0].kind == "leave_limit_submitted"  # the gravest first

    # The page pings again: the candidate is no longer flagged; old leaves drop off.
    delivery.exam_state(db, login=login_of(quiet), with_questions=False, seen=True)
    delivery.mark_present(db, registration_ids=[], now=clock.utcnow())
    db.commit()
    clock.travel(timedelta(minutes=proctoring.RECENT_LEAVE_MINUTES))
    delivery.exam_state(db, login=login_of(quiet), with_questions=False, seen=True)
    delivery.exam_state(db, login=login_of(left), with_questions=False, seen=True)
    delivery.mark_present(db, registration_ids=[], now=clock.utcnow())
    db.commit()
    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    assert {a.kind for a in r.alerts} == {"leave_limit_submitted"}


def test_a_second_login_is_an_alert_before_and_after_the_start_for_five_minutes(
    db: Session,
) -> None:
    exam = room(db, candidates=3)
    started, waiting, _other = exam.seats  # the third never logs in twice
    start(db, exam, started)
    for seat, ip in ((started, "10.0.0.7"), (waiting, "")):
        delivery.record_relogin(
            db, registration_id=seat.registration.id or 0, ended=1, client_ip=ip
        )
    db.commit()

    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    relogins = {a.registration_id: a.message for a in r.alerts if a.kind == "relogin"}
    assert relogins == {
        started.registration.id: "该准考证在另一处登录（10.0.0.7），前一登录已结束：请核对考生身份",
        waiting.registration.id: "该准考证在另一处登录，前一登录已结束：请核对考生身份",
    }
    assert r.alerts[0].kind == "relogin"  # nothing graver in the room

    clock.travel(timedelta(minutes=proctoring.RECENT_LEAVE_MINUTES, seconds=1))
    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    assert [a for a in r.alerts if a.kind == "relogin"] == []


def test_the_roster_reads_events_only_through_the_attempt_kind_time_index(
    db: Session, engine: Engine
) -> None:
    """The regression the console poll had: events looked up by registration read every
    answer event of the room, so each poll grew with the answers saved."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    statement = proctoring._RECENT_EVENTS.params(session_id=1, since=clock.utcnow())
    sql = statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    searches = [step for step in plan if "attemptevent" in step]
    assert len(searches) == 2, plan
    assert all("ix_attemptevent_attempt_id_kind_at" in step for step in searches), plan


def test_a_clock_at_zero_is_flagged_and_left_to_the_sweeper_not_paused(db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    start(db, exam, seat)
    clock.travel(timedelta(minutes=60, seconds=1))  # past the end, inside the save grace
    r = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    assert [(a.kind, a.registration_id) for a in r.alerts] == [("time_up", seat.registration.id)]
    assert r.rows[0].remaining_seconds == 0
    with pytest.raises(Conflict) as caught:
        proctoring.pause_room(
            db, staff=proctor_of(exam), session_id=exam.session.id or 0, reason="停电"
        )
    assert caught.value.code == "nothing_to_pause"
    db.rollback()


def test_the_roster_takes_the_same_few_queries_for_a_full_room(db: Session, engine: Engine) -> None:
    small = room(db, candidates=2)
    big = room(db, candidates=32)
    for exam in (small, big):
        for seat in exam.seats[:2]:
            start(db, exam, seat)
        proctoring.record_incident(
            db,
            staff=proctor_of(exam),
            registration_id=exam.seats[0].registration.id or 0,
            reason_code="late_arrival",
        )
        db.commit()
    for seat in big.seats[2:20]:
        start(db, big, seat)
    counts = []
    for exam in (small, big):
        with QueryCounter(engine) as counter:
            proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
        db.commit()
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 8


# --- check-in -------------------------------------------------------------------------------


def test_check_in_records_who_when_and_is_idempotent(db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    reg_id = seat.registration.id or 0
    proctoring.check_in(db, staff=proctor_of(exam), registration_id=reg_id, note="人证合一")
    db.commit()
    first = db.get(Registration, reg_id)
    assert first is not None and first.checked_in_by == exam.proctor.id
    when = first.checked_in_at
    assert when is not None
    db.commit()

    clock.travel(timedelta(minutes=2))
    proctoring.check_in(
        db, staff=staff_actor(exam.proctors[1]), registration_id=reg_id, note="again"
    )
    db.commit()
    again = db.get(Registration, reg_id, populate_existing=True)
    assert again is not None and (again.checked_in_at, again.checked_in_by) == (
        when,
        exam.proctor.id,
    )
    db.commit()
    [entry] = audits(db, "registration.checkin", reg_id)
    assert entry.actor_id == exam.proctor.id and entry.reason == "人证合一"
    [event] = events(db, reg_id, "checkin")
    assert event.actor_staff_id == exam.proctor.id and event.at == when
    # Checked in, the candidate may start (the plan requires check-in).
    delivery.start_attempt(db, login=login_of(seat))
    db.commit()


# --- timer actions --------------------------------------------------------------------------


def test_pause_and_resume_record_who_and_why_and_stop_the_clock(db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = proctor_of(exam)
    proctoring.pause(db, staff=proctor, attempt_id=attempt.id or 0, reason="显示器黑屏")
    db.commit()
    held = row_of(db, exam, seat).remaining_seconds
    clock.travel(timedelta(minutes=7))
    assert row_of(db, exam, seat).remaining_seconds == held
    proctoring.resume(db, staff=proctor, attempt_id=attempt.id or 0, reason="已更换电脑")
    db.commit()
    assert row_of(db, exam, seat).state_name == "考试中"
    assert ran_down_from(row_of(db, exam, seat).remaining_seconds, held)

    [paused] = audits(db, "attempt.pause", attempt.id)
    [resumed] = audits(db, "attempt.resume", attempt.id)
    assert (paused.actor_id, paused.reason) == (exam.proctor.id, "显示器黑屏")
    assert (resumed.actor_id, resumed.reason) == (exam.proctor.id, "已更换电脑")
    assert timedelta(minutes=7) <= resumed.at - paused.at < timedelta(minutes=7, seconds=3)
    [event] = events(db, seat.registration.id, "pause")
    assert event.actor_staff_id == exam.proctor.id and event.detail["reason"] == "显示器黑屏"


def test_extra_time_adds_minutes_within_limits(db: Session) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = proctor_of(exam)
    proctoring.pause(db, staff=proctor, attempt_id=attempt.id or 0, reason="停电")
    db.commit()
    before = row_of(db, exam, seat).remaining_seconds
    assert before is not None
    proctoring.add_extra_time(
        db, staff=proctor, attempt_id=attempt.id or 0, minutes=10, reason="停电补时"
    )
    db.commit()
    assert row_of(db, exam, seat).remaining_seconds == before + 600
    [entry] = audits(db, "attempt.extra_time", attempt.id)
    assert entry.reason == "停电补时" and entry.detail["minutes"] == 10
    for minutes in (0, 61, None):
        with pytest.raises(ValidationFailed) as caught:
            proctoring.add_extra_time(
                db, staff=proctor, attempt_id=attempt.id or 0, minutes=minutes, reason="x"
            )
        assert field_of(caught.value) == ["minutes"]
        db.rollback()


def test_force_submit_closes_with_reason_forced_and_reopen_gives_time_back(
    db: Session,
) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = proctor_of(exam)
    clock.travel(timedelta(minutes=20))
    left_at_close = row_of(db, exam, seat).remaining_seconds
    assert left_at_close is not None
    proctoring.force_submit(db, staff=proctor, attempt_id=attempt.id or 0, reason="误点收卷")
    db.commit()
    closed = attempt_of(db, attempt.id)
    assert (closed.status, closed.submit_reason) == (AttemptStatus.SUBMITTED, SubmitReason.FORCED)
    [forced] = audits(db, "attempt.force_submit", attempt.id)
    assert (forced.actor_id, forced.reason) == (exam.proctor.id, "误点收卷")

    clock.travel(timedelta(minutes=5))
    proctoring.reopen(
        db, staff=proctor, attempt_id=attempt.id or 0, reason="误收卷，恢复作答", extra_minutes=3
    )
    db.commit()
    row = row_of(db, exam, seat)
    assert row.state_name == "考试中" and row.submit_reason is None
    assert row.remaining_seconds is not None
    assert left_at_close + 180 - 30 <= row.remaining_seconds <= left_at_close + 180
    [reopened] = audits(db, "attempt.reopen", attempt.id)
    assert reopened.reason == "误收卷，恢复作答" and reopened.detail["extra_minutes"] == 3


@pytest.mark.parametrize("action", ["pause", "resume", "extra", "force", "reopen", "room"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_every_timer_action_needs_a_reason(db: Session, action: str, reason: str) -> None:
    exam = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    proctor = proctor_of(exam)
    calls = {
        "pause": lambda: proctoring.pause(db, staff=proctor, attempt_id=attempt.id, reason=reason),
        "resume": lambda: proctoring.resume(
            db, staff=proctor, attempt_id=attempt.id, reason=reason
        ),
        "extra": lambda: proctoring.add_extra_time(
            db, staff=proctor, attempt_id=attempt.id, minutes=5, reason=reason
        ),
        "force": lambda: proctoring.force_submit(
            db, staff=proctor, attempt_id=attempt.id, reason=reason
        ),
        "reopen": lambda: proctoring.reopen(
            db, staff=proctor, attempt_id=attempt.id, reason=reason
        ),
        "room": lambda: proctoring.pause_room(
            db, staff=proctor, session_id=exam.session.id, reason=reason
        ),
    }
    with pytest.raises(ValidationFailed) as caught:
        calls[action]()
    assert field_of(caught.value) == ["reason"]
    db.rollback()
    assert audits(db, f"attempt.{action}") == []
    assert attempt_of(db, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_a_closed_session_takes_no_more_timer_actions_or_check_ins(db: Session) -> None:
    exam = room(db, candidates=2)
    attempt = start(db, exam, exam.seats[0])
    session = db.get(ExamSession, exam.session.id)
    assert session is not None
    session.status = SessionStatus.CLOSED
    db.add(session)
    db.commit()
    proctor = proctor_of(exam)
    with pytest.raises(Conflict):
        proctoring.pause(db, staff=proctor, attempt_id=attempt.id or 0, reason="x")
    db.rollback()
    with pytest.raises(Conflict):
        proctoring.check_in(db, staff=proctor, registration_id=exam.seats[1].registration.id or 0)
    db.rollback()
    # The incident record may still be written after the exam.
    proctoring.record_incident(
        db,
        staff=proctor,
        registration_id=exam.seats[0].registration.id or 0,
        reason_code="suspected_cheating",
        note="收卷后发现草稿纸上有抄写内容",
    )
    db.commit()


# --- the whole room -------------------------------------------------------------------------


def test_room_pause_pauses_everyone_in_progress_and_resume_resumes_them(db: Session) -> None:
    exam = room(db, candidates=4)
    a, b, c, _waiting = exam.seats
    attempts = [start(db, exam, s) for s in (a, b, c)]
    proctor = proctor_of(exam)
    proctoring.force_submit(db, staff=proctor, attempt_id=attempts[2].id or 0, reason="作弊")
    db.commit()
    sid = exam.session.id or 0

    paused = proctoring.pause_room(db, staff=proctor, session_id=sid, reason="全场停电")
    db.commit()
    assert paused.attempt_ids == [attempts[0].id, attempts[1].id]
    assert [row_of(db, exam, s).state_name for s in exam.seats] == [
        "已暂停",
        "已暂停",
        "已交卷",
        "未签到",
    ]
    [room_entry] = audits(db, "session.pause_all", sid)
    assert room_entry.reason == "全场停电" and room_entry.actor_id == exam.proctor.id
    assert [e.reason for e in audits(db, "attempt.pause")] == ["全场停电", "全场停电"]
    held = row_of(db, exam, a).remaining_seconds
    clock.travel(timedelta(minutes=4))
    assert row_of(db, exam, a).remaining_seconds == held

    resumed = proctoring.resume_room(db, staff=proctor, session_id=sid, reason="恢复供电")
    db.commit()
    assert resumed.count == 2
    assert [row_of(db, exam, s).state_name for s in (a, b)] == ["考试中", "考试中"]
    assert ran_down_from(row_of(db, exam, a).remaining_seconds, held)
    with pytest.raises(Conflict) as caught:
        proctoring.resume_room(db, staff=proctor, session_id=sid, reason="再来一次")
    assert caught.value.code == "nothing_to_resume"
    db.rollback()


# --- incidents ------------------------------------------------------------------------------


def test_incidents_are_recorded_listed_and_flagged_on_the_roster(db: Session) -> None:
    exam = room(db, candidates=2)
    seat = exam.seats[0]
    proctor = proctor_of(exam)
    reg_id = seat.registration.id or 0
    incident = proctoring.record_incident(
        db, staff=proctor, registration_id=reg_id, reason_code="late_arrival", note="迟到 10 分钟"
    )
    proctoring.record_incident(
        db, staff=proctor, registration_id=reg_id, reason_code="identity_doubt", note="照片不符"
    )
    db.commit()
    assert incident.recorded_by == exam.proctor.id
    [entry] = audits(db, "incident.record", incident.id)
    assert entry.reason == "迟到 10 分钟" and entry.detail["registration_id"] == reg_id
    listed = proctoring.list_incidents(db, staff=proctor, session_id=exam.session.id or 0)
    db.commit()
    assert [v.reason_name for v in listed] == ["身份存疑", "迟到"]
    assert listed[0].candidate_name == seat.candidate.name
    assert row_of(db, exam, seat).incident_count == 2
    assert row_of(db, exam, exam.seats[1]).incident_count == 0


@pytest.mark.parametrize(
    ("code", "note", "field"),
    [("", "x", "reason_code"), ("bad_code", "x", "reason_code"), ("other", "  ", "note")],
)
def test_an_incident_needs_a_known_reason_and_a_note_for_other(
    db: Session, code: str, note: str, field: str
) -> None:
    exam = room(db, candidates=1)
    with pytest.raises(ValidationFailed) as caught:
        proctoring.record_incident(
            db,
            staff=proctor_of(exam),
            registration_id=exam.seats[0].registration.id or 0,
            reason_code=code,
            note=note,
        )
    assert field in field_of(caught.value)
    db.rollback()
    assert db.exec(select(Incident)).all() == []


# --- the session log ------------------------------------------------------------------------


def test_the_session_log_shows_who_did_what_and_why_newest_first_once(db: Session) -> None:
    exam = room(db, candidates=2)
    seat, other = exam.seats
    proctor = proctor_of(exam)
    attempt = start(db, exam, seat)
    clock.travel(timedelta(seconds=1))
    delivery.save_answer(
        db, login=login_of(seat), position=1, response={"choice": "A"}, flagged=False, client_seq=1
    )
    delivery.record_event(db, login=login_of(seat), kind="blur")
    db.commit()
    clock.travel(timedelta(seconds=1))
    proctoring.add_extra_time(
        db, staff=proctor, attempt_id=attempt.id or 0, minutes=5, reason="机器重启"
    )
    db.commit()
    clock.travel(timedelta(seconds=1))
    proctoring.record_incident(
        db, staff=proctor, registration_id=other.registration.id or 0, reason_code="illness"
    )
    db.commit()
    clock.travel(timedelta(seconds=1))
    delivery.submit_own_attempt(db, login=login_of(seat))
    db.commit()

    log = proctoring.session_log(db, staff=proctor, session_id=exam.session.id or 0)
    db.commit()
    recent = [(e.what, e.who, e.reason) for e in log.entries[:5]]
    who = exam.proctor.display_name
    assert recent == [
        ("交卷", seat.candidate.name, "您已交卷"),
        ("记录考场事件", who, ""),
        ("延长时间", who, "机器重启"),
        ("离开考试窗口", seat.candidate.name, ""),
        ("开始作答", seat.candidate.name, ""),
    ]
    assert [e.subject for e in log.entries[:2]] == [
        f"{seat.registration.seat_number} 号 {seat.candidate.name}",
        f"{other.registration.seat_number} 号 {other.candidate.name}",
    ]
    assert "作答" not in [e.what for e in log.entries]  # per-answer events stay out
    assert [e.what for e in log.entries].count("签到（人证合一）") == 1  # once, not twice
    assert [e.at for e in log.entries] == sorted((e.at for e in log.entries), reverse=True)

    with_answers = proctoring.session_log(
        db, staff=proctor, session_id=exam.session.id or 0, include_answers=True
    )
    db.commit()
    assert with_answers.total == log.total + 1

    page2 = proctoring.session_log(
        db, staff=proctor, session_id=exam.session.id or 0, page=2, per_page=3
    )
    db.commit()
    assert page2.pages == -(-log.total // 3)
    assert [e.what for e in page2.entries] == [e.what for e in log.entries[3:6]]


# --- who may do what ------------------------------------------------------------------------


def test_only_assigned_proctors_and_centre_admins_reach_a_session(db: Session) -> None:
    exam = room(db, candidates=1)
    sid = exam.session.id or 0
    seat_reg = exam.seats[0].registration.id or 0
    unassigned = staff_actor(make_staff(db, Role.PROCTOR, exam.centre))
    examiner = staff_actor(exam.examiner)
    stranger_centre = make_centre(db)
    stranger = staff_actor(make_staff(db, Role.PROCTOR, stranger_centre))
    stranger_admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, stranger_centre))
    db.commit()

    proctoring.roster(db, staff=staff_actor(exam.admin), session_id=sid)
    proctoring.roster(db, staff=staff_actor(exam.proctors[1]), session_id=sid)
    db.commit()
    with pytest.raises(PermissionDenied):
        proctoring.roster(db, staff=unassigned, session_id=sid)
    with pytest.raises(PermissionDenied):
        proctoring.check_in(db, staff=unassigned, registration_id=seat_reg)
    with pytest.raises(PermissionDenied):
        proctoring.roster(db, staff=examiner, session_id=sid)
    for outsider in (stranger, stranger_admin):
        with pytest.raises(NotFound):
            proctoring.roster(db, staff=outsider, session_id=sid)
        with pytest.raises(NotFound):
            proctoring.check_in(db, staff=outsider, registration_id=seat_reg)
    db.rollback()
    reg = db.get(Registration, seat_reg)
    assert reg is not None and reg.checked_in_at is None


def test_my_sessions_lists_assigned_ones_today_first_with_counts(db: Session) -> None:
    yesterday = room(db, candidates=1, starts_at=clock.utcnow() - timedelta(days=1))
    centre = yesterday.centre
    tomorrow = room(db, candidates=1, centre=centre, starts_at=clock.utcnow() + timedelta(days=1))
    today = room(db, candidates=3, centre=centre)
    not_mine = room(db, candidates=1, centre=centre)
    proctor = today.proctor
    for exam in (yesterday, tomorrow):
        sessions.assign_proctors(
            db,
            actor=staff_actor(exam.admin),
            session_id=exam.session.id or 0,
            proctor_ids=[proctor.id or 0],
        )
    db.commit()
    start(db, today, today.seats[0])
    check_in(db, today, today.seats[1])

    mine = proctoring.list_sessions(db, staff=staff_actor(proctor))
    db.commit()
    assert [s.session.id for s in mine] == [
        today.session.id,
        tomorrow.session.id,
        yesterday.session.id,
    ]
    first = mine[0]
    assert first.is_today and (first.registered, first.checked_in, first.in_progress) == (3, 2, 1)
    everything = proctoring.list_sessions(db, staff=staff_actor(today.admin))
    db.commit()
    assert not_mine.session.id in {s.session.id for s in everything}
