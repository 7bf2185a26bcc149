"""The offline verifier behind `python -m app.cli verify`: a certificate PDF (its QR code
read from the rendered page) or a token, checked with a JWKS file and, if given, a cached
revocation list, with no network and no database."""

import json
from pathlib import Path
from typing import Any

from app.certificates import verification
from app.core import keys, signing

QR_RENDER_DPI = 200


class OfflineInputInvalid(ValueError):
    pass


def token_from_pdf(path: Path) -> str:
    """Render the first page and decode its QR code (a printed certificate scanned to PDF
    reads the same way)."""
    import pypdfium2 as pdfium
    import zxingcpp

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise OfflineInputInvalid(f"{path} 不是可读取的 PDF：{exc}") from exc
    try:
        image = pdf[0].render(scale=QR_RENDER_DPI / 72).to_pil()
    finally:
        pdf.close()
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    if not codes:
        raise OfflineInputInvalid(f"{path} 中未找到二维码")
    return token_from_text(codes[0].text)


def token_from_text(text: str) -> str:
    """A token, or a verification URL (…/v/<token>) as the QR code carries it."""
    text = text.strip()
    return text.rsplit("/v/", 1)[1].split("?")[0] if "/v/" in text else text


def read_jwks(path: Path) -> Any:
    try:
        return keys.key_set_of(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise OfflineInputInvalid(f"JWKS 文件 {path} 无法读取：{exc}") from exc


def read_status_list(path: Path, key_set: Any) -> dict[str, Any]:
    """A revocation list as fetched from /certificates/status/N (a VC-JWT): its signature is
    checked with the same JWKS, then its credential is used."""
    try:
        verified = signing.verify(path.read_text(encoding="utf-8"), key_set)
    except OSError as exc:
        raise OfflineInputInvalid(f"状态列表文件 {path} 无法读取：{exc}") from exc
    except signing.TokenInvalid as exc:
        raise OfflineInputInvalid(f"状态列表 {path} 的签名无效：{exc.message}") from exc
    return verified.payload


def verify(source: str, *, jwks: Path, status: Path | None) -> verification.Verification:
    key_set = read_jwks(jwks)
    if source.count(".") == 2 and len(source) > 100 and "/" not in source.rsplit("/v/", 1)[-1]:
        token = token_from_text(source)  # a token (or URL) given on the command line
    else:
        path = Path(source)
        if not path.exists():
            raise OfflineInputInvalid(f"找不到文件 {path}")
        if path.suffix.lower() == ".pdf" or path.read_bytes()[:5] == b"%PDF-":
            token = token_from_pdf(path)
        else:
            token = token_from_text(path.read_text(encoding="utf-8"))
    status_list = read_status_list(status, key_set) if status else None
    return verification.verify_offline(token, key_set, status_list)
