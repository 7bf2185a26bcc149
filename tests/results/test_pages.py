"""Results pages, as a centre admin, an examiner, a proctor and another centre see them."""

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role, StaffUser
from app.delivery import service as delivery_service
from app.delivery.models import Attempt
from tests.factories import make_centre, make_staff
from tests.helpers import page_login
from tests.scoring.builders import ALL_RIGHT, Paper, make_attempt, make_paper, make_registration


@dataclass
class Seeded:
    paper: Paper
    a1: Attempt  # 孙一: 90
    a2: Attempt  # 孙二: 20
    admin: StaffUser
    examiner: StaffUser
    proctor: StaffUser


def seed(db: Session) -> Seeded:
    paper = make_paper(db, pass_mark=60)
    r1, _ = make_registration(db, paper, name="孙一", seat=1)
    r2, _ = make_registration(db, paper, name="孙二", seat=2)
    make_registration(db, paper, name="孙三", seat=3)
    # 孙一 saw item 1's options reversed: bank label B was their C.
    a1 = make_attempt(
        db,
        paper,
        r1,
        answers={**ALL_RIGHT, 3: {"choices": ["A", "C"]}},
        option_orders={1: ["D", "C", "B", "A"]},
    )
    a2 = make_attempt(db, paper, r2, answers={2: {"choice": "A"}})
    for a in (a1, a2):
        delivery_service.score_attempt(db, attempt_id=a.id or 0)
    admin = make_staff(db, Role.CENTRE_ADMIN, paper.centre)
    examiner = make_staff(db, Role.EXAMINER, paper.centre)
    proctor = make_staff(db, Role.PROCTOR, paper.centre)
    db.commit()
    return Seeded(paper, a1, a2, admin, examiner, proctor)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_session_list_page(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, admin = s.paper, s.admin
    page_login(client, admin.username)
    r = client.get("/results")
    assert r.status_code == 200
    assert paper.session.name in r.text
    assert f'href="/results/sessions/{paper.session.id}"' in r.text
    # 3 registered, 2 submitted, 2 scored, 1 passed, average (90 + 20) / 2 = 55
    assert "3 2 2 1 55 60" in text_of(r.text)


def test_session_page_shows_each_candidate_with_pass_mark(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, a1, examiner = s.paper, s.a1, s.examiner
    page_login(client, examiner.username)
    r = client.get(f"/results/sessions/{paper.session.id}")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "孙一" in text and "90" in text and "合格" in text
    assert "孙二" in text and "20" in text and "不合格" in text
    assert "孙三" in text and "缺考" in text  # entry closed (the session began an hour ago)
    assert "60 分合格" in text
    assert f'href="/results/attempts/{a1.id}"' in r.text
    assert f'href="/results/sessions/{paper.session.id}/export.xlsx"' in r.text
    assert "<html" in r.text


def test_session_filter_swaps_only_the_table(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, admin = s.paper, s.admin
    page_login(client, admin.username)
    r = client.get(
        f"/results/sessions/{paper.session.id}?only=passed", headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="results-table">')
    assert "<html" not in r.text
    assert "孙一" in r.text and "孙二" not in r.text and "孙三" not in r.text


def test_attempt_page_shows_answers_keys_and_area_totals(db: Session, client: TestClient) -> None:
    s = seed(db)
    a1, admin = s.a1, s.admin
    page_login(client, admin.username)
    r = client.get(f"/results/attempts/{a1.id}")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "孙一 的答题明细" in text
    assert "理论成绩 90 / 100 分 合格" in text
    assert "一、单项选择题（共 2 题，每题 20 分） 得分 40 / 40" in text
    assert "二、多项选择题（共 1 题，每题 30 分） 得分 20 / 30" in text
    # Item 1: the candidate's letter C for bank label B, for the answer and the key.
    row1 = re.search(r'<tr class="outcome-correct">\s*<td class="num">1</td>.*?</tr>', r.text, re.S)
    assert row1 and '<td class="answer">C</td>' in row1.group(0)
    assert '<td class="answer key">C</td>' in row1.group(0)
    assert "badge-warn" in r.text and "部分得分" in text
    assert "B 专业知识 40 50" in text  # 20 (item 2) + 20 of 30 (item 3)


def test_proctor_is_refused(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, a1, proctor = s.paper, s.a1, s.proctor
    page_login(client, proctor.username)
    for path in ("/results", f"/results/sessions/{paper.session.id}", f"/results/attempts/{a1.id}"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "孙一" not in r.text


def test_another_centre_gets_404(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, a1 = s.paper, s.a1
    stranger = make_staff(db, Role.CENTRE_ADMIN, make_centre(db))
    db.commit()
    page_login(client, stranger.username)
    for path in (
        f"/results/sessions/{paper.session.id}",
        f"/results/sessions/{paper.session.id}/export.xlsx",
        f"/results/attempts/{a1.id}",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "孙一" not in r.text
    assert paper.session.name not in client.get("/results").text


def test_page_export_downloads_a_workbook(db: Session, client: TestClient) -> None:
    s = seed(db)
    paper, admin = s.paper, s.admin
    page_login(client, admin.username)
    r = client.get(f"/results/sessions/{paper.session.id}/export.xlsx")
    assert r.status_code == 200
    assert r.content[:2] == b"PK"  # a zip: the xlsx container


def test_anonymous_goes_to_login(db: Session, client: TestClient) -> None:
    paper = seed(db).paper
    r = client.get(f"/results/sessions/{paper.session.id}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
