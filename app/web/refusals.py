"""A service's refusal on a page: the page shown again with what to change, its status
the error's. A missing object is not a form problem: NotFound (and any server error)
goes on to the error page."""

from typing import TypedDict

from app.core.errors import DomainError
from app.web.exams import FormErrors


class Refusal(TypedDict):
    errors: FormErrors
    status_code: int


def refused(exc: DomainError) -> Refusal:
    """The page function's `errors` and `status_code`: `return _page(..., **refused(exc))`."""
    if exc.status_code == 404 or exc.status_code >= 500:
        raise exc
    return {"errors": FormErrors(exc.message, exc.details), "status_code": exc.status_code}
