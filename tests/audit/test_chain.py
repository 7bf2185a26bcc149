"""audit.chain: the canonical form, the hash and the walk, without a database."""

import hashlib
from datetime import datetime
from typing import Any

import pytest

from app.audit import chain

AT = datetime(2026, 6, 1, 1, 30, 0, 5)


def fields(seq: int = 1, prev: str = chain.GENESIS, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seq": seq,
        "at": AT,
        "actor_kind": "staff",
        "actor_id": 7,
        "actor_name": "李监考",
        "centre_id": 2,
        "action": "attempt.extra_time",
        "object_type": "attempt",
        "object_id": 3,
        "reason": "停电补时",
        "detail": {"minutes": 10, "by": ["a", "b"]},
        "prev_hash": prev,
    }
    return {**base, **changes}


def test_the_canonical_form_sorts_keys_keeps_chinese_and_writes_times_with_microseconds() -> None:
    text = chain.canonical(fields()).decode("utf-8")
    assert text.startswith('{"action":"attempt.extra_time","actor_id":7,"actor_kind":"staff"')
    assert '"actor_name":"李监考"' in text
    assert '"at":"2026-06-01T01:30:00.000005"' in text
    assert '"detail":{"by":["a","b"],"minutes":10}' in text
    assert " " not in text.replace("李监考", "").replace("停电补时", "")


def test_a_whole_second_is_written_the_same_way_as_any_other() -> None:
    text = chain.canonical(fields(at=datetime(2026, 6, 1, 1, 30))).decode()
    assert '"at":"2026-06-01T01:30:00.000000"' in text


def test_the_hash_is_sha256_of_the_canonical_form_and_ignores_key_order() -> None:
    f = fields()
    assert chain.entry_hash(f) == hashlib.sha256(chain.canonical(f)).hexdigest()
    assert chain.entry_hash(dict(reversed(list(f.items())))) == chain.entry_hash(f)


@pytest.mark.parametrize(
    "change",
    [
        {"reason": "停电补时。"},
        {"seq": 2},
        {"actor_id": None},
        {"detail": {"minutes": 11, "by": ["a", "b"]}},
        {"prev_hash": "1" * 64},
        {"at": datetime(2026, 6, 1, 1, 30, 0, 6)},
    ],
)
def test_every_field_and_the_previous_hash_are_covered(change: dict[str, Any]) -> None:
    assert chain.entry_hash(fields(**change)) != chain.entry_hash(fields())


def test_an_entry_must_give_every_field_and_no_extra_one_counts() -> None:
    f = fields()
    del f["reason"]
    with pytest.raises(ValueError, match="reason"):
        chain.canonical(f)
    assert chain.entry_hash({**fields(), "id": 99}) == chain.entry_hash(fields())


def test_the_detail_is_hashed_as_the_json_column_gives_it_back() -> None:
    assert chain.plain_detail({"ids": (1, 2), 3: "x"}) == {"ids": [1, 2], "3": "x"}
    assert chain.plain_detail(None) == {}


# --- the walk -----------------------------------------------------------------------------


def build(n: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        f = fields(seq, prev, reason=f"原因{seq}")
        prev = chain.entry_hash(f)
        links.append(chain.Link(id=seq + 10, fields=f, hash=prev))
    return links


def head_of(links: list[chain.Link]) -> tuple[int, str]:
    return (links[-1].seq, links[-1].hash)


def test_an_intact_chain_walks_to_its_head() -> None:
    links = build(5)
    walked = chain.walk(links, head=head_of(links))
    assert (walked.broken, walked.count, walked.head_seq) == (None, 5, 5)
    assert walked.head_hash == links[-1].hash


def test_an_empty_log_without_a_head_is_intact() -> None:
    walked = chain.walk([], head=None)
    assert (walked.broken, walked.count, walked.head_hash) == (None, 0, chain.GENESIS)


def test_an_edited_field_names_that_entry_as_altered() -> None:
    links = build(5)
    links[2] = chain.Link(links[2].id, {**links[2].fields, "reason": "改过"}, links[2].hash)
    broken = chain.walk(links, head=head_of(links)).broken
    assert broken is not None
    assert (broken.kind, broken.seq, broken.entry) == ("altered", 3, links[2])
    assert broken.message.startswith("第 3 条（#13，2026-06-01 01:30:00 UTC，attempt.extra_time）")


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link() -> None:
    links = build(5)
    f = {**links[1].fields, "reason": "改过"}
    links[1] = chain.Link(links[1].id, f, chain.entry_hash(f))
    broken = chain.walk(links, head=head_of(links)).broken
    assert broken is not None and (broken.kind, broken.seq) == ("out_of_order", 3)


def test_a_missing_middle_entry_is_named_as_removed() -> None:
    links = build(5)
    del links[1]
    broken = chain.walk(links, head=head_of(links)).broken
    assert broken is not None and (broken.kind, broken.seq) == ("removed", 2)
    assert broken.message.startswith("第 2 条已被删除（其后为第 3 条")


def test_a_cut_off_tail_is_found_through_the_head() -> None:
    links = build(5)
    broken = chain.walk(links[:3], head=head_of(links)).broken
    assert broken is not None and (broken.kind, broken.seq) == ("removed", 4)
    assert broken.message == "末尾的第 4–5 条已被删除"


def test_an_entry_appended_past_the_head_or_a_lost_head_is_named() -> None:
    links = build(3)
    broken = chain.walk(links, head=(2, links[1].hash)).broken
    assert broken is not None and broken.kind == "head"
    broken = chain.walk(links, head=None).broken
    assert broken is not None and broken.message == "链头记录缺失"


def test_entries_take_their_places_in_commit_order_whatever_their_ids() -> None:
    # Two units of work: the one that inserted first may commit second.
    links = build(3)
    links[2] = chain.Link(0, links[2].fields, links[2].hash)
    assert chain.walk(links, head=head_of(links)).broken is None
