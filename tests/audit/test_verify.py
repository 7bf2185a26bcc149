"""The audit chain in the database: record() appends, audit-verify walks it and names the
first entry altered or removed; the triggers refuse changes; two processes appending at
once still make one unbroken chain. On SQLite and PostgreSQL."""

import multiprocessing
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from app import cli
from app.accounts.models import Role
from app.audit import chain
from app.audit import service as audit
from app.audit.models import AuditEntry, AuditHead
from app.core.db import make_engine
from app.core.migrate import alembic_config
from tests.factories import make_centre, make_staff, staff_actor

BEFORE_CHAIN = "e7bcd885dd4b"  # the revision before the audit chain


def record_some(db: Session, n: int) -> list[AuditEntry]:
    centre = make_centre(db)
    actor = staff_actor(make_staff(db, Role.CENTRE_ADMIN, centre))
    entries = []
    for i in range(n):
        entries.append(
            audit.record(
                db,
                actor=actor,
                action="test.action",
                object_type="thing",
                object_id=i,
                reason=f"第{i + 1}次操作",
                detail={"i": i, "names": ("张三", "李四")},
            )
        )
        db.commit()  # one transaction each, as requests would
    return entries


def verify_cli(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["audit-verify"])
    out = capsys.readouterr()
    return code, out.out + out.err


def tamper(engine: Engine, statement: str, **params: object) -> None:
    """A raw change behind the application's back, as someone with database access could
    make it. The append-only trigger would refuse it, so it is lifted for this one
    statement: what is tested here is that the verifier finds what the trigger missed
    (a superuser or the table's owner can always lift it)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Transactional DDL: no other connection ever sees the trigger off.
            conn.execute(text("ALTER TABLE auditentry DISABLE TRIGGER auditentry_append_only"))
            conn.execute(text(statement), params)
            conn.execute(text("ALTER TABLE auditentry ENABLE TRIGGER auditentry_append_only"))
        else:
            # This test's own copy of the database: the triggers go with it.
            conn.execute(text("DROP TRIGGER IF EXISTS auditentry_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS auditentry_no_delete"))
            conn.execute(text(statement), params)


def test_entries_take_places_one_to_n_each_linked_to_the_last(db: Session) -> None:
    entries = record_some(db, 4)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == chain.GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    head = db.get(AuditHead, 1)
    assert head is not None and (head.seq, head.hash) == (4, entries[-1].hash)


def test_an_intact_log_verifies(db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    entries = record_some(db, 5)
    code, out = verify_cli(capsys)
    assert (code, out.strip()) == (0, f"审计日志完整：5 条，链头 {entries[-1].hash}")


def test_an_empty_log_verifies(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_cli(capsys) == (0, f"审计日志完整：0 条，链头 {chain.GENESIS}\n")


def test_a_reason_edited_in_the_database_is_found(
    engine: Engine, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = record_some(db, 5)
    tamper(engine, "UPDATE auditentry SET reason = '无' WHERE id = :id", id=entries[2].id)
    code, out = verify_cli(capsys)
    assert code == 1
    assert f"第 3 条（#{entries[2].id}，" in out
    assert "test.action）已被修改" in out
    assert "此前 2 条完好" in out


@pytest.mark.parametrize(
    ("removed", "found"),
    [(1, "第 2 条已被删除（其后为第 3 条（#{next_id}，"), (4, "末尾的第 5 条已被删除")],
    ids=["middle", "last, found through the head"],
)
def test_an_entry_deleted_from_the_database_is_named_as_removed(
    engine: Engine, db: Session, capsys: pytest.CaptureFixture[str], removed: int, found: str
) -> None:
    entries = record_some(db, 5)
    tamper(engine, "DELETE FROM auditentry WHERE id = :id", id=entries[removed].id)
    code, out = verify_cli(capsys)
    next_id = entries[removed + 1].id if removed + 1 < len(entries) else None
    assert code == 1
    assert found.format(next_id=next_id) in out


def test_the_database_refuses_to_change_or_delete_an_entry(engine: Engine, db: Session) -> None:
    entry = record_some(db, 2)[0]
    for statement in (
        "UPDATE auditentry SET reason = '无' WHERE id = :id",
        "DELETE FROM auditentry WHERE id = :id",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement), {"id": entry.id})
    assert db.exec(select(AuditEntry.reason).where(AuditEntry.id == entry.id)).one() == "第1次操作"


def test_an_entry_written_around_record_is_named(
    engine: Engine, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    record_some(db, 2)
    with engine.begin() as conn:  # no seq: an INSERT is not refused, it is found
        conn.execute(
            text(
                "INSERT INTO auditentry (at, actor_kind, actor_name, action, object_type,"
                " reason, detail) VALUES ('2026-12-01 08:00:00', 'staff', '某人', 'result.edit',"
                " '', '', '{}')"
            )
        )
    code, out = verify_cli(capsys)
    assert code == 1 and "result.edit）不在链中" in out


def test_a_sealed_entry_is_never_sealed_again(engine: Engine, db: Session) -> None:
    entry = record_some(db, 1)[0]
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE auditentry SET seq = 99 WHERE id = :id"), {"id": entry.id})


def test_a_rolled_back_entry_leaves_no_trace(
    db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    record_some(db, 2)
    audit.record(db, actor=None, action="test.refused")
    db.rollback()
    entry = audit.record(db, actor=None, action="test.after")
    db.commit()
    assert entry.seq == 3
    assert verify_cli(capsys)[0] == 0


# --- two processes appending at once --------------------------------------------------------

PER_PROCESS = 25


def _append_many(url: str, worker: int, start: object) -> None:
    engine = make_engine(url)
    start.wait()  # type: ignore[attr-defined]
    for i in range(PER_PROCESS):
        with Session(engine) as db:
            audit.record(db, actor=None, action="test.concurrent", detail={"w": worker, "i": i})
            db.commit()
    engine.dispose()


def test_two_processes_appending_at_once_make_one_unbroken_chain(
    engine: Engine, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    workers = [spawn.Process(target=_append_many, args=(url, w, start)) for w in (1, 2)]
    for p in workers:
        p.start()
    start.set()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]
    seqs = list(db.exec(select(AuditEntry.seq).order_by(col(AuditEntry.seq))))
    assert seqs == list(range(1, 2 * PER_PROCESS + 1))
    code, out = verify_cli(capsys)
    assert (code, f"{2 * PER_PROCESS} 条" in out) == (0, True)


# --- entries recorded before the chain ------------------------------------------------------


def test_entries_recorded_before_the_chain_are_chained_by_the_migration(
    tmp_path: Path, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("migrates its own SQLite file")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, BEFORE_CHAIN)
    old = create_engine(url)
    with old.begin() as conn:
        for i, (reason, detail) in enumerate(
            [("导入", '{"n": 3}'), ("更正姓名", "{}"), ("", "{}")]
        ):
            conn.execute(
                text(
                    "INSERT INTO auditentry (at, actor_kind, actor_id, actor_name, centre_id,"
                    " action, object_type, object_id, reason, detail) VALUES"
                    " (:at, 'staff', 1, '管理员', 1, 'bank.import', 'bank', :i, :r, :d)"
                ),
                {"at": f"2026-11-0{i + 1} 08:00:00.12345{i}", "i": i, "r": reason, "d": detail},
            )
    old.dispose()
    command.upgrade(config, "head")
    migrated = make_engine(url)
    with Session(migrated) as db:
        walked = audit.verify(db)
        rows = list(db.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
    assert walked.broken is None and walked.count == 3
    assert [r.seq for r in rows] == [1, 2, 3]
    # And the chain goes on from there.
    with Session(migrated) as db:
        entry = audit.record(db, actor=None, action="test.after")
        db.commit()  # an entry takes its place as its unit of work commits
        assert entry.seq == 4
        assert audit.verify(db).broken is None
    migrated.dispose()


# --- a regulator's digest, checked against the log ------------------------------------------


def test_a_kept_digest_finds_a_log_rewritten_whole_after_it(
    engine: Engine, db: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone who rewrites an entry and every hash after it (and the head) leaves a chain
    that verifies; the digest a regulator downloaded before does not match it."""
    entries = record_some(db, 3)
    regulator = staff_actor(make_staff(db, Role.REGULATOR))
    db.commit()
    digest = tmp_path / "digest.jws"
    digest.write_text(audit.signed_head_digest(db, actor=regulator).jws)
    forged = tmp_path / "forged.jws"
    head, body, signature = digest.read_text().split(".")
    forged.write_text(f"{head}.{body[:-2]}AA.{signature}")
    code, out = verify_cli_with(capsys, digest)
    assert code == 0 and "与日志相符" in out

    prev = entries[0].hash
    for entry in entries[1:]:
        fields = {f: getattr(entry, f) for f in chain.FIELDS}
        fields.update(prev_hash=prev, reason="改写" if entry.seq == 2 else entry.reason)
        prev = chain.entry_hash(fields)
        tamper(
            engine,
            "UPDATE auditentry SET reason = :r, prev_hash = :p, hash = :h WHERE id = :id",
            r=fields["reason"], p=fields["prev_hash"], h=prev, id=entry.id,
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("UPDATE audithead SET hash = :h"), {"h": prev})
    code, out = verify_cli_with(capsys, digest)
    assert code == 1
    assert "审计日志完整：3 条" in out and "第 3 条与摘要" in out and "此后日志被改写" in out
    code, out = verify_cli_with(capsys, forged)
    assert code == 1 and "摘要的签名无效" in out


def verify_cli_with(capsys: pytest.CaptureFixture[str], digest: Path) -> tuple[int, str]:
    code = cli.main(["audit-verify", "--digest", str(digest)])
    out = capsys.readouterr()
    return code, out.out + out.err
