"""Pages: question banks (题库) — list, import, the bank with its 鉴定要素细目表 and item
table, one item as the candidate sees it, editing, retiring and reactivating."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth.deps import CentreAdmin
from app.banks import excel as bank_excel
from app.banks import format as bank_format
from app.banks import service as banks
from app.banks import xml_source
from app.banks.models import ItemVersion
from app.banks.schemas import ForeignBankForm
from app.core.db import SessionDep
from app.core.downloads import ZIP_MEDIA_TYPE, attachment
from app.core.errors import ValidationFailed
from app.delivery.questions import question_view
from app.itemtypes import ITEM_TYPE_NAMES, STRATEGIES, ItemType
from app.itemtypes.base import KeyForm, typed_number
from app.reference.levels import LEVELS, get_level, is_level
from app.web.templating import is_htmx, render

router = APIRouter()

ItemFilterDep = Annotated[banks.ItemFilter, Depends(banks.parse_item_filter)]


ForeignBankDep = Annotated[ForeignBankForm, Form()]


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


def _levels_text(codes: list[str]) -> str:
    return "、".join(get_level(c).display if is_level(c) else c for c in codes)


def _answer_of(version: ItemVersion) -> str:
    return bank_format.key_text(version.item_type, version.key)


COMMON = {
    "type_names": {t.value: name for t, name in ITEM_TYPE_NAMES.items()},
    "item_types": [t.value for t in ItemType],
    "status_names": {s.value: name for s, name in banks.STATUS_NAMES.items()},
    "importance_names": bank_format.IMPORTANCE_NAMES,
    "levels_text": _levels_text,
    "answer_of": _answer_of,
}


@router.get("/banks")
def bank_list(request: Request, db: SessionDep, staff: CentreAdmin) -> Response:
    return render(
        request, "banks/list.html", {**COMMON, "summaries": banks.list_banks(db, actor=staff)}
    )


def _import_context() -> dict[str, Any]:
    return {
        "max_mb": {
            "yaml": bank_format.MAX_FILE_BYTES // 2**20,
            "xlsx": bank_excel.MAX_WORKBOOK_BYTES // 2**20,
            "xml": xml_source.MAX_XML_BYTES // 2**20,
            "zip": xml_source.MAX_PACKAGE_BYTES // 2**20,
        },
        "levels": [(lv.code, lv.display) for lv in LEVELS],
        "foreign": banks.ForeignBank(),
    }


@router.get("/banks/import")
def import_form(request: Request, staff: CentreAdmin) -> Response:
    return render(request, "banks/import.html", _import_context())


@router.post("/banks/import")
def import_upload(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    file: Annotated[UploadFile, File()],
    foreign: ForeignBankDep,
) -> Response:
    filename = banks.upload_name(file.filename)
    ctx: dict[str, Any] = {**_import_context(), "filename": filename, "foreign": foreign.foreign()}
    try:
        result = banks.import_upload(
            db, actor=staff, filename=file.filename, stream=file.file, foreign=foreign.foreign()
        )
    except ValidationFailed as exc:
        # Shown on the form rather than as an error page: the author fixes the file and
        # uploads it again. Nothing of a refused file is kept (the 422 rolls back).
        return render(
            request,
            "banks/import.html",
            {**ctx, "error": exc.message, "problems": exc.details},
            status_code=exc.status_code,
        )
    return render(request, "banks/import.html", {**ctx, "result": result})


@router.get("/banks/template.xlsx")
def bank_template(staff: CentreAdmin) -> Response:
    """The Excel bank template (说明 sheet and one worked example of each item type)."""
    return attachment(
        bank_excel.TEMPLATE_FILENAME,
        bank_excel.template_workbook(),
        ascii_name="bank-template.xlsx",
    )


@router.get("/banks/{bank_id}/export.xlsx")
def bank_export(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank, or the items the page's filter shows, in the template's layout."""
    filename, content = banks.export_bank_workbook(
        db, actor=staff, bank_id=bank_id, filters=filters
    )
    return attachment(filename, content, ascii_name="bank.xlsx")


@router.get("/banks/{bank_id}/export-qti3.zip")
def bank_export_qti(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank, or the items the page's filter shows, as a QTI 3.0 content package."""
    filename, content = banks.export_bank_qti(db, actor=staff, bank_id=bank_id, filters=filters)
    return attachment(filename, content, ascii_name="bank-qti3.zip", media_type=ZIP_MEDIA_TYPE)


@router.get("/banks/{bank_id}/export-moodle.xml")
def bank_export_moodle(
    bank_id: int, db: SessionDep, staff: CentreAdmin, filters: ItemFilterDep
) -> Response:
    """The bank, or the items the page's filter shows, as Moodle question XML."""
    filename, content = banks.export_bank_moodle(db, actor=staff, bank_id=bank_id, filters=filters)
    return attachment(filename, content, ascii_name="bank-moodle.xml", media_type="application/xml")


@router.get("/banks/{bank_id}")
def bank_page(
    request: Request,
    bank_id: int,
    db: SessionDep,
    staff: CentreAdmin,
    filters: ItemFilterDep,
    page: int = 1,
) -> Response:
    """The whole page, or (htmx filter change / page link) only the item table."""
    listing = banks.list_items(db, actor=staff, bank_id=bank_id, filters=filters, page=page)
    bank = banks.get_bank(db, actor=staff, bank_id=bank_id)
    ctx: dict[str, Any] = {
        **COMMON,
        "bank": bank,
        "listing": listing,
        "filters": filters,
        "filter_query": filters.as_query(),
        "outline": bank_format.outline_from_json(bank.outline),
    }
    headers = {"Vary": "HX-Request"}
    if is_htmx(request) and not request.headers.get("hx-history-restore-request"):
        return render(request, "banks/_items.html", ctx, headers=headers)
    ctx["overview"] = banks.bank_overview(db, actor=staff, bank_id=bank_id)
    return render(request, "banks/bank.html", ctx, headers=headers)


def _point_name(outline: list[bank_format.OutlineArea], area: str, point: str) -> str:
    found = next((a for a in outline if a.code == area), None)
    p = found.point(point) if found else None
    return f"{found.name if found else ''} · {p.name}" if p else ""


@router.get("/banks/{bank_id}/items/{item_id}")
def item_page(
    request: Request,
    bank_id: int,
    item_id: int,
    db: SessionDep,
    staff: CentreAdmin,
    version: int | None = None,
) -> Response:
    detail = banks.get_item(db, actor=staff, bank_id=bank_id, item_id=item_id)
    shown = detail.version(version)
    outline = bank_format.outline_from_json(detail.bank.outline)
    return render(
        request,
        "banks/item.html",
        {
            **COMMON,
            "detail": detail,
            "bank": detail.bank,
            "item": detail.item,
            "shown": shown,
            "question": question_view(shown),
            "point_name": _point_name(outline, shown.area_code, shown.point_code),
        },
    )


def _edit_page(
    request: Request,
    detail: banks.ItemDetail,
    src: dict[str, Any],
    problems: list[dict[str, Any]] | None = None,
    error: str = "",
    drop_unshown: bool = False,
) -> Response:
    current = banks.item_source(detail.current, external_id=detail.item.external_id)
    strategy = STRATEGIES[detail.current.item_type]
    return render(
        request,
        "banks/item_edit.html",
        {
            **COMMON,
            "detail": detail,
            "bank": detail.bank,
            "item": detail.item,
            "src": src,
            "outline": bank_format.outline_from_json(detail.bank.outline),
            "labels": bank_format.OPTION_LABELS,
            "problems": problems or [],
            "error": error,
            # What the form does not show, kept by a save unless the author drops it.
            "unshown": [strategy.unshown_key_fields[k] for k in strategy.unshown(current["key"])],
            "current_answer": _answer_of(detail.current),
            "drop_unshown": drop_unshown,
        },
        status_code=422 if problems else 200,
    )


@router.get("/banks/{bank_id}/items/{item_id}/edit")
def item_edit_form(
    request: Request, bank_id: int, item_id: int, db: SessionDep, staff: CentreAdmin
) -> Response:
    detail = banks.get_item(db, actor=staff, bank_id=bank_id, item_id=item_id)
    return _edit_page(
        request, detail, banks.item_source(detail.current, external_id=detail.item.external_id)
    )


@router.post("/banks/{bank_id}/items/{item_id}/edit")
def item_edit(
    request: Request,
    bank_id: int,
    item_id: int,
    db: SessionDep,
    staff: CentreAdmin,
    form: FormDep,
) -> Response:
    detail = banks.get_item(db, actor=staff, bank_id=bank_id, item_id=item_id)
    current = banks.item_source(detail.current, external_id=detail.item.external_id)
    src = item_from_form(form, item_type=detail.current.item_type, current_key=current["key"])
    try:
        banks.edit_item(db, actor=staff, bank_id=bank_id, item_id=item_id, data=src)
    except ValidationFailed as exc:
        dropped = form.get("drop_unshown") == "1"
        return _edit_page(request, detail, src, exc.details, exc.message, dropped)
    return RedirectResponse(f"/banks/{bank_id}/items/{item_id}", status_code=303)


# After the edit route: "edit" is not an action.
@router.post("/banks/{bank_id}/items/{item_id}/{action}")
def item_status(
    bank_id: int,
    item_id: int,
    action: banks.StatusAction,
    db: SessionDep,
    staff: CentreAdmin,
    reason: Annotated[str, Form()] = "",
) -> Response:
    banks.set_item_status(
        db,
        actor=staff,
        bank_id=bank_id,
        item_id=item_id,
        status=banks.STATUS_ACTIONS[action],
        reason=reason,
    )
    return RedirectResponse(f"/banks/{bank_id}/items/{item_id}", status_code=303)


def _number_or_text(value: Any) -> Any:
    """A typed number as a number; anything else as typed, for the validator to name."""
    return typed_number(str(value or "").strip())


def item_from_form(form: FormData, *, item_type: str, current_key: Any = None) -> dict[str, Any]:
    """The edit form's fields in the bank file's shape (what edit_item validates), keeping
    what the form does not show of `current_key` (the file's own partial credit, ...)."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def values(name: str) -> list[str]:
        return [v for v in form.getlist(name) if isinstance(v, str)]

    area, _, point = text("area_point").partition("|")
    src: dict[str, Any] = {
        "type": item_type,
        "area": area,
        "point": point,
        "difficulty": _number_or_text(text("difficulty")),
        "points": _number_or_text(text("points")),
        "stem": text("stem"),
        "levels": values("levels"),
        "explanation": text("explanation"),
    }
    strategy = STRATEGIES.get(item_type)
    if strategy is not None:
        if strategy.option_counts is not None:
            src["options"] = {
                label: text(f"option_{label}")
                for label in bank_format.OPTION_LABELS
                if text(f"option_{label}")
            }
        # The key's fields are the type's own (its block of the edit form).
        src["key"] = strategy.key_from_edit(KeyForm(text=text, values=values), current_key)
    return src
