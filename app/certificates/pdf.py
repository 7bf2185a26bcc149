"""The certificate PDF: the scheme's template in `certificates/` (HTML + CSS), rendered
by WeasyPrint on A4 with the Noto CJK fonts embedded, the photo frozen at issue, the QR
code drawn as vector SVG by segno, and the centre's texts and seal.

A centre changes its certificate's body text, lookup text and seal in its certificate
settings; the layout is the template's (one per scheme, edited as files, not code)."""

import base64
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlmodel import Session

from app.certificates import service
from app.certificates.models import Certificate, CertificateSettings
from app.core.clock import to_china
from app.reference.levels import Scheme

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "certificates"
TEMPLATES = {Scheme.SKILL_LEVEL: "skill_level.html", Scheme.ONE_PLUS_X: "one_plus_x.html"}
# Error correction M (15%): a printed code survives a scuff or a fold; the README gives
# the version this makes for a real certificate's token.
QR_ERROR = "m"

DEFAULT_BODY = (
    "本证书由{evaluator}颁发，表明持证人通过本评价机构组织的职业技能等级认定，"
    "具备该职业（工种）相应技能等级水平。"
)
DEFAULT_LOOKUP = "可在 {lookup_url} 输入证书编号和姓名查询，或扫描二维码核验真伪。"


@lru_cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False, boost_error=False)


def _data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def seal_path(sha256: str) -> Path:
    from app.core.config import get_settings

    return Path(get_settings().data_dir) / "certificates" / "seals" / f"{sha256}.png"


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@dataclass(frozen=True)
class PageTexts:
    body: str
    lookup: str
    seal_uri: str | None


def page_texts(settings: CertificateSettings, evaluator: str) -> PageTexts:
    values = {"evaluator": evaluator, "lookup_url": service.lookup_url()}
    seal = None
    if settings.seal_sha256:
        path = seal_path(settings.seal_sha256)
        if path.exists():
            seal = _data_uri(path.read_bytes(), "image/png")
    return PageTexts(
        body=_fill(settings.body_text or DEFAULT_BODY, values),
        lookup=_fill(settings.lookup_text or DEFAULT_LOOKUP, values),
        seal_uri=seal,
    )


def certificate_html(db: Session, cert: Certificate) -> str:
    facts = service.facts_of(cert)
    texts = page_texts(service.centre_settings(db, cert.centre_id), cert.evaluator_name)
    qr = qr_code(service.verify_url(cert.token))
    issued = cert.issued_on
    context: dict[str, Any] = {
        "c": cert,
        "f": facts,
        "issued": f"{issued.year}年{issued.month}月{issued.day}日",
        "photo_uri": _data_uri(service.certificate_photo(cert), "image/jpeg"),
        "qr_svg": Markup(qr.svg_inline(scale=1, border=4, light="#fff", omitsize=True)),
        "texts": texts,
        "issued_at": to_china(cert.issued_at),
    }
    template = TEMPLATES[Scheme(cert.scheme)]
    return _env().get_template(template).render(**context)


@lru_cache
def _font_config() -> Any:
    """One font configuration per process: WeasyPrint otherwise loads the CJK fonts again
    for every document, and a process grew by ~90 MiB per certificate (280 MiB flat with
    this one, measured over 8 renders)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    content: bytes = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(
        font_config=_font_config()
    )
    return content


def render(db: Session, cert: Certificate) -> bytes:
    return html_to_pdf(certificate_html(db, cert))
