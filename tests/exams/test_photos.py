"""Candidate photos: what is refused (and why, in a sentence), what is stored and where,
and where they show: the list, the admission ticket, the proctor's check-in card."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from app.core.config import get_settings
from app.exams import photos
from app.exams.models import Candidate
from app.reference.identifiers import mask_resident_id
from tests.factories import make_exam, staff_actor
from tests.helpers import page_login


def image_bytes(size: tuple[int, int] = (300, 400), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, format=fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares an enormous image (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "没有收到照片文件"),
        (b"not an image at all", "无法识别照片文件"),
        (image_bytes(fmt="GIF"), "JPG 或 PNG"),
        (image_bytes((100, 120)), "照片太小（100×120）"),
        (image_bytes((400, 300)), "竖版"),
        (image_bytes((4100, 6100), fmt="PNG"), "尺寸过大"),
        (png_header_only(40000, 40000), "尺寸过大"),
        (b"\xff\xd8" + b"0" * (photos.MAX_BYTES + 1), "不能超过 2 MB"),
    ],
)
def test_a_bad_photo_is_refused_with_what_to_fix(data: bytes, problem: str) -> None:
    with pytest.raises(photos.PhotoInvalid) as refused:
        photos.normalise_photo(data)
    assert problem in refused.value.message


def test_a_good_photo_is_stored_as_a_clean_jpeg_small_enough_for_every_use() -> None:
    clean = photos.normalise_photo(image_bytes((1200, 1600), fmt="PNG"))
    stored = Image.open(io.BytesIO(clean))
    assert stored.format == "JPEG" and stored.size == (600, 800)


def test_photos_are_kept_under_the_data_directory_and_shown_on_ticket_and_check_in(
    client: TestClient, db: Session
) -> None:
    exam = make_exam(db, candidates=2)
    seat, other = exam.seats
    reg_id = seat.registration.id
    token = page_login(client, exam.admin.username)
    r = client.post(
        f"/registrations/{reg_id}/photo",
        data={"csrf_token": token},
        files={"file": ("photo.png", image_bytes(fmt="PNG"), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    cand = db.get(Candidate, seat.candidate.id, populate_existing=True)
    db.commit()
    assert cand is not None and cand.photo_digest
    path = Path(get_settings().data_dir) / "photos" / str(cand.centre_id) / f"{cand.id}.jpg"
    assert path.exists() and not str(path.resolve()).startswith(str(Path.cwd().resolve() / "app"))
    assert photos.photo_of(cand) == path.read_bytes()

    served = client.get(f"/registrations/{reg_id}/photo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content[:2] == b"\xff\xd8"
    assert client.get(f"/registrations/{other.registration.id}/photo").status_code == 404
    ticket = client.get(f"/registrations/{reg_id}/ticket").text
    assert f'src="/registrations/{reg_id}/photo"' in ticket
    assert "请贴照片" in client.get(f"/registrations/{other.registration.id}/ticket").text

    # The proctor's check-in card: the photo beside the ID number, masked for a proctor
    # (ticket + full ID number is the candidate's login; issue 10 §3).
    client.cookies.clear()
    page_login(client, exam.proctor.username)
    card = client.get(f"/proctor/registrations/{reg_id}/card").text
    assert f'src="/registrations/{reg_id}/photo"' in card
    assert mask_resident_id(seat.id_number) in card and seat.id_number not in card
    assert "未上传证件照" in client.get(f"/proctor/registrations/{other.registration.id}/card").text

    # A broken file is refused in a sentence, and the photo stays.
    client.cookies.clear()
    token = page_login(client, exam.admin.username)
    bad = client.post(
        f"/registrations/{reg_id}/photo",
        data={"csrf_token": token},
        files={"file": ("photo.jpg", b"broken", "image/jpeg")},
    )
    assert bad.status_code == 422 and "无法识别照片文件" in bad.text
    assert photos.photo_of(cand) == path.read_bytes()


def test_a_zip_of_photos_named_by_id_number_is_matched_and_reported(
    client: TestClient, db: Session
) -> None:
    exam = make_exam(db, candidates=2)
    first, second = exam.seats
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"照片/{first.id_number}.jpg", image_bytes())
        z.writestr(f"{second.id_number.lower()}.png", image_bytes((100, 100), fmt="PNG"))
        z.writestr("110105194912310021.jpg", image_bytes())
    outcome = photos.import_photo_zip(
        db, actor=staff_actor(exam.admin), centre_id=exam.centre.id or 0, content=archive.getvalue()
    )
    db.commit()
    assert outcome.stored == [first.id_number]
    assert outcome.unknown == ["110105194912310021.jpg"]
    [(name, why)] = outcome.refused
    assert name.startswith(second.id_number.lower()) and "照片太小" in why

    token = page_login(client, exam.admin.username)
    page = client.post(
        f"/sessions/{exam.session.id}/photos",
        data={"csrf_token": token},
        files={"file": ("photos.zip", b"not a zip", "application/zip")},
    )
    assert page.status_code == 422 and "无法读取压缩包" in page.text
