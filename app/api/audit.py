"""API: the signed digest of the audit chain's head (platform admin, regulators)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.auth.deps import staff_may
from app.core.db import SessionDep

router = APIRouter(tags=["audit"])

AuditReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.AUDIT))]


class HeadDigestOut(BaseModel):
    """The digest as signed, beside the compact JWS and the keys that check it."""

    seq: int
    hash: str
    at: str  # UTC, as in the signed payload
    entries: int
    jws: str
    jwks: dict[str, Any]


@router.get("/audit/digest", response_model=HeadDigestOut)
def head_digest(db: SessionDep, staff: AuditReader) -> HeadDigestOut:
    signed = audit.signed_head_digest(db, actor=staff)
    return HeadDigestOut(**signed.payload, jws=signed.jws, jwks=signed.jwks)
