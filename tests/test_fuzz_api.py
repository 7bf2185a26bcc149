"""Every operation of the OpenAPI document, fed what schemathesis generates from it (long,
odd, out-of-range and malformed values included), answers without a server error.

Bounded and repeatable: a fixed number of derandomized examples per operation, against
the app in this process (no network), over one database with a real exam in it; staff
operations run as the centre's admin, the candidate's (`/api/v1/exam...`) as a candidate
with a started attempt. One test walks all operations, so the exam is built once."""

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from sqlmodel import Session

from app.main import app
from tests.delivery.support import login_of
from tests.factories import MIXED_SECTIONS, make_exam
from tests.helpers import candidate_token, staff_token

EXAMPLES_PER_OPERATION = 8
# Logging out would revoke the token the rest of the run uses.
SKIPPED = {("POST", "/api/v1/auth/logout")}


def _fuzzer(strategy: Any, auth: dict[str, str]) -> Any:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={**(case.headers or {}), **auth}, checks=[not_a_server_error]
        )

    return call


def test_no_operation_answers_a_server_error(db: Session, engine: Any) -> None:
    from app.delivery import service as delivery

    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS, require_checkin=False)
    delivery.start_attempt(db, login=login_of(exam.seats[0]))
    db.commit()
    seat = exam.seats[0]
    # This client does not run the app's lifespan: schemathesis runs it around each call
    # (the answer writer included).
    client = TestClient(app)
    tokens = {
        "staff": staff_token(client, exam.admin.username),
        "candidate": candidate_token(client, seat.ticket_number, seat.id_number),
    }
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        who = "candidate" if operation.path.startswith("/api/v1/exam") else "staff"

        call = _fuzzer(operation.as_strategy(), tokens[who])
        try:
            call()
        except Exception as exc:  # collect them all, then fail with every one named
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
