"""The banks pages: upload with CSRF, problems shown, the bank page and its htmx table
fragment, the item page as the candidate sees it, editing, retiring."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.banks.models import Item, ItemVersion, QuestionBank
from tests.banks.samples import BANK, ITEM_COUNT, item_line, with_item
from tests.helpers import csrf_of, page_login


def upload(client: TestClient, csrf: str, text: str, name: str = "t.yaml") -> Any:
    return client.post(
        "/banks/import",
        data={"csrf_token": csrf},
        files={"file": (name, text.encode(), "application/x-yaml")},
    )


@pytest.fixture
def csrf(client: TestClient, world: dict[str, str]) -> str:
    return page_login(client, world["admin"])


@pytest.fixture
def bank_id(client: TestClient, csrf: str, db: Session) -> int:
    assert upload(client, csrf, BANK).status_code == 200
    bank = db.exec(select(QuestionBank)).one()
    db.commit()
    return bank.id or 0


def item_of(db: Session, ext: str) -> Item:
    db.expire_all()
    item = db.exec(select(Item).where(Item.external_id == ext)).one()
    db.commit()  # end the read: SQLite transactions hold the write lock the app needs
    return item


def count(db: Session, model: Any) -> int:
    n = db.exec(select(func.count()).select_from(model)).one()
    db.commit()
    return int(n)


def text_of(html: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_upload_with_csrf_shows_the_summary(client: TestClient, csrf: str, db: Session) -> None:
    form = client.get("/banks/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    r = upload(client, csrf, BANK)
    assert r.status_code == 200
    page = text_of(r.text)
    assert "导入完成" in page and "新建题库 T-1" in page and f"新增 {ITEM_COUNT} 题" in page
    assert count(db, Item) == ITEM_COUNT
    again = text_of(upload(client, csrf, BANK).text)
    assert "未变化" in again


def test_upload_without_csrf_is_refused(client: TestClient, csrf: str, db: Session) -> None:
    r = client.post("/banks/import", files={"file": ("t.yaml", BANK.encode(), "text/yaml")})
    assert r.status_code == 403
    assert count(db, QuestionBank) == 0


def test_a_bad_upload_lists_every_problem_and_imports_nothing(
    client: TestClient, csrf: str, db: Session
) -> None:
    text = with_item(BANK, "MC-1", "key: [A, C, D]", "key: [A, F]")
    text = with_item(text, "FT-1", "电流的国际单位是 ____。", "电流的国际单位是什么？")
    r = upload(client, csrf, text, name="电工.yaml")
    assert r.status_code == 422
    rows = re.findall(
        r"<tr>\s*<td><code>(.*?)</code></td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", r.text
    )
    assert [(place, item, re.sub(r"</?code>", "", field)) for place, item, field in rows] == [
        (f"电工.yaml:{item_line(text, 'MC-1', 'key: [A, F]')}", "MC-1", "key"),
        (f"电工.yaml:{item_line(text, 'FT-1', 'stem:')}", "FT-1", "stem"),
    ]
    assert "F 不在选项中" in r.text and "____" in r.text
    assert count(db, QuestionBank) == 0


def test_bank_list_shows_counts_per_type(client: TestClient, bank_id: int) -> None:
    r = client.get("/banks")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "T-1" in page and "测试题库" in page and "电工" in page
    row = re.search(rf'<tr>\s*<td><a href="/banks/{bank_id}">.*?</tr>', r.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(?:<strong>)?(\d+)', row.group(0))
    # SC, MC, TF, fill-in, ordering, matching, short answer, extended, active, retired
    assert cells == ["1", "1", "1", "2", "0", "0", "0", "0", "5", "0"]


def test_bank_page_shows_the_outline_and_items(client: TestClient, bank_id: int) -> None:
    r = client.get(f"/banks/{bank_id}")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "鉴定要素细目表" in page
    assert "A 基础知识 40%" in page and "B 专业知识 60%" in page
    assert "001 直流电路 X 2 题" in page
    for ext in ("SC-1", "MC-1", "TF-1", "FN-1", "FT-1"):
        assert ext in page
    assert f'hx-get="/banks/{bank_id}"' in r.text and 'hx-target="#item-table"' in r.text


def test_changing_a_filter_swaps_only_the_table(client: TestClient, bank_id: int) -> None:
    r = client.get(
        f"/banks/{bank_id}",
        params={"type": "fill_in", "area": "", "difficulty": "", "status": "", "q": ""},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "<html" not in r.text and "鉴定要素细目表" not in r.text
    assert r.text.lstrip().startswith('<div id="item-table"')
    assert "FN-1" in r.text and "FT-1" in r.text and "SC-1" not in r.text
    assert "HX-Request" in r.headers.get("vary", "")
    # The same URL without htmx is the whole page, filtered the same way.
    full = client.get(f"/banks/{bank_id}", params={"type": "fill_in"})
    assert "<html" in full.text and "SC-1" not in text_of(full.text).split("共 2 题")[1]
    searched = client.get(f"/banks/{bank_id}", params={"q": "欧姆"}, headers={"HX-Request": "true"})
    assert "SC-1" in searched.text and "MC-1" not in searched.text


def test_item_page_shows_the_question_as_the_candidate_sees_it(
    client: TestClient, bank_id: int, db: Session
) -> None:
    item = item_of(db, "SC-1")
    r = client.get(f"/banks/{bank_id}/items/{item.id}")
    assert r.status_code == 200
    assert 'class="question"' in r.text  # the shared candidate partial
    assert re.search(r'<input type="radio" name="q1" value="B"\s+disabled>', r.text)
    page = text_of(r.text)
    assert "欧姆定律表明" in page and "反比" in page and "正比" in page
    assert "标准答案 B" in page
    assert "A-001" in page and "直流电路" in page and "难度 2 / 5" in page
    assert "I = U / R。" in page and "第 1 版" in page


def test_fill_in_item_page_shows_the_unit_and_numeric_key(
    client: TestClient, bank_id: int, db: Session
) -> None:
    item = item_of(db, "FN-1")
    page = text_of(client.get(f"/banks/{bank_id}/items/{item.id}").text)
    assert "标准答案 50 Hz" in page
    assert "Hz" in page


def test_edit_through_the_form_creates_a_new_version(
    client: TestClient, csrf: str, bank_id: int, db: Session
) -> None:
    item = item_of(db, "MC-1")
    url = f"/banks/{bank_id}/items/{item.id}/edit"
    form = client.get(url)
    assert form.status_code == 200 and 'value="最大值"' in form.text
    r = client.post(
        url,
        data={
            "csrf_token": csrf,
            "stem": "下列属于正弦交流电三要素的有（　　）。",
            "option_A": "最大值",
            "option_B": "电阻率",
            "option_C": "角频率",
            "option_D": "初相位",
            "option_E": "有效值",
            "key": ["A", "C", "D"],
            "area_point": "A|002",
            "difficulty": "4",
            "points": "2",
            "levels": ["intermediate"],
            "explanation": "最大值、角频率、初相位。",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert item_of(db, "MC-1").current_version == 2
    page = text_of(client.get(r.headers["location"]).text)
    assert "有效值" in page and "难度 4 / 5" in page and "第 2 版" in page
    old = client.get(f"/banks/{bank_id}/items/{item.id}", params={"version": 1})
    assert "正在查看第 1 版" in text_of(old.text) and "有效值" not in old.text


def test_an_invalid_edit_shows_its_problems_and_saves_nothing(
    client: TestClient, csrf: str, bank_id: int, db: Session
) -> None:
    item = item_of(db, "FN-1")
    r = client.post(
        f"/banks/{bank_id}/items/{item.id}/edit",
        data={
            "csrf_token": csrf,
            "stem": "我国工频交流电的频率为 ____。",
            "key_mode": "numeric",
            "numeric_value": "五十",
            "numeric_tolerance": "-1",
            "unit": "Hz",
            "area_point": "B|001",
            "difficulty": "2",
            "points": "1",
            "levels": ["intermediate"],
        },
    )
    assert r.status_code == 422
    page = text_of(r.text)
    assert "key.numeric.value" in page and "key.numeric.tolerance" in page
    assert 'value="五十"' in r.text  # what was typed is kept for correcting
    assert count(db, ItemVersion) == ITEM_COUNT


CREDITED = with_item(
    with_item(
        BANK,
        "MC-1",
        "key: [A, C, D]",
        "key: {answer: [A, C, D], credit: {A: 1, B: -1, C: 1, D: 1}, credit_max: 3}",
    ),
    "FT-1",
    "accepted: [安培, A]",
    "accepted: [安培]\n      partial: {安: 0.5}\n      case_sensitive: true",
)


def current_key(db: Session, ext: str) -> dict[str, Any]:
    item = item_of(db, ext)
    version = db.exec(
        select(ItemVersion).where(
            ItemVersion.item_id == item.id, ItemVersion.version == item.current_version
        )
    ).one()
    db.commit()
    return version.key


def test_an_edit_keeps_the_files_own_scoring_the_form_does_not_show(
    client: TestClient, csrf: str, db: Session
) -> None:
    assert upload(client, csrf, CREDITED).status_code == 200
    bank_id = db.exec(select(QuestionBank)).one().id
    db.commit()
    common = {"csrf_token": csrf, "difficulty": "3", "points": "2", "levels": ["intermediate"]}
    mc = item_of(db, "MC-1")
    url = f"/banks/{bank_id}/items/{mc.id}/edit"
    form = text_of(client.get(url).text)
    assert "本题还有按选项计分、按选项计分的满分（导入的文件规定）" in form
    choice = {
        **common,
        "stem": "下列属于正弦交流电三要素的有（　　）。",
        **{
            f"option_{k}": v
            for k, v in zip("ABCD", ["最大值", "电阻率", "角频率", "初相位"], strict=True)
        },
        "key": ["A", "C", "D"],
        "area_point": "A|002",
    }
    choice["stem"] = choice["stem"].replace("有", "是", 1)  # the one change
    r = client.post(url, data=choice, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert current_key(db, "MC-1") == {
        "answer": ["A", "C", "D"],
        "credit": {"A": 1, "B": -1, "C": 1, "D": 1},
        "credit_max": 3,
    }
    # Kept unless the author drops it: then the blueprint's multiple-choice rule scores it.
    r = client.post(url, data={**choice, "drop_unshown": "1"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert current_key(db, "MC-1") == {"answer": ["A", "C", "D"]}
    assert "表单未列出的设置" not in client.get(url).text

    ft = item_of(db, "FT-1")
    url = f"/banks/{bank_id}/items/{ft.id}/edit"
    text = {
        **common,
        "stem": "电流的国际单位名称是 ____。",
        "key_mode": "accepted",
        "accepted": "安培\nAmpere",  # a changed answer list; partial and case stay as they were
        "area_point": "A|001",
    }
    r = client.post(url, data={**text, "stem": ""}, follow_redirects=False)
    assert r.status_code == 422  # the form comes back still saying what it keeps
    assert "本题还有部分得分的答案、区分大小写" in text_of(r.text)
    r = client.post(url, data=text, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert current_key(db, "FT-1") == {
        "accepted": ["安培", "Ampere"],
        "partial": {"安": 0.5},
        "case_sensitive": True,
    }


def test_retire_and_reactivate_buttons(
    client: TestClient, csrf: str, bank_id: int, db: Session
) -> None:
    item = item_of(db, "TF-1")
    base = f"/banks/{bank_id}/items/{item.id}"
    assert "停用该题" in client.get(base).text
    r = client.post(f"{base}/retire", data={"csrf_token": csrf, "reason": "过时"})
    assert r.status_code == 200 and "恢复使用" in r.text
    assert item_of(db, "TF-1").status == "retired"
    r = client.post(f"{base}/reactivate", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 200 and "停用该题" in r.text
    assert item_of(db, "TF-1").status == "active"


def test_another_centres_admin_gets_404_pages(
    client: TestClient, world: dict[str, str], bank_id: int, db: Session
) -> None:
    item = item_of(db, "SC-1")
    client.cookies.clear()
    csrf = page_login(client, world["other_admin"])
    assert "T-1" not in client.get("/banks").text
    for url in (f"/banks/{bank_id}", f"/banks/{bank_id}/items/{item.id}"):
        r = client.get(url)
        assert r.status_code == 404 and "欧姆" not in r.text
    r = client.post(f"/banks/{bank_id}/items/{item.id}/retire", data={"csrf_token": csrf})
    assert r.status_code == 404
    assert item_of(db, "SC-1").status == "active"


def test_proctor_may_not_open_or_upload(
    client: TestClient, world: dict[str, str], db: Session
) -> None:
    csrf = page_login(client, world["proctor"])
    assert client.get("/banks").status_code == 403
    assert upload(client, csrf, BANK).status_code == 403
    assert count(db, QuestionBank) == 0


def test_excel_template_download_fill_upload_and_export(
    client: TestClient, world: dict[str, str], db: Session
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    page_login(client, world["admin"])
    r = client.get("/banks/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    book = load_workbook(BytesIO(r.content))
    book["试题"]["L2"] = "Q"  # the first example's 答案: not an option label
    bad = BytesIO()
    book.save(bad)
    csrf = csrf_of(client, "/banks/import")
    r = client.post(
        "/banks/import",
        data={"csrf_token": csrf},
        files={"file": ("题库.xlsx", bad.getvalue())},
    )
    assert r.status_code == 422
    assert "工作表“试题” 第 2 行" in r.text and "“答案”列" in r.text
    book["试题"]["L2"] = "B"
    good = BytesIO()
    book.save(good)
    r = client.post(
        "/banks/import", data={"csrf_token": csrf}, files={"file": ("题库.xlsx", good.getvalue())}
    )
    assert r.status_code == 200 and "新增 9 题" in r.text
    bank_id = int(re.search(r'href="/banks/(\d+)"', r.text)[1])  # type: ignore[index]
    r = client.get(f"/banks/{bank_id}/export.xlsx?type=true_false")
    assert r.status_code == 200
    rows = list(
        load_workbook(BytesIO(r.content), read_only=True)["试题"].iter_rows(values_only=True)
    )
    assert [row[1] for row in rows[1:]] == ["判断题"]


def test_a_qti_package_with_refused_items_then_imported_deliverable_only_then_exported(
    client: TestClient, csrf: str, db: Session
) -> None:
    from tests.banks.test_qti import CONFORMANCE, zipped

    package = zipped(CONFORMANCE / "qti3/package_T4-T7")
    fields = {
        "csrf_token": csrf,
        "bank_code": "QTI-T47",
        "bank_name": "QTI 测试包",
        "occupation": "6-31-01-03",
        "level": "intermediate",
    }
    r = client.post("/banks/import", data=fields, files={"file": ("T4-T7.zip", package)})
    assert r.status_code == 422
    page = text_of(r.text)
    assert "t1-test-entry-item2" in page and "t1-test-entry-item4" not in page  # 简答: kept
    assert "不能导入：没有声明正确答案（correctResponse）和评分" in page
    assert 'value="QTI-T47"' in r.text  # the form keeps what was typed
    assert count(db, QuestionBank) == 0
    r = client.post(
        "/banks/import",
        data={**fields, "skip_refused": "true"},
        files={"file": ("T4-T7.zip", package)},
    )
    assert r.status_code == 200
    page = text_of(r.text)
    assert "新建题库 QTI-T47" in page and "按要求跳过 2 道不能导入的题目" in page
    assert "没有声明正确答案（correctResponse）和评分" in page  # each skipped one, with why
    bank_id = int(re.search(r'href="/banks/(\d+)"', r.text)[1])  # type: ignore[index]
    bank_page = client.get(f"/banks/{bank_id}")
    assert f"/banks/{bank_id}/export-qti3.zip" in bank_page.text
    r = client.get(f"/banks/{bank_id}/export-qti3.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "QTI-T47-qti3.zip" in r.headers["content-disposition"]
    r = client.get(f"/banks/{bank_id}/export-moodle.xml")
    assert r.status_code == 200 and b"<quiz>" in r.content


def test_the_page_takes_bank_sources_as_large_as_the_api_does(
    client: TestClient, csrf: str
) -> None:
    # 10 MB: over the 6 MB of other uploads, under Excel's 20 MB (app/core/limits.py).
    big = b"PK" + b"\0" * (10 * 1024 * 1024)
    r = client.post("/banks/import", data={"csrf_token": csrf}, files={"file": ("题库.xlsx", big)})
    assert r.status_code == 422 and "文件不是有效的 Excel 工作簿（.xlsx）" in r.text
    assert "Excel 工作簿 .xlsx（不超过 20 MB）" in client.get("/banks/import").text


MATCHING = """\
  - id: MA-1
    type: matching
    area: A
    point: "001"
    difficulty: 2
    points: 2
    stem: 将下列仪表与它测量的量对应起来。
    options: {A: 绝缘电阻, B: 电流, C: 电能}
    key:
      pairs: {兆欧表: A, 钳形电流表: B, 电度表: C}
      credit: {兆欧表: 1, 钳形电流表: 1, 电度表: 2}
"""


def test_a_matching_item_is_shown_and_edited_with_its_credit_per_pair(
    client: TestClient, csrf: str, db: Session
) -> None:
    assert upload(client, csrf, BANK.rstrip() + "\n" + MATCHING).status_code == 200
    bank_id = db.exec(select(QuestionBank)).one().id
    db.commit()
    item = item_of(db, "MA-1")
    shown = client.get(f"/banks/{bank_id}/items/{item.id}").text
    assert '<span class="prompt">钳形电流表</span>' in shown and "<b>C.</b> 电能" in shown
    assert "2. 钳形电流表 → B" in text_of(shown)  # the key as staff read it
    url = f"/banks/{bank_id}/items/{item.id}/edit"
    form = client.get(url).text
    assert 'name="pair_prompt_3" value="电度表"' in form
    assert 'name="pair_credit_3" value="2"' in form
    rows = {
        "pair_prompt_1": "兆欧表",
        "pair_answer_1": "A",
        "pair_credit_1": "1",
        "pair_prompt_2": "钳形电流表",
        "pair_answer_2": "B",
        "pair_credit_2": "1",
        "pair_prompt_3": "电能表",  # renamed
        "pair_answer_3": "C",
        "pair_credit_3": "2",
    }
    data = {
        "csrf_token": csrf,
        "stem": "将下列仪表与它测量的量对应起来。",
        **{f"option_{k}": v for k, v in zip("ABC", ["绝缘电阻", "电流", "电能"], strict=True)},
        **rows,
        "area_point": "A|001",
        "difficulty": "2",
        "points": "2",
        "levels": ["intermediate"],
    }
    r = client.post(url, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert current_key(db, "MA-1") == {
        "prompts": ["兆欧表", "钳形电流表", "电能表"],
        "answer": ["A", "B", "C"],
        "credit": [1, 1, 2],
    }
    r = client.post(url, data={**data, "pair_answer_2": "D"}, follow_redirects=False)
    assert r.status_code == 422
    assert "题项“钳形电流表”的答案 D 不在选项中（选项：A、B、C）" in r.text
