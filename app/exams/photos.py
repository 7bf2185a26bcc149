"""Candidate photos (证件照): checked, normalised and kept as data under the data
directory (never in the repository), one file per candidate. The admission ticket, the
proctor's check-in (人证合一) and, later, the certificate read them through `photo_of`.

Checking (`normalise_photo`, pure): JPEG or PNG, at most MAX_BYTES, between MIN_SIZE and
MAX_SIZE pixels, portrait. Pillow reads only the header before the size is checked, and
refuses an image whose pixel count is a decompression bomb. What is stored is a fresh
JPEG (no metadata from the camera, no trailing data), so what is served is always an image
Jiping wrote itself."""

import hashlib
import io
import logging
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session, select

from app.accounts.principals import Staff
from app.audit import service as audit
from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.exams.models import Candidate

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MIN_SIZE = (150, 200)  # width, height: a 1-inch photo scanned at ~150 dpi
MAX_SIZE = (4000, 6000)
STORED_MAX = (600, 800)  # what is kept: plenty for a ticket, a dialog and a certificate
FORMATS = {"JPEG", "PNG"}
# A ZIP of photos next to the Excel list: bounded before anything is unpacked.
ZIP_MAX_BYTES = 200 * 1024 * 1024
ZIP_MAX_FILES = 2000


class PhotoInvalid(ValidationFailed):
    code = "photo_invalid"


def _refuse(message: str) -> PhotoInvalid:
    return PhotoInvalid(message, details=[{"field": "photo", "problem": message}])


def normalise_photo(data: bytes) -> bytes:
    """The photo as a clean JPEG, or PhotoInvalid with a sentence a centre admin acts on."""
    if not data:
        raise _refuse("没有收到照片文件")
    if len(data) > MAX_BYTES:
        raise _refuse(
            f"照片不能超过 {MAX_BYTES // 1024 // 1024} MB（当前 {len(data) / 1024 / 1024:.1f} MB）"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise _refuse("照片应为 JPG 或 PNG 格式")
            width, height = image.size
            if width > MAX_SIZE[0] or height > MAX_SIZE[1]:
                raise _refuse(
                    f"照片尺寸过大（{width}×{height}），最大 {MAX_SIZE[0]}×{MAX_SIZE[1]} 像素"
                )
            if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
                raise _refuse(
                    f"照片太小（{width}×{height}），至少 {MIN_SIZE[0]}×{MIN_SIZE[1]} 像素，才能看清面部"
                )
            if height < width:
                raise _refuse(f"证件照应为竖版（当前 {width}×{height}）")
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        # A small file declaring an enormous image: refused before it is unpacked.
        raise _refuse(f"照片尺寸过大，最大 {MAX_SIZE[0]}×{MAX_SIZE[1]} 像素") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise _refuse("无法识别照片文件（文件已损坏，或不是图片）") from None
    rgb = image.convert("RGB")
    rgb.thumbnail(STORED_MAX)
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _path(candidate: Candidate) -> Path:
    return (
        Path(get_settings().data_dir) / "photos" / str(candidate.centre_id) / f"{candidate.id}.jpg"
    )


def set_photo(db: Session, *, actor: Staff, candidate: Candidate, data: bytes) -> Candidate:
    """Check and store the candidate's photo (replacing one they had). The file is written
    before the row changes, so a committed digest always has its file."""
    clean = normalise_photo(data)
    path = _path(candidate)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(clean)
    tmp.replace(path)
    candidate.photo_digest = hashlib.sha256(clean).hexdigest()[:16]
    db.add(candidate)
    audit.record(
        db,
        actor=actor,
        action="candidate.photo",
        object_type="candidate",
        object_id=candidate.id,
        centre_id=candidate.centre_id,
        detail={"bytes": len(clean)},
    )
    db.flush()
    return candidate


def photo_of(candidate: Candidate) -> bytes | None:
    """The stored photo (JPEG) of a candidate, or None: for tickets, check-in and
    certificates. Access is the caller's to check."""
    if not candidate.photo_digest:
        return None
    path = _path(candidate)
    return path.read_bytes() if path.exists() else None


@dataclass
class ZipOutcome:
    stored: list[str] = field(default_factory=list)  # ID numbers
    unknown: list[str] = field(default_factory=list)  # file names without a candidate
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)


def import_photo_zip(db: Session, *, actor: Staff, centre_id: int, content: bytes) -> ZipOutcome:
    """A ZIP of photos named by ID number (110105194912310021.jpg), for the centre's
    candidates. Each good photo is stored; the others are reported one by one."""
    if len(content) > ZIP_MAX_BYTES:
        raise _refuse("压缩包过大，请分批上传（每个不超过 200 MB）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile:
        raise _refuse("无法读取压缩包：请上传 .zip 文件") from None
    if len(entries) > ZIP_MAX_FILES:
        raise _refuse(f"压缩包内文件过多（{len(entries)} 个），每次最多 {ZIP_MAX_FILES} 个")
    by_id = {
        c.id_number: c for c in db.exec(select(Candidate).where(Candidate.centre_id == centre_id))
    }
    outcome = ZipOutcome()
    for info in entries:
        name = info.filename.rsplit("/", 1)[-1]
        if name.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        stem = name.rsplit(".", 1)[0].strip().upper()
        candidate = by_id.get(stem)
        if candidate is None:
            outcome.unknown.append(name)
            continue
        if info.file_size > MAX_BYTES:
            outcome.refused.append((name, f"照片不能超过 {MAX_BYTES // 1024 // 1024} MB"))
            continue
        try:
            set_photo(db, actor=actor, candidate=candidate, data=archive.read(info))
        except PhotoInvalid as exc:
            outcome.refused.append((name, exc.message))
            continue
        outcome.stored.append(stem)
    return outcome
