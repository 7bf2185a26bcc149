"""The practical component (技能考核): a plan's practical paper, practical sessions with
their examiner panels, blind marking by each examiner, the mean of their totals and the
chief examiner's arbitration (DOMAIN.md §2). The rules are app/results/rules.py and
app/exams/assembly.py; this module loads, checks who may act, saves and audits.

Who does what: the centre admin sets the practical paper, creates sessions and assigns the
panel, and sees every sheet's total with names; an examiner of the panel marks each
candidate knowing only the ticket and seat (never the name or ID number), sees only their
own sheets, and never changes a submitted one; the panel's chief examiner (考评组长)
arbitrates a task whose totals differ by more than the plan's tolerance."""

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.models import Role, StaffUser
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.banks import tasks as bank_tasks
from app.banks.models import PracticalTask, PracticalTaskVersion
from app.banks.practical import STEPS
from app.core import clock
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.exams import assembly
from app.exams.common import centre_for, invalid
from app.exams.components import COMPONENT_NAMES, MIN_MINUTES, Component
from app.exams.models import Blueprint, Candidate, ExamPlan, ExamSession, FormMode, Registration
from app.exams.plans import get_plan
from app.results import rules
from app.results.models import (
    Arbitration,
    MarkSheet,
    PanelMember,
    PaperTask,
    PracticalSession,
    SheetStatus,
)
from app.results.schemas import (
    ArbitrationPage,
    ArbitrationSheet,
    CriterionOut,
    ExaminerSessionOut,
    MarkingPage,
    MarkingRoster,
    PanelMemberOut,
    PracticalPaperIn,
    PracticalScoreRow,
    PracticalSessionCreate,
    PracticalSessionOut,
    ReviewSheetIn,
    RosterRow,
    RosterTask,
    SheetIn,
    SheetOut,
    TaskOnPaper,
    TaskScoreOut,
)

log = logging.getLogger(__name__)

MAX_COMMENT = 1000
# 综合评审 (技师, 高级技师; DOMAIN.md §2): a panel scores the candidate's materials and oral
# defence on this sheet unless the plan sets its own (review_sheet); score = the mean.
REVIEW_TITLE = "综合评审"
REVIEW_INSTRUCTIONS = "评审考生提交的工作业绩材料、技术总结（论文），并进行答辩。"
DEFAULT_REVIEW_SHEET: list[dict[str, Any]] = [
    {
        "code": "R1",
        "name": "工作业绩",
        "points": 40.0,
        "step": 1.0,
        "earns": "业绩材料真实完整，解决过本职业（工种）关键技术问题，有成果证明。",
        "deductions": [],
        "veto": False,
    },
    {
        "code": "R2",
        "name": "技术总结（论文）",
        "points": 30.0,
        "step": 1.0,
        "earns": "选题切合本职业，论点明确，技术内容正确，有实用价值，行文规范。",
        "deductions": [],
        "veto": False,
    },
    {
        "code": "R3",
        "name": "答辩",
        "points": 30.0,
        "step": 1.0,
        "earns": "陈述清楚，回答问题正确、有深度，体现相应等级的技术水平。",
        "deductions": [],
        "veto": False,
    },
]
_NO_SESSION = NotFound("技能考核场次不存在", code="practical_session_not_found")
MAX_DURATION = 600


def _rule_error(exc: rules.RuleError, field: str) -> ValidationFailed:
    return ValidationFailed(
        exc.message, code=exc.code, details=[{"field": field, "problem": exc.message}]
    )


# -- the plan's practical paper -------------------------------------------------------------


@dataclass(frozen=True)
class TaskChoice:
    task_id: int
    external_id: str
    title: str
    points: float
    minutes: int


def task_choices(db: Session, *, actor: Staff, plan_id: int) -> list[TaskChoice]:
    """The practical tasks a plan may draw: active tasks of its blueprint's bank for its
    level (the bank holds the occupation's theory items and tasks together)."""
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    return _choices(db, plan)


def _choices(db: Session, plan: ExamPlan) -> list[TaskChoice]:
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    versions = bank_tasks.drawable_tasks(db, bank_id=bp.bank_id, level_code=plan.level_code)
    tasks = {
        t.id: t
        for t in db.exec(
            select(PracticalTask).where(col(PracticalTask.id).in_([v.task_id for v in versions]))
        )
    }
    return [
        TaskChoice(v.task_id, tasks[v.task_id].external_id, v.title, v.points, v.minutes)
        for v in versions
    ]


def _sections(plan: ExamPlan) -> list[assembly.TaskSection]:
    return [
        assembly.TaskSection(tuple(int(t) for t in s["task_ids"]), float(s["weight"]))
        for s in plan.practical_sections
    ]


def set_practical_paper(
    db: Session, *, actor: Staff, plan_id: int, data: PracticalPaperIn
) -> ExamPlan:
    """The plan's practical sections. Refused once a paper has been drawn from them: the
    candidates marked so far must keep the tasks they sat."""
    centre_for(actor, Action.MANAGE, Resource.PLAN)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    if Component.PRACTICAL not in plan.components:
        raise Conflict("该考试计划不含技能考核", code="plan_has_no_practical")
    drawn = db.exec(
        select(PaperTask.id)
        .join(PracticalSession, col(PracticalSession.id) == PaperTask.practical_session_id)
        .where(PracticalSession.plan_id == plan_id)
    ).first()
    if drawn is not None:
        raise Conflict("已有考生抽取了技能考核试题，不能再修改试卷", code="practical_paper_drawn")
    sections = [
        assembly.TaskSection(tuple(dict.fromkeys(s.task_ids)), s.weight) for s in data.sections
    ]
    problems = assembly.practical_paper_problems(sections, [c.task_id for c in _choices(db, plan)])
    if problems:
        raise invalid("技能考核试卷有误", "practical_paper_invalid", problems)
    plan.practical_sections = [{"task_ids": list(s.task_ids), "weight": s.weight} for s in sections]
    db.add(plan)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="plan.practical_paper",
        object_type="exam_plan",
        object_id=plan.id,
        detail={"sections": plan.practical_sections},
    )
    return plan


def set_review_sheet(db: Session, *, actor: Staff, plan_id: int, data: ReviewSheetIn) -> ExamPlan:
    """The plan's 综合评审 sheet: criteria (code, name, points, step) adding up to 100.
    Refused once a review paper has been given out from it."""
    centre_for(actor, Action.MANAGE, Resource.PLAN)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    if Component.REVIEW not in plan.components:
        raise Conflict("该考试计划不含综合评审", code="plan_has_no_review")
    given = db.exec(
        select(PaperTask.id)
        .join(PracticalSession, col(PracticalSession.id) == PaperTask.practical_session_id)
        .where(PracticalSession.plan_id == plan_id, PracticalSession.component == "review")
    ).first()
    if given is not None:
        raise Conflict("已有考生进入综合评审，不能再修改评审表", code="review_sheet_in_use")
    problems: list[dict[str, Any]] = []
    codes: set[str] = set()
    sheet: list[dict[str, Any]] = []
    for i, c in enumerate(data.criteria):
        where = f"criteria[{i}]"
        if not re.fullmatch(r"[A-Z][0-9]{1,2}", c.code) or c.code in codes:
            problems.append({"field": where, "problem": f"评审要素编码 {c.code} 应如 R1，且不重复"})
        codes.add(c.code)
        if not c.name.strip():
            problems.append({"field": where, "problem": "评审要素名称不能为空"})
        if (
            c.step not in STEPS
            or c.points <= 0
            or abs(c.points / c.step - round(c.points / c.step)) > 1e-9
        ):
            problems.append(
                {"field": where, "problem": "配分应大于 0，且为步长（0.5、1、2 或 5）的整数倍"}
            )
        sheet.append(
            {
                "code": c.code,
                "name": c.name.strip(),
                "points": c.points,
                "step": c.step,
                "earns": c.earns.strip(),
                "deductions": [],
                "veto": False,
            }
        )
    total = sum(c.points for c in data.criteria)
    if not data.criteria or abs(total - 100) > 1e-9:
        problems.append({"field": "criteria", "problem": f"评审要素配分之和为 {total:g}，应为 100"})
    if problems:
        raise invalid("综合评审表有误", "review_sheet_invalid", problems)
    plan.review_sheet = sheet
    db.add(plan)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="plan.review_sheet",
        object_type="exam_plan",
        object_id=plan.id,
        detail={"criteria": sheet},
    )
    return plan


# -- practical sessions and their panels ------------------------------------------------------


def checked_panel(
    db: Session,
    centre_id: int,
    examiner_ids: list[int],
    chief_id: int,
    *,
    what: str = "技能考核考评组",
    check_size: Callable[[int], None] | None = None,
) -> list[StaffUser]:
    """The centre's active examiners named, the chief among them, the panel of a size
    `check_size` accepts (default: odd and three or more, DOMAIN.md §2). A panel for a
    practical or review session, or a marking job's markers (app/results/written.py)."""
    ids = list(dict.fromkeys(examiner_ids))
    problems: list[dict[str, Any]] = []
    found: list[StaffUser] = []
    for staff_id in ids:
        user = db.get(StaffUser, staff_id)
        if (
            user is None
            or user.centre_id != centre_id
            or user.role != Role.EXAMINER
            or not user.is_active
        ):
            problems.append(
                {"field": "examiner_ids", "problem": f"账号 #{staff_id} 不是本机构在职的考评员"}
            )
        else:
            found.append(user)
    try:
        if check_size is None:
            rules.check_panel_size(len(ids), what=what)
        else:
            check_size(len(ids))
    except rules.RuleError as exc:
        problems.append({"field": "examiner_ids", "problem": exc.message})
    if chief_id not in ids:
        problems.append(
            {"field": "chief_examiner_id", "problem": "考评组长须是本考评组的考评员之一"}
        )
    if problems:
        raise invalid(f"{what}有误", "panel_invalid", problems)
    return found


def eligible_examiners(db: Session, *, actor: Staff) -> list[StaffUser]:
    """The centre's active examiners (考评员), for a panel."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.PLAN)
    return list(
        db.exec(
            select(StaffUser)
            .where(
                StaffUser.centre_id == centre_id,
                StaffUser.role == Role.EXAMINER,
                col(StaffUser.is_active).is_(True),
            )
            .order_by(col(StaffUser.display_name), col(StaffUser.id))
        )
    )


def _component_minutes(plan: ExamPlan, component: str) -> int:
    for r in plan.component_rules:
        if r.get("component") == component and r.get("minutes"):
            return int(r["minutes"])
    return MIN_MINUTES[Component(component)] or 15


def create_practical_session(
    db: Session, *, actor: Staff, plan_id: int, data: PracticalSessionCreate
) -> PracticalSession:
    """A panel-marked sitting (技能考核, or 综合评审 for 技师/高级技师) for the candidates of
    one of the plan's theory sessions, with its panel; every candidate registered then gets
    their paper (the drawn tasks, or the review sheet)."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.PLAN)
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    component = data.component
    if component not in (Component.PRACTICAL, Component.REVIEW):
        raise ValidationFailed(
            "考核项目应为技能考核或综合评审",
            code="component_invalid",
            details=[{"field": "component", "problem": "practical 或 review"}],
        )
    if component not in plan.components:
        raise Conflict(
            f"该考试计划不含{COMPONENT_NAMES[component]}", code=f"plan_has_no_{component}"
        )
    if component == Component.PRACTICAL and not plan.practical_sections:
        raise Conflict("请先设置技能考核试卷（试题与配分）", code="practical_paper_missing")
    problems: list[dict[str, Any]] = []
    exam_session = db.get(ExamSession, data.exam_session_id)
    if exam_session is None or exam_session.plan_id != plan.id:
        problems.append({"field": "exam_session_id", "problem": "请选择本考试计划的理论考试场次"})
    elif db.exec(
        select(PracticalSession.id).where(
            PracticalSession.exam_session_id == exam_session.id,
            PracticalSession.component == component,
        )
    ).first():
        problems.append(
            {
                "field": "exam_session_id",
                "problem": f"该场次的考生已安排了{COMPONENT_NAMES[component]}",
            }
        )
    if not data.name.strip():
        problems.append({"field": "name", "problem": "场次名称不能为空"})
    if not data.site.strip():
        problems.append({"field": "site", "problem": "考核地点不能为空"})
    minimum = _component_minutes(plan, component)
    duration = minimum if data.duration_minutes is None else data.duration_minutes
    if not minimum <= duration <= MAX_DURATION:
        problems.append(
            {
                "field": "duration_minutes",
                "problem": f"{COMPONENT_NAMES[component]}时长应在 {minimum}–{MAX_DURATION} 分钟之间"
                f"（考试计划规定 {minimum} 分钟）",
            }
        )
    if problems:
        raise invalid("场次信息有误", "practical_session_invalid", problems)
    panel = checked_panel(
        db,
        centre_id,
        data.examiner_ids,
        data.chief_examiner_id,
        what="综合评审专家组" if component == Component.REVIEW else "技能考核考评组",
    )
    assert exam_session is not None
    ps = PracticalSession(
        centre_id=centre_id,
        plan_id=plan.id or 0,
        exam_session_id=exam_session.id or 0,
        component=component,
        name=data.name.strip(),
        site=data.site.strip(),
        starts_at=clock.from_china(data.starts_at),
        duration_minutes=duration,
    )
    db.add(ps)
    db.flush()
    for user in panel:
        db.add(
            PanelMember(
                practical_session_id=ps.id or 0,
                staff_user_id=user.id or 0,
                is_chief=user.id == data.chief_examiner_id,
            )
        )
    drawn = _draw_missing(db, ps, plan)
    audit.record(
        db,
        actor=actor,
        action="practical_session.create",
        object_type="practical_session",
        object_id=ps.id,
        detail={
            "component": component,
            "exam_session_id": ps.exam_session_id,
            "examiner_ids": [u.id for u in panel],
            "chief_examiner_id": data.chief_examiner_id,
            "papers": drawn,
        },
    )
    return ps


def _draw_missing(db: Session, ps: PracticalSession, plan: ExamPlan) -> int:
    """Draw the paper of every registration of the session that has none yet."""
    has_paper = set(
        db.exec(
            select(PaperTask.registration_id).where(PaperTask.practical_session_id == ps.id)
        ).all()
    )
    regs = [
        r
        for r in db.exec(
            select(Registration)
            .where(Registration.session_id == ps.exam_session_id)
            .order_by(col(Registration.seat_number))
        )
        if r.id not in has_paper
    ]
    if not regs:
        return 0
    if ps.component == Component.REVIEW:
        sheet = plan.review_sheet or DEFAULT_REVIEW_SHEET
        for reg in regs:
            db.add(
                PaperTask(
                    practical_session_id=ps.id or 0,
                    registration_id=reg.id or 0,
                    position=1,
                    rubric=sheet,
                    weight=100,
                )
            )
        db.flush()
        return len(regs)
    current = {
        v.task_id: v
        for v in bank_tasks.drawable_tasks(
            db, bank_id=_bank_of(db, plan), level_code=plan.level_code
        )
    }
    sections = _sections(plan)
    for reg in regs:
        assert reg.id is not None
        seed = (
            plan.form_seed
            if plan.form_mode == FormMode.FIXED
            else assembly.candidate_seed(plan.form_seed, reg.id)
        )
        for position, (task_id, weight) in enumerate(assembly.draw_practical(sections, seed), 1):
            version = current.get(task_id)
            if version is None:
                raise Conflict(
                    f"试题 #{task_id} 已停用，请修改技能考核试卷", code="practical_task_retired"
                )
            db.add(
                PaperTask(
                    practical_session_id=ps.id or 0,
                    registration_id=reg.id,
                    position=position,
                    task_version_id=version.id or 0,
                    weight=weight,
                )
            )
    db.flush()
    return len(regs)


def _bank_of(db: Session, plan: ExamPlan) -> int:
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    return bp.bank_id


def draw_missing_papers(db: Session, *, actor: Staff, practical_session_id: int) -> int:
    """Papers for candidates registered after the session was created."""
    ps = _session_of_centre(db, actor, practical_session_id)
    plan = db.get(ExamPlan, ps.plan_id)
    assert plan is not None
    count = _draw_missing(db, ps, plan)
    audit.record(
        db,
        actor=actor,
        action="practical_session.draw",
        object_type="practical_session",
        object_id=ps.id,
        detail={"papers": count},
    )
    return count


def _session_of_centre(db: Session, actor: Staff, practical_session_id: int) -> PracticalSession:
    """A practical session for its centre's admin (who manages it and sees names)."""
    ps = db.get(PracticalSession, practical_session_id)
    policy.check(
        actor,
        Action.MANAGE,
        Resource.PLAN,
        Facts.of(ps.centre_id) if ps is not None else None,
        missing=_NO_SESSION,
    )
    assert ps is not None
    return ps


def plan_practical_sessions(db: Session, *, actor: Staff, plan_id: int) -> list[PracticalSession]:
    plan = get_plan(db, actor=actor, plan_id=plan_id)
    return list(
        db.exec(
            select(PracticalSession)
            .where(PracticalSession.plan_id == plan.id)
            .order_by(col(PracticalSession.starts_at), col(PracticalSession.id))
        )
    )


# -- reading sheets and task states -------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    """What an examiner marks: a practical task's version, or the plan's 综合评审 sheet."""

    title: str
    points: float
    minutes: int
    instructions: str
    materials: list[str]
    rubric: list[dict[str, Any]]


def _view(task: PaperTask, version: PracticalTaskVersion | None) -> TaskView:
    if version is None:  # 综合评审: the sheet the paper was given
        return TaskView(
            title=REVIEW_TITLE,
            points=sum(float(c["points"]) for c in task.rubric if not c["veto"]),
            minutes=0,
            instructions=REVIEW_INSTRUCTIONS,
            materials=[],
            rubric=list(task.rubric),
        )
    return TaskView(
        version.title,
        version.points,
        version.minutes,
        version.instructions,
        list(version.materials),
        list(version.rubric),
    )


def _view_of(db: Session, task: PaperTask) -> TaskView:
    version = db.get(PracticalTaskVersion, task.task_version_id) if task.task_version_id else None
    return _view(task, version)


def _criteria(version: TaskView) -> list[rules.Criterion]:
    return [
        rules.Criterion(
            code=c["code"],
            points=rules.dec(c["points"]),
            step=rules.dec(c["step"]) if c["step"] else Decimal("0.5"),
            veto=bool(c["veto"]),
        )
        for c in version.rubric
    ]


def _criteria_out(version: TaskView) -> list[CriterionOut]:
    return [
        CriterionOut(
            code=c["code"],
            name=c["name"],
            points=c["points"],
            step=c["step"],
            earns=c["earns"],
            deductions=c["deductions"],
            veto=c["veto"],
        )
        for c in version.rubric
    ]


@dataclass
class _Loaded:
    """A practical session's papers, sheets and arbitrations, loaded in a few queries."""

    session: PracticalSession
    plan: ExamPlan
    panel: list[PanelMember]
    registrations: dict[int, Registration]
    tasks: dict[int, list[PaperTask]]  # registration id → paper in order
    versions: dict[int, PracticalTaskVersion]
    sheets: dict[int, list[MarkSheet]]  # paper task id → sheets
    arbitrations: dict[int, Arbitration]

    @property
    def panel_size(self) -> int:
        return len(self.panel)

    @property
    def rounding(self) -> rules.Rounding:
        return rules.Rounding(step=rules.dec(self.plan.rounding_step))

    def view(self, task: PaperTask) -> "TaskView":
        return _view(task, self.versions.get(task.task_version_id or 0))

    def state(self, task: PaperTask) -> rules.TaskState:
        assert task.id is not None
        totals = [
            s.total
            for s in self.sheets.get(task.id, [])
            if s.status == SheetStatus.SUBMITTED and s.total is not None
        ]
        arb = self.arbitrations.get(task.id)
        return rules.task_state(
            totals,
            panel_size=self.panel_size,
            tolerance=self.plan.panel_tolerance,
            rounding=self.rounding,
            arbitrated_score=arb.score if arb else None,
        )

    def component_score(self, registration_id: int) -> Decimal | None:
        paper = self.tasks.get(registration_id, [])
        scores: list[rules.TaskScore] = []
        for t in paper:
            st = self.state(t)
            if st.status != rules.TaskStatus.FINAL or st.score is None:
                return None
            scores.append(
                rules.TaskScore(
                    score=st.score,
                    max_points=rules.dec(self.view(t).points),
                    weight=rules.dec(t.weight),
                )
            )
        if not scores:
            return None
        return rules.practical_score(scores, self.rounding)


def _load(db: Session, ps: PracticalSession, registration_id: int | None = None) -> _Loaded:
    plan = db.get(ExamPlan, ps.plan_id)
    assert plan is not None
    panel = list(db.exec(select(PanelMember).where(PanelMember.practical_session_id == ps.id)))
    reg_query = select(Registration).where(Registration.session_id == ps.exam_session_id)
    task_query = select(PaperTask).where(PaperTask.practical_session_id == ps.id)
    if registration_id is not None:
        reg_query = reg_query.where(Registration.id == registration_id)
        task_query = task_query.where(PaperTask.registration_id == registration_id)
    regs = {r.id or 0: r for r in db.exec(reg_query.order_by(col(Registration.seat_number)))}
    tasks: dict[int, list[PaperTask]] = defaultdict(list)
    all_tasks = list(db.exec(task_query.order_by(col(PaperTask.position))))
    for t in all_tasks:
        tasks[t.registration_id].append(t)
    task_ids = [t.id for t in all_tasks]
    versions = {
        v.id or 0: v
        for v in db.exec(
            select(PracticalTaskVersion).where(
                col(PracticalTaskVersion.id).in_(
                    {t.task_version_id for t in all_tasks if t.task_version_id}
                )
            )
        )
    }
    sheets: dict[int, list[MarkSheet]] = defaultdict(list)
    for s in db.exec(
        select(MarkSheet)
        .where(col(MarkSheet.paper_task_id).in_(task_ids))
        .order_by(col(MarkSheet.id))
    ):
        sheets[s.paper_task_id].append(s)
    arbitrations = {
        a.paper_task_id: a
        for a in db.exec(select(Arbitration).where(col(Arbitration.paper_task_id).in_(task_ids)))
    }
    return _Loaded(ps, plan, panel, regs, tasks, versions, sheets, arbitrations)


def _sheet_out(task: PaperTask, sheet: MarkSheet | None) -> SheetOut:
    assert task.id is not None
    if sheet is None:
        return SheetOut(
            paper_task_id=task.id,
            status="",
            marks={},
            vetoes=[],
            comment="",
            total=None,
            updated_at=None,
            submitted_at=None,
        )
    return SheetOut(
        paper_task_id=task.id,
        status=sheet.status,
        marks={k: float(v) for k, v in sheet.marks.items()},
        vetoes=list(sheet.vetoes),
        comment=sheet.comment,
        total=sheet.total,
        updated_at=sheet.updated_at,
        submitted_at=sheet.submitted_at,
    )


# -- examiners -------------------------------------------------------------------------------


def _member(db: Session, actor: Staff, ps: PracticalSession | None) -> PanelMember:
    """The actor's place on the session's panel (the policy's MARKING scope): another
    centre's session does not exist, an examiner of the centre not on the panel is told so."""
    panel = (
        db.exec(
            select(PanelMember.staff_user_id).where(PanelMember.practical_session_id == ps.id)
        ).all()
        if ps is not None
        else []
    )
    policy.check(
        actor,
        Action.MANAGE,
        Resource.SHEET,
        Facts.of(ps.centre_id, examiners=panel) if ps is not None else None,
        missing=_NO_SESSION,
    )
    assert ps is not None
    member = db.get(PanelMember, (ps.id, actor.id))
    assert member is not None
    return member


def examiner_sessions(db: Session, *, actor: Staff) -> list[ExaminerSessionOut]:
    policy.centre_scope(actor, Action.MANAGE, Resource.SHEET)
    rows = db.exec(
        select(PracticalSession, PanelMember, ExamPlan)
        .join(PanelMember, col(PanelMember.practical_session_id) == PracticalSession.id)
        .join(ExamPlan, col(ExamPlan.id) == PracticalSession.plan_id)
        .where(PanelMember.staff_user_id == actor.id)
        .order_by(col(PracticalSession.starts_at).desc(), col(PracticalSession.id).desc())
    ).all()
    out = []
    for ps, member, plan in rows:
        loaded = _load(db, ps)
        papers = [t for paper in loaded.tasks.values() for t in paper]
        mine = sum(
            1
            for t in papers
            for s in loaded.sheets.get(t.id or 0, [])
            if s.examiner_id == actor.id and s.status == SheetStatus.SUBMITTED
        )
        out.append(
            ExaminerSessionOut(
                practical_session_id=ps.id or 0,
                name=ps.name,
                site=ps.site,
                plan_name=plan.name,
                starts_at=ps.starts_at,
                is_chief=member.is_chief,
                candidates=len(loaded.tasks),
                my_submitted=mine,
                sheets_to_mark=len(papers),
            )
        )
    return out


def marking_roster(db: Session, *, actor: Staff, practical_session_id: int) -> MarkingRoster:
    """The candidates to mark, by seat: ticket and seat only (blind), with this examiner's
    sheet status per task and where each task stands."""
    ps = db.get(PracticalSession, practical_session_id)
    member = _member(db, actor, ps)
    assert ps is not None
    loaded = _load(db, ps)
    rows = []
    for reg_id, reg in loaded.registrations.items():
        paper = loaded.tasks.get(reg_id)
        if not paper:
            continue
        tasks = []
        for t in paper:
            mine = next(
                (s for s in loaded.sheets.get(t.id or 0, []) if s.examiner_id == actor.id), None
            )
            st = loaded.state(t)
            tasks.append(
                RosterTask(
                    paper_task_id=t.id or 0,
                    position=t.position,
                    title=loaded.view(t).title,
                    my_status=mine.status if mine else "",
                    status=st.status,
                    status_name=rules.TASK_STATUS_NAMES[st.status],
                )
            )
        rows.append(
            RosterRow(
                registration_id=reg_id,
                ticket_number=reg.ticket_number,
                seat_number=reg.seat_number,
                tasks=tasks,
            )
        )
    return MarkingRoster(
        practical_session_id=ps.id or 0,
        session_name=ps.name,
        site=ps.site,
        starts_at=ps.starts_at,
        is_chief=member.is_chief,
        panel_size=loaded.panel_size,
        rows=rows,
    )


def marking_page(
    db: Session, *, actor: Staff, practical_session_id: int, registration_id: int
) -> MarkingPage:
    """One candidate's paper for this examiner: the rubric of each task and the examiner's
    own sheet; how many of the panel have submitted, never what they gave."""
    ps = db.get(PracticalSession, practical_session_id)
    member = _member(db, actor, ps)
    assert ps is not None
    loaded = _load(db, ps, registration_id)
    reg = loaded.registrations.get(registration_id)
    paper = loaded.tasks.get(registration_id)
    if reg is None or not paper:
        raise NotFound("本场技能考核没有这名考生", code="candidate_not_in_session")
    tasks = []
    for t in paper:
        v = loaded.view(t)
        sheets = loaded.sheets.get(t.id or 0, [])
        mine = next((s for s in sheets if s.examiner_id == actor.id), None)
        st = loaded.state(t)
        tasks.append(
            TaskOnPaper(
                paper_task_id=t.id or 0,
                position=t.position,
                title=v.title,
                minutes=v.minutes,
                points=v.points,
                weight=t.weight,
                instructions=v.instructions,
                materials=v.materials,
                criteria=_criteria_out(v),
                sheet=_sheet_out(t, mine),
                submitted_count=st.submitted,
                panel_size=loaded.panel_size,
                status=st.status,
                status_name=rules.TASK_STATUS_NAMES[st.status],
            )
        )
    return MarkingPage(
        practical_session_id=ps.id or 0,
        session_name=ps.name,
        site=ps.site,
        registration_id=registration_id,
        ticket_number=reg.ticket_number,
        seat_number=reg.seat_number,
        is_chief=member.is_chief,
        tasks=tasks,
    )


def _task_for_examiner(db: Session, actor: Staff, paper_task_id: int) -> tuple[PaperTask, TaskView]:
    task = db.get(PaperTask, paper_task_id)
    ps = db.get(PracticalSession, task.practical_session_id) if task else None
    _member(db, actor, ps)
    assert task is not None
    return task, _view_of(db, task)


def task_rubric(db: Session, *, paper_task_id: int) -> list[dict[str, Any]]:
    """The rubric a paper task is marked against (for seeding and tools; no access check)."""
    task = db.get(PaperTask, paper_task_id)
    if task is None:
        raise NotFound("评分表不存在", code="sheet_not_found")
    return _view_of(db, task).rubric


def _own_sheet(db: Session, task: PaperTask, actor: Staff, *, lock: bool) -> MarkSheet | None:
    query = select(MarkSheet).where(
        MarkSheet.paper_task_id == task.id, MarkSheet.examiner_id == actor.id
    )
    if lock:
        query = query.with_for_update()
    return db.exec(query).first()


def _clean_comment(comment: str) -> str:
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(
            f"评语不能超过 {MAX_COMMENT} 字",
            code="comment_too_long",
            details=[{"field": "comment", "problem": f"不能超过 {MAX_COMMENT} 字"}],
        )
    return text


def _write_sheet(
    db: Session, actor: Staff, paper_task_id: int, data: SheetIn, *, submit: bool
) -> MarkSheet:
    task, version = _task_for_examiner(db, actor, paper_task_id)
    criteria = _criteria(version)
    comment = _clean_comment(data.comment)
    vetoes = list(dict.fromkeys(data.vetoes))
    try:
        marks = rules.draft_marks(criteria, data.marks, vetoes)
        total = rules.sheet_total(criteria, marks, vetoes).total if submit else None
    except rules.RuleError as exc:
        raise _rule_error(exc, "marks") from exc
    sheet = _own_sheet(db, task, actor, lock=True)
    if sheet is not None and sheet.status == SheetStatus.SUBMITTED:
        raise Conflict("评分表已提交，不能再修改", code="sheet_submitted")
    old = (dict(sheet.marks), list(sheet.vetoes), sheet.comment) if sheet else ({}, [], "")
    stored = {k: float(v) for k, v in marks.items()}
    now = clock.utcnow()
    if sheet is None:
        sheet = MarkSheet(paper_task_id=task.id or 0, examiner_id=actor.id, created_at=now)
    sheet.marks, sheet.vetoes, sheet.comment, sheet.updated_at = stored, vetoes, comment, now
    if submit:
        sheet.status = SheetStatus.SUBMITTED
        sheet.total = float(total) if total is not None else None
        sheet.submitted_at = now
    db.add(sheet)
    db.flush()
    changed = {
        code: [old[0].get(code), stored.get(code)]
        for code in sorted(set(old[0]) | set(stored))
        if old[0].get(code) != stored.get(code)
    }
    if submit or changed or old[1] != vetoes or old[2] != comment:
        audit.record(
            db,
            actor=actor,
            action="practical.sheet.submit" if submit else "practical.sheet.save",
            object_type="mark_sheet",
            object_id=sheet.id,
            detail={
                "paper_task_id": task.id,
                "registration_id": task.registration_id,
                "changed": changed,
                "vetoes": vetoes,
                **({"total": sheet.total} if submit else {}),
            },
        )
    return sheet


def save_sheet(db: Session, *, actor: Staff, paper_task_id: int, data: SheetIn) -> SheetOut:
    """Save as the examiner goes: every mark given must be in range and step, blanks wait."""
    sheet = _write_sheet(db, actor, paper_task_id, data, submit=False)
    task = db.get(PaperTask, paper_task_id)
    assert task is not None
    return _sheet_out(task, sheet)


def submit_sheet(db: Session, *, actor: Staff, paper_task_id: int, data: SheetIn) -> SheetOut:
    """The examiner's final sheet: every scored criterion marked; a veto zeros the total.
    Never changed afterwards."""
    sheet = _write_sheet(db, actor, paper_task_id, data, submit=True)
    task = db.get(PaperTask, paper_task_id)
    assert task is not None
    return _sheet_out(task, sheet)


# -- the chief examiner's arbitration -------------------------------------------------------------


def _chief_task(db: Session, actor: Staff, paper_task_id: int) -> tuple[PaperTask, _Loaded]:
    task = db.get(PaperTask, paper_task_id)
    ps = db.get(PracticalSession, task.practical_session_id) if task else None
    member = _member(db, actor, ps)
    assert task is not None and ps is not None
    if not member.is_chief:
        raise PermissionDenied("只有考评组长可以仲裁", code="not_chief_examiner")
    return task, _load(db, ps, task.registration_id)


def arbitration_page(db: Session, *, actor: Staff, paper_task_id: int) -> ArbitrationPage:
    task, loaded = _chief_task(db, actor, paper_task_id)
    st = loaded.state(task)
    if st.status == rules.TaskStatus.MARKING:
        raise Conflict("考评员尚未全部提交评分表，还不能仲裁", code="marking_not_finished")
    v = loaded.view(task)
    names = {
        u.id: u.display_name
        for u in db.exec(
            select(StaffUser).where(col(StaffUser.id).in_([m.staff_user_id for m in loaded.panel]))
        )
    }
    reg = loaded.registrations[task.registration_id]
    arb = loaded.arbitrations.get(task.id or 0)
    return ArbitrationPage(
        paper_task_id=task.id or 0,
        practical_session_id=task.practical_session_id,
        ticket_number=reg.ticket_number,
        seat_number=reg.seat_number,
        title=v.title,
        points=v.points,
        criteria=_criteria_out(v),
        sheets=[
            ArbitrationSheet(
                examiner_name=names.get(s.examiner_id, ""),
                marks={k: float(x) for k, x in s.marks.items()},
                vetoes=list(s.vetoes),
                comment=s.comment,
                total=s.total or 0.0,
            )
            for s in loaded.sheets.get(task.id or 0, [])
            if s.status == SheetStatus.SUBMITTED
        ],
        spread=float(st.spread) if st.spread is not None else None,
        tolerance=loaded.plan.panel_tolerance,
        status=st.status,
        status_name=rules.TASK_STATUS_NAMES[st.status],
        decided_score=arb.score if arb else None,
        decided_reason=arb.reason if arb else "",
        decided_by=names.get(arb.chief_id, "") if arb else "",
        decided_at=arb.decided_at if arb else None,
    )


def arbitrate(
    db: Session, *, actor: Staff, paper_task_id: int, score: float, reason: str
) -> Arbitration:
    """The chief examiner's score for a task whose examiners differ beyond the tolerance,
    with the reason; recorded once, with the totals it decided on."""
    task, loaded = _chief_task(db, actor, paper_task_id)
    st = loaded.state(task)
    if st.status == rules.TaskStatus.MARKING:
        raise Conflict("考评员尚未全部提交评分表，还不能仲裁", code="marking_not_finished")
    if st.arbitrated:
        raise Conflict("该试题已仲裁", code="already_arbitrated")
    if st.status != rules.TaskStatus.ARBITRATION:
        raise Conflict("各考评员评分差异在允许范围内，无需仲裁", code="arbitration_not_needed")
    text = clean_reason(reason)
    v = loaded.view(task)
    try:
        decided = rules.check_arbitration(score, max_points=v.points, reason=text)
    except rules.RuleError as exc:
        raise _rule_error(exc, "score") from exc
    totals = [
        s.total or 0.0
        for s in loaded.sheets.get(task.id or 0, [])
        if s.status == SheetStatus.SUBMITTED
    ]
    arb = Arbitration(
        paper_task_id=task.id or 0,
        chief_id=actor.id,
        score=float(decided),
        reason=text,
        totals=totals,
        decided_at=clock.utcnow(),
    )
    db.add(arb)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="practical.arbitrate",
        object_type="paper_task",
        object_id=task.id,
        reason=text,
        detail={"score": arb.score, "totals": totals, "registration_id": task.registration_id},
    )
    return arb


# -- the centre admin's view ----------------------------------------------------------------------


def practical_session(
    db: Session, *, actor: Staff, practical_session_id: int
) -> PracticalSessionOut:
    """The session for its centre's admin: the panel, and every candidate's tasks with the
    examiners' totals, the task scores (mean or arbitration) and the practical score."""
    ps = _session_of_centre(db, actor, practical_session_id)
    loaded = _load(db, ps)
    users = {
        u.id: u
        for u in db.exec(
            select(StaffUser).where(col(StaffUser.id).in_([m.staff_user_id for m in loaded.panel]))
        )
    }
    candidates = {
        c.id: c
        for c in db.exec(
            select(Candidate).where(
                col(Candidate.id).in_([r.candidate_id for r in loaded.registrations.values()])
            )
        )
    }
    rows = []
    without = 0
    for reg_id, reg in loaded.registrations.items():
        paper = loaded.tasks.get(reg_id, [])
        if not paper:
            without += 1
            continue
        tasks = []
        for t in paper:
            st = loaded.state(t)
            v = loaded.view(t)
            tasks.append(
                TaskScoreOut(
                    paper_task_id=t.id or 0,
                    position=t.position,
                    title=v.title,
                    weight=t.weight,
                    points=v.points,
                    totals=[
                        s.total or 0.0
                        for s in loaded.sheets.get(t.id or 0, [])
                        if s.status == SheetStatus.SUBMITTED
                    ],
                    status=st.status,
                    status_name=rules.TASK_STATUS_NAMES[st.status],
                    score=float(st.score) if st.score is not None else None,
                    arbitrated=st.arbitrated,
                )
            )
        score = loaded.component_score(reg_id)
        rows.append(
            PracticalScoreRow(
                registration_id=reg_id,
                candidate_name=candidates[reg.candidate_id].name,
                ticket_number=reg.ticket_number,
                seat_number=reg.seat_number,
                tasks=tasks,
                score=float(score) if score is not None else None,
            )
        )
    plan = loaded.plan
    return PracticalSessionOut(
        id=ps.id or 0,
        plan_id=plan.id or 0,
        plan_name=plan.name,
        exam_session_id=ps.exam_session_id,
        name=ps.name,
        site=ps.site,
        starts_at=ps.starts_at,
        duration_minutes=ps.duration_minutes,
        tolerance=plan.panel_tolerance,
        rounding_step=plan.rounding_step,
        panel=[
            PanelMemberOut(
                staff_user_id=m.staff_user_id,
                name=users[m.staff_user_id].display_name,
                is_chief=m.is_chief,
            )
            for m in sorted(loaded.panel, key=lambda m: (not m.is_chief, m.staff_user_id))
        ],
        without_paper=without,
        rows=rows,
    )


@dataclass(frozen=True)
class PracticalStanding:
    score: Decimal | None  # the component out of 100 once every task is final
    awaiting_arbitration: bool  # a task waits for the chief examiner


def practical_standings(db: Session, *, plan_id: int) -> dict[tuple[int, str], PracticalStanding]:
    """(registration id, component) → where a panel-marked component (技能考核, 综合评审)
    stands, for every registration with a paper in the plan. What results are computed from."""
    out: dict[tuple[int, str], PracticalStanding] = {}
    for ps in db.exec(select(PracticalSession).where(PracticalSession.plan_id == plan_id)):
        loaded = _load(db, ps)
        for reg_id, paper in loaded.tasks.items():
            out[(reg_id, ps.component)] = PracticalStanding(
                score=loaded.component_score(reg_id),
                awaiting_arbitration=any(
                    loaded.state(t).status == rules.TaskStatus.ARBITRATION for t in paper
                ),
            )
    return out
