"""API: question banks (题库) — import bank files, browse, edit, retire and reactivate items."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict

from app.auth.deps import CentreAdmin
from app.banks import excel as bank_excel
from app.banks import service as banks
from app.banks.models import ItemVersion
from app.banks.schemas import ForeignBankForm
from app.core.db import SessionDep
from app.core.downloads import ZIP_MEDIA_TYPE, attachment

router = APIRouter(prefix="/banks", tags=["banks"])

ItemFilterDep = Annotated[banks.ItemFilter, Depends(banks.parse_item_filter)]


ForeignBankDep = Annotated[ForeignBankForm, Form()]


class BankOut(BaseModel):
    """A QuestionBank row with its occupation's code and name and its item counts
    (banks.BankOverview, flattened)."""

    id: int
    code: str
    name: str
    occupation_code: str
    occupation_name: str
    direction: str
    level_codes: list[str]
    source_name: str
    updated_at: datetime
    counts: dict[str, int]  # active items per type
    active: int
    retired: int


class PointOut(BaseModel):
    """An outline point (鉴定点) with how many active items it has."""

    code: str
    name: str
    importance: str
    items: int


class AreaOut(BaseModel):
    """banks.service.OutlineRow: an area (鉴定范围) with its weight, points and item counts."""

    area: str
    name: str
    weight: float
    points: list[PointOut]
    counts: dict[str, int]
    total: int


class BankDetailOut(BankOut):
    """BankOut with the bank's outline."""

    outline: list[AreaOut]


class ImportOut(BaseModel):
    """banks.service.ImportResult with the bank's id and code instead of the bank row (and
    without the practical tasks' counts, which the summary states)."""

    bank_id: int
    code: str
    bank_created: bool
    created: int
    new_versions: int
    unchanged: int
    retired: int
    summary: str
    skipped: list[dict[str, Any]] = []  # items left out at the importer's request, with why


class ItemRowOut(BaseModel):
    """An Item row with its current version's type, outline place, difficulty, points and
    stem (one row of the item list)."""

    id: int
    external_id: str
    status: str
    current_version: int
    type: str
    area: str
    point: str
    importance: str
    difficulty: int
    points: float
    stem: str


class ItemPageOut(BaseModel):
    """One page of banks.list_items, with the page count."""

    items: list[ItemRowOut]
    total: int
    page: int
    per_page: int
    pages: int


class VersionOut(BaseModel):
    """An ItemVersion row with the bank file's field names (type, area, point, levels)
    instead of the columns' (item_type, area_code, ...)."""

    version: int
    created_at: datetime
    content_digest: str
    type: str
    area: str
    point: str
    importance: str
    difficulty: int
    points: float
    stem: str
    options: list[dict[str, str]]
    key: dict[str, Any]
    levels: list[str]
    explanation: str


class ItemDetailOut(BaseModel):
    """An Item row with its current version as a bank file writes it (`source`) and every
    version."""

    id: int
    bank_id: int
    external_id: str
    status: str
    current_version: int
    # The current version as a bank file writes it: send it back, changed, with PUT.
    source: dict[str, Any]
    versions: list[VersionOut]  # newest first


class ItemEditIn(BaseModel):
    """An item in the bank file's shape (question_banks/README.md); checked by the same
    rules as a file. The item ID cannot change."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    type: str
    area: str
    point: str
    difficulty: Any
    points: Any
    stem: Any
    options: dict[str, Any] | None = None
    key: Any
    levels: list[Any] | None = None
    explanation: str | None = None


class StatusIn(BaseModel):
    reason: str = ""


def _bank_out(s: banks.BankSummary) -> BankOut:
    assert s.bank.id is not None
    return BankOut(
        id=s.bank.id,
        code=s.bank.code,
        name=s.bank.name,
        occupation_code=s.occupation.code,
        occupation_name=s.occupation.name,
        direction=s.occupation.direction,
        level_codes=s.bank.level_codes,
        source_name=s.bank.source_name,
        updated_at=s.bank.updated_at,
        counts=s.counts,
        active=s.active,
        retired=s.retired,
    )


def _version_out(v: ItemVersion) -> VersionOut:
    return VersionOut(
        version=v.version,
        created_at=v.created_at,
        content_digest=v.content_digest,
        type=v.item_type,
        area=v.area_code,
        point=v.point_code,
        importance=v.importance,
        difficulty=v.difficulty,
        points=v.points,
        stem=v.stem,
        options=v.options,
        key=v.key,
        levels=v.level_codes,
        explanation=v.explanation,
    )


def _detail_out(d: banks.ItemDetail) -> ItemDetailOut:
    assert d.item.id is not None
    return ItemDetailOut(
        id=d.item.id,
        bank_id=d.item.bank_id,
        external_id=d.item.external_id,
        status=d.item.status,
        current_version=d.item.current_version,
        source=banks.item_source(d.current, external_id=d.item.external_id),
        versions=[_version_out(v) for v in d.versions],
    )


@router.get("", response_model=list[BankOut])
def list_banks(db: SessionDep, staff: CentreAdmin) -> list[BankOut]:
    return [_bank_out(s) for s in banks.list_banks(db, actor=staff)]


@router.post("/import", response_model=ImportOut)
def import_bank(
    db: SessionDep,
    staff: CentreAdmin,
    file: Annotated[UploadFile, File()],
    foreign: ForeignBankDep,
) -> ImportOut:
    """Import a bank (multipart field `file`): the YAML bank file, the Excel template, QTI
    2.1/3.0 (an item .xml or a .zip package) or Moodle XML. For QTI and Moodle XML the
    fields bank_code, bank_name, occupation, direction and level (space-separated level
    codes) name the bank (a package Jiping exported names its own), and skip_refused=true
    imports the deliverable items, listing the others in `skipped`. Any problem: 422
    listing every one in `error.details`, and nothing is imported."""
    result = banks.import_upload(
        db, actor=staff, filename=file.filename, stream=file.file, foreign=foreign.foreign()
    )
    assert result.bank.id is not None
    return ImportOut(
        bank_id=result.bank.id,
        code=result.bank.code,
        bank_created=result.bank_created,
        created=result.created,
        new_versions=result.new_versions,
        unchanged=result.unchanged,
        retired=result.retired,
        summary=result.summary,
        skipped=[p.as_detail() for p in result.skipped],
    )


@router.get("/template.xlsx", response_class=Response)
def bank_template(staff: CentreAdmin) -> Response:
    """The Excel bank template: import it back (filled in) through POST /import."""
    return attachment(
        bank_excel.TEMPLATE_FILENAME,
        bank_excel.template_workbook(),
        ascii_name="bank-template.xlsx",
    )


@router.get("/{bank_id}/export.xlsx", response_class=Response)
def export_bank(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank (or a filtered view: same query parameters as /items) as the Excel template."""
    filename, content = banks.export_bank_workbook(
        db, actor=staff, bank_id=bank_id, filters=filters
    )
    return attachment(filename, content, ascii_name="bank.xlsx")


@router.get(
    "/{bank_id}/export-qti3.zip",
    response_class=Response,
    responses={200: {"content": {ZIP_MEDIA_TYPE: {}}}},
)
def export_bank_qti(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank (or a filtered view) as a QTI 3.0 content package; POST /import reads it back."""
    filename, content = banks.export_bank_qti(db, actor=staff, bank_id=bank_id, filters=filters)
    return attachment(filename, content, ascii_name="bank-qti3.zip", media_type=ZIP_MEDIA_TYPE)


@router.get(
    "/{bank_id}/export-moodle.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def export_bank_moodle(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank (or a filtered view) as Moodle question XML; POST /import reads it back."""
    filename, content = banks.export_bank_moodle(db, actor=staff, bank_id=bank_id, filters=filters)
    return attachment(filename, content, ascii_name="bank-moodle.xml", media_type="application/xml")


@router.get("/{bank_id}", response_model=BankDetailOut)
def get_bank(bank_id: int, db: SessionDep, staff: CentreAdmin) -> BankDetailOut:
    o = banks.bank_overview(db, actor=staff, bank_id=bank_id)
    summary = banks.BankSummary(
        o.bank, o.occupation, o.type_totals, active=o.active, retired=o.retired
    )
    return BankDetailOut(
        **_bank_out(summary).model_dump(),
        outline=[
            AreaOut(
                area=row.area.code,
                name=row.area.name,
                weight=row.area.weight,
                points=[
                    PointOut(
                        code=p.code,
                        name=p.name,
                        importance=p.importance,
                        items=row.point_counts[p.code],
                    )
                    for p in row.area.points
                ],
                counts=row.counts,
                total=row.total,
            )
            for row in o.outline
        ],
    )


@router.get("/{bank_id}/items", response_model=ItemPageOut)
def list_items(
    bank_id: int,
    db: SessionDep,
    staff: CentreAdmin,
    filters: ItemFilterDep,
    page: int = 1,
    per_page: int = banks.DEFAULT_PER_PAGE,
) -> ItemPageOut:
    """Filters: area, point (鉴定点), type, difficulty (1–5), status (active/retired),
    q (text in the stem or item ID)."""
    result = banks.list_items(
        db, actor=staff, bank_id=bank_id, filters=filters, page=page, per_page=per_page
    )
    return ItemPageOut(
        items=[
            ItemRowOut(
                id=r.item.id or 0,
                external_id=r.item.external_id,
                status=r.item.status,
                current_version=r.item.current_version,
                type=r.version.item_type,
                area=r.version.area_code,
                point=r.version.point_code,
                importance=r.version.importance,
                difficulty=r.version.difficulty,
                points=r.version.points,
                stem=r.version.stem,
            )
            for r in result.rows
        ],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get("/{bank_id}/items/{item_id}", response_model=ItemDetailOut)
def get_item(bank_id: int, item_id: int, db: SessionDep, staff: CentreAdmin) -> ItemDetailOut:
    return _detail_out(banks.get_item(db, actor=staff, bank_id=bank_id, item_id=item_id))


@router.put("/{bank_id}/items/{item_id}", response_model=ItemDetailOut)
def edit_item(
    bank_id: int, item_id: int, body: ItemEditIn, db: SessionDep, staff: CentreAdmin
) -> ItemDetailOut:
    """Save the item's new content as a new version (unchanged content: nothing new)."""
    detail = banks.edit_item(
        db, actor=staff, bank_id=bank_id, item_id=item_id, data=body.model_dump(exclude_none=True)
    )
    return _detail_out(detail)


@router.post("/{bank_id}/items/{item_id}/{action}", response_model=ItemDetailOut)
def change_item_status(
    bank_id: int,
    item_id: int,
    action: banks.StatusAction,
    db: SessionDep,
    staff: CentreAdmin,
    body: StatusIn | None = None,
) -> ItemDetailOut:
    """`retire` (停用: never drawn again; built exams keep it) or `reactivate` (恢复)."""
    detail = banks.set_item_status(
        db,
        actor=staff,
        bank_id=bank_id,
        item_id=item_id,
        status=banks.STATUS_ACTIONS[action],
        reason=body.reason if body else "",
    )
    return _detail_out(detail)
