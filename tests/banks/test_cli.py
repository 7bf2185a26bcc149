"""`python -m app.cli import-bank`: prints the summary, or every problem (exit 2, nothing
imported)."""

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app import cli
from app.banks.models import Item, QuestionBank
from tests.banks.samples import BANK, ITEM_COUNT, item_line, with_item
from tests.factories import make_centre, make_occupations


@pytest.fixture
def credit_code(db: Session) -> str:
    make_occupations(db)
    centre = make_centre(db)
    db.commit()  # the CLI runs its own session
    return centre.credit_code


def run(args: list[str]) -> int:
    return cli.main(["import-bank", *args])


def test_import_bank_prints_the_summary(
    db: Session, credit_code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BANK, encoding="utf-8")
    assert run(["--centre", credit_code, str(path)]) == 0
    assert f"t.yaml：新建题库 T-1：新增 {ITEM_COUNT} 题" in capsys.readouterr().out
    assert run(["--centre", credit_code, str(path)]) == 0
    assert "未变化" in capsys.readouterr().out
    assert db.exec(select(func.count()).select_from(Item)).one() == ITEM_COUNT


def test_import_bank_prints_every_problem_and_imports_nothing(
    db: Session, credit_code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = with_item(BANK, "SC-1", "key: B", "key: K")
    text = with_item(text, "TF-1", "points: 1", "points: 0.7")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert run(["--centre", credit_code, str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 处问题" in err
    assert f"bad.yaml:{item_line(text, 'SC-1', 'key: K')} 题目 SC-1 字段 key：" in err
    assert f"bad.yaml:{item_line(text, 'TF-1', 'points: 0.7')} 题目 TF-1 字段 points：" in err
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 0


def test_import_bank_unknown_centre(
    db: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BANK, encoding="utf-8")
    assert run(["--centre", "91340400MA0000000X", str(path)]) == 2
    assert "没有统一社会信用代码" in capsys.readouterr().err


def test_import_bank_takes_a_moodle_file_with_the_bank_named_on_the_command_line(
    db: Session, credit_code: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.banks.test_moodle import QUIZ, WITH_CALCULATED

    quiz = tmp_path / QUIZ.name
    quiz.write_bytes(WITH_CALCULATED)
    named = ["--code", "MOODLE-CLI", "--name", "Moodle 题库", "--occupation", "6-31-01-03"]
    named += ["--level", "intermediate"]
    assert run(["--centre", credit_code, *named, str(quiz)]) == 2
    assert "不能导入：Jiping 的机考不能呈现和评分计算题（calculated）" in capsys.readouterr().err
    assert run(["--centre", credit_code, *named, "--skip-refused", str(quiz)]) == 0
    out = capsys.readouterr().out
    assert "moodle_quiz.xml：新建题库 MOODLE-CLI：新增 6 题" in out
    assert "  跳过 moodle_quiz.xml:" in out and "题目 触电急救" in out
