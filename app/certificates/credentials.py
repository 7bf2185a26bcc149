"""W3C Verifiable Credentials 2.0 for certificates, so that they travel into wallets:
each certificate as an Open Badges 3.0 `OpenBadgeCredential`, and each revocation list as
a `BitstringStatusListCredential`, both secured as VC-JWT (VC-JOSE-COSE: the credential
is the JWT's payload, `typ` vc+jwt, EdDSA). Pure: they are built from plain values."""

from datetime import UTC, date, datetime
from typing import Any

from app.certificates.claims import CertificateFacts

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_JWT_TYPE = "vc+jwt"


def _instant(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_url(base_url: str, list_no: int) -> str:
    return f"{base_url}/certificates/status/{list_no}"


def open_badge(facts: CertificateFacts, *, base_url: str, issuer_code: str) -> dict[str, Any]:
    """The certificate as an OpenBadgeCredential (OB 3.0 on VC 2.0). The subject is named
    with the masked ID, never the full number: a credential travels."""
    cert_url = f"{base_url}/certificates/{facts.number}"
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": cert_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"职业技能等级证书：{facts.occupation_name} {facts.level_display}",
        "issuer": {
            "id": f"{base_url}/issuers/{issuer_code}",
            "type": ["Profile"],
            "name": facts.evaluator_name,
        },
        "validFrom": _instant(facts.issued_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": facts.holder_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "identifier",
                    "hashed": False,
                    "identityHash": facts.masked_id,
                },
            ],
            "achievement": {
                "id": f"{base_url}/achievements/{facts.occupation_code}/{facts.level_display}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": f"{facts.occupation_name}（{facts.occupation_code}）{facts.level_display}",
                "description": (
                    f"职业技能等级认定合格：{facts.occupation_name}，"
                    f"工种/职业方向 {facts.direction}，等级 {facts.level_display}"
                ),
                "criteria": {"narrative": "通过职业技能等级认定（理论知识、技能考核等），成绩合格"},
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url(base_url, facts.status_list)}#{facts.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(facts.status_index),
            "statusListCredential": status_list_url(base_url, facts.status_list),
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }


def status_list(
    *, base_url: str, list_no: int, encoded: str, issuer_name: str, now: datetime
) -> dict[str, Any]:
    url = status_list_url(base_url, list_no)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": base_url, "name": issuer_name},
        "validFrom": now.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
