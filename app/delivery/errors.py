"""Why delivery refuses something: each error has a stable code for the API and a message
the candidate (or proctor) can act on."""

from typing import Any

from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed


class ExamNotStarted(Conflict):
    code = "exam_not_started"


class LateEntryClosed(Conflict):
    code = "late_entry_closed"


class SessionEnded(Conflict):
    code = "session_ended"


class CheckinRequired(Conflict):
    code = "checkin_required"

    def __init__(self, message: str = "请等待监考员核验身份后再开始考试") -> None:
        super().__init__(message)


class RoomUnderstaffed(Conflict):
    code = "room_understaffed"

    def __init__(
        self, message: str = "本考场监考人员配备不足，暂不能开考，请等待监考员处理"
    ) -> None:
        super().__init__(message)


class AttemptNotStarted(Conflict):
    code = "attempt_not_started"

    def __init__(self, message: str = "您还没有开始考试") -> None:
        super().__init__(message)


class AttemptPaused(Conflict):
    code = "attempt_paused"

    def __init__(self, message: str = "考试已暂停，请等待监考员恢复") -> None:
        super().__init__(message)


class AttemptClosed(Conflict):
    code = "attempt_closed"

    def __init__(self, message: str = "本场考试已交卷，不能再作答") -> None:
        super().__init__(message)


class DeadlinePassed(Conflict):
    code = "deadline_passed"

    def __init__(self, message: str = "考试时间已到，答卷已自动提交") -> None:
        super().__init__(message)


class NoSuchQuestion(NotFound):
    code = "no_such_question"

    def __init__(self, position: int) -> None:
        super().__init__(f"试卷中没有第 {position} 题")


class InvalidResponse(ValidationFailed):
    code = "invalid_response"

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(
            f"第 {position} 题的作答无效：{problem}",
            details=[{"field": "response", "problem": problem}],
        )


class AttemptNotFound(NotFound):
    code = "attempt_not_found"

    def __init__(self, message: str = "没有找到这份答卷") -> None:
        super().__init__(message)


class SaveUnavailable(DomainError):
    """The answer could not be committed; the page keeps it and retries."""

    status_code = 503
    code = "save_unavailable"

    def __init__(
        self, message: str = "答案暂未保存成功，请稍候，系统会自动重试", **kw: Any
    ) -> None:
        super().__init__(message, **kw)
