"""Scoring an attempt in the database, and the results read by staff and candidates."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select, update

from app.accounts.models import Role
from app.accounts.service import CandidateLogin, Staff
from app.banks.models import Item
from app.core.errors import Conflict, NotFound, PermissionDenied
from app.delivery.models import Answer, AttemptStatus
from app.exams.models import Registration
from app.scoring import service
from app.scoring.models import ItemScore
from app.scoring.schemas import CandidateResult, ResultFilter, ResultStatus
from tests.factories import make_centre
from tests.scoring.builders import (
    ALL_RIGHT,
    DEFAULT_ITEMS,
    ItemSpec,
    Paper,
    make_attempt,
    make_item_version,
    make_paper,
    make_registration,
)


def scores_of(db: Session, attempt_id: int) -> list[tuple[int, float, float, str]]:
    rows = db.exec(
        select(ItemScore)
        .where(ItemScore.attempt_id == attempt_id)
        .order_by(col(ItemScore.position))
    ).all()
    return [(r.position, r.awarded, r.max_points, r.outcome) for r in rows]


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


MIXED: dict[int, dict[str, Any]] = {
    1: {"choice": "B"},  # right, 20
    2: {"choice": "C"},  # wrong
    3: {"choices": ["A", "C"]},  # 2 of 3: 20
    # 4 not answered
    5: {"text": "零电位点。"},  # right, 10
    6: {"text": "5.01A"},  # at the tolerance, 10
}


# -- score_attempt --------------------------------------------------------------------------


def test_all_right_scores_100(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=ALL_RIGHT)
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 100
    assert attempt.score == 100 and attempt.max_score == 100
    assert [r[3] for r in scores_of(db, attempt.id or 0)] == ["correct"] * 6


def test_mixed_attempt_writes_one_row_per_question(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=MIXED)
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 60
    assert scores_of(db, attempt.id or 0) == [
        (1, 20, 20, "correct"),
        (2, 0, 20, "wrong"),
        (3, 20, 30, "partial"),
        (4, 0, 10, "blank"),
        (5, 10, 10, "correct"),
        (6, 10, 10, "correct"),
    ]


def test_all_or_nothing_blueprint_gives_no_partial_credit(db: Session) -> None:
    paper = make_paper(db, rule="all_or_nothing")
    attempt = make_attempt(db, paper, answers=MIXED)
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 40
    assert scores_of(db, attempt.id or 0)[2] == (3, 0, 30, "wrong")


def test_an_empty_attempt_scores_zero_with_every_question_blank(db: Session) -> None:
    attempt = make_attempt(db, make_paper(db))
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 0
    assert {r[3] for r in scores_of(db, attempt.id or 0)} == {"blank"}


def test_rescoring_gives_the_same_rows(db: Session) -> None:
    attempt = make_attempt(db, make_paper(db), answers=MIXED)
    service.score_attempt(db, attempt_id=attempt.id or 0)
    first = db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()
    ids = sorted(r.id or 0 for r in first)
    rows = scores_of(db, attempt.id or 0)
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 60
    assert scores_of(db, attempt.id or 0) == rows
    again = db.exec(select(ItemScore).where(ItemScore.attempt_id == attempt.id)).all()
    assert sorted(r.id or 0 for r in again) == ids
    db.commit()


def test_points_come_from_the_form_not_the_bank(db: Session) -> None:
    paper = make_paper(db)
    paper.versions[0].points = 1.5  # the bank says 1.5; this paper's section says 20
    db.add(paper.versions[0])
    attempt = make_attempt(db, paper, answers={1: {"choice": "B"}})
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 20


def test_scores_against_the_frozen_version_after_the_bank_item_changed(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers={1: {"choice": "B"}})
    # The bank's key for item 1 is corrected to C after the exam: a new version.
    item = db.get(Item, paper.versions[0].item_id)
    new = make_item_version(
        db, paper.bank, ItemSpec(0, "single_choice", {"answer": "C"}, 20, "A", "001"), item=item
    )
    assert item is not None and item.current_version == new.version == 2
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 20
    assert scores_of(db, attempt.id or 0)[0] == (1, 20, 20, "correct")


def test_a_paper_not_worth_100_is_scaled(db: Session) -> None:
    specs = (
        ItemSpec(0, "true_false", {"answer": True}, 1, "A", "001"),
        ItemSpec(0, "true_false", {"answer": True}, 1, "A", "001"),
        ItemSpec(0, "true_false", {"answer": False}, 1, "A", "001"),
    )
    paper = make_paper(db, specs=specs)
    attempt = make_attempt(db, paper, answers={1: {"value": True}})
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 33.3


def test_unknown_attempt_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        service.score_attempt(db, attempt_id=999)


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
    service.score_attempt(db, attempt_id=a1.id or 0)
    service.score_attempt(db, attempt_id=a2.id or 0)
    return paper, (reg1, reg2, reg3, reg4)


def test_session_results_lists_every_registration(db: Session) -> None:
    paper, _ = seeded_session(db)
    res = service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    got = [(r.candidate_name, r.status, r.score, r.passed, r.submit_reason_name) for r in res.rows]
    assert got == [
        ("王一", ResultStatus.SUBMITTED, 100, True, "考生交卷"),
        ("王二", ResultStatus.SUBMITTED, 20, False, "时间到自动交卷"),
        ("王三", ResultStatus.IN_PROGRESS, None, None, ""),
        ("王四", ResultStatus.NOT_STARTED, None, None, ""),
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
            for r in service.session_results(db, staff=staff, session_id=sid, only=f).rows
        ]
        for f in ResultFilter
    }
    assert names[ResultFilter.PASSED] == ["王一"]
    assert names[ResultFilter.FAILED] == ["王二"]
    assert names[ResultFilter.NOT_SUBMITTED] == ["王三", "王四"]
    res = service.session_results(db, staff=staff, session_id=sid, only=ResultFilter.PASSED)
    assert res.session.registered == 4


def test_after_the_session_a_registration_without_attempt_is_absent(db: Session) -> None:
    paper = make_paper(db, starts_at_offset=timedelta(hours=-3), duration_minutes=90)
    make_registration(db, paper)
    res = service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    assert [r.status_name for r in res.rows] == ["缺考"]


def test_session_results_pass_mark_is_the_blueprints(db: Session) -> None:
    paper = make_paper(db, pass_mark=50)
    reg, _ = make_registration(db, paper)
    a = make_attempt(db, paper, reg, answers={1: {"choice": "B"}, 3: {"choices": ["A", "C", "D"]}})
    service.score_attempt(db, attempt_id=a.id or 0)
    res = service.session_results(
        db, staff=staff_of(paper.centre.id), session_id=paper.session.id or 0
    )
    assert (res.rows[0].score, res.rows[0].passed, res.session.pass_mark) == (50, True, 50)


def test_session_of_another_centre_is_not_found(db: Session) -> None:
    paper, _ = seeded_session(db)
    other = make_centre(db)
    with pytest.raises(NotFound):
        service.session_results(db, staff=staff_of(other.id), session_id=paper.session.id or 0)


@pytest.mark.parametrize("role", [Role.PROCTOR, Role.REGULATOR, Role.PLATFORM_ADMIN])
def test_only_admins_and_examiners_read_results(db: Session, role: Role) -> None:
    paper, _ = seeded_session(db)
    with pytest.raises(PermissionDenied):
        service.session_results(
            db, staff=staff_of(paper.centre.id, role), session_id=paper.session.id or 0
        )


def test_examiner_reads_results(db: Session) -> None:
    paper, _ = seeded_session(db)
    res = service.session_results(
        db, staff=staff_of(paper.centre.id, Role.EXAMINER), session_id=paper.session.id or 0
    )
    assert len(res.rows) == 4


# -- centre_sessions ------------------------------------------------------------------------


def test_centre_sessions_counts_and_averages(db: Session) -> None:
    paper, _ = seeded_session(db)
    later = make_paper(db, paper.centre, starts_at_offset=timedelta(days=1))
    make_registration(db, later)
    make_paper(db)  # another centre's session is not listed
    got = service.centre_sessions(db, staff=staff_of(paper.centre.id))
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
    service.score_attempt(db, attempt_id=attempt.id or 0)
    bd = service.attempt_breakdown(db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0)
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
    service.score_attempt(db, attempt_id=attempt.id or 0)
    bd = service.attempt_breakdown(db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0)
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
        service.attempt_breakdown(db, staff=staff_of(paper.centre.id), attempt_id=attempt.id or 0)


def test_breakdown_of_another_centre_is_not_found(db: Session) -> None:
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers=ALL_RIGHT)
    with pytest.raises(NotFound):
        service.attempt_breakdown(
            db, staff=staff_of(make_centre(db).id), attempt_id=attempt.id or 0
        )


# -- candidate_result -----------------------------------------------------------------------


def candidate_view(db: Session, show_score: bool = True, **attempt_kw: Any) -> CandidateResult:
    paper = make_paper(db, show_score=show_score)
    reg, cand = make_registration(db, paper)
    attempt = make_attempt(db, paper, reg, **attempt_kw)
    if attempt.status == AttemptStatus.SUBMITTED:
        service.score_attempt(db, attempt_id=attempt.id or 0)
    login = login_of(reg.id or 0, cand.id or 0, paper.centre.id or 0, paper.session.id or 0)
    return service.candidate_result(db, login=login)


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


def test_default_items_total_100() -> None:
    assert sum(s.points for s in DEFAULT_ITEMS) == 100


def test_scoring_reads_answers_as_stored_not_as_loaded(db: Session) -> None:
    # Delivery's writer saves with Core statements; an Answer this session loaded
    # before must not hide the saved response.
    paper = make_paper(db)
    attempt = make_attempt(db, paper, answers={1: {"choice": "A"}})
    loaded = db.exec(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    assert loaded.response == {"choice": "A"}
    db.connection().execute(
        update(Answer).where(col(Answer.id) == loaded.id).values(response={"choice": "B"})
    )
    assert service.score_attempt(db, attempt_id=attempt.id or 0) == 20
