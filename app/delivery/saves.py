"""Applying answer saves: many at once, in the caller's transaction, with Core statements.

This is the write path every answer takes: the batching writer (writer.py) hands it a
batch per transaction, and `service.save_answer` a batch of one. Each save is checked on
its own (the login is live, its attempt is open and in time, the position is on this
candidate's paper, the response fits the item, the sequence number is newer) and gets
either a `SaveResult` or the error it was refused with; refusals do not affect the rest
of the batch.

Ordering: the page numbers its saves (`seq`, increasing). A save whose seq is not newer
than the stored one is acknowledged without changing anything, so retries and
out-of-order arrivals are harmless."""

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.accounts.service import resolve_candidate_tokens
from app.banks.models import ItemVersion
from app.core.errors import AuthRequired, DomainError, PermissionDenied
from app.delivery import responses, timer
from app.delivery.errors import (
    AttemptClosed,
    AttemptNotStarted,
    AttemptPaused,
    DeadlinePassed,
    InvalidResponse,
    NoSuchQuestion,
)
from app.delivery.models import Answer, Attempt, AttemptEvent, AttemptItem, AttemptStatus
from app.itemtypes import ResponseRejected

# Positions and save numbers are 32-bit integer columns: anything larger is refused before
# it reaches (and would fail) the whole batch's statements.
MAX_INT = 2**31 - 1

# Plain tables: Core statements without the ORM layer, compiled once and cached.
ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]
ATTEMPT: Table = Attempt.__table__  # type: ignore[attr-defined]
EVENT: Table = AttemptEvent.__table__  # type: ignore[attr-defined]
ITEM: Table = AttemptItem.__table__  # type: ignore[attr-defined]
VERSION: Table = ItemVersion.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SaveRequest:
    """One save as it arrived. The login is either known (`registration_id`, for callers
    that authenticated already) or resolved in the batch from the token's digest."""

    position: int
    response: Any
    flagged: bool
    seq: int
    registration_id: int | None = None
    token_digest: str | None = None
    # Cookie logins must also present the session's CSRF token.
    csrf_token: str | None = None
    via_cookie: bool = False


@dataclass(frozen=True)
class SaveResult:
    attempt_id: int
    position: int
    seq: int  # the stored seq: greater than the request's when a newer save had won
    saved_at: datetime
    answered_count: int
    remaining_seconds: int
    applied: bool


@dataclass
class BatchOutcome:
    results: list[SaveResult | DomainError]
    # Open attempts found past their deadline: the caller closes them (time-out).
    expired_attempt_ids: set[int] = field(default_factory=set)


@dataclass
class _AttemptRow:
    id: int
    status: str
    deadline_at: datetime
    paused_at: datetime | None
    answered_count: int


@dataclass
class _Stored:
    seq: int
    answered: bool
    saved_at: datetime


def apply_saves(
    conn: Connection, saves: Sequence[SaveRequest], *, now: datetime, grace_seconds: float
) -> BatchOutcome:
    results: list[SaveResult | DomainError | None] = [None] * len(saves)
    outcome = BatchOutcome(results=[])

    # 1. Who is saving: one indexed lookup for all tokens of the batch.
    tokens = resolve_candidate_tokens(
        conn, {s.token_digest for s in saves if s.token_digest}, now=now
    )
    registrations: list[int | None] = []
    for i, s in enumerate(saves):
        reg_id = s.registration_id
        if reg_id is None:
            found = tokens.get(s.token_digest or "")
            if found is None:
                results[i] = AuthRequired("请先使用准考证号登录", code="candidate_auth_required")
            elif s.via_cookie and not hmac.compare_digest(
                (s.csrf_token or "").encode(), found.csrf_token.encode()
            ):
                results[i] = PermissionDenied(
                    "页面已过期，请刷新后重试（CSRF 校验失败）", code="csrf_failed"
                )
            else:
                reg_id = found.registration_id
        registrations.append(reg_id)

    # 2. Their attempts, locked against concurrent proctor actions on PostgreSQL (the
    # writer's transaction holds SQLite's write lock from its start).
    attempts = _attempts(conn, {r for r in registrations if r is not None})

    pending: dict[int, _AttemptRow] = {}
    wanted: set[tuple[int, int]] = set()
    for i, (s, reg_id) in enumerate(zip(saves, registrations, strict=True)):
        if results[i] is not None or reg_id is None:
            continue
        attempt = attempts.get(reg_id)
        if not 1 <= s.position <= MAX_INT:
            results[i] = NoSuchQuestion(s.position)
        elif not 1 <= s.seq <= MAX_INT:
            results[i] = InvalidResponse(s.position, "保存序号超出范围")
        elif attempt is None:
            results[i] = AttemptNotStarted()
        elif attempt.status == AttemptStatus.SUBMITTED:
            results[i] = AttemptClosed()
        elif attempt.status == AttemptStatus.PAUSED or attempt.paused_at is not None:
            results[i] = AttemptPaused()
        elif timer.is_past_deadline(attempt, now, grace_seconds):
            results[i] = DeadlinePassed()
            outcome.expired_attempt_ids.add(attempt.id)
        else:
            pending[i] = attempt
            wanted.add((attempt.id, s.position))

    # 3. The items on those papers and what is stored for them, in one query.
    items, stored = _items_and_answers(conn, wanted)

    upserts: dict[tuple[int, int], dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    touched: dict[int, _AttemptRow] = {}
    accepted: dict[int, tuple[_AttemptRow, tuple[int, int]]] = {}
    for i, attempt in pending.items():
        s = saves[i]
        key = (attempt.id, s.position)
        item = items.get(key)
        if item is None:
            results[i] = NoSuchQuestion(s.position)
            continue
        item_type, labels = item
        try:
            response = responses.normalise_response(item_type, labels, s.response)
        except ResponseRejected as exc:
            results[i] = InvalidResponse(s.position, str(exc))
            continue
        touched[attempt.id] = attempt
        accepted[i] = (attempt, key)
        current = stored.get(key)
        if current is not None and s.seq <= current.seq:
            continue  # an older (or repeated) save: the stored answer stands
        answered = responses.is_answered(response)
        was_answered = current.answered if current else False
        attempt.answered_count += int(answered) - int(was_answered)
        stored[key] = _Stored(seq=s.seq, answered=answered, saved_at=now)
        upserts[key] = {
            "attempt_id": attempt.id,
            "position": s.position,
            "response": response,
            "flagged": bool(s.flagged),
            "client_seq": s.seq,
            "saved_at": now,
        }
        events.append(
            {
                "attempt_id": attempt.id,
                "registration_id": registrations[i],
                "kind": "answer",
                "at": now,
                "detail": {"position": s.position, "seq": s.seq},
            }
        )

    # 4. Write: the answers (one upsert statement, executed for all rows), the attempts'
    # counters and the event record.
    if upserts:
        conn.execute(_upsert(conn), list(upserts.values()))
        conn.execute(insert(EVENT), events)
    if touched:
        conn.execute(
            update(ATTEMPT)
            .where(ATTEMPT.c.id == bindparam("attempt_pk"))
            .values(answered_count=bindparam("new_count"), last_seen_at=bindparam("seen_at")),
            [
                {"attempt_pk": a.id, "new_count": a.answered_count, "seen_at": now}
                for a in touched.values()
            ],
        )

    for i, (attempt, key) in accepted.items():
        current = stored[key]
        results[i] = SaveResult(
            attempt_id=attempt.id,
            position=key[1],
            seq=current.seq,
            saved_at=current.saved_at,
            answered_count=attempt.answered_count,
            remaining_seconds=timer.remaining_seconds(attempt, now),
            applied=upserts.get(key, {}).get("client_seq") == saves[i].seq,
        )
    outcome.results = [r for r in results if r is not None]
    assert len(outcome.results) == len(saves)
    return outcome


def _attempts(conn: Connection, registration_ids: set[int]) -> dict[int, _AttemptRow]:
    if not registration_ids:
        return {}
    a = ATTEMPT.c
    rows = conn.execute(
        select(a.registration_id, a.id, a.status, a.deadline_at, a.paused_at, a.answered_count)
        .where(a.registration_id.in_(registration_ids))
        .order_by(a.id)
        .with_for_update()
    )
    return {
        reg_id: _AttemptRow(a_id, status, deadline, paused, answered)
        for reg_id, a_id, status, deadline, paused, answered in rows
    }


def _items_and_answers(
    conn: Connection, wanted: set[tuple[int, int]]
) -> tuple[dict[tuple[int, int], tuple[str, list[str]]], dict[tuple[int, int], _Stored]]:
    items: dict[tuple[int, int], tuple[str, list[str]]] = {}
    stored: dict[tuple[int, int], _Stored] = {}
    if not wanted:
        return items, stored
    pairs = sorted(wanted)
    # Batch sizes are rounded up to a power of two (repeating the last pair), so that a few
    # statements serve every batch: compiling one for each new size stalls the writer.
    size = 1 << (len(pairs) - 1).bit_length()
    pairs += [pairs[-1]] * (size - len(pairs))
    params: dict[str, int] = {}
    for n, (attempt_id, position) in enumerate(pairs):
        params[f"a{n}"], params[f"p{n}"] = attempt_id, position
    for attempt_id, position, order, item_type, options, seq, response, saved_at in conn.execute(
        _items_query(size), params
    ):
        # The bank's order, so a choice set has one stored form (the display order is
        # the candidate's shuffle of the same labels).
        labels = [o["label"] for o in options or []] or list(order or [])
        items[(attempt_id, position)] = (item_type, labels)
        if seq is not None:
            stored[(attempt_id, position)] = _Stored(
                seq=seq, answered=responses.is_answered(response), saved_at=saved_at
            )
    return items, stored


@lru_cache(maxsize=16)
def _items_query(pairs: int) -> Select[Any]:
    """The items (and stored answers) at `pairs` (attempt, position) pairs, bound as
    a0, p0, a1, p1, ...: one statement per batch size, built and compiled once. An OR of
    exact pairs rather than a row-value IN, which SQLite answers by scanning the table;
    each pair here is one probe of the unique (attempt_id, position) index."""
    ai, iv, an = ITEM.c, VERSION.c, ANSWER.c
    return (
        select(
            ai.attempt_id,
            ai.position,
            ai.option_order,
            iv.item_type,
            iv.options,
            an.client_seq,
            an.response,
            an.saved_at,
        )
        .select_from(
            ITEM.join(VERSION, iv.id == ai.item_version_id).outerjoin(
                ANSWER, and_(an.attempt_id == ai.attempt_id, an.position == ai.position)
            )
        )
        .where(
            or_(
                *(
                    and_(ai.attempt_id == bindparam(f"a{n}"), ai.position == bindparam(f"p{n}"))
                    for n in range(pairs)
                )
            )
        )
    )


def _upsert(conn: Connection) -> Any:
    return _upsert_for(conn.dialect.name)


@lru_cache(maxsize=4)
def _upsert_for(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL; the WHERE keeps an older
    save from overwriting a newer one even if two writers raced."""
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(ANSWER)
    elif dialect == "sqlite":
        stmt = sqlite.insert(ANSWER)
    else:  # pragma: no cover - the service supports these two
        raise RuntimeError(f"answer saves need SQLite or PostgreSQL, not {dialect}")
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[ANSWER.c.attempt_id, ANSWER.c.position],
        set_={
            "response": new.response,
            "flagged": new.flagged,
            "client_seq": new.client_seq,
            "saved_at": new.saved_at,
        },
        where=ANSWER.c.client_seq < new.client_seq,
    )
