"""Written answers through the API and the pages: the admin sets a session's marking job,
examiners mark blind one response after another, the chief arbitrates; roles kept apart."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.delivery import service as delivery_service
from app.delivery.models import Attempt
from tests.factories import make_staff
from tests.helpers import page_login, staff_token
from tests.results.test_written import ANSWERS, SPECS
from tests.scoring.builders import make_attempt, make_paper, make_registration


def world(db: Session, candidates: int = 2) -> dict[str, object]:
    paper = make_paper(db, specs=SPECS)
    admin = make_staff(db, Role.CENTRE_ADMIN, paper.centre)
    markers = [make_staff(db, Role.EXAMINER, paper.centre) for _ in range(3)]
    attempts = []
    for n in range(candidates):
        reg, _ = make_registration(db, paper, name=f"秘密考生{n}", seat=n + 1)
        a = make_attempt(db, paper, reg, answers=ANSWERS)
        delivery_service.score_attempt(db, attempt_id=a.id or 0)
        attempts.append(a)
    db.commit()
    return {"paper": paper, "admin": admin, "markers": markers, "attempts": attempts}


def test_api_marking_job_double_marking_and_arbitration(client: TestClient, db: Session) -> None:
    w = world(db, candidates=1)
    paper, admin, markers = w["paper"], w["admin"], w["markers"]
    sid = paper.session.id  # type: ignore[attr-defined]
    a_h = staff_token(client, admin.username)  # type: ignore[attr-defined]
    body = {"examiner_ids": [m.id for m in markers[:2]], "chief_examiner_id": markers[0].id}
    r = client.put(f"/api/v1/sessions/{sid}/marking-job", json=body, headers=a_h)
    assert r.status_code == 422 and "至少 3 人" in r.text
    assert client.get(f"/api/v1/sessions/{sid}/marking-job", headers=a_h).status_code == 404
    body["examiner_ids"] = [m.id for m in markers]
    job = client.put(f"/api/v1/sessions/{sid}/marking-job", json=body, headers=a_h).json()
    assert [i["responses"] for i in job["items"]] == [1, 1]
    heads = [staff_token(client, m.username) for m in markers]
    vid = job["items"][0]["item_version_id"]
    url = f"/api/v1/marking/written/{job['id']}"
    r1 = client.get(f"{url}/items/{vid}/next", headers=heads[1]).json()
    assert "秘密考生0" not in str(r1) and "attempt_id" not in r1
    assert (
        client.post(
            f"{url}/responses/{r1['response_id']}/marks", json={"score": 21}, headers=heads[1]
        ).status_code
        == 422
    )
    ok = client.post(
        f"{url}/responses/{r1['response_id']}/marks", json={"score": 2}, headers=heads[1]
    )
    assert ok.status_code == 201 and ok.json()["status"] == "marking"
    assert client.get(f"{url}/items/{vid}/next", headers=heads[1]).status_code == 204
    r2 = client.get(f"{url}/items/{vid}/next", headers=heads[2]).json()
    out = client.post(
        f"{url}/responses/{r2['response_id']}/marks", json={"score": 18}, headers=heads[2]
    )
    assert out.json()["status"] == "third"
    r3 = client.get(f"{url}/items/{vid}/next", headers=heads[0]).json()
    assert r3["third"] is True
    out = client.post(
        f"{url}/responses/{r3['response_id']}/marks", json={"score": 10}, headers=heads[0]
    )
    assert out.json()["status"] == "arbitration"
    # Only the chief (markers[0]) arbitrates; the admin is no marker.
    assert client.get(f"{url}/arbitration", headers=heads[1]).status_code == 403
    assert client.get(f"{url}/arbitration", headers=a_h).status_code == 403
    [queued] = client.get(f"{url}/arbitration", headers=heads[0]).json()
    assert [m["score"] for m in queued["marks"]] == [2, 18, 10]
    done = client.post(
        f"{url}/responses/{r3['response_id']}/arbitration",
        json={"score": 9, "reason": "要点一答出一半"},
        headers=heads[0],
    )
    assert done.status_code == 200 and done.json()["status"] == "final"
    assert client.get(f"/api/v1/sessions/{sid}/marking-job", headers=a_h).json()["final"] == 1


def test_pages_admin_sets_the_job_and_an_examiner_marks_blind(
    client: TestClient, db: Session
) -> None:
    w = world(db)
    paper, admin, markers = w["paper"], w["admin"], w["markers"]
    sid = paper.session.id  # type: ignore[attr-defined]
    csrf = page_login(client, admin.username)  # type: ignore[attr-defined]
    assert f'href="/sessions/{sid}/written"' in client.get(f"/sessions/{sid}").text
    r = client.post(
        f"/sessions/{sid}/written",
        data={
            "csrf_token": csrf,
            "examiner_ids": [str(markers[0].id)],
            "chief_examiner_id": str(markers[0].id),
            "tolerance_percent": "20",
        },
    )
    assert r.status_code == 422 and "阅卷组至少 3 人" in r.text
    r = client.post(
        f"/sessions/{sid}/written",
        data={
            "csrf_token": csrf,
            "examiner_ids": [str(m.id) for m in markers],
            "chief_examiner_id": str(markers[0].id),
            "tolerance_percent": "20",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200 and "共 4 份作答，已定分 0 份" in r.text
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    csrf = page_login(client, markers[1].username)
    index = client.get("/marking").text
    assert "理论主观题阅卷" in index
    job_link = re.search(r'href="(/marking/written/\d+)"', index)
    assert job_link is not None
    items = client.get(job_link[1]).text
    start = re.search(r'href="(/marking/written/\d+/items/\d+)"', items)
    assert start is not None
    for _ in range(2):  # the item's two responses, one after the other
        page = client.get(start[1]).text
        assert "秘密考生" not in page and "T0" not in page  # no name, no ticket
        assert ANSWERS[3]["text"] in page and "参考答案与得分点" in page
        action = re.search(r'action="(/marking/written/\d+/responses/\d+)"', page)
        vid = re.search(r'name="item_version_id" value="(\d+)"', page)
        assert action is not None and vid is not None
        bad = client.post(
            action[1], data={"csrf_token": csrf, "score": "99", "item_version_id": vid[1]}
        )
        assert bad.status_code == 422 and "分数须在 0–20 之间" in bad.text
        ok = client.post(
            action[1],
            data={"csrf_token": csrf, "score": "12", "item_version_id": vid[1]},
            follow_redirects=False,
        )
        assert ok.status_code == 303
    assert "本题已没有待您评阅的作答" in client.get(start[1]).text
    attempts: list[Attempt] = w["attempts"]  # type: ignore[assignment]
    for a in attempts:
        db.refresh(a)
        assert a.score is None  # one mark each so far
