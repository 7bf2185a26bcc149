"""Candidates, blueprints (组卷方案), exam plans, sessions (考场/场次) and registrations
(报名, each with its admission ticket 准考证)."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, ColumnElement, UniqueConstraint
from sqlmodel import Field, SQLModel, col

from app.core.clock import utcnow
from app.itemtypes import MultipleChoiceRule


class Candidate(SQLModel, table=True):
    """考生: a person known to a centre by resident ID number."""

    __table_args__ = (UniqueConstraint("centre_id", "id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    name: str = Field(max_length=50)
    id_type: str = Field(default="resident_id", max_length=20)  # 居民身份证
    id_number: str = Field(max_length=18)  # check-digit valid (GB 11643-1999)
    gender: str = Field(default="", max_length=2)
    birth_date: date | None = None
    phone: str = Field(default="", max_length=20)
    employer: str = Field(default="", max_length=200)
    # The stored photo's digest (exams/photos.py keeps the file): None without a photo.
    photo_digest: str | None = Field(default=None, max_length=16)
    # 考生档案: exams.facts.HolderFacts as JSON (education, years, prior certificates,
    # employment, ...), read by eligibility and subsidies.
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Blueprint(SQLModel, table=True):
    """组卷方案 for one occupation + level + component, following the bank's
    鉴定要素细目表: sections by item type and assessment-area weights."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    bank_id: int = Field(foreign_key="questionbank.id")
    name: str = Field(max_length=200)
    occupation_id: int = Field(foreign_key="occupation.id")
    level_code: str = Field(max_length=32)
    component: str = Field(default="theory", max_length=16)  # theory (computer-based)
    # [{"item_type": "single_choice", "count": 40, "points": 1.5}, ...] in paper order; the
    # section's points are what each item is worth on the paper. Blueprints made before
    # that carry "only_item_points" (draw only items whose own points are these).
    sections: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # {"A": 30, "B": 50, "C": 20}: percent of the paper's points per assessment area
    area_weights: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    # Optional {"easy": 30, "medium": 50, "hard": 20}: percent of each section's items by
    # difficulty band (easy 1–2, medium 3, hard 4–5); {} means any difficulty.
    difficulty_mix: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    # {"A": 60}: at least 60% of area A's points from X (core) assessment points.
    core_min_share: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    # ["A-001", ...]: assessment points every paper holds at least one item of (必考).
    mandatory_points: list[str] = Field(default_factory=list, sa_type=JSON)
    # 全对得分 is the common national practice; partial credit is the blueprint's option and
    # is stated in the candidate's exam instructions.
    multiple_choice_rule: str = Field(default=MultipleChoiceRule.ALL_OR_NOTHING, max_length=20)
    time_limit_minutes: int = 90
    pass_mark: float = 60
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class FormMode(StrEnum):
    SHUFFLED = "shuffled"  # 千人千卷: each candidate their own draw and order
    FIXED = "fixed"  # one form for all


class ExamPlan(SQLModel, table=True):
    """考试计划: what is examined (scheme, occupation, level, components) and the rules."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    name: str = Field(max_length=200)
    scheme: str = Field(default="skill_level", max_length=20)  # reference.levels.Scheme
    occupation_id: int = Field(foreign_key="occupation.id")
    level_code: str = Field(max_length=32)
    components: list[str] = Field(default_factory=lambda: ["theory"], sa_type=JSON)
    blueprint_id: int = Field(foreign_key="blueprint.id")  # the theory paper
    form_mode: str = Field(default=FormMode.SHUFFLED, max_length=16)
    form_seed: int = 0  # seed of the fixed form, and the base of per-candidate seeds
    # FIXED mode: the one form, frozen at the first start ([DrawnItem as dict, ...]).
    fixed_form: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    # Leaving the exam window this many times submits the attempt (None: only recorded).
    leave_limit: int | None = None
    require_checkin: bool = True  # 人证合一: a proctor confirms identity before the start
    show_score_to_candidate: bool = True
    late_entry_minutes: int = 30  # no start later than this after the session start
    # Tools on the candidate's screen (electrician papers need a scientific calculator).
    allow_calculator: bool = False
    allow_scratchpad: bool = False
    # Each component's rule (app/exams/components.py), in order: [{"component": "practical",
    # "pass_mark": 60, "minutes": 60, "minutes_reason": "", "weight": null}, ...]. The
    # theory paper's pass mark and time are its blueprint's.
    component_rules: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    composite_pass_mark: float | None = None  # 1+X: the weighted composite decides
    # Examiners' totals for a task further apart than this go to the chief examiner.
    panel_tolerance: float = 10
    rounding_step: float = 0.5  # component scores from several examiners are rounded to this
    recheck_days: int = 15  # 复核 may be requested this many days after publication
    # The practical paper (技能考核试卷): sections of practical tasks, one drawn per
    # candidate from each, weights adding up to 100: [{"task_ids": [3, 4], "weight": 40}].
    practical_sections: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # The 综合评审 sheet (技师/高级技师): [{"code": "R1", "name": "工作业绩", "points": 40,
    # "step": 1, ...}]; [] means results.practical.DEFAULT_REVIEW_SHEET.
    review_sheet: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Cancelled before it started (with its sessions); who and why are in the audit trail.
    cancelled_at: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # called off before it started: nobody enters, nothing changes


class ExamSession(SQLModel, table=True):
    """考场/场次: a room at a time, with its proctors and candidates."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    name: str = Field(max_length=100)  # 第1场
    room: str = Field(max_length=100)  # 考场
    starts_at: NaiveDatetime  # UTC
    duration_minutes: int
    status: str = Field(default=SessionStatus.SCHEDULED, max_length=16)
    # The seat map's rows: seats are numbered from the front left, this many to a row
    # (exams.seating; the room's furniture is not otherwise known).
    seats_per_row: int = 6
    # DOMAIN.md §2 staffing is enforced when the session opens; a centre admin may let an
    # understaffed room open, with a reason (also in the audit trail).
    staffing_override_reason: str | None = Field(default=None, max_length=500)
    staffing_override_by: int | None = Field(default=None, foreign_key="staffuser.id")
    staffing_override_at: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)

    @property
    def ends_at(self) -> datetime:
        """The session end (naive UTC): every attempt's deadline before proctor actions,
        the moment a registration without an attempt becomes absent. Computed here only."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SessionProctor(SQLModel, table=True):
    session_id: int = Field(foreign_key="examsession.id", primary_key=True)
    staff_user_id: int = Field(foreign_key="staffuser.id", primary_key=True)


class Registration(SQLModel, table=True):
    """A candidate's place in a session: seat and admission ticket (准考证)."""

    __table_args__ = (UniqueConstraint("session_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    session_id: int = Field(foreign_key="examsession.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    ticket_number: str = Field(max_length=32, unique=True)  # 准考证号
    seat_number: int
    checked_in_at: NaiveDatetime | None = None
    checked_in_by: int | None = Field(default=None, foreign_key="staffuser.id")
    # Withdrawn (撤销报名) or moved to another session before the attempt started: kept, so
    # that its ticket and seat are never given again and its events stay traceable;
    # left out of the roster, the counts, the tickets and the login.
    withdrawn_at: NaiveDatetime | None = None
    withdrawn_by: int | None = Field(default=None, foreign_key="staffuser.id")
    # 申报条件 at registration (exams.eligibility): the route the candidate qualified by
    # ("open" for 1+X), or "" with a centre admin's override and its reason (also audited).
    eligibility_route: str = Field(default="", max_length=40)
    eligibility_override_reason: str | None = Field(default=None, max_length=500)
    eligibility_override_by: int | None = Field(default=None, foreign_key="staffuser.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)


def registered() -> ColumnElement[bool]:
    """Registrations still in their session: not withdrawn, not moved to another one."""
    return col(Registration.withdrawn_at).is_(None)
