"""Many requests at once against the live server: none may wait forever for the database.

Regression: database work on the event loop (or every worker thread waiting for SQLite's
one write lock) stalled the request holding the lock, and a room of candidates polling
together hung until the lock timed out."""

import asyncio

import httpx
from sqlmodel import Session

from tests.browser.conftest import live_server  # noqa: F401  (fixture)
from tests.factories import make_exam


def test_a_room_polling_at_once_is_answered(db: Session, live_server: str) -> None:  # noqa: F811
    exam = make_exam(db, candidates=60, require_checkin=False)
    seats = [(s.registration.ticket_number, s.candidate.id_number) for s in exam.seats]
    db.rollback()

    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as client:

            async def login(ticket: str, id_number: str) -> str:
                r = await client.post(
                    "/api/v1/auth/candidate-login",
                    json={"ticket_number": ticket, "id_number": id_number},
                )
                assert r.status_code == 200, r.text
                return str(r.json()["token"])

            tokens = await asyncio.gather(*(login(t, i) for t, i in seats))

            async def poll_and_start(token: str) -> int:
                h = {"Authorization": f"Bearer {token}"}
                state = await client.get("/api/v1/exam", headers=h)
                started = await client.post("/api/v1/exam/start", headers=h)
                return max(state.status_code, started.status_code)

            return list(await asyncio.gather(*(poll_and_start(t) for t in tokens)))

    statuses = asyncio.run(run())
    assert statuses == [200] * len(seats)
