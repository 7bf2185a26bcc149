"""Bulk issuance (批量发证) of a session's passing candidates, off the request.

The request only checks and queues (`create_batch`: all of it or nothing: a missing photo
refuses the whole batch, naming whose). A runner of some app instance claims the batch
(`claim`) and hands its items to worker processes (`run_batch`); each item is two short
transactions in a worker: issue the certificate (the number's serial lock is held only
for that), then render its PDF outside any transaction and store it. Everything is
idempotent per item, so a batch resumed after a crash or restart issues nobody twice and
renders nothing twice.

Workers are replaced after `certificate_renders_per_worker` renders: WeasyPrint's memory
grows with every document a process renders, so recycling bounds it."""

import io
import logging
import multiprocessing
import os
import socket
import zipfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.accounts import policy
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.certificates import numbers, service
from app.certificates.models import (
    BatchState,
    Certificate,
    CertificateBatch,
    CertificateBatchItem,
)
from app.core import clock
from app.core.config import get_settings
from app.core.db import get_engine, make_engine, session_scope, set_engine
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.exams.models import ExamPlan, ExamSession, Registration
from app.reference.levels import get_level
from app.reference.models import EvaluationCentre
from app.results.models import Result

log = logging.getLogger(__name__)

# A runner that has not reported for this long is taken to be gone: another takes over.
STALE_AFTER = timedelta(minutes=2)
BATCH_STATE_NAMES = {
    BatchState.QUEUED: "排队中",
    BatchState.RUNNING: "生成中",
    BatchState.DONE: "已完成",
    BatchState.FAILED: "部分失败",
}


def _missing() -> NotFound:
    return NotFound("发证批次不存在", code="batch_not_found")


def issuable_results(db: Session, plan: ExamPlan, session_id: int | None) -> list[Result]:
    """The plan's results that may get a certificate now and have none."""
    query = select(Result).where(Result.plan_id == plan.id).order_by(col(Result.id))
    if session_id is not None:
        query = query.join(Registration, col(Registration.id) == Result.registration_id).where(
            Registration.session_id == session_id
        )
    results = [
        r for r in db.exec(query) if r.id is not None and service.issuable_problem(r) is None
    ]
    issued = service.results_with_valid_certificates(db, [r.id or 0 for r in results])
    return [r for r in results if r.id not in issued]


def numbering_problem(db: Session, plan: ExamPlan) -> str | None:
    """Why this plan's certificates cannot be numbered yet (the centre's codes)."""
    centre = db.get(EvaluationCentre, plan.centre_id)
    assert centre is not None
    settings = service.centre_settings(db, plan.centre_id)
    kind = numbers.kind_of(get_level(plan.level_code))
    if "{site}" not in service.number_format(settings, kind).template:
        return None
    return numbers.codes_problem(service.evaluator_codes(centre, settings))


def create_batch(
    db: Session,
    *,
    actor: Staff,
    plan_id: int,
    session_id: int | None = None,
    issued_on: date | None = None,
) -> CertificateBatch:
    plan = db.get(ExamPlan, plan_id)
    policy.check(
        actor,
        Action.MANAGE,
        Resource.CERTIFICATE,
        Facts.of(plan.centre_id) if plan else None,
        missing=NotFound("考试计划不存在", code="plan_not_found"),
    )
    assert plan is not None and plan.id is not None
    if session_id is not None:
        session = db.get(ExamSession, session_id)
        if session is None or session.plan_id != plan.id:
            raise NotFound("场次不存在", code="session_not_found")
    problem = numbering_problem(db, plan)
    if problem:
        raise ValidationFailed(
            f"证书编号所需的机构代码不完整：{problem}（请先完成证书设置）",
            code="codes_incomplete",
        )
    results = issuable_results(db, plan, session_id)
    if not results:
        raise Conflict(
            "没有待发证的合格成绩（成绩须已确认且合格，且尚未发证）", code="nothing_to_issue"
        )
    missing = service.missing_photos(db, [r.candidate_id for r in results])
    if missing:
        raise ValidationFailed(
            f"以下考生没有证件照，不能发证：{'、'.join(missing)}",
            code="photo_missing",
            details=[{"field": "photo", "candidate": n, "problem": "缺少证件照"} for n in missing],
        )
    batch = CertificateBatch(
        centre_id=plan.centre_id,
        plan_id=plan.id,
        session_id=session_id,
        requested_by=actor.id,
        issued_on=issued_on or service.today(),
        total=len(results),
    )
    db.add(batch)
    db.flush()
    assert batch.id is not None
    for n, result in enumerate(results):
        db.add(CertificateBatchItem(batch_id=batch.id, result_id=result.id or 0, position=n + 1))
    audit.record(
        db,
        actor=actor,
        action="certificate.batch",
        object_type="certificate_batch",
        object_id=batch.id,
        centre_id=plan.centre_id,
        detail={"plan_id": plan.id, "session_id": session_id, "total": len(results)},
    )
    db.flush()
    return batch


# -- running -----------------------------------------------------------------------------


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_gone(runner: str | None) -> bool:
    """A runner of this host whose process has ended (a restart): resume at once."""
    if not runner or ":" not in runner:
        return True
    host, pid = runner.rsplit(":", 1)
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(batch_id: int | None = None) -> int | None:
    """Take a queued batch, or one whose runner is gone, for this instance."""
    now = clock.utcnow()
    me = runner_name()
    with session_scope(write=True) as db:
        query = select(CertificateBatch).where(
            col(CertificateBatch.state).in_([BatchState.QUEUED, BatchState.RUNNING])
        )
        if batch_id is not None:
            query = query.where(CertificateBatch.id == batch_id)
        for batch in db.exec(query.order_by(col(CertificateBatch.id))):
            takeable = (
                batch.state == BatchState.QUEUED
                or batch.heartbeat_at is None
                or batch.heartbeat_at < now - STALE_AFTER
                or (batch.runner != me and _runner_gone(batch.runner))
            )
            if not takeable:
                continue
            # Conditional on what was read: of two instances, one wins.
            won = db.execute(
                update(CertificateBatch)
                .where(
                    col(CertificateBatch.id) == batch.id,
                    col(CertificateBatch.state) == batch.state,
                    or_(
                        col(CertificateBatch.runner).is_(None),
                        col(CertificateBatch.runner) == batch.runner,
                    ),
                )
                .values(state=BatchState.RUNNING, runner=me, heartbeat_at=now)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                return batch.id
    return None


def _pending(batch_id: int) -> list[int]:
    with session_scope() as db:
        ids = db.exec(
            select(CertificateBatchItem.id)
            .where(
                CertificateBatchItem.batch_id == batch_id,
                col(CertificateBatchItem.done).is_(False),
            )
            .order_by(col(CertificateBatchItem.position))
        ).all()
        return [i for i in ids if i is not None]


def _heartbeat(batch_id: int) -> None:
    with session_scope(write=True) as db:
        db.execute(
            update(CertificateBatch)
            .where(col(CertificateBatch.id) == batch_id)
            .values(heartbeat_at=clock.utcnow())
        )


def _finish(batch_id: int) -> CertificateBatch:
    with session_scope(write=True) as db:
        batch = db.get(CertificateBatch, batch_id)
        assert batch is not None
        left = db.exec(
            select(CertificateBatchItem.id).where(
                CertificateBatchItem.batch_id == batch_id, col(CertificateBatchItem.done).is_(False)
            )
        ).first()
        batch.state = BatchState.FAILED if left else BatchState.DONE
        batch.finished_at = clock.utcnow()
        db.add(batch)
        return batch


def process_item(item_id: int) -> str:
    """One item, in whatever process runs it: issue (if not yet), render, store. Returns
    "" or the error a person reads on the batch page."""
    try:
        with session_scope(write=True) as db:
            item = db.get(CertificateBatchItem, item_id)
            assert item is not None
            if item.done:
                return ""
            batch = db.get(CertificateBatch, item.batch_id)
            assert batch is not None
            issued = service.issue_for_batch(
                db, result_id=item.result_id, actor_id=batch.requested_by, issued_on=batch.issued_on
            )
            item.certificate_id = issued.id
            db.add(item)
            cert_id = issued.id
        from app.certificates import pdf

        with session_scope() as db:
            to_render = db.get(Certificate, cert_id)
            assert to_render is not None
            content = None if to_render.pdf_sha256 else pdf.render(db, to_render)
        with session_scope(write=True) as db:
            stored = db.get(Certificate, cert_id)
            item = db.get(CertificateBatchItem, item_id)
            assert stored is not None and item is not None
            if content is not None and not stored.pdf_sha256:
                service.save_pdf(db, stored, content)
            item.done, item.error = True, ""
            db.add(item)
        return ""
    except DomainError as exc:
        error = exc.message
    except Exception as exc:  # a worker must report, not die: the batch page shows it
        log.exception("certificate batch item %s failed", item_id)
        error = f"生成失败：{type(exc).__name__}"
    with session_scope(write=True) as db:
        item = db.get(CertificateBatchItem, item_id)
        if item is not None:
            item.error = error
            db.add(item)
    return error


# Worker processes: each opens its own engine on the parent's database once.
def _worker_init(db_url: str, data_dir: str) -> None:
    os.environ["JIPING_DATA_DIR"] = data_dir
    get_settings.cache_clear()
    set_engine(make_engine(db_url))


def run_batch(batch_id: int, *, workers: int | None = None) -> CertificateBatch:
    """Run a claimed batch to its end: its pending items over `workers` processes (0: in
    this process, for tests and one-off CLI runs)."""
    settings = get_settings()
    workers = settings.certificate_workers if workers is None else workers
    items = _pending(batch_id)
    if workers <= 0:
        for item_id in items:
            process_item(item_id)
            _heartbeat(batch_id)
        return _finish(batch_id)
    db_url = get_engine().url.render_as_string(hide_password=False)
    # Workers are recycled by giving each chunk of items a fresh pool: Python 3.11's
    # max_tasks_per_child stops replacing exited workers while tasks are queued
    # (CPython gh-115634), which hung every batch after its first recycling.
    chunk = workers * max(1, settings.certificate_renders_per_worker)
    for start in range(0, len(items), chunk):
        # spawn: a fresh interpreter per worker (fork would copy the app's threads and
        # connections, and the memory the recycling is there to give back).
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(db_url, settings.data_dir),
        ) as pool:
            futures = [pool.submit(process_item, i) for i in items[start : start + chunk]]
            for _ in as_completed(futures):
                _heartbeat(batch_id)
    return _finish(batch_id)


def run_pending(workers: int | None = None) -> list[int]:
    """Claim and run every batch this instance may take (the runner's loop body, and
    `python -m app.cli certificates resume`)."""
    done = []
    while (batch_id := claim()) is not None:
        run_batch(batch_id, workers=workers)
        done.append(batch_id)
    return done


# -- progress and the ZIP ------------------------------------------------------------------


@dataclass(frozen=True)
class BatchItemView:
    position: int
    name: str
    number: str | None
    done: bool
    error: str


@dataclass(frozen=True)
class BatchProgress:
    batch: CertificateBatch
    plan_name: str
    done: int
    failed: int
    items: list[BatchItemView]

    @property
    def state_name(self) -> str:
        return BATCH_STATE_NAMES[BatchState(self.batch.state)]

    @property
    def finished(self) -> bool:
        return self.batch.state in (BatchState.DONE, BatchState.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.batch.total) if self.batch.total else 100


def get_batch(db: Session, *, actor: Staff, batch_id: int) -> CertificateBatch:
    batch = db.get(CertificateBatch, batch_id)
    policy.check(
        actor,
        Action.MANAGE,
        Resource.CERTIFICATE,
        Facts.of(batch.centre_id) if batch else None,
        missing=_missing(),
    )
    assert batch is not None
    return batch


def progress(db: Session, *, actor: Staff, batch_id: int) -> BatchProgress:
    from app.exams.models import Candidate

    batch = get_batch(db, actor=actor, batch_id=batch_id)
    rows = db.exec(
        select(CertificateBatchItem, Result, Candidate, Certificate)
        .join(Result, col(Result.id) == CertificateBatchItem.result_id)
        .join(Candidate, col(Candidate.id) == Result.candidate_id)
        .outerjoin(Certificate, col(Certificate.id) == CertificateBatchItem.certificate_id)
        .where(CertificateBatchItem.batch_id == batch_id)
        .order_by(col(CertificateBatchItem.position))
    ).all()
    items = [
        BatchItemView(i.position, c.name, cert.number if cert else None, i.done, i.error)
        for i, _r, c, cert in rows
    ]
    plan = db.get(ExamPlan, batch.plan_id)
    return BatchProgress(
        batch=batch,
        plan_name=plan.name if plan else "",
        done=sum(1 for i in items if i.done),
        failed=sum(1 for i in items if i.error and not i.done),
        items=items,
    )


def batch_certificates(db: Session, batch_id: int) -> Iterable[Certificate]:
    return db.exec(
        select(Certificate)
        .join(CertificateBatchItem, col(CertificateBatchItem.certificate_id) == Certificate.id)
        .where(CertificateBatchItem.batch_id == batch_id, col(CertificateBatchItem.done).is_(True))
        .order_by(col(CertificateBatchItem.position))
    )


def batch_zip(db: Session, *, actor: Staff, batch_id: int) -> tuple[str, bytes]:
    """The batch's stored PDFs as one ZIP (stored, not deflated: PDFs are compressed)."""
    batch = get_batch(db, actor=actor, batch_id=batch_id)
    if batch.state not in (BatchState.DONE, BatchState.FAILED):
        raise Conflict("证书仍在生成中，完成后即可下载", code="batch_running")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for cert in batch_certificates(db, batch_id):
            zf.writestr(service.pdf_filename(cert), service.stored_pdf(cert))
    plan = db.get(ExamPlan, batch.plan_id)
    return f"证书_{plan.name if plan else batch_id}_{batch.id}.zip", out.getvalue()


def centre_batches(db: Session, *, actor: Staff, plan_id: int) -> list[CertificateBatch]:
    centre_id = policy.centre_scope(actor, Action.MANAGE, Resource.CERTIFICATE)
    return list(
        db.exec(
            select(CertificateBatch)
            .where(CertificateBatch.centre_id == centre_id, CertificateBatch.plan_id == plan_id)
            .order_by(col(CertificateBatch.id).desc())
        )
    )


async def run_forever(interval_seconds: float = 2.0) -> None:
    """The app instance's batch runner: queued batches, and batches whose runner is gone
    (a crash or restart), are taken and run in worker processes."""
    import asyncio

    while True:
        try:
            await asyncio.to_thread(run_pending)
        except Exception:  # the runner must outlive one bad batch; the next pass retries
            log.exception("certificate batch runner")
        await asyncio.sleep(interval_seconds)
