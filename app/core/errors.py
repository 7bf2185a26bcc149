"""Domain errors: each carries its HTTP status, a stable code for the API and a message
a person can act on (in Chinese, shown on pages as is)."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class AuthRequired(DomainError):
    status_code = 401
    code = "auth_required"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """Input that breaks a rule; `details` lists each problem with its place."""

    status_code = 422
    code = "validation_failed"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class PasswordChangeRequired(DomainError):
    """A staff member with a temporary password: pages send them to /account/password."""

    status_code = 403
    code = "password_change_required"
