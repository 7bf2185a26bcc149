"""The answer sheet's sections and headings, as printed papers number them."""

import pytest

from app.delivery.sheet import answer_sheet, chinese_numeral


@pytest.mark.parametrize(
    ("n", "written"),
    [(1, "一"), (4, "四"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三"), (99, "九十九")],
)
def test_section_numbers_are_written_in_chinese(n: int, written: str) -> None:
    assert chinese_numeral(n) == written


def test_questions_are_grouped_by_section_with_count_and_points() -> None:
    questions = [(p, 0, "单项选择题", 1.0) for p in range(1, 41)]
    questions += [(p, 1, "判断题", 0.5) for p in range(41, 61)]
    questions += [(61, 2, "计算题", 5.0), (62, 2, "计算题", 10.0)]
    single, tf, calc = answer_sheet(questions)
    assert (single.numeral, single.type_name, single.count, single.points_each) == (
        "一",
        "单项选择题",
        40,
        1.0,
    )
    assert single.positions == list(range(1, 41))
    assert (tf.numeral, tf.count, tf.points_each, tf.total_points) == ("二", 20, 0.5, 10.0)
    # Mixed points: the heading gives the section's total instead of "每题".
    assert (calc.numeral, calc.points_each, calc.total_points) == ("三", None, 15.0)


def test_an_empty_paper_has_no_sections() -> None:
    assert answer_sheet([]) == []
