"""What staff send to create or change exams objects. Shared by the JSON API (as request
bodies) and the pages (built from form fields). Types only: the rules, with messages in
Chinese, live in the exams service modules (blueprints, plans, sessions, ...)."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.exams.facts import HolderFacts
from app.exams.models import FormMode
from app.exams.seating import DEFAULT_SEATS_PER_ROW
from app.itemtypes import MultipleChoiceRule


class SectionIn(BaseModel):
    item_type: str  # banks.models.ItemType
    count: int
    points: float  # each drawn item's points on this paper, whatever its own default
    # Draw only items whose own points are these (what blueprints made before section
    # points meant; kept for them by the migration). None: any item of the type.
    only_item_points: float | None = None


class BlueprintCreate(BaseModel):
    bank_id: int
    name: str
    level_code: str
    component: str = "theory"
    sections: list[SectionIn]
    # None: the bank outline's weights (鉴定比重).
    area_weights: dict[str, float] | None = None
    difficulty_mix: dict[str, float] = Field(default_factory=dict)
    # {"A": 60}: at least 60% of area A's points from X (core) assessment points.
    core_min_share: dict[str, float] = Field(default_factory=dict)
    # ["A-001", ...] assessment points on every paper; None: those the bank's outline
    # marks mandatory (必考).
    mandatory_points: list[str] | None = None
    multiple_choice_rule: MultipleChoiceRule = MultipleChoiceRule.ALL_OR_NOTHING
    time_limit_minutes: int = 90
    # Theory papers run at least 90 minutes (DOMAIN.md §2); set this only when the
    # occupation standard allows a shorter paper.
    allow_short_time: bool = False
    pass_mark: float = 60


class BlueprintUpdate(BaseModel):
    """Fields left out keep their value."""

    bank_id: int | None = None
    name: str | None = None
    level_code: str | None = None
    sections: list[SectionIn] | None = None
    area_weights: dict[str, float] | None = None
    difficulty_mix: dict[str, float] | None = None
    core_min_share: dict[str, float] | None = None
    mandatory_points: list[str] | None = None
    multiple_choice_rule: MultipleChoiceRule | None = None
    time_limit_minutes: int | None = None
    allow_short_time: bool = False
    pass_mark: float | None = None


class PlanComponentIn(BaseModel):
    """A component's rule on a plan; anything left out takes the domain default."""

    pass_mark: float | None = None  # default 60
    minutes: int | None = None  # default the minimum: practical 60, review 15
    minutes_reason: str = ""  # required when minutes is below the minimum
    weight: float | None = None  # 1+X only: percent of the composite (default 40/60)


class PlanCreate(BaseModel):
    name: str
    scheme: str = "skill_level"  # reference.levels.Scheme
    occupation_id: int
    level_code: str
    blueprint_id: int
    form_mode: FormMode = FormMode.SHUFFLED
    leave_limit: int | None = None
    require_checkin: bool = True
    show_score_to_candidate: bool = True
    late_entry_minutes: int = 30
    allow_calculator: bool = False  # the on-screen calculator (basic and scientific)
    allow_scratchpad: bool = False  # the on-screen scratch pad
    # Rules of the components other than the theory paper (whose pass mark and time are
    # its blueprint's), by component: {"practical": {"minutes": 90}}.
    component_rules: dict[str, PlanComponentIn] = {}
    composite_pass_mark: float = 60  # 1+X only
    panel_tolerance: float = 10
    rounding_step: float = 0.5
    recheck_days: int = 15


class PlanUpdate(BaseModel):
    """Corrections to a plan before any candidate started: what is given changes (the
    scheme, occupation and level do not: that is another plan); a reason is required."""

    name: str | None = None
    blueprint_id: int | None = None
    form_mode: FormMode | None = None
    leave_limit: int | None = None
    clear_leave_limit: bool = False  # leave_limit back to "not limited"
    require_checkin: bool | None = None
    show_score_to_candidate: bool | None = None
    late_entry_minutes: int | None = None
    allow_calculator: bool | None = None
    allow_scratchpad: bool | None = None
    reason: str = ""


class SessionCreate(BaseModel):
    plan_id: int
    name: str
    room: str
    # China wall-clock time as staff type it; a time with a UTC offset is converted.
    starts_at: datetime
    duration_minutes: int | None = None  # None: the blueprint's time limit
    proctor_ids: list[int] = Field(default_factory=list)
    seats_per_row: int = DEFAULT_SEATS_PER_ROW  # the seat map's rows (exams.seating)
    # A start in the past is refused unless confirmed (exams.rules.start_time_problem).
    confirm_past_start: bool = False


class SessionUpdate(BaseModel):
    """Corrections to a session before any candidate started: what is given changes; a
    reason is required (audited)."""

    name: str | None = None
    room: str | None = None
    starts_at: datetime | None = None  # China wall-clock time, as in SessionCreate
    duration_minutes: int | None = None
    seats_per_row: int | None = None
    confirm_past_start: bool = False
    reason: str = ""


class CandidateIn(BaseModel):
    name: str
    id_number: str
    phone: str = ""
    employer: str = ""
    # 考生档案 (education, years, prior certificates, employment, ...). None: keep what is
    # recorded; a known candidate's record changes on their page, with a reason.
    facts: HolderFacts | None = None


class RegistrationCreate(BaseModel):
    """Register a known candidate by id, or a person by name and ID number (an existing
    candidate of the centre with that ID number is reused). The candidate must meet the
    plan level's 申报条件 by one route (exams.eligibility), or a centre admin registers
    them anyway with `eligibility_override_reason` (audited)."""

    candidate_id: int | None = None
    name: str = ""
    id_number: str = ""
    phone: str = ""
    employer: str = ""
    facts: HolderFacts | None = None  # as in CandidateIn
    eligibility_override_reason: str = ""


class CandidateFactsUpdate(BaseModel):
    """A candidate's record replaced, with the reason (audited); refused once a
    certificate was issued with it."""

    facts: HolderFacts
    reason: str
