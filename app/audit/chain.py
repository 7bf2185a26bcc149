"""The audit log as a hash chain (防篡改审计链): each entry's hash covers its fields and the
hash of the entry before it, so changing or removing any entry breaks every link after
it. Pure: the canonical form, the hash, and the walk that finds the first broken link.

The canonical form is JSON with sorted keys, no spaces, UTF-8 as is (ensure_ascii off)
and times as ISO 8601 with microseconds: the same bytes for the same entry on SQLite and
PostgreSQL, whatever order a driver hands the fields back in. The entry's id is not part
of it: the database assigns the id at insert, after the hash is made; `seq` is the
entry's place in the chain."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first entry

# The fields the hash covers: every column of AuditEntry but the id and the hash itself.
FIELDS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "centre_id",
    "action",
    "object_type",
    "object_id",
    "reason",
    "detail",
    "prev_hash",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: exactly the FIELDS, canonical JSON."""
    missing = [f for f in FIELDS if f not in fields]
    if missing:
        raise ValueError(f"audit entry lacks {missing}")
    body = {f: _plain(fields[f]) for f in FIELDS}
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the entry's canonical form, its previous hash included."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def plain_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """The detail as the JSON column gives it back (string keys, lists for tuples): the
    value hashed must be the value read back, or the entry would not verify."""
    plain: dict[str, Any] = json.loads(json.dumps(dict(detail or {}), allow_nan=False))
    return plain


# --- the walk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One stored entry as the verifier reads it."""

    id: int
    fields: Mapping[str, Any]  # FIELDS, as stored
    hash: str  # as stored

    @property
    def seq(self) -> int:
        return int(self.fields["seq"])


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    kind: str  # altered | removed | out_of_order | head
    seq: int  # the chain position concerned
    entry: Link | None  # the entry named (None: the position holds no entry)
    message: str  # says what was found, in Chinese


@dataclass(frozen=True)
class Walked:
    count: int
    head_seq: int
    head_hash: str
    broken: Break | None


def _named(link: Link) -> str:
    at = link.fields["at"]
    when = at.isoformat(sep=" ", timespec="seconds") if isinstance(at, datetime) else str(at)
    return f"第 {link.seq} 条（#{link.id}，{when} UTC，{link.fields['action']}）"


def walk(links: Iterable[Link], *, head: tuple[int, str] | None) -> Walked:
    """Check the entries in seq order against each other and against the head record
    (last seq, last hash; None when there is none). Stops at the first break."""
    count, seq, last = 0, 0, GENESIS

    def broken(kind: str, at_seq: int, link: Link | None, message: str) -> Walked:
        return Walked(count, seq, last, Break(kind, at_seq, link, message))

    for link in links:
        if link.seq > seq + 1:
            gap = _positions(seq + 1, link.seq - 1)
            return broken("removed", seq + 1, link, f"{gap}已被删除（其后为{_named(link)}）")
        if link.seq <= seq:
            return broken("out_of_order", link.seq, link, f"{_named(link)}不在链中应有的位置")
        if entry_hash(link.fields) != link.hash:
            return broken("altered", link.seq, link, f"{_named(link)}已被修改")
        # (Entries take their places as their units of work commit, so ids need not
        # follow seq: the links are what order the chain.)
        if link.fields["prev_hash"] != last:
            # Its own hash holds, its link does not: the entry before it was rewritten
            # with a fresh hash, or this one was put in afterwards.
            message = f"{_named(link)}与前一条不衔接：前一条被改写，或此条是后来插入的"
            return broken("out_of_order", link.seq, link, message)
        count, seq, last = count + 1, link.seq, link.hash
    if head is None:
        return broken("head", seq, None, "链头记录缺失") if seq else Walked(count, 0, last, None)
    head_seq, head_hash = head
    if head_seq > seq:
        # The head remembers entries that are gone: the tail was cut off.
        return broken("removed", seq + 1, None, f"末尾的{_positions(seq + 1, head_seq)}已被删除")
    if head_seq < seq or head_hash != last:
        message = f"链头记录（第 {head_seq} 条）与日志末条（第 {seq} 条）不符"
        return broken("head", head_seq, None, message)
    return Walked(count, seq, last, None)


def _positions(first: int, last: int) -> str:
    return f"第 {first} 条" if first == last else f"第 {first}–{last} 条"
