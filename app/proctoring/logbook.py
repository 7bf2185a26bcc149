"""The session log as proctors read it: recorded staff actions (AuditEntry) and the
candidates' own events (AttemptEvent) turned into lines with who, what, whom and why.
The query that finds them is proctoring.service.session_log; this module only presents."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.audit.models import AuditEntry
from app.delivery.models import RELOGIN_EVENT, AttemptEvent

# What the session log calls each recorded action or event; unknown ones show their code.
ACTION_NAMES = {
    "session.create": "创建场次",
    "session.assign_proctors": "安排监考员",
    "registration.create": "报名",
    "registration.import": "导入考生名单",
    "registration.checkin": "签到（人证合一）",
    "incident.record": "记录考场事件",
    "session.pause_all": "全场暂停",
    "session.resume_all": "全场继续",
    "session.message": "发送消息",
    "message": "收到监考员消息",
    "attempt.pause": "暂停考试",
    "attempt.resume": "继续考试",
    "attempt.extra_time": "延长时间",
    "attempt.force_submit": "强制收卷",
    "attempt.reopen": "重新开放",
    "attempt.submit": "交卷",
    "start": "开始作答",
    "answer": "作答",
    "blur": "离开考试窗口",
    "focus": "返回考试窗口",
    "offline": "网络断开",
    "reconnect": "网络恢复",
    RELOGIN_EVENT: "再次登录（前一登录已结束）",
}

# Registration id → (seat, candidate name), for the session's registrations.
People = Mapping[int | None, tuple[int, str]]


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    who: str
    who_kind: str  # staff | candidate | system
    action: str  # the recorded code
    subject: str  # "12 号 张三", or "全场"
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def what(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def subject(people: People, registration_id: int | None) -> str:
    """Whom a line is about: "12 号 张三", or "全场" for the whole room."""
    if registration_id not in people:
        return "全场"
    seat, name = people[registration_id]
    return f"{seat} 号 {name}"


def from_audit(
    entry: AuditEntry, attempt_registrations: Mapping[int | None, int], people: People
) -> LogEntry:
    """A staff action, with the reason the audit trail carries."""
    registration_id = {
        "attempt": attempt_registrations.get(entry.object_id or 0),
        "registration": entry.object_id,
        "incident": entry.detail.get("registration_id"),
    }.get(entry.object_type)
    return LogEntry(
        at=entry.at,
        who=entry.actor_name,
        who_kind=entry.actor_kind,
        action=entry.action,
        subject=subject(people, registration_id),
        reason=entry.reason,
        detail=entry.detail,
    )


def from_event(event: AttemptEvent, people: People) -> LogEntry:
    """A candidate's own event, or the system's (a time-out closing the paper)."""
    system = event.detail.get("by") == "system"
    return LogEntry(
        at=event.at,
        who="系统" if system else people[event.registration_id][1],
        who_kind="system" if system else "candidate",
        action=event.kind,
        subject=subject(people, event.registration_id),
        reason=str(event.detail.get("reason", "")),
        detail=event.detail,
    )
