"""Bad input never costs more than it is worth (app/core/limits.py): bodies capped before
they are read, numbers and text checked once for every route, and pages that run only
their own scripts."""

import re
import time
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.core.limits import BANK_SOURCE_MAX_BYTES, CONTENT_SECURITY_POLICY, UPLOAD_MAX_BYTES
from app.core.text import name_problem, typed_int
from app.core.xlsx import append_row
from tests.factories import make_centre, make_staff
from tests.helpers import staff_token

TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "web" / "templates"


def test_an_anonymous_200_mb_upload_is_refused_before_its_body_is_read(
    client: TestClient,
) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"x" * (1024 * 1024)
        for _ in range(200):
            sent += len(chunk)
            yield chunk

    r = client.post(
        "/api/v1/banks/import",
        content=body(),
        headers={
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(200 * 1024 * 1024),
        },
    )
    assert r.status_code == 413
    # The bank import takes the largest uploads (a QTI package), and no more.
    assert r.json()["error"]["message"] == "提交的内容过大（最多 51 MB）"
    r = client.post(
        "/api/v1/sessions/1/registrations/excel",
        content=b"x",
        headers={
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(UPLOAD_MAX_BYTES + 1),
        },
    )
    assert r.status_code == 413
    assert r.json()["error"]["message"] == "提交的内容过大（最多 6 MB）"


def test_a_bank_source_larger_than_other_uploads_reaches_its_reader(
    client: TestClient, db: Session
) -> None:
    """The page and the API take the same bank sources: a 10 MB workbook (over the 6 MB of
    other uploads, under Excel's 20) is read and refused for what it is, not its size."""
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="bigbank")
    db.commit()
    headers = staff_token(client, "bigbank")
    big = b"PK" + b"\0" * (10 * 1024 * 1024)
    r = client.post("/api/v1/banks/import", files={"file": ("题库.xlsx", big)}, headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()["error"]["details"][0]["problem"]
    assert problem == "文件不是有效的 Excel 工作簿（.xlsx）"
    huge = b"\0" * (BANK_SOURCE_MAX_BYTES + 1)
    r = client.post("/api/v1/banks/import", files={"file": ("包.zip", huge)}, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["problem"] == "压缩包过大，不能超过 50 MB"


def test_a_body_without_a_length_is_cut_off_at_the_cap(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(UPLOAD_MAX_BYTES // 65536 + 2):
            yield b"x" * 65536

    r = client.post(
        "/api/v1/auth/login",
        content=body(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_integers_beyond_the_database_range_are_refused_with_the_field_named(
    client: TestClient, db: Session
) -> None:
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="ints")
    db.commit()
    headers = staff_token(client, "ints")
    for path in (
        f"/api/v1/sessions/{2**63}",
        f"/api/v1/banks/{2**64 + 1}",
        f"/api/v1/banks/1/items?page={10**30}",
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 422, path
        assert r.json()["error"]["code"] == "number_out_of_range"


def test_a_lone_surrogate_in_json_is_refused(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "\\ud800", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_unicode"
    # A proper pair (an emoji) is text like any other.
    r = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "\\ud83d\\ude00", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401


def test_pages_carry_a_content_security_policy_and_may_not_be_framed(
    client: TestClient,
) -> None:
    r = client.get("/login")
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/api/v1/auth/me").headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script_style_or_handlers(template: Path) -> None:
    """What the policy would refuse: code in the page instead of a static file."""
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"<style\b|\sstyle\s*=", text), "inline style"
    assert "javascript:" not in text


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("\u200b\u200b", "不能只含不可见字符"),
        ("\u3164", "不能只含不可见字符"),
        ("   ", "不能为空"),
        ("张\u202e三", "文字方向控制字符"),
        ("张\x07三", "控制字符"),
        ("张" * 51, "不能超过 50 个字符"),
    ],
)
def test_names_people_cannot_read_are_refused(name: str, says: str) -> None:
    problem = name_problem(name)
    assert problem is not None and says in problem


def test_real_names_pass() -> None:
    for name in ("张三", "阿依古丽·买买提", "欧阳 娜娜", "O'Brien"):
        assert name_problem(name) is None, name


def test_typed_numbers_are_ascii_digits() -> None:
    assert typed_int("12") == 12 and typed_int("１２") == 12
    assert typed_int("²") is None and typed_int("٣") is None and typed_int("-1") is None


def test_exports_write_formula_like_text_as_text() -> None:
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    risky = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    append_row(ws, [*risky, 42, "张三"])
    out = BytesIO()
    wb.save(out)
    cells = load_workbook(BytesIO(out.getvalue())).active[1]  # type: ignore[index]
    assert [c.value for c in cells] == [*risky, 42, "张三"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells[:5])


def test_an_xlsx_that_expands_to_a_gibibyte_is_refused_quickly(
    client: TestClient, db: Session
) -> None:
    from tests.factories import make_exam

    fx = make_exam(db, candidates=1)
    db.commit()
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"<row>" + b"0" * (1024 * 1024 - 11) + b"</row>"
            for _ in range(1024):  # 1 GiB expanded, about 1 MB compressed
                member.write(block)
    assert len(bomb.getvalue()) < 2 * 1024 * 1024
    headers = staff_token(client, fx.admin.username)
    started = time.monotonic()
    r = client.post(
        f"/api/v1/sessions/{fx.session.id}/registrations/excel",
        files={"file": ("名单.xlsx", bomb.getvalue())},
        headers=headers,
    )
    assert time.monotonic() - started < 5
    assert r.status_code == 422 and r.json()["error"]["code"] == "archive_too_large"


def test_huge_integers_in_json_bodies_are_refused(client: TestClient, db: Session) -> None:
    make_staff(db, Role.CENTRE_ADMIN, make_centre(db), username="bigjson")
    db.commit()
    r = client.post(
        "/api/v1/blueprints/check",
        json={"bank_id": -(2**72), "name": "x", "level_code": "4", "sections": []},
        headers=staff_token(client, "bigjson"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "number_out_of_range"
