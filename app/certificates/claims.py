"""What a certificate says, as plain data: the fields printed on it (人社鉴发〔2021〕1号,
DOMAIN.md §4), the claims its QR token signs, and the public view of them. Pure."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.reference.identifiers import mask_resident_id

ID_TYPE_NAMES = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "foreign_permanent": "外国人永久居留身份证",
}
NO_DIRECTION = "--"  # 工种/方向 printed when the occupation has none


def mask_id(id_type: str, id_number: str) -> str:
    """An ID number as a public answer may show it (never in full, DOMAIN.md §4)."""
    if id_type == "resident_id":
        return mask_resident_id(id_number)
    v = id_number.strip()
    return v[:2] + "*" * (len(v) - 4) + v[-2:] if len(v) > 4 else "*" * len(v)


@dataclass(frozen=True)
class CertificateFacts:
    """A certificate's fields, frozen at issue."""

    number: str
    holder_name: str
    id_type: str
    id_number: str
    occupation_name: str
    occupation_code: str
    direction: str  # 工种/方向, NO_DIRECTION when none
    level_display: str  # 二级/技师
    evaluator_name: str
    issued_on: date
    status_list: int  # which revocation list, and the certificate's bit in it
    status_index: int

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_type, self.id_number)

    @property
    def id_type_name(self) -> str:
        return ID_TYPE_NAMES.get(self.id_type, self.id_type)


# Claim names are short: the token is printed in a QR code, and every byte makes the code
# denser (README "Certificates" measures it).
def claims_of(facts: CertificateFacts) -> dict[str, Any]:
    """The QR token's claims: number, name, masked ID, occupation, level, evaluator, issue
    date and the certificate's revocation-list entry (the key id is the JWS header's)."""
    return {
        "no": facts.number,
        "nm": facts.holder_name,
        "id": facts.masked_id,
        "oc": facts.occupation_name,
        "lv": facts.level_display,
        "ev": facts.evaluator_name,
        "dt": facts.issued_on.isoformat(),
        "st": [facts.status_list, facts.status_index],
    }


CLAIM_NAMES = {
    "no": "证书编号",
    "nm": "姓名",
    "id": "证件号码",
    "oc": "职业（工种）",
    "lv": "职业技能等级",
    "ev": "评价机构",
    "dt": "发证日期",
}
REQUIRED_CLAIMS = ("no", "nm", "id", "oc", "lv", "ev", "dt")


def claims_problem(claims: Any) -> str | None:
    """None for a token payload with every claim in shape, else what is missing."""
    if not isinstance(claims, dict):
        return "令牌内容不是证书信息"
    missing = [CLAIM_NAMES[k] for k in REQUIRED_CLAIMS if not isinstance(claims.get(k), str)]
    if missing:
        return f"令牌缺少：{'、'.join(missing)}"
    try:
        date.fromisoformat(claims["dt"])
    except ValueError:
        return "令牌的发证日期无效"
    entry = claims.get("st")
    if entry is not None and not (
        isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in entry)
    ):
        return "令牌的状态列表条目无效"
    return None


def status_entry(claims: dict[str, Any]) -> tuple[int, int] | None:
    entry = claims.get("st")
    return (entry[0], entry[1]) if isinstance(entry, list) and len(entry) == 2 else None
