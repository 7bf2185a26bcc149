"""Subsidy records: created by the engine when a certificate is issued (same transaction),
voided or flagged for recovery when it is revoked, reviewed and paid by the regulators of
their region, and moved on by the schedule (the deferred 10%, monthly rent, expiry).

Every transition is audited with who, when and why, and refused from the wrong state or
by the wrong role (a centre reads its candidates' records and never approves them)."""

import io
import logging
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts import policy as access
from app.accounts.models import Role
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.certificates.models import Certificate, CertificateStatus
from app.core import clock
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.xlsx import append_row
from app.exams.facts import HolderFacts, recorded
from app.exams.models import Candidate
from app.reference.identifiers import resident_id_birth_date, resident_id_problem
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre
from app.reference.regions import division_prefix, region_covers
from app.subsidies import engine
from app.subsidies.engine import CertificateCase, Decision, PastSubsidy
from app.subsidies.models import (
    STATE_NAMES,
    TRANCHE_NAMES,
    PaymentBatch,
    SubsidyRecord,
    SubsidyStandard,
    SubsidyState,
)
from app.subsidies.policies import NATIONAL, Policy, policy_by_id, shipped_policies

log = logging.getLogger(__name__)

S = SubsidyState
OPEN_STATES = (S.AWAITING_EVIDENCE, S.PENDING, S.APPROVED)


def today() -> date:
    """The day in China."""
    now = clock.to_china(clock.utcnow())
    assert now is not None
    return now.date()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


# -- the engine's inputs ------------------------------------------------------------------


def case_of(db: Session, cert: Certificate) -> CertificateCase:
    birth = None
    if cert.id_type == "resident_id" and resident_id_problem(cert.id_number) is None:
        birth = resident_id_birth_date(cert.id_number)
    earlier = db.exec(
        select(Certificate.id).where(
            Certificate.id_number == cert.id_number,
            col(Certificate.id) < (cert.id or 0),
            Certificate.status != CertificateStatus.SUPERSEDED,
        )
    ).all()
    return CertificateCase(
        number=cert.number,
        scheme=cert.scheme,
        level_code=cert.level_code,
        occupation_code=cert.occupation_code,
        occupation_name=cert.occupation_name,
        issued_on=cert.issued_on,
        holder_birth=birth,
        earlier_certificates=len(earlier),
    )


def history_of(db: Session, id_number: str, *, excluding: int | None = None) -> list[PastSubsidy]:
    """The person's subsidy history across centres (by ID number), one entry per
    certificate and policy."""
    rows = db.exec(select(SubsidyRecord).where(SubsidyRecord.id_number == id_number)).all()
    seen: dict[tuple[int, str], PastSubsidy] = {}
    for r in rows:
        if r.certificate_id == excluding:
            continue
        key = (r.certificate_id, r.policy_id)
        past = PastSubsidy(
            policy_id=r.policy_id,
            item=r.item,
            combination_group=r.combination_group,
            occupation_code=r.occupation_code,
            level_code=r.level_code,
            state=r.state,
            issued_on=r.issued_on,
            course=r.course,
        )
        # A certificate's parts: the most advanced state speaks for the entitlement.
        if key not in seen or _rank(past.state) > _rank(seen[key].state):
            seen[key] = past
    return list(seen.values())


def _rank(state: str) -> int:
    order = [
        S.VOID,
        S.REJECTED,
        S.EXPIRED,
        S.FORFEITED,
        S.AWAITING_EVIDENCE,
        S.PENDING,
        S.APPROVED,
        S.PAID,
    ]
    return order.index(SubsidyState(state))


def standards(db: Session) -> dict[tuple[str, str], int]:
    return {(s.policy_id, s.level_code): s.amount for s in db.exec(select(SubsidyStandard))}


def _region_of(policy: Policy, centre: EvaluationCentre | None) -> str:
    if policy.region == NATIONAL:
        return centre.region_code if centre else NATIONAL
    return policy.region


# -- on issue and on revocation --------------------------------------------------------------


def _lines(d: Decision) -> list[dict[str, object]]:
    return [{"text": line.text, "ok": line.ok} for line in d.lines] + [
        {"text": d.explanation(), "ok": d.applies, "summary": True}
    ]


def record_for_certificate(db: Session, cert: Certificate) -> list[SubsidyRecord]:
    """Run the engine for a newly issued certificate and keep what it triggers. A
    re-issue (换发) is the same certificate corrected: its records follow it instead."""
    if cert.supersedes_id is not None:
        db.execute(
            update(SubsidyRecord)
            .where(col(SubsidyRecord.certificate_id) == cert.supersedes_id)
            .values(
                certificate_id=cert.id, certificate_number=cert.number, holder_name=cert.holder_name
            )
        )
        return []
    facts = recorded(cert.holder_facts, invalid_as_unknown=True)
    decisions = engine.evaluate(
        case_of(db, cert),
        facts,
        history_of(db, cert.id_number, excluding=cert.id),
        shipped_policies(),
        standards(db),
    )
    centre = db.get(EvaluationCentre, cert.centre_id)
    made = []
    for d in decisions:
        if not d.applies:
            continue
        for t in d.tranches:
            made.append(_record(cert, d, t, centre))
    for r in made:
        db.add(r)
    db.flush()
    if made:
        log.info("certificate %s triggered %d subsidy record(s)", cert.number, len(made))
    return made


def _record(
    cert: Certificate, d: Decision, t: engine.Tranche, centre: EvaluationCentre | None
) -> SubsidyRecord:
    p = d.policy
    deferred = t.kind == "deferred"
    return SubsidyRecord(
        certificate_id=cert.id or 0,
        certificate_number=cert.number,
        policy_id=p.id,
        policy_name=p.name,
        holder_name=cert.holder_name,
        id_number=cert.id_number,
        centre_id=cert.centre_id,
        region_code=_region_of(p, centre),
        occupation_code=cert.occupation_code,
        level_code=cert.level_code,
        item=p.item,
        combination_group=p.combination_group,
        course=d.course,
        tranche=t.kind,
        month=t.month,
        amount=t.amount,
        payee=p.payee,
        issued_on=cert.issued_on,
        claim_deadline=add_months(cert.issued_on, p.claim_months),
        evidence_deadline=add_months(cert.issued_on, t.due_months) if deferred else None,
        explanation=_lines(d),
        state=S.AWAITING_EVIDENCE if deferred else S.PENDING,
    )


def void_for_revocation(db: Session, cert: Certificate) -> tuple[int, int]:
    """A revoked certificate: its unpaid records are void, its paid ones flagged for
    recovery (追回) with the revocation. Returns (voided, flagged)."""
    note = f"证书 {cert.number} 已撤销：{cert.revocation_note}"
    rows = db.exec(select(SubsidyRecord).where(SubsidyRecord.certificate_id == cert.id)).all()
    voided = flagged = 0
    for r in rows:
        if r.state in OPEN_STATES:
            r.state, r.reason, r.decided_at = S.VOID, note, clock.utcnow()
            voided += 1
        elif r.state == S.PAID and not r.recovery:
            r.recovery, r.recovery_note = True, note
            flagged += 1
        db.add(r)
    if voided or flagged:
        audit.record(
            db,
            actor=None,
            action="subsidy.revoked_certificate",
            object_type="certificate",
            object_id=cert.id,
            centre_id=cert.centre_id,
            reason=note,
            detail={"voided": voided, "recovery": flagged},
        )
    db.flush()
    return voided, flagged


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    policy_id: str = ""
    state: str = ""
    centre_id: int | None = None
    level_code: str = ""
    month: str = ""  # YYYY-MM of the issue date
    recovery: bool = False


QUEUE_LIMIT = 500


def _facts(record: SubsidyRecord) -> Facts:
    return Facts.of(record.centre_id, region_code=record.region_code)


def _in_scope(actor: Staff, query: Any) -> Any:
    reach = access.require(actor, Action.READ, Resource.SUBSIDY)
    if reach is access.Scope.REGION:
        if not actor.region_code:
            return query.where(col(SubsidyRecord.id) < 0)
        return query.where(
            col(SubsidyRecord.region_code).startswith(division_prefix(actor.region_code))
        )
    return query.where(SubsidyRecord.centre_id == actor.centre_id)


def queue(db: Session, *, actor: Staff, f: QueueFilter) -> list[SubsidyRecord]:
    query = _in_scope(actor, select(SubsidyRecord))
    if f.policy_id:
        query = query.where(SubsidyRecord.policy_id == f.policy_id)
    if f.state:
        query = query.where(SubsidyRecord.state == f.state)
    if f.centre_id is not None:
        query = query.where(SubsidyRecord.centre_id == f.centre_id)
    if f.level_code:
        query = query.where(SubsidyRecord.level_code == f.level_code)
    if f.month and len(f.month) == 7:
        year, month = int(f.month[:4]), int(f.month[5:])
        first = date(year, month, 1)
        query = query.where(
            col(SubsidyRecord.issued_on) >= first,
            col(SubsidyRecord.issued_on) < add_months(first, 1),
        )
    if f.recovery:
        query = query.where(col(SubsidyRecord.recovery).is_(True))
    query = query.order_by(col(SubsidyRecord.issued_on).desc(), col(SubsidyRecord.id))
    return list(db.exec(query.limit(QUEUE_LIMIT)))


def get_record(
    db: Session, *, actor: Staff, record_id: int, action: Action = Action.READ
) -> SubsidyRecord:
    record = db.get(SubsidyRecord, record_id)
    access.check(
        actor,
        action,
        Resource.SUBSIDY,
        _facts(record) if record else None,
        missing=NotFound("补贴记录不存在", code="subsidy_not_found"),
    )
    assert record is not None
    return record


def records_of_certificate(db: Session, certificate_id: int) -> list[SubsidyRecord]:
    return list(
        db.exec(
            select(SubsidyRecord)
            .where(SubsidyRecord.certificate_id == certificate_id)
            .order_by(col(SubsidyRecord.id))
        )
    )


# -- review ----------------------------------------------------------------------------------


def _reason(text: str, what: str) -> str:
    if not (text or "").strip():
        raise ValidationFailed(
            f"请填写{what}理由",
            code="reason_required",
            details=[{"field": "reason", "problem": "必填"}],
        )
    return clean_reason(text)


def _transition(
    db: Session, actor: Staff, record: SubsidyRecord, to: SubsidyState, reason: str, action: str
) -> None:
    record.state = to
    record.decided_by, record.decided_at, record.reason = actor.id, clock.utcnow(), reason
    db.add(record)
    audit.record(
        db,
        actor=actor,
        action=action,
        object_type="subsidy",
        object_id=record.id,
        centre_id=record.centre_id,
        reason=reason,
        detail={
            "certificate": record.certificate_number,
            "amount": record.amount,
            "state": to.value,
        },
    )


def approve(db: Session, *, actor: Staff, record_ids: Iterable[int], reason: str) -> int:
    """审核通过, one or many with one reason: all of them or none (a record not pending
    refuses the whole set, naming it)."""
    text = _reason(reason, "审核意见")
    records = [get_record(db, actor=actor, record_id=i, action=Action.MANAGE) for i in record_ids]
    if not records:
        raise ValidationFailed("请选择要审核的记录", code="nothing_selected")
    wrong = [r for r in records if r.state != S.PENDING]
    if wrong:
        raise Conflict(
            "以下记录不是待审核状态，未做任何更改："
            + "、".join(
                f"{r.holder_name} {r.policy_name}（{STATE_NAMES[SubsidyState(r.state)]}）"
                for r in wrong
            ),
            code="wrong_state",
        )
    late = [r for r in records if r.claim_deadline < today()]
    if late:
        raise Conflict(
            "以下记录已过申领期："
            + "、".join(f"{r.holder_name}（{r.claim_deadline}）" for r in late),
            code="claim_expired",
        )
    for r in records:
        _transition(db, actor, r, S.APPROVED, text, "subsidy.approve")
    db.flush()
    return len(records)


def reject(db: Session, *, actor: Staff, record_id: int, reason: str) -> SubsidyRecord:
    text = _reason(reason, "驳回理由")
    r = get_record(db, actor=actor, record_id=record_id, action=Action.MANAGE)
    if r.state not in (S.PENDING, S.APPROVED, S.AWAITING_EVIDENCE) or r.batch_id is not None:
        raise Conflict(f"记录{STATE_NAMES[SubsidyState(r.state)]}，不能驳回", code="wrong_state")
    _transition(db, actor, r, S.REJECTED, text, "subsidy.reject")
    db.flush()
    return r


def record_evidence(
    db: Session, *, actor: Staff, record_id: int, note: str, shown_on: date
) -> SubsidyRecord:
    """The deferred 10%: stable employment shown within its deadline makes it payable."""
    text = _reason(note, "稳定就业证明材料")
    r = get_record(db, actor=actor, record_id=record_id, action=Action.MANAGE)
    if r.state != S.AWAITING_EVIDENCE:
        raise Conflict("此记录不需要补充材料", code="wrong_state")
    assert r.evidence_deadline is not None
    if shown_on > r.evidence_deadline:
        raise Conflict(
            f"稳定就业须在 {r.evidence_deadline} 前实现，{shown_on} 已超期", code="evidence_late"
        )
    _transition(db, actor, r, S.PENDING, f"{shown_on}：{text}", "subsidy.evidence")
    db.flush()
    return r


# -- payment batches ---------------------------------------------------------------------------


def create_batch(
    db: Session, *, actor: Staff, record_ids: Iterable[int], reference: str
) -> PaymentBatch:
    if not reference.strip():
        raise ValidationFailed(
            "请填写拨付批次号",
            code="reference_required",
            details=[{"field": "reference", "problem": "必填"}],
        )
    ref = clean_reason(reference)
    access.require(actor, Action.MANAGE, Resource.SUBSIDY)
    if actor.role != Role.REGULATOR or not actor.region_code:
        raise ValidationFailed("拨付批次由监管部门建立", code="regulator_only")
    records = [get_record(db, actor=actor, record_id=i, action=Action.MANAGE) for i in record_ids]
    if not records:
        raise ValidationFailed("请选择已审核的记录", code="nothing_selected")
    wrong = [r for r in records if r.state != S.APPROVED or r.batch_id is not None]
    if wrong:
        raise Conflict(
            "只能把已审核、未入批次的记录加入拨付批次："
            + "、".join(f"{r.holder_name} {r.policy_name}" for r in wrong),
            code="wrong_state",
        )
    batch = PaymentBatch(region_code=actor.region_code, reference=ref, created_by=actor.id)
    db.add(batch)
    db.flush()
    for r in records:
        r.batch_id = batch.id
        db.add(r)
    audit.record(
        db,
        actor=actor,
        action="subsidy.batch",
        object_type="payment_batch",
        object_id=batch.id,
        reason=ref,
        detail={"records": len(records), "amount": sum(r.amount for r in records)},
    )
    db.flush()
    return batch


def _batch(db: Session, actor: Staff, batch_id: int) -> PaymentBatch:
    batch = db.get(PaymentBatch, batch_id)
    access.check(
        actor,
        Action.MANAGE,
        Resource.SUBSIDY,
        Facts.of(None, region_code=batch.region_code) if batch else None,
        missing=NotFound("拨付批次不存在", code="batch_not_found"),
    )
    assert batch is not None
    return batch


def batch_records(db: Session, batch_id: int) -> list[SubsidyRecord]:
    return list(
        db.exec(
            select(SubsidyRecord)
            .where(SubsidyRecord.batch_id == batch_id)
            .order_by(col(SubsidyRecord.id))
        )
    )


def batches(db: Session, *, actor: Staff) -> list[PaymentBatch]:
    access.require(actor, Action.MANAGE, Resource.SUBSIDY)
    return [
        b
        for b in db.exec(select(PaymentBatch).order_by(col(PaymentBatch.id).desc()))
        if actor.region_code and region_covers(actor.region_code, b.region_code)
    ]


def get_batch(
    db: Session, *, actor: Staff, batch_id: int
) -> tuple[PaymentBatch, list[SubsidyRecord]]:
    batch = _batch(db, actor, batch_id)
    return batch, batch_records(db, batch_id)


def mark_batch_paid(
    db: Session, *, actor: Staff, batch_id: int, paid_on: date, note: str = ""
) -> PaymentBatch:
    batch = _batch(db, actor, batch_id)
    if batch.paid_at is not None:
        raise Conflict("该批次已标记为已发放", code="batch_paid")
    records = batch_records(db, batch_id)
    wrong = [r for r in records if r.state != S.APPROVED]
    if wrong:
        raise Conflict(
            "批次中有记录已不是已审核状态（证书撤销等），请先移出："
            + "、".join(f"{r.holder_name}（{STATE_NAMES[SubsidyState(r.state)]}）" for r in wrong),
            code="wrong_state",
        )
    now = clock.utcnow()
    batch.paid_at, batch.paid_by, batch.paid_on = now, actor.id, paid_on
    batch.note = clean_reason(note) if note.strip() else ""
    db.add(batch)
    for r in records:
        r.state, r.paid_at = S.PAID, now
        db.add(r)
    audit.record(
        db,
        actor=actor,
        action="subsidy.paid",
        object_type="payment_batch",
        object_id=batch.id,
        reason=batch.reference,
        detail={
            "records": len(records),
            "amount": sum(r.amount for r in records),
            "paid_on": paid_on.isoformat(),
        },
    )
    db.flush()
    return batch


def batch_xlsx(db: Session, *, actor: Staff, batch_id: int) -> tuple[str, bytes]:
    """The batch for the finance system: payee, ID number, a bank-account column to fill,
    amount, policy, certificate number; totals per policy."""
    batch, records = get_batch(db, actor=actor, batch_id=batch_id)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "拨付明细"
    header = [
        "序号",
        "收款人",
        "身份证号",
        "银行账号（财务系统填写）",
        "金额（元）",
        "补贴政策",
        "发放方式",
        "证书编号",
        "发证日期",
    ]
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for n, r in enumerate(records, 1):
        append_row(
            ws,
            [n, r.holder_name, r.id_number, "", r.amount, r.policy_name, TRANCHE_NAMES.get(r.tranche, r.tranche),
             r.certificate_number, r.issued_on.isoformat()],
        )  # fmt: skip
    totals = wb.create_sheet("按政策合计")
    append_row(totals, ["补贴政策", "笔数", "金额（元）"])
    by_policy: dict[str, list[int]] = {}
    for r in records:
        by_policy.setdefault(r.policy_name, []).append(r.amount)
    for name, amounts in sorted(by_policy.items()):
        append_row(totals, [name, len(amounts), sum(amounts)])
    append_row(totals, ["合计", len(records), sum(r.amount for r in records)])
    buf = io.BytesIO()
    wb.save(buf)
    return f"拨付批次_{batch.reference}.xlsx", buf.getvalue()


# -- the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRun:
    forfeited: int
    expired: int
    months_added: int


def _current_facts(db: Session, id_number: str) -> HolderFacts:
    cand = db.exec(
        select(Candidate).where(Candidate.id_number == id_number).order_by(col(Candidate.id).desc())
    ).first()
    return recorded(cand.facts if cand else None, invalid_as_unknown=True)


def run_schedule(db: Session, today: date) -> ScheduleRun:
    """Idempotent, run by every instance: deferred parts past their deadline are forfeited,
    pending claims past their window expire, and monthly schedules get the months now due
    while their conditions still hold (re-checked on the holder's current record)."""
    forfeited = expired = added = 0
    for r in db.exec(
        select(SubsidyRecord).where(
            SubsidyRecord.state == S.AWAITING_EVIDENCE, col(SubsidyRecord.evidence_deadline) < today
        )
    ):
        r.state, r.reason, r.decided_at = (
            S.FORFEITED,
            f"未在 {r.evidence_deadline} 前实现稳定就业",
            clock.utcnow(),
        )
        db.add(r)
        forfeited += 1
    for r in db.exec(
        select(SubsidyRecord).where(
            SubsidyRecord.state == S.PENDING, col(SubsidyRecord.claim_deadline) < today
        )
    ):
        r.state, r.reason, r.decided_at = (
            S.EXPIRED,
            f"超过申领期（{r.claim_deadline}）",
            clock.utcnow(),
        )
        db.add(r)
        expired += 1
    added = _monthly(db, today)
    db.flush()
    if forfeited or expired or added:
        log.info(
            "subsidy schedule: %d forfeited, %d expired, %d months added", forfeited, expired, added
        )
    return ScheduleRun(forfeited, expired, added)


def _monthly(db: Session, today: date) -> int:
    added = 0
    streams = db.exec(
        select(SubsidyRecord).where(SubsidyRecord.tranche == "month", SubsidyRecord.month == 1)
    ).all()
    for first in streams:
        policy = policy_by_id(first.policy_id)
        cert = db.get(Certificate, first.certificate_id)
        if (
            cert is None
            or cert.status != CertificateStatus.VALID
            or first.state in (S.VOID, S.REJECTED)
        ):
            continue
        have = {
            r.month
            for r in db.exec(
                select(SubsidyRecord).where(
                    SubsidyRecord.certificate_id == first.certificate_id,
                    SubsidyRecord.policy_id == first.policy_id,
                    SubsidyRecord.tranche == "month",
                )
            )
        }
        due = min(policy.amount.months, _months_due(first.issued_on, today))
        missing = [m for m in range(2, due + 1) if m not in have]
        if not missing:
            continue
        # The conditions must still hold for the months to come (the holder's record now).
        decision = engine.evaluate_policy(
            policy,
            case_of(db, cert),
            _current_facts(db, cert.id_number),
            [h for h in history_of(db, cert.id_number, excluding=cert.id)],
            standards(db),
        )
        if not decision.applies:
            continue
        for m in missing:
            db.add(
                SubsidyRecord(
                    **{
                        **first.model_dump(exclude={"id", "state", "decided_by", "decided_at", "reason", "batch_id", "paid_at", "recovery", "recovery_note", "created_at"}),
                        "month": m,
                        "explanation": _lines(decision),
                    }
                )
            )  # fmt: skip
            added += 1
    return added


def _months_due(issued: date, today: date) -> int:
    """Month 1 is the issue month; month k falls due k-1 months after the issue date."""
    n = 0
    while add_months(issued, n) <= today:
        n += 1
    return n


# -- what if --------------------------------------------------------------------------------


def what_if(
    db: Session, *, actor: Staff, case: CertificateCase, facts: HolderFacts, id_number: str = ""
) -> list[Decision]:
    """The engine on a certificate and facts typed in, nothing stored (regulators and
    centres try a case before it happens)."""
    access.require(actor, Action.READ, Resource.SUBSIDY)
    history = history_of(db, id_number) if id_number else []
    return engine.evaluate(case, facts, history, shipped_policies(), standards(db))


def level_name(code: str) -> str:
    return get_level(code).display


async def run_schedule_forever(interval_seconds: float = 3600.0) -> None:
    """Each instance runs the schedule hourly (it is idempotent: two instances at once
    change each record once)."""
    import asyncio

    from app.core.db import session_scope

    def once() -> None:
        with session_scope(write=True) as db:
            run_schedule(db, today())

    while True:
        try:
            await asyncio.to_thread(once)
        except Exception:  # the schedule must outlive one bad run; the next hour retries
            log.exception("subsidy schedule")
        await asyncio.sleep(interval_seconds)


@dataclass(frozen=True)
class StateTotal:
    state: str
    name: str
    count: int
    amount: int


def overview(db: Session, *, actor: Staff) -> list[StateTotal]:
    """Counts and amounts per state of the records in the actor's scope (the workspace's
    first figures: what waits for review, what is committed, what was paid)."""
    rows = db.exec(_in_scope(actor, select(SubsidyRecord.state, SubsidyRecord.amount))).all()
    totals: dict[str, list[int]] = {}
    for state, amount in rows:
        totals.setdefault(state, []).append(amount)
    return [
        StateTotal(s.value, STATE_NAMES[s], len(totals.get(s, [])), sum(totals.get(s, [])))
        for s in SubsidyState
    ]


def recovery_records(db: Session, *, actor: Staff) -> list[SubsidyRecord]:
    return queue(db, actor=actor, f=QueueFilter(recovery=True))


def set_standard(
    db: Session, *, actor: Staff, policy_id: str, level_code: str, amount: int
) -> SubsidyStandard:
    """当地标准 of a policy whose amount the region sets (local_standard) or caps (up_to)."""
    access.require(actor, Action.MANAGE, Resource.SUBSIDY)
    if actor.role != Role.REGULATOR:
        raise ValidationFailed("当地标准由监管部门设定", code="regulator_only")
    try:
        policy = policy_by_id(policy_id)
    except KeyError:
        raise NotFound("补贴政策不存在", code="policy_not_found") from None
    if policy.amount.kind not in ("local_standard", "up_to"):
        raise ValidationFailed(f"{policy.name}的金额由政策规定，不设当地标准", code="fixed_amount")
    if level_code not in policy.amount.per_level:
        raise ValidationFailed("该政策不覆盖此等级", code="level_not_covered")
    cap = policy.amount.per_level[level_code]
    if amount <= 0 or (policy.amount.kind == "up_to" and amount > cap):
        raise ValidationFailed(
            f"金额应为正数{f'，且不超过政策上限 {cap} 元' if policy.amount.kind == 'up_to' else ''}",
            code="amount_invalid",
            details=[{"field": "amount", "problem": "金额无效"}],
        )
    row = db.get(SubsidyStandard, (policy_id, level_code)) or SubsidyStandard(
        policy_id=policy_id, level_code=level_code, amount=amount, set_by=actor.id
    )
    row.amount, row.set_by, row.set_at = amount, actor.id, clock.utcnow()
    db.add(row)
    audit.record(
        db,
        actor=actor,
        action="subsidy.standard",
        object_type="policy",
        reason=f"{policy.name} {level_name(level_code)} {amount} 元",
        detail={"policy": policy_id, "level": level_code, "amount": amount},
    )
    db.flush()
    return row
