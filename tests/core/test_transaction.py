"""The request's transaction ends by the response's status: < 400 commits, >= 400 rolls back,
whatever produced the response (a handler's own 4xx page, an error handler, an exception)."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.responses import Response

from app.accounts.models import LoginFailure
from app.core import db as core_db
from app.core.db import (
    RequestTransaction,
    SessionDep,
    end_in_handler,
    keep_if_refused,
    session_scope,
)
from app.core.errors import Conflict


def _subjects(engine: Engine) -> list[str]:
    with Session(engine) as db:
        return sorted(f.subject for f in db.exec(select(LoginFailure)))


@pytest.fixture
def tiny(engine: Engine) -> Iterator[TestClient]:
    app = FastAPI()
    app.add_middleware(RequestTransaction)

    @app.exception_handler(Conflict)
    async def _conflict(_request: object, exc: Conflict) -> Response:
        return JSONResponse({"code": exc.code}, status_code=exc.status_code)

    @app.post("/write/{status}")
    def write(status: int, db: SessionDep) -> Response:
        db.add(LoginFailure(subject=f"wrote-{status}"))
        db.flush()
        return Response(status_code=status)

    @app.post("/raise")
    def raise_domain_error(db: SessionDep) -> None:
        db.add(LoginFailure(subject="raised"))
        db.flush()
        raise Conflict("冲突")

    @app.post("/crash")
    def crash(db: SessionDep) -> None:
        db.add(LoginFailure(subject="crashed"))
        db.flush()
        raise RuntimeError("boom")

    @app.post("/refused-but-counted")
    def counted(db: SessionDep) -> Response:
        db.add(LoginFailure(subject="discarded"))
        keep_if_refused(db, LoginFailure(subject="counted"))
        return Response(status_code=401)

    @app.post("/ended-in-handler")
    def ended(db: SessionDep) -> Response:
        db.add(LoginFailure(subject="ended-here"))
        db.flush()
        end_in_handler(db)
        return Response(status_code=200)

    @app.post("/ended-then-read-again")
    def ended_then_read(db: SessionDep) -> Response:
        db.add(LoginFailure(subject="ended-first"))
        end_in_handler(db)
        # A later statement opens a new transaction on the closed session: the
        # middleware ends that one as usual.
        db.add(LoginFailure(subject="after-the-end"))
        db.flush()
        return Response(status_code=200)

    @app.post("/accepted-and-counted")
    def accepted(db: SessionDep) -> Response:
        keep_if_refused(db, LoginFailure(subject="kept-on-success"))
        return Response(status_code=200)

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("status", [200, 201, 204, 303])
def test_a_response_below_400_commits(tiny: TestClient, engine: Engine, status: int) -> None:
    assert tiny.post(f"/write/{status}", follow_redirects=False).status_code == status
    assert _subjects(engine) == [f"wrote-{status}"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429, 500])
def test_a_response_of_400_or_more_rolls_back_even_when_the_handler_returned_it(
    tiny: TestClient, engine: Engine, status: int
) -> None:
    assert tiny.post(f"/write/{status}").status_code == status
    assert _subjects(engine) == []


def test_raised_errors_roll_back(tiny: TestClient, engine: Engine) -> None:
    assert tiny.post("/raise").json() == {"code": "conflict"}
    assert tiny.post("/crash").status_code == 500
    assert _subjects(engine) == []


def test_a_record_of_the_refusal_survives_the_rollback(tiny: TestClient, engine: Engine) -> None:
    assert tiny.post("/refused-but-counted").status_code == 401
    assert _subjects(engine) == ["counted"]
    assert tiny.post("/accepted-and-counted").status_code == 200
    assert _subjects(engine) == ["counted", "kept-on-success"]


def test_outside_a_request_the_unit_of_work_keeps_the_same_rule(engine: Engine) -> None:
    with pytest.raises(Conflict), session_scope() as db:
        db.add(LoginFailure(subject="discarded"))
        keep_if_refused(db, LoginFailure(subject="counted"))
        raise Conflict("冲突")
    assert _subjects(engine) == ["counted"]


def test_a_hot_handler_ends_its_own_transaction_without_another_hop(
    tiny: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ends: list[bool] = []
    real = core_db._end_and_close

    def counted(session: Session, commit: bool) -> None:
        ends.append(commit)
        real(session, commit)

    monkeypatch.setattr(core_db, "_end_and_close", counted)
    assert tiny.post("/ended-in-handler").status_code == 200
    assert _subjects(engine) == ["ended-here"]
    assert ends == [True]  # once, in the handler: the middleware had nothing left to end


def test_work_after_the_handler_ended_its_transaction_is_still_ended_by_the_middleware(
    tiny: TestClient, engine: Engine
) -> None:
    assert tiny.post("/ended-then-read-again").status_code == 200
    assert _subjects(engine) == ["after-the-end", "ended-first"]
