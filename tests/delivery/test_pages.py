"""The candidate's pages: log-in, the waiting room, the exam, the result."""

import json
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core import clock
from app.delivery import service as delivery
from app.delivery.models import Answer
from tests.delivery.support import check_in, first_of_type, login_of, paper, start
from tests.factories import MIXED_SECTIONS, Seat, make_exam
from tests.helpers import login_csrf


def page_login(client: TestClient, seat: Seat) -> None:
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


def _json_block(html: str, name: str) -> Any:
    m = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html)
    assert m
    return json.loads(m.group(1))


def paper_of(html: str) -> list[dict[str, Any]]:
    """The questions the exam page sends its script (static/exam.js renders them)."""
    return _json_block(html, "exam-paper")  # type: ignore[no-any-return]


def boot_of(html: str) -> dict[str, Any]:
    """What the exam page's script starts from (no question content)."""
    return _json_block(html, "exam-data")  # type: ignore[no-any-return]


def csrf(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert m
    return m.group(1)


def test_the_exam_needs_a_candidate_login(db: Session, client: TestClient) -> None:
    r = client.get("/exam", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/exam/login")
    page = client.get("/exam/login")
    assert "准考证号" in page.text and "身份证号" in page.text


def test_wrong_credentials_are_shown_and_throttled(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1)
    seat = exam.seats[0]
    token = login_csrf(client, "/exam/login")
    for _ in range(5):
        r = client.post(
            "/exam/login",
            data={
                "ticket_number": seat.ticket_number,
                "id_number": "110105194912310021",
                "csrf_token": token,
            },
        )
        assert r.status_code == 401 and "准考证号或身份证号不正确" in r.text
    r = client.post(
        "/exam/login",
        data={
            "ticket_number": seat.ticket_number,
            "id_number": seat.id_number,
            "csrf_token": token,
        },
    )
    assert r.status_code == 429 and "登录失败次数过多" in r.text


def test_the_waiting_room_shows_the_candidate_and_the_rules(
    db: Session, client: TestClient
) -> None:
    exam = make_exam(db, candidates=2, leave_limit=3)
    seat, other = exam.seats
    page_login(client, seat)
    page = client.get("/exam")
    assert page.status_code == 200
    for text in (
        seat.candidate.name,
        seat.candidate.id_number,
        seat.ticket_number,
        exam.session.room,
        exam.plan.name,
        "四级/中级工",
        "考场规则",
        "累计达到 3 次系统将自动交卷",
        "请等待监考员核验身份",
    ):
        assert text in page.text, text
    assert other.candidate.name not in page.text
    assert 'hx-trigger="every 5s, gate-refresh from:body"' in page.text  # polls, and is pushed
    assert 'action="/exam/start"' not in page.text

    check_in(db, exam, seat)
    gate = client.get("/exam/gate", headers={"HX-Request": "true"})
    assert "我已阅读并同意" in gate.text and "every 5s" not in gate.text
    token = csrf(client.get("/exam").text)
    r = client.post("/exam/start", data={"csrf_token": token})
    assert r.status_code == 422 and "请先阅读考场规则" in r.text
    r = client.post("/exam/start", data={"csrf_token": token, "agree": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/exam"
    assert 'id="exam-data"' in client.get("/exam").text
    assert (
        client.get("/exam/gate", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/exam"
    )


def test_starting_with_another_candidates_csrf_token_is_refused(
    db: Session, client: TestClient
) -> None:
    exam = make_exam(db, candidates=2)
    seat, other = exam.seats
    check_in(db, exam, seat, other)
    page_login(client, other)
    others_token = csrf(client.get("/exam").text)
    page_login(client, seat)
    own = csrf(client.get("/exam").text)
    for forged in (others_token, own[::-1], "1"):
        r = client.post("/exam/start", data={"csrf_token": forged, "agree": "1"})
        assert r.status_code == 403 and "CSRF 校验失败" in r.text
    assert 'id="exam-data"' not in client.get("/exam").text  # still in the waiting room
    r = client.post("/exam/start", data={"csrf_token": own, "agree": "1"}, follow_redirects=False)
    assert r.status_code == 303 and 'id="exam-data"' in client.get("/exam").text


def test_a_fill_in_answer_as_long_as_the_page_allows_is_saved(
    db: Session, client: TestClient
) -> None:
    exam = make_exam(db, candidates=1, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    attempt = start(db, exam, seat)
    slot, _ = first_of_type(db, attempt, "fill_in")
    page_login(client, seat)
    html = client.get("/exam").text
    box = next(q for q in paper_of(html) if q["position"] == slot.position)
    assert box["type"] == "fill_in" and box["maxlength"] == 200  # the page's input limit
    headers = {"X-CSRF-Token": csrf(html)}
    url = f"/api/v1/exam/answers/{slot.position}"
    r = client.put(url, json={"response": {"text": "零" * 200}, "seq": 1}, headers=headers)
    assert r.status_code == 200, r.text
    r = client.put(url, json={"response": {"text": "零" * 201}, "seq": 2}, headers=headers)
    assert r.status_code == 422 and "不能超过 200 个字符" in r.text
    answer = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    db.commit()
    assert (answer.client_seq, answer.response) == (1, {"text": "零" * 200})


def test_the_waiting_room_before_the_start(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1, starts_at=clock.utcnow() + timedelta(minutes=30))
    page_login(client, exam.seats[0])
    page = client.get("/exam").text
    assert "等待开考" in page and "请耐心等待" in page


def test_the_exam_page_shows_the_questions_but_never_a_key(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS)
    seat, other = exam.seats
    attempt = start(db, exam, seat)
    start(db, exam, other)
    delivery.save_answer(
        db, login=login_of(seat), position=1, response={}, flagged=True, client_seq=4
    )
    db.commit()
    page_login(client, seat)
    html = client.get("/exam").text
    items = paper(db, attempt)
    shown = paper_of(html)
    assert [q["stem"] for q in shown] == [version.stem for _, version in items]
    assert [q["position"] for q in shown] == list(range(1, 21))
    assert shown[0]["response"] == {}  # flagged only; exam-data carries the flag
    # No key in any form: not the fill-in answers, not the word, not the explanation.
    fill_in_answers = [a for _, v in items if v.item_type == "fill_in" for a in v.key["accepted"]]
    assert fill_in_answers
    for text in fill_in_answers:
        assert text not in html
    assert "key" not in html.lower().replace("keyboard", "")
    assert "accepted" not in html
    assert other.candidate.name not in html and other.ticket_number not in html
    assert boot_of(html)["last_seq"] == 4
    assert 'data-goto="1"' in html and "flagged" in html
    assert "/static/exam.js" in html


def test_the_answer_sheet_is_grouped_by_section_and_the_tools_follow_the_plan(
    db: Session, client: TestClient
) -> None:
    exam = make_exam(db, candidates=2, sections=MIXED_SECTIONS)
    seat = exam.seats[0]
    start(db, exam, seat)
    page_login(client, seat)
    html = client.get("/exam").text
    headings = re.findall(r'<h3 class="sheet-head">([^<]*)</h3>', html)
    assert headings == [
        "一、单项选择题（共 8 题，每题 5 分）",
        "二、多项选择题（共 4 题，每题 5 分）",
        "三、判断题（共 4 题，每题 5 分）",
        "四、填空题（共 4 题，每题 5 分）",
    ]
    assert html.count('class="nav-btn') == 20
    assert "快捷键" in html and 'data-size="xlarge"' in html
    assert 'id="calculator"' not in html and 'id="scratchpad"' not in html

    exam.plan.allow_calculator = exam.plan.allow_scratchpad = True
    db.add(exam.plan)
    db.commit()
    html = client.get("/exam").text
    assert 'id="calculator"' in html and 'id="scratchpad"' in html
    assert 'data-calc="sin("' in html


def test_the_result_page_shows_the_score_only_if_allowed(db: Session, client: TestClient) -> None:
    shown = make_exam(db, candidates=1)
    start(db, shown, shown.seats[0])
    delivery.submit_own_attempt(db, login=login_of(shown.seats[0]))
    db.commit()
    page_login(client, shown.seats[0])
    html = client.get("/exam").text
    assert "您已交卷" in html and "理论知识成绩" in html

    hidden = make_exam(db, candidates=1, show_score_to_candidate=False)
    start(db, hidden, hidden.seats[0])
    client.cookies.clear()
    page_login(client, hidden.seats[0])
    clock.travel(timedelta(minutes=91))
    html = client.get("/exam").text
    assert "考试时间到，已自动交卷" in html
    assert "理论知识成绩" not in html and "成绩将由评价机构审核后公布" in html


def test_late_arrivals_are_told_they_cannot_enter(db: Session, client: TestClient) -> None:
    exam = make_exam(db, candidates=1)
    check_in(db, exam)
    page_login(client, exam.seats[0])
    clock.travel(timedelta(minutes=31))
    html = client.get("/exam").text
    assert "不能再进入考试" in html and 'action="/exam/start"' not in html


def test_the_rules_state_how_multiple_choice_is_scored(db: Session, client: TestClient) -> None:
    default = make_exam(db, candidates=1)
    page_login(client, default.seats[0])
    assert "多项选择题：全部选对才得分（全对得分）" in client.get("/exam").text
    partial = make_exam(db, candidates=1, multiple_choice_rule="partial")
    page_login(client, partial.seats[0])
    text = client.get("/exam").text
    assert "按所选正确选项的比例得分" in text and "全对得分" not in text
