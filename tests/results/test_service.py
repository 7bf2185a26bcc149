"""results.service: the results staff read (session tables, breakdowns) and a candidate's own."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.principals import CandidateLogin, Staff
from app.core.errors import Conflict, NotFound, PermissionDenied
from app.delivery import service as delivery_service
from app.delivery.models import AttemptStatus
from app.exams.models import Registration
from app.results import service as results_service
from app.results.schemas import CandidateResult, ResultFilter, ResultStatus
from tests.factories import make_centre
from tests.scoring.builders import (
    ALL_RIGHT,
    MIXED,
    Paper,
    make_attempt,
    make_paper,
    make_registration,
)


def staff_of(centre_id: int | None, role: Role = Role.CENTRE_ADMIN) -> Staff:
    return Staff(
        id=1, username="u", display_name="张老师", role=role, centre_id=centre_id, region_code=None
    )


def login_of(reg_id: int, candidate_id: int, centre_id: int, session_id: int) -> CandidateLogin:
    return CandidateLogin(
        registration_id=reg_id,
        candidate_id=candidate_id,
        centre_id=centre_id,
        session_id=session_id,
        name="李明",
    )


# -- session_results ------------------------------------------------------------------------


def seeded_session(db: Session) -> tuple[Paper, tuple[Registration, ...]]:
    paper = make_paper(db, pass_mark=60)
    reg1, _ = make_registration(db, paper, name="王一", seat=1)
    reg2, _ = make_registration(db, paper, name="王二", seat=2)
    reg3, _ = make_registration(db, paper, name="王三", seat=3)
    reg4, _ = make_registration(db, paper, name="王四", seat=4)
    a1 = make_attempt(db, paper, reg1, answers=ALL_RIGHT)
    a2 = make_attempt(db, paper, reg2, answers={1: {"choice": "B"}}, reason="timeout")
    make_attempt(db, paper, reg3, status=AttemptStatus.IN_PROGRESS)
    delivery_service.score_attempt(db, attempt_id=a1.id or 0)
    delivery_service.score_attempt(db, attempt_id=a2.id or 0)
    return paper, (reg1, reg2, reg3, reg4)


def test_session_results_lists_every_registration(db: Session) -> None:
    paper, _ = seeded_session(db)
    res = results_service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    got = [(r.candidate_name, r.status, r.score, r.passed, r.submit_reason_name) for r in res.rows]
    assert got == [
        ("王一", ResultStatus.SUBMITTED, 100, True, "考生交卷"),
        ("王二", ResultStatus.SUBMITTED, 20, False, "时间到自动交卷"),
        ("王三", ResultStatus.IN_PROGRESS, None, None, ""),
        # Started an hour ago, entry closed after 30 minutes: 缺考.
        ("王四", ResultStatus.ABSENT, None, None, ""),
    ]
    s = res.session
    assert (s.registered, s.submitted, s.scored, s.passed, s.average) == (4, 2, 2, 1, 60.0)
    assert s.pass_mark == 60


def test_session_results_filters_rows_but_counts_the_session(db: Session) -> None:
    paper, _ = seeded_session(db)
    staff = staff_of(paper.centre.id)
    sid = paper.session.id or 0
    names = {
        f: [
            r.candidate_name
            for r in results_service.session_results(db, staff=staff, session_id=sid, only=f).rows
        ]
        for f in ResultFilter
    }
    assert names[ResultFilter.PASSED] == ["王一"]
    assert names[ResultFilter.FAILED] == ["王二"]
    assert names[ResultFilter.NOT_SUBMITTED] == ["王三", "王四"]
    res = results_service.session_results(db, staff=staff, session_id=sid, only=ResultFilter.PASSED)
    assert res.session.registered == 4


def test_after_the_session_a_registration_without_attempt_is_absent(db: Session) -> None:
    paper = make_paper(db, starts_at_offset=timedelta(hours=-3), duration_minutes=90)
    make_registration(db, paper)
    res = results_service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    assert [r.status_name for r in res.rows] == ["缺考"]


def test_session_results_pass_mark_is_the_blueprints(db: Session) -> None:
    paper = make_paper(db, pass_mark=50)
    reg, _ = make_registration(db, paper)
    a = make_attempt(db, paper, reg, answers={1: {"choice": "B"}, 3: {"choices": ["A", "C", "D"]}})
    delivery_service.score_attempt(db, attempt_id=a.id or 0)
    res = results_service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    assert (res.rows[0].score, res.rows[0].passed, res.session.pass_mark) == (50, True, 50)


def test_exactly_the_pass_mark_passes_in_the_table_and_in_the_counts(db: Session) -> None:
    paper = make_paper(db, pass_mark=50)
    at_mark, _ = make_registration(db, paper)
    below, _ = make_registration(db, paper)
    for reg in (at_mark, below):
        a = make_attempt(
            db, paper, reg, answers={1: {"choice": "B"}, 3: {"choices": ["A", "C", "D"]}}
        )
        delivery_service.score_attempt(db, attempt_id=a.id or 0)
        if reg is below:
            a.score = 49.99
            db.add(a)
    db.flush()
    staff = staff_of(paper.centre.id)
    res = results_service.session_results(db, staff=staff, session_id=paper.session.id or 0)
    assert [(r.score, r.passed) for r in res.rows] == [(50, True), (49.99, False)]
    assert res.session.passed == 1
    [summary] = results_service.centre_sessions(db, staff=staff)
    assert (summary.scored, summary.passed) == (2, 1)


def test_session_of_another_centre_is_not_found(db: Session) -> None:
    paper, _ = seeded_session(db)
    other = make_centre(db)
    with pytest.raises(NotFound):
        results_service.session_results(
            db, staff=staff_of(other.id), session_id=paper.session.id or 0
        )


@pytest.mark.parametrize("role", [Role.PROCTOR, Role.REGULATOR, Role.PLATFORM_ADMIN])
def test_only_admins_and_examiners_read_results(db: Session, role: Role) -> None:
    paper, _ = seeded_session(db)
    with pytest.raises(PermissionDenied):
        results_service.session_results(
            db, staff=staff_of(paper.centre.id, role), session_id=paper.session.id or 0
        )


def test_examiner_reads_results(db: Session) -> None:
    paper, _ = seeded_session(db)
    res = results_service.session_results(
        db, staff=staff_of(paper.centre.id, Role.EXAMINER), session_id=paper.session.id or 0
    )
    assert len(res.rows) == 4


# -- centre_sessions ------------------------------------------------------------------------


def test_centre_sessions_counts_and_averages(db: Session) -> None:
    paper, _ = seeded_session(db)
    later = make_paper(db, paper.centre, starts_at_offset=timedelta(days=1))
    make_registration(db, later)
    make_paper(db)  # another centre's session is not listed
    got = results_service.centre_sessions(db, staff=staff_of(paper.centre.id))
    assert [s.session_id for s in got] == [later.session.id, paper.session.id]
    s = got[1]
    assert (s.registered, s.submitted, s.scored, s.passed, s.average) == (4, 2, 2, 1, 60.0)
    assert (got[0].registered, got[0].submitted, got[0].average) == (1, 0, None)


# -- attempt_breakdown ----------------------------------------------------------------------


def test_breakdown_shows_answers_and_keys_in_the_candidates_letters(db: Session) -> None:
    paper = make_paper(db)
    # The candidate saw item 1's options as C, A, D, B and item 3's as D, C, B, A.
    orders = {1: ["C", "A", "D", "B"], 3: ["D", "C", "B", "A"]}
    attempt = make_attempt(db, paper, answers=MIXED, option_orders=orders)
    delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    bd = results_service.attempt_breakdown(
        db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0
    )
    items = {i.position: i for s in bd.sections for i in s.items}
    # Bank label B was the candidate's 4th option: D.
    assert (items[1].response, items[1].key, items[1].outcome) == ("D", "D", "correct")
    # Bank labels A, C → display D, B; key A, C, D → display D, B, A.
    assert (items[3].response, items[3].key, items[3].awarded) == ("BD", "ABD", 20)
    assert (items[2].response, items[2].key) == ("C", "A")
    assert (items[4].response, items[4].key, items[4].outcome_name) == ("", "正确（√）", "未作答")
    assert (items[5].response, items[5].key) == ("零电位点。", "参考点 / 零电位点")
    assert (items[6].response, items[6].key) == ("5.01A", "5 A（允许误差 ±0.01）")
    assert (items[1].area_name, items[1].point_name) == ("基础知识", "直流电路")


def test_breakdown_groups_sections_and_totals_areas(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=MIXED)
    delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    bd = results_service.attempt_breakdown(
        db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0
    )
    assert [(s.title, s.awarded, s.max_points) for s in bd.sections] == [
        ("一、单项选择题（共 2 题，每题 20 分）", 20, 40),
        ("二、多项选择题（共 1 题，每题 30 分）", 20, 30),
        ("三、判断题（共 1 题，每题 10 分）", 0, 10),
        ("四、填空题（共 2 题，每题 10 分）", 20, 20),
    ]
    assert [(a.code, a.name, a.awarded, a.max_points) for a in bd.areas] == [
        ("A", "基础知识", 30, 30),
        ("B", "专业知识", 20, 50),
        ("C", "安全知识", 10, 20),
    ]
    assert (bd.score, bd.passed, bd.pass_mark) == (60, True, 60)
    assert bd.multiple_choice_rule_name == "多选题少选按比例得分、错选不得分"


def test_breakdown_of_an_unsubmitted_attempt_is_refused(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, status=AttemptStatus.IN_PROGRESS)
    with pytest.raises(Conflict):
        results_service.attempt_breakdown(
            db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0
        )


def test_breakdown_of_another_centre_is_not_found(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=ALL_RIGHT)
    with pytest.raises(NotFound):
        results_service.attempt_breakdown(
            db, staff=staff_of(make_centre(db).id), attempt_id=attempt.id or 0
        )


# -- candidate_result -----------------------------------------------------------------------


def candidate_view(db: Session, show_score: bool = True, **attempt_kw: Any) -> CandidateResult:
    paper = make_paper(db, show_score=show_score)
    reg, cand = make_registration(db, paper)
    attempt = make_attempt(db, paper, reg, **attempt_kw)
    if attempt.status == AttemptStatus.SUBMITTED:
        delivery_service.score_attempt(db, attempt_id=attempt.id or 0)
    login = login_of(reg.id or 0, cand.id or 0, paper.centre.id or 0, paper.session.id or 0)
    return results_service.candidate_result(db, login=login)


def test_candidate_sees_score_and_pass(db: Session) -> None:
    res = candidate_view(db, answers=MIXED)
    assert (res.score_visible, res.score, res.passed, res.pass_mark) == (True, 60, True, 60)
    assert res.status_name == "已交卷"


def test_candidate_sees_no_score_when_the_plan_hides_it(db: Session) -> None:
    res = candidate_view(db, show_score=False, answers=MIXED)
    assert (res.score_visible, res.score, res.passed, res.pass_mark) == (False, None, None, None)
    assert "另行公布" in res.message


def test_candidate_sees_no_score_before_submitting(db: Session) -> None:
    res = candidate_view(db, status=AttemptStatus.IN_PROGRESS)
    assert (res.status, res.score, res.score_visible) == (ResultStatus.IN_PROGRESS, None, False)


def test_candidate_result_never_carries_items_or_keys() -> None:
    assert not {"sections", "items", "key", "areas"} & set(CandidateResult.model_fields)
