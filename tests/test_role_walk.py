"""The role walk (issue 10 §3): every route of the application, with every role, anonymous
and a candidate, on their own resources, on another centre's and on a session the proctor
is not assigned to. Refusals are 401/403/404 (pages send the anonymous to the login page)
and carry none of the foreign data; full ID numbers reach only those whose work needs them.

The walk enumerates the application's routes: a route this table does not classify fails
the suite, so a new route cannot ship without saying who may use it."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, StaffUser
from app.banks.models import Item, PracticalTask
from app.delivery import service as delivery
from app.delivery.models import Attempt
from app.exams import sessions
from app.exams.models import Candidate
from app.main import app
from app.proctoring import service as proctoring
from app.reference.identifiers import mask_resident_id
from tests.delivery.support import login_of
from tests.factories import (
    ExamFixture,
    Seat,
    make_registration,
    make_session,
    make_staff,
    staff_actor,
)
from tests.helpers import app_routes, candidate_token, staff_token
from tests.proctoring.support import room

ANON, CAND, PLAT, ADMIN, PROC, EXAM, REG = (
    "anonymous",
    "candidate",
    "platform_admin",
    "centre_admin",
    "proctor",
    "examiner",
    "regulator",
)
EVERYONE = {ANON, CAND, PLAT, ADMIN, PROC, EXAM, REG}
STAFF = {PLAT, ADMIN, PROC, EXAM, REG}


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]  # who may use the route on their own resources
    assigned: bool = False  # a proctor only on the sessions they are assigned to
    body: dict[str, Any] | None = None  # a valid body, so the check is what refuses
    files: bool = False
    stream: bool = False  # Server-Sent Events: never opened by those allowed (it stays open)


def rule(*who: str, assigned: bool = False, **kw: Any) -> Rule:
    return Rule(frozenset(who), assigned=assigned, **kw)


PUBLIC = rule(*EVERYONE)
REASON = {"reason": "设备故障"}
PASSWORDS = {"current_password": "wrong-password-1", "new_password": "Another-pass-2026"}
MESSAGE = {"text": "请保持安静"}

ROUTES: dict[tuple[str, str], Rule] = {
    # Public: documentation, logins, health, static redirects.
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/candidate-login"): PUBLIC,
    ("GET", "/api/v1/auth/me"): PUBLIC,  # anyone's own login (401 without one)
    ("POST", "/api/v1/auth/logout"): PUBLIC,
    ("GET", "/api/v1/levels"): PUBLIC,  # the national level table
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/"): PUBLIC,  # sends each to their start page
    ("GET", "/exam/login"): PUBLIC,
    ("POST", "/exam/login"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    # Centres and accounts.
    ("GET", "/api/v1/centres"): rule(*STAFF),
    ("POST", "/api/v1/centres"): rule(PLAT),
    ("GET", "/api/v1/staff"): rule(PLAT, ADMIN),
    ("POST", "/api/v1/staff"): rule(PLAT, ADMIN),
    ("POST", "/api/v1/staff/{user_id}/disable"): rule(PLAT, ADMIN),
    ("POST", "/api/v1/staff/{user_id}/enable"): rule(PLAT, ADMIN),
    ("GET", "/api/v1/occupations"): rule(*STAFF),
    ("GET", "/admin/centres"): rule(PLAT),
    ("POST", "/admin/centres"): rule(PLAT),
    ("GET", "/staff"): rule(PLAT, ADMIN),
    ("POST", "/staff"): rule(PLAT, ADMIN),
    ("POST", "/staff/{user_id}/active"): rule(PLAT, ADMIN, body={"active": "0"}),
    ("GET", "/regulator"): rule(REG),
    # The audit chain's signed head digest: one for the whole platform.
    ("GET", "/api/v1/audit/digest"): rule(PLAT, REG),
    ("GET", "/audit/digest.jws"): rule(PLAT, REG),
    # Passwords: one's own (any staff); reset and unlock by those who manage the account.
    ("POST", "/api/v1/auth/password"): rule(*STAFF, body=PASSWORDS),
    ("GET", "/account/password"): rule(*STAFF),
    ("POST", "/account/password"): rule(*STAFF, body=PASSWORDS),
    ("POST", "/api/v1/staff/{user_id}/reset-password"): rule(PLAT, ADMIN, body=REASON),
    ("POST", "/api/v1/staff/{user_id}/unlock"): rule(PLAT, ADMIN, body=REASON),
    ("POST", "/staff/{user_id}/reset-password"): rule(PLAT, ADMIN, body=REASON),
    ("POST", "/staff/{user_id}/unlock"): rule(PLAT, ADMIN, body=REASON),
    # Banks, blueprints, plans, candidates: the centre admin's.
    ("GET", "/api/v1/banks"): rule(ADMIN),
    ("POST", "/api/v1/banks/import"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/items"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/items/{item_id}"): rule(ADMIN),
    ("PUT", "/api/v1/banks/{bank_id}/items/{item_id}"): rule(
        ADMIN,
        body={
            "type": "true_false",
            "area": "A",
            "point": "001",
            "difficulty": 3,
            "points": 1,
            "stem": "外机构的题",
            "key": True,
        },
    ),
    ("POST", "/api/v1/banks/{bank_id}/items/{item_id}/{action}"): rule(ADMIN, body=REASON),
    ("GET", "/api/v1/blueprints"): rule(ADMIN),
    ("POST", "/api/v1/blueprints"): rule(ADMIN),
    ("POST", "/api/v1/blueprints/check"): rule(ADMIN),
    ("GET", "/api/v1/blueprints/{blueprint_id}"): rule(ADMIN),
    ("PATCH", "/api/v1/blueprints/{blueprint_id}"): rule(ADMIN, body={}),
    ("POST", "/api/v1/blueprints/{blueprint_id}/preview"): rule(ADMIN),
    ("GET", "/api/v1/plans"): rule(ADMIN),
    ("POST", "/api/v1/plans"): rule(ADMIN),
    ("GET", "/api/v1/plans/{plan_id}"): rule(ADMIN),
    ("GET", "/api/v1/candidates"): rule(ADMIN),
    ("POST", "/api/v1/candidates"): rule(ADMIN),
    ("GET", "/api/v1/candidates/{candidate_id}"): rule(ADMIN),
    ("GET", "/banks"): rule(ADMIN),
    ("GET", "/banks/import"): rule(ADMIN),
    ("POST", "/banks/import"): rule(ADMIN),
    ("GET", "/banks/{bank_id}"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/items/{item_id}"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/tasks"): rule(ADMIN),
    ("GET", "/api/v1/banks/template.xlsx"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/export.xlsx"): rule(ADMIN),
    ("GET", "/banks/template.xlsx"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/export.xlsx"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/export-qti3.zip"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/export-moodle.xml"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/export-qti3.zip"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/export-moodle.xml"): rule(ADMIN),
    ("GET", "/api/v1/banks/{bank_id}/tasks/{task_id}"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/tasks"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/tasks/{task_id}"): rule(ADMIN),
    ("GET", "/banks/{bank_id}/items/{item_id}/edit"): rule(ADMIN),
    ("POST", "/banks/{bank_id}/items/{item_id}/edit"): rule(ADMIN),
    ("POST", "/banks/{bank_id}/items/{item_id}/{action}"): rule(ADMIN),
    ("GET", "/blueprints"): rule(ADMIN),
    ("GET", "/blueprints/new"): rule(ADMIN),
    ("GET", "/blueprints/outline"): rule(ADMIN),
    ("POST", "/blueprints"): rule(ADMIN),
    ("GET", "/blueprints/{blueprint_id}"): rule(ADMIN),
    ("POST", "/blueprints/{blueprint_id}/preview"): rule(ADMIN),
    ("GET", "/blueprints/{blueprint_id}/edit"): rule(ADMIN),
    ("POST", "/blueprints/{blueprint_id}"): rule(ADMIN),
    ("GET", "/plans"): rule(ADMIN),
    ("POST", "/plans"): rule(ADMIN),
    ("GET", "/plans/{plan_id}"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/sessions"): rule(ADMIN),
    ("GET", "/candidates"): rule(ADMIN),
    # Sessions: the centre admin's; proctors read those assigned; examiners read them
    # (for results) without the roster.
    ("GET", "/api/v1/sessions"): rule(ADMIN, PROC, EXAM),
    ("POST", "/api/v1/sessions"): rule(ADMIN),
    ("GET", "/api/v1/sessions/{session_id}"): rule(ADMIN, PROC, EXAM, assigned=True),
    ("PUT", "/api/v1/sessions/{session_id}/proctors"): rule(ADMIN, body={"proctor_ids": []}),
    ("GET", "/api/v1/sessions/{session_id}/registrations"): rule(ADMIN, PROC, assigned=True),
    ("POST", "/api/v1/sessions/{session_id}/registrations"): rule(
        ADMIN, body={"name": "外人", "id_number": "11010519491231002X"}
    ),
    ("POST", "/api/v1/sessions/{session_id}/registrations/excel"): rule(ADMIN, files=True),
    ("GET", "/api/v1/sessions/{session_id}/registrations/template.xlsx"): rule(ADMIN),
    ("GET", "/api/v1/sessions/{session_id}/tickets"): rule(ADMIN),
    ("GET", "/sessions/{session_id}"): rule(ADMIN, PROC, EXAM, assigned=True),
    ("POST", "/sessions/{session_id}/registrations"): rule(ADMIN),
    ("POST", "/sessions/{session_id}/registrations/excel"): rule(ADMIN, files=True),
    ("GET", "/sessions/{session_id}/registrations/template.xlsx"): rule(ADMIN),
    ("POST", "/sessions/{session_id}/proctors"): rule(ADMIN),
    ("GET", "/sessions/{session_id}/tickets"): rule(ADMIN),
    ("GET", "/registrations/{registration_id}/ticket"): rule(ADMIN),
    # Photos: uploaded by the centre admin; shown to the session's proctors at check-in.
    ("POST", "/sessions/{session_id}/photos"): rule(ADMIN, files=True),
    ("POST", "/registrations/{registration_id}/photo"): rule(ADMIN, files=True),
    ("GET", "/registrations/{registration_id}/photo"): rule(ADMIN, PROC, assigned=True),
    # Corrections (更正) and the staffing override: the centre admin's.
    ("POST", "/sessions/{session_id}/staffing-override"): rule(ADMIN, body=REASON),
    ("GET", "/sessions/{session_id}/edit"): rule(ADMIN),
    ("POST", "/sessions/{session_id}/edit"): rule(ADMIN, body=REASON),
    ("POST", "/sessions/{session_id}/cancel"): rule(ADMIN, body=REASON),
    ("GET", "/registrations/{registration_id}"): rule(ADMIN),
    ("POST", "/registrations/{registration_id}/candidate"): rule(ADMIN, body=REASON),
    ("POST", "/registrations/{registration_id}/move"): rule(ADMIN, body=REASON),
    ("POST", "/registrations/{registration_id}/withdraw"): rule(ADMIN, body=REASON),
    ("GET", "/plans/{plan_id}/edit"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/edit"): rule(ADMIN, body=REASON),
    ("POST", "/plans/{plan_id}/cancel"): rule(ADMIN, body=REASON),
    ("POST", "/api/v1/sessions/{session_id}/staffing-override"): rule(ADMIN, body=REASON),
    ("PATCH", "/api/v1/sessions/{session_id}"): rule(ADMIN, body=REASON),
    ("POST", "/api/v1/sessions/{session_id}/cancel"): rule(ADMIN, body=REASON),
    ("PATCH", "/api/v1/plans/{plan_id}"): rule(ADMIN, body=REASON),
    ("POST", "/api/v1/plans/{plan_id}/cancel"): rule(ADMIN, body=REASON),
    ("POST", "/api/v1/registrations/{registration_id}/withdraw"): rule(ADMIN, body=REASON),
    ("POST", "/api/v1/registrations/{registration_id}/move"): rule(
        ADMIN, body={"session_id": 1, **REASON}
    ),
    ("PATCH", "/api/v1/candidates/{candidate_id}"): rule(
        ADMIN, body={"name": "外人", "id_number": "11010519491231002X", **REASON}
    ),
    ("GET", "/api/v1/candidates/{candidate_id}/record"): rule(ADMIN),
    ("PUT", "/api/v1/candidates/{candidate_id}/facts"): rule(
        ADMIN, body={"facts": {"years_in_occupation": 30}, **REASON}
    ),
    ("GET", "/candidates/{candidate_id}"): rule(ADMIN),
    ("POST", "/candidates/{candidate_id}/facts"): rule(
        ADMIN, body={"years_in_occupation": "30", **REASON}
    ),
    # The candidate's own exam.
    ("GET", "/api/v1/exam"): rule(CAND),
    ("GET", "/api/v1/exam/status"): rule(CAND),
    ("POST", "/api/v1/exam/start"): rule(CAND),
    ("PUT", "/api/v1/exam/answers/{position}"): rule(CAND, body={"seq": 1, "response": {}}),
    ("POST", "/api/v1/exam/events"): rule(CAND, body={"kind": "focus"}),
    ("POST", "/api/v1/exam/submit"): rule(CAND),
    ("GET", "/api/v1/exam/result"): rule(CAND),
    ("GET", "/api/v1/exam/stream"): rule(CAND, stream=True),
    ("GET", "/exam"): rule(CAND),
    ("GET", "/exam/gate"): rule(CAND),
    ("POST", "/exam/start"): rule(CAND),
    # Proctoring: centre admins, and proctors in the sessions assigned to them.
    ("GET", "/api/v1/proctor/sessions"): rule(ADMIN, PROC),
    ("GET", "/api/v1/proctor/sessions/{session_id}/roster"): rule(ADMIN, PROC, assigned=True),
    ("POST", "/api/v1/proctor/registrations/{registration_id}/checkin"): rule(
        ADMIN, PROC, assigned=True
    ),
    ("POST", "/api/v1/proctor/registrations/{registration_id}/unlock-login"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/attempts/{attempt_id}/pause"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/attempts/{attempt_id}/resume"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/attempts/{attempt_id}/extra-time"): rule(
        ADMIN, PROC, assigned=True, body={"minutes": 5, **REASON}
    ),
    ("POST", "/api/v1/proctor/attempts/{attempt_id}/force-submit"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/attempts/{attempt_id}/reopen"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/sessions/{session_id}/pause"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/sessions/{session_id}/resume"): rule(
        ADMIN, PROC, assigned=True, body=REASON
    ),
    ("POST", "/api/v1/proctor/registrations/{registration_id}/incidents"): rule(
        ADMIN, PROC, assigned=True, body={"reason_code": "other", "note": "走错考场"}
    ),
    ("GET", "/api/v1/proctor/sessions/{session_id}/incidents"): rule(ADMIN, PROC, assigned=True),
    ("GET", "/api/v1/proctor/sessions/{session_id}/log"): rule(ADMIN, PROC, assigned=True),
    ("GET", "/proctor"): rule(ADMIN, PROC),
    ("GET", "/proctor/sessions/{session_id}"): rule(ADMIN, PROC, assigned=True),
    ("GET", "/proctor/sessions/{session_id}/log"): rule(ADMIN, PROC, assigned=True),
    ("GET", "/proctor/sessions/{session_id}/stream"): rule(ADMIN, PROC, assigned=True, stream=True),
    ("GET", "/proctor/registrations/{registration_id}/card"): rule(ADMIN, PROC, assigned=True),
    # Batch check-in: the cards of the selection, and confirming them.
    ("GET", "/proctor/sessions/{session_id}/cards"): rule(ADMIN, PROC, assigned=True),
    ("POST", "/proctor/sessions/{session_id}/checkin"): rule(ADMIN, PROC, assigned=True),
    ("POST", "/api/v1/proctor/sessions/{session_id}/checkin"): rule(
        ADMIN, PROC, assigned=True, body={"registration_ids": []}
    ),
    ("POST", "/api/v1/proctor/sessions/{session_id}/message"): rule(
        ADMIN, PROC, assigned=True, body=MESSAGE
    ),
    ("POST", "/proctor/sessions/{session_id}/message"): rule(
        ADMIN, PROC, assigned=True, body=MESSAGE
    ),
    ("POST", "/proctor/registrations/{registration_id}/message"): rule(
        ADMIN, PROC, assigned=True, body=MESSAGE
    ),
    **{
        ("POST", f"/proctor/{path}"): rule(ADMIN, PROC, assigned=True)
        for path in (
            "registrations/{registration_id}/checkin",
            "attempts/{attempt_id}/pause",
            "attempts/{attempt_id}/resume",
            "attempts/{attempt_id}/extra-time",
            "attempts/{attempt_id}/force-submit",
            "attempts/{attempt_id}/reopen",
            "sessions/{session_id}/pause",
            "sessions/{session_id}/resume",
            "registrations/{registration_id}/incidents",
            "registrations/{registration_id}/unlock-login",
        )
    },
    # Results: centre admins and examiners.
    ("GET", "/api/v1/results/sessions"): rule(ADMIN, EXAM),
    ("GET", "/api/v1/results/sessions/{session_id}"): rule(ADMIN, EXAM),
    ("GET", "/api/v1/results/sessions/{session_id}/export.xlsx"): rule(ADMIN, EXAM),
    ("GET", "/api/v1/results/sessions/{session_id}/statistics"): rule(ADMIN, EXAM),
    ("GET", "/api/v1/results/attempts/{attempt_id}"): rule(ADMIN, EXAM),
    ("GET", "/results"): rule(ADMIN, EXAM),
    ("GET", "/results/sessions/{session_id}"): rule(ADMIN, EXAM),
    ("GET", "/results/sessions/{session_id}/export.xlsx"): rule(ADMIN, EXAM),
    ("GET", "/results/sessions/{session_id}/statistics"): rule(ADMIN, EXAM),
    # Result records (issue 5): the centre admin sums up, confirms, publishes, decides 复核;
    # the candidate reads their own published result and asks for a 复核.
    ("GET", "/api/v1/plans/{plan_id}/results"): rule(ADMIN),
    ("GET", "/api/v1/plans/{plan_id}/results/export.xlsx"): rule(ADMIN),
    ("POST", "/api/v1/plans/{plan_id}/results/refresh"): rule(ADMIN),
    ("POST", "/api/v1/plans/{plan_id}/results/confirm"): rule(ADMIN),
    ("POST", "/api/v1/plans/{plan_id}/results/publish"): rule(ADMIN),
    ("POST", "/api/v1/registrations/{registration_id}/standings"): rule(
        ADMIN, body={"component": "theory", "status": "absent", "reason": "未到场"}
    ),
    ("GET", "/api/v1/exam/assessment-result"): rule(CAND),
    ("POST", "/api/v1/exam/rechecks"): rule(CAND, body={"component": "theory", "reason": "复核"}),
    ("GET", "/api/v1/plans/{plan_id}/rechecks"): rule(ADMIN),
    ("POST", "/api/v1/rechecks/{request_id}/decision"): rule(
        ADMIN, body={"method": "readd", "new_score": 60, "decision": "维持"}
    ),
    ("GET", "/plans/{plan_id}/results"): rule(ADMIN),
    ("GET", "/plans/{plan_id}/results/export.xlsx"): rule(ADMIN),
    ("GET", "/plans/{plan_id}/results/{result_id}/slip"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/results/refresh"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/results/confirm"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/results/publish"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/results/standings/{registration_id}"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/rechecks/{request_id}"): rule(ADMIN),
    ("GET", "/exam/assessment"): rule(CAND),
    ("POST", "/exam/assessment/recheck"): rule(CAND),
    # The practical (issue 5): the admin sets the paper, sessions and panels; examiners
    # mark on the panels they sit on (a practical session of the walk's world: none, so
    # the ids name nothing: refused by role first, then as not found).
    ("GET", "/api/v1/plans/{plan_id}/practical-tasks"): rule(ADMIN),
    ("PUT", "/api/v1/plans/{plan_id}/practical-paper"): rule(ADMIN, body={"sections": []}),
    ("GET", "/api/v1/plans/{plan_id}/review-sheet"): rule(ADMIN),
    ("PUT", "/api/v1/plans/{plan_id}/review-sheet"): rule(ADMIN, body={"criteria": []}),
    ("POST", "/api/v1/plans/{plan_id}/practical-sessions"): rule(
        ADMIN,
        body={
            "exam_session_id": 0,
            "name": "技能考核",
            "site": "实训室",
            "starts_at": "2026-12-03T09:00:00",
            "examiner_ids": [],
            "chief_examiner_id": 0,
        },
    ),
    ("GET", "/api/v1/practical-sessions/{practical_session_id}"): rule(ADMIN),
    ("POST", "/api/v1/practical-sessions/{practical_session_id}/draw"): rule(ADMIN),
    ("GET", "/api/v1/marking/practical-sessions"): rule(EXAM),
    ("GET", "/api/v1/marking/practical-sessions/{practical_session_id}"): rule(EXAM),
    (
        "GET",
        "/api/v1/marking/practical-sessions/{practical_session_id}/candidates/{registration_id}",
    ): rule(EXAM),
    ("PUT", "/api/v1/marking/sheets/{paper_task_id}"): rule(EXAM, body={"marks": {}}),
    ("POST", "/api/v1/marking/sheets/{paper_task_id}/submit"): rule(EXAM, body={"marks": {}}),
    ("GET", "/api/v1/marking/tasks/{paper_task_id}/arbitration"): rule(EXAM),
    ("POST", "/api/v1/marking/tasks/{paper_task_id}/arbitration"): rule(
        EXAM, body={"score": 1, "reason": "仲裁"}
    ),
    ("GET", "/plans/{plan_id}/practical"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/practical/paper"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/practical/review-sheet"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/practical/sessions"): rule(ADMIN),
    ("GET", "/practical/{practical_session_id}"): rule(ADMIN),
    ("POST", "/practical/{practical_session_id}/draw"): rule(ADMIN),
    ("GET", "/marking"): rule(EXAM),
    ("GET", "/marking/{practical_session_id}"): rule(EXAM),
    ("GET", "/marking/{practical_session_id}/candidates/{registration_id}"): rule(EXAM),
    ("POST", "/marking/sheets/{paper_task_id}/save"): rule(EXAM),
    ("POST", "/marking/sheets/{paper_task_id}/submit"): rule(EXAM),
    ("GET", "/marking/tasks/{paper_task_id}/arbitration"): rule(EXAM),
    ("POST", "/marking/tasks/{paper_task_id}/arbitration"): rule(EXAM),
    ("GET", "/results/attempts/{attempt_id}"): rule(ADMIN, EXAM),
    # Written answers (简答, 论述/计算): the admin sets a session's marking job; examiners
    # mark in the jobs they are in (none in the walk's world: refused by role, then as not
    # found).
    ("PUT", "/api/v1/sessions/{session_id}/marking-job"): rule(
        ADMIN, body={"examiner_ids": [], "chief_examiner_id": 0}
    ),
    ("GET", "/api/v1/sessions/{session_id}/marking-job"): rule(ADMIN),
    ("GET", "/api/v1/marking/written"): rule(EXAM),
    ("GET", "/api/v1/marking/written/{job_id}"): rule(EXAM),
    ("GET", "/api/v1/marking/written/{job_id}/items/{item_version_id}/next"): rule(EXAM),
    ("POST", "/api/v1/marking/written/{job_id}/responses/{response_id}/marks"): rule(
        EXAM, body={"score": 1}
    ),
    ("GET", "/api/v1/marking/written/{job_id}/arbitration"): rule(EXAM),
    ("POST", "/api/v1/marking/written/{job_id}/responses/{response_id}/arbitration"): rule(
        EXAM, body={"score": 1, "reason": "仲裁"}
    ),
    ("GET", "/sessions/{session_id}/written"): rule(ADMIN),
    ("POST", "/sessions/{session_id}/written"): rule(ADMIN),
    ("GET", "/marking/written/{job_id}"): rule(EXAM),
    ("GET", "/marking/written/{job_id}/items/{item_version_id}"): rule(EXAM),
    ("POST", "/marking/written/{job_id}/responses/{response_id}"): rule(EXAM),
    ("GET", "/marking/written/{job_id}/arbitration"): rule(EXAM),
    ("POST", "/marking/written/{job_id}/responses/{response_id}/arbitration"): rule(EXAM),
    # Certificates. Public: the lookup (number + name or ID; masked answers), a QR token's
    # verification and credential, the JWKS and the revocation lists.
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", "/certificates/status/{list_no}"): PUBLIC,
    ("GET", "/verify"): PUBLIC,
    ("POST", "/verify"): PUBLIC,
    ("GET", "/v/{token}"): PUBLIC,
    ("GET", "/v/{token}/credential.jwt"): PUBLIC,
    ("POST", "/api/v1/verify"): PUBLIC,
    ("POST", "/api/v1/verify/token"): PUBLIC,
    # Issuance, batches, settings, re-issue: the centre admin only.
    ("GET", "/plans/{plan_id}/certificates"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/certificates/results/{result_id}"): rule(ADMIN),
    ("POST", "/plans/{plan_id}/certificates/batches"): rule(ADMIN),
    ("GET", "/certificates/batches/{batch_id}"): rule(ADMIN),
    ("GET", "/certificates/batches/{batch_id}/certificates.zip"): rule(ADMIN),
    ("GET", "/certificates/settings"): rule(ADMIN),
    ("POST", "/certificates/settings"): rule(ADMIN),
    ("POST", "/certificates/{certificate_id}/reissue"): rule(ADMIN, body={"reason": "更正"}),
    ("POST", "/api/v1/results/{result_id}/certificate"): rule(ADMIN),
    ("POST", "/api/v1/plans/{plan_id}/certificate-batches"): rule(ADMIN, body={}),
    ("GET", "/api/v1/certificate-batches/{batch_id}"): rule(ADMIN),
    ("POST", "/api/v1/certificates/{certificate_id}/reissue"): rule(ADMIN, body={"reason": "更正"}),
    # The registry's full records and revocation: the centre's own, a regulator's region.
    ("GET", "/certificates"): rule(ADMIN, REG),
    ("GET", "/certificates/{certificate_id}"): rule(ADMIN, REG),
    ("GET", "/certificates/{certificate_id}/certificate.pdf"): rule(ADMIN, REG),
    ("POST", "/certificates/{certificate_id}/revoke"): rule(
        ADMIN, REG, body={"reason": "other", "note": "x"}
    ),
    ("GET", "/api/v1/certificates"): rule(ADMIN, REG),
    ("GET", "/api/v1/certificates/{certificate_id}"): rule(ADMIN, REG),
    ("POST", "/api/v1/certificates/{certificate_id}/revoke"): rule(
        ADMIN, REG, body={"reason": "other", "note": "x"}
    ),
    # Subsidies: the region's regulators review and pay; a centre reads its own records
    # (and tries the engine) but never approves.
    ("GET", "/subsidies"): rule(ADMIN, REG),
    ("GET", "/subsidies/{record_id}"): rule(ADMIN, REG),
    ("GET", "/subsidies/what-if"): rule(ADMIN, REG),
    ("POST", "/subsidies/what-if"): rule(ADMIN, REG),
    ("POST", "/subsidies/approve"): rule(REG, body={"record_id": "0", "reason": "x"}),
    ("POST", "/subsidies/{record_id}/reject"): rule(REG, body={"reason": "x"}),
    ("POST", "/subsidies/{record_id}/evidence"): rule(
        REG, body={"note": "x", "shown_on": "2026-01-01"}
    ),
    ("GET", "/subsidies/batches"): rule(REG),
    ("POST", "/subsidies/batches"): rule(REG),
    ("GET", "/subsidies/batches/{batch_id}"): rule(REG),
    ("GET", "/subsidies/batches/{batch_id}/export.xlsx"): rule(REG),
    ("POST", "/subsidies/batches/{batch_id}/paid"): rule(REG, body={"paid_on": "2026-01-01"}),
    ("GET", "/subsidies/standards"): rule(REG),
    ("POST", "/subsidies/standards"): rule(REG),
    ("GET", "/api/v1/subsidies"): rule(ADMIN, REG),
    ("GET", "/api/v1/subsidies/{record_id}"): rule(ADMIN, REG),
    ("POST", "/api/v1/subsidies/approve"): rule(REG, body={"record_ids": [0], "reason": "x"}),
    ("POST", "/api/v1/subsidies/{record_id}/reject"): rule(REG, body={"reason": "x"}),
    ("POST", "/api/v1/subsidies/{record_id}/evidence"): rule(
        REG, body={"note": "x", "shown_on": "2026-01-01"}
    ),
    ("POST", "/api/v1/subsidies/what-if"): rule(
        ADMIN, REG, body={"level_code": "intermediate", "issued_on": "2026-01-01"}
    ),
    ("POST", "/api/v1/payment-batches"): rule(REG, body={"record_ids": [0], "reference": "x"}),
    ("POST", "/api/v1/payment-batches/{batch_id}/paid"): rule(REG, body={"paid_on": "2026-01-01"}),
    ("GET", "/api/v1/payment-batches/{batch_id}/export.xlsx"): rule(REG),
    # 企业评聘 of 特级/首席技师 and their certificates: the centre admin.
    ("GET", "/evaluations"): rule(ADMIN),
    ("POST", "/evaluations"): rule(ADMIN),
    ("POST", "/evaluations/{evaluation_id}/certificate"): rule(ADMIN),
    ("GET", "/api/v1/enterprise-evaluations"): rule(ADMIN),
    ("POST", "/api/v1/enterprise-evaluations"): rule(
        ADMIN,
        body={
            "candidate_id": 0,
            "occupation_id": 0,
            "level_code": "principal_technician",
            "panel": [],
            "decision": "appointed",
            "decided_on": "2026-01-01",
        },
    ),
    ("POST", "/api/v1/enterprise-evaluations/{evaluation_id}/certificate"): rule(ADMIN),
    # The regulator's dashboards and centre audit (their region's centres only).
    ("GET", "/regulator/dashboard"): rule(REG),
    ("GET", "/regulator/dashboard/export.xlsx"): rule(REG),
    ("GET", "/regulator/audit"): rule(REG),
    ("GET", "/regulator/centres/{centre_id}"): rule(REG),
}


def _walked() -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in app_routes(app) if not p.startswith("/static")]


def test_every_route_says_who_may_use_it() -> None:
    unknown = [r for r in _walked() if r not in ROUTES]
    assert unknown == [], f"add these routes to the role walk's table: {unknown}"
    gone = [r for r in ROUTES if r not in set(_walked())]
    assert gone == []


# --- the world -------------------------------------------------------------------------


@dataclass
class Place:
    """Path parameters naming one set of resources, and what of them must not leak."""

    params: dict[str, Any]
    secrets: list[str] = field(default_factory=list)


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    own: Place
    unassigned: Place  # centre A's session the proctor is not assigned to
    foreign: Place  # centre B's
    id_numbers: dict[str, str]  # every candidate's full ID number, by name
    candidate: str  # the logged-in candidate's name: their own number is theirs to see


def _start(db: Session, exam: ExamFixture, seat: Seat, proctor_id: int) -> Attempt:
    proctor = db.get(StaffUser, proctor_id)
    assert proctor is not None
    proctoring.check_in(db, staff=staff_actor(proctor), registration_id=seat.registration.id or 0)
    attempt = delivery.start_attempt(db, login=login_of(seat))
    db.commit()
    return attempt


def _place(
    db: Session, exam: ExamFixture, session_id: int, seats: list[Seat], attempt: Attempt
) -> Place:
    item = db.exec(select(Item).where(Item.bank_id == exam.bank.id)).first()
    assert item is not None
    task = db.exec(select(PracticalTask).where(PracticalTask.bank_id == exam.bank.id)).first()
    db.commit()
    return Place(
        params={
            "session_id": session_id,
            "plan_id": exam.plan.id,
            "blueprint_id": exam.blueprint.id,
            "bank_id": exam.bank.id,
            "item_id": item.id,
            "registration_id": seats[0].registration.id,
            "attempt_id": attempt.id,
            "candidate_id": seats[0].candidate.id,
            "user_id": exam.proctors[1].id,
            "task_id": task.id if task is not None else 0,
            "position": 1,
            "action": "retire",
            # No practical session, result or 复核 in the walk's world: ids that name none.
            "practical_session_id": 0,
            "paper_task_id": 0,
            "job_id": 0,
            "item_version_id": 0,
            "response_id": 0,
            "result_id": 0,
            "request_id": 0,
            "certificate_id": 0,
            "record_id": 0,
            "evaluation_id": 0,
            "centre_id": exam.centre.id,
            "batch_id": 0,
            "list_no": 1,
            "token": "x",
        },
        secrets=[
            text
            for s in seats
            for text in (
                s.ticket_number,
                s.candidate.name,
                s.id_number,
                mask_resident_id(s.id_number),
            )
        ],
    )


@pytest.fixture
def world(client: TestClient, db: Session) -> World:
    a = room(db, candidates=2)
    b = room(db, candidates=2)
    # A second session of centre A, proctored by the other proctor only.
    s2 = make_session(db, a.plan, admin=a.admin, proctors=[a.proctors[1]], name="第二考场")
    reg2 = make_registration(db, s2, admin=a.admin)
    # One proctor: the room opens only on the centre admin's recorded word (DOMAIN.md §2).
    sessions.override_staffing(db, actor=staff_actor(a.admin), session_id=s2.id or 0, reason="备用")
    db.commit()
    cand2 = db.get(Candidate, reg2.candidate_id)
    assert cand2 is not None and s2.id is not None
    seat2 = Seat(reg2, cand2)
    own_attempt = _start(db, a, a.seats[0], a.proctor.id or 0)
    other_attempt = _start(db, a, seat2, a.proctors[1].id or 0)
    foreign_attempt = _start(db, b, b.seats[0], b.proctor.id or 0)
    platform = make_staff(db, Role.PLATFORM_ADMIN)
    regulator = make_staff(db, Role.REGULATOR, region_code="110000")
    db.commit()
    own = _place(db, a, a.session.id or 0, a.seats, own_attempt)
    unassigned = _place(db, a, s2.id, [seat2], other_attempt)
    unassigned.params["plan_id"] = own.params["plan_id"]
    foreign = _place(db, b, b.session.id or 0, b.seats, foreign_attempt)
    foreign.secrets.append(b.centre.name)
    headers = {
        ANON: {},
        PLAT: staff_token(client, platform.username),
        ADMIN: staff_token(client, a.admin.username),
        PROC: staff_token(client, a.proctor.username),
        EXAM: staff_token(client, a.examiner.username),
        REG: staff_token(client, regulator.username),
        CAND: candidate_token(client, a.seats[1].ticket_number, a.seats[1].id_number),
    }
    ids = {s.candidate.name: s.id_number for s in [*a.seats, *b.seats, seat2]}
    return World(headers, own, unassigned, foreign, ids, a.seats[1].candidate.name)


def _call(
    client: TestClient, method: str, path: str, rule_: Rule, place: Place, headers: dict[str, str]
) -> Any:
    url = path.format(**{k: v for k, v in place.params.items() if "{" + k + "}" in path})
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if method != "GET":
        if rule_.files:
            kwargs["files"] = {"file": ("名单.xlsx", b"not a sheet", "application/octet-stream")}
        elif path.startswith("/api/"):
            kwargs["json"] = rule_.body if rule_.body is not None else {}
        else:
            kwargs["data"] = rule_.body or {}
    return client.request(method, url, **kwargs)


def _refused(r: Any) -> bool:
    if r.status_code in (401, 403, 404):
        return True
    # Pages send whoever is not logged in as staff to a login page.
    location = r.headers.get("location", "")
    return r.status_code == 303 and location.startswith(("/login", "/exam/login"))


WALKED = [route for route, r in ROUTES.items() if r is not PUBLIC]


def _problems(client: TestClient, world: World, method: str, path: str) -> list[str]:
    rule_ = ROUTES[(method, path)]
    problems: list[str] = []
    for who in sorted(EVERYONE):
        headers = world.headers[who]
        tries: list[tuple[str, Place]] = []
        if who not in rule_.who:
            tries.append(("own", world.own))
        if "{" in path and who in rule_.who and who not in (PLAT, CAND):
            tries.append(("foreign", world.foreign))
            if rule_.assigned and who == PROC:
                tries.append(("unassigned", world.unassigned))
        for label, place in tries:
            r = _call(client, method, path, rule_, place, headers)
            if not _refused(r):
                problems.append(
                    f"{method} {path}: {who} on {label}: {r.status_code} {r.text[:150]}"
                )
                continue
            leaked = [s for s in place.secrets if s in r.text] if label != "own" else []
            if leaked:
                problems.append(f"{method} {path}: {who} on {label}: body shows {leaked}")
        # Whatever the route answers, full ID numbers reach only the centre admin (and a
        # candidate their own).
        if who != ADMIN and method == "GET" and not (rule_.stream and who in rule_.who):
            r = _call(client, method, path, rule_, world.own, headers)
            shown = [
                name
                for name, number in world.id_numbers.items()
                if number in r.text and not (who == CAND and name == world.candidate)
            ]
            if shown:
                problems.append(f"{method} {path}: {who} sees full ID numbers of {shown}")
    return problems


def test_the_walk(client: TestClient, world: World) -> None:
    """One world for the whole walk (building it per route would cost minutes): refused
    requests roll back, so each route meets the same state."""
    problems = [p for method, path in WALKED for p in _problems(client, world, method, path)]
    assert not problems, "\n".join(problems)
