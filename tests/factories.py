"""Small `make_*` factories for test data. Each flushes and returns the object; commit
with `db.commit()` before a request needs to see it."""

import itertools
from functools import lru_cache

from sqlmodel import Session

from app.accounts.models import Role, StaffUser
from app.core.security import hash_password
from app.reference import service as reference
from app.reference.identifiers import credit_code_check_char, resident_id_check_char
from app.reference.models import EvaluationCentre, Occupation

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


@lru_cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the test password once


def valid_credit_code(n: int | None = None) -> str:
    body = f"91340400MA{(n if n is not None else next(_seq)):07d}"
    return body + credit_code_check_char(body)


def valid_resident_id(n: int | None = None, birth: str = "19900101", region: str = "340403") -> str:
    body = f"{region}{birth}{(n if n is not None else next(_seq)) % 1000:03d}"
    return body + resident_id_check_char(body)


def make_centre(db: Session, name: str | None = None) -> EvaluationCentre:
    n = next(_seq)
    return reference.create_centre(
        db, name=name or f"测试评价机构{n}", credit_code=valid_credit_code(n)
    )


def make_occupations(db: Session) -> list[Occupation]:
    return reference.ensure_shipped_occupations(db)


def make_staff(
    db: Session,
    role: Role,
    centre: EvaluationCentre | None = None,
    *,
    username: str | None = None,
    region_code: str | None = None,
) -> StaffUser:
    n = next(_seq)
    name = username or f"{role.value}{n}"
    user = StaffUser(
        username=name,
        display_name=name,
        password_hash=_password_hash(),
        role=role,
        centre_id=centre.id if centre else None,
        region_code=region_code or ("340400" if role == Role.REGULATOR else None),
    )
    db.add(user)
    db.flush()
    return user
