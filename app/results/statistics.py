"""Item statistics (试题质量分析) of a session's theory paper, for centre staff: facility,
discrimination, point-biserial, distractor counts per item, KR-20 for a fixed form, and
the items that look faulty (app/results/rules.py computes them).

With 千人千卷 every candidate has their own draw: each item is analysed over the
candidates who had it (against their paper totals), and KR-20, which needs one form
taken whole, is given only for a fixed form."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.principals import Staff
from app.banks.models import Item, ItemVersion
from app.core.errors import NotFound
from app.delivery.models import Answer, Attempt, AttemptItem, AttemptStatus
from app.exams import sessions
from app.exams.models import ExamPlan, ExamSession, FormMode, Registration
from app.itemtypes import ITEM_TYPE_NAMES, ItemType
from app.results import rules
from app.results.service import _check_reader
from app.scoring.models import ItemScore

CHOICE_TYPES = (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)
# Fewer candidates than this make the figures noise; the page says so.
MIN_CANDIDATES = 10


@dataclass(frozen=True)
class ItemStatRow:
    number: int  # 1-based, in the order the items first appear on papers
    item_id: int
    external_id: str
    item_type: str
    type_name: str
    stem: str
    key: dict[str, Any]
    candidates: int
    stats: rules.ItemStats

    @property
    def faulty(self) -> bool:
        return bool(self.stats.flags)

    @property
    def flag_names(self) -> list[str]:
        return [rules.ITEM_FLAG_NAMES[f] for f in self.stats.flags]


@dataclass(frozen=True)
class SessionStatistics:
    session: ExamSession
    plan: ExamPlan
    candidates: int  # scored attempts analysed
    fixed_form: bool
    kr20: float | None
    items: list[ItemStatRow]

    @property
    def faulty(self) -> int:
        return sum(1 for r in self.items if r.faulty)

    @property
    def too_few(self) -> bool:
        return self.candidates < MIN_CANDIDATES


def _choice(item_type: str, response: dict[str, Any] | None) -> Any:
    if response is None:
        return None
    if item_type == ItemType.SINGLE_CHOICE:
        return response.get("choice")
    return response.get("choices") or None


def session_statistics(db: Session, *, staff: Staff, session_id: int) -> SessionStatistics:
    session, plan, _ = sessions.session_plan_blueprint(db, session_id)
    _check_reader(staff, session.centre_id, NotFound("考试场次不存在", code="session_not_found"))
    attempts = db.exec(
        select(Attempt)
        .join(Registration, col(Registration.id) == Attempt.registration_id)
        .where(
            Registration.session_id == session_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            col(Attempt.score).is_not(None),
        )
        .order_by(col(Registration.seat_number))
    ).all()
    ids = [a.id for a in attempts]
    totals = {a.id: float(a.score or 0) for a in attempts}
    placed = db.exec(
        select(AttemptItem)
        .where(col(AttemptItem.attempt_id).in_(ids))
        .order_by(col(AttemptItem.attempt_id), col(AttemptItem.position))
    ).all()
    scores = {
        (s.attempt_id, s.position): s
        for s in db.exec(select(ItemScore).where(col(ItemScore.attempt_id).in_(ids))).all()
    }
    answers = {
        (a.attempt_id, a.position): a.response
        for a in db.exec(select(Answer).where(col(Answer.attempt_id).in_(ids))).all()
    }
    versions = {
        v.id: v
        for v in db.exec(
            select(ItemVersion).where(col(ItemVersion.id).in_({p.item_version_id for p in placed}))
        ).all()
    }
    external = dict(
        db.exec(
            select(Item.id, Item.external_id).where(
                col(Item.id).in_({v.item_id for v in versions.values()})
            )
        ).all()
    )
    # Per item version, in the order items first appear (by seat, then paper position).
    columns: dict[int, list[tuple[float, float, Any]]] = defaultdict(list)
    for p in placed:
        score = scores.get((p.attempt_id, p.position))
        if score is None or score.max_points <= 0:
            continue
        version = versions[p.item_version_id]
        choice = (
            _choice(version.item_type, answers.get((p.attempt_id, p.position)))
            if version.item_type in CHOICE_TYPES
            else None
        )
        columns[p.item_version_id].append(
            (score.awarded / score.max_points, totals[p.attempt_id], choice)
        )
    rows: list[ItemStatRow] = []
    for number, (version_id, column) in enumerate(columns.items(), start=1):
        version = versions[version_id]
        is_choice = version.item_type in CHOICE_TYPES
        stats = rules.item_stats(
            number,
            [c[0] for c in column],
            [c[1] for c in column],
            [c[2] for c in column] if is_choice else None,
        )
        rows.append(
            ItemStatRow(
                number=number,
                item_id=version.item_id,
                external_id=external.get(version.item_id, ""),
                item_type=version.item_type,
                type_name=ITEM_TYPE_NAMES.get(ItemType(version.item_type), version.item_type),
                stem=version.stem,
                key=version.key,
                candidates=len(column),
                stats=stats,
            )
        )
    fixed = plan.form_mode == FormMode.FIXED
    kr20: float | None = None
    if fixed and attempts:
        by_attempt: dict[int | None, list[float]] = defaultdict(list)
        for p in placed:
            score = scores.get((p.attempt_id, p.position))
            by_attempt[p.attempt_id].append(score.awarded if score else 0.0)
        kr20 = rules.kr20([by_attempt[i] for i in ids])
    return SessionStatistics(
        session=session,
        plan=plan,
        candidates=len(attempts),
        fixed_form=fixed,
        kr20=kr20,
        items=rows,
    )
