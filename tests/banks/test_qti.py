"""IMS QTI 2.1 and 3.0: every file of the conformance corpus gives its expected outcome item
by item (type, key, score, or the refusal reason), hostile XML is refused unexpanded, and a
bank goes out as a QTI 3.0 content package and comes back the same."""

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import Staff
from app.banks import format as bank_format
from app.banks import qti
from app.banks import service as banks
from app.core.errors import ValidationFailed
from app.itemtypes import written
from app.scoring.rules import score_response
from tests.banks.samples import BANK
from tests.factories import make_centre, make_occupations, make_staff, staff_actor

ROOT = Path(__file__).resolve().parents[2]
# CI lays shared/ beside the clone; a worktree (wt/<name>) has it one level further up.
_PLACES = (ROOT.parent / "shared" / "conformance", ROOT.parent.parent / "shared" / "conformance")
CONFORMANCE = next((p for p in _PLACES if p.exists()), _PLACES[0])
SHIPPED = sorted((ROOT / "question_banks").glob("*.yaml"))


def zipped(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


def read_file(relative: str) -> qti.QtiSource:
    path = CONFORMANCE / relative
    return qti.read_qti(path.read_bytes(), path.name)


UNDELIVERED = "Jiping 的机考不能呈现和评分"
RUBRIC = "Scoring Guidelines\nMax Score: 3.0 points\nScoring:\nWhen not all 3 questions are answered in the response: -1 for each missing.\nCheck for gramatical errors: -0.1 per error.\nPossibly add in .1 increments extra bonus points for extra good answers."


def WRITTEN_KEY(reference: str) -> dict[str, Any]:
    return {
        "reference": reference,
        "marking_points": [{"point": written.WHOLE_ANSWER, "points": 1}],
    }


NO_KEY = "没有声明正确答案（correctResponse）和评分，无法作为考试题目"

# file → (type, key, points) or the refusal reason
EXPECTED_ITEMS: dict[str, tuple[str, Any, float | None] | str] = {
    "qti21/items/choice.xml": ("single_choice", "A", 1.0),
    "qti21/items/choice_fixed.xml": ("single_choice", "A", 1.0),
    "qti21/items/choice_multiple.xml": (
        "multiple_choice",
        {"answer": ["A", "D"], "credit": {"A": 1.0, "D": 1.0, "F": -1.0}, "credit_max": 2.0},
        2.0,
    ),
    "qti21/items/text_entry.xml": (
        "fill_in",
        {"accepted": ["York"], "partial": {"york": 0.5}, "case_sensitive": True},
        1.0,
    ),
    "qti21/items/associate.xml": UNDELIVERED + "配对题（associateInteraction）",
    # Extended text is marked by people: the scorer's rubric is the reference answer, or
    # the examiners are told the file has none; one marking point (no score declared).
    "qti21/items/extended_text.xml": ("short_answer", WRITTEN_KEY(written.NO_REFERENCE), None),
    "qti21/items/extended_text_rubric.xml": ("short_answer", WRITTEN_KEY(RUBRIC), None),
    "qti21/items/gap_match.xml": UNDELIVERED + "拖放填空题（gapMatchInteraction）",
    "qti21/items/hottext.xml": UNDELIVERED + "热点文字题（hottextInteraction）",
    "qti21/items/inline_choice.xml": UNDELIVERED + "下拉选择填空题（inlineChoiceInteraction）",
    # map_response: each right pair earns what the mapping gives it (3 in all).
    "qti21/items/match.xml": (
        "matching",
        {
            "pairs": {"Capulet": "B", "Demetrius": "A", "Lysander": "A", "Prospero": "C"},
            "credit": {"Capulet": 1.0, "Demetrius": 0.5, "Lysander": 0.5, "Prospero": 1.0},
        },
        3.0,
    ),
    "qti21/items/order.xml": ("ordering", ["C", "A", "B"], 1.0),
    "qti3/items/map-response-identifier.xml": (
        "multiple_choice",
        {
            "answer": ["A", "B", "C"],
            "credit": {"A": 1.0, "B": 2.0, "C": 5.0, "D": -1.0, "E": -2.0, "F": -5.0},
            "credit_max": 6.0,
        },
        6.0,
    ),
    "qti3/items/match-correct-identifier.xml": ("single_choice", "A", 1.0),
    "qti3/items/single-cardinality-invalid.xml": NO_KEY,
    "qti3/items/extended-text-sv-1.xml": ("short_answer", WRITTEN_KEY(written.NO_REFERENCE), None),
    "qti3/items/gap-match-example-1.xml": UNDELIVERED + "拖放填空题（gapMatchInteraction）",
}

SACHSEN: dict[str, tuple[str, Any, float | None] | str] = {
    "Choicetruefalse_176040516": ("single_choice", "A", 1.0),  # Richtig / Falsch
    "Choicesingle_853928446": ("single_choice", "A", 1.0),
    "Choicemultiple_2014410822": ("multiple_choice", ["B", "D"], 1.0),
    "Choicemultiple_871212949": (
        "multiple_choice",
        {"answer": ["A", "B", "C"], "credit": {"A": 1.0, "B": 1.0, "C": 1.0, "D": -1.0, "E": -2.0}},
        3.0,
    ),
    "Hotspot_278940407": UNDELIVERED + "热区题（hotspotInteraction）",
    "Order_913967682": ("ordering", ["A", "B", "C", "D", "E"], 1.0),
    # Its own processing scores MAXSCORE for the whole match only: all or nothing.
    "Matchsingle_143114773": (
        "matching",
        {"Weißeritz": "A", "Mulde": "B", "Saale": "C", "Spree": "D"},
        1.0,
    ),
    # Its prompts are pictures without a description: five prompts a candidate can't tell
    # apart once the pictures are left out.
    "Matchmultiple_1038910213": "匹配题的题项应各不相同，这道题有 5 个都是“［图］”"
    "（图片没有文字说明时考生无法区分；Jiping 不导入图片）",
    "TextEntry_883368511": ("fill_in", {"accepted": ["Fichtelberg"]}, 1.0),
    "TextEntrynumeric_2040297025": "一道题含 2 个作答区域，Jiping 每题只有一个作答区域",
    "TextEntrynumeric_770468849": ("fill_in", {"numeric": {"value": 4.136, "tolerance": 0.0}}, 1.0),
    "TextEntrysubset_806481421": "一道题含 3 个作答区域，Jiping 每题只有一个作答区域",
    "Hottext_801974120": UNDELIVERED + "热点文字题（hottextInteraction）",
}

PACKAGE_T4_T7 = {
    "t1-test-entry-item1": ("single_choice", "A", 1.0),
    "t1-test-entry-item2": NO_KEY,
    "t1-test-entry-item3": NO_KEY,
    "t1-test-entry-item4": ("short_answer", WRITTEN_KEY(written.NO_REFERENCE), None),
}


def outcome(item: qti.ReadItem) -> tuple[str, Any, float | None] | str:
    if item.refusal is not None:
        return item.refusal
    assert item.raw is not None
    return (item.raw["type"], item.raw["key"], item.raw["points"])


def test_the_conformance_corpus_has_not_changed_under_the_tests() -> None:
    files = {p.relative_to(CONFORMANCE).as_posix() for p in CONFORMANCE.rglob("*.xml")}
    items = {f for f in files if "/items/" in f and not f.startswith("qti3/package")}
    assert items == set(EXPECTED_ITEMS)
    sachsen = {Path(f).stem for f in files if f.startswith("qti21/test_interaction_mix_sachsen/")}
    assert sachsen - {"interaction_mix_sachsen", "interaction_mix_sachsen_2_2"} == set(SACHSEN)


@pytest.mark.parametrize("relative", sorted(EXPECTED_ITEMS))
def test_each_conformance_item_gives_its_expected_outcome(relative: str) -> None:
    source = read_file(relative)
    assert source.problems == []
    [item] = source.items
    assert outcome(item) == EXPECTED_ITEMS[relative]


def test_the_sachsen_test_imports_its_items_in_the_tests_order() -> None:
    folder = CONFORMANCE / "qti21/test_interaction_mix_sachsen"
    source = qti.read_qti(zipped(folder), "sachsen.zip")
    assert source.problems == []
    assert source.title == "Interaction Mix (Sachsen)"
    assert [i.identifier for i in source.items] == list(SACHSEN)  # the test's order
    assert {i.identifier: outcome(i) for i in source.items} == SACHSEN


def test_the_qti3_content_package_is_read_through_its_manifest() -> None:
    source = qti.read_qti(zipped(CONFORMANCE / "qti3/package_T4-T7"), "T4-T7.zip")
    assert source.problems == [] and source.title == "T1 - test entry"
    assert {i.identifier: outcome(i) for i in source.items} == PACKAGE_T4_T7
    assert source.items[0].file == "items/choice-single-cardinality.xml"


def test_stems_and_options_read_as_the_candidate_sees_them() -> None:
    [choice] = read_file("qti21/items/choice.xml").items
    assert choice.raw is not None
    assert choice.raw["stem"] == (
        "Look at the text in the picture.\n［图：NEVER LEAVE LUGGAGE UNATTENDED］\nWhat does it say?"
    )
    assert choice.raw["options"]["B"] == "Do not let someone else look after your luggage."
    [entry] = read_file("qti21/items/text_entry.xml").items
    assert entry.raw is not None
    assert "Made glorious summer by this sun of ____;" in entry.raw["stem"]


def test_an_import_with_refused_items_imports_nothing_unless_asked() -> None:
    content = zipped(CONFORMANCE / "qti3/package_T4-T7")
    header = {
        "code": "QTI-T",
        "name": "QTI 包",
        "occupation": "6-31-01-03",
        "levels": ["intermediate"],
    }
    with pytest.raises(ValidationFailed) as caught:
        qti.parse_qti(content, "T4-T7.zip", bank=header)
    refusals = [(d["item_id"], d["problem"]) for d in caught.value.details]
    assert refusals == [
        (item_id, f"不能导入：{reason}")
        for item_id, reason in PACKAGE_T4_T7.items()
        if isinstance(reason, str)
    ]
    assert caught.value.details[0]["file"] == "items/choice-multiple-cardinality.xml"
    # Each refusal names the line of what is missing or not delivered.
    lines = (CONFORMANCE / "qti3/package_T4-T7/items/choice-multiple-cardinality.xml").read_text()
    assert "<qti-response-declaration" in lines.splitlines()[caught.value.details[0]["line"] - 1]
    parsed = qti.parse_qti(content, "T4-T7.zip", bank=header, skip_refused=True)
    # The extended text item comes in as a 简答题 marked by people.
    assert [(i.external_id, i.item_type) for i in parsed.items] == [
        ("t1-test-entry-item1", "single_choice"),
        ("t1-test-entry-item4", "short_answer"),
    ]
    assert [p.item_id for p in parsed.skipped] == ["t1-test-entry-item2", "t1-test-entry-item3"]
    assert parsed.items[0].area_code == "A" and parsed.items[0].point_code == "001"
    assert parsed.outline[0].points[0].name == "T1 - test entry"


def test_a_foreign_upload_needs_the_bank_it_goes_into() -> None:
    content = (CONFORMANCE / "qti21/items/choice.xml").read_bytes()
    with pytest.raises(ValidationFailed) as caught:
        qti.parse_qti(content, "choice.xml")
    assert [(d["field"], d["problem"]) for d in caught.value.details] == [
        (
            "bank",
            "请填写要导入到的题库的题库代码、题库名称、职业编码、适用等级"
            "（其他系统的文件不含这些信息；Jiping 导出的文件自带）",
        )
    ]
    partly = {"code": "Q", "name": "Q", "occupation": "6-31-01-03"}
    with pytest.raises(ValidationFailed) as caught:
        qti.parse_qti(content, "choice.xml", bank=partly)
    assert caught.value.details[0]["problem"].startswith("请填写要导入到的题库的适用等级（")


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="bomb">
<itemBody><p>&lol9;</p></itemBody></assessmentItem>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x">
<itemBody><p>&secret;</p></itemBody></assessmentItem>
"""


@pytest.mark.parametrize("content", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_xml_bombs_and_external_entities_are_refused_not_expanded(content: bytes) -> None:
    source = qti.read_qti(content, "evil.xml")
    assert source.items == []
    [problem] = source.problems
    assert (
        problem.problem == "文件含 DOCTYPE 声明（可能藏有实体扩展或外部实体），出于安全原因拒绝导入"
    )
    # The same file inside a package is refused the same way.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("items/evil.xml", content)
    packaged = qti.read_qti(out.getvalue(), "evil.zip")
    assert [p.problem for p in packaged.problems] == [problem.problem]
    assert "root:" not in repr(packaged) and "lollollol" not in repr(packaged)


def test_broken_xml_is_named_with_its_line_and_a_package_may_not_climb_out() -> None:
    source = qti.read_qti(b"<assessmentItem>\n<itemBody>\n</assessmentItem>", "broken.xml")
    [problem] = source.problems
    assert problem.line == 3 and problem.problem.startswith("不是格式正确的 XML")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../outside.xml", b"<x/>")
    [climbing] = qti.read_qti(out.getvalue(), "up.zip").problems
    assert climbing.problem == "压缩包中的路径不安全：../outside.xml"


def checked_item(raw: dict[str, Any]) -> bank_format.ItemContent:
    parsed, problems = bank_format.check_bank_parts(
        filename="f",
        digest="d",
        bank={"code": "Q", "name": "Q", "occupation": "6-31-01-03", "levels": ["intermediate"]},
        outline=[
            {
                "area": "A",
                "name": "A",
                "weight": 100,
                "points": [{"code": "001", "name": "p", "importance": "Y"}],
            }
        ],
        items=[bank_format.SourceItem(raw, "f", 1)],
    )
    assert problems == [] and parsed is not None
    return parsed.items[0]


def test_a_file_s_own_partial_credit_is_scored_as_it_declares() -> None:
    [item] = read_file("qti3/items/map-response-identifier.xml").items
    assert item.raw is not None
    key = item.raw["key"]
    stored = checked_item(item.raw).key

    def scored(*choices: str) -> float:
        return score_response(
            item_type="multiple_choice", key=stored, points=3, response={"choices": list(choices)}
        ).awarded

    assert stored["credit_max"] == key["credit_max"] == 6
    assert scored("A", "B", "C") == 3  # 8 of credit, capped at the mapping's 6
    assert scored("C") == 2.5  # 5 of 6
    assert scored("A", "D") == 0  # 1 − 1
    assert scored("C", "F") == 0  # never below nothing
    assert scored("B", "C", "D") == 3  # 6 of 6


def test_a_text_entry_mapping_gives_its_partial_share_and_keeps_case() -> None:
    key = {"accepted": ["York"], "partial": {"york": 0.5}, "case_sensitive": True}

    def scored(text: str) -> float:
        return score_response(
            item_type="fill_in", key=key, points=2, response={"text": text}
        ).awarded

    assert (scored("York"), scored("york"), scored("YORK"), scored("Ｙｏｒｋ")) == (2, 1, 0, 2)


# --- out and back ------------------------------------------------------------------------


def package_of(text: str) -> tuple[bank_format.BankFile, bytes]:
    bank = bank_format.parse_bank_file(text.encode(), "t.yaml")
    content = qti.write_package(
        bank=bank_format.header_source(bank.header),
        outline=bank_format.outline_to_json(bank.outline),
        enemies=[g.as_json() for g in bank.enemy_groups],
        items=[bank_format.source_of(i, external_id=i.external_id) for i in bank.items],
        title=bank.header.name,
    )
    return bank, content


@pytest.mark.parametrize("path", [*SHIPPED, None], ids=[*(p.name for p in SHIPPED), "sample"])
def test_yaml_to_qti3_to_yaml_gives_the_same_items(path: Path | None) -> None:
    text = path.read_text() if path else BANK
    bank, content = package_of(text)
    again = qti.parse_qti(content, "bank-qti3.zip")
    assert again.header == bank.header and again.outline == bank.outline
    assert again.enemy_groups == bank.enemy_groups
    assert [(i.external_id, i.digest) for i in again.items] == [
        (i.external_id, i.digest) for i in bank.items
    ]


def test_the_exported_package_has_the_conformance_package_s_shape() -> None:
    bank, content = package_of(BANK)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        first = etree.fromstring(archive.read(f"items/{bank.items[0].external_id}.xml"))
        test = etree.fromstring(archive.read("assessment.xml"))
    assert names == {"imsmanifest.xml", "assessment.xml"} | {
        f"items/{i.external_id}.xml" for i in bank.items
    }
    ns = {"cp": qti.QTI3_CP_NS, "q": qti.QTI3_NS}
    resources = manifest.findall("cp:resources/cp:resource", ns)
    assert [r.get("type") for r in resources] == ["imsqti_item_xmlv3p0"] * len(bank.items) + [
        "imsqti_test_xmlv3p0"
    ]
    assert [d.get("identifierref") for d in resources[-1].findall("cp:dependency", ns)] == [
        i.external_id for i in bank.items
    ]
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=ns) == "3.0.0"
    assert first.tag == f"{{{qti.QTI3_NS}}}qti-assessment-item"
    templates = {
        etree.fromstring(zipfile.ZipFile(io.BytesIO(content)).read(f"items/{i.external_id}.xml"))
        .find("q:qti-response-processing", ns)
        .get("template")
        for i in bank.items
    }
    assert qti.MATCH_CORRECT in templates and qti.MAP_RESPONSE in templates
    refs = test.findall(".//q:qti-assessment-item-ref", ns)
    assert [r.get("href") for r in refs] == [f"items/{i.external_id}.xml" for i in bank.items]


def items_of(db: Session, actor: Staff, bank_id: int) -> list[tuple[str, str, int]]:
    page = banks.list_items(
        db, actor=actor, bank_id=bank_id, filters=banks.parse_item_filter(), per_page=200
    )
    return [(r.item.external_id, r.version.content_digest, r.version.version) for r in page.rows]


def test_a_package_round_trips_through_the_service_into_an_empty_centre(db: Session) -> None:
    make_occupations(db)
    first, second = make_centre(db), make_centre(db)
    admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, first))
    other = staff_actor(make_staff(db, Role.CENTRE_ADMIN, second))
    source = SHIPPED[0]
    imported = banks.import_bank_file(
        db, centre_id=first.id or 0, filename=source.name, content=source.read_bytes(), actor=admin
    )
    assert imported.bank.id is not None
    filename, content = banks.export_bank_qti(
        db, actor=admin, bank_id=imported.bank.id, filters=banks.parse_item_filter()
    )
    assert filename == f"{imported.bank.code}-qti3.zip"
    brought = banks.import_bank_file(
        db, centre_id=second.id or 0, filename=filename, content=content, actor=other
    )
    assert (brought.bank.code, brought.created) == (imported.bank.code, imported.created)
    assert items_of(db, other, brought.bank.id or 0) == items_of(db, admin, imported.bank.id)
    again = banks.import_bank_file(
        db, centre_id=second.id or 0, filename=filename, content=content, actor=other
    )
    assert (again.created, again.new_versions, again.unchanged) == (0, 0, imported.created)


ORDERING_ITEM = """\
  - id: OR-1
    type: ordering
    area: A
    point: "001"
    difficulty: 3
    points: 2
    stem: 按正确的操作顺序排列停电检修的安全技术措施。
    options:
      A: 验电
      B: 装设接地线
      C: 停电
      D: 悬挂标示牌和装设遮栏
    key: [C, A, B, D]
"""


def ordering_bank() -> str:
    """The sample bank with an ordering item after its items."""
    head, items = BANK.split("items:\n", 1)
    return f"{head}items:\n{items.rstrip()}\n{ORDERING_ITEM}"


def round_trips(bank: bank_format.BankFile) -> bytes:
    """The bank out to QTI, Moodle XML and Excel, each read back as the same items; the
    QTI package."""
    from app.banks import excel, moodle

    header = bank_format.header_source(bank.header)
    outline = bank_format.outline_to_json(bank.outline)
    sources = [bank_format.source_of(i, external_id=i.external_id) for i in bank.items]
    package = qti.write_package(bank=header, outline=outline, enemies=[], items=sources, title="t")
    quiz = moodle.write_quiz(bank=header, outline=outline, enemies=[], items=sources)
    workbook = excel.write_workbook(
        bank.header, bank.outline, [(i.external_id, i) for i in bank.items], []
    )
    for again in (
        qti.parse_qti(package, "t.zip"),
        moodle.parse_moodle(quiz, "t.xml"),
        excel.parse_bank_workbook(workbook, "t.xlsx"),
    ):
        assert [(i.external_id, i.digest) for i in again.items] == [
            (i.external_id, i.digest) for i in bank.items
        ]
    return package


def test_an_ordering_item_round_trips_through_qti_moodle_and_excel() -> None:
    bank = bank_format.parse_bank_file(ordering_bank().encode(), "t.yaml")
    assert bank.items[-1].key == {"answer": ["C", "A", "B", "D"]}
    package = round_trips(bank)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        item = etree.fromstring(archive.read("items/OR-1.xml"))
    ns = {"q": qti.QTI3_NS}
    assert item.find(".//q:qti-order-interaction", ns) is not None
    assert item.find("q:qti-response-declaration", ns).get("cardinality") == "ordered"


def test_a_match_scores_as_its_file_declares() -> None:
    [mapped] = read_file("qti21/items/match.xml").items
    [whole] = read_file("qti21/test_interaction_mix_sachsen/Matchsingle_143114773.xml").items
    assert mapped.raw is not None and whole.raw is not None
    mapped_item, whole_item = checked_item(mapped.raw), checked_item(whole.raw)
    assert [o["text"] for o in mapped_item.options] == [
        "A Midsummer-Night's Dream",
        "Romeo and Juliet",
        "The Tempest",
    ]
    assert mapped_item.stem == (
        "Match the following characters to the Shakespeare play they appeared in:"
    )

    def scored(item: bank_format.ItemContent, *matches: str) -> float:
        return score_response(
            item_type="matching", key=item.key, points=3, response={"matches": list(matches)}
        ).awarded

    # Capulet → Romeo and Juliet (1), Demetrius, Lysander → Dream (0.5 each), Prospero →
    # The Tempest (1), as the mapping gives them.
    assert scored(mapped_item, "B", "A", "A", "C") == 3
    assert scored(mapped_item, "B", "C", "C", "C") == 2
    assert scored(mapped_item, "A", "A", "", "") == 0.5
    assert scored(whole_item, "A", "B", "C", "D") == 3
    assert scored(whole_item, "A", "B", "C", "") == 0


MATCHING_ITEMS = """\
  - id: MA-1
    type: matching
    area: A
    point: "001"
    difficulty: 2
    points: 2
    stem: 将下列低压电器与其文字符号对应起来。
    options: {A: FU, B: KM, C: QF, D: FR}
    key: {熔断器: A, 接触器: B, 断路器: C}
  - id: MA-2
    type: matching
    area: A
    point: "001"
    difficulty: 2
    stem: 将下列仪表与它测量的量对应起来。
    options: {A: 绝缘电阻, B: 电流, C: 电能}
    key:
      pairs: {兆欧表: A, 钳形电流表: B, 电度表: C}
      credit: {兆欧表: 1, 钳形电流表: 1, 电度表: 2}
"""


def test_matching_items_round_trip_through_qti_moodle_and_excel() -> None:
    head, items = BANK.split("items:\n", 1)
    bank = bank_format.parse_bank_file(
        f"{head}items:\n{items.rstrip()}\n{MATCHING_ITEMS}".encode(), "t.yaml"
    )
    assert bank.items[-2].key == {
        "prompts": ["熔断器", "接触器", "断路器"],
        "answer": ["A", "B", "C"],
    }
    assert bank.items[-1].key["credit"] == [1, 1, 2]
    package = round_trips(bank)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        plain = etree.fromstring(archive.read("items/MA-1.xml"))
        credited = etree.fromstring(archive.read("items/MA-2.xml"))
    ns = {"q": qti.QTI3_NS}
    assert len(plain.findall(".//q:qti-match-interaction/q:qti-simple-match-set", ns)) == 2
    assert plain.find("q:qti-response-declaration", ns).get("base-type") == "directedPair"
    assert plain.find("q:qti-response-processing", ns).get("template") == qti.MATCH_CORRECT
    assert credited.find("q:qti-response-processing", ns).get("template") == qti.MAP_RESPONSE
    # Without Jiping's manifest a package is read as any other system's: the same keys.
    foreign = qti.read_item(credited, "MA-2.xml")
    assert foreign.raw is not None and foreign.raw["key"] == {
        "pairs": {"兆欧表": "A", "钳形电流表": "B", "电度表": "C"},
        "credit": {"兆欧表": 1.0, "钳形电流表": 1.0, "电度表": 2.0},
    }


def test_a_written_item_travels_as_extended_text_with_the_scorers_rubric() -> None:
    source = {
        "id": "W-1",
        "type": "extended",
        "area": "A",
        "point": "001",
        "difficulty": 3,
        "points": 10,
        "stem": "求额定电流（写出计算过程）。",
        "key": {
            "reference": "I = P / U = 10 A",
            "marking_points": [{"point": "公式", "points": 4}, {"point": "结果", "points": 6}],
        },
    }
    xml = qti.item_xml(source)
    text = xml.decode()
    assert "<qti-extended-text-interaction" in text and 'view="scorer"' in text
    assert "参考答案：I = P / U = 10 A" in text and "公式（4 分）" in text
    assert "qti-response-processing" not in text  # people mark it
    # Read as another system's file (without Jiping's metadata): the rubric is the
    # reference, the declared score one marking point, the 15 lines a 论述/计算题.
    foreign = qti.read_qti(xml, "w.xml").items[0]
    assert foreign.raw is not None and foreign.raw["type"] == "extended"
    assert foreign.raw["key"]["reference"].startswith("参考答案：I = P / U = 10 A")
    assert foreign.raw["key"]["marking_points"] == [{"point": written.WHOLE_ANSWER, "points": 10}]
