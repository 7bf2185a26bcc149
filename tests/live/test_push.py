"""The push channel: an action reaches the candidate's page and the proctor console at
once, only once committed, across instances on PostgreSQL; open pages count as present."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core import clock
from app.delivery import background
from app.live import service as live
from app.live.hub import hub
from app.proctoring import service as proctoring
from tests.browser.conftest import _free_port, live_server  # noqa: F401  (fixture)
from tests.conftest import USE_PG
from tests.factories import PASSWORD
from tests.live.support import api_token, sse, wait_for
from tests.proctoring.support import attempt_of, proctor_of, room, row_of, start


def test_an_announcement_reaches_the_stream_only_when_its_transaction_commits(
    engine: Engine,
) -> None:
    """SQLite: delivered by this process after the commit; PostgreSQL: through NOTIFY,
    which the database sends at the commit and drops on a rollback."""

    def write(topic: str, kind: str, commit: bool) -> None:
        with Session(engine) as db:
            live.announce(db, topic, {"kind": kind})
            db.commit() if commit else db.rollback()

    async def scenario() -> list[str]:
        tasks = await live.start()
        await asyncio.sleep(0.3 if USE_PG else 0)  # the listener's LISTEN is in place
        got: list[str] = []
        try:
            async with hub.subscribe(["session:1"]) as queue:
                await asyncio.to_thread(write, "session:1", "rolled-back", False)
                await asyncio.to_thread(write, "session:2", "other-topic", True)
                await asyncio.to_thread(write, "session:1", "committed", True)
                got.append(await asyncio.wait_for(queue.get(), 5))
                await asyncio.sleep(0.3)
                while not queue.empty():
                    got.append(queue.get_nowait())
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return got

    assert asyncio.run(scenario()) == ['{"kind":"committed"}']


def test_proctor_actions_reach_the_candidate_stream_within_two_seconds(
    db: Session,
    live_server: str,  # noqa: F811
) -> None:
    exam = room(db, candidates=1)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    cand = api_token(
        live_server,
        "candidate-login",
        {"ticket_number": seat.ticket_number, "id_number": seat.id_number},
    )
    staff = api_token(
        live_server, "login", {"username": exam.proctor.username, "password": PASSWORD}
    )
    api = f"{live_server}/api/v1"
    as_staff = {"Authorization": f"Bearer {staff}"}
    as_cand = {"Authorization": f"Bearer {cand}"}

    with sse(f"{api}/exam/stream", cand) as found:
        r = httpx.post(
            f"{api}/proctor/attempts/{attempt.id}/pause",
            headers=as_staff,
            json={"reason": "设备故障"},
        )
        assert r.status_code == 200, r.text
        paused = wait_for(found, "pause", within=2)
        assert paused["status"] == "paused" and 0 < paused["remaining_seconds"] <= 3600

        # While paused the server refuses answers, whatever the page does.
        save = httpx.put(f"{api}/exam/answers/1", headers=as_cand, json={"response": {}, "seq": 1})
        assert save.status_code == 409 and save.json()["error"]["code"] == "attempt_paused"

        httpx.post(
            f"{api}/proctor/attempts/{attempt.id}/resume",
            headers=as_staff,
            json={"reason": "已修复"},
        )
        assert wait_for(found, "resume", within=2)["status"] == "in_progress"
        httpx.post(
            f"{api}/proctor/attempts/{attempt.id}/extra-time",
            headers=as_staff,
            json={"minutes": 5, "reason": "补时"},
        )
        extra = wait_for(found, "extra_time", within=2)
        assert extra["remaining_seconds"] > paused["remaining_seconds"]
        httpx.post(
            f"{api}/proctor/attempts/{attempt.id}/force-submit",
            headers=as_staff,
            json={"reason": "违纪", "confirm": True},
        )
        assert wait_for(found, "submit", within=2)["status"] == "submitted"
        httpx.post(
            f"{api}/proctor/attempts/{attempt.id}/reopen",
            headers=as_staff,
            json={"reason": "误操作"},
        )
        assert wait_for(found, "reopen", within=2)["status"] == "in_progress"
    assert attempt_of(db, attempt.id).status == "in_progress"


def test_a_proctor_message_reaches_the_room_and_is_kept_for_a_page_that_missed_it(
    db: Session,
    live_server: str,  # noqa: F811
) -> None:
    exam = room(db, candidates=2)
    first = exam.seats[0]
    start(db, exam, first)
    tokens = [
        api_token(
            live_server,
            "candidate-login",
            {"ticket_number": s.ticket_number, "id_number": s.id_number},
        )
        for s in exam.seats
    ]
    staff = api_token(
        live_server, "login", {"username": exam.proctor.username, "password": PASSWORD}
    )
    api = f"{live_server}/api/v1"
    with sse(f"{api}/exam/stream", tokens[0]) as found:
        empty = httpx.post(
            f"{api}/proctor/sessions/{exam.session.id}/message",
            headers={"Authorization": f"Bearer {staff}"},
            json={"text": "  "},
        )
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "message_invalid"
        r = httpx.post(
            f"{api}/proctor/sessions/{exam.session.id}/message",
            headers={"Authorization": f"Bearer {staff}"},
            json={"text": "还剩 30 分钟，请注意时间"},
        )
        assert r.status_code == 200, r.text
        assert wait_for(found, "message", within=2)["text"] == "还剩 30 分钟，请注意时间"
    # The second candidate had no page open (still in the waiting room): the status has it.
    status = httpx.get(f"{api}/exam/status", headers={"Authorization": f"Bearer {tokens[1]}"})
    assert [m["text"] for m in status.json()["messages"]] == ["还剩 30 分钟，请注意时间"]
    assert sorted(r.json()["registration_ids"]) == sorted(s.registration.id for s in exam.seats)


def test_the_console_stream_is_told_of_roster_changes_and_refuses_other_staff(
    db: Session,
    live_server: str,  # noqa: F811
) -> None:
    exam = room(db, candidates=2)
    first, second = exam.seats
    start(db, exam, first)
    staff = api_token(
        live_server, "login", {"username": exam.proctor.username, "password": PASSWORD}
    )
    url = f"{live_server}/proctor/sessions/{exam.session.id}/stream"
    with sse(url, staff) as found:
        r = httpx.post(
            f"{live_server}/api/v1/proctor/registrations/{second.registration.id}/checkin",
            headers={"Authorization": f"Bearer {staff}"},
            json={},
        )
        assert r.status_code == 200, r.text
        wait_for(found, "roster", within=2)
    outsider = room(db, candidates=1)  # another centre's proctor
    other = api_token(
        live_server, "login", {"username": outsider.proctor.username, "password": PASSWORD}
    )
    with sse(url, other) as refused:
        assert refused.get(timeout=5) == {"kind": "refused", "status": 404}


def test_an_open_page_keeps_its_candidate_present_and_a_closed_one_shows_disconnected(
    db: Session,
) -> None:
    exam = room(db, candidates=2)
    here, gone = exam.seats
    start(db, exam, here)
    start(db, exam, gone)

    async def with_page_open() -> None:
        async with hub.subscribe(["x"], registration_id=here.registration.id):
            clock.travel(timedelta(seconds=proctoring.NOT_SEEN_SECONDS + 5))
            await asyncio.to_thread(background.mark_present_once)

    asyncio.run(with_page_open())
    assert not hub.present  # the stream closed: nobody left
    assert row_of(db, exam, here).disconnected is False
    gone_row = row_of(db, exam, gone)
    assert gone_row.disconnected is True and gone_row.state_name == "考试中"
    roster = proctoring.roster(db, staff=proctor_of(exam), session_id=exam.session.id or 0)
    db.commit()
    assert [a.kind for a in roster.alerts if a.registration_id == gone.registration.id] == [
        "not_seen"
    ]


# --- two instances over one PostgreSQL ------------------------------------------------


@pytest.fixture
def two_instances(engine: Engine) -> Iterator[tuple[str, str]]:
    url = engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JIPING_DATABASE_URL": url,
        "JIPING_RUN_SWEEPER": "false",
        "JIPING_ENVIRONMENT": "test",
    }
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "app.main:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--timeout-graceful-shutdown",
                    "1",
                ],
                env=env,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        # Generous: on a loaded CI machine importing the app alone can take half a minute.
        for proc, base in zip(procs, bases, strict=True):
            until = time.monotonic() + 180
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{base} exited with {proc.returncode} while starting")
                try:
                    if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > until:
                    raise RuntimeError(f"{base} did not start within 180 s")
                time.sleep(0.5)
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.skipif(not USE_PG, reason="several instances share state through PostgreSQL")
def test_a_room_pause_on_one_instance_reaches_a_page_served_by_another(
    db: Session, two_instances: tuple[str, str]
) -> None:
    one, other = two_instances
    exam = room(db, candidates=2)
    for seat in exam.seats:
        start(db, exam, seat)
    tokens = [
        api_token(
            other, "candidate-login", {"ticket_number": s.ticket_number, "id_number": s.id_number}
        )
        for s in exam.seats
    ]
    staff = api_token(one, "login", {"username": exam.proctor.username, "password": PASSWORD})
    with (
        sse(f"{other}/api/v1/exam/stream", tokens[0]) as a,
        sse(f"{other}/api/v1/exam/stream", tokens[1]) as b,
    ):
        sent = time.monotonic()
        r = httpx.post(
            f"{one}/api/v1/proctor/sessions/{exam.session.id}/pause",
            headers={"Authorization": f"Bearer {staff}"},
            json={"reason": "全场停电"},
        )
        assert r.status_code == 200, r.text
        assert wait_for(a, "pause", within=2)["status"] == "paused"
        assert wait_for(b, "pause", within=2)["status"] == "paused"
        assert time.monotonic() - sent < 2
