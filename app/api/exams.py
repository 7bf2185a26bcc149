"""API: blueprints (组卷方案), exam plans, sessions (考场), candidates and registrations.

Times go out as UTC with an offset; `starts_at` coming in is China wall-clock time when it
has no offset (what staff type), otherwise converted."""

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from app.accounts.models import StaffUser
from app.api.shapes import Shape, UtcDatetime
from app.auth.deps import CentreAdmin, CentreStaff, IdentityReader, RosterReader
from app.core.db import SessionDep
from app.core.downloads import XLSX_MEDIA_TYPE
from app.corrections import service as corrections
from app.exams import blueprints, candidates, eligibility, plans, registrations, sessions
from app.exams.facts import HolderFacts
from app.exams.models import Blueprint, Candidate, Registration
from app.exams.schemas import (
    BlueprintCreate,
    BlueprintUpdate,
    CandidateFactsUpdate,
    CandidateIn,
    PlanCreate,
    PlanUpdate,
    RegistrationCreate,
    SectionIn,
    SessionCreate,
    SessionUpdate,
)
from app.exams.sessions import CandidateShown
from app.people import history
from app.reference.levels import get_level

router = APIRouter(tags=["exams"])


def _utc(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt else None


class BlueprintOut(Shape):
    """The Blueprint row, with its level's printed form and its sections as typed
    sections; the centre is left out (it is the caller's)."""

    id: int
    bank_id: int
    name: str
    occupation_id: int
    level_code: str
    level_display: str
    component: str
    sections: list[SectionIn]
    area_weights: dict[str, float]
    difficulty_mix: dict[str, float]
    core_min_share: dict[str, float]
    mandatory_points: list[str]
    multiple_choice_rule: str
    time_limit_minutes: int
    pass_mark: float
    created_at: UtcDatetime

    @classmethod
    def of(cls, bp: Blueprint) -> "BlueprintOut":
        return cls.model_validate(
            {**bp.model_dump(), "level_display": get_level(bp.level_code).display}
        )


class PreviewOut(Shape):
    """blueprints.BlueprintPreview; its sections and areas are the service's own shapes.
    Declared difference: `meets_blueprint`, a property there, is a field here."""

    seed: int
    item_count: int
    total_points: float
    meets_blueprint: bool
    sections: list[blueprints.PreviewSection]
    areas: list[blueprints.PreviewArea]
    bands: dict[str, int]


class PlanOut(BaseModel):
    """An ExamPlan row with its blueprint's name, occupation and level in words and its
    counts; its form seed is left out."""

    id: int
    name: str
    scheme: str
    occupation_id: int
    occupation: str
    level_code: str
    level_display: str
    components: list[str]
    blueprint_id: int
    blueprint_name: str
    form_mode: str
    leave_limit: int | None
    require_checkin: bool
    show_score_to_candidate: bool
    late_entry_minutes: int
    allow_calculator: bool
    allow_scratchpad: bool
    # [{"component", "pass_mark", "minutes", "minutes_reason", "weight"}] in order
    component_rules: list[dict[str, Any]]
    composite_pass_mark: float | None
    panel_tolerance: float
    rounding_step: float
    recheck_days: int
    session_count: int
    candidate_count: int
    created_at: datetime
    cancelled_at: datetime | None = None

    @classmethod
    def of(cls, s: plans.PlanSummary) -> "PlanOut":
        p = s.plan
        return cls(
            id=p.id or 0,
            name=p.name,
            scheme=p.scheme,
            occupation_id=p.occupation_id,
            occupation=s.occupation,
            level_code=p.level_code,
            level_display=s.level.display,
            components=p.components,
            blueprint_id=p.blueprint_id,
            blueprint_name=s.blueprint_name,
            form_mode=p.form_mode,
            leave_limit=p.leave_limit,
            require_checkin=p.require_checkin,
            show_score_to_candidate=p.show_score_to_candidate,
            late_entry_minutes=p.late_entry_minutes,
            allow_calculator=p.allow_calculator,
            allow_scratchpad=p.allow_scratchpad,
            component_rules=p.component_rules,
            composite_pass_mark=p.composite_pass_mark,
            panel_tolerance=p.panel_tolerance,
            rounding_step=p.rounding_step,
            recheck_days=p.recheck_days,
            session_count=s.session_count,
            candidate_count=s.candidate_count,
            created_at=p.created_at.replace(tzinfo=UTC),
            cancelled_at=_utc(p.cancelled_at),
        )


class ProctorOut(BaseModel):
    """A proctor as a session lists them: id, username, name."""

    id: int
    display_name: str
    role: str

    @classmethod
    def of(cls, u: StaffUser) -> "ProctorOut":
        return cls(id=u.id or 0, display_name=u.display_name, role=u.role)


class SessionOut(BaseModel):
    """An ExamSession row with its plan's name, end time, proctors, candidate count and the
    staffing problems (DOMAIN.md §2) it has."""

    id: int
    plan_id: int
    plan_name: str
    name: str
    room: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    status: str
    seats_per_row: int
    proctors: list[ProctorOut]
    candidate_count: int
    # DOMAIN.md §2 staffing rules this session breaks: no candidate may start while any
    # remains, unless a centre admin overrode it (staffing_override_reason).
    staffing_problems: list[str]
    staffing_override_reason: str | None = None
    staffing_override_at: datetime | None = None

    @classmethod
    def of(cls, s: sessions.SessionSummary) -> "SessionOut":
        return cls(
            id=s.session.id or 0,
            plan_id=s.session.plan_id,
            plan_name=s.plan_name,
            name=s.session.name,
            room=s.session.room,
            starts_at=s.session.starts_at.replace(tzinfo=UTC),
            ends_at=s.ends_at.replace(tzinfo=UTC),
            duration_minutes=s.session.duration_minutes,
            status=s.session.status,
            seats_per_row=s.session.seats_per_row,
            proctors=[ProctorOut.of(u) for u in s.proctors],
            candidate_count=s.candidate_count,
            staffing_problems=s.staffing_problems,
            staffing_override_reason=s.session.staffing_override_reason,
            staffing_override_at=(
                s.session.staffing_override_at.replace(tzinfo=UTC)
                if s.session.staffing_override_at
                else None
            ),
        )


class CandidateOut(Shape):
    """A candidate as the reader may see them (exams.sessions.CandidateShown: ID number
    masked, birth date and phone left out for those without IDENTITY), without the
    photo's digest."""

    id: int
    name: str
    id_number: str
    gender: str
    birth_date: date | None
    phone: str
    employer: str
    created_at: UtcDatetime


class RegistrationOut(BaseModel):
    """A Registration row with its candidate as the reader may see them (CandidateOut)."""

    id: int
    session_id: int
    seat_number: int
    ticket_number: str
    checked_in_at: datetime | None
    candidate: CandidateOut

    @classmethod
    def of(cls, reg: Registration, cand: Candidate | CandidateShown) -> "RegistrationOut":
        return cls(
            id=reg.id or 0,
            session_id=reg.session_id,
            seat_number=reg.seat_number,
            ticket_number=reg.ticket_number,
            checked_in_at=_utc(reg.checked_in_at),
            candidate=CandidateOut.model_validate(cand),
        )


class RouteOut(BaseModel):
    route: str
    text: str  # 四级证书且从事本职业满 5 年
    ok: bool
    sentence: str  # 需…：现有…


class EligibilityOut(BaseModel):
    """申报条件 as evaluated at registration (exams.eligibility): the route that qualified
    ("open" for 1+X; "" when a centre admin overrode), and every route's sentence."""

    level_code: str
    qualified: bool
    route: str
    summary: str
    routes: list[RouteOut]
    override_reason: str | None = None

    @classmethod
    def of(cls, ev: eligibility.Evaluation, override: str | None = None) -> "EligibilityOut":
        return cls(
            level_code=ev.level_code,
            qualified=ev.qualified,
            route=ev.route_code,
            summary=ev.summary,
            routes=[
                RouteOut(route=r.route.code, text=r.route.text, ok=r.ok, sentence=r.sentence)
                for r in ev.results
            ],
            override_reason=override,
        )


class RegisteredOut(RegistrationOut):
    eligibility: EligibilityOut


class SkippedRowOut(BaseModel):
    row: int
    name: str
    ticket_number: str
    why: str


class RosterImportOut(BaseModel):
    """registrations.RosterImport as counts, its summary and the new tickets (not every
    registration row)."""

    registered: int
    new_candidates: int
    summary: str
    ticket_numbers: list[str]
    # Rows of candidates already in the session: left as they are (seat and ticket kept).
    skipped: list[SkippedRowOut] = []


class ProctorsIn(BaseModel):
    proctor_ids: list[int]


class TicketOut(Shape):
    """registrations.AdmissionTicket with where to log in, without its component list and
    photo flag (the printed ticket's layout)."""

    registration_id: int
    ticket_number: str
    name: str
    gender: str
    id_number: str
    centre_name: str
    plan_name: str
    occupation: str
    level_display: str
    session_name: str
    room: str
    seat_number: int
    starts_at: UtcDatetime
    duration_minutes: int
    late_entry_minutes: int
    login_path: str = "/exam/login"


# --- blueprints -------------------------------------------------------------------------


@router.get("/blueprints", response_model=list[BlueprintOut])
def list_blueprints(db: SessionDep, staff: CentreAdmin) -> list[BlueprintOut]:
    return [BlueprintOut.of(bp) for bp in blueprints.list_blueprints(db, actor=staff)]


@router.post("/blueprints", response_model=BlueprintOut, status_code=201)
def create_blueprint(body: BlueprintCreate, db: SessionDep, staff: CentreAdmin) -> BlueprintOut:
    return BlueprintOut.of(blueprints.create_blueprint(db, actor=staff, data=body))


@router.post("/blueprints/check", response_model=PreviewOut)
def check_blueprint(
    body: BlueprintCreate, db: SessionDep, staff: CentreAdmin, seed: int | None = None
) -> PreviewOut:
    """Validate a blueprint without saving it and draw a sample form."""
    return PreviewOut.model_validate(
        blueprints.check_blueprint(db, actor=staff, data=body, seed=seed)
    )


@router.get("/blueprints/{blueprint_id}", response_model=BlueprintOut)
def get_blueprint(blueprint_id: int, db: SessionDep, staff: CentreAdmin) -> BlueprintOut:
    return BlueprintOut.of(blueprints.get_blueprint(db, actor=staff, blueprint_id=blueprint_id))


@router.patch("/blueprints/{blueprint_id}", response_model=BlueprintOut)
def update_blueprint(
    blueprint_id: int, body: BlueprintUpdate, db: SessionDep, staff: CentreAdmin
) -> BlueprintOut:
    return BlueprintOut.of(
        blueprints.update_blueprint(db, actor=staff, blueprint_id=blueprint_id, data=body)
    )


@router.post("/blueprints/{blueprint_id}/preview", response_model=PreviewOut)
def preview_blueprint(
    blueprint_id: int, db: SessionDep, staff: CentreAdmin, seed: int | None = None
) -> PreviewOut:
    return PreviewOut.model_validate(
        blueprints.preview_blueprint(db, actor=staff, blueprint_id=blueprint_id, seed=seed)
    )


# --- plans ------------------------------------------------------------------------------


@router.get("/plans", response_model=list[PlanOut])
def list_plans(db: SessionDep, staff: CentreAdmin) -> list[PlanOut]:
    return [PlanOut.of(s) for s in plans.list_plans(db, actor=staff)]


@router.post("/plans", response_model=PlanOut, status_code=201)
def create_plan(body: PlanCreate, db: SessionDep, staff: CentreAdmin) -> PlanOut:
    plan = plans.create_plan(db, actor=staff, data=body)
    return PlanOut.of(plans.plan_summary(db, actor=staff, plan_id=plan.id or 0))


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: int, db: SessionDep, staff: CentreAdmin) -> PlanOut:
    return PlanOut.of(plans.plan_summary(db, actor=staff, plan_id=plan_id))


# --- sessions ---------------------------------------------------------------------------


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(
    db: SessionDep, staff: CentreStaff, plan_id: int | None = None
) -> list[SessionOut]:
    """Proctors get only the sessions they are assigned to."""
    return [SessionOut.of(s) for s in sessions.list_sessions(db, actor=staff, plan_id=plan_id)]


@router.post("/sessions", response_model=SessionOut, status_code=201)
def create_session(body: SessionCreate, db: SessionDep, staff: CentreAdmin) -> SessionOut:
    session = sessions.create_session(db, actor=staff, data=body)
    return SessionOut.of(
        sessions.session_detail(db, actor=staff, session_id=session.id or 0).summary
    )


@router.get("/sessions/{session_id}", response_model=SessionOut)
def read_session(session_id: int, db: SessionDep, staff: CentreStaff) -> SessionOut:
    return SessionOut.of(sessions.session_detail(db, actor=staff, session_id=session_id).summary)


@router.put("/sessions/{session_id}/proctors", response_model=SessionOut)
def assign_proctors(
    session_id: int, body: ProctorsIn, db: SessionDep, staff: CentreAdmin
) -> SessionOut:
    sessions.assign_proctors(db, actor=staff, session_id=session_id, proctor_ids=body.proctor_ids)
    return SessionOut.of(sessions.session_detail(db, actor=staff, session_id=session_id).summary)


class ReasonIn(BaseModel):
    reason: str = ""


@router.post("/sessions/{session_id}/staffing-override", response_model=SessionOut)
def override_staffing(
    session_id: int, body: ReasonIn, db: SessionDep, staff: CentreAdmin
) -> SessionOut:
    """Let an understaffed room open (DOMAIN.md §2 is enforced at the opening)."""
    sessions.override_staffing(db, actor=staff, session_id=session_id, reason=body.reason)
    return SessionOut.of(sessions.session_detail(db, actor=staff, session_id=session_id).summary)


@router.get("/sessions/{session_id}/registrations", response_model=list[RegistrationOut])
def list_registrations(
    session_id: int, db: SessionDep, staff: RosterReader
) -> list[RegistrationOut]:
    return [
        RegistrationOut.of(r.registration, r.candidate)
        for r in sessions.list_registrations(db, actor=staff, session_id=session_id)
    ]


@router.post("/sessions/{session_id}/registrations", response_model=RegisteredOut, status_code=201)
def register_candidate(
    session_id: int, body: RegistrationCreate, db: SessionDep, staff: CentreAdmin
) -> RegisteredOut:
    """申报条件 are checked for the plan's level: a candidate who qualifies by no route is
    refused (422 `not_eligible`, each route's missing conditions in `details`) unless
    `eligibility_override_reason` is given (audited)."""
    done = registrations.register(db, actor=staff, session_id=session_id, data=body)
    reg = done.registration
    cand = candidates.get_candidate(db, actor=staff, candidate_id=reg.candidate_id)
    return RegisteredOut(
        **RegistrationOut.of(reg, cand).model_dump(),
        eligibility=EligibilityOut.of(done.eligibility, reg.eligibility_override_reason),
    )


@router.post(
    "/sessions/{session_id}/registrations/excel",
    response_model=RosterImportOut,
    status_code=201,
)
def import_roster(
    session_id: int,
    file: Annotated[
        UploadFile,
        File(
            description="考生名单 .xlsx 或 .csv（姓名、身份证号、联系电话、工作单位，"
            "以及考生档案的常用列：学历、毕业时间、从业年限、已有证书等级等，见模板）"
        ),
    ],
    db: SessionDep,
    staff: CentreAdmin,
) -> RosterImportOut:
    """All or nothing: any problem in any row → 422 listing every row's problems, a new
    candidate meeting no 申报条件 route among them (column 申报条件). Candidates already
    registered in the session are skipped and listed."""
    result = registrations.import_roster(
        db, actor=staff, session_id=session_id, content=file.file.read()
    )
    return RosterImportOut(
        registered=len(result.registrations),
        new_candidates=result.new_candidates,
        summary=result.summary,
        ticket_numbers=[r.ticket_number for r in result.registrations],
        skipped=[SkippedRowOut(**s.__dict__) for s in result.skipped],
    )


@router.get("/sessions/{session_id}/registrations/template.xlsx")
def registration_template(session_id: int, db: SessionDep, staff: CentreAdmin) -> Response:
    sessions.get_session(db, actor=staff, session_id=session_id)
    return Response(
        registrations.registration_template(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''roster-template.xlsx"},
    )


@router.get("/sessions/{session_id}/tickets", response_model=list[TicketOut])
def admission_tickets(session_id: int, db: SessionDep, staff: IdentityReader) -> list[TicketOut]:
    return [
        TicketOut.model_validate(t)
        for t in registrations.admission_tickets(db, actor=staff, session_id=session_id)
    ]


# --- candidates -------------------------------------------------------------------------


@router.get("/candidates", response_model=list[CandidateOut])
def list_candidates(db: SessionDep, staff: CentreAdmin, q: str = "") -> list[CandidateOut]:
    return [
        CandidateOut.model_validate(c) for c in candidates.list_candidates(db, actor=staff, q=q)
    ]


@router.post("/candidates", response_model=CandidateOut, status_code=201)
def create_candidate(body: CandidateIn, db: SessionDep, staff: CentreAdmin) -> CandidateOut:
    """The same ID number again returns the existing candidate."""
    return CandidateOut.model_validate(candidates.create_candidate(db, actor=staff, data=body))


@router.get("/candidates/{candidate_id}", response_model=CandidateOut)
def get_candidate(candidate_id: int, db: SessionDep, staff: CentreAdmin) -> CandidateOut:
    return CandidateOut.model_validate(
        candidates.get_candidate(db, actor=staff, candidate_id=candidate_id)
    )


# --- corrections (更正): each with a reason; refused (409 attempt_started) once the
# candidates concerned started -----------------------------------------------------------


class CandidateUpdateIn(BaseModel):
    name: str
    id_number: str
    phone: str = ""
    employer: str = ""
    reason: str = ""


class CandidateRecordOut(BaseModel):
    """The candidate's record (考生档案) and their history as one person, by ID number at
    every centre: Jiping's certificates, results, subsidies."""

    candidate: CandidateOut
    facts: HolderFacts
    certificates: list[history.CertificateEntry]
    results: list[history.ResultEntry]
    subsidies: list[history.SubsidyEntry]


class MoveIn(BaseModel):
    session_id: int
    reason: str = ""


class MoveOut(BaseModel):
    withdrawn: RegistrationOut
    registration: RegistrationOut
    summary: str


@router.patch("/plans/{plan_id}", response_model=PlanOut)
def update_plan(plan_id: int, body: PlanUpdate, db: SessionDep, staff: CentreAdmin) -> PlanOut:
    corrections.update_plan(db, actor=staff, plan_id=plan_id, data=body)
    return PlanOut.of(plans.plan_summary(db, actor=staff, plan_id=plan_id))


@router.post("/plans/{plan_id}/cancel", response_model=PlanOut)
def cancel_plan(plan_id: int, body: ReasonIn, db: SessionDep, staff: CentreAdmin) -> PlanOut:
    """The plan and its sessions still scheduled are cancelled."""
    corrections.cancel_plan(db, actor=staff, plan_id=plan_id, reason=body.reason)
    return PlanOut.of(plans.plan_summary(db, actor=staff, plan_id=plan_id))


@router.patch("/sessions/{session_id}", response_model=SessionOut)
def update_session(
    session_id: int, body: SessionUpdate, db: SessionDep, staff: CentreAdmin
) -> SessionOut:
    """A start in the past needs `confirm_past_start`."""
    corrections.update_session(db, actor=staff, session_id=session_id, data=body)
    return SessionOut.of(sessions.session_detail(db, actor=staff, session_id=session_id).summary)


@router.post("/sessions/{session_id}/cancel", response_model=SessionOut)
def cancel_session(
    session_id: int, body: ReasonIn, db: SessionDep, staff: CentreAdmin
) -> SessionOut:
    corrections.cancel_session(db, actor=staff, session_id=session_id, reason=body.reason)
    return SessionOut.of(sessions.session_detail(db, actor=staff, session_id=session_id).summary)


@router.post("/registrations/{registration_id}/withdraw", response_model=RegistrationOut)
def withdraw_registration(
    registration_id: int, body: ReasonIn, db: SessionDep, staff: CentreAdmin
) -> RegistrationOut:
    reg = corrections.withdraw_registration(
        db, actor=staff, registration_id=registration_id, reason=body.reason
    )
    return RegistrationOut.of(
        reg, candidates.get_candidate(db, actor=staff, candidate_id=reg.candidate_id)
    )


@router.post("/registrations/{registration_id}/move", response_model=MoveOut)
def move_registration(
    registration_id: int, body: MoveIn, db: SessionDep, staff: CentreAdmin
) -> MoveOut:
    """To another session of the same plan, open for entry: a new seat and ticket there."""
    moved = corrections.move_registration(
        db,
        actor=staff,
        registration_id=registration_id,
        session_id=body.session_id,
        reason=body.reason,
    )
    cand = candidates.get_candidate(db, actor=staff, candidate_id=moved.new.candidate_id)
    return MoveOut(
        withdrawn=RegistrationOut.of(moved.old, cand),
        registration=RegistrationOut.of(moved.new, cand),
        summary=moved.summary,
    )


@router.get("/candidates/{candidate_id}/record", response_model=CandidateRecordOut)
def candidate_record(candidate_id: int, db: SessionDep, staff: CentreAdmin) -> CandidateRecordOut:
    h = history.history(db, actor=staff, candidate_id=candidate_id)
    return CandidateRecordOut(
        candidate=CandidateOut.model_validate(h.candidate),
        facts=candidates.facts_of(h.candidate),
        certificates=h.certificates,
        results=h.results,
        subsidies=h.subsidies,
    )


@router.put("/candidates/{candidate_id}/facts", response_model=HolderFacts)
def update_candidate_facts(
    candidate_id: int, body: CandidateFactsUpdate, db: SessionDep, staff: CentreAdmin
) -> HolderFacts:
    """Replace the candidate's record, with the reason (audited); 409 `facts_in_use` once a
    certificate was issued with it."""
    cand = candidates.update_facts(
        db, actor=staff, candidate_id=candidate_id, facts=body.facts, reason=body.reason
    )
    return candidates.facts_of(cand)


@router.patch("/candidates/{candidate_id}", response_model=CandidateOut)
def update_candidate(
    candidate_id: int, body: CandidateUpdateIn, db: SessionDep, staff: CentreAdmin
) -> CandidateOut:
    """Name and ID number until the candidate's first start; contact details always."""
    data = CandidateIn(**body.model_dump(exclude={"reason"}))
    return CandidateOut.model_validate(
        corrections.update_candidate(
            db, actor=staff, candidate_id=candidate_id, data=data, reason=body.reason
        )
    )
