"""Question banks: importing bank files, browsing and editing items, and the pool that
exam assembly draws from.

Items are never edited in place and never deleted: an edit or a changed re-import adds an
ItemVersion, and an item gone from a re-imported file is retired, because exam forms
point at versions and must keep showing exactly what the candidate saw."""

import hashlib
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePath
from typing import Any, BinaryIO, Literal, NoReturn

from sqlalchemy import insert
from sqlmodel import Session, col, func, or_, select

from app.accounts import policy
from app.accounts.policy import Action, Facts, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.banks import excel as bank_excel
from app.banks import format as bank_format
from app.banks import moodle as bank_moodle
from app.banks import qti as bank_qti
from app.banks import tasks as bank_tasks
from app.banks.format import ItemContent, OutlineArea
from app.banks.models import (
    Item,
    ItemStatus,
    ItemVersion,
    PracticalTask,
    QuestionBank,
    new_items_stamp,
)
from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.core.limits import BANK_SOURCE_MAX_BYTES
from app.itemtypes import ItemType
from app.reference import service as reference
from app.reference.models import Occupation

log = logging.getLogger(__name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
ITEM_TYPES = tuple(ItemType)
STATUS_NAMES = {ItemStatus.ACTIVE: "可用", ItemStatus.RETIRED: "停用"}
# The page and API actions that change an item's status.
StatusAction = Literal["retire", "reactivate"]
STATUS_ACTIONS: dict[str, ItemStatus] = {
    "retire": ItemStatus.RETIRED,
    "reactivate": ItemStatus.ACTIVE,
}


# --- importing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    bank: QuestionBank
    created: int  # new items
    new_versions: int  # items whose content changed
    unchanged: int
    retired: int  # items no longer in the file, now retired
    bank_created: bool
    summary: str  # in Chinese, for the page and the CLI
    tasks: bank_tasks.TaskImportCounts = field(default_factory=bank_tasks.TaskImportCounts)
    skipped: list[bank_format.Problem] = field(default_factory=list)  # left out on request


@dataclass(frozen=True)
class ForeignBank:
    """What a QTI or Moodle XML upload cannot say itself: the bank it goes into (the bank
    file's `bank:` fields; empty ones are left to the file), and whether items of types
    Jiping does not deliver are left out (listed in the result) instead of stopping it."""

    code: str = ""
    name: str = ""
    occupation: str = ""
    direction: str = ""
    levels: tuple[str, ...] = ()
    skip_refused: bool = False

    def as_header(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "code": self.code.strip(),
            "name": self.name.strip(),
            "occupation": self.occupation.strip(),
            "direction": self.direction.strip(),
            "levels": list(self.levels),
        }
        return {k: v for k, v in found.items() if v}


# What an upload is, by its name: the bank file (YAML), the Excel template, QTI (an item
# file or a ZIP package) or Moodle XML (an .xml whose root is <quiz>).
SOURCE_SUFFIXES = (".yaml", ".yml", ".xlsx", ".zip", ".xml")


def parse_bank_source(
    content: bytes, filename: str, foreign: ForeignBank | None = None
) -> bank_format.BankFile:
    """Any bank source read and checked whole, or ValidationFailed with every problem."""
    lower = filename.lower()
    foreign = foreign or ForeignBank()
    if lower.endswith(".xlsx"):
        return bank_excel.parse_bank_workbook(content, filename)
    if lower.endswith(".zip") or (lower.endswith(".xml") and not bank_moodle.is_moodle(content)):
        return bank_qti.parse_qti(
            content, filename, bank=foreign.as_header(), skip_refused=foreign.skip_refused
        )
    if lower.endswith(".xml"):
        return bank_moodle.parse_moodle(
            content, filename, bank=foreign.as_header(), skip_refused=foreign.skip_refused
        )
    return bank_format.parse_bank_file(content, filename)


def import_bank_file(
    db: Session,
    *,
    centre_id: int,
    filename: str,
    content: bytes,
    actor: Staff | None,
    foreign: ForeignBank | None = None,
) -> ImportResult:
    """Import (or re-import) a bank file for a centre: all of it, or nothing with every
    problem listed in the ValidationFailed details."""
    if actor is not None and not policy.allows(
        actor, Action.MANAGE, Resource.BANK, Facts.of(centre_id)
    ):
        policy.require(actor, Action.MANAGE, Resource.BANK)
        raise PermissionDenied("只能向本机构导入题库", code="other_centre")
    if (same := _bank_with_digest(db, centre_id, content)) is not None:
        return _unchanged(db, same, filename=filename, actor=actor)
    parsed = parse_bank_source(content, filename, foreign)
    return import_parsed_bank(db, centre_id=centre_id, parsed=parsed, actor=actor)


def upload_name(filename: str | None) -> str:
    """An upload's file name without the folders some browsers send with it."""
    return PurePath(filename or "upload.yaml").name


def import_upload(
    db: Session,
    *,
    actor: Staff,
    filename: str | None,
    stream: BinaryIO,
    foreign: ForeignBank,
) -> ImportResult:
    """An uploaded bank source (the import page and POST /api/v1/banks/import) into the
    actor's centre: its name without the client's folders, read up to the largest source
    any reader takes (a larger one is named by its reader, with its own cap)."""
    content = stream.read(BANK_SOURCE_MAX_BYTES + 1)
    return import_bank_file(
        db,
        centre_id=policy.centre_scope(actor, Action.MANAGE, Resource.BANK),
        filename=upload_name(filename),
        content=content,
        actor=actor,
        foreign=foreign,
    )


def _bank_with_digest(db: Session, centre_id: int, content: bytes) -> QuestionBank | None:
    """The centre's bank last imported from exactly these bytes, with no item edited
    since: importing them again would change nothing, so they are not even parsed."""
    digest = hashlib.sha256(content).hexdigest()
    return db.exec(
        select(QuestionBank).where(
            QuestionBank.centre_id == centre_id, QuestionBank.content_digest == digest
        )
    ).first()


def _unchanged(
    db: Session, bank: QuestionBank, *, filename: str, actor: Staff | None
) -> ImportResult:
    assert bank.id is not None
    unchanged = db.exec(
        select(func.count())
        .select_from(Item)
        .where(Item.bank_id == bank.id, Item.status == ItemStatus.ACTIVE)
    ).one()
    tasks = bank_tasks.TaskImportCounts(
        unchanged=db.exec(
            select(func.count())
            .select_from(PracticalTask)
            .where(PracticalTask.bank_id == bank.id, PracticalTask.status == ItemStatus.ACTIVE)
        ).one()
    )
    bank.source_name = filename
    db.add(bank)
    summary = _summary(bank.code, 0, 0, unchanged, 0, False, False)
    if tasks.summary():
        summary = f"{summary}；{tasks.summary()}"
    audit.record(
        db,
        actor=actor,
        action="bank.import",
        object_type="question_bank",
        object_id=bank.id,
        centre_id=bank.centre_id,
        detail={"file": filename, "digest": bank.content_digest, "unchanged": unchanged},
    )
    db.flush()
    return ImportResult(bank, 0, 0, unchanged, 0, False, summary, tasks=tasks)


def import_parsed_bank(
    db: Session, *, centre_id: int, parsed: bank_format.BankFile, actor: Staff | None
) -> ImportResult:
    """Import a bank already read from any format (YAML, Excel, QTI, Moodle XML): the same
    versioning whatever the source. The caller has checked the actor's rights."""
    filename = parsed.filename
    header = parsed.header
    occupation = reference.occupation_by_code(db, header.occupation_code, header.direction)
    bank = db.exec(
        select(QuestionBank).where(
            QuestionBank.centre_id == centre_id, QuestionBank.code == header.code
        )
    ).first()
    if occupation is None:
        direction = f"（工种/方向“{header.direction}”）" if header.direction else ""
        _refuse(
            parsed.problem(
                "occupation", f"职业编码 {header.occupation_code}{direction} 未登记，请先登记该职业"
            )
        )
    assert occupation is not None and occupation.id is not None
    if bank is not None and bank.occupation_id != occupation.id:
        old = db.get(Occupation, bank.occupation_id)
        _refuse(
            parsed.problem(
                "occupation",
                f"题库 {header.code} 已属于职业 {old.code if old else bank.occupation_id}，"
                f"不能改为 {header.occupation_code}（请换一个题库代码）",
            )
        )

    outline_json = bank_format.outline_to_json(parsed.outline)
    enemies_json = [g.as_json() for g in parsed.enemy_groups]
    bank_created = bank is None
    if bank is None:
        bank = QuestionBank(
            centre_id=centre_id,
            code=header.code,
            name=header.name,
            occupation_id=occupation.id,
            level_codes=header.level_codes,
            outline=outline_json,
            enemy_groups=enemies_json,
            source_name=filename,
            content_digest=parsed.digest,
        )
        db.add(bank)
        db.flush()
        bank_changed = True
    else:
        bank_changed = (bank.name, bank.level_codes, bank.outline, bank.enemy_groups) != (
            header.name,
            header.level_codes,
            outline_json,
            enemies_json,
        )
        if bank_changed:
            bank.name = header.name
            bank.level_codes = header.level_codes
            bank.outline = outline_json
            bank.enemy_groups = enemies_json
            bank.updated_at = utcnow()
        bank.source_name = filename
        bank.content_digest = parsed.digest
        db.add(bank)
    assert bank.id is not None

    current = {item.external_id: (item, version) for item, version in _current_rows(db, bank.id)}
    created, new_versions, unchanged = [], [], 0
    for content_ in parsed.items:
        found = current.get(content_.external_id)
        if found is None:
            created.append(content_)
        elif found[1].content_digest != content_.digest:
            new_versions.append((found[0], content_))
        else:
            unchanged += 1
    _insert_versions(db, bank.id, created, new_versions)
    in_file = {c.external_id for c in parsed.items}
    retired = 0
    for external_id, (item, _) in current.items():
        if external_id not in in_file and item.status == ItemStatus.ACTIVE:
            item.status = ItemStatus.RETIRED
            db.add(item)
            retired += 1
    # Enemy groups are part of the pool exams draw from (bank_changed covers them).
    if created or new_versions or retired or bank_changed:
        items_changed(bank)
    db.flush()
    # An Excel workbook holds theory items only: it leaves the bank's practical tasks alone.
    task_counts = (
        bank_tasks.import_tasks(db, bank_id=bank.id, tasks=parsed.tasks)
        if parsed.holds_tasks
        else bank_tasks.TaskImportCounts()
    )

    summary = _summary(
        header.code, len(created), len(new_versions), unchanged, retired, bank_created, bank_changed
    )
    if task_counts.changed and not (created or new_versions or retired or bank_changed):
        summary = (
            f"题库 {header.code} 已更新：题目未变化（{unchanged} 题）；{task_counts.summary()}"
        )
    elif task_counts.summary():
        summary = f"{summary}；{task_counts.summary()}"
    if parsed.skipped:
        summary = f"{summary}；按要求跳过 {len(parsed.skipped)} 道不能导入的题目"
    audit.record(
        db,
        actor=actor,
        action="bank.import",
        object_type="question_bank",
        object_id=bank.id,
        centre_id=centre_id,
        detail={
            "file": filename,
            "digest": parsed.digest,
            "created": len(created),
            "new_versions": len(new_versions),
            "unchanged": unchanged,
            "retired": retired,
            "skipped": [p.item_id for p in parsed.skipped],
            "tasks": {
                "created": task_counts.created,
                "new_versions": task_counts.new_versions,
                "unchanged": task_counts.unchanged,
                "retired": task_counts.retired,
            },
        },
    )
    db.flush()
    log.info("imported bank %s (%s): %s", header.code, filename, summary)
    return ImportResult(
        bank=bank,
        created=len(created),
        new_versions=len(new_versions),
        unchanged=unchanged,
        retired=retired,
        bank_created=bank_created,
        summary=summary,
        tasks=task_counts,
        skipped=list(parsed.skipped),
    )


def _refuse(problem: bank_format.Problem) -> NoReturn:
    raise ValidationFailed(
        f"题库文件 {problem.file} 有 1 处问题，未导入任何内容",
        code="invalid_bank_file",
        details=[problem.as_detail()],
    )


def _summary(
    code: str,
    created: int,
    new_versions: int,
    unchanged: int,
    retired: int,
    bank_created: bool,
    bank_changed: bool,
) -> str:
    if not (created or new_versions or retired or bank_changed):
        return f"题库 {code} 未变化：{unchanged} 道题与库中一致，没有新增或更新"
    head = f"新建题库 {code}" if bank_created else f"题库 {code} 已更新"
    parts = [
        f"新增 {created} 题",
        f"更新 {new_versions} 题（生成新版本）",
        f"未变化 {unchanged} 题",
    ]
    if retired:
        parts.append(f"停用 {retired} 题（文件中已没有）")
    if bank_changed and not bank_created:
        parts.append("题库信息或鉴定要素细目表有修改")
    return f"{head}：{'，'.join(parts)}"


def _version_row(item_id: int, version: int, content: ItemContent) -> ItemVersion:
    return ItemVersion(
        item_id=item_id,
        version=version,
        content_digest=content.digest,
        **bank_format.content_of(content),
    )


def _insert_versions(
    db: Session,
    bank_id: int,
    created: list[ItemContent],
    new_versions: list[tuple[Item, ItemContent]],
) -> None:
    """New items, their first versions and the changed items' next versions, in bulk
    INSERTs rather than one ORM object each: an import's writes hold the database's write
    lock (SQLite has one), so the candidates' answer saves wait for as long as they take.
    Measured with scripts/bench_contention.py (README, "Saves beside slow requests")."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    if created:
        ids = db.execute(
            insert(Item).returning(col(Item.id), col(Item.external_id)),
            [
                {
                    "bank_id": bank_id,
                    "external_id": c.external_id,
                    "status": ItemStatus.ACTIVE,
                    "current_version": 1,
                }
                for c in created
            ],
        ).all()
        item_ids = {external_id: item_id for item_id, external_id in ids}
        rows += [_version_values(item_ids[c.external_id], 1, c, now) for c in created]
    for item, content_ in new_versions:
        assert item.id is not None
        item.current_version += 1
        db.add(item)
        rows.append(_version_values(item.id, item.current_version, content_, now))
    if rows:
        db.execute(insert(ItemVersion), rows)


def _version_values(
    item_id: int, version: int, content: ItemContent, now: datetime
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "version": version,
        "content_digest": content.digest,
        "created_at": now,
        **bank_format.content_of(content),
    }


def _add_version(db: Session, item: Item, content: ItemContent) -> ItemVersion:
    assert item.id is not None
    item.current_version += 1
    version = _version_row(item.id, item.current_version, content)
    db.add(item)
    db.add(version)
    return version


def _current_rows(db: Session, bank_id: int) -> list[tuple[Item, ItemVersion]]:
    rows = db.exec(
        select(Item, ItemVersion)
        .join(ItemVersion, col(ItemVersion.item_id) == Item.id)
        .where(Item.bank_id == bank_id, ItemVersion.version == Item.current_version)
    ).all()
    return [(item, version) for item, version in rows]


# --- the pool for exam assembly ------------------------------------------------------


def items_changed(bank: QuestionBank) -> None:
    """Every change to what `drawable_items` returns must call this (in the same
    transaction): other instances' pool caches are keyed by the stamp."""
    bank.items_stamp = new_items_stamp()


def drawable_items(db: Session, *, bank_id: int, level_code: str) -> list[ItemVersion]:
    """Current versions of the bank's active items that serve this level."""
    rows = db.exec(
        select(ItemVersion)
        .join(Item, col(Item.id) == ItemVersion.item_id)
        .where(
            Item.bank_id == bank_id,
            Item.status == ItemStatus.ACTIVE,
            ItemVersion.version == Item.current_version,
        )
        .order_by(col(Item.id))
    ).all()
    # Level lists are JSON: filtered here the same way on SQLite and PostgreSQL.
    return [v for v in rows if level_code in v.level_codes]


def enemy_groups_by_item(db: Session, *, bank_id: int) -> dict[int, tuple[str, ...]]:
    """Item id → the bank's enemy groups (互斥题, numbered "1", "2", ...) it belongs to."""
    bank = db.get(QuestionBank, bank_id)
    if bank is None or not bank.enemy_groups:
        return {}
    ids = dict(db.exec(select(Item.external_id, Item.id).where(Item.bank_id == bank_id)).all())
    out: dict[int, tuple[str, ...]] = {}
    for number, group in enumerate(bank.enemy_groups, start=1):
        for external_id in group["items"]:
            if (item_id := ids.get(external_id)) is not None:
                out[item_id] = (*out.get(item_id, ()), str(number))
    return out


# --- browsing ------------------------------------------------------------------------


def get_bank(db: Session, *, actor: Staff, bank_id: int) -> QuestionBank:
    """A bank of the actor's centre (another centre's bank does not exist for them)."""
    bank = db.get(QuestionBank, bank_id)
    facts = Facts.of(bank.centre_id) if bank is not None else None
    missing = NotFound("题库不存在", code="bank_not_found")
    policy.check(actor, Action.READ, Resource.BANK, facts, missing=missing)
    assert bank is not None
    return bank


@dataclass(frozen=True)
class BankSummary:
    bank: QuestionBank
    occupation: Occupation
    counts: dict[str, int]  # active items per ItemType value
    active: int
    retired: int


def list_banks(db: Session, *, actor: Staff) -> list[BankSummary]:
    centre_id = policy.centre_scope(actor, Action.READ, Resource.BANK)
    banks = db.exec(
        select(QuestionBank, Occupation)
        .join(Occupation, col(Occupation.id) == QuestionBank.occupation_id)
        .where(QuestionBank.centre_id == centre_id)
        .order_by(col(QuestionBank.code))
    ).all()
    ids = [b.id for b, _ in banks]
    counts: dict[int, dict[tuple[str, str], int]] = {}
    if ids:
        rows = db.exec(
            select(Item.bank_id, ItemVersion.item_type, Item.status, func.count())
            .join(ItemVersion, col(ItemVersion.item_id) == Item.id)
            .where(col(Item.bank_id).in_(ids), ItemVersion.version == Item.current_version)
            .group_by(col(Item.bank_id), col(ItemVersion.item_type), col(Item.status))
        ).all()
        for bank_id, item_type, status, n in rows:
            counts.setdefault(bank_id, {})[(item_type, status)] = n
    out = []
    for bank, occupation in banks:
        c = counts.get(bank.id or 0, {})
        per_type = {t.value: c.get((t.value, ItemStatus.ACTIVE.value), 0) for t in ITEM_TYPES}
        retired = sum(n for (_, status), n in c.items() if status == ItemStatus.RETIRED)
        out.append(BankSummary(bank, occupation, per_type, sum(per_type.values()), retired))
    return out


@dataclass(frozen=True)
class OutlineRow:
    """One assessment area of the 鉴定要素细目表 with its active item counts."""

    area: OutlineArea
    counts: dict[str, int]  # per item type
    point_counts: dict[str, int]  # per point code
    total: int


@dataclass(frozen=True)
class BankOverview:
    bank: QuestionBank
    occupation: Occupation
    outline: list[OutlineRow]
    type_totals: dict[str, int]
    active: int
    retired: int


def bank_overview(db: Session, *, actor: Staff, bank_id: int) -> BankOverview:
    bank = get_bank(db, actor=actor, bank_id=bank_id)
    occupation = db.get(Occupation, bank.occupation_id)
    assert occupation is not None
    # One row per item (banks hold hundreds to a few thousand): counted here.
    rows = db.exec(
        select(ItemVersion.area_code, ItemVersion.point_code, ItemVersion.item_type, Item.status)
        .join(Item, col(Item.id) == ItemVersion.item_id)
        .where(Item.bank_id == bank.id, ItemVersion.version == Item.current_version)
    ).all()
    retired = 0
    by_area: dict[str, dict[str, int]] = {}
    by_point: dict[tuple[str, str], int] = {}
    for area_code, point, item_type, status in rows:
        if status != ItemStatus.ACTIVE:
            retired += 1
            continue
        by_area.setdefault(area_code, {})
        by_area[area_code][item_type] = by_area[area_code].get(item_type, 0) + 1
        by_point[(area_code, point)] = by_point.get((area_code, point), 0) + 1
    outline = []
    for area in bank_format.outline_from_json(bank.outline):
        counts = {t.value: by_area.get(area.code, {}).get(t.value, 0) for t in ITEM_TYPES}
        outline.append(
            OutlineRow(
                area=area,
                counts=counts,
                point_counts={p.code: by_point.get((area.code, p.code), 0) for p in area.points},
                total=sum(counts.values()),
            )
        )
    type_totals = {t.value: sum(r.counts[t.value] for r in outline) for t in ITEM_TYPES}
    return BankOverview(
        bank=bank,
        occupation=occupation,
        outline=outline,
        type_totals=type_totals,
        active=sum(type_totals.values()),
        retired=retired,
    )


@dataclass(frozen=True)
class ItemFilter:
    """How the item table is narrowed: by 鉴定点, type, difficulty, status, text."""

    area: str | None = None
    point: str | None = None
    item_type: str | None = None
    difficulty: int | None = None
    status: str | None = None
    q: str | None = None

    def as_query(self) -> dict[str, str]:
        """The filter as URL query parameters (the names parse_item_filter reads)."""
        values = {
            "area": self.area,
            "point": self.point,
            "type": self.item_type,
            "difficulty": str(self.difficulty) if self.difficulty is not None else None,
            "status": self.status,
            "q": self.q,
        }
        return {k: v for k, v in values.items() if v}


def parse_item_filter(
    area: str = "",
    point: str = "",
    type: str = "",
    difficulty: str = "",
    status: str = "",
    q: str = "",
) -> ItemFilter:
    """Query parameters → ItemFilter (a FastAPI dependency for the page and the API).
    Empty values mean "any", as a form's 全部 choice sends them."""
    problems = []
    if type and type not in {t.value for t in ITEM_TYPES}:
        problems.append({"field": "type", "problem": f"未知题型 {type}"})
    if status and status not in {s.value for s in ItemStatus}:
        problems.append({"field": "status", "problem": f"未知状态 {status}（active 或 retired）"})
    level: int | None = None
    if difficulty:
        if difficulty.isascii() and difficulty.isdigit() and 1 <= int(difficulty) <= 5:
            level = int(difficulty)
        else:
            problems.append({"field": "difficulty", "problem": "难度应为 1 至 5"})
    if problems:
        raise ValidationFailed("筛选条件有误", code="invalid_filter", details=problems)
    return ItemFilter(
        area=area.strip() or None,
        point=point.strip() or None,
        item_type=type or None,
        difficulty=level,
        status=status or None,
        q=q.strip()[:100] or None,
    )


@dataclass(frozen=True)
class ItemRow:
    item: Item
    version: ItemVersion  # the current one


@dataclass(frozen=True)
class ItemPage:
    rows: list[ItemRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def list_items(
    db: Session,
    *,
    actor: Staff,
    bank_id: int,
    filters: ItemFilter,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> ItemPage:
    bank = get_bank(db, actor=actor, bank_id=bank_id)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    base = (
        select(Item, ItemVersion)
        .join(ItemVersion, col(ItemVersion.item_id) == Item.id)
        .where(*_item_conditions(bank, filters))
    )
    total = db.exec(select(func.count()).select_from(base.subquery())).one()
    rows = db.exec(
        base.order_by(
            col(ItemVersion.area_code), col(ItemVersion.point_code), col(Item.external_id)
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ItemPage([ItemRow(i, v) for i, v in rows], total, page, per_page)


def _item_conditions(bank: QuestionBank, filters: ItemFilter) -> list[Any]:
    conditions: list[Any] = [Item.bank_id == bank.id, ItemVersion.version == Item.current_version]
    if filters.area:
        conditions.append(ItemVersion.area_code == filters.area)
    if filters.point:
        conditions.append(ItemVersion.point_code == filters.point)
    if filters.item_type:
        conditions.append(ItemVersion.item_type == filters.item_type)
    if filters.difficulty is not None:
        conditions.append(ItemVersion.difficulty == filters.difficulty)
    if filters.status:
        conditions.append(Item.status == filters.status)
    if filters.q:
        conditions.append(
            or_(
                col(ItemVersion.stem).icontains(filters.q, autoescape=True),
                col(Item.external_id).icontains(filters.q, autoescape=True),
            )
        )
    return conditions


@dataclass(frozen=True)
class _Export:
    bank: QuestionBank
    header: bank_format.BankHeader
    rows: list[tuple[str, ItemVersion]]
    groups: list[bank_format.EnemyGroup]


def _export(db: Session, *, actor: Staff, bank_id: int, filters: ItemFilter) -> _Export:
    """The bank (or the items the filter shows; active ones unless it asks for retired)
    to export. Enemy groups keep the members exported; a group left with one is dropped."""
    bank = get_bank(db, actor=actor, bank_id=bank_id)
    if filters.status is None:
        filters = replace(filters, status=ItemStatus.ACTIVE.value)
    rows = db.exec(
        select(Item.external_id, ItemVersion)
        .join(ItemVersion, col(ItemVersion.item_id) == Item.id)
        .where(*_item_conditions(bank, filters))
        .order_by(col(Item.id))
    ).all()
    exported = {external_id for external_id, _ in rows}
    groups = []
    for group in bank_format.enemy_groups_from_json(bank.enemy_groups):
        kept = tuple(i for i in group.items if i in exported)
        if len(kept) >= 2:
            groups.append(bank_format.EnemyGroup(kept, group.reason))
    occupation = db.get(Occupation, bank.occupation_id)
    assert occupation is not None
    header = bank_format.BankHeader(
        bank.code, bank.name, occupation.code, occupation.direction, list(bank.level_codes)
    )
    return _Export(bank, header, [(e, v) for e, v in rows], groups)


def export_bank_workbook(
    db: Session, *, actor: Staff, bank_id: int, filters: ItemFilter
) -> tuple[str, bytes]:
    """The bank (or a filtered view) in the Excel template's layout: (file name, workbook)."""
    found = _export(db, actor=actor, bank_id=bank_id, filters=filters)
    content = bank_excel.write_workbook(
        found.header, bank_format.outline_from_json(found.bank.outline), found.rows, found.groups
    )
    return f"{found.bank.code}.xlsx", content


def export_bank_qti(
    db: Session, *, actor: Staff, bank_id: int, filters: ItemFilter
) -> tuple[str, bytes]:
    """The bank (or a filtered view) as a QTI 3.0 content package: (file name, ZIP)."""
    found = _export(db, actor=actor, bank_id=bank_id, filters=filters)
    header = found.header
    content = bank_qti.write_package(
        bank=bank_format.header_source(header),
        outline=found.bank.outline,
        enemies=[g.as_json() for g in found.groups],
        items=[bank_format.source_of(v, external_id=e) for e, v in found.rows],
        title=header.name,
    )
    return f"{found.bank.code}-qti3.zip", content


def export_bank_moodle(
    db: Session, *, actor: Staff, bank_id: int, filters: ItemFilter
) -> tuple[str, bytes]:
    """The bank (or a filtered view) as Moodle question XML: (file name, XML)."""
    found = _export(db, actor=actor, bank_id=bank_id, filters=filters)
    content = bank_moodle.write_quiz(
        bank=bank_format.header_source(found.header),
        outline=found.bank.outline,
        enemies=[g.as_json() for g in found.groups],
        items=[bank_format.source_of(v, external_id=e) for e, v in found.rows],
    )
    return f"{found.bank.code}-moodle.xml", content


@dataclass(frozen=True)
class ItemDetail:
    bank: QuestionBank
    item: Item
    current: ItemVersion
    versions: list[ItemVersion] = field(default_factory=list)  # newest first

    def version(self, number: int | None) -> ItemVersion:
        if number is None:
            return self.current
        found = next((v for v in self.versions if v.version == number), None)
        if found is None:
            raise NotFound(f"该题没有第 {number} 版", code="item_version_not_found")
        return found


def get_item(db: Session, *, actor: Staff, bank_id: int, item_id: int) -> ItemDetail:
    bank = get_bank(db, actor=actor, bank_id=bank_id)
    item = db.get(Item, item_id)
    if item is None or item.bank_id != bank.id:
        raise NotFound("题目不存在", code="item_not_found")
    versions = list(
        db.exec(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id)
            .order_by(col(ItemVersion.version).desc())
        ).all()
    )
    current = next(v for v in versions if v.version == item.current_version)
    return ItemDetail(bank=bank, item=item, current=current, versions=versions)


def item_source(version: ItemVersion, *, external_id: str) -> dict[str, Any]:
    """A stored version in the bank file's shape (what edit_item accepts back)."""
    return bank_format.source_of(version, external_id=external_id)


# --- changing items ------------------------------------------------------------------


def edit_item(
    db: Session, *, actor: Staff, bank_id: int, item_id: int, data: Mapping[str, Any]
) -> ItemDetail:
    """Save an edited item (bank file shape, same rules as a file) as a new version.
    Content equal to the current version changes nothing."""
    detail = get_item(db, actor=actor, bank_id=bank_id, item_id=item_id)
    item, bank = detail.item, detail.bank
    raw = dict(data)
    problems: list[dict[str, Any]] = []
    sent_id = raw.setdefault("id", item.external_id)
    if sent_id != item.external_id:
        problems.append(
            bank_format.Problem(
                "", None, item.external_id, "id", "题目编号不能修改；新题目请在题库文件中新增"
            ).as_detail()
        )
        raw["id"] = item.external_id
    content, found = bank_format.validate_item(
        raw, outline=bank_format.outline_from_json(bank.outline), bank_levels=bank.level_codes
    )
    problems.extend(p.as_detail() for p in found)
    if problems or content is None:
        raise ValidationFailed(
            f"题目 {item.external_id} 有 {len(problems)} 处问题，未保存",
            code="invalid_item",
            details=problems,
        )
    if content.digest == detail.current.content_digest:
        return detail
    previous = item.current_version
    _add_version(db, item, content)
    items_changed(bank)
    # The bank no longer is what its last file made: a re-import of that file must be
    # read again (it reverts this edit).
    bank.content_digest = ""
    db.add(bank)
    audit.record(
        db,
        actor=actor,
        action="bank.item_edit",
        object_type="item",
        object_id=item.id,
        detail={
            "bank_id": bank.id,
            "external_id": item.external_id,
            "from_version": previous,
            "to_version": item.current_version,
        },
    )
    db.flush()
    assert item.id is not None
    return get_item(db, actor=actor, bank_id=bank_id, item_id=item.id)


def set_item_status(
    db: Session, *, actor: Staff, bank_id: int, item_id: int, status: ItemStatus, reason: str = ""
) -> ItemDetail:
    """Retire (停用) or reactivate (恢复) an item. A retired item is never drawn again;
    exams already built with it keep it."""
    detail = get_item(db, actor=actor, bank_id=bank_id, item_id=item_id)
    item = detail.item
    if item.status == status:
        state = "已停用" if status == ItemStatus.RETIRED else "已是可用状态"
        raise Conflict(f"题目 {item.external_id} {state}", code="item_status_unchanged")
    item.status = status
    db.add(item)
    items_changed(detail.bank)
    db.add(detail.bank)
    audit.record(
        db,
        actor=actor,
        action="bank.item_retire" if status == ItemStatus.RETIRED else "bank.item_reactivate",
        object_type="item",
        object_id=item.id,
        reason=reason.strip()[:500],
        detail={"bank_id": detail.bank.id, "external_id": item.external_id},
    )
    db.flush()
    return detail
