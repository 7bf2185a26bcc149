"""The candidate's record (考生档案, exams.facts.HolderFacts) as form fields: flat names
(`education`, `prior_level_0`, ...), read back into the record with each problem beside
its field. The registration form shows the common fields; the candidate's page all."""

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.exams.facts import EDUCATION_NAMES, EMPLOYMENT_NAMES, HolderFacts
from app.reference.levels import Scheme, examinable_levels

FLAGS = (
    "school_type_accredited",
    "final_year_student",
    "apprenticeship_completed",
    "preparatory_technician",
    "receiving_unemployment_benefit",
    "monthly_pension",
    "hard_to_employ",
    "rural_migrant",
    "school_leaver",
    "talent_apartment",
)
TEXTS = (
    "education",
    "graduation_date",
    "years_in_occupation",
    "employment",
    "employer_name",
    "employer_credit_code",
    "work_region",
    "unemployment_insurance_months",
    "newly_recruited_on",
    "special_recognition",
)
# list field → (form prefix, {form part: record key})
LISTS = {
    "prior_certificates": (
        "prior",
        {
            "level": "level_code",
            "number": "number",
            "obtained_on": "obtained_on",
            "occupation": "occupation_code",
        },
    ),
    "awards": ("award", {"name": "name", "promotes_to": "promotes_to", "won_on": "won_on"}),
    "trainings": (
        "training",
        {
            "course": "course",
            "provider": "provider",
            "starts_on": "starts_on",
            "ends_on": "ends_on",
        },
    ),
}
MAX_ROWS = 10
LABELS = {
    "education": "学历",
    "school_type_accredited": "专业经评估认可",
    "graduation_date": "毕业时间",
    "final_year_student": "应届毕业生",
    "years_in_occupation": "从业年限",
    "apprenticeship_completed": "学徒期满",
    "preparatory_technician": "预备技师证书",
    "employment": "就业状态",
    "employer_name": "单位名称",
    "employer_credit_code": "单位统一社会信用代码",
    "work_region": "工作地区划",
    "unemployment_insurance_months": "失业保险缴费月数",
    "newly_recruited_on": "新引进日期",
    "special_recognition": "特才特评依据",
    "prior": "已有证书",
    "award": "竞赛获奖",
    "training": "补贴性培训",
}


def choices() -> dict[str, Any]:
    """The selects' options, for the template."""
    return {
        "education": list(EDUCATION_NAMES.items()),
        "employment": list(EMPLOYMENT_NAMES.items()),
        "levels": [(lv.code, lv.display) for lv in examinable_levels(Scheme.SKILL_LEVEL)],
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values(facts: HolderFacts | None, *, blank_rows: int = 1) -> dict[str, Any]:
    """The form's values for a record (None: an empty form), with blank rows to add to."""
    f = facts or HolderFacts()
    v: dict[str, Any] = {k: bool(getattr(f, k)) for k in FLAGS}
    for k in TEXTS:
        raw = getattr(f, k)
        v[k] = "" if raw in (None, 0, "") else f"{raw:g}" if isinstance(raw, float) else str(raw)
    for attr, (prefix, parts) in LISTS.items():
        rows = [
            {part: str(getattr(item, key) or "") for part, key in parts.items()}
            for item in getattr(f, attr)
        ]
        rows += [dict.fromkeys(parts, "") for _ in range(blank_rows)]
        v[prefix] = rows
    return v


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to show again beside the problems."""
    v: dict[str, Any] = {k: bool(form.get(k)) for k in FLAGS}
    v.update({k: _text(form, k) for k in TEXTS})
    for _attr, (prefix, parts) in LISTS.items():
        rows = []
        for i in range(MAX_ROWS):
            row = {part: _text(form, f"{prefix}_{part}_{i}") for part in parts}
            if any(f"{prefix}_{part}_{i}" in form for part in parts):
                rows.append(row)
        v[prefix] = rows or [dict.fromkeys(parts, "")]
    return v


def read(v: dict[str, Any]) -> tuple[HolderFacts | None, list[dict[str, str]]]:
    """The record the form's values say (None when nothing was filled in), or the
    problems, each with its field."""
    data: dict[str, Any] = {k: True for k in FLAGS if v.get(k)}
    data.update({k: v[k] for k in TEXTS if v.get(k)})
    for attr, (prefix, parts) in LISTS.items():
        items = [
            {parts[part]: value for part, value in row.items() if value}
            for row in v.get(prefix, [])
            if any(row.values())
        ]
        if items:
            data[attr] = items
    if not data:
        return None, []
    try:
        return HolderFacts.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            field = str(loc[0]) if loc else "facts"
            if field in LISTS and len(loc) >= 2:
                prefix, parts = LISTS[field]
                part = next((p for p, key in parts.items() if len(loc) > 2 and key == loc[2]), "")
                field = f"{prefix}_{part}_{loc[1]}" if part else prefix
                label = f"{LABELS[prefix]}第 {int(loc[1]) + 1} 行"
            else:
                label = LABELS.get(field, field)
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append({"field": field, "place": label, "problem": _chinese(message)})
        return None, problems


def _chinese(message: str) -> str:
    """pydantic's own messages for a number or a date typed wrong, in the page's words."""
    if "valid number" in message or "valid integer" in message:
        return "应为数字"
    if "date" in message:
        return "应为日期，例如 2023-06-30"
    if "greater than or equal" in message:
        return "不能为负数"
    if "less than or equal" in message:
        return "超出范围"
    if "Input should be" in message:
        return "请从列表中选择"
    return message
