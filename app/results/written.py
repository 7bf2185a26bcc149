"""Marking the written answers of a theory paper (主观题阅卷: 简答, 论述/计算) by people.

The centre admin sets a marking job for a theory session: its examiners (three or more,
so that a third mark can always come from someone new) and the chief (阅卷组长), and the
tolerance. Examiners mark by item, as national marking centres do: they pick an item and
are given its responses one after another, across candidates, with no name, ticket or
seat, and never another examiner's mark. Every response is marked twice (双评); when the
two differ by more than the tolerance a third examiner marks (三评); when the third is
beyond it from both, the chief examiner decides (仲裁) with a reason. The rules are
app/results/rules.py (`written_state`); a settled score goes to the attempt's item scores
(app/scoring) and, once no response of the paper is pending, the theory score is set and
the result can be summed up (app/results/records.py).

A response is addressed by its item score's id (`response_id`): it names no attempt, so a
marker cannot look the candidate up; examiners see a number per item (第 7 份) drawn from a
per-job shuffle, not the seat order."""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import StaffUser
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.banks.models import Item, ItemVersion
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.delivery.models import Answer, Attempt, AttemptItem, AttemptStatus
from app.exams import sessions
from app.exams.common import centre_for, invalid
from app.exams.models import ExamSession
from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType, Outcome
from app.itemtypes.written import scaled_points
from app.results import rules
from app.results.models import MarkingJob, MarkingJobMember
from app.results.practical import checked_panel
from app.results.schemas import (
    MarkIn,
    MarkingJobIn,
    MarkingJobOut,
    PanelMemberOut,
    ResponseToMark,
    WrittenArbitration,
    WrittenItemOut,
    WrittenMarkOut,
)
from app.scoring import service as scoring
from app.scoring.models import ItemScore, ResponseArbitration, ResponseMark

log = logging.getLogger(__name__)

WRITTEN_TYPES = tuple(t for t, s in STRATEGIES.items() if s.marked_by_people)
MARK_STEP = Decimal("0.5")
MAX_COMMENT = 500
MIN_MARKERS = 3
_NO_JOB = NotFound("阅卷任务不存在", code="marking_job_not_found")
_NO_RESPONSE = NotFound("答卷不存在", code="response_not_found")


# -- the job ---------------------------------------------------------------------------------


def _check_markers(size: int) -> None:
    if size < MIN_MARKERS:
        raise rules.RuleError(
            "markers_too_few",
            f"阅卷组至少 {MIN_MARKERS} 人（双评两人，分差超出误差时由第三人三评；现为 {size} 人）",
        )


def set_marking_job(
    db: Session, *, actor: Staff, exam_session_id: int, data: MarkingJobIn
) -> MarkingJob:
    """Create or change a theory session's marking job. Marks already given stay theirs:
    a member who has marked can be removed (their marks count) but the tolerance is fixed
    once marking has begun, as changing it would change settled scores' meaning."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.PLAN)
    session = db.get(ExamSession, exam_session_id)
    if session is None or session.centre_id != centre_id:
        raise NotFound("考试场次不存在", code="session_not_found")
    members = checked_panel(
        db,
        centre_id,
        data.examiner_ids,
        data.chief_examiner_id,
        what="阅卷组",
        check_size=_check_markers,
    )
    try:
        rules.tolerance_points(1, data.tolerance_percent)
    except rules.RuleError as exc:
        raise invalid(
            exc.message, exc.code, [{"field": "tolerance_percent", "problem": exc.message}]
        ) from None
    job = db.exec(select(MarkingJob).where(MarkingJob.exam_session_id == exam_session_id)).first()
    created = job is None
    if job is None:
        job = MarkingJob(
            centre_id=centre_id,
            plan_id=session.plan_id,
            exam_session_id=exam_session_id,
            tolerance_percent=data.tolerance_percent,
            created_by=actor.id,
        )
    elif job.tolerance_percent != data.tolerance_percent and _marks_given(db, job):
        raise Conflict("阅卷已开始，不能再修改双评误差", code="marking_started")
    job.tolerance_percent = data.tolerance_percent
    db.add(job)
    db.flush()
    for old in db.exec(select(MarkingJobMember).where(MarkingJobMember.marking_job_id == job.id)):
        db.delete(old)
    db.flush()
    for user in members:
        db.add(
            MarkingJobMember(
                marking_job_id=job.id or 0,
                staff_user_id=user.id or 0,
                is_chief=user.id == data.chief_examiner_id,
            )
        )
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="marking_job.create" if created else "marking_job.update",
        object_type="marking_job",
        object_id=job.id,
        centre_id=centre_id,
        detail={
            "exam_session_id": exam_session_id,
            "examiner_ids": [u.id for u in members],
            "chief_examiner_id": data.chief_examiner_id,
            "tolerance_percent": data.tolerance_percent,
        },
    )
    return job


def session_job(db: Session, *, actor: Staff, exam_session_id: int) -> MarkingJob | None:
    """The session's marking job (None before one is set), for the centre's staff."""
    centre_id = centre_for(actor, Action.READ, Resource.SHEET)
    session = db.get(ExamSession, exam_session_id)
    if session is None or session.centre_id != centre_id:
        raise NotFound("考试场次不存在", code="session_not_found")
    return db.exec(select(MarkingJob).where(MarkingJob.exam_session_id == exam_session_id)).first()


def _marks_given(db: Session, job: MarkingJob) -> bool:
    return (
        db.exec(
            select(ResponseMark.id)
            .join(Attempt, col(Attempt.id) == ResponseMark.attempt_id)
            .where(Attempt.session_id == job.exam_session_id)
            .limit(1)
        ).first()
        is not None
    )


def _members(db: Session, job: MarkingJob) -> list[tuple[MarkingJobMember, StaffUser]]:
    return list(
        db.exec(
            select(MarkingJobMember, StaffUser)
            .join(StaffUser, col(StaffUser.id) == MarkingJobMember.staff_user_id)
            .where(MarkingJobMember.marking_job_id == job.id)
            .order_by(col(MarkingJobMember.is_chief).desc(), col(StaffUser.display_name))
        )
    )


def _job_for_member(db: Session, actor: Staff, job_id: int) -> tuple[MarkingJob, MarkingJobMember]:
    """The job and the actor's place in it. Another centre's job does not exist; an
    examiner of the centre who is not in the job is told so."""
    job = db.get(MarkingJob, job_id)
    members = (
        list(
            db.exec(
                select(MarkingJobMember.staff_user_id).where(
                    MarkingJobMember.marking_job_id == job_id
                )
            )
        )
        if job is not None
        else []
    )
    policy.check(
        actor,
        Action.MANAGE,
        Resource.SHEET,
        Facts.of(job.centre_id, examiners=members) if job is not None else None,
        missing=_NO_JOB,
    )
    assert job is not None
    member = db.get(MarkingJobMember, (job.id, actor.id))
    if member is None:  # a centre admin passes the policy but marks nothing
        raise PermissionDenied("您不是本阅卷任务的阅卷人", code="not_a_marker")
    return job, member


# -- the responses of a job ------------------------------------------------------------------


@dataclass
class _Response:
    score_row: ItemScore
    attempt_id: int
    position: int
    version: ItemVersion
    external_id: str
    text: str
    marks: list[ResponseMark]
    arbitration: ResponseArbitration | None
    tolerance: Decimal
    state: rules.WrittenState


def _responses(
    db: Session, job: MarkingJob, *, version_id: int | None = None, score_id: int | None = None
) -> list[_Response]:
    """The job's responses to written items (blank ones excluded: they score 0 unmarked),
    with their marks and where each stands."""
    query = (
        select(ItemScore, AttemptItem, ItemVersion, Item)
        .join(Attempt, col(Attempt.id) == ItemScore.attempt_id)
        .join(
            AttemptItem,
            (col(AttemptItem.attempt_id) == ItemScore.attempt_id)
            & (col(AttemptItem.position) == ItemScore.position),
        )
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .join(Item, col(Item.id) == ItemVersion.item_id)
        .where(
            Attempt.session_id == job.exam_session_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            col(ItemVersion.item_type).in_(WRITTEN_TYPES),
            ItemScore.outcome != Outcome.BLANK,
        )
        .order_by(col(ItemScore.id))
    )
    if version_id is not None:
        query = query.where(ItemVersion.id == version_id)
    if score_id is not None:
        query = query.where(ItemScore.id == score_id)
    rows = db.exec(query).all()
    if not rows:
        return []
    attempt_ids = sorted({s.attempt_id for s, *_ in rows})
    marks: dict[tuple[int, int], list[ResponseMark]] = defaultdict(list)
    for m in db.exec(
        select(ResponseMark)
        .where(col(ResponseMark.attempt_id).in_(attempt_ids))
        .order_by(col(ResponseMark.id))
    ):
        marks[(m.attempt_id, m.position)].append(m)
    arbitrations = {
        (a.attempt_id, a.position): a
        for a in db.exec(
            select(ResponseArbitration).where(col(ResponseArbitration.attempt_id).in_(attempt_ids))
        )
    }
    texts = {
        (a.attempt_id, a.position): a.response.get("text", "")
        for a in db.exec(select(Answer).where(col(Answer.attempt_id).in_(attempt_ids)))
    }
    out = []
    for score_row, _slot, version, item in rows:
        where = (score_row.attempt_id, score_row.position)
        percent = version.key.get("tolerance", job.tolerance_percent)
        tolerance = rules.tolerance_points(score_row.max_points, percent)
        given = marks.get(where, [])
        arbitration = arbitrations.get(where)
        out.append(
            _Response(
                score_row=score_row,
                attempt_id=score_row.attempt_id,
                position=score_row.position,
                version=version,
                external_id=item.external_id,
                text=str(texts.get(where, "")),
                marks=given,
                arbitration=arbitration,
                tolerance=tolerance,
                state=rules.written_state(
                    [m.score for m in given],
                    tolerance=tolerance,
                    max_points=score_row.max_points,
                    arbitrated_score=arbitration.score if arbitration else None,
                ),
            )
        )
    return out


def _numbers(job: MarkingJob, responses: Sequence[_Response]) -> dict[int, int]:
    """Each response's number within its item (第 N 份), from a shuffle keyed by the job:
    stable across requests, unrelated to seats or the order candidates submitted in."""

    def shuffled(r: _Response) -> str:
        return hashlib.sha256(f"{job.id}:{r.score_row.id}".encode()).hexdigest()

    by_item: dict[int, list[_Response]] = defaultdict(list)
    for r in responses:
        by_item[r.version.id or 0].append(r)
    out: dict[int, int] = {}
    for group in by_item.values():
        for n, r in enumerate(sorted(group, key=shuffled), start=1):
            out[r.score_row.id or 0] = n
    return out


def _may_mark(r: _Response, marker_id: int) -> bool:
    return r.state.wants_mark(len(r.marks)) and all(m.marker_id != marker_id for m in r.marks)


def _items(responses: Sequence[_Response], marker_id: int | None) -> list[WrittenItemOut]:
    by_item: dict[int, list[_Response]] = defaultdict(list)
    for r in responses:
        by_item[r.version.id or 0].append(r)
    out = []
    for version_id, group in by_item.items():
        first = group[0]
        status = [r.state.status for r in group]
        out.append(
            WrittenItemOut(
                item_version_id=version_id,
                external_id=first.external_id,
                item_type=first.version.item_type,
                type_name=ITEM_TYPE_NAMES[ItemType(first.version.item_type)],
                stem=first.version.stem,
                points=max(r.score_row.max_points for r in group),
                responses=len(group),
                final=status.count(rules.WrittenStatus.FINAL),
                third=status.count(rules.WrittenStatus.THIRD),
                arbitration=status.count(rules.WrittenStatus.ARBITRATION),
                marked_by_me=(
                    sum(any(m.marker_id == marker_id for m in r.marks) for r in group)
                    if marker_id is not None
                    else 0
                ),
                to_mark_by_me=(
                    sum(_may_mark(r, marker_id) for r in group) if marker_id is not None else 0
                ),
            )
        )
    return sorted(out, key=lambda i: (i.external_id, i.item_version_id))


def job_out(
    db: Session, job: MarkingJob, *, marker_id: int | None = None, is_chief: bool = False
) -> MarkingJobOut:
    session, plan, _bp = sessions.session_plan_blueprint(db, job.exam_session_id)
    responses = _responses(db, job)
    items = _items(responses, marker_id)
    return MarkingJobOut(
        id=job.id or 0,
        exam_session_id=job.exam_session_id,
        session_name=session.name,
        plan_name=plan.name,
        tolerance_percent=job.tolerance_percent,
        members=[
            PanelMemberOut(staff_user_id=u.id or 0, name=u.display_name, is_chief=m.is_chief)
            for m, u in _members(db, job)
        ],
        items=items,
        responses=len(responses),
        final=sum(i.final for i in items),
        arbitration=sum(i.arbitration for i in items),
        attempts_pending=len(
            {r.attempt_id for r in responses if r.state.status != rules.WrittenStatus.FINAL}
        ),
        is_chief=is_chief,
    )


def job_for_marker(db: Session, *, actor: Staff, job_id: int) -> MarkingJobOut:
    job, member = _job_for_member(db, actor, job_id)
    return job_out(db, job, marker_id=actor.id, is_chief=member.is_chief)


def marker_jobs(db: Session, *, actor: Staff) -> list[MarkingJobOut]:
    """The marking jobs the examiner is in, newest session first."""
    policy.centre_scope(actor, Action.MANAGE, Resource.SHEET)
    rows = db.exec(
        select(MarkingJob, MarkingJobMember)
        .join(MarkingJobMember, col(MarkingJobMember.marking_job_id) == MarkingJob.id)
        .where(MarkingJobMember.staff_user_id == actor.id)
        .order_by(col(MarkingJob.id).desc())
    ).all()
    return [job_out(db, job, marker_id=actor.id, is_chief=m.is_chief) for job, m in rows]


def _to_mark(job: MarkingJob, r: _Response, numbers: dict[int, int], left: int) -> ResponseToMark:
    key = r.version.key
    return ResponseToMark(
        response_id=r.score_row.id or 0,
        job_id=job.id or 0,
        item_version_id=r.version.id or 0,
        number=numbers.get(r.score_row.id or 0, 0),
        external_id=r.external_id,
        type_name=ITEM_TYPE_NAMES[ItemType(r.version.item_type)],
        stem=r.version.stem,
        reference=str(key.get("reference", "")),
        marking_points=scaled_points(key, r.score_row.max_points),
        max_points=r.score_row.max_points,
        step=float(MARK_STEP),
        text=r.text,
        third=len(r.marks) == 2,
        left=left,
    )


def next_response(
    db: Session, *, actor: Staff, job_id: int, item_version_id: int
) -> ResponseToMark | None:
    """The next response of the item this examiner may mark (one that still wants a mark
    and that they have not marked), or None when they are done with the item. Second
    marks before third ones, then in the shuffled order, so that double marking finishes
    early and no two examiners are steered to the same third mark."""
    job, _member = _job_for_member(db, actor, job_id)
    responses = _responses(db, job, version_id=item_version_id)
    numbers = _numbers(job, responses)
    open_ = [r for r in responses if _may_mark(r, actor.id)]
    if not open_:
        return None
    open_.sort(key=lambda r: (len(r.marks) == 2, -len(r.marks), numbers[r.score_row.id or 0]))
    return _to_mark(job, open_[0], numbers, len(open_))


def response_for_marker(
    db: Session, *, actor: Staff, job_id: int, response_id: int
) -> ResponseToMark:
    """One response as a marker sees it (to mark it, or to look back at their own mark)."""
    job, _member = _job_for_member(db, actor, job_id)
    version_id = db.exec(
        select(AttemptItem.item_version_id)
        .join(
            ItemScore,
            (col(ItemScore.attempt_id) == AttemptItem.attempt_id)
            & (col(ItemScore.position) == AttemptItem.position),
        )
        .where(ItemScore.id == response_id)
    ).first()
    # One read of the item's responses: this one and those it is numbered among.
    siblings = _responses(db, job, version_id=version_id) if version_id is not None else []
    r = next((s for s in siblings if s.score_row.id == response_id), None)
    if r is None:
        raise _NO_RESPONSE
    return _to_mark(job, r, _numbers(job, siblings), sum(_may_mark(s, actor.id) for s in siblings))


def submit_mark(
    db: Session, *, actor: Staff, job_id: int, response_id: int, data: MarkIn
) -> WrittenMarkOut:
    """One examiner's mark for one response: within 0..the item's points on the paper, in
    steps of 0.5. Final once given. Refused when the response no longer wants a mark
    (two agreeing marks, or a third already given), or this examiner marked it already."""
    job, _member = _job_for_member(db, actor, job_id)
    # The response's score row, locked: two examiners giving the response's last wanted
    # mark at once are served one after the other (the second is told it is done).
    row = db.exec(select(ItemScore).where(ItemScore.id == response_id).with_for_update()).first()
    found = _responses(db, job, score_id=response_id) if row is not None else []
    if not found:
        raise _NO_RESPONSE
    r = found[0]
    if any(m.marker_id == actor.id for m in r.marks):
        raise Conflict("您已评过这份答卷，评分提交后不能修改", code="already_marked")
    if not r.state.wants_mark(len(r.marks)):
        raise Conflict("这份答卷已不需要再评分，请评下一份", code="marking_done")
    try:
        mark = rules.check_mark(data.score, max_points=r.score_row.max_points, step=MARK_STEP)
    except rules.RuleError as exc:
        raise ValidationFailed(
            exc.message, code=exc.code, details=[{"field": "score", "problem": exc.message}]
        ) from None
    comment = _comment(data.comment)
    given = ResponseMark(
        attempt_id=r.attempt_id,
        position=r.position,
        marker_id=actor.id,
        score=float(mark),
        comment=comment,
    )
    db.add(given)
    db.flush()
    marks = [*[m.score for m in r.marks], float(mark)]
    state = rules.written_state(marks, tolerance=r.tolerance, max_points=r.score_row.max_points)
    audit.record(
        db,
        actor=actor,
        action="written.mark",
        object_type="attempt",
        object_id=r.attempt_id,
        centre_id=job.centre_id,
        detail={"position": r.position, "score": float(mark), "round": len(marks)},
    )
    if state.status == rules.WrittenStatus.FINAL:
        assert state.score is not None
        _settle(db, job, r, state.score, actor=actor)
    return WrittenMarkOut(
        response_id=response_id,
        score=float(mark),
        status=state.status.value,
        status_name=rules.WRITTEN_STATUS_NAMES[state.status],
    )


def _comment(text: str) -> str:
    comment = text.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"评语不能超过 {MAX_COMMENT} 个字",
            code="comment_too_long",
            details=[{"field": "comment", "problem": f"不能超过 {MAX_COMMENT} 个字"}],
        )
    return comment


def _settle(db: Session, job: MarkingJob, r: _Response, score: Decimal, *, actor: Staff) -> None:
    """The response's score is settled: record it; once none of the paper is pending the
    attempt gets its theory score."""
    total = scoring.record_marked_score(
        db, attempt_id=r.attempt_id, position=r.position, awarded=score
    )
    if total is None:
        return
    attempt = db.get(Attempt, r.attempt_id)
    assert attempt is not None
    attempt.score = total
    db.add(attempt)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="attempt.scored",
        object_type="attempt",
        object_id=attempt.id,
        centre_id=job.centre_id,
        detail={"score": total, "after": "written_marking"},
    )
    log.info("attempt %s theory score %s after written marking", attempt.id, total)


# -- arbitration -----------------------------------------------------------------------------


def _chief_job(db: Session, actor: Staff, job_id: int) -> MarkingJob:
    job, member = _job_for_member(db, actor, job_id)
    if not member.is_chief:
        raise PermissionDenied("只有阅卷组长可以仲裁", code="not_chief_examiner")
    return job


def arbitration_queue(db: Session, *, actor: Staff, job_id: int) -> list[WrittenArbitration]:
    """The responses waiting for the chief examiner, with every mark and who gave it."""
    job = _chief_job(db, actor, job_id)
    responses = _responses(db, job)
    numbers = _numbers(job, responses)
    names = {u.id: u.display_name for _m, u in _members(db, job)}
    out = []
    for r in responses:
        if r.state.status != rules.WrittenStatus.ARBITRATION:
            continue
        for m in r.marks:
            if m.marker_id not in names:
                user = db.get(StaffUser, m.marker_id)
                names[m.marker_id] = user.display_name if user else f"#{m.marker_id}"
        out.append(
            WrittenArbitration(
                response=_to_mark(job, r, numbers, 0),
                marks=[
                    {"marker": names[m.marker_id], "score": m.score, "comment": m.comment}
                    for m in r.marks
                ],
                tolerance=float(r.tolerance),
            )
        )
    return out


def arbitrate(
    db: Session, *, actor: Staff, job_id: int, response_id: int, score: float, reason: str
) -> WrittenMarkOut:
    """仲裁: the chief examiner's score for a response whose three marks disagree."""
    job = _chief_job(db, actor, job_id)
    db.exec(select(ItemScore).where(ItemScore.id == response_id).with_for_update()).first()
    found = _responses(db, job, score_id=response_id)
    if not found:
        raise _NO_RESPONSE
    r = found[0]
    if r.state.status != rules.WrittenStatus.ARBITRATION:
        raise Conflict("这份答卷不需要仲裁", code="not_awaiting_arbitration")
    try:
        decided = rules.check_arbitration(score, max_points=r.score_row.max_points, reason=reason)
    except rules.RuleError as exc:
        field = "reason" if exc.code == "reason_required" else "score"
        raise ValidationFailed(
            exc.message, code=exc.code, details=[{"field": field, "problem": exc.message}]
        ) from None
    text = clean_reason(reason)
    db.add(
        ResponseArbitration(
            attempt_id=r.attempt_id,
            position=r.position,
            chief_id=actor.id,
            score=float(decided),
            reason=text,
            marks=[m.score for m in r.marks],
        )
    )
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="written.arbitrate",
        object_type="attempt",
        object_id=r.attempt_id,
        centre_id=job.centre_id,
        reason=text,
        detail={
            "position": r.position,
            "score": float(decided),
            "marks": [m.score for m in r.marks],
        },
    )
    _settle(db, job, r, decided, actor=actor)
    return WrittenMarkOut(
        response_id=response_id,
        score=float(decided),
        status=rules.WrittenStatus.FINAL.value,
        status_name=rules.WRITTEN_STATUS_NAMES[rules.WrittenStatus.FINAL],
    )


def session_marking(db: Session, *, actor: Staff, exam_session_id: int) -> MarkingJobOut | None:
    """The centre admin's view of a session's marking job, or None before one is set."""
    job = session_job(db, actor=actor, exam_session_id=exam_session_id)
    return job_out(db, job) if job is not None else None
