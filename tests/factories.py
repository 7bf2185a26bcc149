"""Small `make_*` factories for test data. Each flushes and returns the object; commit
with `db.commit()` before a request needs to see it."""

import itertools
from functools import lru_cache

from sqlmodel import Session

from app.accounts.models import Role, StaffUser
from app.accounts.service import as_staff
from app.accounts.throttle import normalise_username
from app.core.security import hash_password
from app.reference import service as reference
from app.reference.identifiers import credit_code_check_char, resident_id_check_char
from app.reference.models import EvaluationCentre, Occupation

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


@lru_cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the test password once


def valid_credit_code(n: int | None = None) -> str:
    body = f"91340400MA{(n if n is not None else next(_seq)):07d}"
    return body + credit_code_check_char(body)


def valid_resident_id(n: int | None = None, birth: str = "19900101", region: str = "340403") -> str:
    body = f"{region}{birth}{(n if n is not None else next(_seq)) % 1000:03d}"
    return body + resident_id_check_char(body)


def _factory_resident_id(n: int) -> str:
    """A fixture candidate's ID number: born in 1980, on a day that moves every 1,000
    candidates, so that it never collides with the numbers tests write themselves
    (valid_resident_id(n), born 1990-01-01) nor with the factory's own earlier ones."""
    birth = f"1980{1 + (n // 1000) % 12:02d}{1 + (n // 12000) % 28:02d}"
    return valid_resident_id(n, birth=birth)


def make_centre(db: Session, name: str | None = None) -> EvaluationCentre:
    n = next(_seq)
    return reference.create_centre(
        db, name=name or f"测试评价机构{n}", credit_code=valid_credit_code(n)
    )


def make_occupations(db: Session) -> list[Occupation]:
    return reference.ensure_shipped_occupations(db)


def make_staff(
    db: Session,
    role: Role,
    centre: EvaluationCentre | None = None,
    *,
    username: str | None = None,
    region_code: str | None = None,
) -> StaffUser:
    n = next(_seq)
    name = username or f"{role.value}{n}"
    user = StaffUser(
        username=name,
        username_key=normalise_username(name),
        display_name=name,
        password_hash=_password_hash(),
        role=role,
        centre_id=centre.id if centre else None,
        region_code=region_code or ("340400" if role == Role.REGULATOR else None),
    )
    db.add(user)
    db.flush()
    return user


# --- exams: banks, blueprints, plans, sessions, candidates (exams helper) -------------

from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

from app.accounts.principals import Staff  # noqa: E402
from app.banks.models import QuestionBank  # noqa: E402
from app.certificates.models import Certificate  # noqa: E402
from app.core import clock  # noqa: E402
from app.exams import blueprints, candidates, plans, registrations, sessions  # noqa: E402
from app.exams.facts import HolderFacts, PriorCertificate  # noqa: E402
from app.exams.models import (  # noqa: E402
    Blueprint,
    Candidate,
    ExamPlan,
    ExamSession,
    FormMode,
    Registration,
)
from app.exams.schemas import (  # noqa: E402
    BlueprintCreate,
    CandidateIn,
    PlanCreate,
    RegistrationCreate,
    SectionIn,
)
from app.exams.schemas import SessionCreate as _SessionCreate  # noqa: E402

# The default paper: 10 single choice × 5 + 10 true/false × 5 = 100 points, A 50 / B 50.
DEFAULT_SECTIONS: list[dict[str, Any]] = [
    {"item_type": "single_choice", "count": 10, "points": 5},
    {"item_type": "true_false", "count": 10, "points": 5},
]
# Every item type: 8 SC + 4 MC + 4 TF + 4 fill-in, all at 5 points = 100, A 50 / B 50.
MIXED_SECTIONS: list[dict[str, Any]] = [
    {"item_type": "single_choice", "count": 8, "points": 5},
    {"item_type": "multiple_choice", "count": 4, "points": 5},
    {"item_type": "true_false", "count": 4, "points": 5},
    {"item_type": "fill_in", "count": 4, "points": 5},
]
CANDIDATE_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷")
_DIFFICULTIES = (1, 2, 3, 3, 4, 5, 2, 3)  # per cell: easy 3, medium 3, hard 2


def staff_actor(user: StaffUser) -> Staff:
    """The request principal for a staff row, to call services as that person."""
    return as_staff(user)


def bank_yaml(
    *,
    code: str = "T-BANK",
    levels: tuple[str, ...] = ("intermediate",),
    areas: dict[str, float] | None = None,
    per_cell: int = 8,
    points: float = 5,
    occupation: str = "6-31-01-03",
    tasks: bool = False,
    with_ordering: bool = False,
    with_matching: bool = False,
    with_written: bool = False,
) -> str:
    """A generated bank file: for each area, `per_cell` items of every type at `points`,
    difficulties cycling 1,2,3,3,4,5,2,3. Item ids are <area>-<type initial>-<nn>, e.g.
    A-S-01 (single choice), A-M-01, A-T-01, A-F-01."""
    areas = areas or {"A": 50, "B": 50}
    out = [
        "format: jiping-bank/1",
        "bank:",
        f"  code: {code}",
        f"  name: 测试题库 {code}",
        f"  occupation: {occupation}",
        '  direction: ""',
        f"  levels: [{', '.join(levels)}]",
        "outline:",
    ]
    for area, weight in areas.items():
        out += [
            f"  - area: {area}",
            f"    name: 测试范围{area}",
            f"    weight: {weight:g}",
            "    points:",
            '      - code: "001"',
            f"        name: 测试鉴定点{area}001",
            "        importance: X",
        ]
    out.append("items:")
    for area in areas:
        for initial, item_type in (
            ("S", "single_choice"),
            ("M", "multiple_choice"),
            ("T", "true_false"),
            ("F", "fill_in"),
            *((("O", "ordering"),) if with_ordering else ()),
            *((("P", "matching"),) if with_matching else ()),
            *((("W", "short_answer"),) if with_written else ()),
        ):
            for n in range(1, per_cell + 1):
                ext = f"{area}-{initial}-{n:02d}"
                out += [
                    f"  - id: {ext}",
                    f"    type: {item_type}",
                    f"    area: {area}",
                    '    point: "001"',
                    f"    difficulty: {_DIFFICULTIES[(n - 1) % len(_DIFFICULTIES)]}",
                    f"    points: {points:g}",
                ]
                if item_type == "fill_in":
                    out += [f"    stem: 测试题 {ext} 的答案是____。", "    key:"]
                    out += [f"      accepted: [答案{ext}]"]
                elif item_type == "short_answer":
                    out += [f"    stem: 简述测试题 {ext} 的要点。", "    key:"]
                    out += [f"      reference: 测试题 {ext} 的参考答案：要点一；要点二。"]
                    out += ["      marking_points:"]
                    out += [f"        - {{point: 要点一, points: {points * 0.6:g}}}"]
                    out += [f"        - {{point: 要点二, points: {points * 0.4:g}}}"]
                else:
                    out.append(f"    stem: 测试题 {ext}（　　）")
                if item_type in ("single_choice", "multiple_choice", "ordering"):
                    out.append("    options:")
                    out += [f"      {label}: 选项{label}" for label in "ABCD"]
                    out.append(
                        {
                            "single_choice": "    key: B",
                            "multiple_choice": "    key: [A, C]",
                            "ordering": "    key: [C, A, D, B]",
                        }[item_type]
                    )
                elif item_type == "matching":
                    out.append("    options: {A: 选项A, B: 选项B, C: 选项C, D: 选项D}")
                    out.append("    key: {题项一: C, 题项二: A, 题项三: C}")
                elif item_type == "true_false":
                    out.append(f"    key: {'true' if n % 2 else 'false'}")
    text = "\n".join(out) + "\n"
    if tasks:
        levels_line = f"    levels: [{', '.join(levels)}]\n"
        text = text.replace(
            "items:\n", PRACTICAL_TASKS.replace("LEVELS\n", levels_line) + "items:\n", 1
        )
    return text


# Two practical tasks (60 + 40 points = a whole practical paper), each with a safety veto.
PRACTICAL_TASKS = """\
tasks:
  - id: P-01
    title: 三相异步电动机正反转控制线路安装与调试
LEVELS
    minutes: 90
    points: 60
    task: 按图安装接触器联锁正反转控制线路并通电试车。
    materials: [三相异步电动机 1 台, 交流接触器 2 只]
    rubric:
      - code: A1
        name: 布线工艺
        points: 20
        earns: 按图接线，走线入槽，接点牢固。
        deductions:
          - {text: 接点松动，每处, points: 1}
      - code: A2
        name: 通电试车
        points: 40
        step: 1
        earns: 一次试车成功，联锁有效。
        deductions:
          - {text: 第一次试车不成功, points: 10}
      - code: V1
        name: 未经允许擅自通电或带电接线
        veto: true
  - id: P-02
    title: 照明线路安装
LEVELS
    minutes: 60
    points: 40
    task: 安装双控照明线路。
    materials: [双控开关 2 只, 灯座 1 只]
    rubric:
      - code: A1
        name: 安装工艺
        points: 20
        earns: 安装牢固，布线规范。
      - code: A2
        name: 功能
        points: 20
        earns: 两地控制正常。
      - code: V1
        name: 通电造成短路
        veto: true
"""


def make_bank(
    db: Session,
    centre: EvaluationCentre,
    *,
    code: str | None = None,
    levels: tuple[str, ...] = ("intermediate",),
    areas: dict[str, float] | None = None,
    per_cell: int = 8,
    points: float = 5,
    tasks: bool = False,
    with_ordering: bool = False,
    with_matching: bool = False,
    with_written: bool = False,
) -> QuestionBank:
    """A bank imported through banks.service.import_bank_file (see bank_yaml)."""
    from app.banks import service as banks_service

    make_occupations(db)
    code = code or f"T-BANK-{next(_seq)}"
    content = bank_yaml(
        code=code,
        levels=levels,
        areas=areas,
        per_cell=per_cell,
        points=points,
        tasks=tasks,
        with_ordering=with_ordering,
        with_matching=with_matching,
        with_written=with_written,
    )
    result = banks_service.import_bank_file(
        db, centre_id=centre.id or 0, filename=f"{code}.yaml", content=content.encode(), actor=None
    )
    return result.bank


def _admin_of(db: Session, centre_id: int, admin: StaffUser | None) -> StaffUser:
    if admin is not None:
        return admin
    centre = db.get(EvaluationCentre, centre_id)
    return make_staff(db, Role.CENTRE_ADMIN, centre)


def make_blueprint(
    db: Session,
    bank: QuestionBank,
    *,
    admin: StaffUser | None = None,
    sections: list[dict[str, Any]] | None = None,
    level_code: str = "intermediate",
    **options: Any,
) -> Blueprint:
    """A blueprint through exams.blueprints (checked against the bank). `options`: any other
    BlueprintCreate field (area_weights, difficulty_mix, multiple_choice_rule,
    time_limit_minutes, allow_short_time, pass_mark, name)."""
    actor = staff_actor(_admin_of(db, bank.centre_id, admin))
    data = BlueprintCreate(
        bank_id=bank.id or 0,
        name=options.pop("name", f"测试组卷方案{next(_seq)}"),
        level_code=level_code,
        sections=[SectionIn(**s) for s in (sections or DEFAULT_SECTIONS)],
        **options,
    )
    return blueprints.create_blueprint(db, actor=actor, data=data)


def make_plan(
    db: Session,
    blueprint: Blueprint,
    *,
    admin: StaffUser | None = None,
    form_mode: FormMode = FormMode.SHUFFLED,
    leave_limit: int | None = None,
    require_checkin: bool = True,
    show_score_to_candidate: bool = True,
    late_entry_minutes: int = 30,
    name: str | None = None,
) -> ExamPlan:
    actor = staff_actor(_admin_of(db, blueprint.centre_id, admin))
    data = PlanCreate(
        name=name or f"测试考试计划{next(_seq)}",
        scheme="one_plus_x" if blueprint.level_code.startswith("x_") else "skill_level",
        occupation_id=blueprint.occupation_id,
        level_code=blueprint.level_code,
        blueprint_id=blueprint.id or 0,
        form_mode=form_mode,
        leave_limit=leave_limit,
        require_checkin=require_checkin,
        show_score_to_candidate=show_score_to_candidate,
        late_entry_minutes=late_entry_minutes,
    )
    return plans.create_plan(db, actor=actor, data=data)


def make_session(
    db: Session,
    plan: ExamPlan,
    *,
    admin: StaffUser | None = None,
    proctors: list[StaffUser] | None = None,
    starts_at: datetime | None = None,
    duration_minutes: int | None = None,
    name: str | None = None,
    room: str = "第1考场",
) -> ExamSession:
    """A session starting at `starts_at` (naive UTC; default: now by app.core.clock; a
    start in the past is confirmed), with `proctors` (default: two new proctors of the
    centre, the DOMAIN.md §2 minimum for a room)."""
    centre = db.get(EvaluationCentre, plan.centre_id)
    actor = staff_actor(_admin_of(db, plan.centre_id, admin))
    if proctors is None:
        proctors = [make_staff(db, Role.PROCTOR, centre) for _ in range(2)]
    start = starts_at or clock.utcnow()
    data = _SessionCreate(
        plan_id=plan.id or 0,
        name=name or f"第{next(_seq)}场",
        room=room,
        starts_at=start.replace(tzinfo=UTC),  # an aware time: the service converts it
        duration_minutes=duration_minutes,
        proctor_ids=[p.id or 0 for p in proctors],
        confirm_past_start=True,
    )
    return sessions.create_session(db, actor=actor, data=data)


# Qualifies for every level of 新八级工 by a DOMAIN.md §3 route (a 二级 certificate counts
# as "a certificate of the level below" for 五级 … 一级, see exams.eligibility; the
# occupation left blank is the one applied for), so tests that are not about eligibility
# register candidates as they did before it was checked.
QUALIFIED_FACTS = HolderFacts(
    years_in_occupation=10,
    prior_certificates=[PriorCertificate(level_code="technician", obtained_on=date(2015, 6, 1))],
)


def make_candidate(
    db: Session,
    centre: EvaluationCentre,
    *,
    admin: StaffUser | None = None,
    name: str | None = None,
    id_number: str | None = None,
    phone: str = "",
    employer: str = "",
    facts: HolderFacts | None = QUALIFIED_FACTS,
) -> Candidate:
    actor = staff_actor(_admin_of(db, centre.id or 0, admin))
    n = next(_seq)
    data = CandidateIn(
        name=name or f"{CANDIDATE_NAMES[n % len(CANDIDATE_NAMES)]}{n}",
        id_number=id_number or _factory_resident_id(n),
        phone=phone,
        employer=employer,
        facts=facts,
    )
    return candidates.create_candidate(db, actor=actor, data=data)


def make_held_certificate(
    db: Session,
    holder: Candidate,
    *,
    occupation_code: str,
    level_code: str,
    level_display: str,
    number: str,
    issued_on: date,
) -> Certificate:
    """A valid certificate as the registry keeps it, without the issuing run (its PDF,
    photo and signature are stand-ins): for rules that read the certificates a person
    holds."""
    cert = Certificate(
        number=number,
        scheme="skill_level",
        centre_id=holder.centre_id,
        candidate_id=holder.id or 0,
        holder_name=holder.name,
        id_type="resident_id",
        id_number=holder.id_number,
        photo_sha256="0" * 64,
        occupation_name="电工",
        occupation_code=occupation_code,
        direction="--",
        level_code=level_code,
        level_display=level_display,
        evaluator_name="另一评价机构",
        issued_on=issued_on,
        kid="k",
        token="t",
    )
    db.add(cert)
    db.flush()
    return cert


def make_registration(
    db: Session,
    session: ExamSession,
    *,
    admin: StaffUser | None = None,
    candidate: Candidate | None = None,
) -> Registration:
    """Register `candidate` (default: a new one) into the session: next seat, new ticket."""
    admin = _admin_of(db, session.centre_id, admin)
    if candidate is None:
        centre = db.get(EvaluationCentre, session.centre_id)
        assert centre is not None
        candidate = make_candidate(db, centre, admin=admin)
    return registrations.register_candidate(
        db,
        actor=staff_actor(admin),
        session_id=session.id or 0,
        data=RegistrationCreate(candidate_id=candidate.id),
    )


class Seat(NamedTuple):
    """A registered candidate of an ExamFixture: log in with ticket_number + id_number."""

    registration: Registration
    candidate: Candidate

    @property
    def ticket_number(self) -> str:
        return self.registration.ticket_number

    @property
    def id_number(self) -> str:
        return self.candidate.id_number


@dataclass
class ExamFixture:
    centre: EvaluationCentre
    admin: StaffUser
    proctor: StaffUser  # assigned to the session (proctors[0])
    proctors: list[StaffUser]
    examiner: StaffUser
    bank: QuestionBank
    blueprint: Blueprint
    plan: ExamPlan
    session: ExamSession
    seats: list[Seat] = field(default_factory=list)

    @property
    def registrations(self) -> list[Registration]:
        return [s.registration for s in self.seats]


def make_exam(
    db: Session,
    *,
    candidates: int = 3,
    sections: list[dict[str, Any]] | None = None,
    form_mode: FormMode = FormMode.SHUFFLED,
    leave_limit: int | None = None,
    require_checkin: bool = True,
    show_score_to_candidate: bool = True,
    late_entry_minutes: int = 30,
    starts_at: datetime | None = None,
    duration_minutes: int | None = None,
    centre: EvaluationCentre | None = None,
    tasks: bool = False,
    with_ordering: bool = False,
    with_matching: bool = False,
    with_written: bool = False,
    **blueprint_options: Any,
) -> ExamFixture:
    """A whole exam, COMMITTED: centre, admin, proctors on the session (two, or one per 15
    candidates), an examiner, a
    generated bank (bank_yaml), a blueprint (default DEFAULT_SECTIONS; MIXED_SECTIONS has
    every item type), a plan (product defaults: SHUFFLED, check-in required), a session
    starting now (clock.utcnow) and `candidates` registered candidates in seat order."""
    centre = centre or make_centre(db)
    admin = make_staff(db, Role.CENTRE_ADMIN, centre)
    # Staffed as DOMAIN.md §2 asks (≥ 2, ≥ 1 per 15 candidates), so the room may open.
    staffed = max(2, -(-candidates // 15))
    proctors = [make_staff(db, Role.PROCTOR, centre) for _ in range(staffed)]
    examiner = make_staff(db, Role.EXAMINER, centre)
    level = blueprint_options.get("level_code", "intermediate")
    bank = make_bank(
        db,
        centre,
        tasks=tasks,
        levels=(level,),
        with_ordering=with_ordering,
        with_matching=with_matching,
        with_written=with_written,
    )
    blueprint = make_blueprint(db, bank, admin=admin, sections=sections, **blueprint_options)
    plan = make_plan(
        db,
        blueprint,
        admin=admin,
        form_mode=form_mode,
        leave_limit=leave_limit,
        require_checkin=require_checkin,
        show_score_to_candidate=show_score_to_candidate,
        late_entry_minutes=late_entry_minutes,
    )
    session = make_session(
        db,
        plan,
        admin=admin,
        proctors=proctors,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
    )
    seats = []
    for _ in range(candidates):
        cand = make_candidate(db, centre, admin=admin)
        seats.append(Seat(make_registration(db, session, admin=admin, candidate=cand), cand))
    db.commit()
    return ExamFixture(
        centre=centre,
        admin=admin,
        proctor=proctors[0],
        proctors=proctors,
        examiner=examiner,
        bank=bank,
        blueprint=blueprint,
        plan=plan,
        session=session,
        seats=seats,
    )


# --- the practical component (results.practical) -----------------------------------------

from app.results import practical as practical_service  # noqa: E402
from app.results.models import PaperTask, PracticalSession  # noqa: E402
from app.results.schemas import (  # noqa: E402
    PracticalPaperIn,
    PracticalSectionIn,
    PracticalSessionCreate,
)


@dataclass
class PracticalFixture:
    exam: ExamFixture
    session: PracticalSession
    examiners: list[StaffUser]  # examiners[0] is the chief examiner (考评组长)

    @property
    def chief(self) -> StaffUser:
        return self.examiners[0]

    def paper(self, db: Session, seat: int = 0) -> list[PaperTask]:
        """The practical paper of the exam's seat-th registration, in order."""
        from sqlmodel import col, select

        reg = self.exam.seats[seat].registration
        return list(
            db.exec(
                select(PaperTask)
                .where(
                    PaperTask.registration_id == reg.id,
                    PaperTask.practical_session_id == self.session.id,
                )
                .order_by(col(PaperTask.position))
            )
        )


def make_practical(
    db: Session,
    *,
    exam: ExamFixture | None = None,
    candidates: int = 2,
    examiners: int = 3,
    sections: list[dict[str, Any]] | None = None,
    one_task: bool = False,
) -> PracticalFixture:
    """An exam (make_exam with the two PRACTICAL_TASKS) whose plan has a practical paper
    (default: both tasks, weights 60 and 40) and a practical session for its candidates
    with a panel of `examiners`, the first of them chief. COMMITTED."""
    exam = exam or make_exam(db, candidates=candidates, tasks=True)
    actor = staff_actor(exam.admin)
    choices = {
        c.external_id: c.task_id
        for c in practical_service.task_choices(db, actor=actor, plan_id=exam.plan.id or 0)
    }
    if one_task:  # a paper of P-01 alone, counting for the whole practical
        sections = [{"task_ids": [choices["P-01"]], "weight": 100}]
    sections = sections or [
        {"task_ids": [choices["P-01"]], "weight": 60},
        {"task_ids": [choices["P-02"]], "weight": 40},
    ]
    practical_service.set_practical_paper(
        db,
        actor=actor,
        plan_id=exam.plan.id or 0,
        data=PracticalPaperIn(sections=[PracticalSectionIn(**s) for s in sections]),
    )
    panel = [exam.examiner] + [
        make_staff(db, Role.EXAMINER, exam.centre) for _ in range(examiners - 1)
    ]
    ps = practical_service.create_practical_session(
        db,
        actor=actor,
        plan_id=exam.plan.id or 0,
        data=PracticalSessionCreate(
            exam_session_id=exam.session.id or 0,
            name="技能考核第1场",
            site="电工实训室 A",
            starts_at=clock.utcnow().replace(tzinfo=UTC),
            examiner_ids=[u.id or 0 for u in panel],
            chief_examiner_id=panel[0].id or 0,
        ),
    )
    db.commit()
    return PracticalFixture(exam=exam, session=ps, examiners=panel)
