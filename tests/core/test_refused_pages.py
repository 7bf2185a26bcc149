"""Every form of every page, refused, changes nothing in the database (issue 12 §1).

The test walks the page router: a new form route without a refusal case here fails it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.models import Role
from app.banks.models import Item
from app.core.db import metadata
from app.core.errors import Conflict, NotFound
from app.main import API_PREFIX, app
from app.web.refusals import refused
from tests.factories import ExamFixture, make_staff
from tests.helpers import app_routes, csrf_of, login_csrf, page_login
from tests.proctoring.support import room, start

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _state(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
        }


@dataclass
class World:
    exam: ExamFixture
    platform_admin: str
    ids: dict[str, int]


@dataclass(frozen=True)
class Refusal:
    route: str
    who: str  # admin | proctor | examiner | platform | candidate | anonymous
    path: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    files: dict[str, Any] | None = None
    status: int = 422
    csrf: bool = True
    may_change: frozenset[str] = field(default_factory=frozenset)


BROKEN_BANK = ("bank.yaml", b"bank: [unclosed\n", "application/x-yaml")
NOT_A_SHEET = ("roster.xlsx", b"not a spreadsheet", "application/octet-stream")
FAILURES = frozenset({"loginfailure"})

REFUSALS = [
    Refusal(
        "/admin/centres",
        "platform",
        lambda w: "/admin/centres",
        lambda w: {"name": "", "credit_code": "123", "region_code": "34"},
    ),
    Refusal(
        "/staff",
        "admin",
        lambda w: "/staff",
        lambda w: {
            "username": "newp",
            "display_name": "新",
            "password": "short",
            "role": "proctor",
        },
        status=409,
    ),
    Refusal(
        "/staff/{user_id}/active",
        "admin",
        lambda w: f"/staff/{w.exam.admin.id}/active",
        lambda w: {"active": "0"},
        status=409,
    ),
    Refusal(
        "/login",
        "anonymous",
        lambda w: "/login",
        lambda w: {"username": w.exam.admin.username, "password": "wrong-password"},
        status=401,
        may_change=FAILURES,
    ),
    Refusal("/logout", "admin", lambda w: "/logout", status=403, csrf=False),
    Refusal(
        "/banks/import",
        "admin",
        lambda w: "/banks/import",
        files={"file": BROKEN_BANK},
    ),
    Refusal(
        "/banks/{bank_id}/items/{item_id}/edit",
        "admin",
        lambda w: f"/banks/{w.exam.bank.id}/items/{w.ids['item']}/edit",
        lambda w: {"stem": "", "points": "-1"},
    ),
    Refusal(
        "/banks/{bank_id}/items/{item_id}/{action}",
        "admin",
        lambda w: f"/banks/{w.exam.bank.id}/items/{w.ids['item']}/reactivate",
        lambda w: {"reason": "已在用"},
        status=409,
    ),
    Refusal(
        "/exam/login",
        "anonymous",
        lambda w: "/exam/login",
        lambda w: {
            "ticket_number": w.exam.seats[1].ticket_number,
            "id_number": "110105194912310021",
        },
        status=401,
        may_change=FAILURES,
    ),
    Refusal(
        "/exam/start", "candidate", lambda w: "/exam/start", lambda w: {"agree": "1"}, status=409
    ),
    Refusal("/blueprints", "admin", lambda w: "/blueprints", lambda w: {"name": ""}),
    Refusal(
        "/blueprints/{blueprint_id}/preview",
        "admin",
        lambda w: f"/blueprints/{w.exam.blueprint.id}0/preview",
        status=404,
    ),
    Refusal(
        "/blueprints/{blueprint_id}",
        "admin",
        lambda w: f"/blueprints/{w.exam.blueprint.id}",
        lambda w: {"name": ""},
    ),
    Refusal("/plans", "admin", lambda w: "/plans", lambda w: {"name": ""}),
    Refusal(
        "/plans/{plan_id}/sessions",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/sessions",
        lambda w: {"name": "二场", "starts_at": "not a time"},
    ),
    # The reproduction of issue 12: the service had already saved the candidate's new phone
    # number when it found the registration a duplicate, and the 409 page committed it.
    Refusal(
        "/sessions/{session_id}/registrations",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/registrations",
        lambda w: {
            "name": w.exam.seats[0].candidate.name,
            "id_number": w.exam.seats[0].id_number,
            "phone": "13900000000",
        },
        status=409,
    ),
    Refusal(
        "/sessions/{session_id}/registrations/excel",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/registrations/excel",
        files={"file": NOT_A_SHEET},
    ),
    Refusal(
        "/sessions/{session_id}/proctors",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/proctors",
        lambda w: {"proctor_ids": str(w.exam.examiner.id)},
    ),
    Refusal(
        "/proctor/registrations/{registration_id}/checkin",
        "proctor",
        lambda w: f"/proctor/registrations/{w.ids['foreign_registration']}/checkin",
        status=404,
    ),
    Refusal(
        "/proctor/sessions/{session_id}/checkin",
        "proctor",
        lambda w: f"/proctor/sessions/{w.exam.session.id}/checkin",
        lambda w: {
            "registration_ids": [
                str(w.exam.seats[1].registration.id),
                str(w.ids["foreign_registration"]),
            ]
        },
        status=404,
    ),
    Refusal(
        "/proctor/attempts/{attempt_id}/pause",
        "proctor",
        lambda w: f"/proctor/attempts/{w.ids['attempt']}/pause",
        lambda w: {"reason": ""},
    ),
    Refusal(
        "/proctor/attempts/{attempt_id}/resume",
        "proctor",
        lambda w: f"/proctor/attempts/{w.ids['attempt']}/resume",
        lambda w: {"reason": "恢复"},
        status=409,
    ),
    Refusal(
        "/proctor/attempts/{attempt_id}/extra-time",
        "proctor",
        lambda w: f"/proctor/attempts/{w.ids['attempt']}/extra-time",
        lambda w: {"minutes": "abc", "reason": "设备故障"},
    ),
    Refusal(
        "/proctor/attempts/{attempt_id}/force-submit",
        "proctor",
        lambda w: f"/proctor/attempts/{w.ids['attempt']}/force-submit",
        lambda w: {"reason": ""},
    ),
    Refusal(
        "/proctor/attempts/{attempt_id}/reopen",
        "proctor",
        lambda w: f"/proctor/attempts/{w.ids['attempt']}/reopen",
        lambda w: {"reason": "误操作"},
        status=409,
    ),
    Refusal(
        "/proctor/sessions/{session_id}/pause",
        "proctor",
        lambda w: f"/proctor/sessions/{w.exam.session.id}/pause",
        lambda w: {"reason": ""},
    ),
    Refusal(
        "/proctor/sessions/{session_id}/resume",
        "proctor",
        lambda w: f"/proctor/sessions/{w.exam.session.id}/resume",
        lambda w: {"reason": ""},
    ),
    Refusal(
        "/proctor/registrations/{registration_id}/incidents",
        "proctor",
        lambda w: f"/proctor/registrations/{w.exam.seats[0].registration.id}/incidents",
        lambda w: {"reason_code": "no-such-reason"},
    ),
    Refusal(
        "/proctor/sessions/{session_id}/message",
        "proctor",
        lambda w: f"/proctor/sessions/{w.exam.session.id}/message",
        lambda w: {"text": ""},
    ),
    Refusal(
        "/proctor/registrations/{registration_id}/message",
        "proctor",
        lambda w: f"/proctor/registrations/{w.exam.seats[0].registration.id}/message",
        lambda w: {"text": "   "},
    ),
    Refusal(
        "/account/password",
        "admin",
        lambda w: "/account/password",
        lambda w: {
            "current_password": "not-the-password",
            "new_password": "Another-pass-2026",
            "confirm_password": "Another-pass-2026",
        },
    ),
    Refusal(
        "/staff/{user_id}/reset-password",
        "admin",
        lambda w: f"/staff/{w.exam.proctor.id}/reset-password",
        lambda w: {"reason": ""},
    ),
    Refusal(
        "/proctor/registrations/{registration_id}/unlock-login",
        "proctor",
        lambda w: f"/proctor/registrations/{w.exam.seats[0].registration.id}/unlock-login",
        lambda w: {"reason": " "},
    ),
    Refusal(
        "/staff/{user_id}/unlock",
        "admin",
        lambda w: f"/staff/{w.exam.proctor.id}/unlock",
        lambda w: {"reason": " "},
    ),
    Refusal(
        "/sessions/{session_id}/staffing-override",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/staffing-override",
        lambda w: {"reason": " "},
    ),
    Refusal(
        "/sessions/{session_id}/edit",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/edit",
        lambda w: {"name": "改名", "room": "301", "starts_at": "", "reason": "更正"},
        status=409,  # a candidate started
    ),
    Refusal(
        "/sessions/{session_id}/cancel",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/cancel",
        lambda w: {"reason": "停电"},
        status=409,
    ),
    Refusal(
        "/registrations/{registration_id}/candidate",
        "admin",
        lambda w: f"/registrations/{w.exam.seats[0].registration.id}/candidate",
        lambda w: {
            "name": "改名",
            "id_number": w.exam.seats[0].id_number,
            "reason": "更正姓名",
        },
        status=409,  # started: the name is on the paper
    ),
    Refusal(
        "/candidates/{candidate_id}/facts",
        "admin",
        lambda w: f"/candidates/{w.exam.seats[0].candidate.id}/facts",
        lambda w: {"years_in_occupation": "12", "reason": ""},
        status=422,  # a change to the record needs its reason
    ),
    Refusal(
        "/registrations/{registration_id}/move",
        "admin",
        lambda w: f"/registrations/{w.exam.seats[1].registration.id}/move",
        lambda w: {"session_id": str(w.ids["foreign_session"]), "reason": "调场"},
        status=404,
    ),
    Refusal(
        "/registrations/{registration_id}/withdraw",
        "admin",
        lambda w: f"/registrations/{w.exam.seats[0].registration.id}/withdraw",
        lambda w: {"reason": "本人申请"},
        status=409,
    ),
    Refusal(
        "/plans/{plan_id}/edit",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/edit",
        lambda w: {"name": "新名", "reason": "更正"},
    ),
    Refusal(
        "/plans/{plan_id}/cancel",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/cancel",
        lambda w: {"reason": "取消"},
        status=409,
    ),
    Refusal(
        "/sessions/{session_id}/photos",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/photos",
        files={"file": ("photos.zip", b"not a zip archive", "application/zip")},
    ),
    Refusal(
        "/registrations/{registration_id}/photo",
        "admin",
        lambda w: f"/registrations/{w.exam.seats[0].registration.id}/photo",
        files={"file": ("photo.jpg", b"not an image", "image/jpeg")},
    ),
    # The practical, results and 复核 (issue 5).
    Refusal(
        "/plans/{plan_id}/practical/paper",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/practical/paper",
        lambda w: {"weight_0": "abc"},
    ),
    Refusal(
        "/plans/{plan_id}/practical/review-sheet",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/practical/review-sheet",
        lambda w: {"code_0": "R1", "name_0": "答辩", "points_0": "100"},
        status=409,  # the walk's plan (四级) has no 综合评审
    ),
    Refusal(
        "/plans/{plan_id}/practical/sessions",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/practical/sessions",
        lambda w: {"exam_session_id": str(w.exam.session.id), "name": "技能考核"},
    ),
    Refusal(
        "/practical/{practical_session_id}/draw",
        "admin",
        lambda w: "/practical/999999/draw",
        status=404,
    ),
    Refusal(
        "/marking/sheets/{paper_task_id}/save",
        "examiner",
        lambda w: "/marking/sheets/999999/save",
        lambda w: {"mark_A1": "5"},
        status=404,
    ),
    Refusal(
        "/marking/sheets/{paper_task_id}/submit",
        "proctor",
        lambda w: "/marking/sheets/999999/submit",
        status=403,
    ),
    Refusal(
        "/marking/tasks/{paper_task_id}/arbitration",
        "examiner",
        lambda w: "/marking/tasks/999999/arbitration",
        lambda w: {"score": "5", "reason": "仲裁"},
        status=404,
    ),
    Refusal(
        "/sessions/{session_id}/written",
        "admin",
        lambda w: f"/sessions/{w.exam.session.id}/written",
        lambda w: {"chief_examiner_id": "1", "tolerance_percent": "20"},  # no examiners
    ),
    Refusal(
        "/marking/written/{job_id}/responses/{response_id}",
        "examiner",
        lambda w: "/marking/written/999999/responses/1",
        lambda w: {"score": "5", "item_version_id": "1"},
        status=404,
    ),
    Refusal(
        "/marking/written/{job_id}/responses/{response_id}/arbitration",
        "proctor",
        lambda w: "/marking/written/1/responses/1/arbitration",
        lambda w: {"score": "5", "reason": "仲裁"},
        status=403,
    ),
    Refusal(
        "/plans/{plan_id}/results/refresh",
        "proctor",
        lambda w: f"/plans/{w.exam.plan.id}/results/refresh",
        status=403,
    ),
    Refusal(
        "/plans/{plan_id}/results/confirm",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/results/confirm",
        status=409,  # nothing summed up yet: the review would not match the sources
    ),
    Refusal(
        "/plans/{plan_id}/results/publish",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/results/publish",
        status=409,
    ),
    Refusal(
        "/plans/{plan_id}/results/standings/{registration_id}",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/results/standings/{w.exam.seats[0].registration.id}",
        lambda w: {"component": "theory", "status": "disqualified", "reason": "作弊"},
    ),
    Refusal(
        "/plans/{plan_id}/rechecks/{request_id}",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/rechecks/999999",
        lambda w: {"new_score": "", "method": "readd"},
    ),
    Refusal(
        "/exam/assessment/recheck",
        "candidate",
        lambda w: "/exam/assessment/recheck",
        lambda w: {"component": "theory", "reason": "复核"},
        status=404,  # no published result
    ),
    # Certificates: a malformed lookup, codes missing for a batch, bad settings, and
    # results or certificates that do not exist.
    Refusal(
        "/verify",
        "anonymous",
        lambda w: "/verify",
        lambda w: {"number": "S123", "name": "张三"},
    ),
    Refusal(
        "/plans/{plan_id}/certificates/batches",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/certificates/batches",
    ),
    Refusal(
        "/plans/{plan_id}/certificates/results/{result_id}",
        "admin",
        lambda w: f"/plans/{w.exam.plan.id}/certificates/results/999999",
        status=404,
    ),
    Refusal(
        "/certificates/settings",
        "admin",
        lambda w: "/certificates/settings",
        lambda w: {"site_serial": "12", "template_one_plus_x": "X{yyyy}"},
    ),
    Refusal(
        "/certificates/{certificate_id}/revoke",
        "admin",
        lambda w: "/certificates/999999/revoke",
        lambda w: {"reason": "other", "note": "x"},
        status=404,
    ),
    Refusal(
        "/certificates/{certificate_id}/reissue",
        "admin",
        lambda w: "/certificates/999999/reissue",
        lambda w: {"reason": "更正"},
        status=404,
    ),
    # 企业评聘: a panel of two is refused; a missing evaluation is not found.
    Refusal(
        "/evaluations",
        "admin",
        lambda w: "/evaluations",
        lambda w: {
            "candidate_id": str(w.exam.seats[0].candidate.id),
            "occupation_id": str(w.exam.plan.occupation_id),
            "level_code": "principal_technician",
            "panel_name": ["甲", "乙"],
            "panel_title": ["", ""],
            "panel_score": ["80", "90"],
            "decision": "appointed",
            "basis": "x",
            "decided_on": "2026-01-01",
        },
    ),
    Refusal(
        "/evaluations/{evaluation_id}/certificate",
        "admin",
        lambda w: "/evaluations/999999/certificate",
        status=404,
    ),
    # Subsidies: a centre admin may not review (403); bad what-if input (422).
    Refusal(
        "/subsidies/approve",
        "admin",
        lambda w: "/subsidies/approve",
        lambda w: {"reason": "x"},
        status=403,
    ),
    Refusal("/subsidies/{record_id}/reject", "admin", lambda w: "/subsidies/1/reject", status=403),
    Refusal(
        "/subsidies/{record_id}/evidence", "admin", lambda w: "/subsidies/1/evidence", status=403
    ),
    Refusal("/subsidies/batches", "admin", lambda w: "/subsidies/batches", status=403),
    Refusal(
        "/subsidies/batches/{batch_id}/paid",
        "admin",
        lambda w: "/subsidies/batches/1/paid",
        status=403,
    ),
    Refusal("/subsidies/standards", "admin", lambda w: "/subsidies/standards", status=403),
    Refusal(
        "/subsidies/what-if",
        "admin",
        lambda w: "/subsidies/what-if",
        lambda w: {"level_code": "nonsense", "issued_on": "yesterday"},
    ),
]


def test_every_page_form_has_a_refusal_case() -> None:
    forms = {
        path
        for method, path, _ in app_routes(app)
        if method in _UNSAFE and not path.startswith(API_PREFIX)
    }
    assert forms == {r.route for r in REFUSALS}


@pytest.fixture
def world(db: Session) -> World:
    exam = room(db, candidates=3)
    other = room(db, candidates=1)
    attempt = start(db, exam, exam.seats[0])
    platform = make_staff(db, Role.PLATFORM_ADMIN)
    item = db.execute(select(Item).where(Item.bank_id == exam.bank.id)).scalars().first()
    db.commit()  # on SQLite an open transaction would hold the write lock for the whole test
    assert item is not None and attempt.id is not None
    return World(
        exam=exam,
        platform_admin=platform.username,
        ids={
            "attempt": attempt.id,
            "item": item.id or 0,
            "foreign_registration": other.seats[0].registration.id or 0,
            "foreign_session": other.session.id or 0,
        },
    )


def _log_in(client: TestClient, world: World, who: str) -> str:
    if who == "anonymous":
        return login_csrf(client)  # the login forms' token (bound to the device cookie)
    if who == "candidate":
        seat = world.exam.seats[1]  # registered, not checked in: may not start
        r = client.post(
            "/exam/login",
            data={
                "ticket_number": seat.ticket_number,
                "id_number": seat.id_number,
                "csrf_token": login_csrf(client, "/exam/login"),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return csrf_of(client, "/exam")
    username = {
        "admin": world.exam.admin.username,
        "proctor": world.exam.proctor.username,
        "examiner": world.exam.examiner.username,
        "platform": world.platform_admin,
    }[who]
    return page_login(client, username)


@pytest.mark.parametrize("case", REFUSALS, ids=[f"POST {r.route}" for r in REFUSALS])
def test_a_refused_form_changes_nothing(
    client: TestClient, engine: Engine, world: World, case: Refusal
) -> None:
    csrf = _log_in(client, world, case.who)
    data = case.data(world)
    if case.csrf:
        data["csrf_token"] = csrf
    before = _state(engine)
    r = client.post(case.path(world), data=data, files=case.files, follow_redirects=False)
    assert r.status_code == case.status, r.text[:2000]
    after = _state(engine)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == set(case.may_change)


def test_a_refusal_is_shown_on_the_form_but_a_missing_object_is_the_404_page() -> None:
    shown = refused(Conflict("已为该评聘发证", details=[{"field": "x", "problem": "p"}]))
    assert shown["status_code"] == 409 and shown["errors"].message == "已为该评聘发证"
    assert shown["errors"].of("x") == ["p"]
    with pytest.raises(NotFound):
        refused(NotFound("证书不存在"))
