"""Item statistics of a session's theory paper: the figures a centre checks its bank
with, the faulty items highlighted, the page and the API, and who may see them."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.delivery import service as delivery_service
from app.exams.models import FormMode
from app.results import statistics
from tests.factories import make_centre, make_staff, staff_actor
from tests.helpers import page_login, staff_token
from tests.scoring.builders import OPTIONS, ItemSpec, Paper, make_attempt, make_paper

# Three single-choice items: keys B (10 points), A (20), C (10).
SPECS = (
    ItemSpec(0, "single_choice", {"answer": "B"}, 10, "A", "001", OPTIONS),
    ItemSpec(1, "single_choice", {"answer": "A"}, 20, "B", "001", OPTIONS),
    ItemSpec(2, "single_choice", {"answer": "C"}, 10, "C", "001", OPTIONS),
)
# Item 1 everyone gets right (too easy); item 2 the three strongest get right; item 3 only
# the two weakest get right (negative discrimination). Totals 30, 30, 30, 20, 20.
ANSWERS = [
    {1: {"choice": "B"}, 2: {"choice": "A"}, 3: {"choice": "D"}},
    {1: {"choice": "B"}, 2: {"choice": "A"}, 3: {"choice": "D"}},
    {1: {"choice": "B"}, 2: {"choice": "A"}},  # item 3 blank
    {1: {"choice": "B"}, 2: {"choice": "D"}, 3: {"choice": "C"}},
    {1: {"choice": "B"}, 2: {"choice": "C"}, 3: {"choice": "C"}},
]


def sat(db: Session, fixed: bool = True) -> Paper:
    paper = make_paper(db, specs=SPECS)
    if fixed:
        paper.plan.form_mode = FormMode.FIXED
        db.add(paper.plan)
    for answers in ANSWERS:
        attempt = make_attempt(db, paper, answers=answers)
        delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    db.flush()
    return paper


def test_each_item_has_its_figures_and_the_faulty_are_flagged(db: Session):
    paper = sat(db)
    admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, paper.centre))
    st = statistics.session_statistics(db, staff=admin, session_id=paper.session.id or 0)
    assert st.candidates == 5 and st.fixed_form
    easy, mid, bad = st.items
    assert [r.item_id for r in st.items] == [v.item_id for v in paper.versions]
    assert easy.stats.facility == 1.0
    assert [f.value for f in easy.stats.flags] == ["too_easy"]
    assert mid.stats.facility == pytest.approx(0.6)
    assert mid.stats.distractors == {"A": 3, "C": 1, "D": 1}
    assert (mid.stats.discrimination, mid.stats.flags) == (1.0, ())
    assert bad.stats.facility == pytest.approx(0.4)
    assert bad.stats.distractors == {"": 1, "C": 2, "D": 2}
    assert bad.stats.discrimination == -1.0
    assert bad.stats.point_biserial == pytest.approx(-1.0)
    assert [f.value for f in bad.stats.flags] == ["negative_discrimination"]
    assert st.faulty == 2
    assert st.kr20 is not None  # a fixed form taken whole


def test_a_shuffled_session_gives_no_kr20(db: Session):
    paper = sat(db, fixed=False)
    admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, paper.centre))
    st = statistics.session_statistics(db, staff=admin, session_id=paper.session.id or 0)
    assert st.kr20 is None and not st.fixed_form
    assert len(st.items) == 3


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    paper = sat(db)
    users = {
        "admin": make_staff(db, Role.CENTRE_ADMIN, paper.centre).username,
        "examiner": make_staff(db, Role.EXAMINER, paper.centre).username,
        "proctor": make_staff(db, Role.PROCTOR, paper.centre).username,
        "other": make_staff(db, Role.CENTRE_ADMIN, make_centre(db)).username,
    }
    db.commit()
    return {"session_id": paper.session.id, **users}


def test_the_page_highlights_the_faulty_items(client: TestClient, world):
    page_login(client, world["admin"])
    results = client.get(f"/results/sessions/{world['session_id']}")
    assert f"/results/sessions/{world['session_id']}/statistics" in results.text
    r = client.get(f"/results/sessions/{world['session_id']}/statistics")
    assert r.status_code == 200
    assert r.text.count('class="stat-faulty"') == 2
    for text in ("试题质量分析", "过易（p &gt; 0.95）", "区分度为负", "未答 1", "不足 10 人"):
        assert text in r.text


def test_the_api_gives_the_same_figures_to_admins_and_examiners(client: TestClient, world):
    url = f"/api/v1/results/sessions/{world['session_id']}/statistics"
    for who in ("admin", "examiner"):
        r = client.get(url, headers=staff_token(client, world[who]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["candidates"], body["faulty"]) == (5, 2)
        assert body["items"][0]["flags"] == ["too_easy"]
        assert body["items"][1]["distractors"] == {"A": 3, "C": 1, "D": 1}


def test_other_centres_and_proctors_cannot_see_the_statistics(client: TestClient, world):
    url = f"/api/v1/results/sessions/{world['session_id']}/statistics"
    other = client.get(url, headers=staff_token(client, world["other"]))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "session_not_found"
    proctor = client.get(url, headers=staff_token(client, world["proctor"]))
    assert proctor.status_code == 403
