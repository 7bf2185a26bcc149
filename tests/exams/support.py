"""Helpers for exams tests: valid inputs to start from, problems by field."""

from datetime import datetime
from typing import Any

import pytest

from app.exams.schemas import BlueprintCreate, PlanCreate, SessionCreate
from tests.factories import DEFAULT_SECTIONS, ExamFixture


def problems_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return {d.get("field", ""): d["problem"] for d in exc.value.details}


def blueprint_in(bank_id: int, **kw: Any) -> BlueprintCreate:
    data: dict[str, Any] = {
        "bank_id": bank_id,
        "name": "电工四级理论",
        "level_code": "intermediate",
        "sections": DEFAULT_SECTIONS,
    }
    data.update(kw)
    return BlueprintCreate.model_validate(data)


def plan_in(fx: ExamFixture, **kw: Any) -> PlanCreate:
    data: dict[str, Any] = {
        "name": "2026 年电工四级认定",
        "occupation_id": fx.blueprint.occupation_id,
        "level_code": "intermediate",
        "blueprint_id": fx.blueprint.id,
    }
    data.update(kw)
    return PlanCreate.model_validate(data)


def session_in(fx: ExamFixture, **kw: Any) -> SessionCreate:
    data: dict[str, Any] = {
        "plan_id": fx.plan.id,
        "name": "第2场",
        "room": "302 机房",
        "starts_at": datetime(2026, 6, 1, 9, 0),
        "proctor_ids": [p.id for p in fx.proctors],
        "confirm_past_start": True,  # 2026-06-01 is behind us
    }
    data.update(kw)
    return SessionCreate.model_validate(data)
