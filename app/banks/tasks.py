"""Practical tasks (操作技能考核试题) stored with their bank: imported with the bank file
(same transaction, so all or nothing), versioned like items, and listed for staff.

A task gone from a re-imported file is retired, never deleted: a practical sheet marked
against a version must keep showing the rubric it was marked with."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.principals import Staff
from app.banks import practical
from app.banks.models import ItemStatus, PracticalTask, PracticalTaskVersion, QuestionBank
from app.banks.practical import TaskContent
from app.core.errors import NotFound


@dataclass(frozen=True)
class TaskImportCounts:
    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.new_versions or self.retired)

    def summary(self) -> str:
        if not (self.changed or self.unchanged):
            return ""
        parts = [
            f"新增 {self.created} 道",
            f"更新 {self.new_versions} 道",
            f"未变化 {self.unchanged} 道",
        ]
        if self.retired:
            parts.append(f"停用 {self.retired} 道")
        return f"操作技能试题：{'，'.join(parts)}"


def _version_row(task_id: int, version: int, content: TaskContent) -> PracticalTaskVersion:
    return PracticalTaskVersion(
        task_id=task_id,
        version=version,
        content_digest=content.digest,
        **practical.task_content_of(content),
    )


def current_tasks(db: Session, *, bank_id: int) -> list[tuple[PracticalTask, PracticalTaskVersion]]:
    rows = db.exec(
        select(PracticalTask, PracticalTaskVersion)
        .join(PracticalTaskVersion, col(PracticalTaskVersion.task_id) == PracticalTask.id)
        .where(
            PracticalTask.bank_id == bank_id,
            PracticalTaskVersion.version == PracticalTask.current_version,
        )
        .order_by(col(PracticalTask.id))
    ).all()
    return [(task, version) for task, version in rows]


def import_tasks(db: Session, *, bank_id: int, tasks: Sequence[TaskContent]) -> TaskImportCounts:
    """Bring the bank's tasks in line with the file's (already validated) tasks."""
    current = {t.external_id: (t, v) for t, v in current_tasks(db, bank_id=bank_id)}
    created = new_versions = unchanged = retired = 0
    for content in tasks:
        found = current.get(content.external_id)
        if found is None:
            task = PracticalTask(bank_id=bank_id, external_id=content.external_id)
            db.add(task)
            db.flush()
            assert task.id is not None
            db.add(_version_row(task.id, 1, content))
            created += 1
            continue
        task, version = found
        if task.status != ItemStatus.ACTIVE:
            task.status = ItemStatus.ACTIVE  # back in the file: drawable again
            db.add(task)
        if version.content_digest == content.digest:
            unchanged += 1
            continue
        assert task.id is not None
        task.current_version += 1
        db.add(task)
        db.add(_version_row(task.id, task.current_version, content))
        new_versions += 1
    in_file = {c.external_id for c in tasks}
    for external_id, (task, _) in current.items():
        if external_id not in in_file and task.status == ItemStatus.ACTIVE:
            task.status = ItemStatus.RETIRED
            db.add(task)
            retired += 1
    db.flush()
    return TaskImportCounts(created, new_versions, unchanged, retired)


@dataclass(frozen=True)
class TaskRow:
    task: PracticalTask
    version: PracticalTaskVersion

    @property
    def vetoes(self) -> int:
        return sum(1 for c in self.version.rubric if c["veto"])


def list_tasks(db: Session, *, bank: QuestionBank) -> list[TaskRow]:
    assert bank.id is not None
    return [TaskRow(t, v) for t, v in current_tasks(db, bank_id=bank.id)]


def get_task(db: Session, *, bank: QuestionBank, task_id: int) -> TaskRow:
    task = db.get(PracticalTask, task_id)
    if task is None or task.bank_id != bank.id:
        raise NotFound("操作技能试题不存在", code="task_not_found")
    version = db.exec(
        select(PracticalTaskVersion).where(
            PracticalTaskVersion.task_id == task_id,
            PracticalTaskVersion.version == task.current_version,
        )
    ).one()
    return TaskRow(task, version)


def drawable_tasks(db: Session, *, bank_id: int, level_code: str) -> list[PracticalTaskVersion]:
    """Current versions of the bank's active tasks that serve this level."""
    return [
        v
        for t, v in current_tasks(db, bank_id=bank_id)
        if t.status == ItemStatus.ACTIVE and level_code in v.level_codes
    ]


def bank_tasks(db: Session, *, actor: Staff, bank_id: int) -> tuple[QuestionBank, list[TaskRow]]:
    from app.banks import service as banks  # the bank's access check lives there

    bank = banks.get_bank(db, actor=actor, bank_id=bank_id)
    return bank, list_tasks(db, bank=bank)


def bank_task(
    db: Session, *, actor: Staff, bank_id: int, task_id: int
) -> tuple[QuestionBank, TaskRow]:
    from app.banks import service as banks

    bank = banks.get_bank(db, actor=actor, bank_id=bank_id)
    return bank, get_task(db, bank=bank, task_id=task_id)
