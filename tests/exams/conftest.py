import pytest
from sqlmodel import Session

from tests.factories import ExamFixture, make_exam


@pytest.fixture
def fx(db: Session) -> ExamFixture:
    return make_exam(db)
