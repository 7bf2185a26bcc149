"""What results look like to staff and candidates: built by results.service, rendered by
the pages (app/web/results.py) and returned as is by the JSON API (app/api/results.py).
Times are naive UTC."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, NaiveDatetime


class ResultStatus(StrEnum):
    """Where a registration stands. The attempt statuses, plus the two without one."""

    NOT_STARTED = "not_started"  # 未开考: the session has not ended yet
    ABSENT = "absent"  # 缺考: the session ended without an attempt
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"


RESULT_STATUS_NAMES = {
    ResultStatus.NOT_STARTED: "未开考",
    ResultStatus.ABSENT: "缺考",
    ResultStatus.IN_PROGRESS: "作答中",
    ResultStatus.PAUSED: "已暂停",
    ResultStatus.SUBMITTED: "已交卷",
}


class ResultFilter(StrEnum):
    ALL = "all"
    SUBMITTED = "submitted"
    NOT_SUBMITTED = "not_submitted"
    PASSED = "passed"
    FAILED = "failed"


RESULT_FILTER_NAMES = {
    ResultFilter.ALL: "全部",
    ResultFilter.SUBMITTED: "已交卷",
    ResultFilter.NOT_SUBMITTED: "未交卷",
    ResultFilter.PASSED: "合格",
    ResultFilter.FAILED: "不合格",
}


class SessionResultSummary(BaseModel):
    """One session (场次) with its result counts."""

    session_id: int
    name: str
    room: str
    plan_id: int
    plan_name: str
    starts_at: NaiveDatetime
    ends_at: NaiveDatetime
    pass_mark: float
    registered: int
    submitted: int
    scored: int
    passed: int
    average: float | None  # mean theory score of the scored attempts, to 0.1


class ResultRow(BaseModel):
    registration_id: int
    attempt_id: int | None
    candidate_name: str
    ticket_number: str
    seat_number: int
    status: ResultStatus
    status_name: str
    score: float | None
    passed: bool | None  # None until scored
    submitted_at: NaiveDatetime | None
    submit_reason: str | None  # delivery.models.SubmitReason
    submit_reason_name: str


class SessionResults(BaseModel):
    session: SessionResultSummary
    only: ResultFilter
    rows: list[ResultRow]


class ItemResult(BaseModel):
    """One question of an attempt as staff review it: the answer and the key are both
    in the letters the candidate saw (their option order)."""

    position: int
    section: int
    item_type: str
    type_name: str
    area_code: str
    area_name: str
    point_code: str
    point_name: str
    stem: str
    response: str  # "" when blank
    key: str
    awarded: float | None  # None: not scored
    max_points: float
    outcome: str | None  # app.itemtypes.Outcome
    outcome_name: str


class SectionResult(BaseModel):
    index: int
    title: str  # 一、单项选择题（共 40 题，每题 1.5 分）
    awarded: float
    max_points: float
    items: list[ItemResult]


class AreaResult(BaseModel):
    """Points per assessment area (鉴定范围) of the 鉴定要素细目表."""

    code: str
    name: str
    awarded: float
    max_points: float


class AttemptBreakdown(BaseModel):
    attempt_id: int
    registration_id: int
    session_id: int
    session_name: str
    plan_name: str
    candidate_name: str
    ticket_number: str
    status: ResultStatus
    status_name: str
    started_at: NaiveDatetime
    submitted_at: NaiveDatetime | None
    submit_reason: str | None
    submit_reason_name: str
    score: float | None
    max_score: float
    pass_mark: float
    passed: bool | None
    multiple_choice_rule: str
    multiple_choice_rule_name: str
    sections: list[SectionResult]
    areas: list[AreaResult]


class CandidateResult(BaseModel):
    """What a candidate may see of their own result: never the items or the key, and the
    score only where the plan shows scores to candidates."""

    candidate_name: str
    ticket_number: str
    plan_name: str
    session_name: str
    status: ResultStatus
    status_name: str
    submitted_at: NaiveDatetime | None
    score_visible: bool
    score: float | None
    pass_mark: float | None
    passed: bool | None
    message: str


# -- practical marking (技能考核评分) ---------------------------------------------------------


class PracticalSectionIn(BaseModel):
    task_ids: list[int]  # PracticalTask ids: one is drawn per candidate
    weight: float  # share of the practical's 100 points


class PracticalPaperIn(BaseModel):
    sections: list[PracticalSectionIn]


class PracticalSessionCreate(BaseModel):
    exam_session_id: int  # the theory session whose candidates sit this practical
    component: str = "practical"  # practical (技能考核) | review (综合评审)
    name: str
    site: str  # 考核地点
    starts_at: datetime  # China time when naive
    duration_minutes: int | None = None  # default: the plan's practical minutes
    examiner_ids: list[int]  # the panel: odd, three or more
    chief_examiner_id: int  # 考评组长, one of the panel


class ReviewCriterionIn(BaseModel):
    code: str  # R1
    name: str  # 工作业绩
    points: float
    step: float = 1
    earns: str = ""  # what earns the points


class ReviewSheetIn(BaseModel):
    criteria: list[ReviewCriterionIn]


class SheetIn(BaseModel):
    marks: dict[str, float | str | None] = {}  # {"A1": 4.5}; blank: not yet marked
    vetoes: list[str] = []  # veto criteria ticked
    comment: str = ""


class ArbitrationIn(BaseModel):
    score: float
    reason: str


class CriterionOut(BaseModel):
    code: str
    name: str
    points: float
    step: float
    earns: str
    deductions: list[dict[str, Any]]
    veto: bool


class SheetOut(BaseModel):
    """One examiner's sheet as that examiner sees it."""

    paper_task_id: int
    status: str  # draft | submitted | "" (not started)
    marks: dict[str, float]
    vetoes: list[str]
    comment: str
    total: float | None
    updated_at: NaiveDatetime | None
    submitted_at: NaiveDatetime | None


class TaskOnPaper(BaseModel):
    """A task of a candidate's paper with its rubric, for marking."""

    paper_task_id: int
    position: int
    title: str
    minutes: int
    points: float
    weight: float
    instructions: str
    materials: list[str]
    criteria: list[CriterionOut]
    sheet: SheetOut
    submitted_count: int  # examiners who have submitted (never their marks)
    panel_size: int
    status: str  # TaskStatus
    status_name: str


class MarkingPage(BaseModel):
    """What an examiner marks for one candidate: ticket and seat, never name or ID (blind)."""

    practical_session_id: int
    session_name: str
    site: str
    registration_id: int
    ticket_number: str
    seat_number: int
    is_chief: bool
    tasks: list[TaskOnPaper]


class RosterTask(BaseModel):
    paper_task_id: int
    position: int
    title: str
    my_status: str  # draft | submitted | ""
    status: str  # TaskStatus
    status_name: str


class RosterRow(BaseModel):
    registration_id: int
    ticket_number: str
    seat_number: int
    tasks: list[RosterTask]


class MarkingRoster(BaseModel):
    practical_session_id: int
    session_name: str
    site: str
    starts_at: NaiveDatetime
    is_chief: bool
    panel_size: int
    rows: list[RosterRow]


class ExaminerSessionOut(BaseModel):
    practical_session_id: int
    name: str
    site: str
    plan_name: str
    starts_at: NaiveDatetime
    is_chief: bool
    candidates: int
    my_submitted: int  # sheets this examiner has submitted
    sheets_to_mark: int  # tasks on the papers (each needs this examiner's sheet)


class ArbitrationSheet(BaseModel):
    examiner_name: str
    marks: dict[str, float]
    vetoes: list[str]
    comment: str
    total: float


class ArbitrationPage(BaseModel):
    """For the chief examiner: every examiner's submitted sheet of one task, and the decision."""

    paper_task_id: int
    practical_session_id: int
    ticket_number: str
    seat_number: int
    title: str
    points: float
    criteria: list[CriterionOut]
    sheets: list[ArbitrationSheet]
    spread: float | None
    tolerance: float
    status: str
    status_name: str
    decided_score: float | None
    decided_reason: str
    decided_by: str
    decided_at: NaiveDatetime | None


class PanelMemberOut(BaseModel):
    staff_user_id: int
    name: str
    is_chief: bool


class TaskScoreOut(BaseModel):
    paper_task_id: int
    position: int
    title: str
    weight: float
    points: float
    totals: list[float]  # submitted totals (shown to centre admins)
    status: str
    status_name: str
    score: float | None
    arbitrated: bool


class PracticalScoreRow(BaseModel):
    registration_id: int
    candidate_name: str
    ticket_number: str
    seat_number: int
    tasks: list[TaskScoreOut]
    score: float | None  # the practical component out of 100, once every task is final


class PracticalSessionOut(BaseModel):
    """A practical session for the centre admin: panel, papers and scores by candidate."""

    id: int
    plan_id: int
    plan_name: str
    exam_session_id: int
    name: str
    site: str
    starts_at: NaiveDatetime
    duration_minutes: int
    tolerance: float
    rounding_step: float
    panel: list[PanelMemberOut]
    without_paper: int  # registrations added after the draw
    rows: list[PracticalScoreRow]


# -- result records (成绩评定, 确认, 公布) -------------------------------------------------------


class PlanResultFilter(StrEnum):
    ALL = "all"
    PENDING = "pending"  # marking not finished
    ARBITRATION = "arbitration"  # a practical task waits for the chief examiner
    PASSED = "passed"
    FAILED = "failed"
    ABSENT = "absent"
    DISQUALIFIED = "disqualified"


PLAN_RESULT_FILTER_NAMES = {
    PlanResultFilter.ALL: "全部",
    PlanResultFilter.PENDING: "待评分",
    PlanResultFilter.ARBITRATION: "待仲裁",
    PlanResultFilter.PASSED: "合格",
    PlanResultFilter.FAILED: "不合格",
    PlanResultFilter.ABSENT: "缺考",
    PlanResultFilter.DISQUALIFIED: "违纪",
}

RESULT_STATE_NAMES = {"draft": "待确认", "confirmed": "已确认", "published": "已公布"}
MARK_STATUS_NAMES = {"scored": "", "pending": "未出", "absent": "缺考", "disqualified": "违纪"}


class ComponentOut(BaseModel):
    component: str  # theory | practical | review | enterprise
    name: str
    status: str  # scored | pending | absent | disqualified
    status_name: str
    score: float | None
    pass_mark: float
    weight: float | None  # 1+X: percent of the composite
    incident_id: int | None = None
    note: str = ""


class ResultOut(BaseModel):
    id: int
    registration_id: int
    candidate_name: str
    ticket_number: str
    components: list[ComponentOut]
    composite: float | None
    outcome: str  # passed | failed | pending | absent | disqualified
    outcome_name: str
    reasons: list[str]
    awaiting_arbitration: bool
    state: str  # draft | confirmed | published
    state_name: str
    computed_at: NaiveDatetime
    confirmed_at: NaiveDatetime | None
    published_at: NaiveDatetime | None


class PlanResults(BaseModel):
    plan_id: int
    plan_name: str
    level: str
    composite_pass_mark: float | None
    only: PlanResultFilter
    counts: dict[str, int]  # by filter, over the whole plan
    states: dict[str, int]  # draft / confirmed / published
    rows: list[ResultOut]


class RefreshOut(BaseModel):
    created: int
    updated: int
    locked: int  # confirmed or published: left as they are


class StandingIn(BaseModel):
    """缺考 or 违纪 in one component; 违纪 names the proctor's incident."""

    component: str
    status: str  # absent | disqualified
    incident_id: int | None = None
    reason: str


class AssessmentResult(BaseModel):
    """A candidate's own published result."""

    plan_name: str
    occupation: str
    level: str
    ticket_number: str
    components: list[ComponentOut]
    composite: float | None
    composite_pass_mark: float | None
    outcome: str
    outcome_name: str
    reasons: list[str]
    published_at: NaiveDatetime
    recheck_until: NaiveDatetime  # last moment (UTC) a 复核 may be requested
    recheck_open: bool
    rechecks: list["RecheckOut"] = []


# -- 复核 (re-check) ------------------------------------------------------------------------------

RECHECK_METHOD_NAMES = {
    "remark": "复评（另一名考评员重新评分）",
    "readd": "复核加分（核对评分与合分）",
}


class RecheckIn(BaseModel):
    component: str
    reason: str


class RecheckDecisionIn(BaseModel):
    method: str  # remark | readd
    new_score: float  # the component's score after the re-check (the old one if unchanged)
    decision: str  # what was found, shown to the candidate
    examiner_id: int | None = None  # 复评: the examiner who re-marked


class RecheckOut(BaseModel):
    id: int
    result_id: int
    ticket_number: str
    candidate_name: str
    component: str
    component_name: str
    reason: str
    requested_at: NaiveDatetime
    decided: bool
    method: str | None
    method_name: str
    remarked_by: str
    old_score: float | None
    new_score: float | None
    decision: str
    decided_by: str
    decided_at: NaiveDatetime | None


# -- written answers marked by people (主观题阅卷: app/results/written.py) ----------------------


class MarkingJobIn(BaseModel):
    examiner_ids: list[int]
    chief_examiner_id: int
    tolerance_percent: float = 20  # of each item's points on the paper


class WrittenItemOut(BaseModel):
    """One written item of the session, over every candidate who answered it."""

    item_version_id: int
    external_id: str
    item_type: str
    type_name: str
    stem: str
    points: float
    responses: int  # non-blank responses
    final: int
    third: int  # waiting for a third mark
    arbitration: int  # waiting for the chief examiner
    marked_by_me: int = 0
    to_mark_by_me: int = 0


class MarkingJobOut(BaseModel):
    id: int
    exam_session_id: int
    session_name: str
    plan_name: str
    tolerance_percent: float
    members: list[PanelMemberOut]
    items: list[WrittenItemOut]
    responses: int
    final: int
    arbitration: int
    attempts_pending: int  # papers whose theory score still waits for marks
    is_chief: bool = False  # the reader is the job's chief examiner


class ResponseToMark(BaseModel):
    """A response as its marker sees it: the item, its reference answer and marking points
    in the paper's points, the candidate's text. No name, ticket, seat or attempt."""

    response_id: int
    job_id: int
    item_version_id: int
    number: int  # 第 N 份 of this item, from the job's shuffle
    external_id: str
    type_name: str
    stem: str
    reference: str
    marking_points: list[dict[str, Any]]
    max_points: float
    step: float
    text: str
    third: bool  # this would be the third mark (三评)
    left: int  # responses of the item this examiner may still mark, this one included


class MarkIn(BaseModel):
    score: float
    comment: str = ""


class WrittenMarkOut(BaseModel):
    response_id: int
    score: float
    status: str  # rules.WrittenStatus after this mark
    status_name: str


class WrittenArbitration(BaseModel):
    response: ResponseToMark
    marks: list[dict[str, Any]]  # {"marker", "score", "comment"} in the order given
    tolerance: float  # in points
