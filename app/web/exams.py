"""Pages: blueprints (组卷方案), exam plans, sessions (考场), candidates and admission
tickets (准考证). Forms keep what was typed and show each problem beside its field."""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts import policy
from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.auth.deps import CentreAdmin, CentreStaff, IdentityReader, Proctor
from app.banks import service as banks_service
from app.core import clock
from app.core.db import SessionDep
from app.core.downloads import XLSX_MEDIA_TYPE
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.text import typed_int
from app.corrections import service as corrections
from app.delivery import service as delivery
from app.exams import (
    blueprints,
    candidates,
    eligibility,
    photos,
    plans,
    registrations,
    seating,
    sessions,
)
from app.exams.components import COMPONENT_NAMES
from app.exams.facts import HolderFacts
from app.exams.models import FormMode
from app.exams.schemas import (
    BlueprintCreate,
    BlueprintUpdate,
    CandidateIn,
    PlanComponentIn,
    PlanCreate,
    PlanUpdate,
    RegistrationCreate,
    SessionCreate,
    SessionUpdate,
)
from app.itemtypes import MULTIPLE_CHOICE_RULE_NAMES, MultipleChoiceRule
from app.people import history
from app.reference import service as reference
from app.reference.levels import Scheme, get_level
from app.web import facts_form
from app.web.templating import is_htmx, render

router = APIRouter()

SECTION_ROWS = 5
BAND_FIELDS = ("easy", "medium", "hard")

FIELD_LABELS = {
    "bank_id": "题库",
    "name": "名称",
    "level_code": "等级",
    "component": "考试类型",
    "sections": "题型部分",
    "area_weights": "鉴定范围比重",
    "difficulty_mix": "难度比例",
    "mandatory_points": "必考鉴定点",
    "multiple_choice_rule": "多选题评分",
    "time_limit_minutes": "考试时长",
    "pass_mark": "合格分数线",
    "scheme": "认定体系",
    "occupation_id": "职业",
    "blueprint_id": "组卷方案",
    "form_mode": "组卷方式",
    "leave_limit": "切屏次数上限",
    "late_entry_minutes": "迟到限制",
    "room": "考场",
    "starts_at": "开考时间",
    "duration_minutes": "考试时长",
    "proctor_ids": "监考员",
    "seats_per_row": "每排座位数",
    "reason": "原因",
    "id_number": "身份证号",
    "phone": "联系电话",
    "employer": "工作单位",
    "file": "名单文件",
    "eligibility": "申报条件",
    "facts": "考生档案",
    "examiner_ids": "考评员",
    "chief_examiner_id": "组长",
    "tolerance_percent": "双评误差",
    "score": "分数",
    "comment": "评语",
    **facts_form.LABELS,
}
SECTION_PARTS = {"item_type": "题型", "count": "题量", "points": "每题分值"}


def field_label(field: str) -> str:
    """A problem's place as staff read it: sections[1].count → 第 2 部分题量."""
    if m := re.fullmatch(r"sections\[(\d+)\](?:\.(\w+))?", field):
        return f"第 {int(m[1]) + 1} 部分{SECTION_PARTS.get(m[2] or '', '')}"
    if field.startswith("area_weights."):
        return f"{field.split('.', 1)[1]} 区比重"
    if field.startswith("core_min_share."):
        return f"{field.split('.', 1)[1]} 区核心鉴定点占比"
    return FIELD_LABELS.get(field, field)


class FormErrors:
    """Problems from parsing a form or from the service, by field, for the template."""

    def __init__(self, message: str = "", details: list[dict[str, Any]] | None = None) -> None:
        self.message = message
        self.details: list[dict[str, Any]] = []
        for d in details or []:
            self.add(str(d.get("field", "")), str(d.get("problem", "")), place=d.get("place"))

    def add(self, field: str, problem: str, *, place: str | None = None) -> None:
        self.details.append(
            {"field": field, "label": place or field_label(field), "problem": problem}
        )

    def of(self, field: str) -> list[str]:
        return [d["problem"] for d in self.details if d["field"] == field]

    def __bool__(self) -> bool:
        return bool(self.details or self.message)


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]

N = TypeVar("N", int, float)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(
    raw: str, kind: Callable[[str], N], field: str, errors: FormErrors, *, required: bool = True
) -> N | None:
    if not raw:
        if required:
            errors.add(field, "不能为空")
        return None
    try:
        return kind(raw)
    except ValueError:
        errors.add(field, "必须是整数" if kind is int else "必须是数字")
        return None


def _ids(form: FormData, name: str) -> list[int]:
    return [n for x in form.getlist(name) if isinstance(x, str) and (n := typed_int(x)) is not None]


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# --- blueprints -------------------------------------------------------------------------


def _blueprint_values(form: FormData) -> dict[str, Any]:
    """What the staff member typed, to show the form again."""
    return {
        "bank_id": _text(form, "bank_id"),
        "name": _text(form, "name"),
        "level_code": _text(form, "level_code"),
        "sections": [
            {
                "item_type": _text(form, f"section_type_{i}"),
                "count": _text(form, f"section_count_{i}"),
                "points": _text(form, f"section_points_{i}"),
            }
            for i in range(SECTION_ROWS)
        ],
        "weights": {
            k.removeprefix("weight_"): _text(form, k) for k in form if k.startswith("weight_")
        },
        "core": {k.removeprefix("core_"): _text(form, k) for k in form if k.startswith("core_")},
        "mix": {band: _text(form, f"mix_{band}") for band in BAND_FIELDS},
        "multiple_choice_rule": _text(form, "multiple_choice_rule")
        or MultipleChoiceRule.ALL_OR_NOTHING,
        "time_limit_minutes": _text(form, "time_limit_minutes"),
        "allow_short_time": bool(form.get("allow_short_time")),
        "pass_mark": _text(form, "pass_mark"),
    }


def _blueprint_input(
    v: dict[str, Any], errors: FormErrors
) -> tuple[BlueprintCreate | None, list[int]]:
    """The typed values as service input, and the form row of each non-empty section."""
    bank_id = None
    if v["bank_id"]:
        bank_id = _number(v["bank_id"], int, "bank_id", errors)
    else:
        errors.add("bank_id", "请选择题库")
    rows: list[int] = []
    sections = []
    for i, row in enumerate(v["sections"]):
        if not (row["count"] or row["points"]):
            continue
        count = _number(row["count"], int, f"sections[{i}].count", errors)
        points = _number(row["points"], float, f"sections[{i}].points", errors)
        rows.append(i)
        sections.append({"item_type": row["item_type"], "count": count, "points": points})
    weights: dict[str, float] = {}
    for area, raw in v["weights"].items():
        w = _number(raw or "0", float, f"area_weights.{area}", errors)
        weights[area] = w or 0
    core: dict[str, float] = {}
    for area, raw in v["core"].items():
        if raw:
            core[area] = _number(raw, float, f"core_min_share.{area}", errors) or 0
    mix: dict[str, float] = {}
    if any(v["mix"].values()):
        for band, raw in v["mix"].items():
            mix[band] = _number(raw or "0", float, "difficulty_mix", errors) or 0
    time_limit = _number(v["time_limit_minutes"], int, "time_limit_minutes", errors)
    pass_mark = _number(v["pass_mark"], float, "pass_mark", errors)
    if v["multiple_choice_rule"] not in {r.value for r in MultipleChoiceRule}:
        errors.add("multiple_choice_rule", "请选择多选题评分规则")
    if errors:
        return None, rows
    assert bank_id is not None and time_limit is not None and pass_mark is not None
    return (
        BlueprintCreate(
            bank_id=bank_id,
            name=v["name"],
            level_code=v["level_code"],
            sections=sections,
            area_weights=weights or None,
            difficulty_mix=mix,
            core_min_share=core,
            multiple_choice_rule=MultipleChoiceRule(v["multiple_choice_rule"]),
            time_limit_minutes=time_limit,
            allow_short_time=v["allow_short_time"],
            pass_mark=pass_mark,
        ),
        rows,
    )


def _service_errors(exc: ValidationFailed | Conflict, rows: list[int] | None = None) -> FormErrors:
    """The service numbers sections as sent (blank rows left out): point back at form rows."""
    details = []
    for d in exc.details:
        d = dict(d)
        field = str(d.get("field", ""))
        m = re.match(r"sections\[(\d+)\]", field)
        if m and rows is not None and int(m[1]) < len(rows):
            d["field"] = f"sections[{rows[int(m[1])]}]" + field[m.end() :]
        rule = re.fullmatch(r"component_rules\.(\w+)\.(\w+)", field)
        if rule:  # the plan form's <component>_<field> input
            d["field"] = f"{rule[1]}_{rule[2]}"
        elif field.startswith("component_rules"):
            d["field"] = "component_rules"
        details.append(d)
    return FormErrors(exc.message, details)


def _blank_blueprint(bank_id: str = "") -> dict[str, Any]:
    return {
        "bank_id": bank_id,
        "name": "",
        "level_code": "",
        "sections": [{"item_type": "", "count": "", "points": ""} for _ in range(SECTION_ROWS)],
        "weights": {},
        "core": {},
        "mix": dict.fromkeys(BAND_FIELDS, ""),
        "multiple_choice_rule": MultipleChoiceRule.ALL_OR_NOTHING,
        "time_limit_minutes": str(blueprints.MIN_THEORY_MINUTES),
        "allow_short_time": False,
        "pass_mark": "60",
    }


def _stored_values(bp_in: BlueprintCreate) -> dict[str, Any]:
    v = _blank_blueprint(str(bp_in.bank_id))
    v.update(
        name=bp_in.name,
        level_code=bp_in.level_code,
        weights={a: f"{w:g}" for a, w in (bp_in.area_weights or {}).items()},
        core={a: f"{w:g}" for a, w in bp_in.core_min_share.items()},
        mix={b: f"{bp_in.difficulty_mix.get(b, 0):g}" for b in BAND_FIELDS}
        if bp_in.difficulty_mix
        else dict.fromkeys(BAND_FIELDS, ""),
        multiple_choice_rule=bp_in.multiple_choice_rule,
        time_limit_minutes=str(bp_in.time_limit_minutes),
        allow_short_time=bp_in.allow_short_time,
        pass_mark=f"{bp_in.pass_mark:g}",
    )
    for i, s in enumerate(bp_in.sections[:SECTION_ROWS]):
        v["sections"][i] = {
            "item_type": s.item_type,
            "count": str(s.count),
            "points": f"{s.points:g}",
        }
    return v


def _outline(db: SessionDep, staff: Staff, bank_id: str) -> banks_service.BankOverview | None:
    number = typed_int(bank_id)
    if number is None:
        return None
    return banks_service.bank_overview(db, actor=staff, bank_id=number)


def _blueprint_form(
    request: Request,
    db: SessionDep,
    staff: Staff,
    values: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    preview: blueprints.BlueprintPreview | None = None,
    editing: int | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "exams/blueprint_form.html",
        {
            "banks": banks_service.list_banks(db, actor=staff),
            "overview": _outline(db, staff, values["bank_id"]),
            "v": values,
            "errors": errors or FormErrors(),
            "preview": preview,
            "editing": editing,
            "levels": plans.level_choices(),
            "item_types": blueprints.item_type_choices(),
            "mc_rules": MULTIPLE_CHOICE_RULE_NAMES,
        },
        status_code=status_code,
    )


@router.get("/blueprints")
def blueprints_page(request: Request, db: SessionDep, staff: CentreAdmin) -> Response:
    return render(
        request,
        "exams/blueprints.html",
        {
            "blueprints": blueprints.list_blueprints(db, actor=staff),
            "level_names": {lv.code: lv.display for lv in plans.level_choices()},
            "item_types": blueprints.item_type_choices(),
        },
    )


@router.get("/blueprints/new")
def new_blueprint(
    request: Request, db: SessionDep, staff: CentreAdmin, bank_id: str = ""
) -> Response:
    return _blueprint_form(request, db, staff, _blank_blueprint(bank_id))


@router.get("/blueprints/outline")
def blueprint_outline(
    request: Request, db: SessionDep, staff: CentreAdmin, bank_id: str = ""
) -> Response:
    """The chosen bank's 鉴定要素细目表 with its weights prefilled (swapped in by htmx)."""
    return render(
        request,
        "exams/_outline.html",
        {
            "overview": _outline(db, staff, bank_id),
            "v": _blank_blueprint(bank_id),
            "errors": FormErrors(),
        },
    )


def _submit_blueprint(
    request: Request,
    db: SessionDep,
    staff: Staff,
    form: FormData,
    save: Callable[[BlueprintCreate], int],
    editing: int | None = None,
) -> Response:
    values = _blueprint_values(form)
    errors = FormErrors()
    data, rows = _blueprint_input(values, errors)
    if data is None:
        errors.message = "组卷方案有误"
        return _blueprint_form(
            request, db, staff, values, errors=errors, editing=editing, status_code=422
        )
    try:
        if form.get("action") == "check":
            preview = blueprints.check_blueprint(db, actor=staff, data=data)
            return _blueprint_form(request, db, staff, values, preview=preview, editing=editing)
        blueprint_id = save(data)
    except ValidationFailed as exc:
        return _blueprint_form(
            request,
            db,
            staff,
            values,
            errors=_service_errors(exc, rows),
            editing=editing,
            status_code=exc.status_code,
        )
    return _redirect(f"/blueprints/{blueprint_id}")


@router.post("/blueprints")
def create_blueprint(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep
) -> Response:
    def save(data: BlueprintCreate) -> int:
        return blueprints.create_blueprint(db, actor=staff, data=data).id or 0

    return _submit_blueprint(request, db, staff, form, save)


@router.get("/blueprints/{blueprint_id}")
def blueprint_page(
    request: Request, db: SessionDep, staff: CentreAdmin, blueprint_id: int
) -> Response:
    bp = blueprints.get_blueprint(db, actor=staff, blueprint_id=blueprint_id)
    return render(
        request,
        "exams/blueprint.html",
        {
            "bp": bp,
            "bank": banks_service.get_bank(db, actor=staff, bank_id=bp.bank_id),
            **_preview_context(db, staff, blueprint_id),
            "item_types": blueprints.item_type_choices(),
            "mc_rules": MULTIPLE_CHOICE_RULE_NAMES,
            "level": get_level(bp.level_code),
        },
    )


def _preview_context(db: SessionDep, staff: Staff, blueprint_id: int) -> dict[str, Any]:
    # The bank may have lost items since the blueprint was saved: show what is short.
    try:
        return {
            "preview": blueprints.preview_blueprint(db, actor=staff, blueprint_id=blueprint_id),
            "errors": FormErrors(),
            "blueprint_id": blueprint_id,
        }
    except ValidationFailed as exc:
        return {"preview": None, "errors": _service_errors(exc), "blueprint_id": blueprint_id}


@router.post("/blueprints/{blueprint_id}/preview")
def blueprint_preview(
    request: Request, db: SessionDep, staff: CentreAdmin, blueprint_id: int
) -> Response:
    """Draw another sample form (htmx swaps the table)."""
    ctx = _preview_context(db, staff, blueprint_id)
    if is_htmx(request):
        return render(request, "exams/_preview.html", ctx)
    return _redirect(f"/blueprints/{blueprint_id}")


@router.get("/blueprints/{blueprint_id}/edit")
def edit_blueprint(
    request: Request, db: SessionDep, staff: CentreAdmin, blueprint_id: int
) -> Response:
    bp = blueprints.get_blueprint(db, actor=staff, blueprint_id=blueprint_id)
    values = _stored_values(blueprints.blueprint_as_input(bp))
    return _blueprint_form(request, db, staff, values, editing=blueprint_id)


@router.post("/blueprints/{blueprint_id}")
def update_blueprint(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, blueprint_id: int
) -> Response:
    # Another centre's blueprint does not exist, whatever the form holds.
    blueprints.get_blueprint(db, actor=staff, blueprint_id=blueprint_id)

    def save(data: BlueprintCreate) -> int:
        update = BlueprintUpdate.model_validate(data.model_dump())
        return (
            blueprints.update_blueprint(db, actor=staff, blueprint_id=blueprint_id, data=update).id
            or 0
        )

    return _submit_blueprint(request, db, staff, form, save, editing=blueprint_id)


# --- plans ------------------------------------------------------------------------------


# Per-component inputs of the plan form: <component>_<field>, e.g. practical_minutes.
_RULE_INPUTS = {
    "practical": ("pass_mark", "minutes", "minutes_reason"),
    "review": ("pass_mark", "minutes", "minutes_reason"),
    "theory": ("weight",),
}
_RULE_FIELDS = tuple(f"{c}_{f}" for c, fields in _RULE_INPUTS.items() for f in fields)
# 1+X: the practical paper's weight is entered beside the theory paper's.
_RULE_FIELDS += ("practical_weight",)


def _component_rules_input(v: dict[str, Any], errors: FormErrors) -> dict[str, PlanComponentIn]:
    """Only what the admin filled in: the rest takes the domain defaults."""
    rules: dict[str, PlanComponentIn] = {}
    for component in ("theory", "practical", "review"):
        given: dict[str, Any] = {}
        for name in ("pass_mark", "weight"):
            key = f"{component}_{name}"
            if v.get(key):
                given[name] = _number(v[key], float, key, errors)
        if v.get(f"{component}_minutes"):
            key = f"{component}_minutes"
            given["minutes"] = _number(v[key], int, key, errors)
        if v.get(f"{component}_minutes_reason"):
            given["minutes_reason"] = v[f"{component}_minutes_reason"]
        if given:
            rules[component] = PlanComponentIn(**given)
    return rules


def _plan_values(form: FormData | None = None) -> dict[str, Any]:
    if form is None:
        return {
            "name": "",
            "scheme": Scheme.SKILL_LEVEL.value,
            "occupation_id": "",
            "level_code": "",
            "blueprint_id": "",
            "form_mode": FormMode.SHUFFLED.value,
            "leave_limit": "",
            "require_checkin": True,
            "show_score_to_candidate": True,
            "late_entry_minutes": "30",
            "allow_calculator": False,
            "allow_scratchpad": False,
            **{name: "" for name in _RULE_FIELDS},
            "composite_pass_mark": "60",
            "panel_tolerance": "10",
            "rounding_step": "0.5",
            "recheck_days": "15",
        }
    return {
        **{name: _text(form, name) for name in _RULE_FIELDS},
        "composite_pass_mark": _text(form, "composite_pass_mark"),
        "panel_tolerance": _text(form, "panel_tolerance"),
        "rounding_step": _text(form, "rounding_step"),
        "recheck_days": _text(form, "recheck_days"),
        "name": _text(form, "name"),
        "scheme": _text(form, "scheme"),
        "occupation_id": _text(form, "occupation_id"),
        "level_code": _text(form, "level_code"),
        "blueprint_id": _text(form, "blueprint_id"),
        "form_mode": _text(form, "form_mode"),
        "leave_limit": _text(form, "leave_limit"),
        "require_checkin": bool(form.get("require_checkin")),
        "show_score_to_candidate": bool(form.get("show_score_to_candidate")),
        "late_entry_minutes": _text(form, "late_entry_minutes"),
        "allow_calculator": bool(form.get("allow_calculator")),
        "allow_scratchpad": bool(form.get("allow_scratchpad")),
    }


def _plan_input(v: dict[str, Any], errors: FormErrors) -> PlanCreate | None:
    occupation_id = _number(v["occupation_id"], int, "occupation_id", errors)
    blueprint_id = _number(v["blueprint_id"], int, "blueprint_id", errors)
    leave_limit = _number(v["leave_limit"], int, "leave_limit", errors, required=False)
    late = _number(v["late_entry_minutes"], int, "late_entry_minutes", errors)
    if v["form_mode"] not in {m.value for m in FormMode}:
        errors.add("form_mode", "请选择组卷方式")
    rules = _component_rules_input(v, errors)
    defaults = PlanCreate.model_fields
    composite = _number(
        v["composite_pass_mark"], float, "composite_pass_mark", errors, required=False
    )
    tolerance = _number(v["panel_tolerance"], float, "panel_tolerance", errors, required=False)
    step = _number(v["rounding_step"], float, "rounding_step", errors, required=False)
    recheck = _number(v["recheck_days"], int, "recheck_days", errors, required=False)
    if errors:
        return None
    assert occupation_id is not None and blueprint_id is not None and late is not None
    return PlanCreate(
        name=v["name"],
        scheme=v["scheme"],
        occupation_id=occupation_id,
        level_code=v["level_code"],
        blueprint_id=blueprint_id,
        form_mode=FormMode(v["form_mode"]),
        leave_limit=leave_limit,
        require_checkin=v["require_checkin"],
        show_score_to_candidate=v["show_score_to_candidate"],
        late_entry_minutes=late,
        allow_calculator=v["allow_calculator"],
        allow_scratchpad=v["allow_scratchpad"],
        component_rules=rules,
        # Left empty: the defaults the form shows.
        composite_pass_mark=defaults["composite_pass_mark"].default
        if composite is None
        else composite,
        panel_tolerance=defaults["panel_tolerance"].default if tolerance is None else tolerance,
        rounding_step=defaults["rounding_step"].default if step is None else step,
        recheck_days=defaults["recheck_days"].default if recheck is None else recheck,
    )


def _plans_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "exams/plans.html",
        {
            "plans": plans.list_plans(db, actor=staff),
            "blueprints": blueprints.list_blueprints(db, actor=staff),
            "occupations": reference.list_occupations(db),
            "schemes": {
                Scheme.SKILL_LEVEL: "职业技能等级（新八级工）",
                Scheme.ONE_PLUS_X: "1+X 职业技能等级证书",
            },
            "levels": plans.level_choices(),
            "form_modes": plans.FORM_MODE_NAMES,
            "v": values,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/plans")
def plans_page(request: Request, db: SessionDep, staff: CentreAdmin) -> Response:
    return _plans_page(request, db, staff, _plan_values())


@router.post("/plans")
def create_plan(request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep) -> Response:
    values = _plan_values(form)
    errors = FormErrors()
    data = _plan_input(values, errors)
    if data is None:
        errors.message = "考试计划有误"
        return _plans_page(request, db, staff, values, errors, 422)
    try:
        plan = plans.create_plan(db, actor=staff, data=data)
    except ValidationFailed as exc:
        return _plans_page(request, db, staff, values, _service_errors(exc), exc.status_code)
    return _redirect(f"/plans/{plan.id}")


def _session_values(form: FormData | None = None) -> dict[str, Any]:
    if form is None:
        return {
            "name": "",
            "room": "",
            "starts_at": "",
            "duration_minutes": "",
            "proctor_ids": [],
            "seats_per_row": "",
            "confirm_past_start": False,
        }
    return {
        "seats_per_row": _text(form, "seats_per_row"),
        "confirm_past_start": bool(form.get("confirm_past_start")),
        "name": _text(form, "name"),
        "room": _text(form, "room"),
        "starts_at": _text(form, "starts_at"),
        "duration_minutes": _text(form, "duration_minutes"),
        "proctor_ids": _ids(form, "proctor_ids"),
    }


def _plan_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    plan_id: int,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    summary = plans.plan_summary(db, actor=staff, plan_id=plan_id)
    return render(
        request,
        "exams/plan.html",
        {
            "notice": notice,
            "s": summary,
            "blueprint": blueprints.get_blueprint(
                db, actor=staff, blueprint_id=summary.plan.blueprint_id
            ),
            "sessions": sessions.list_sessions(db, actor=staff, plan_id=plan_id),
            "proctors": sessions.eligible_proctors(db, actor=staff),
            "form_modes": plans.FORM_MODE_NAMES,
            "component_names": COMPONENT_NAMES,
            "v": values,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request, db: SessionDep, staff: CentreAdmin, plan_id: int, changed: str = ""
) -> Response:
    notice = {
        "plan": "考试计划已修改（已记入审计日志）。",
        "plan_cancelled": "考试计划已取消，其未关闭的场次一并取消（均已记入审计日志）。",
    }.get(changed, "")
    return _plan_page(request, db, staff, plan_id, _session_values(), notice=notice)


@router.post("/plans/{plan_id}/sessions")
def create_session(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, plan_id: int
) -> Response:
    values = _session_values(form)
    errors = FormErrors()
    starts_at = None
    if not values["starts_at"]:
        errors.add("starts_at", "请填写开考时间")
    else:
        try:
            starts_at = datetime.fromisoformat(values["starts_at"])
        except ValueError:
            errors.add("starts_at", "时间格式应为 2026-06-01 09:00")
    duration = _number(values["duration_minutes"], int, "duration_minutes", errors, required=False)
    per_row = _number(values["seats_per_row"], int, "seats_per_row", errors, required=False)
    if errors or starts_at is None:
        errors.message = "场次信息有误"
        return _plan_page(request, db, staff, plan_id, values, errors, 422)
    data = SessionCreate(
        plan_id=plan_id,
        name=values["name"],
        room=values["room"],
        starts_at=starts_at,
        duration_minutes=duration,
        proctor_ids=values["proctor_ids"],
        seats_per_row=seating.DEFAULT_SEATS_PER_ROW if per_row is None else per_row,
        confirm_past_start=values["confirm_past_start"],
    )
    try:
        session = sessions.create_session(db, actor=staff, data=data)
    except ValidationFailed as exc:
        return _plan_page(
            request, db, staff, plan_id, values, _service_errors(exc), exc.status_code
        )
    return _redirect(f"/sessions/{session.id}")


# --- sessions ---------------------------------------------------------------------------


def _session_context(db: SessionDep, staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    detail = sessions.session_detail(db, actor=staff, session_id=session_id)
    ctx: dict[str, Any] = {
        "d": detail,
        # 缺考 on this page too: registered, entry closed, never started.
        "started": delivery.started_registrations(db, session_id=session_id),
        "entry_closed": sessions.is_absent(
            detail.session, detail.plan.plan, started=False, now=clock.utcnow()
        ),
        "can_edit": policy.may(staff, Action.MANAGE, Resource.ROSTER),
        "v": {"name": "", "id_number": "", "phone": "", "employer": ""},
        "fv": facts_form.values(None),
        "facts_choices": facts_form.choices(),
        "routes": [r.text for r in eligibility.routes_for(detail.plan.plan.level_code)]
        or ["不设申报条件"],
        "route_text": eligibility.route_text,
        "errors": FormErrors(),
        "roster_errors": FormErrors(),
    }
    if ctx["can_edit"]:
        ctx["proctors"] = sessions.eligible_proctors(db, actor=staff)
    ctx.update(extra)
    return ctx


@router.get("/sessions/{session_id}")
def session_page(
    request: Request,
    db: SessionDep,
    staff: CentreStaff,
    session_id: int,
    changed: str = "",
    reg: int | None = None,
) -> Response:
    notice = CHANGE_NOTICES.get(changed, "")
    moved = (
        corrections.moved_in(db, actor=staff, registration_id=reg, session_id=session_id)
        if changed == "moved" and reg is not None
        else None
    )
    ctx = _session_context(db, staff, session_id, notice=notice, moved=moved)
    return render(request, "exams/session.html", ctx)


CHANGE_NOTICES = {
    "session": "场次信息已修改（已记入审计日志）。如开考时间或考场有变，请重新打印准考证。",
    "cancelled": "本场次已取消（已记入审计日志），考生不能再进入。",
    "candidate": "考生信息已修改（已记入审计日志）。",
    "moved": "考生已调入本场次，旧准考证作废，请为其打印新的准考证。",
    "withdrawn": "已撤销该考生的报名（已记入审计日志），其准考证作废。",
}


@router.post("/sessions/{session_id}/registrations")
def register_candidate(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, session_id: int
) -> Response:
    """Add one candidate. For htmx the registration area (form + table) comes back;
    a problem comes back in the same fragment, beside the field, with what was typed,
    a refusal for 申报条件 with what each route misses."""
    values = {
        k: _text(form, k)
        for k in ("name", "id_number", "phone", "employer", "eligibility_override_reason")
    }
    fv = facts_form.form_values(form)
    facts, problems = facts_form.read(fv)
    try:
        if problems:
            raise ValidationFailed("考生档案有误", code="facts_invalid", details=problems)
        done = registrations.register(
            db,
            actor=staff,
            session_id=session_id,
            data=RegistrationCreate(**values, facts=facts),
        )
    except (ValidationFailed, Conflict) as exc:
        ctx = _session_context(db, staff, session_id, v=values, fv=fv, errors=_service_errors(exc))
        template = "exams/_registrations.html" if is_htmx(request) else "exams/session.html"
        return render(request, template, ctx, status_code=exc.status_code)
    reg = done.registration
    notice = f"已为考生报名（准考证号 {reg.ticket_number}）：" + (
        f"破格报名，原因：{reg.eligibility_override_reason}"
        if reg.eligibility_override_reason
        else done.eligibility.summary
    )
    if is_htmx(request):
        # The count and staffing warnings above the table change too: sent out of band.
        ctx = _session_context(db, staff, session_id, oob=True, registered=notice)
        return render(request, "exams/_registrations.html", ctx)
    return _redirect(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/registrations/excel")
def import_roster(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    session_id: int,
    file: Annotated[UploadFile, File()],
) -> Response:
    try:
        result = registrations.import_roster(
            db, actor=staff, session_id=session_id, content=file.file.read()
        )
    except ValidationFailed as exc:
        ctx = _session_context(
            db, staff, session_id, roster_errors=FormErrors(exc.message, exc.details)
        )
        return render(request, "exams/session.html", ctx, status_code=exc.status_code)
    ctx = _session_context(db, staff, session_id, roster_outcome=result)
    return render(request, "exams/session.html", ctx)


@router.post("/sessions/{session_id}/photos")
def upload_photos(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    session_id: int,
    file: Annotated[UploadFile, File()],
) -> Response:
    """A ZIP of photos named by ID number, next to the Excel list."""
    session = sessions.get_session(db, actor=staff, session_id=session_id)
    try:
        outcome = photos.import_photo_zip(
            db, actor=staff, centre_id=session.centre_id, content=file.file.read()
        )
    except photos.PhotoInvalid as exc:
        ctx = _session_context(db, staff, session_id, photo_error=exc.message)
        return render(request, "exams/session.html", ctx, status_code=exc.status_code)
    ctx = _session_context(db, staff, session_id, photo_outcome=outcome)
    return render(request, "exams/session.html", ctx)


@router.post("/registrations/{registration_id}/photo")
def upload_photo(
    request: Request,
    db: SessionDep,
    staff: CentreAdmin,
    registration_id: int,
    file: Annotated[UploadFile, File()],
) -> Response:
    """One candidate's photo, from the session's list."""
    reg, candidate = registrations.registration_with_candidate(
        db, actor=staff, registration_id=registration_id, action=Action.MANAGE
    )
    try:
        photos.set_photo(db, actor=staff, candidate=candidate, data=file.file.read())
    except photos.PhotoInvalid as exc:
        ctx = _session_context(
            db, staff, reg.session_id, photo_error=f"{candidate.name}：{exc.message}"
        )
        return render(request, "exams/session.html", ctx, status_code=exc.status_code)
    return _redirect(f"/sessions/{reg.session_id}#registrations")


@router.get("/registrations/{registration_id}/photo")
def photo(db: SessionDep, staff: Proctor, registration_id: int) -> Response:
    """The candidate's photo for the ticket and the check-in, to the staff who see them."""
    _, candidate = registrations.registration_with_candidate(
        db, actor=staff, registration_id=registration_id
    )
    data = photos.photo_of(candidate)
    if data is None:
        raise NotFound("该考生还没有照片", code="photo_not_found")
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"}
    )


@router.get("/sessions/{session_id}/registrations/template.xlsx")
def registration_template(db: SessionDep, staff: CentreAdmin, session_id: int) -> Response:
    sessions.get_session(db, actor=staff, session_id=session_id)
    return Response(
        registrations.registration_template(),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''%E8%80%83%E7%94%9F%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.xlsx"
        },
    )


@router.post("/sessions/{session_id}/staffing-override")
def override_staffing(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, session_id: int
) -> Response:
    """Let an understaffed room open (DOMAIN.md §2), with the reason."""
    try:
        sessions.override_staffing(
            db, actor=staff, session_id=session_id, reason=_text(form, "reason")
        )
    except (ValidationFailed, Conflict) as exc:
        ctx = _session_context(db, staff, session_id, override_error=exc.message)
        return render(request, "exams/session.html", ctx, status_code=exc.status_code)
    return _redirect(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/proctors")
def assign_proctors(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, session_id: int
) -> Response:
    ids = _ids(form, "proctor_ids")
    sessions.assign_proctors(db, actor=staff, session_id=session_id, proctor_ids=ids)
    return _redirect(f"/sessions/{session_id}")


def _login_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/exam/login"


@router.get("/sessions/{session_id}/tickets")
def tickets_page(
    request: Request, db: SessionDep, staff: IdentityReader, session_id: int
) -> Response:
    session = sessions.get_session(db, actor=staff, session_id=session_id)
    return render(
        request,
        "exams/tickets.html",
        {
            "session": session,
            "tickets": registrations.admission_tickets(db, actor=staff, session_id=session_id),
            "login_url": _login_url(request),
        },
    )


@router.get("/registrations/{registration_id}/ticket")
def ticket_page(
    request: Request, db: SessionDep, staff: IdentityReader, registration_id: int
) -> Response:
    ticket = registrations.admission_ticket(db, actor=staff, registration_id=registration_id)
    return render(
        request,
        "exams/tickets.html",
        {"session": None, "tickets": [ticket], "login_url": _login_url(request)},
    )


# --- candidates -------------------------------------------------------------------------


@router.get("/candidates")
def candidates_page(request: Request, db: SessionDep, staff: CentreAdmin, q: str = "") -> Response:
    ctx = {"candidates": candidates.list_candidates(db, actor=staff, q=q), "q": q}
    # The search box asks htmx for just the table as the staff member types.
    template = "exams/_candidates_table.html" if is_htmx(request) else "exams/candidates.html"
    return render(request, template, ctx)


def _candidate_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    candidate_id: int,
    *,
    fv: dict[str, Any] | None = None,
    reason: str = "",
    errors: FormErrors | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    h = history.history(db, actor=staff, candidate_id=candidate_id)
    return render(
        request,
        "exams/candidate.html",
        {
            "h": h,
            "c": h.candidate,
            "fv": fv or facts_form.values(candidates.facts_of(h.candidate)),
            "facts_choices": facts_form.choices(),
            "locked_by": candidates.certificate_using(db, h.candidate),
            "reason": reason,
            "errors": errors or FormErrors(),
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/candidates/{candidate_id}")
def candidate_page(
    request: Request, db: SessionDep, staff: CentreAdmin, candidate_id: int, saved: str = ""
) -> Response:
    """The candidate's record (考生档案), editable with a reason until a certificate used
    it, and their history as one person: certificates, results, subsidies."""
    notice = "考生档案已保存（已记入审计日志）。" if saved else ""
    return _candidate_page(request, db, staff, candidate_id, notice=notice)


@router.post("/candidates/{candidate_id}/facts")
def update_candidate_facts(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, candidate_id: int
) -> Response:
    fv = facts_form.form_values(form)
    reason = _text(form, "reason")
    facts, problems = facts_form.read(fv)
    try:
        if problems:
            raise ValidationFailed("考生档案有误", code="facts_invalid", details=problems)
        candidates.update_facts(
            db,
            actor=staff,
            candidate_id=candidate_id,
            facts=facts or HolderFacts(),
            reason=reason,
        )
    except (ValidationFailed, Conflict) as exc:
        return _candidate_page(
            request,
            db,
            staff,
            candidate_id,
            fv=fv,
            reason=reason,
            errors=_service_errors(exc),
            status_code=exc.status_code,
        )
    return _redirect(f"/candidates/{candidate_id}?saved=1")


# --- corrections (更正): each with a reason, refused once candidates started -----------


def _reason_error(exc: ValidationFailed | Conflict | NotFound) -> str:
    problems = "；".join(str(d.get("problem", "")) for d in exc.details if d.get("problem"))
    return f"{exc.message}：{problems}" if problems and problems not in exc.message else exc.message


def _session_edit_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    session_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    detail = sessions.session_detail(db, actor=staff, session_id=session_id)
    s = detail.session
    local = clock.to_china(s.starts_at)
    assert local is not None
    current = {
        "name": s.name,
        "room": s.room,
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": str(s.duration_minutes),
        "seats_per_row": str(s.seats_per_row),
        "confirm_past_start": False,
        "reason": "",
    }
    return render(
        request,
        "exams/session_edit.html",
        {
            "d": detail,
            "started": corrections.has_started(db, session_id=session_id),
            "v": values or current,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/sessions/{session_id}/edit")
def session_edit_page(
    request: Request, db: SessionDep, staff: CentreAdmin, session_id: int
) -> Response:
    return _session_edit_page(request, db, staff, session_id)


@router.post("/sessions/{session_id}/edit")
def update_session(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, session_id: int
) -> Response:
    values: dict[str, Any] = {
        k: _text(form, k)
        for k in ("name", "room", "starts_at", "duration_minutes", "seats_per_row", "reason")
    }
    values["confirm_past_start"] = bool(form.get("confirm_past_start"))
    errors = FormErrors()
    starts_at = None
    try:
        starts_at = datetime.fromisoformat(values["starts_at"]) if values["starts_at"] else None
    except ValueError:
        errors.add("starts_at", "时间格式应为 2026-06-01 09:00")
    duration = _number(values["duration_minutes"], int, "duration_minutes", errors, required=False)
    per_row = _number(values["seats_per_row"], int, "seats_per_row", errors, required=False)
    if errors:
        errors.message = "场次信息有误"
        return _session_edit_page(
            request, db, staff, session_id, values=values, errors=errors, status_code=422
        )
    data = SessionUpdate(
        name=values["name"],
        room=values["room"],
        starts_at=starts_at,
        duration_minutes=duration,
        seats_per_row=per_row,
        confirm_past_start=values["confirm_past_start"],
        reason=values["reason"],
    )
    try:
        corrections.update_session(db, actor=staff, session_id=session_id, data=data)
    except (ValidationFailed, Conflict) as exc:
        return _session_edit_page(
            request,
            db,
            staff,
            session_id,
            values=values,
            errors=_service_errors(exc),
            status_code=exc.status_code,
        )
    return _redirect(f"/sessions/{session_id}?changed=session")


@router.post("/sessions/{session_id}/cancel")
def cancel_session(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, session_id: int
) -> Response:
    try:
        corrections.cancel_session(
            db, actor=staff, session_id=session_id, reason=_text(form, "reason")
        )
    except (ValidationFailed, Conflict) as exc:
        errors = FormErrors(_reason_error(exc))
        return _session_edit_page(
            request, db, staff, session_id, errors=errors, status_code=exc.status_code
        )
    return _redirect(f"/sessions/{session_id}?changed=cancelled")


def _registration_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    registration_id: int,
    *,
    move_error: str = "",
    withdraw_error: str = "",
    chosen: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    reg, candidate = registrations.registration_with_candidate(
        db, actor=staff, registration_id=registration_id, action=Action.MANAGE
    )
    session = sessions.get_session(db, actor=staff, session_id=reg.session_id)
    started = corrections.has_started(db, registration_id=registration_id)
    targets = (
        corrections.move_targets(db, actor=staff, registration_id=registration_id)
        if reg.withdrawn_at is None and not started
        else []
    )
    current = {
        "name": candidate.name,
        "id_number": candidate.id_number,
        "phone": candidate.phone,
        "employer": candidate.employer,
        "reason": "",
    }
    return render(
        request,
        "exams/registration.html",
        {
            "reg": reg,
            "c": candidate,
            "session": session,
            "targets": targets,
            "started": started,
            "name_locked": corrections.candidate_started(db, candidate_id=candidate.id or 0),
            # A refused move or withdrawal: its message beside its own form, what was
            # chosen and typed kept.
            "move_error": move_error,
            "withdraw_error": withdraw_error,
            "chosen": chosen or {},
            "v": values or current,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/registrations/{registration_id}")
def registration_page(
    request: Request, db: SessionDep, staff: CentreAdmin, registration_id: int
) -> Response:
    """更正: a registration's candidate details, its move to another session, its
    withdrawal."""
    return _registration_page(request, db, staff, registration_id)


@router.post("/registrations/{registration_id}/candidate")
def update_candidate(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, registration_id: int
) -> Response:
    values = {k: _text(form, k) for k in ("name", "id_number", "phone", "employer", "reason")}
    reg, candidate = registrations.registration_with_candidate(
        db, actor=staff, registration_id=registration_id, action=Action.MANAGE
    )
    data = CandidateIn(**{k: values[k] for k in ("name", "id_number", "phone", "employer")})
    try:
        corrections.update_candidate(
            db, actor=staff, candidate_id=candidate.id or 0, data=data, reason=values["reason"]
        )
    except (ValidationFailed, Conflict) as exc:
        return _registration_page(
            request,
            db,
            staff,
            registration_id,
            values=values,
            errors=_service_errors(exc),
            status_code=exc.status_code,
        )
    return _redirect(f"/sessions/{reg.session_id}?changed=candidate")


@router.post("/registrations/{registration_id}/move")
def move_registration(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, registration_id: int
) -> Response:
    chosen = {k: _text(form, k) for k in ("session_id", "reason")}
    target = typed_int(chosen["session_id"])
    try:
        if target is None:
            raise ValidationFailed(
                "请选择要调入的场次",
                code="move_invalid",
                details=[{"field": "session_id", "problem": "请选择场次"}],
            )
        moved = corrections.move_registration(
            db,
            actor=staff,
            registration_id=registration_id,
            session_id=target,
            reason=_text(form, "reason"),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        return _registration_page(
            request,
            db,
            staff,
            registration_id,
            move_error=_reason_error(exc),
            chosen=chosen,
            status_code=exc.status_code,
        )
    return _redirect(f"/sessions/{moved.new.session_id}?changed=moved&reg={moved.new.id}")


@router.post("/registrations/{registration_id}/withdraw")
def withdraw_registration(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, registration_id: int
) -> Response:
    try:
        reg = corrections.withdraw_registration(
            db, actor=staff, registration_id=registration_id, reason=_text(form, "reason")
        )
    except (ValidationFailed, Conflict) as exc:
        return _registration_page(
            request,
            db,
            staff,
            registration_id,
            withdraw_error=_reason_error(exc),
            chosen={"withdraw_reason": _text(form, "reason")},
            status_code=exc.status_code,
        )
    return _redirect(f"/sessions/{reg.session_id}?changed=withdrawn")


def _plan_edit_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    plan_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    summary = plans.plan_summary(db, actor=staff, plan_id=plan_id)
    p = summary.plan
    current = {
        "name": p.name,
        "blueprint_id": str(p.blueprint_id),
        "form_mode": p.form_mode,
        "leave_limit": "" if p.leave_limit is None else str(p.leave_limit),
        "late_entry_minutes": str(p.late_entry_minutes),
        "require_checkin": p.require_checkin,
        "show_score_to_candidate": p.show_score_to_candidate,
        "allow_calculator": p.allow_calculator,
        "allow_scratchpad": p.allow_scratchpad,
        "reason": "",
    }
    return render(
        request,
        "exams/plan_edit.html",
        {
            "s": summary,
            "started": corrections.has_started(db, plan_id=plan_id),
            "blueprints": blueprints.list_blueprints(
                db, actor=staff, occupation_id=p.occupation_id, level_code=p.level_code
            ),
            "form_modes": plans.FORM_MODE_NAMES,
            "v": values or current,
            "errors": errors or FormErrors(),
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}/edit")
def plan_edit_page(request: Request, db: SessionDep, staff: CentreAdmin, plan_id: int) -> Response:
    return _plan_edit_page(request, db, staff, plan_id)


@router.post("/plans/{plan_id}/edit")
def update_plan(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, plan_id: int
) -> Response:
    values: dict[str, Any] = {
        k: _text(form, k)
        for k in ("name", "blueprint_id", "form_mode", "leave_limit", "late_entry_minutes")
    }
    for k in ("require_checkin", "show_score_to_candidate", "allow_calculator", "allow_scratchpad"):
        values[k] = bool(form.get(k))
    values["reason"] = _text(form, "reason")
    errors = FormErrors()
    blueprint_id = _number(values["blueprint_id"], int, "blueprint_id", errors)
    leave_limit = _number(values["leave_limit"], int, "leave_limit", errors, required=False)
    late = _number(values["late_entry_minutes"], int, "late_entry_minutes", errors)
    if values["form_mode"] not in {m.value for m in FormMode}:
        errors.add("form_mode", "请选择组卷方式")
    if errors:
        errors.message = "考试计划有误"
        return _plan_edit_page(
            request, db, staff, plan_id, values=values, errors=errors, status_code=422
        )
    data = PlanUpdate(
        name=values["name"],
        blueprint_id=blueprint_id,
        form_mode=FormMode(values["form_mode"]),
        leave_limit=leave_limit,
        clear_leave_limit=leave_limit is None,
        late_entry_minutes=late,
        require_checkin=values["require_checkin"],
        show_score_to_candidate=values["show_score_to_candidate"],
        allow_calculator=values["allow_calculator"],
        allow_scratchpad=values["allow_scratchpad"],
        reason=values["reason"],
    )
    try:
        corrections.update_plan(db, actor=staff, plan_id=plan_id, data=data)
    except (ValidationFailed, Conflict) as exc:
        return _plan_edit_page(
            request,
            db,
            staff,
            plan_id,
            values=values,
            errors=_service_errors(exc),
            status_code=exc.status_code,
        )
    return _redirect(f"/plans/{plan_id}?changed=plan")


@router.post("/plans/{plan_id}/cancel")
def cancel_plan(
    request: Request, db: SessionDep, staff: CentreAdmin, form: FormDep, plan_id: int
) -> Response:
    try:
        corrections.cancel_plan(db, actor=staff, plan_id=plan_id, reason=_text(form, "reason"))
    except (ValidationFailed, Conflict) as exc:
        errors = FormErrors(_reason_error(exc))
        return _plan_edit_page(
            request, db, staff, plan_id, errors=errors, status_code=exc.status_code
        )
    return _redirect(f"/plans/{plan_id}?changed=plan_cancelled")
