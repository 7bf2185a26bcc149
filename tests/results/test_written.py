"""results.written: written answers (简答, 论述/计算) marked by people — double marking, a
third mark beyond the tolerance, the chief examiner's arbitration, the theory score that
waits for them, blind marking, and what is refused."""

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.principals import Staff
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.delivery import service as delivery_service
from app.delivery.models import Attempt
from app.results import records, written
from app.results.schemas import MarkIn, MarkingJobIn
from app.scoring import service as scoring
from app.scoring.models import ItemScore
from tests.factories import make_staff, staff_actor
from tests.scoring.builders import OPTIONS, ItemSpec, Paper, make_attempt, make_paper

KEY = {
    "reference": "防止正转、反转接触器同时吸合造成电源相间短路。",
    "marking_points": [
        {"point": "说明互锁防止两接触器同时吸合", "points": 3},
        {"point": "指出否则造成相间短路", "points": 2},
    ],
}
# 60 points of choice, then two written items of 20 each (the paper's points, not the
# items' 5: marking points scale).
SPECS = (
    ItemSpec(0, "single_choice", {"answer": "B"}, 30, "A", "001", OPTIONS),
    ItemSpec(0, "single_choice", {"answer": "A"}, 30, "B", "001", OPTIONS),
    ItemSpec(1, "short_answer", KEY, 20, "B", "002"),
    ItemSpec(1, "short_answer", KEY, 20, "C", "001"),
)
ANSWERS = {
    1: {"choice": "B"},
    2: {"choice": "C"},
    3: {"text": "互锁使两个接触器不能同时吸合。"},
    4: {"text": "否则会短路。"},
}


def setup(db: Session, *, candidates: int = 1) -> tuple[Paper, list[Attempt], list[Staff], Staff]:
    paper = make_paper(db, specs=SPECS)
    admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, paper.centre))
    markers = [staff_actor(make_staff(db, Role.EXAMINER, paper.centre)) for _ in range(4)]
    attempts = []
    for _ in range(candidates):
        a = make_attempt(db, paper, answers=ANSWERS)
        delivery_service.score_attempt(db, attempt_id=a.id or 0)
        attempts.append(a)
    written.set_marking_job(
        db,
        actor=admin,
        exam_session_id=paper.session.id or 0,
        data=MarkingJobIn(examiner_ids=[m.id for m in markers], chief_examiner_id=markers[0].id),
    )
    return paper, attempts, markers, admin


def job_id(db: Session, paper: Paper, admin: Staff) -> int:
    job = written.session_job(db, actor=admin, exam_session_id=paper.session.id or 0)
    assert job is not None and job.id is not None
    return job.id


def mark_item(db: Session, jid: int, marker: Staff, version_id: int, score: float) -> int:
    r = written.next_response(db, actor=marker, job_id=jid, item_version_id=version_id)
    assert r is not None
    written.submit_mark(
        db, actor=marker, job_id=jid, response_id=r.response_id, data=MarkIn(score=score)
    )
    return r.response_id


def test_the_theory_score_waits_for_the_written_answers(db: Session) -> None:
    _paper, [attempt], _markers, _admin = setup(db)
    assert attempt.score is None
    outcomes = {s.position: s.outcome for s in scoring.item_scores(db, attempt.id or 0).values()}
    assert outcomes == {1: "correct", 2: "wrong", 3: "pending", 4: "pending"}


def test_two_agreeing_marks_settle_and_the_paper_is_scored_when_none_is_pending(
    db: Session,
) -> None:
    paper, [attempt], markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    v3, v4 = paper.versions[2].id or 0, paper.versions[3].id or 0
    # Tolerance 20 % of 20 points = 4: 14 and 17 agree; the mean 15.5.
    mark_item(db, jid, markers[1], v3, 14)
    mark_item(db, jid, markers[2], v3, 17)
    assert scoring.item_scores(db, attempt.id or 0)[3].awarded == 15.5
    db.refresh(attempt)
    assert attempt.score is None  # item 4 still pending
    mark_item(db, jid, markers[1], v4, 6)
    mark_item(db, jid, markers[3], v4, 6)
    db.refresh(attempt)
    assert attempt.score == 30 + 15.5 + 6


def test_beyond_the_tolerance_a_third_marks_and_the_nearer_mark_counts(db: Session) -> None:
    paper, [attempt], markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    v3 = paper.versions[2].id or 0
    mark_item(db, jid, markers[1], v3, 8)
    rid = mark_item(db, jid, markers[2], v3, 16)  # 8 apart > 4: third marking
    assert scoring.item_scores(db, attempt.id or 0)[3].outcome == "pending"
    # Neither of the first two gets it again; the fourth examiner is asked for the third.
    assert written.next_response(db, actor=markers[1], job_id=jid, item_version_id=v3) is None
    third = written.next_response(db, actor=markers[3], job_id=jid, item_version_id=v3)
    assert third is not None and third.response_id == rid and third.third
    written.submit_mark(db, actor=markers[3], job_id=jid, response_id=rid, data=MarkIn(score=15))
    assert scoring.item_scores(db, attempt.id or 0)[3].awarded == 15.5  # (15 + 16) / 2


def test_a_third_mark_beyond_both_goes_to_the_chief_who_decides_with_a_reason(
    db: Session,
) -> None:
    paper, [attempt], markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    v3 = paper.versions[2].id or 0
    mark_item(db, jid, markers[1], v3, 2)
    rid = mark_item(db, jid, markers[2], v3, 18)
    mark_item(db, jid, markers[3], v3, 10)  # 8 from each: beyond 4
    with pytest.raises(PermissionDenied):
        written.arbitration_queue(db, actor=markers[1], job_id=jid)
    [waiting] = written.arbitration_queue(db, actor=markers[0], job_id=jid)
    assert [m["score"] for m in waiting.marks] == [2, 18, 10]
    with pytest.raises(ValidationFailed) as err:
        written.arbitrate(db, actor=markers[0], job_id=jid, response_id=rid, score=11, reason=" ")
    assert err.value.code == "reason_required"
    written.arbitrate(
        db, actor=markers[0], job_id=jid, response_id=rid, score=11, reason="要点一答出一半"
    )
    assert scoring.item_scores(db, attempt.id or 0)[3].awarded == 11
    with pytest.raises(Conflict):
        written.arbitrate(
            db, actor=markers[0], job_id=jid, response_id=rid, score=12, reason="再议"
        )


def test_marking_is_blind_and_by_item_across_candidates(db: Session) -> None:
    paper, _attempts, markers, admin = setup(db, candidates=3)
    jid = job_id(db, paper, admin)
    v3 = paper.versions[2].id or 0
    seen = []
    while (
        r := written.next_response(db, actor=markers[1], job_id=jid, item_version_id=v3)
    ) is not None:
        dumped = r.model_dump()
        assert not {"attempt_id", "ticket_number", "seat_number", "candidate_name"} & set(dumped)
        assert r.text == ANSWERS[3]["text"] and r.reference == KEY["reference"]
        # The item's 3 + 2 marking points, in the paper's 20 points.
        assert [p["points"] for p in r.marking_points] == [12, 8]
        seen.append(r.number)
        written.submit_mark(
            db, actor=markers[1], job_id=jid, response_id=r.response_id, data=MarkIn(score=10)
        )
    assert sorted(seen) == [1, 2, 3]
    view = written.job_for_marker(db, actor=markers[1], job_id=jid)
    [item3] = [i for i in view.items if i.item_version_id == v3]
    assert (item3.responses, item3.marked_by_me, item3.to_mark_by_me, item3.final) == (3, 3, 0, 0)


def test_refused_marks_change_nothing(db: Session) -> None:
    paper, [attempt], markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    v3 = paper.versions[2].id or 0
    r = written.next_response(db, actor=markers[1], job_id=jid, item_version_id=v3)
    assert r is not None
    for bad, code in (
        (20.5, "mark_out_of_range"),
        (-1, "mark_out_of_range"),
        (3.3, "mark_off_step"),
    ):
        with pytest.raises(ValidationFailed) as err:
            written.submit_mark(
                db, actor=markers[1], job_id=jid, response_id=r.response_id, data=MarkIn(score=bad)
            )
        assert err.value.code == code
    written.submit_mark(
        db, actor=markers[1], job_id=jid, response_id=r.response_id, data=MarkIn(score=10)
    )
    with pytest.raises(Conflict) as err:
        written.submit_mark(
            db, actor=markers[1], job_id=jid, response_id=r.response_id, data=MarkIn(score=12)
        )
    assert err.value.code == "already_marked"
    written.submit_mark(
        db, actor=markers[2], job_id=jid, response_id=r.response_id, data=MarkIn(score=11)
    )
    with pytest.raises(Conflict) as err:  # settled by two agreeing marks
        written.submit_mark(
            db, actor=markers[3], job_id=jid, response_id=r.response_id, data=MarkIn(score=11)
        )
    assert err.value.code == "marking_done"
    assert scoring.item_scores(db, attempt.id or 0)[3].awarded == 10.5


def test_only_the_jobs_examiners_mark_and_another_centre_sees_nothing(db: Session) -> None:
    paper, _attempts, markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    v3 = paper.versions[2].id or 0
    outsider = staff_actor(make_staff(db, Role.EXAMINER, paper.centre))
    with pytest.raises(PermissionDenied):
        written.next_response(db, actor=outsider, job_id=jid, item_version_id=v3)
    foreign = make_paper(db)
    stranger = staff_actor(make_staff(db, Role.EXAMINER, foreign.centre))
    with pytest.raises(NotFound):
        written.next_response(db, actor=stranger, job_id=jid, item_version_id=v3)
    assert written.marker_jobs(db, actor=stranger) == []
    [mine] = written.marker_jobs(db, actor=markers[1])
    assert mine.id == jid and not mine.is_chief


def test_a_job_needs_three_examiners_of_the_centre_and_a_chief_among_them(db: Session) -> None:
    paper = make_paper(db)
    admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, paper.centre))
    two = [make_staff(db, Role.EXAMINER, paper.centre) for _ in range(2)]
    proctor = make_staff(db, Role.PROCTOR, paper.centre)
    sid = paper.session.id or 0
    for ids, chief, field in (
        ([u.id for u in two], two[0].id, "examiner_ids"),
        ([*(u.id for u in two), proctor.id], two[0].id, "examiner_ids"),
        ([u.id for u in two], 99999, "chief_examiner_id"),
    ):
        with pytest.raises(ValidationFailed) as err:
            written.set_marking_job(
                db,
                actor=admin,
                exam_session_id=sid,
                data=MarkingJobIn(examiner_ids=[i or 0 for i in ids], chief_examiner_id=chief or 0),
            )
        assert field in {d["field"] for d in err.value.details}
    assert written.session_job(db, actor=admin, exam_session_id=sid) is None


def test_the_tolerance_is_fixed_once_marking_began(db: Session) -> None:
    paper, _attempts, markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    mark_item(db, jid, markers[1], paper.versions[2].id or 0, 10)
    with pytest.raises(Conflict):
        written.set_marking_job(
            db,
            actor=admin,
            exam_session_id=paper.session.id or 0,
            data=MarkingJobIn(
                examiner_ids=[m.id for m in markers],
                chief_examiner_id=markers[0].id,
                tolerance_percent=30,
            ),
        )


def test_a_blank_written_answer_scores_nought_unmarked(db: Session) -> None:
    paper = make_paper(db, specs=SPECS)
    a = make_attempt(db, paper, answers={1: {"choice": "B"}, 2: {"choice": "A"}})
    assert delivery_service.score_attempt(db, attempt_id=a.id or 0) == 60


def test_an_attempt_being_marked_cannot_be_reopened(db: Session) -> None:
    paper, [attempt], markers, admin = setup(db)
    attempt.submit_reason = "forced"
    db.add(attempt)
    mark_item(db, job_id(db, paper, admin), markers[1], paper.versions[2].id or 0, 10)
    with pytest.raises(Conflict) as err:
        delivery_service.reopen_attempt(
            db, attempt_id=attempt.id or 0, actor=admin, reason="误收卷", extra_minutes=5
        )
    assert err.value.code == "marking_started"


def test_rescoring_keeps_the_examiners_settled_marks(db: Session) -> None:
    paper, [attempt], markers, admin = setup(db)
    jid = job_id(db, paper, admin)
    for v in (paper.versions[2].id or 0, paper.versions[3].id or 0):
        mark_item(db, jid, markers[1], v, 10)
        mark_item(db, jid, markers[2], v, 10)
    assert delivery_service.score_attempt(db, attempt_id=attempt.id or 0) == 50
    rows = db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()
    assert sorted(r.awarded for r in rows) == [0, 10, 10, 30]


def test_results_wait_for_marking_then_take_the_theory_score(db: Session) -> None:
    paper, [_attempt], markers, admin = setup(db)
    plan_id = paper.plan.id or 0
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    [row] = records.plan_results(db, actor=admin, plan_id=plan_id).rows
    theory = row.components[0]
    assert (theory.status, theory.note) == ("pending", "主观题待评阅")
    jid = job_id(db, paper, admin)
    for v in (paper.versions[2].id or 0, paper.versions[3].id or 0):
        mark_item(db, jid, markers[1], v, 10)
        mark_item(db, jid, markers[2], v, 10)
    records.refresh_results(db, actor=admin, plan_id=plan_id)
    [row] = records.plan_results(db, actor=admin, plan_id=plan_id).rows
    assert row.components[0].score == 50


def test_marking_is_audited(db: Session) -> None:
    from app.audit.models import AuditEntry

    paper, _attempts, markers, admin = setup(db)
    mark_item(db, job_id(db, paper, admin), markers[1], paper.versions[2].id or 0, 10)
    actions = [e.action for e in db.exec(select(AuditEntry))]
    assert "marking_job.create" in actions and "written.mark" in actions
