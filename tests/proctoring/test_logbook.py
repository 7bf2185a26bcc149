"""proctoring.logbook: session-log lines as proctors read them, without a database."""

from datetime import datetime

from app.audit.models import AuditEntry
from app.delivery.models import AttemptEvent
from app.proctoring import logbook

AT = datetime(2026, 6, 1, 1, 30)
PEOPLE = {7: (12, "张三")}


def test_a_staff_action_names_the_candidate_through_the_attempt_and_keeps_the_reason() -> None:
    entry = AuditEntry(
        at=AT,
        actor_name="李监考",
        actor_kind="staff",
        action="attempt.extra_time",
        object_type="attempt",
        object_id=3,
        reason="停电补时",
        detail={"minutes": 10},
    )
    line = logbook.from_audit(entry, {3: 7}, PEOPLE)
    assert (line.who, line.subject, line.what, line.reason) == (
        "李监考",
        "12 号 张三",
        "延长时间",
        "停电补时",
    )


def test_a_room_wide_action_is_about_the_whole_room_and_unknown_codes_show_as_they_are() -> None:
    entry = AuditEntry(
        at=AT,
        actor_name="李监考",
        actor_kind="staff",
        action="session.frobnicate",
        object_type="exam_session",
        object_id=1,
        reason="x",
        detail={},
    )
    line = logbook.from_audit(entry, {}, PEOPLE)
    assert (line.subject, line.what) == ("全场", "session.frobnicate")


def test_a_time_out_is_the_systems_and_a_blur_the_candidates() -> None:
    timeout = AttemptEvent(at=AT, registration_id=7, kind="attempt.submit", detail={"by": "system"})
    blur = AttemptEvent(at=AT, registration_id=7, kind="blur", detail={})
    assert (
        logbook.from_event(timeout, PEOPLE).who,
        logbook.from_event(timeout, PEOPLE).who_kind,
    ) == ("系统", "system")
    assert (logbook.from_event(blur, PEOPLE).who, logbook.from_event(blur, PEOPLE).what) == (
        "张三",
        "离开考试窗口",
    )
