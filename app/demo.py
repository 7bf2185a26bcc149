"""Demo data for `python -m app.cli demo`: a centre with staff, the shipped banks, a
blueprint per bank, and an electrician exam session open now with registered candidates.

Idempotent: run again, it reuses what is there and, when no demo session is open for
entry, opens a new one starting now with the same candidates."""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import ROLE_NAMES, Role, StaffUser
from app.accounts.principals import Staff
from app.accounts.service import as_staff
from app.banks import service as banks
from app.banks.models import QuestionBank
from app.core.clock import CHINA_TZ, to_china, utcnow
from app.exams import blueprints, candidates, plans, registrations, sessions
from app.exams.models import (
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    FormMode,
    Registration,
)
from app.exams.schemas import (
    BlueprintCreate,
    CandidateIn,
    PlanCreate,
    RegistrationCreate,
    SectionIn,
    SessionCreate,
)
from app.reference import service as reference
from app.reference.identifiers import credit_code_check_char, resident_id_check_char
from app.reference.models import EvaluationCentre

BANKS_DIR = Path(__file__).resolve().parents[1] / "question_banks"

_CREDIT_BODY = "52340400MJ8800001"  # 社会服务机构, 淮南 (made up, check character computed)
DEMO_CREDIT_CODE = _CREDIT_BODY + credit_code_check_char(_CREDIT_BODY)

# username, display name, role, password
DEMO_STAFF = (
    ("admin", "平台管理员", Role.PLATFORM_ADMIN, "jiping-admin"),
    ("centre", "李主任", Role.CENTRE_ADMIN, "jiping-centre"),
    ("proctor1", "王监考", Role.PROCTOR, "jiping-proctor"),
    ("proctor2", "赵监考", Role.PROCTOR, "jiping-proctor"),
    ("examiner", "陈考评", Role.EXAMINER, "jiping-examiner"),
    ("examiner2", "周考评", Role.EXAMINER, "jiping-examiner"),
    ("examiner3", "吴考评", Role.EXAMINER, "jiping-examiner"),
    ("regulator", "淮南市人社局", Role.REGULATOR, "jiping-regulator"),
)

DEMO_CANDIDATES = (
    ("张伟", "19950312", 11),
    ("王芳", "19980725", 22),
    ("李强", "19900108", 31),
    ("刘洋", "20010519", 45),
    ("陈静", "19970930", 52),
    ("杨磊", "19931111", 67),
    ("赵敏", "20000204", 78),
    ("黄涛", "19890623", 83),
)

# The demo paper: 100 points, A 30% / B 50% / C 20% (question_banks/README.md).
DEMO_SECTIONS = (
    ("single_choice", 40, 1.5),
    ("multiple_choice", 10, 2),
    ("true_false", 10, 1),
    ("fill_in", 10, 1),
)


@dataclass(frozen=True)
class DemoLogin:
    who: str
    username: str
    password: str


@dataclass(frozen=True)
class DemoTicket:
    name: str
    ticket_number: str
    id_number: str


@dataclass(frozen=True)
class DemoData:
    staff: list[DemoLogin]
    session_label: str
    tickets: list[DemoTicket]
    finished_label: str = ""
    finished_tickets: list[DemoTicket] = field(default_factory=list)


def _resident_id(birth: str, seq: int) -> str:
    body = f"340403{birth}{seq:03d}"
    return body + resident_id_check_char(body)


def _staff(db: Session, centre: EvaluationCentre) -> dict[str, Staff]:
    found: dict[str, Staff] = {}
    for username, name, role, password in DEMO_STAFF:
        user = db.exec(select(StaffUser).where(StaffUser.username == username)).first()
        if user is None:
            user = accounts.create_staff_user(
                db,
                username=username,
                display_name=name,
                password=password,
                role=role,
                centre_id=centre.id if role not in (Role.PLATFORM_ADMIN, Role.REGULATOR) else None,
                region_code="340400" if role == Role.REGULATOR else None,
            )
        found[username] = as_staff(user)
    return found


def _banks(db: Session, centre: EvaluationCentre, admin: Staff) -> list[QuestionBank]:
    assert centre.id is not None
    for path in sorted(BANKS_DIR.glob("*.yaml")):
        banks.import_bank_file(
            db, centre_id=centre.id, filename=path.name, content=path.read_bytes(), actor=admin
        )
    return list(db.exec(select(QuestionBank).where(QuestionBank.centre_id == centre.id)))


def _blueprint(db: Session, bank: QuestionBank, admin: Staff) -> Blueprint:
    name = f"{bank.name.replace('题库', '')}试卷"
    existing = db.exec(
        select(Blueprint).where(Blueprint.bank_id == bank.id, Blueprint.name == name)
    ).first()
    if existing is not None:
        return existing
    assert bank.id is not None
    return blueprints.create_blueprint(
        db,
        actor=admin,
        data=BlueprintCreate(
            bank_id=bank.id,
            name=name,
            level_code=bank.level_codes[0],
            sections=[SectionIn(item_type=t, count=n, points=p) for t, n, p in DEMO_SECTIONS],
            time_limit_minutes=90,
        ),
    )


# The classic national 四级/中级工 theory paper (DOMAIN.md §2): 160 single choice × 0.5 +
# 40 true/false × 0.5, whatever points the bank's items carry; at least 40% of every
# area's points from core (X) assessment points.
CLASSIC_SECTIONS = (("single_choice", 160, 0.5), ("true_false", 40, 0.5))
CLASSIC_CORE_SHARE = {"A": 40.0, "B": 40.0, "C": 40.0}
CLASSIC_NAME = "电工四级/中级工理论知识标准卷（160 单选 + 40 判断）"


def _classic_blueprint(db: Session, bank: QuestionBank, admin: Staff) -> Blueprint:
    existing = db.exec(
        select(Blueprint).where(Blueprint.bank_id == bank.id, Blueprint.name == CLASSIC_NAME)
    ).first()
    if existing is not None:
        return existing
    assert bank.id is not None
    return blueprints.create_blueprint(
        db,
        actor=admin,
        data=BlueprintCreate(
            bank_id=bank.id,
            name=CLASSIC_NAME,
            level_code="intermediate",
            sections=[SectionIn(item_type=t, count=n, points=p) for t, n, p in CLASSIC_SECTIONS],
            core_min_share=CLASSIC_CORE_SHARE,
            time_limit_minutes=120,
        ),
    )


def _plan(db: Session, blueprint: Blueprint, admin: Staff, name: str, mode: FormMode) -> ExamPlan:
    existing = db.exec(select(ExamPlan).where(ExamPlan.blueprint_id == blueprint.id)).first()
    if existing is not None:
        return existing
    assert blueprint.id is not None
    return plans.create_plan(
        db,
        actor=admin,
        data=PlanCreate(
            name=name,
            occupation_id=blueprint.occupation_id,
            level_code=blueprint.level_code,
            blueprint_id=blueprint.id,
            form_mode=mode,
            leave_limit=5,
            allow_calculator=True,
            allow_scratchpad=True,
        ),
    )


def _open_session(db: Session, plan: ExamPlan, admin: Staff, proctors: list[Staff]) -> ExamSession:
    """The newest session of the plan if candidates can still enter it, else a new one
    starting now (China time, to the minute)."""
    now = utcnow()
    latest = db.exec(
        select(ExamSession)
        .where(ExamSession.plan_id == plan.id)
        .order_by(col(ExamSession.starts_at).desc())
    ).first()
    if latest is not None and latest.starts_at + timedelta(minutes=plan.late_entry_minutes) > now:
        return latest
    count = len(list(db.exec(select(ExamSession.id).where(ExamSession.plan_id == plan.id))))
    start = to_china(now)
    assert start is not None and plan.id is not None
    session = sessions.create_session(
        db,
        actor=admin,
        data=SessionCreate(
            plan_id=plan.id,
            name=f"第{count + 1}场",
            room="301 机房",
            starts_at=start.replace(second=0, microsecond=0, tzinfo=CHINA_TZ),
            proctor_ids=[p.id for p in proctors],
        ),
    )
    assert session.id is not None
    for name, birth, seq in DEMO_CANDIDATES:
        registrations.register_candidate(
            db,
            actor=admin,
            session_id=session.id,
            data=_registration(name, _resident_id(birth, seq)),
        )
    return session


def seed(db: Session) -> DemoData:
    reference.ensure_shipped_occupations(db)
    centre = reference.centre_by_credit_code(db, DEMO_CREDIT_CODE)
    if centre is None:
        centre = reference.create_centre(
            db,
            name="淮南市职业技能评价中心（演示）",
            credit_code=DEMO_CREDIT_CODE,
            evaluator_type="S",
            region_code="340400",
            address="安徽省淮南市田家庵区",
        )
    staff = _staff(db, centre)
    admin = staff["centre"]
    bank_list = _banks(db, centre, admin)
    blueprints = {b.code: _blueprint(db, b, admin) for b in bank_list}
    _classic_blueprint(db, next(b for b in bank_list if b.code == "DG-6-31-01-03-L4"), admin)
    electrician = _plan(
        db,
        blueprints["DG-6-31-01-03-L4"],
        admin,
        "2026年电工四级/中级工职业技能等级认定（理论知识）",
        FormMode.SHUFFLED,
    )
    _plan(
        db,
        blueprints["GYHLW-L3"],
        admin,
        "2026年工业互联网运维员三级/高级工认定（理论知识）",
        FormMode.FIXED,
    )
    _finished_assessment(db, staff, blueprints["DG-6-31-01-03-L4"])
    _written_marking(db, staff, next(b for b in bank_list if b.code == "DG-6-31-01-03-L4"))
    session = _open_session(db, electrician, admin, [staff["proctor1"], staff["proctor2"]])
    _certificate_setup(db, centre, admin)
    _subsidy_cases(db, staff, blueprints["DG-6-31-01-03-L3"])
    rows = db.exec(
        select(Registration)
        .where(Registration.session_id == session.id)
        .order_by(col(Registration.seat_number))
    ).all()
    ids = {_resident_id(b, s): n for n, b, s in DEMO_CANDIDATES}
    tickets = []
    for reg in rows:
        cand = candidates.get_candidate(db, actor=admin, candidate_id=reg.candidate_id)
        tickets.append(
            DemoTicket(ids.get(cand.id_number, cand.name), reg.ticket_number, cand.id_number)
        )
    starts = to_china(session.starts_at)
    finished = db.exec(select(ExamPlan).where(ExamPlan.name == FINISHED_PLAN)).one()
    finished_tickets = [
        DemoTicket(ids.get(cand.id_number, cand.name), reg.ticket_number, cand.id_number)
        for reg, cand in db.exec(
            select(Registration, Candidate)
            .join(Candidate, col(Candidate.id) == Registration.candidate_id)
            .join(ExamSession, col(ExamSession.id) == Registration.session_id)
            .where(ExamSession.plan_id == finished.id)
            .order_by(col(Registration.seat_number))
        ).all()
    ]
    return DemoData(
        finished_label=f"{finished.name}（成绩已确认并公布；考评组长 examiner 仲裁过一次）",
        finished_tickets=finished_tickets,
        staff=[
            DemoLogin(f"{ROLE_NAMES[role]} {name}", username, password)
            for username, name, role, password in DEMO_STAFF
        ],
        session_label=f"{electrician.name} {session.name} {session.room}，"
        f"{starts:%Y-%m-%d %H:%M} 开考，{session.duration_minutes} 分钟",
        tickets=tickets,
    )


def print_accounts(data: DemoData, base_url: str = "http://127.0.0.1:8000") -> None:
    print(f"\n演示账号（工作人员登录 {base_url}/login）：")
    for login in data.staff:
        print(f"  {login.who:<16} 用户名 {login.username:<10} 密码 {login.password}")
    print(f"\n演示考场：{data.session_label}")
    print(f"考生登录 {base_url}/exam/login（监考员签到后可开考）：")
    for t in data.tickets:
        print(f"  {t.name:<4} 准考证号 {t.ticket_number}  身份证号 {t.id_number}")
    if data.finished_tickets:
        print(f"\n已完成的认定：{data.finished_label}")
        print(f"考生登录 {base_url}/exam/login 后在“成绩查询”查看成绩、申请复核：")
        for t in data.finished_tickets:
            print(f"  {t.name:<4} 准考证号 {t.ticket_number}  身份证号 {t.id_number}")


# -- a finished 电工四级 assessment (issue 5): theory sat, practical marked by a panel of
# three with one arbitration, results confirmed and published --------------------------

FINISHED_PLAN = "2026年电工四级/中级工职业技能等级认定（演示：已完成）"
FINISHED_CANDIDATES = DEMO_CANDIDATES[:6]
# Per candidate: share of theory choice items answered right, and each examiner's share of
# every criterion's points on the practical tasks. The fourth candidate's examiners differ
# by more than the tolerance on every task: the chief examiner arbitrates the first.
THEORY_RIGHT = (0.9, 0.8, 0.7, 0.85, 0.45, 0.75)
PRACTICAL_SHARES = (
    (0.9, 0.9, 0.85),
    (0.8, 0.85, 0.8),
    (0.7, 0.75, 0.7),
    (0.5, 0.8, 0.95),
    (0.8, 0.8, 0.75),
    (0.55, 0.5, 0.55),
)


def _points_of(share: float, points: float, step: float) -> float:
    return min(points, round(points * share / step) * step)


def _finished_assessment(
    db: Session,
    staff: dict[str, Staff],
    blueprint: Blueprint,
    *,
    plan_name: str = FINISHED_PLAN,
    people: tuple[tuple[str, str, int], ...] = FINISHED_CANDIDATES,
    theory_right: tuple[float, ...] = THEORY_RIGHT,
    practical_shares: tuple[tuple[float, float, float], ...] = PRACTICAL_SHARES,
) -> bool:
    """Seed a finished assessment (once); True when it was seeded now."""
    from app.accounts.principals import CandidateLogin
    from app.banks.models import ItemVersion
    from app.delivery import service as delivery
    from app.delivery.models import AttemptItem
    from app.proctoring import service as proctoring
    from app.results import practical, records
    from app.results.models import PaperTask, Result
    from app.results.schemas import (
        PracticalPaperIn,
        PracticalSectionIn,
        PracticalSessionCreate,
        SheetIn,
    )

    admin = staff["centre"]
    plan = db.exec(select(ExamPlan).where(ExamPlan.name == plan_name)).first()
    if plan is not None and db.exec(select(Result.id).where(Result.plan_id == plan.id)).first():
        return False  # seeded before
    assert blueprint.id is not None
    plan = plan or plans.create_plan(
        db,
        actor=admin,
        data=PlanCreate(
            name=plan_name,
            occupation_id=blueprint.occupation_id,
            level_code=blueprint.level_code,
            blueprint_id=blueprint.id,
            form_mode=FormMode.SHUFFLED,
            require_checkin=True,
        ),
    )
    assert plan.id is not None
    start = to_china(utcnow())
    assert start is not None
    session = sessions.create_session(
        db,
        actor=admin,
        data=SessionCreate(
            plan_id=plan.id,
            name="第1场",
            room="302 机房",
            starts_at=start.replace(second=0, microsecond=0, tzinfo=CHINA_TZ),
            proctor_ids=[staff["proctor1"].id, staff["proctor2"].id],
        ),
    )
    assert session.id is not None
    regs = [
        registrations.register_candidate(
            db,
            actor=admin,
            session_id=session.id,
            data=_registration(name, _resident_id(birth, seq)),
        )
        for name, birth, seq in people
    ]
    # Theory: checked in, started, answered through the delivery service, submitted.
    for reg, right in zip(regs, theory_right, strict=True):
        assert reg.id is not None
        proctoring.check_in(db, staff=staff["proctor1"], registration_id=reg.id)
        cand = candidates.get_candidate(db, actor=admin, candidate_id=reg.candidate_id)
        login = CandidateLogin(
            registration_id=reg.id,
            candidate_id=reg.candidate_id,
            centre_id=reg.centre_id,
            session_id=session.id,
            name=cand.name,
        )
        attempt = delivery.start_attempt(db, login=login)
        items = db.exec(
            select(AttemptItem, ItemVersion)
            .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == attempt.id)
            .order_by(col(AttemptItem.position))
        ).all()
        choice_items = [(i, v) for i, v in items if v.item_type in ("single_choice", "true_false")]
        for n, (item, version) in enumerate(choice_items):
            correct = n < right * len(choice_items)
            if version.item_type == "single_choice":
                answer = version.key["answer"]
                wrong = next(o["label"] for o in version.options if o["label"] != answer)
                response: dict[str, object] = {"choice": answer if correct else wrong}
            else:
                value = bool(version.key["answer"])
                response = {"value": value if correct else not value}
            delivery.save_answer(
                db,
                login=login,
                position=item.position,
                response=response,
                flagged=False,
                client_seq=n + 1,
            )
        delivery.submit_own_attempt(db, login=login)
    # Practical: all four tasks (weights = their points), a panel of three.
    choices = practical.task_choices(db, actor=admin, plan_id=plan.id)
    practical.set_practical_paper(
        db,
        actor=admin,
        plan_id=plan.id,
        data=PracticalPaperIn(
            sections=[PracticalSectionIn(task_ids=[c.task_id], weight=c.points) for c in choices]
        ),
    )
    panel = [staff["examiner"], staff["examiner2"], staff["examiner3"]]
    ps = practical.create_practical_session(
        db,
        actor=admin,
        plan_id=plan.id,
        data=PracticalSessionCreate(
            exam_session_id=session.id,
            name="技能考核第1场",
            site="电工实训室 A",
            starts_at=start.replace(second=0, microsecond=0, tzinfo=CHINA_TZ),
            duration_minutes=240,
            examiner_ids=[p.id for p in panel],
            chief_examiner_id=panel[0].id,
        ),
    )
    for reg, shares in zip(regs, practical_shares, strict=True):
        paper = db.exec(
            select(PaperTask)
            .where(PaperTask.registration_id == reg.id)
            .order_by(col(PaperTask.position))
        ).all()
        for task in paper:
            rubric = practical.task_rubric(db, paper_task_id=task.id or 0)
            for examiner, share in zip(panel, shares, strict=True):
                marks = {
                    c["code"]: _points_of(share, c["points"], c["step"])
                    for c in rubric
                    if not c["veto"]
                }
                practical.submit_sheet(
                    db, actor=examiner, paper_task_id=task.id or 0, data=SheetIn(marks=marks)
                )
    # The chief examiner arbitrates what the panel could not agree on.
    for row in practical.practical_session(db, actor=admin, practical_session_id=ps.id or 0).rows:
        for t in row.tasks:
            if t.status == "arbitration":
                practical.arbitrate(
                    db,
                    actor=panel[0],
                    paper_task_id=t.paper_task_id,
                    score=sorted(t.totals)[1],
                    reason="复看考核录像，按中间评分裁定",
                )
    records.refresh_results(db, actor=admin, plan_id=plan.id)
    records.confirm_results(db, actor=admin, plan_id=plan.id)
    records.publish_results(db, actor=admin, plan_id=plan.id)
    return True


# -- written answers (简答, 论述/计算): a theory session whose written answers are being
# marked by the job's three examiners (examiner is the chief). Candidate 1's answers are
# double-marked and settled; candidate 2 needed a third mark on one; candidate 3 has one
# waiting for the chief's arbitration; candidate 4's await a second mark from examiner —
# a newcomer logs in as examiner to mark them and to arbitrate.

WRITTEN_PLAN = "2026年电工四级/中级工理论知识（演示：含简答、计算题的阅卷）"
WRITTEN_BLUEPRINT = "电工四级/中级工理论知识卷（含主观题）"
WRITTEN_SECTIONS = (
    ("single_choice", 40, 1),
    ("true_false", 20, 1),
    ("multiple_choice", 4, 2.5),
    ("fill_in", 4, 2.5),
    ("short_answer", 4, 5),
)
# Each section's items are split across the areas by the weights, so a section of four
# short answers needs weights that split four: 1 / 2 / 1.
WRITTEN_WEIGHTS = {"A": 25.0, "B": 50.0, "C": 25.0}
WRITTEN_CANDIDATES = DEMO_CANDIDATES[:4]
# Each candidate's share of an item's points in their answer, and what the examiners give
# (shares of the item's points, in the order they mark: examiner2, examiner3, examiner).
WRITTEN_MARKS: tuple[tuple[float, ...], ...] = (
    (0.8, 0.9),  # agree
    (0.4, 0.8, 0.7),  # 0.4 apart (> 20 %): a third, nearer the second
    (0.2, 0.9, 0.5),  # the third beyond both: arbitration
    (0.6,),  # one mark so far: examiner gives the second
)


def _written_answer(reference: str, share: float) -> str:
    """A candidate's answer covering about `share` of the reference answer's sentences."""
    parts = [p for p in re.split(r"(?<=[。；])", reference) if p.strip()]
    kept = max(1, round(len(parts) * share))
    return "".join(parts[:kept])


def _written_marking(db: Session, staff: dict[str, Staff], bank: QuestionBank) -> bool:
    """Seed the written-marking demonstration (once); True when it was seeded now."""
    from app.accounts.principals import CandidateLogin
    from app.banks.models import ItemVersion
    from app.delivery import service as delivery
    from app.delivery.models import Attempt, AttemptItem
    from app.proctoring import service as proctoring
    from app.results import written
    from app.results.schemas import MarkIn, MarkingJobIn
    from app.scoring.models import ItemScore

    if db.exec(select(ExamPlan.id).where(ExamPlan.name == WRITTEN_PLAN)).first() is not None:
        return False
    admin = staff["centre"]
    assert bank.id is not None
    blueprint = blueprints.create_blueprint(
        db,
        actor=admin,
        data=BlueprintCreate(
            bank_id=bank.id,
            name=WRITTEN_BLUEPRINT,
            level_code="intermediate",
            sections=[SectionIn(item_type=t, count=n, points=p) for t, n, p in WRITTEN_SECTIONS],
            area_weights=WRITTEN_WEIGHTS,
            time_limit_minutes=120,
        ),
    )
    assert blueprint.id is not None
    plan = plans.create_plan(
        db,
        actor=admin,
        data=PlanCreate(
            name=WRITTEN_PLAN,
            occupation_id=blueprint.occupation_id,
            level_code=blueprint.level_code,
            blueprint_id=blueprint.id,
            form_mode=FormMode.SHUFFLED,
            require_checkin=True,
        ),
    )
    assert plan.id is not None
    start = to_china(utcnow())
    assert start is not None
    session = sessions.create_session(
        db,
        actor=admin,
        data=SessionCreate(
            plan_id=plan.id,
            name="第1场",
            room="303 机房",
            starts_at=start.replace(second=0, microsecond=0, tzinfo=CHINA_TZ),
            proctor_ids=[staff["proctor1"].id, staff["proctor2"].id],
        ),
    )
    assert session.id is not None
    for (name, birth, seq), marks in zip(WRITTEN_CANDIDATES, WRITTEN_MARKS, strict=True):
        reg = registrations.register_candidate(
            db,
            actor=admin,
            session_id=session.id,
            data=_registration(name, _resident_id(birth, seq)),
        )
        assert reg.id is not None
        proctoring.check_in(db, staff=staff["proctor1"], registration_id=reg.id)
        login = CandidateLogin(
            registration_id=reg.id,
            candidate_id=reg.candidate_id,
            centre_id=reg.centre_id,
            session_id=session.id,
            name=name,
        )
        attempt = delivery.start_attempt(db, login=login)
        paper = db.exec(
            select(AttemptItem, ItemVersion)
            .join(ItemVersion, col(ItemVersion.id) == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == attempt.id)
            .order_by(col(AttemptItem.position))
        ).all()
        for n, (slot, version) in enumerate(paper):
            response: dict[str, object]
            if version.item_type in written.WRITTEN_TYPES:
                share = sum(marks) / len(marks)
                response = {"text": _written_answer(version.key["reference"], share)}
            elif version.item_type == "single_choice":
                response = {"choice": version.key["answer"]}
            elif version.item_type == "multiple_choice":
                response = {"choices": version.key["answer"]}
            elif version.item_type == "fill_in":
                accepted = version.key.get("accepted")
                numeric = version.key.get("numeric")
                text = accepted[0] if accepted else f"{numeric['value']}" if numeric else ""
                response = {"text": text}
            else:
                response = {"value": bool(version.key["answer"])}
            delivery.save_answer(
                db,
                login=login,
                position=slot.position,
                response=response,
                flagged=False,
                client_seq=n + 1,
            )
        delivery.submit_own_attempt(db, login=login)
    markers = [staff["examiner2"], staff["examiner3"], staff["examiner"]]
    job = written.set_marking_job(
        db,
        actor=admin,
        exam_session_id=session.id,
        data=MarkingJobIn(
            examiner_ids=[m.id for m in markers], chief_examiner_id=staff["examiner"].id
        ),
    )
    assert job.id is not None
    # Each examiner gives the marks of their round; on the pages they mark by item, one
    # response after another.
    attempts = db.exec(
        select(Attempt).where(Attempt.session_id == session.id).order_by(col(Attempt.id))
    ).all()
    for round_no, marker in enumerate(markers):
        for attempt, marks in zip(attempts, WRITTEN_MARKS, strict=True):
            if round_no >= len(marks):
                continue
            for row in db.exec(
                select(ItemScore)
                .where(ItemScore.attempt_id == attempt.id, ItemScore.outcome == "pending")
                .order_by(col(ItemScore.position))
            ).all():
                written.submit_mark(
                    db,
                    actor=marker,
                    job_id=job.id,
                    response_id=row.id or 0,
                    data=MarkIn(score=_points_of(marks[round_no], row.max_points, 0.5)),
                )
    return True


# -- certificates (issue 6): every candidate has a photo (generated), the centre its site
# serial; the finished assessment's passing candidates are issued in one bulk action ----

DEMO_SITE_SERIAL = "000118"  # digits 8–13 of the centre's certificate numbers


def demo_photo(n: int) -> bytes:
    """A generated 证件照: a plain background and a head-and-shoulders silhouette."""
    import io

    from PIL import Image, ImageDraw

    backgrounds = [(66, 133, 244), (220, 60, 60), (245, 245, 245)]
    img = Image.new("RGB", (300, 400), backgrounds[n % 3])
    draw = ImageDraw.Draw(img)
    tone = (236 - 9 * (n % 4), 200 - 7 * (n % 3), 170)
    draw.ellipse((95, 70, 205, 200), fill=tone)  # head
    draw.rectangle((135, 190, 165, 230), fill=tone)  # neck
    draw.ellipse((40, 215, 260, 470), fill=(40 + 20 * (n % 3), 40, 60))  # shoulders
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _certificate_setup(db: Session, centre: EvaluationCentre, admin: Staff) -> None:
    from app.certificates.models import CertificateSettings
    from app.exams import photos

    assert centre.id is not None
    if db.get(CertificateSettings, centre.id) is None:
        db.add(CertificateSettings(centre_id=centre.id, site_serial=DEMO_SITE_SERIAL))
    rows = db.exec(
        select(Candidate).where(Candidate.centre_id == centre.id).order_by(col(Candidate.id))
    ).all()
    for n, cand in enumerate(rows):
        if not cand.photo_digest:
            photos.set_photo(db, actor=admin, candidate=cand, data=demo_photo(n))
    db.flush()


# -- subsidies (issue 7): records that say who is who, so that certificates trigger the
# shipped policies; a finished 三级 assessment whose certificates were issued, so that the
# regulator's queue has content on first start -----------------------------------------

ISSUED_PLAN = "2026年电工三级/高级工职业技能等级认定（演示：已发证）"
ISSUED_CANDIDATES = (
    ("孙丽", "20040315", 91),  # graduation-year college graduate, first certificate
    ("周强", "19920817", 94),  # newly recruited full-time in 淮南, no talent apartment
    ("吴刚", "19850101", 97),  # registered unemployed, after subsidised training
)


def demo_facts(today: str) -> dict[str, dict[str, object]]:
    """Each demo person's record (考生档案), by name: which policies their certificates
    meet (README "Trying the demo")."""
    year = today[:4]
    trained = [
        {"course": "电工技能提升培训", "provider": "淮南技师学院", "ends_on": f"{year}-01-15"}
    ]
    return {
        # The finished 四级 assessment (certificates issued by the user's bulk action).
        "张伟": {"employment": "registered_unemployed", "work_region": "340403", "trainings": trained, "years_in_occupation": 7},
        "王芳": {"education": "higher_vocational", "graduation_date": f"{year}-06-30", "work_region": "340404", "employment": "employed", "years_in_occupation": 6},
        "李强": {"employment": "enterprise_employee", "work_region": "340403", "employer_name": "淮南矿业集团", "years_in_occupation": 12},
        "刘洋": {"employment": "flexible", "rural_migrant": True, "work_region": "340421", "trainings": trained, "years_in_occupation": 6},
        "陈静": {"employment": "enterprise_employee", "work_region": "340403", "years_in_occupation": 8},
        "杨磊": {"employment": "enterprise_employee", "work_region": "340403", "years_in_occupation": 9},
        # The open session's others.
        "赵敏": {"employment": "employed", "work_region": "340402", "years_in_occupation": 6},
        "黄涛": {"education": "technical_school", "graduation_date": "2012-06-30", "employment": "enterprise_employee", "work_region": "340403", "years_in_occupation": 4},
        # The issued 三级 assessment.
        "孙丽": {"education": "higher_vocational", "graduation_date": f"{year}-06-30", "work_region": "340403", "employment": "employed", "years_in_occupation": 2},
        "周强": {"employment": "enterprise_employee", "work_region": "340403", "newly_recruited_on": f"{year}-03-01", "years_in_occupation": 9, "prior_certificates": [{"level_code": "intermediate", "obtained_on": "2019-07-01"}]},
        "吴刚": {"employment": "registered_unemployed", "work_region": "340403", "trainings": trained, "years_in_occupation": 10, "prior_certificates": [{"level_code": "intermediate", "obtained_on": "2018-07-01"}]},
    }  # fmt: skip


# 孙丽 has no 四级 certificate for a 三级 route: the centre registered her by override.
OVERRIDES = {"孙丽": "毕业年度高校毕业生，专业对口，经评价机构审核破格报名"}


def _registration(name: str, id_number: str) -> RegistrationCreate:
    """A demo person's registration, their record (考生档案) given with it."""
    from app.exams.facts import HolderFacts

    facts = demo_facts(to_china(utcnow()).date().isoformat()).get(name)  # type: ignore[union-attr]
    return RegistrationCreate(
        name=name,
        id_number=id_number,
        facts=HolderFacts.model_validate(facts) if facts else None,
        eligibility_override_reason=OVERRIDES.get(name, ""),
    )


def _set_demo_facts(db: Session, centre_id: int) -> None:
    facts = demo_facts(to_china(utcnow()).date().isoformat())  # type: ignore[union-attr]
    for cand in db.exec(select(Candidate).where(Candidate.centre_id == centre_id)):
        if cand.name in facts and not cand.facts:
            cand.facts = facts[cand.name]
            db.add(cand)
    db.flush()


def _subsidy_cases(db: Session, staff: dict[str, Staff], blueprint: Blueprint) -> None:
    from app.certificates import service as certificates

    admin = staff["centre"]
    assert admin.centre_id is not None
    _set_demo_facts(db, admin.centre_id)
    seeded = _finished_assessment(
        db,
        staff,
        blueprint,
        plan_name=ISSUED_PLAN,
        people=ISSUED_CANDIDATES,
        theory_right=(0.95, 0.95, 0.95),
        practical_shares=((0.85, 0.9, 0.85), (0.8, 0.8, 0.85), (0.9, 0.85, 0.9)),
    )
    if not seeded:
        return
    centre = db.get(EvaluationCentre, admin.centre_id)
    assert centre is not None
    _certificate_setup(db, centre, admin)
    _set_demo_facts(db, admin.centre_id)
    plan = db.exec(select(ExamPlan).where(ExamPlan.name == ISSUED_PLAN)).one()
    from app.results.models import Result

    for result in db.exec(
        select(Result).where(Result.plan_id == plan.id, Result.outcome == "passed")
    ):
        cert = certificates.issue_from_result(db, actor=admin, result_id=result.id or 0)
        certificates.store_pdf(db, cert)
    _principal_technician(db, admin)


# A 特级技师 appointed by the enterprise's panel (企业评聘): a 高级技师 of 2019 on her record;
# her certificate triggers 淮南 技师研修提升 (6,500 yuan for an enterprise employee).
PRINCIPAL = ("郑红", "19800315", 99)


def _principal_technician(db: Session, admin: Staff) -> None:
    from datetime import date

    from app.certificates import service as certificates
    from app.reference.models import Occupation
    from app.results import enterprise
    from app.results.enterprise import EvaluationIn, PanelMark

    assert admin.centre_id is not None
    name, birth, seq = PRINCIPAL
    facts = {
        "employment": "enterprise_employee",
        "work_region": "340403",
        "employer_name": "淮南矿业集团",
        "years_in_occupation": 20,
        "prior_certificates": [
            {
                "level_code": "senior_technician",
                "occupation_code": "6-31-01-03",
                "obtained_on": "2019-07-01",
            }
        ],
    }
    cand = candidates.create_candidate(
        db, actor=admin, data=CandidateIn(name=name, id_number=_resident_id(birth, seq))
    )
    cand.facts = facts
    db.add(cand)
    from app.exams import photos

    photos.set_photo(db, actor=admin, candidate=cand, data=demo_photo(seq))
    occupation = db.exec(select(Occupation).where(Occupation.code == "6-31-01-03")).first()
    assert occupation is not None and occupation.id is not None and cand.id is not None
    today = to_china(utcnow())
    assert today is not None
    evaluation = enterprise.record_evaluation(
        db,
        actor=admin,
        data=EvaluationIn(
            candidate_id=cand.id,
            occupation_id=occupation.id,
            level_code="principal_technician",
            panel=[
                PanelMark(name="王建国", title="评审组长", score=88),
                PanelMark(name="李卫东", title="评审专家", score=91),
                PanelMark(name="陈立新", title="评审专家", score=86),
            ],
            decision="appointed",
            basis="淮矿人〔2026〕18号",
            decided_on=date(today.year, today.month, 1),
        ),
    )
    cert = certificates.issue_from_evaluation(db, actor=admin, evaluation_id=evaluation.id or 0)
    certificates.store_pdf(db, cert)
