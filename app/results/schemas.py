"""What results look like to staff and candidates: built by results.service, rendered by
the pages (app/web/results.py) and returned as is by the JSON API (app/api/results.py).
Times are naive UTC."""

from enum import StrEnum

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
