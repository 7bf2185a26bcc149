"""Candidates (考生) of a centre, one record per ID number."""

import logging
from typing import Any

from sqlmodel import Session, col, or_, select

from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.audit.reasons import clean_reason
from app.core.errors import Conflict
from app.core.text import clean_name, name_problem
from app.exams import holders, roster
from app.exams.common import centre_for, invalid, of_centre
from app.exams.facts import HolderFacts, recorded, stored
from app.exams.models import Candidate
from app.exams.schemas import (
    CandidateIn,
)
from app.reference.identifiers import (
    mask_resident_id,
    normalise_resident_id,
    resident_id_birth_date,
    resident_id_gender,
    resident_id_problem,
)

log = logging.getLogger(__name__)


def _candidate_problems(data: CandidateIn) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if problem := name_problem(data.name):
        problems.append({"field": "name", "problem": problem})
    if not data.id_number.strip():
        problems.append({"field": "id_number", "problem": "身份证号不能为空"})
    elif problem := resident_id_problem(data.id_number):
        problems.append({"field": "id_number", "problem": problem})
    if len(data.phone.strip()) > 20:
        problems.append({"field": "phone", "problem": "联系电话不能超过 20 个字符"})
    if len(data.employer.strip()) > 200:
        problems.append({"field": "employer", "problem": "工作单位不能超过 200 个字符"})
    return problems


def _find_candidate(db: Session, centre_id: int, id_number: str) -> Candidate | None:
    return db.exec(
        select(Candidate).where(
            Candidate.centre_id == centre_id,
            Candidate.id_number == normalise_resident_id(id_number),
        )
    ).first()


def upsert_candidate(
    db: Session, actor: Staff, centre_id: int, data: CandidateIn
) -> tuple[Candidate, bool]:
    """The centre's candidate with this ID number, created when new (→ True). A known
    person keeps their record; contact details given now replace the old ones."""
    problems = _candidate_problems(data)
    id_number = normalise_resident_id(data.id_number)
    known = _find_candidate(db, centre_id, id_number) if not problems else None
    if known is not None and (problem := roster.name_mismatch(known.name, data.name.strip())):
        problems.append({"field": "name", "problem": problem})
    if problems:
        raise invalid("考生信息有误", "candidate_invalid", problems)
    if known is not None:
        for attr in ("phone", "employer"):
            value = getattr(data, attr).strip()
            if value:
                setattr(known, attr, value)
        if data.facts is not None:
            _facts_given_again(db, actor, known, data.facts)
        db.add(known)
        db.flush()
        return known, False
    cand = Candidate(
        centre_id=centre_id,
        name=data.name.strip(),
        id_number=id_number,
        gender=resident_id_gender(id_number),
        birth_date=resident_id_birth_date(id_number),
        phone=data.phone.strip(),
        employer=data.employer.strip(),
        facts=stored(data.facts) if data.facts is not None else {},
    )
    db.add(cand)
    db.flush()
    audit.record(
        db, actor=actor, action="candidate.create", object_type="candidate", object_id=cand.id
    )
    return cand, True


def _refuse_if_certified(db: Session, cand: Candidate) -> None:
    number = certificate_using(db, cand)
    if number is not None:
        raise Conflict(
            f"考生「{cand.name}」的考生档案已用于证书 {number}（发证时冻结），不能再修改",
            code="facts_in_use",
            details=[{"field": "facts", "problem": f"已用于证书 {number}"}],
        )


def _facts_given_again(db: Session, actor: Staff, cand: Candidate, facts: HolderFacts) -> None:
    """Facts typed at a known candidate's registration: the same as recorded, or the first
    ones recorded. Different ones are a correction, made on the candidate's page with its
    reason, not a side effect of registering."""
    new = stored(facts)
    if new == cand.facts:
        return
    if cand.facts:
        raise Conflict(
            f"考生「{cand.name}」已有考生档案，与本次填写的不一致：请在考生页面修改（需填写原因）",
            code="facts_differ",
            details=[{"field": "facts", "problem": "与已登记的考生档案不一致，请在考生页面修改"}],
        )
    _refuse_if_certified(db, cand)
    cand.facts = new
    audit.record(
        db,
        actor=actor,
        action="candidate.facts",
        object_type="candidate",
        object_id=cand.id,
        reason="报名时登记考生档案",
    )


def update_facts(
    db: Session, *, actor: Staff, candidate_id: int, facts: HolderFacts, reason: str
) -> Candidate:
    """Replace a candidate's record (考生档案), with the reason; refused once a certificate
    was issued to them (it froze the record it was issued with, and subsidies read it)."""
    cand = of_centre(
        db, Candidate, candidate_id, actor, Action.MANAGE, Resource.IDENTITY, "考生", "candidate"
    )
    text = clean_reason(reason)
    new = stored(facts)
    if new == cand.facts:
        raise Conflict("没有需要保存的修改", code="nothing_changed")
    _refuse_if_certified(db, cand)
    old = cand.facts or {}
    changes = {
        k: [old.get(k), new.get(k)] for k in sorted({*old, *new}) if old.get(k) != new.get(k)
    }
    cand.facts = new
    db.add(cand)
    audit.record(
        db,
        actor=actor,
        action="candidate.facts_update",
        object_type="candidate",
        object_id=cand.id,
        reason=text,
        detail={"changes": changes},
    )
    db.flush()
    return cand


def certificate_using(db: Session, cand: Candidate) -> str | None:
    """The number of a certificate issued with the candidate's record (it may then no
    longer change), or None."""
    return holders.certificate_using(db, cand.id or 0)


def facts_of(cand: Candidate) -> HolderFacts:
    """The candidate's record as recorded (an empty record: nothing known)."""
    return recorded(cand.facts)


def create_candidate(db: Session, *, actor: Staff, data: CandidateIn) -> Candidate:
    """Add a candidate; the same ID number again reuses the existing candidate."""
    centre_id = centre_for(actor, Action.MANAGE, Resource.IDENTITY)
    return upsert_candidate(db, actor, centre_id, data)[0]


def get_candidate(db: Session, *, actor: Staff, candidate_id: int) -> Candidate:
    return of_centre(
        db, Candidate, candidate_id, actor, Action.READ, Resource.IDENTITY, "考生", "candidate"
    )


IDENTITY_FIELDS = ("name", "id_number")  # printed on tickets, results and certificates


def update_candidate(
    db: Session, *, actor: Staff, candidate_id: int, data: CandidateIn, reason: str, started: bool
) -> Candidate:
    """Correct a candidate's details (a typo in the name or ID number, a new phone), with
    the reason. `started`: the candidate has started an attempt; their name and ID number
    are then on a paper and a result, and may no longer change (contact details may)."""
    cand = of_centre(
        db, Candidate, candidate_id, actor, Action.MANAGE, Resource.IDENTITY, "考生", "candidate"
    )
    text = clean_reason(reason)
    problems = _candidate_problems(data)
    if problems:
        raise invalid("考生信息有误", "candidate_invalid", problems)
    wanted = {
        "name": clean_name(data.name),
        "id_number": normalise_resident_id(data.id_number),
        "phone": data.phone.strip(),
        "employer": data.employer.strip(),
    }
    changed = [k for k, v in wanted.items() if getattr(cand, k) != v]
    if not changed:
        raise Conflict("没有需要保存的修改", code="nothing_changed")
    if started and any(k in IDENTITY_FIELDS for k in changed):
        raise Conflict(
            "考生已开始作答，姓名和身份证号不能再修改（联系电话、工作单位仍可修改）",
            code="attempt_started",
        )
    if "id_number" in changed:
        other = _find_candidate(db, cand.centre_id, wanted["id_number"])
        if other is not None and other.id != cand.id:
            raise Conflict(
                f"该身份证号已登记为考生「{other.name}」",
                code="id_number_taken",
                details=[{"field": "id_number", "problem": "该身份证号已属于另一名考生"}],
            )
    shown = {
        k: [mask_resident_id(getattr(cand, k)), mask_resident_id(v)]
        if k == "id_number"
        else [getattr(cand, k), v]
        for k, v in wanted.items()
        if k in changed
    }
    for key in changed:
        setattr(cand, key, wanted[key])
    if "id_number" in changed:
        cand.gender = resident_id_gender(cand.id_number)
        cand.birth_date = resident_id_birth_date(cand.id_number)
    db.add(cand)
    audit.record(
        db,
        actor=actor,
        action="candidate.update",
        object_type="candidate",
        object_id=cand.id,
        reason=text,
        detail={"changes": shown},
    )
    db.flush()
    return cand


def list_candidates(db: Session, *, actor: Staff, q: str = "", limit: int = 200) -> list[Candidate]:
    """The centre's candidates, newest first; `q` matches name, ID number, phone or
    employer."""
    centre_id = centre_for(actor, Action.READ, Resource.IDENTITY)
    query = select(Candidate).where(Candidate.centre_id == centre_id)
    term = q.strip()
    if term:
        like = f"%{term}%"
        query = query.where(
            or_(
                col(Candidate.name).like(like),
                col(Candidate.id_number).like(f"%{term.upper()}%"),
                col(Candidate.phone).like(like),
                col(Candidate.employer).like(like),
            )
        )
    return list(
        db.exec(
            query.order_by(col(Candidate.created_at).desc(), col(Candidate.id).desc()).limit(limit)
        )
    )
