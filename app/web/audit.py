"""Pages: the signed digest of the audit chain's head as a file to keep (regulators)."""

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from app.accounts.policy import Action, Resource
from app.accounts.principals import Staff
from app.audit import service as audit
from app.auth.deps import staff_may
from app.core.db import SessionDep
from app.core.downloads import attachment

router = APIRouter()

AuditReader = Annotated[Staff, Depends(staff_may(Action.READ, Resource.AUDIT))]
JOSE_MEDIA_TYPE = "application/jose"  # a compact JWS (RFC 7515 §9.2.1)


@router.get("/audit/digest.jws")
def head_digest(db: SessionDep, staff: AuditReader) -> Response:
    signed = audit.signed_head_digest(db, actor=staff)
    seq = signed.digest.seq
    return attachment(
        f"审计链头摘要-第{seq}条.jws",
        signed.jws.encode("ascii"),
        ascii_name=f"audit-digest-{seq}.jws",
        media_type=JOSE_MEDIA_TYPE,
    )
