"""Incidents recorded by proctors (考场记录)."""

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class IncidentReason(StrEnum):
    LATE_ARRIVAL = "late_arrival"
    IDENTITY_DOUBT = "identity_doubt"
    SUSPECTED_CHEATING = "suspected_cheating"
    TECHNICAL_FAULT = "technical_fault"
    DISRUPTION = "disruption"
    ILLNESS = "illness"
    OTHER = "other"


INCIDENT_REASON_NAMES = {
    IncidentReason.LATE_ARRIVAL: "迟到",
    IncidentReason.IDENTITY_DOUBT: "身份存疑",
    IncidentReason.SUSPECTED_CHEATING: "疑似作弊",
    IncidentReason.TECHNICAL_FAULT: "设备/技术故障",
    IncidentReason.DISRUPTION: "扰乱考场秩序",
    IncidentReason.ILLNESS: "身体不适",
    IncidentReason.OTHER: "其他",
}


class Incident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="evaluationcentre.id", index=True)
    session_id: int = Field(foreign_key="examsession.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    reason_code: str = Field(max_length=32)  # IncidentReason
    note: str = Field(default="", max_length=1000)
    recorded_by: int = Field(foreign_key="staffuser.id")
    at: NaiveDatetime = Field(default_factory=utcnow)
