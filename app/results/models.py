"""Practical assessment (技能考核) records: the sitting, its examiner panel, each
candidate's practical paper, every examiner's mark sheet and the chief examiner's
arbitrations. A submitted sheet is never changed; an arbitration supersedes the mean."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class PracticalSession(SQLModel, table=True):
    """技能考核场次 (or 综合评审 sitting): the panel-marked component of one theory session's
    candidates. A candidate keeps their admission ticket and seat (工位号 = 座位号), as one
    准考证 covers the whole assessment."""

    __table_args__ = (UniqueConstraint("exam_session_id", "component"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    exam_session_id: int = Field(foreign_key="examsession.id")
    # practical (技能考核) or review (综合评审, 技师/高级技师): one of each per theory session
    component: str = Field(default="practical", max_length=16)
    name: str = Field(max_length=100)
    site: str = Field(max_length=100)  # 考核地点 (实训室)
    starts_at: NaiveDatetime  # UTC
    duration_minutes: int
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class PanelMember(SQLModel, table=True):
    """考评员 of a practical session; one of them is the chief examiner (考评组长)."""

    practical_session_id: int = Field(foreign_key="practicalsession.id", primary_key=True)
    staff_user_id: int = Field(foreign_key="staffuser.id", primary_key=True)
    is_chief: bool = False


class PaperTask(SQLModel, table=True):
    """One task of a candidate's practical paper (技能考核试卷), drawn from the plan's
    sections; the version is the rubric the candidate is marked against."""

    __table_args__ = (UniqueConstraint("practical_session_id", "registration_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    practical_session_id: int = Field(foreign_key="practicalsession.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    position: int  # 1-based, the section's order
    # The practical task's version; None for a 综合评审 sheet, whose criteria are `rubric`.
    task_version_id: int | None = Field(default=None, foreign_key="practicaltaskversion.id")
    rubric: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    weight: float  # share of the component's 100 points


class SheetStatus(StrEnum):
    DRAFT = "draft"  # 评分中: saved as the examiner goes
    SUBMITTED = "submitted"  # 已提交: final, never changed


class MarkSheet(SQLModel, table=True):
    """评分表: one examiner's independent marks for one task of one candidate."""

    __table_args__ = (UniqueConstraint("paper_task_id", "examiner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    paper_task_id: int = Field(foreign_key="papertask.id", index=True)
    examiner_id: int = Field(foreign_key="staffuser.id", index=True)
    marks: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # {"A1": 4.5, ...}
    vetoes: list[str] = Field(default_factory=list, sa_type=JSON)  # veto codes ticked
    comment: str = ""
    total: float | None = None  # set on submission
    status: str = Field(default=SheetStatus.DRAFT, max_length=16)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
    submitted_at: NaiveDatetime | None = None


class Arbitration(SQLModel, table=True):
    """仲裁: the chief examiner's decision on a task whose examiners' totals differ by more
    than the plan's tolerance. The totals it decided on are kept with it."""

    id: int | None = Field(default=None, primary_key=True)
    paper_task_id: int = Field(foreign_key="papertask.id", unique=True)
    chief_id: int = Field(foreign_key="staffuser.id")
    score: float
    reason: str
    totals: list[float] = Field(default_factory=list, sa_type=JSON)
    decided_at: NaiveDatetime = Field(default_factory=utcnow)


class StandingStatus(StrEnum):
    ABSENT = "absent"  # 缺考
    DISQUALIFIED = "disqualified"  # 违纪


class ComponentStanding(SQLModel, table=True):
    """A candidate recorded 缺考 or 违纪 in one component by the centre, with the reason
    (and for 违纪 the proctor's incident that caused it). It overrides the component's score."""

    __table_args__ = (UniqueConstraint("registration_id", "component"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    component: str = Field(max_length=16)  # exams.components.Component
    status: str = Field(max_length=16)  # StandingStatus
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    reason: str
    recorded_by: int = Field(foreign_key="staffuser.id")
    recorded_at: NaiveDatetime = Field(default_factory=utcnow)


class ResultState(StrEnum):
    DRAFT = "draft"  # 待确认: recomputed when its inputs change
    CONFIRMED = "confirmed"  # 已确认: locked; changed only through 复核
    PUBLISHED = "published"  # 已公布: the candidate sees it


class Result(SQLModel, table=True):
    """成绩: a candidate's result in one plan, as an explicit record: every component's
    standing and score, the composite where the scheme has one, the outcome and its reasons
    (app/results/rules.decide). Confirmed results are locked; certificates build on them."""

    __table_args__ = (UniqueConstraint("plan_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    # [{"component": "theory", "status": "scored", "score": 72.5, "incident_id": null,
    #   "note": ""}, ...] in the plan's order (rules.MarkStatus)
    components: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    composite: float | None = None
    outcome: str = Field(max_length=16)  # rules.Outcome
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(default=ResultState.DRAFT, max_length=16)
    computed_at: NaiveDatetime = Field(default_factory=utcnow)
    confirmed_at: NaiveDatetime | None = None
    confirmed_by: int | None = Field(default=None, foreign_key="staffuser.id")
    published_at: NaiveDatetime | None = None
    published_by: int | None = Field(default=None, foreign_key="staffuser.id")


class RecheckMethod(StrEnum):
    REMARK = "remark"  # 复评: another examiner marks the component again
    READD = "readd"  # 复核加分: the marks are checked and added up again


class RecheckRequest(SQLModel, table=True):
    """复核: a candidate's request to re-check one component of a published result, and the
    centre's decision with the old and new score. A changed score puts the result back to
    be confirmed again."""

    id: int | None = Field(default=None, primary_key=True)
    result_id: int = Field(foreign_key="result.id", index=True)
    component: str = Field(max_length=16)
    reason: str  # the candidate's
    requested_at: NaiveDatetime = Field(default_factory=utcnow)
    method: str | None = Field(default=None, max_length=16)  # RecheckMethod, once decided
    remarked_by: int | None = Field(default=None, foreign_key="staffuser.id")  # 复评 examiner
    old_score: float | None = None
    new_score: float | None = None
    decision: str = ""  # what was found, for the candidate
    decided_by: int | None = Field(default=None, foreign_key="staffuser.id")
    decided_at: NaiveDatetime | None = None


class EvaluationDecision(StrEnum):
    APPOINTED = "appointed"  # 评聘
    NOT_APPOINTED = "not_appointed"  # 未评聘


class EnterpriseEvaluation(SQLModel, table=True):
    """企业评聘: the enterprise evaluation of a 特级技师 or 首席技师 (DOMAIN.md §1: posts
    filled by enterprise evaluation, not by an exam): the panel's scores, the decision
    and the appointment document it rests on. Certificates of these levels are issued
    from an appointed evaluation (certificates.service.issue_from_evaluation)."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)  # the enterprise
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    occupation_id: int = Field(foreign_key="occupation.id")
    level_code: str = Field(max_length=32)  # principal_technician / chief_technician
    # [{"name": "王工", "title": "评审组长", "score": 86}, ...]: odd, at least three
    panel: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    score: float  # the panel's mean, rounded per results.rules
    pass_mark: float = 60
    decision: str = Field(max_length=16)  # EvaluationDecision
    basis: str = Field(max_length=200)  # 聘任文件 (the enterprise's appointment document)
    decided_on: date
    recorded_by: int = Field(foreign_key="staffuser.id")
    recorded_at: NaiveDatetime = Field(default_factory=utcnow)


class MarkingJob(SQLModel, table=True):
    """阅卷任务: the examiners who mark the written answers (简答, 论述/计算) of one theory
    session, marking by item across candidates and blind to who wrote them. Each response is
    marked twice (双评); beyond the tolerance a third examiner marks (三评), and if the
    third is beyond it from both, the chief examiner (阅卷组长) decides (仲裁)."""

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    exam_session_id: int = Field(foreign_key="examsession.id", unique=True)
    # The most two marks may differ, as a percentage of the item's points on the paper
    # (an item's key may set its own).
    tolerance_percent: float = 20
    created_by: int = Field(foreign_key="staffuser.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class MarkingJobMember(SQLModel, table=True):
    """An examiner of a marking job; one is the chief (阅卷组长)."""

    marking_job_id: int = Field(foreign_key="markingjob.id", primary_key=True)
    staff_user_id: int = Field(foreign_key="staffuser.id", primary_key=True)
    is_chief: bool = False
