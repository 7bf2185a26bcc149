"""The reason every staff action on a candidate's exam carries (DOMAIN.md §7: traceable),
checked the same way wherever the action starts. Pure."""

from app.core.errors import ValidationFailed

REASON_MAX = 500


def clean_reason(reason: str | None) -> str:
    """The reason, trimmed; a blank or overlong reason is refused."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            "请填写操作原因",
            code="reason_required",
            details=[{"field": "reason", "problem": "必填"}],
        )
    if len(text) > REASON_MAX:
        raise ValidationFailed(
            f"原因不能超过 {REASON_MAX} 字",
            code="reason_too_long",
            details=[{"field": "reason", "problem": f"不能超过 {REASON_MAX} 字"}],
        )
    return text
