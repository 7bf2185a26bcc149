"""Recording who did what, when and why, and reading the chain back.

Entries are appended to a hash chain (app/audit/chain.py) and never changed: nothing here
or anywhere else updates or deletes an AuditEntry, and the migration's triggers refuse it.
Appending takes the chain head under a lock held until the transaction ends, so entries
line up one after another across requests, processes and instances: on PostgreSQL the
head row's `FOR UPDATE`; on SQLite the same statement takes the one write lock
(app/core/db.py). The head moves in the entry's transaction: one rolled back leaves no
trace in the chain."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.accounts import policy
from app.accounts.policy import Action, Resource
from app.accounts.principals import CandidateLogin, Staff
from app.audit import chain
from app.audit.models import AuditEntry, AuditHead
from app.core import signing
from app.core.clock import utcnow
from app.core.keys import signing_keys

HEAD_ID = 1
BATCH = 1000  # entries read at a time by the verifier


# Built once: record() runs in every audited unit of work. Core statements on the table,
# which skip the ORM's per-statement work.
_heads = AuditHead.__table__  # type: ignore[attr-defined]
_LOCK_HEAD = select(_heads.c.seq, _heads.c.hash).where(_heads.c.id == HEAD_ID).with_for_update()
_MOVE_HEAD = (
    update(_heads).where(_heads.c.id == HEAD_ID).values(seq=bindparam("s"), hash=bindparam("h"))
)


def _lock_head(db: Session) -> tuple[int, str]:
    """The head (last seq, last hash), locked until this transaction ends (it is taken
    as the transaction commits)."""
    row = db.execute(_LOCK_HEAD).first()
    if row is None:
        # No head yet (a database emptied by TRUNCATE): the first writer creates it;
        # a second one at the same moment waits for it, then locks the same row.
        values = {"id": HEAD_ID, "seq": 0, "hash": chain.GENESIS}
        if db.get_bind().dialect.name == "postgresql":
            db.execute(pg_insert(_heads).values(**values).on_conflict_do_nothing())
        else:
            db.execute(sqlite_insert(_heads).values(**values).on_conflict_do_nothing())
        row = db.execute(_LOCK_HEAD).one()
    return int(row[0]), str(row[1])


def record(
    db: Session,
    *,
    actor: Staff | CandidateLogin | None,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    centre_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to this unit of work. It takes its place in the chain when the unit
    commits (`_seal`): the head is locked only for the commit's last moment, after every
    other lock the unit holds, so appending never waits inside a unit of work nor
    deadlocks with one (and a rolled-back unit leaves no trace)."""
    if isinstance(actor, Staff):
        kind, actor_id, name = "staff", actor.id, actor.display_name
        centre_id = centre_id if centre_id is not None else actor.centre_id
    elif isinstance(actor, CandidateLogin):
        kind, actor_id, name = "candidate", actor.registration_id, actor.name
        centre_id = centre_id if centre_id is not None else actor.centre_id
    else:
        kind, actor_id, name = "system", None, "系统"
    entry = AuditEntry(
        at=utcnow(),
        actor_kind=kind,
        actor_id=actor_id,
        actor_name=name,
        centre_id=centre_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        detail=chain.plain_detail(detail),
    )
    db.add(entry)
    db.info.setdefault(_UNSEALED, []).append(entry)
    return entry


_UNSEALED = "audit_unsealed"
_SEAL = (
    update(AuditEntry.__table__)  # type: ignore[attr-defined]
    .where(AuditEntry.__table__.c.id == bindparam("entry_id"))  # type: ignore[attr-defined]
    .values(seq=bindparam("s"), prev_hash=bindparam("p"), hash=bindparam("h"))
)


@event.listens_for(Session, "before_commit")
def _seal(db: Session) -> None:
    """Give this unit's entries their places: lock the head, chain them in the order they
    were recorded, move the head. The append-only trigger lets an entry be sealed once
    (seq from NULL) and never changed after."""
    entries = db.info.pop(_UNSEALED, None)
    if not entries:
        return
    db.flush()
    last_seq, last_hash = _lock_head(db)
    for entry in entries:
        fields: dict[str, Any] = {
            "seq": last_seq + 1,
            "at": entry.at,
            "actor_kind": entry.actor_kind,
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "centre_id": entry.centre_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "reason": entry.reason,
            "detail": entry.detail,
            "prev_hash": last_hash,
        }
        digest = chain.entry_hash(fields)
        db.execute(_SEAL, {"entry_id": entry.id, "s": fields["seq"], "p": last_hash, "h": digest})
        last_seq, last_hash = fields["seq"], digest
    db.execute(_MOVE_HEAD, {"s": last_seq, "h": last_hash})
    for entry in entries:
        db.expire(entry, ["seq", "prev_hash", "hash"])


@event.listens_for(Session, "after_rollback")
def _forget(db: Session) -> None:
    db.info.pop(_UNSEALED, None)


# --- the chain, read back -------------------------------------------------------------------


def _links(db: Session) -> Iterator[chain.Link]:
    """Every entry in seq order, a batch at a time (keyset pages: the table may be large,
    and a page is one short read)."""
    columns = [col(getattr(AuditEntry, f)) for f in chain.FIELDS]
    after = -1
    while True:
        rows = db.execute(
            select(col(AuditEntry.id), col(AuditEntry.hash), *columns)
            .where(col(AuditEntry.seq) > after)
            .order_by(col(AuditEntry.seq))
            .limit(BATCH)
        ).all()
        for row in rows:
            fields = dict(zip(chain.FIELDS, row[2:], strict=True))
            yield chain.Link(id=row[0], fields=fields, hash=row[1])
        if len(rows) < BATCH:
            return
        after = rows[-1][2]  # its seq (FIELDS[0])


def _read_head(db: Session) -> tuple[int, str] | None:
    row = db.execute(select(_heads.c.seq, _heads.c.hash).where(_heads.c.id == HEAD_ID)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def verify(db: Session) -> chain.Walked:
    """Walk the whole chain (audit-verify): the first entry altered, removed or out of
    place, or None. Call it first in its transaction: the head and every batch are read
    from one snapshot (SQLite's read transaction is one; PostgreSQL's needs REPEATABLE
    READ), so entries appended meanwhile neither show up half nor look removed."""
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head = _read_head(db)
    walked = chain.walk(_links(db), head=head)
    if walked.broken is None:
        # A committed entry without a place was written around record() (raw SQL).
        stray = db.execute(
            select(col(AuditEntry.id), col(AuditEntry.at), col(AuditEntry.action))
            .where(col(AuditEntry.seq).is_(None))
            .limit(1)
        ).first()
        if stray is not None:
            message = f"#{stray[0]}（{stray[1]:%Y-%m-%d %H:%M:%S} UTC，{stray[2]}）不在链中：未经记录接口写入"
            return chain.Walked(
                walked.count,
                walked.head_seq,
                walked.head_hash,
                chain.Break("out_of_order", 0, None, message),
            )
    return walked


@dataclass(frozen=True)
class HeadDigest:
    """What a regulator's signed digest says (审计链头摘要): the chain's last place and
    hash, when that was read, and how many entries the log holds."""

    seq: int
    hash: str
    at: datetime
    entries: int


def head_digest(db: Session) -> HeadDigest:
    # One statement: the head and the count from the same moment.
    entries = select(func.count()).select_from(AuditEntry).scalar_subquery()
    row = db.execute(
        select(_heads.c.seq, _heads.c.hash, entries).where(_heads.c.id == HEAD_ID)
    ).first()
    if row is None:  # nothing recorded yet
        return HeadDigest(seq=0, hash=chain.GENESIS, at=utcnow(), entries=0)
    return HeadDigest(seq=int(row[0]), hash=str(row[1]), at=utcnow(), entries=int(row[2]))


@dataclass(frozen=True)
class SignedDigest:
    digest: HeadDigest
    payload: dict[str, Any]  # what is signed: {seq, hash, at, entries}
    jws: str  # compact JWS (EdDSA) of the payload
    jwks: dict[str, Any]  # the public keys that check it


def signed_head_digest(db: Session, *, actor: Staff) -> SignedDigest:
    """The chain head, signed with the platform's key, for a regulator to keep: a later
    audit-verify that finds another hash at that seq shows the log was rewritten."""
    policy.require(actor, Action.READ, Resource.AUDIT)
    digest = head_digest(db)
    payload = {
        "seq": digest.seq,
        "hash": digest.hash,
        "at": digest.at.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "entries": digest.entries,
    }
    return SignedDigest(
        digest=digest,
        payload=payload,
        jws=signing.sign(payload, signing_keys()),
        jwks=signing_keys().public_jwks(),
    )


def check_digest(db: Session, token: str) -> tuple[bool, str]:
    """Whether the log still holds the head a signed digest recorded (the chain itself
    checked by verify): its entry at that seq has that hash. With what was found."""
    try:
        payload: dict[str, Any] | None = signing.verify(token, signing_keys().key_set()).payload
    except signing.TokenInvalid:
        payload = None
    if payload is None or not {"seq", "hash", "at"} <= payload.keys():
        return False, "摘要的签名无效（不是本平台签发，或内容被改动）"
    seq, at = int(payload["seq"]), payload["at"]
    if seq == 0:
        return True, f"摘要（{at} 签发）签发时日志为空"
    stored = db.execute(select(col(AuditEntry.hash)).where(col(AuditEntry.seq) == seq)).first()
    if stored is None:
        return False, f"摘要（{at} 签发）所记的第 {seq} 条已不在日志中"
    if stored[0] != payload["hash"]:
        return False, f"第 {seq} 条与摘要（{at} 签发）不符：此后日志被改写"
    return True, f"摘要（{at} 签发，第 {seq} 条）与日志相符"
