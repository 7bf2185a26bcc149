"""Reading results (成绩) for staff and candidates.

Who reads results: the centre's administrators and examiners (考评员). Proctors run the
room and see the roster on the proctor console, not scores; platform admins and
regulators have no centre results here (regulators come with their own views).
Everything is scoped to the reader's centre: another centre's session or attempt is
NotFound, never shown."""

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, case, col, func, select

from app.accounts import policy
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import CandidateLogin, Staff
from app.audit import service as audit
from app.banks.models import Item, ItemVersion, QuestionBank
from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.delivery import service as delivery_service
from app.delivery.models import (
    SUBMIT_REASON_NAMES,
    Attempt,
    AttemptItem,
    AttemptStatus,
)
from app.exams import sessions
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    Registration,
    registered,
)
from app.itemtypes import (
    ITEM_TYPE_NAMES,
    MULTIPLE_CHOICE_RULE_NAMES,
    OUTCOME_NAMES,
    ItemType,
    MultipleChoiceRule,
    Outcome,
    strategy_for,
)
from app.results import export
from app.results.schemas import (
    RESULT_STATUS_NAMES,
    AreaResult,
    AttemptBreakdown,
    CandidateResult,
    ItemResult,
    ResultFilter,
    ResultRow,
    ResultStatus,
    SectionResult,
    SessionResults,
    SessionResultSummary,
)
from app.scoring import rules
from app.scoring import service as scoring
from app.scoring.models import ItemScore

log = logging.getLogger(__name__)


_CN_NUMERALS = "一二三四五六七八九十"


# -- results for staff ----------------------------------------------------------------------


def _reader_centre(staff: Staff) -> int:
    return policy.centre_scope(staff, Action.READ, Resource.RESULT)


def _check_reader(staff: Staff, centre_id: int | None, missing: NotFound) -> None:
    # The marking issue adds the examiners assigned to mark a session to these facts.
    facts = Facts.of(centre_id) if centre_id is not None else None
    policy.check(staff, Action.READ, Resource.RESULT, facts, missing=missing)


def attempt_status(attempt: Attempt | None, session: ExamSession, plan: ExamPlan) -> ResultStatus:
    if attempt is not None:
        return ResultStatus(attempt.status)
    if sessions.is_absent(session, plan, started=False, now=utcnow()):
        return ResultStatus.ABSENT  # entry closed without a start: the one 缺考 rule
    return ResultStatus.NOT_STARTED


def _reason_name(reason: str | None) -> str:
    return SUBMIT_REASON_NAMES.get(reason, reason) if reason else ""


def centre_sessions(db: Session, *, staff: Staff) -> list[SessionResultSummary]:
    """Sessions of the reader's centre, newest first, with their result counts."""
    centre_id = _reader_centre(staff)
    sessions = db.exec(
        select(ExamSession, ExamPlan, Blueprint)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
        .join(Blueprint, col(Blueprint.id) == ExamPlan.blueprint_id)
        .where(ExamSession.centre_id == centre_id)
        .order_by(col(ExamSession.starts_at).desc(), col(ExamSession.id).desc())
    ).all()
    counted = dict(
        db.exec(
            select(Registration.session_id, func.count())
            .where(Registration.centre_id == centre_id, registered())
            .group_by(col(Registration.session_id))
        ).all()
    )
    counts = {
        session_id: (submitted, scored, average)
        for session_id, submitted, scored, average in db.exec(
            select(
                Attempt.session_id,
                func.count(case((col(Attempt.status) == AttemptStatus.SUBMITTED, 1))),
                func.count(col(Attempt.score)),
                func.avg(col(Attempt.score)),
            )
            .where(Attempt.centre_id == centre_id)
            .group_by(col(Attempt.session_id))
        ).all()
    }
    # Passes are counted with rules.passed, the one pass rule, not a copy of it in SQL.
    passes: Counter[int] = Counter()
    for session_id, score, pass_mark in db.exec(
        select(Attempt.session_id, Attempt.score, Blueprint.pass_mark)
        .join(ExamSession, col(ExamSession.id) == Attempt.session_id)
        .join(ExamPlan, col(ExamPlan.id) == ExamSession.plan_id)
        .join(Blueprint, col(Blueprint.id) == ExamPlan.blueprint_id)
        .where(Attempt.centre_id == centre_id, col(Attempt.score).is_not(None))
    ).all():
        passes[session_id] += bool(rules.passed(score, pass_mark))
    summaries = []
    for session, plan, blueprint in sessions:
        assert session.id is not None
        submitted, scored, average = counts.get(session.id, (0, 0, None))
        summaries.append(
            _summary(
                session,
                plan,
                blueprint,
                registered=counted.get(session.id, 0),
                submitted=submitted,
                scored=scored,
                passed=passes.get(session.id, 0),
                average=None if average is None else rules.rounded(float(average)),
            )
        )
    return summaries


def _summary(
    session: ExamSession,
    plan: ExamPlan,
    blueprint: Blueprint,
    *,
    registered: int,
    submitted: int,
    scored: int,
    passed: int,
    average: float | None,
) -> SessionResultSummary:
    assert session.id is not None and plan.id is not None
    return SessionResultSummary(
        session_id=session.id,
        name=session.name,
        room=session.room,
        plan_id=plan.id,
        plan_name=plan.name,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        pass_mark=blueprint.pass_mark,
        registered=registered,
        submitted=submitted,
        scored=scored,
        passed=passed,
        average=average,
    )


def _matches(row: ResultRow, only: ResultFilter) -> bool:
    if only == ResultFilter.SUBMITTED:
        return row.status == ResultStatus.SUBMITTED
    if only == ResultFilter.NOT_SUBMITTED:
        return row.status != ResultStatus.SUBMITTED
    if only == ResultFilter.PASSED:
        return row.passed is True
    if only == ResultFilter.FAILED:
        return row.passed is False
    return True


def session_results(
    db: Session, *, staff: Staff, session_id: int, only: ResultFilter = ResultFilter.ALL
) -> SessionResults:
    """Every registration of a session by seat: candidate, ticket, status, theory score
    and pass/fail against the blueprint's pass mark. The summary counts the whole
    session; `only` filters the rows."""
    policy.require(staff, Action.READ, Resource.RESULT)
    session, plan, blueprint = sessions.session_plan_blueprint(db, session_id)
    _check_reader(staff, session.centre_id, NotFound("考试场次不存在", code="session_not_found"))
    found = delivery_service.registrations_with_attempts(db, session_id=session_id)
    rows: list[ResultRow] = []
    for reg, cand, attempt in found:
        assert reg.id is not None
        status = attempt_status(attempt, session, plan)
        score = attempt.score if attempt else None
        rows.append(
            ResultRow(
                registration_id=reg.id,
                attempt_id=attempt.id if attempt else None,
                candidate_name=cand.name,
                ticket_number=reg.ticket_number,
                seat_number=reg.seat_number,
                status=status,
                status_name=RESULT_STATUS_NAMES[status],
                score=score,
                passed=rules.passed(score, blueprint.pass_mark),
                submitted_at=attempt.submitted_at if attempt else None,
                submit_reason=attempt.submit_reason if attempt else None,
                submit_reason_name=_reason_name(attempt.submit_reason if attempt else None),
            )
        )
    scores = [r.score for r in rows if r.score is not None]
    summary = _summary(
        session,
        plan,
        blueprint,
        registered=len(rows),
        submitted=sum(r.status == ResultStatus.SUBMITTED for r in rows),
        scored=len(scores),
        passed=sum(r.passed is True for r in rows),
        average=rules.rounded(sum(scores) / len(scores)) if scores else None,
    )
    return SessionResults(session=summary, only=only, rows=[r for r in rows if _matches(r, only)])


def export_session_results(db: Session, *, staff: Staff, session_id: int) -> tuple[str, bytes]:
    """The session's results as an Excel file: (file name, content). Recorded in the
    audit log, since the file leaves the platform with candidates' names and scores."""
    results = session_results(db, staff=staff, session_id=session_id)
    audit.record(
        db,
        actor=staff,
        action="results.export",
        object_type="exam_session",
        object_id=session_id,
        detail={"rows": len(results.rows)},
    )
    db.flush()
    return export.export_filename(results), export.session_results_xlsx(results)


def attempt_breakdown(db: Session, *, staff: Staff, attempt_id: int) -> AttemptBreakdown:
    """A submitted attempt question by question, grouped by the blueprint's sections,
    with points per assessment area. Answers and keys are shown in the letters of the
    candidate's own option order, as they saw the paper."""
    attempt = db.get(Attempt, attempt_id)
    _check_reader(
        staff,
        attempt.centre_id if attempt is not None else None,
        NotFound("考试记录不存在", code="attempt_not_found"),
    )
    assert attempt is not None
    if attempt.status != AttemptStatus.SUBMITTED:
        raise Conflict("考生尚未交卷，交卷后才能查看答题明细", code="attempt_not_submitted")
    assert attempt.id is not None
    session, plan, blueprint = sessions.session_plan_blueprint(db, attempt.session_id)
    reg = db.get(Registration, attempt.registration_id)
    cand = db.get(Candidate, reg.candidate_id) if reg else None
    assert reg is not None and reg.id is not None and cand is not None
    form = db.exec(
        select(AttemptItem, ItemVersion, Item)
        .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
        .join(Item, col(Item.id) == ItemVersion.item_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(col(AttemptItem.position))
    ).all()
    outlines = _outlines(db, {item.bank_id for _, _, item in form})
    answers = delivery_service.stored_answers(db, attempt.id)
    scores = scoring.item_scores(db, attempt.id)
    items = [
        _item_result(
            slot,
            version,
            outlines[item.bank_id],
            answers.get(slot.position),
            scores.get(slot.position),
        )
        for slot, version, item in form
    ]
    status = ResultStatus(attempt.status)
    rule = MultipleChoiceRule(blueprint.multiple_choice_rule)
    return AttemptBreakdown(
        attempt_id=attempt.id,
        registration_id=reg.id,
        session_id=session.id or 0,
        session_name=session.name,
        plan_name=plan.name,
        candidate_name=cand.name,
        ticket_number=reg.ticket_number,
        status=status,
        status_name=RESULT_STATUS_NAMES[status],
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        submit_reason=attempt.submit_reason,
        submit_reason_name=_reason_name(attempt.submit_reason),
        score=attempt.score,
        max_score=attempt.max_score,
        pass_mark=blueprint.pass_mark,
        passed=rules.passed(attempt.score, blueprint.pass_mark),
        multiple_choice_rule=rule.value,
        multiple_choice_rule_name=MULTIPLE_CHOICE_RULE_NAMES[rule],
        sections=_sections(blueprint.sections, items),
        areas=_areas(items),
    )


class _Outline:
    """A bank's 鉴定要素细目表 as names by code."""

    def __init__(self, outline: Sequence[Mapping[str, Any]]) -> None:
        self.areas: dict[str, str] = {}
        self.points: dict[tuple[str, str], str] = {}
        for area in outline:
            code = str(area.get("area", ""))
            self.areas[code] = str(area.get("name", ""))
            for point in area.get("points") or []:
                self.points[code, str(point.get("code", ""))] = str(point.get("name", ""))


def _outlines(db: Session, bank_ids: set[int]) -> dict[int, _Outline]:
    banks = db.exec(select(QuestionBank).where(col(QuestionBank.id).in_(bank_ids))).all()
    return {b.id: _Outline(b.outline) for b in banks if b.id is not None}


def _letters(version: ItemVersion, option_order: list[str]) -> dict[str, str]:
    """Bank label → the letter the candidate saw (A for their first option, ...)."""
    order = option_order or [o["label"] for o in version.options]
    return {label: chr(ord("A") + i) for i, label in enumerate(order)}


def _item_result(
    slot: AttemptItem,
    version: ItemVersion,
    outline: _Outline,
    response: Any,
    score: ItemScore | None,
) -> ItemResult:
    letters = _letters(version, slot.option_order)
    strategy = strategy_for(version.item_type)
    answer = response if isinstance(response, Mapping) else {}
    return ItemResult(
        position=slot.position,
        section=slot.section,
        item_type=version.item_type,
        type_name=ITEM_TYPE_NAMES.get(ItemType(version.item_type), version.item_type),
        area_code=version.area_code,
        area_name=outline.areas.get(version.area_code, ""),
        point_code=version.point_code,
        point_name=outline.points.get((version.area_code, version.point_code), ""),
        stem=version.stem,
        response=strategy.response_text(answer, letters),
        key=strategy.key_text(version.key, letters),
        awarded=score.awarded if score else None,
        max_points=slot.points,
        outcome=score.outcome if score else None,
        outcome_name=OUTCOME_NAMES[Outcome(score.outcome)] if score else "未评分",
    )


def _section_title(index: int, section: Mapping[str, Any] | None, items: list[ItemResult]) -> str:
    numeral = _CN_NUMERALS[index] if index < len(_CN_NUMERALS) else str(index + 1)
    type_name = items[0].type_name if items else ""
    if section is not None:
        type_name = ITEM_TYPE_NAMES.get(ItemType(section["item_type"]), type_name)
    points = {i.max_points for i in items}
    each = f"，每题 {points.pop():g} 分" if len(points) == 1 else ""
    return f"{numeral}、{type_name}（共 {len(items)} 题{each}）"


def _sections(spec: Sequence[Mapping[str, Any]], items: list[ItemResult]) -> list[SectionResult]:
    grouped: dict[int, list[ItemResult]] = defaultdict(list)
    for it in items:
        grouped[it.section].append(it)
    return [
        SectionResult(
            index=index,
            title=_section_title(index, spec[index] if index < len(spec) else None, members),
            awarded=rules.add_points(i.awarded or 0 for i in members),
            max_points=rules.add_points(i.max_points for i in members),
            items=members,
        )
        for index, members in sorted(grouped.items())
    ]


def _areas(items: list[ItemResult]) -> list[AreaResult]:
    grouped: dict[str, list[ItemResult]] = defaultdict(list)
    for it in items:
        grouped[it.area_code].append(it)
    return [
        AreaResult(
            code=code,
            name=members[0].area_name,
            awarded=rules.add_points(i.awarded or 0 for i in members),
            max_points=rules.add_points(i.max_points for i in members),
        )
        for code, members in sorted(grouped.items())
    ]


# -- the candidate's own result ------------------------------------------------------------


def candidate_result(db: Session, *, login: CandidateLogin) -> CandidateResult:
    """The candidate's own result: status, and score with pass/fail only when the plan
    shows scores to candidates. Never the questions or the key."""
    reg = db.get(Registration, login.registration_id)
    if reg is None:
        raise NotFound("报名记录不存在", code="registration_not_found")
    session, plan, blueprint = sessions.session_plan_blueprint(db, reg.session_id)
    attempt = db.exec(select(Attempt).where(Attempt.registration_id == reg.id)).first()
    status = attempt_status(attempt, session, plan)
    submitted = attempt is not None and attempt.status == AttemptStatus.SUBMITTED
    scored = submitted and attempt is not None and attempt.score is not None
    visible = scored and plan.show_score_to_candidate
    if not submitted:
        message = "您尚未交卷，交卷后可在此查看结果。"
    elif not plan.show_score_to_candidate:
        message = "您已交卷。本次考试成绩由考点另行公布。"
    elif not scored:
        message = "您已交卷，成绩正在评定，请稍后查看。"
    else:
        message = "您已交卷，理论知识考试成绩如下。"
    score = attempt.score if visible and attempt is not None else None
    return CandidateResult(
        candidate_name=login.name,
        ticket_number=reg.ticket_number,
        plan_name=plan.name,
        session_name=session.name,
        status=status,
        status_name=RESULT_STATUS_NAMES[status],
        submitted_at=attempt.submitted_at if attempt else None,
        score_visible=visible,
        score=score,
        pass_mark=blueprint.pass_mark if visible else None,
        passed=rules.passed(score, blueprint.pass_mark) if visible else None,
        message=message,
    )
