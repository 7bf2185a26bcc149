"""Fixtures shared by the banks API and page tests."""

import pytest
from sqlmodel import Session

from app.accounts.models import Role
from tests.factories import make_centre, make_occupations, make_staff


@pytest.fixture
def world(db: Session) -> dict[str, str]:
    """Two centres, COMMITTED: usernames of centre A's admin and proctor and centre B's
    admin."""
    make_occupations(db)
    centre_a, centre_b = make_centre(db), make_centre(db)
    users = {
        "admin": make_staff(db, Role.CENTRE_ADMIN, centre_a),
        "proctor": make_staff(db, Role.PROCTOR, centre_a),
        "other_admin": make_staff(db, Role.CENTRE_ADMIN, centre_b),
    }
    db.commit()
    return {name: user.username for name, user in users.items()}
