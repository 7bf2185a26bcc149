"""Delivery services: starting, saving, the deadline, proctor timer actions, leaving."""

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.core import clock
from app.core.config import get_settings
from app.core.errors import DomainError
from app.delivery import saves
from app.delivery import service as delivery
from app.delivery.models import Answer, AttemptEvent, AttemptItem, AttemptStatus, SubmitReason
from app.delivery.questions import question_view
from app.scoring.models import ItemScore
from app.scoring.rules import score_response
from tests.delivery.support import check_in, first_of_type, login_of, paper, reload, start
from tests.factories import MIXED_SECTIONS, make_centre, make_exam, make_staff, staff_actor

GRACE = get_settings().answer_grace_seconds
# Short papers keep the arithmetic readable (theory papers normally run ≥ 90 minutes).
SHORT: dict[str, Any] = {"time_limit_minutes": 30, "allow_short_time": True}


def about(seconds: int | None, expected: int) -> bool:
    """Remaining time as the test computes it, allowing for the seconds the test itself
    takes: the clock runs while it does, and on a loaded CI machine a test has taken 5 s
    (30 s of slack still tells every whole minute the rules add or take apart)."""
    return seconds is not None and expected - 30 <= seconds <= expected


def expect_refusal(code: str, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def events(db: Session, attempt_id: int, kind: str) -> list[AttemptEvent]:
    rows = list(
        db.exec(
            select(AttemptEvent)
            .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind == kind)
            .order_by(col(AttemptEvent.id))
        )
    )
    db.commit()
    return rows


def audits(db: Session, attempt_id: int, action: str) -> list[AuditEntry]:
    rows = list(
        db.exec(
            select(AuditEntry).where(
                AuditEntry.object_type == "attempt",
                AuditEntry.object_id == attempt_id,
                AuditEntry.action == action,
            )
        )
    )
    db.commit()
    return rows


def save(db: Session, seat, position: int, response: dict, seq: int, flagged: bool = False):
    result = delivery.save_answer(
        db,
        login=login_of(seat),
        position=position,
        response=response,
        flagged=flagged,
        client_seq=seq,
    )
    db.commit()
    return result


# --- starting ------------------------------------------------------------------------------


def test_start_before_the_session_start_is_refused_with_the_start_time(db: Session) -> None:
    exam = make_exam(db, candidates=1, starts_at=clock.utcnow() + timedelta(minutes=20))
    check_in(db, exam)
    err = expect_refusal(
        "exam_not_started", delivery.start_attempt, db, login=login_of(exam.seats[0])
    )
    assert "考试尚未开始，开考时间" in err.message
    state = delivery.exam_state(db, login=login_of(exam.seats[0]))
    assert state.phase == "waiting_start"
    assert 19 * 60 <= state.seconds_to_start <= 20 * 60


def test_start_needs_the_proctor_check_in(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    login = login_of(exam.seats[0])
    assert delivery.exam_state(db, login=login).phase == "waiting_checkin"
    err = expect_refusal("checkin_required", delivery.start_attempt, db, login=login)
    assert "请等待监考员核验身份" in err.message
    check_in(db, exam)
    assert delivery.exam_state(db, login=login).phase == "ready"
    assert delivery.start_attempt(db, login=login).status == AttemptStatus.IN_PROGRESS


def test_no_check_in_needed_when_the_plan_says_so(db: Session) -> None:
    exam = make_exam(db, candidates=1, require_checkin=False)
    attempt = delivery.start_attempt(db, login=login_of(exam.seats[0]))
    assert attempt.item_count == 20


def test_start_after_the_late_entry_window_is_refused(db: Session) -> None:
    exam = make_exam(db, candidates=2, late_entry_minutes=15)
    check_in(db, exam)
    clock.travel(timedelta(minutes=14, seconds=50))
    assert delivery.start_attempt(db, login=login_of(exam.seats[0])).id is not None
    clock.travel(timedelta(seconds=11))
    expect_refusal("late_entry_closed", delivery.start_attempt, db, login=login_of(exam.seats[1]))
    assert delivery.exam_state(db, login=login_of(exam.seats[1])).phase == "late"


def test_start_freezes_the_paper_and_late_starters_end_with_everyone(db: Session) -> None:
    exam = make_exam(db, candidates=2, duration_minutes=90)
    check_in(db, exam)
    first = start(db, exam, exam.seats[0])
    clock.travel(timedelta(minutes=10))
    late = start(db, exam, exam.seats[1])
    session_end = exam.session.starts_at + timedelta(minutes=90)
    assert first.deadline_at == late.deadline_at == session_end
    state = delivery.exam_state(db, login=login_of(exam.seats[1]))
    assert state.remaining_seconds is not None and state.remaining_seconds <= 80 * 60
    items = paper(db, late)
    assert [slot.position for slot, _ in items] == list(range(1, 21))
    assert {v.item_type for _, v in items} == {"single_choice", "true_false"}
    assert events(db, late.id or 0, "start")[0].detail["late_seconds"] >= 600


def test_two_starts_at_once_seat_the_candidate_once(db: Session, engine: Engine) -> None:
    # Two tabs pressing start together: the second start reads before the first commits,
    # draws its own paper, and must still end up with the first one's attempt.
    exam = make_exam(db, candidates=1)
    check_in(db, exam, exam.seats[0])
    login = login_of(exam.seats[0])
    first_tab = Session(engine, expire_on_commit=False)
    first = delivery.start_attempt(first_tab, login=login)  # flushed, not committed
    second: list[int | None] = []

    def second_tab() -> None:
        with Session(engine, expire_on_commit=False) as other:
            second.append(delivery.start_attempt(other, login=login).id)
            other.commit()

    thread = threading.Thread(target=second_tab)
    thread.start()
    time.sleep(0.5)  # the second start waits for the first one's write
    first_tab.commit()
    first_tab.close()
    thread.join(timeout=30)
    assert second == [first.id]
    items = db.exec(select(AttemptItem).where(AttemptItem.attempt_id == first.id)).all()
    assert len(items) == 20
    assert len(events(db, first.id or 0, "start")) == 1


def test_an_open_page_is_marked_seen_by_the_presence_writer_not_by_its_poll(
    db: Session,
) -> None:
    exam = make_exam(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    started_seen = reload(db, attempt).last_seen_at
    clock.travel(timedelta(seconds=20))
    delivery.exam_state(db, login=login_of(exam.seats[0]), with_questions=False, seen=True)
    assert not db.dirty and not db.new  # the poll itself writes nothing
    db.commit()
    assert reload(db, attempt).last_seen_at == started_seen
    now = clock.utcnow()
    delivery.mark_present(db, registration_ids=[], now=now)  # every 3 s
    db.commit()
    assert reload(db, attempt).last_seen_at == now


def test_starting_twice_returns_the_same_attempt(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    first = start(db, exam, exam.seats[0])
    again = delivery.start_attempt(db, login=login_of(exam.seats[0]))
    db.commit()
    assert again.id == first.id
    count = db.exec(select(AttemptItem).where(AttemptItem.attempt_id == first.id)).all()
    assert len(count) == 20
    assert len(events(db, first.id or 0, "start")) == 1


def test_shuffled_papers_differ_between_candidates_and_fixed_papers_do_not(
    db: Session,
) -> None:
    shuffled = make_exam(db, candidates=2)
    a = [v.id for _, v in paper(db, start(db, shuffled, shuffled.seats[0]))]
    b = [v.id for _, v in paper(db, start(db, shuffled, shuffled.seats[1]))]
    assert a != b
    from app.exams.models import FormMode

    fixed = make_exam(db, candidates=2, form_mode=FormMode.FIXED)
    c = [v.id for _, v in paper(db, start(db, fixed, fixed.seats[0]))]
    d = [v.id for _, v in paper(db, start(db, fixed, fixed.seats[1]))]
    assert c == d


# --- saving answers ----------------------------------------------------------------------


def test_save_counts_answered_questions_and_clearing_uncounts(db: Session) -> None:
    exam = make_exam(db, candidates=1, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    sc, _ = first_of_type(db, attempt, "single_choice")
    mc, _ = first_of_type(db, attempt, "multiple_choice")
    tf, _ = first_of_type(db, attempt, "true_false")
    fi, _ = first_of_type(db, attempt, "fill_in")

    assert save(db, seat, sc.position, {"choice": sc.option_order[2]}, 1).answered_count == 1
    assert save(db, seat, mc.position, {"choices": ["C", "A", "C"]}, 2).answered_count == 2
    assert save(db, seat, tf.position, {"value": False}, 3).answered_count == 3
    assert save(db, seat, fi.position, {"text": "220"}, 4).answered_count == 4
    # Changing an answer does not count twice; clearing uncounts; a flag alone is no answer.
    assert save(db, seat, sc.position, {"choice": sc.option_order[0]}, 5).answered_count == 4
    assert save(db, seat, fi.position, {"text": "   "}, 6).answered_count == 3
    assert save(db, seat, mc.position, {"choices": []}, 7).answered_count == 2
    result = save(db, seat, fi.position, {}, 8, flagged=True)
    assert result.answered_count == 2

    stored = {a.position: a for a in db.exec(select(Answer).where(Answer.attempt_id == attempt.id))}
    db.commit()
    assert stored[sc.position].response == {"choice": sc.option_order[0]}
    assert stored[mc.position].response == {}
    assert stored[tf.position].response == {"value": False}
    assert stored[fi.position].response == {} and stored[fi.position].flagged
    assert reload(db, attempt).answered_count == 2
    state = delivery.exam_state(db, login=login_of(seat))
    assert state.answered == sorted([sc.position, tf.position])
    assert state.flagged == [fi.position]
    assert len(state.unanswered) == 18
    assert state.last_seq == 8
    assert len(events(db, attempt.id or 0, "answer")) == 8


def test_multiple_choice_is_stored_in_the_bank_order_without_repeats(db: Session) -> None:
    exam = make_exam(db, candidates=1, sections=MIXED_SECTIONS)
    attempt = start(db, exam, exam.seats[0])
    mc, _ = first_of_type(db, attempt, "multiple_choice")
    save(db, exam.seats[0], mc.position, {"choices": ["D", "A", "D"]}, 1)
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert answer.response == {"choices": ["A", "D"]}


def test_older_saves_never_overwrite_newer_ones(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    slot, _ = first_of_type(db, attempt, "single_choice")
    newer = save(db, seat, slot.position, {"choice": "B"}, 7)
    assert newer.seq == 7
    # A retry of seq 5 arriving late is acknowledged with the stored seq, and changes nothing.
    late = save(db, seat, slot.position, {"choice": "A"}, 5)
    assert late.seq == 7 and not late.applied
    repeat = save(db, seat, slot.position, {"choice": "C"}, 7)
    assert repeat.seq == 7
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert answer.response == {"choice": "B"} and answer.client_seq == 7
    assert reload(db, attempt).answered_count == 1
    assert len(events(db, attempt.id or 0, "answer")) == 1


def test_the_write_itself_keeps_the_newer_save_when_writers_race(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers (app instances) may both read the stored answer before either writes.
    The write statement's own condition must then keep the newer save, whichever of the
    two reaches the database last."""
    exam = make_exam(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    slot, _ = first_of_type(db, attempt, "single_choice")
    save(db, seat, slot.position, {"choice": "B"}, 7)

    read_stored = saves._items_and_answers

    def read_before_the_other_writer_committed(conn: Any, wanted: Any) -> Any:
        items, _ = read_stored(conn, wanted)
        return items, {}

    monkeypatch.setattr(saves, "_items_and_answers", read_before_the_other_writer_committed)

    def stored() -> tuple[dict, int]:
        answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
        db.commit()
        return answer.response, answer.client_seq

    save(db, seat, slot.position, {"choice": "A"}, 6)  # older: arrives late
    assert stored() == ({"choice": "B"}, 7)
    save(db, seat, slot.position, {"choice": "C"}, 7)  # the same save number again
    assert stored() == ({"choice": "B"}, 7)
    save(db, seat, slot.position, {"choice": "D"}, 8)  # newer: written
    assert stored() == ({"choice": "D"}, 8)


@pytest.mark.parametrize(
    ("item_type", "response"),
    [
        ("single_choice", {"choice": "Z"}),
        ("single_choice", {"choices": ["A"]}),
        ("single_choice", {"choice": "A", "extra": 1}),
        ("multiple_choice", {"choices": ["A", "Q"]}),
        ("multiple_choice", {"choices": "AC"}),
        ("true_false", {"value": "yes"}),
        ("true_false", {"choice": "A"}),
        ("fill_in", {"text": 220}),
        ("fill_in", {"text": "x" * 201}),
    ],
)
def test_responses_that_do_not_fit_the_item_are_refused(
    db: Session, item_type: str, response: dict
) -> None:
    exam = make_exam(db, candidates=1, sections=MIXED_SECTIONS)
    attempt = start(db, exam, exam.seats[0])
    slot, _ = first_of_type(db, attempt, item_type)
    err = expect_refusal("invalid_response", save, db, exam.seats[0], slot.position, response, 1)
    assert err.status_code == 422
    assert f"第 {slot.position} 题" in err.message


def test_a_position_not_on_the_paper_is_not_found(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    start(db, exam, exam.seats[0])
    for position in (0, 21, -1):
        err = expect_refusal("no_such_question", save, db, exam.seats[0], position, {}, 1)
        assert err.status_code == 404


def test_save_numbers_beyond_the_columns_are_refused(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    start(db, exam, exam.seats[0])
    expect_refusal("invalid_response", save, db, exam.seats[0], 1, {}, 2**31)
    expect_refusal("no_such_question", save, db, exam.seats[0], 2**31, {}, 1)


def test_saving_before_starting_is_refused(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    expect_refusal("attempt_not_started", save, db, exam.seats[0], 1, {"value": True}, 1)


def test_no_answer_is_taken_after_the_deadline_and_grace(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=60, **SHORT)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    slot, _ = first_of_type(db, attempt, "true_false")
    # Travel relative to the deadline, not to "now": setup time on a loaded machine must
    # not move the test out of the grace window.
    clock.travel(attempt.deadline_at + timedelta(seconds=GRACE - 2) - clock.utcnow())
    # Inside the grace window an answer still in flight is taken.
    assert save(db, seat, slot.position, {"value": True}, 1).remaining_seconds == 0
    clock.travel(attempt.deadline_at + timedelta(seconds=GRACE + 1) - clock.utcnow())
    err = expect_refusal("deadline_passed", save, db, seat, slot.position, {"value": False}, 2)
    assert err.status_code == 409
    db.commit()  # the writer commits the close it made; so does this test
    closed = reload(db, attempt)
    assert closed.status == AttemptStatus.SUBMITTED
    assert closed.submit_reason == SubmitReason.TIMEOUT
    assert closed.score is not None
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert answer.response == {"value": True}
    expect_refusal("attempt_closed", save, db, seat, slot.position, {"value": False}, 3)


def test_the_sweeper_closes_attempts_whose_browser_is_gone(db: Session) -> None:
    exam = make_exam(db, candidates=3, duration_minutes=30, **SHORT)
    gone = start(db, exam, exam.seats[0])
    paused = start(db, exam, exam.seats[1])
    delivery.pause_attempt(
        db, attempt_id=paused.id or 0, actor=staff_actor(exam.proctor), reason="电脑死机"
    )
    db.commit()
    clock.travel(timedelta(minutes=30))
    assert delivery.close_expired_attempts(db, clock.utcnow()) == 0  # grace not over yet
    clock.travel(timedelta(seconds=GRACE))
    assert delivery.close_expired_attempts(db, clock.utcnow()) == 1
    db.commit()
    assert delivery.close_expired_attempts(db, clock.utcnow()) == 0  # idempotent
    db.commit()
    closed = reload(db, gone)
    assert (closed.status, closed.submit_reason) == (AttemptStatus.SUBMITTED, "timeout")
    assert closed.score == 0
    submit = events(db, gone.id or 0, "submit")
    assert submit[0].detail["reason"] == "timeout" and submit[0].detail["by"] == "system"
    assert reload(db, paused).status == AttemptStatus.PAUSED  # a stopped clock never runs out
    scores = db.exec(select(ItemScore).where(ItemScore.attempt_id == gone.id)).all()
    db.commit()
    assert len(scores) == 20


def test_nothing_closes_an_attempt_while_answers_may_still_arrive(db: Session) -> None:
    """Answers in flight are taken until the deadline plus the grace window, so until then
    neither the sweeper nor the candidate's own page may close the attempt."""
    exam = make_exam(db, candidates=2, duration_minutes=30, **SHORT)
    swept, polled = (start(db, exam, seat) for seat in exam.seats)
    last_moment = swept.deadline_at + timedelta(seconds=GRACE) - timedelta(milliseconds=1)
    assert delivery.close_expired_attempts(db, last_moment) == 0
    db.commit()
    clock.travel(swept.deadline_at + timedelta(seconds=2) - clock.utcnow())
    state = delivery.exam_state(db, login=login_of(exam.seats[1]))
    db.commit()
    assert state.phase == AttemptStatus.IN_PROGRESS and state.remaining_seconds == 0
    assert delivery.close_expired_attempts(db, clock.utcnow()) == 0
    db.commit()
    assert reload(db, swept).status == reload(db, polled).status == AttemptStatus.IN_PROGRESS
    assert delivery.close_expired_attempts(db, last_moment + timedelta(milliseconds=1)) == 2
    db.commit()
    assert reload(db, swept).submit_reason == reload(db, polled).submit_reason == "timeout"


def test_the_state_closes_an_attempt_whose_time_ran_out(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=30, **SHORT)
    attempt = start(db, exam, exam.seats[0])
    clock.travel(timedelta(minutes=31))
    state = delivery.exam_state(db, login=login_of(exam.seats[0]))
    db.commit()
    assert state.phase == "submitted"
    assert state.submit_message == "考试时间到，已自动交卷"
    assert reload(db, attempt).submit_reason == SubmitReason.TIMEOUT


# --- proctor timer actions ---------------------------------------------------------------


def test_pause_stops_the_clock_and_resume_moves_the_deadline(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=60, **SHORT)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = staff_actor(exam.proctor)
    deadline = attempt.deadline_at
    clock.travel(timedelta(minutes=10))
    delivery.pause_attempt(db, attempt_id=attempt.id or 0, actor=proctor, reason="显示器故障")
    db.commit()
    clock.travel(timedelta(minutes=15))
    state = delivery.exam_state(db, login=login_of(seat))
    assert state.phase == "paused" and about(state.remaining_seconds, 50 * 60)
    expect_refusal("attempt_paused", save, db, seat, 1, {}, 1)
    expect_refusal("attempt_paused", delivery.submit_own_attempt, db, login=login_of(seat))
    resumed = delivery.resume_attempt(
        db, attempt_id=attempt.id or 0, actor=proctor, reason="已更换显示器"
    )
    db.commit()
    moved = resumed.deadline_at - deadline
    assert timedelta(minutes=15) <= moved < timedelta(minutes=15, seconds=3)
    assert about(delivery.exam_state(db, login=login_of(seat)).remaining_seconds, 50 * 60)
    pause_audit = audits(db, attempt.id or 0, "attempt.pause")
    assert pause_audit[0].reason == "显示器故障" and pause_audit[0].actor_id == exam.proctor.id
    assert events(db, attempt.id or 0, "resume")[0].detail["paused_seconds"] == 15 * 60
    expect_refusal(
        "not_paused", delivery.resume_attempt, db, attempt_id=attempt.id, actor=proctor, reason="x"
    )


def test_extra_time_running_and_paused(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=60, **SHORT)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = staff_actor(exam.proctor)
    delivery.add_extra_time(
        db, attempt_id=attempt.id or 0, minutes=10, actor=proctor, reason="考生为听障人士"
    )
    db.commit()
    assert about(delivery.exam_state(db, login=login_of(seat)).remaining_seconds, 70 * 60)
    delivery.pause_attempt(db, attempt_id=attempt.id or 0, actor=proctor, reason="停电")
    delivery.add_extra_time(
        db, attempt_id=attempt.id or 0, minutes=5, actor=proctor, reason="停电补时"
    )
    db.commit()
    assert about(delivery.exam_state(db, login=login_of(seat)).remaining_seconds, 75 * 60)
    assert reload(db, attempt).extra_seconds == 15 * 60
    assert [a.reason for a in audits(db, attempt.id or 0, "attempt.extra_time")] == [
        "考生为听障人士",
        "停电补时",
    ]
    expect_refusal(
        "reason_required",
        delivery.add_extra_time,
        db,
        attempt_id=attempt.id,
        minutes=5,
        actor=proctor,
        reason="  ",
    )
    expect_refusal(
        "invalid_minutes",
        delivery.add_extra_time,
        db,
        attempt_id=attempt.id,
        minutes=0,
        actor=proctor,
        reason="x",
    )


def test_force_submit_closes_scores_and_records_who_and_why(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    save(db, seat, 1, {}, 1)
    delivery.force_submit(
        db, attempt_id=attempt.id or 0, actor=staff_actor(exam.proctor), reason="携带手机作弊"
    )
    db.commit()
    closed = reload(db, attempt)
    assert closed.submit_reason == SubmitReason.FORCED and closed.score is not None
    entry = audits(db, attempt.id or 0, "attempt.force_submit")[0]
    assert entry.reason == "携带手机作弊" and entry.actor_id == exam.proctor.id
    assert events(db, attempt.id or 0, "submit")[0].actor_staff_id == exam.proctor.id
    expect_refusal("attempt_closed", save, db, seat, 1, {"value": True}, 2)
    state = delivery.exam_state(db, login=login_of(seat))
    assert state.submit_message == "监考员已收卷"


def test_reopen_gives_back_the_time_left_when_it_was_closed(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=60, **SHORT)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    proctor = staff_actor(exam.proctor)
    clock.travel(timedelta(minutes=20))
    delivery.force_submit(db, attempt_id=attempt.id or 0, actor=proctor, reason="误点收卷")
    db.commit()
    clock.travel(timedelta(minutes=5))
    delivery.reopen_attempt(
        db, attempt_id=attempt.id or 0, actor=proctor, reason="误收卷，恢复作答", extra_minutes=2
    )
    db.commit()
    state = delivery.exam_state(db, login=login_of(seat))
    assert state.phase == "in_progress"
    assert about(state.remaining_seconds, 42 * 60)  # 40 left at closing + 2
    reopened = reload(db, attempt)
    assert reopened.score is None and reopened.submitted_at is None
    assert db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all() == []
    entry = audits(db, attempt.id or 0, "attempt.reopen")[0]
    assert entry.reason == "误收卷，恢复作答"
    assert about(entry.detail["time_returned_seconds"], 40 * 60)
    assert about(save(db, seat, 1, {}, 1).remaining_seconds, 42 * 60)


def test_reopen_after_a_time_out_needs_extra_minutes(db: Session) -> None:
    exam = make_exam(db, candidates=1, duration_minutes=30, **SHORT)
    attempt = start(db, exam, exam.seats[0])
    proctor = staff_actor(exam.proctor)
    clock.travel(timedelta(minutes=31))
    delivery.close_expired_attempts(db, clock.utcnow())
    db.commit()
    expect_refusal(
        "reopen_needs_time",
        delivery.reopen_attempt,
        db,
        attempt_id=attempt.id,
        actor=proctor,
        reason="时钟故障",
    )
    delivery.reopen_attempt(
        db, attempt_id=attempt.id or 0, actor=proctor, reason="时钟故障", extra_minutes=10
    )
    db.commit()
    assert about(delivery.exam_state(db, login=login_of(exam.seats[0])).remaining_seconds, 600)


def test_a_candidates_own_submission_cannot_be_reopened(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    delivery.submit_own_attempt(db, login=login_of(exam.seats[0]))
    db.commit()
    expect_refusal(
        "reopen_not_allowed",
        delivery.reopen_attempt,
        db,
        attempt_id=attempt.id,
        actor=staff_actor(exam.proctor),
        reason="考生要求",
        extra_minutes=10,
    )


def test_candidate_submit_is_idempotent(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    start(db, exam, exam.seats[0])
    first = delivery.submit_own_attempt(db, login=login_of(exam.seats[0]))
    db.commit()
    again = delivery.submit_own_attempt(db, login=login_of(exam.seats[0]))
    db.commit()
    assert first.submitted_at == again.submitted_at
    assert len(events(db, first.id or 0, "submit")) == 1


def test_another_centres_proctor_cannot_touch_the_attempt(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    stranger = staff_actor(make_staff(db, Role.PROCTOR, make_centre(db)))
    examiner = staff_actor(exam.examiner)
    db.commit()
    for action in (delivery.pause_attempt, delivery.force_submit):
        err = expect_refusal(
            "attempt_not_found", action, db, attempt_id=attempt.id, actor=stranger, reason="x"
        )
        assert err.status_code == 404
    expect_refusal(
        "role_forbidden",
        delivery.pause_attempt,
        db,
        attempt_id=attempt.id,
        actor=examiner,
        reason="x",
    )
    assert reload(db, attempt).status == AttemptStatus.IN_PROGRESS


# --- leaving the exam window --------------------------------------------------------------


def test_leaving_the_window_up_to_the_limit_submits(db: Session) -> None:
    exam = make_exam(db, candidates=1, leave_limit=3)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    login = login_of(seat)
    for n in (1, 2):
        out = delivery.record_event(db, login=login, kind="blur")
        delivery.record_event(db, login=login, kind="focus")
        db.commit()
        assert (out.leave_count, out.submitted_now) == (n, False)
    delivery.record_event(db, login=login, kind="reconnect")
    last = delivery.record_event(db, login=login, kind="blur")
    db.commit()
    assert last.submitted_now and last.status == AttemptStatus.SUBMITTED
    closed = reload(db, attempt)
    assert (closed.submit_reason, closed.leave_count) == (SubmitReason.LEAVE_LIMIT, 3)
    alert = events(db, attempt.id or 0, "leave_limit")[0]
    assert "达到上限 3 次" in alert.detail["reason"]
    assert len(events(db, attempt.id or 0, "blur")) == 3
    assert len(events(db, attempt.id or 0, "focus")) == 2
    # Leaving after submission counts nothing more.
    assert delivery.record_event(db, login=login, kind="blur").leave_count == 3
    assert delivery.exam_state(db, login=login).submit_message.startswith("离开考试界面次数")


def test_leaving_without_a_limit_is_only_counted(db: Session) -> None:
    exam = make_exam(db, candidates=1)
    start(db, exam, exam.seats[0])
    for _ in range(5):
        out = delivery.record_event(db, login=login_of(exam.seats[0]), kind="blur")
    assert out.leave_count == 5 and out.status == AttemptStatus.IN_PROGRESS
    expect_refusal(
        "invalid_event_kind", delivery.record_event, db, login=login_of(exam.seats[0]), kind="x"
    )


def test_reopening_a_leave_limit_closure_resets_the_count(db: Session) -> None:
    exam = make_exam(db, candidates=1, leave_limit=1)
    attempt = start(db, exam, exam.seats[0])
    delivery.record_event(db, login=login_of(exam.seats[0]), kind="blur")
    db.commit()
    delivery.reopen_attempt(
        db, attempt_id=attempt.id or 0, actor=staff_actor(exam.proctor), reason="系统弹窗误判"
    )
    db.commit()
    reopened = reload(db, attempt)
    assert reopened.status == AttemptStatus.IN_PROGRESS and reopened.leave_count == 0
    assert audits(db, attempt.id or 0, "attempt.reopen")[0].detail["previous_leave_count"] == 1


def test_an_ordering_answer_is_saved_place_by_place_and_scored_whole(db: Session) -> None:
    sections = [
        {"item_type": "single_choice", "count": 8, "points": 5},
        {"item_type": "multiple_choice", "count": 4, "points": 5},
        {"item_type": "true_false", "count": 4, "points": 5},
        {"item_type": "ordering", "count": 4, "points": 5},
    ]
    exam = make_exam(db, candidates=1, sections=sections, with_ordering=True)
    attempt = start(db, exam, exam.seats[0])
    item, version = first_of_type(db, attempt, "ordering")
    assert sorted(item.option_order) == ["A", "B", "C", "D"]
    save(db, exam.seats[0], item.position, {"order": ["C", "A"]}, 1)
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert answer.response == {"order": ["C", "A", "", ""]}
    save(db, exam.seats[0], item.position, {"order": ["C", "A", "D", "B"]}, 2)
    outcome = score_response(
        item_type="ordering",
        key=version.key,
        points=item.points,
        response={"order": ["C", "A", "D", "B"]},
    )
    assert outcome.awarded == 5


def test_a_matching_answer_is_saved_prompt_by_prompt_and_scored_whole(db: Session) -> None:
    sections = [
        {"item_type": "single_choice", "count": 12, "points": 5},
        {"item_type": "matching", "count": 8, "points": 5},
    ]
    exam = make_exam(db, candidates=1, sections=sections, with_matching=True)
    attempt = start(db, exam, exam.seats[0])
    item, version = first_of_type(db, attempt, "matching")
    assert sorted(item.option_order) == ["A", "B", "C", "D"]
    # The page gets the prompts, never the key.
    view = question_view(version, item.option_order)
    assert view["prompts"] == ["题项一", "题项二", "题项三"] and "answer" not in view
    save(db, exam.seats[0], item.position, {"matches": ["C", "", ""]}, 1)
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert answer.response == {"matches": ["C", "", ""]}
    err = expect_refusal(
        "invalid_response", save, db, exam.seats[0], item.position, {"matches": ["C", "E"]}, 2
    )
    assert "所选选项不属于本题" in err.message
    db.rollback()

    def scored(matches: list[str]) -> float:
        return score_response(
            item_type="matching", key=version.key, points=item.points, response={"matches": matches}
        ).awarded

    assert (scored(["C", "A", "C"]), scored(["C", "A", ""])) == (5, 0)


def test_the_pages_messages_are_found_without_reading_the_candidates_answer_events(
    engine: Engine,
) -> None:
    """Every status poll asks for the candidate's latest proctor messages: looked up by
    registration alone, it read every answer event the candidate saved, so each poll grew
    with the exam's progress."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    statement = delivery._MESSAGES.params(registration_id=1)
    sql = statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    assert plan == [
        "SEARCH attemptevent USING INDEX ix_attemptevent_registration_id_kind_id "
        "(registration_id=? AND kind=?)"
    ], plan
