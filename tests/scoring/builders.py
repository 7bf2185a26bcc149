"""A small theory paper and attempts at it, built straight in the database (no assembly,
no delivery), for scoring and results tests.

The default paper is worth 100 points and follows A 30 / B 50 / C 20:

| pos | section | type | area | points | key |
|---|---|---|---|---|---|
| 1 | 0 | single_choice | A 001 | 20 | B |
| 2 | 0 | single_choice | B 001 | 20 | A |
| 3 | 1 | multiple_choice | B 002 | 30 | A, C, D |
| 4 | 2 | true_false | C 001 | 10 | true |
| 5 | 3 | fill_in text | A 002 | 10 | 参考点 / 零电位点 |
| 6 | 3 | fill_in numeric | C 001 | 10 | 5 ± 0.01 A |
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.banks.models import Item, ItemVersion, QuestionBank
from app.core.clock import utcnow
from app.delivery.models import Answer, Attempt, AttemptItem, AttemptStatus
from app.exams.models import Blueprint, Candidate, ExamPlan, ExamSession, Registration
from app.reference.models import EvaluationCentre
from tests.factories import make_centre, make_occupations, valid_resident_id

_seq = itertools.count(1)

OPTIONS = [{"label": x, "text": f"选项{x}"} for x in "ABCD"]
OUTLINE = [
    {
        "area": "A",
        "name": "基础知识",
        "weight": 30,
        "points": [
            {"code": "001", "name": "直流电路", "importance": "X"},
            {"code": "002", "name": "电位", "importance": "Y"},
        ],
    },
    {
        "area": "B",
        "name": "专业知识",
        "weight": 50,
        "points": [
            {"code": "001", "name": "低压电器", "importance": "X"},
            {"code": "002", "name": "电动机", "importance": "X"},
        ],
    },
    {
        "area": "C",
        "name": "安全知识",
        "weight": 20,
        "points": [{"code": "001", "name": "安全用电", "importance": "X"}],
    },
]


@dataclass(frozen=True)
class ItemSpec:
    section: int
    item_type: str
    key: dict[str, Any]
    points: float
    area: str
    point: str
    options: list[dict[str, str]] = field(default_factory=list)


DEFAULT_ITEMS = (
    ItemSpec(0, "single_choice", {"answer": "B"}, 20, "A", "001", OPTIONS),
    ItemSpec(0, "single_choice", {"answer": "A"}, 20, "B", "001", OPTIONS),
    ItemSpec(1, "multiple_choice", {"answer": ["A", "C", "D"]}, 30, "B", "002", OPTIONS),
    ItemSpec(2, "true_false", {"answer": True}, 10, "C", "001"),
    ItemSpec(3, "fill_in", {"accepted": ["参考点", "零电位点"]}, 10, "A", "002"),
    ItemSpec(
        3, "fill_in", {"numeric": {"value": 5, "tolerance": 0.01}, "unit": "A"}, 10, "C", "001"
    ),
)

# Every answer right, in the bank's labels.
ALL_RIGHT: dict[int, dict[str, Any]] = {
    1: {"choice": "B"},
    2: {"choice": "A"},
    3: {"choices": ["A", "C", "D"]},
    4: {"value": True},
    5: {"text": "参考点"},
    6: {"text": "5 A"},
}


@dataclass
class Paper:
    centre: EvaluationCentre
    bank: QuestionBank
    versions: list[ItemVersion]  # in paper order: position = index + 1
    specs: tuple[ItemSpec, ...]
    blueprint: Blueprint
    plan: ExamPlan
    session: ExamSession


def _sections(specs: tuple[ItemSpec, ...]) -> list[dict[str, Any]]:
    sections: dict[int, dict[str, Any]] = {}
    for s in specs:
        entry = sections.setdefault(
            s.section, {"item_type": s.item_type, "count": 0, "points": s.points}
        )
        entry["count"] += 1
    return [sections[i] for i in sorted(sections)]


def make_item_version(
    db: Session, bank: QuestionBank, spec: ItemSpec, *, item: Item | None = None, stem: str = ""
) -> ItemVersion:
    """A new item (or, given `item`, a new version of it, made current)."""
    n = next(_seq)
    if item is None:
        item = Item(bank_id=bank.id or 0, external_id=f"T-{n:05d}", current_version=0)
        db.add(item)
        db.flush()
    item.current_version += 1
    db.add(item)
    version = ItemVersion(
        item_id=item.id or 0,
        version=item.current_version,
        item_type=spec.item_type,
        stem=stem or f"第 {n} 号测试题____",
        options=spec.options,
        key=spec.key,
        points=spec.points,
        area_code=spec.area,
        point_code=spec.point,
        importance="X",
        difficulty=2,
        level_codes=["intermediate"],
        content_digest=f"{n:064d}",
    )
    db.add(version)
    db.flush()
    return version


def make_paper(
    db: Session,
    centre: EvaluationCentre | None = None,
    *,
    specs: tuple[ItemSpec, ...] = DEFAULT_ITEMS,
    rule: str = "partial",
    pass_mark: float = 60,
    show_score: bool = True,
    starts_at_offset: timedelta = timedelta(hours=-1),
    duration_minutes: int = 120,
) -> Paper:
    centre = centre or make_centre(db)
    occupation = make_occupations(db)[0]
    n = next(_seq)
    bank = QuestionBank(
        centre_id=centre.id or 0,
        code=f"BANK-{n}",
        name=f"测试题库{n}",
        occupation_id=occupation.id or 0,
        level_codes=["intermediate"],
        outline=OUTLINE,
    )
    db.add(bank)
    db.flush()
    versions = [make_item_version(db, bank, s) for s in specs]
    blueprint = Blueprint(
        centre_id=centre.id or 0,
        bank_id=bank.id or 0,
        name=f"测试组卷方案{n}",
        occupation_id=occupation.id or 0,
        level_code="intermediate",
        sections=_sections(specs),
        area_weights={"A": 30, "B": 50, "C": 20},
        multiple_choice_rule=rule,
        pass_mark=pass_mark,
    )
    db.add(blueprint)
    db.flush()
    plan = ExamPlan(
        centre_id=centre.id or 0,
        name=f"电工四级理论考试{n}",
        occupation_id=occupation.id or 0,
        level_code="intermediate",
        blueprint_id=blueprint.id or 0,
        show_score_to_candidate=show_score,
    )
    db.add(plan)
    db.flush()
    session = ExamSession(
        centre_id=centre.id or 0,
        plan_id=plan.id or 0,
        name=f"第{n}场",
        room="第一考场",
        starts_at=utcnow() + starts_at_offset,
        duration_minutes=duration_minutes,
    )
    db.add(session)
    db.flush()
    return Paper(centre, bank, versions, specs, blueprint, plan, session)


def make_registration(
    db: Session, paper: Paper, *, name: str | None = None, seat: int | None = None
) -> tuple[Registration, Candidate]:
    n = next(_seq)
    candidate = Candidate(
        centre_id=paper.centre.id or 0,
        name=name or f"考生{n}",
        id_number=valid_resident_id(n),
    )
    db.add(candidate)
    db.flush()
    reg = Registration(
        centre_id=paper.centre.id or 0,
        session_id=paper.session.id or 0,
        candidate_id=candidate.id or 0,
        ticket_number=f"T{n:09d}",
        seat_number=seat if seat is not None else n % 1000,
    )
    db.add(reg)
    db.flush()
    return reg, candidate


def make_attempt(
    db: Session,
    paper: Paper,
    registration: Registration | None = None,
    *,
    answers: dict[int, dict[str, Any]] | None = None,
    option_orders: dict[int, list[str]] | None = None,
    status: str = AttemptStatus.SUBMITTED,
    reason: str | None = "candidate",
) -> Attempt:
    """An attempt at the paper's items in order, with these answers (by position)."""
    registration = registration or make_registration(db, paper)[0]
    now = utcnow()
    submitted = status == AttemptStatus.SUBMITTED
    attempt = Attempt(
        centre_id=paper.centre.id or 0,
        registration_id=registration.id or 0,
        session_id=paper.session.id or 0,
        status=status,
        seed=7,
        started_at=now - timedelta(minutes=50),
        deadline_at=now + timedelta(minutes=40),
        submitted_at=now if submitted else None,
        submit_reason=reason if submitted else None,
        item_count=len(paper.versions),
    )
    db.add(attempt)
    db.flush()
    orders = option_orders or {}
    for pos, (spec, version) in enumerate(zip(paper.specs, paper.versions, strict=True), 1):
        labels = [o["label"] for o in version.options]
        db.add(
            AttemptItem(
                attempt_id=attempt.id or 0,
                position=pos,
                section=spec.section,
                item_version_id=version.id or 0,
                option_order=orders.get(pos, labels),
                points=spec.points,
            )
        )
    for pos, response in (answers or {}).items():
        db.add(Answer(attempt_id=attempt.id or 0, position=pos, response=response))
    db.flush()
    return attempt


# A mixed attempt on DEFAULT_ITEMS: right, wrong, partial, blank and numeric answers.
MIXED: dict[int, dict[str, Any]] = {
    1: {"choice": "B"},  # right, 20
    2: {"choice": "C"},  # wrong
    3: {"choices": ["A", "C"]},  # 2 of 3: 20
    # 4 not answered
    5: {"text": "零电位点。"},  # right, 10
    6: {"text": "5.01A"},  # at the tolerance, 10
}
