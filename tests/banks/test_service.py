"""Importing banks (all or nothing, versions, retiring), the drawable pool, browsing,
editing, retiring, and who may do it."""

from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.banks import service as banks
from app.banks.models import Item, ItemStatus, ItemVersion, QuestionBank
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.reference.models import EvaluationCentre
from tests.banks.samples import BANK, ITEM_COUNT, edit, item_line, line_of, with_item
from tests.factories import make_centre, make_occupations, make_staff, staff_actor


@pytest.fixture
def centre(db: Session) -> EvaluationCentre:
    make_occupations(db)
    return make_centre(db)


@pytest.fixture
def admin(db: Session, centre: EvaluationCentre) -> banks.Staff:
    return staff_actor(make_staff(db, Role.CENTRE_ADMIN, centre))


def do_import(
    db: Session, centre: EvaluationCentre, text: str, actor: Any = None
) -> banks.ImportResult:
    assert centre.id is not None
    return banks.import_bank_file(
        db, centre_id=centre.id, filename="t.yaml", content=text.encode(), actor=actor
    )


def snapshot(db: Session) -> tuple[Any, ...]:
    db.expire_all()
    return (
        [b.model_dump() for b in db.exec(select(QuestionBank).order_by(col(QuestionBank.id)))],
        [i.model_dump() for i in db.exec(select(Item).order_by(col(Item.id)))],
        [v.model_dump() for v in db.exec(select(ItemVersion).order_by(col(ItemVersion.id)))],
        db.exec(select(func.count()).select_from(AuditEntry)).one(),
    )


def item_by_ext(db: Session, bank_id: int, external_id: str) -> Item:
    item = db.exec(
        select(Item).where(Item.bank_id == bank_id, Item.external_id == external_id)
    ).one()
    return item


# --- import --------------------------------------------------------------------------


def test_first_import_creates_bank_items_and_first_versions(
    db: Session, centre: EvaluationCentre, admin: banks.Staff
) -> None:
    result = do_import(db, centre, BANK, admin)
    assert (result.created, result.new_versions, result.unchanged, result.retired) == (5, 0, 0, 0)
    assert result.bank_created and "新建题库 T-1" in result.summary
    bank = result.bank
    assert (bank.centre_id, bank.code, bank.name, bank.level_codes) == (
        centre.id,
        "T-1",
        "测试题库",
        ["intermediate"],
    )
    assert [a["area"] for a in bank.outline] == ["A", "B"]
    assert bank.source_name == "t.yaml" and len(bank.content_digest) == 64
    items = db.exec(select(Item).where(Item.bank_id == bank.id)).all()
    assert sorted(i.external_id for i in items) == ["FN-1", "FT-1", "MC-1", "SC-1", "TF-1"]
    assert all(i.current_version == 1 and i.status == ItemStatus.ACTIVE for i in items)
    sc = db.exec(
        select(ItemVersion).where(ItemVersion.item_id == item_by_ext(db, bank.id or 0, "SC-1").id)
    ).one()
    assert (sc.version, sc.item_type, sc.key, sc.points, sc.importance) == (
        1,
        "single_choice",
        {"answer": "B"},
        1.5,
        "X",
    )
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "bank.import")).one()
    assert (entry.actor_id, entry.centre_id, entry.object_id) == (admin.id, centre.id, bank.id)
    assert entry.detail["created"] == 5 and entry.detail["file"] == "t.yaml"


def test_reimporting_the_same_file_changes_nothing(db: Session, centre: EvaluationCentre) -> None:
    do_import(db, centre, BANK)
    before = snapshot(db)
    result = do_import(db, centre, BANK)
    assert (result.created, result.new_versions, result.unchanged, result.retired) == (0, 0, 5, 0)
    assert not result.bank_created
    assert "未变化" in result.summary
    banks_, items, versions, audits = snapshot(db)
    assert (banks_, items, versions) == before[:3]
    assert audits == before[3] + 1  # the import itself is still recorded


def test_unchanged_reimport_is_not_parsed_again(
    db: Session, centre: EvaluationCentre, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import(db, centre, BANK)

    def no_parse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an unchanged file must short-circuit on its digest")

    monkeypatch.setattr(banks.bank_format, "parse_bank_file", no_parse)
    result = do_import(db, centre, BANK)
    assert (result.created, result.new_versions, result.unchanged) == (0, 0, ITEM_COUNT)
    assert "未变化" in result.summary


def test_after_an_edit_reimporting_the_file_restores_its_content(
    db: Session, admin: banks.Staff, centre: EvaluationCentre
) -> None:
    bank = do_import(db, centre, BANK).bank
    item_id, src = source(db, admin, bank, "FN-1")
    src["key"] = {"numeric": {"value": 60, "tolerance": 0}, "unit": "Hz"}
    banks.edit_item(db, actor=admin, bank_id=bank.id or 0, item_id=item_id, data=src)
    result = do_import(db, centre, BANK)
    assert (result.new_versions, result.unchanged) == (1, ITEM_COUNT - 1)
    item = db.get(Item, item_id)
    assert item is not None and item.current_version == 3


def test_enemy_groups_are_stored_and_kept_apart_in_every_draw(
    db: Session, centre: EvaluationCentre
) -> None:
    text = BANK + "enemies:\n  - items: [SC-1, FT-1]\n    reason: 同一知识点\n"
    bank = do_import(db, centre, text).bank
    assert bank.enemy_groups == [{"items": ["FT-1", "SC-1"], "reason": "同一知识点"}]
    groups = banks.enemy_groups_by_item(db, bank_id=bank.id or 0)
    ids = dict(db.exec(select(Item.external_id, Item.id)).all())
    assert groups == {ids["SC-1"]: ("1",), ids["FT-1"]: ("1",)}
    result = do_import(db, centre, BANK)  # the group removed: a bank change
    assert "细目表有修改" in result.summary and result.bank.enemy_groups == []


def test_reimport_with_changes_versions_adds_and_retires(
    db: Session, centre: EvaluationCentre
) -> None:
    first = do_import(db, centre, BANK)
    bank_id = first.bank.id or 0
    sc = item_by_ext(db, bank_id, "SC-1")
    old_v1 = db.exec(select(ItemVersion).where(ItemVersion.item_id == sc.id)).one().model_dump()

    text = edit(BANK, "C: 平方关系", "C: 立方关系")  # SC-1 changed
    text = edit(text, "  - id: TF-1\n", "  - id: TF-9\n")  # TF-1 gone, TF-9 new
    result = do_import(db, centre, text)
    assert (result.created, result.new_versions, result.unchanged, result.retired) == (1, 1, 3, 1)
    assert "停用 1 题" in result.summary

    db.expire_all()
    sc = item_by_ext(db, bank_id, "SC-1")
    assert sc.current_version == 2
    versions = db.exec(
        select(ItemVersion).where(ItemVersion.item_id == sc.id).order_by(col(ItemVersion.version))
    ).all()
    assert versions[0].model_dump() == old_v1  # the old version is kept as it was
    assert versions[1].options[2] == {"label": "C", "text": "立方关系"}
    assert item_by_ext(db, bank_id, "TF-1").status == ItemStatus.RETIRED
    assert item_by_ext(db, bank_id, "TF-9").status == ItemStatus.ACTIVE
    # Importing the new file again is now a no-op; the retired item stays retired.
    again = do_import(db, centre, text)
    assert (again.created, again.new_versions, again.retired) == (0, 0, 0)
    assert "未变化" in again.summary


def test_bank_header_and_outline_are_updated(db: Session, centre: EvaluationCentre) -> None:
    do_import(db, centre, BANK)
    text = edit(BANK, "name: 测试题库", "name: 新名称")
    text = edit(text, "name: 交流电路", "name: 正弦交流电路")
    result = do_import(db, centre, text)
    assert result.bank.name == "新名称"
    assert result.bank.outline[0]["points"][1]["name"] == "正弦交流电路"
    assert result.unchanged == ITEM_COUNT and "细目表有修改" in result.summary


def test_a_bad_item_leaves_the_database_exactly_as_before(
    db: Session, centre: EvaluationCentre
) -> None:
    do_import(db, centre, BANK)
    db.commit()
    before = snapshot(db)
    text = edit(BANK, "C: 平方关系", "C: 立方关系")  # a good change ...
    text = edit(text, "  - id: TF-1\n", "  - id: TF-9\n")  # ... an addition ...
    text = with_item(text, "MC-1", "key: [A, C, D]", "key: [A, Q]")  # ... and one bad item
    with pytest.raises(ValidationFailed) as caught:
        do_import(db, centre, text)
    assert [(d["item_id"], d["field"], d["line"]) for d in caught.value.details] == [
        ("MC-1", "key", item_line(text, "MC-1", "key: [A, Q]"))
    ]
    assert snapshot(db) == before  # nothing was even flushed
    db.rollback()
    assert snapshot(db) == before


def test_a_bad_first_import_creates_no_bank(db: Session, centre: EvaluationCentre) -> None:
    with pytest.raises(ValidationFailed):
        do_import(db, centre, edit(BANK, "weight: 60", "weight: 70"))
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 0
    assert db.exec(select(func.count()).select_from(Item)).one() == 0


def test_unknown_occupation_is_refused_with_its_line(db: Session, centre: EvaluationCentre) -> None:
    text = edit(BANK, '"6-31-01-03"', '"6-99-99-99"')
    with pytest.raises(ValidationFailed) as caught:
        do_import(db, centre, text)
    (detail,) = caught.value.details
    assert (detail["field"], detail["line"]) == ("bank.occupation", line_of(text, "occupation:"))
    assert "6-99-99-99" in detail["problem"] and "未登记" in detail["problem"]
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 0


def test_a_bank_cannot_change_occupation(db: Session, centre: EvaluationCentre) -> None:
    do_import(db, centre, BANK)
    before = snapshot(db)
    with pytest.raises(ValidationFailed) as caught:
        do_import(db, centre, edit(BANK, '"6-31-01-03"', '"6-31-01-13"'))
    assert caught.value.details[0]["field"] == "bank.occupation"
    assert snapshot(db) == before


def test_each_centre_has_its_own_bank_of_the_same_code(
    db: Session, centre: EvaluationCentre
) -> None:
    other = make_centre(db)
    a = do_import(db, centre, BANK).bank
    b = do_import(db, other, BANK).bank
    assert a.id != b.id and (a.centre_id, b.centre_id) == (centre.id, other.id)
    assert db.exec(select(func.count()).select_from(Item)).one() == 2 * ITEM_COUNT


def test_only_a_centre_admin_of_that_centre_imports(db: Session, centre: EvaluationCentre) -> None:
    proctor = staff_actor(make_staff(db, Role.PROCTOR, centre))
    with pytest.raises(PermissionDenied):
        do_import(db, centre, BANK, proctor)
    other_admin = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    with pytest.raises(PermissionDenied):
        do_import(db, centre, BANK, other_admin)
    assert db.exec(select(func.count()).select_from(QuestionBank)).one() == 0


# --- the drawable pool ---------------------------------------------------------------


def test_drawable_items_are_current_versions_of_active_items_for_the_level(
    db: Session, centre: EvaluationCentre, admin: banks.Staff
) -> None:
    text = edit(BANK, "levels: [intermediate]", "levels: [intermediate, senior]")
    text = with_item(text, "TF-1", "key: true", "key: true\n    levels: [senior]")
    bank = do_import(db, centre, text).bank
    bank_id = bank.id or 0
    inter = banks.drawable_items(db, bank_id=bank_id, level_code="intermediate")
    senior = banks.drawable_items(db, bank_id=bank_id, level_code="senior")
    assert len(inter) == 4 and len(senior) == 5
    assert banks.drawable_items(db, bank_id=bank_id, level_code="junior") == []

    sc = item_by_ext(db, bank_id, "SC-1")
    banks.edit_item(
        db,
        actor=admin,
        bank_id=bank_id,
        item_id=sc.id or 0,
        data={**banks.item_source(inter[0], external_id="SC-1"), "stem": "新的题干（　　）"},
    )
    mc = item_by_ext(db, bank_id, "MC-1")
    banks.set_item_status(
        db, actor=admin, bank_id=bank_id, item_id=mc.id or 0, status=ItemStatus.RETIRED
    )
    pool = banks.drawable_items(db, bank_id=bank_id, level_code="intermediate")
    by_item = {v.item_id: v for v in pool}
    assert mc.id not in by_item
    assert by_item[sc.id or 0].version == 2 and by_item[sc.id or 0].stem == "新的题干（　　）"
    assert len(pool) == 3


# --- browsing ------------------------------------------------------------------------


@pytest.fixture
def bank(db: Session, centre: EvaluationCentre) -> QuestionBank:
    return do_import(db, centre, BANK).bank


def ext_ids(page: banks.ItemPage) -> list[str]:
    return [r.item.external_id for r in page.rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["FT-1", "SC-1", "MC-1", "FN-1", "TF-1"]),
        ({"area": "B"}, ["FN-1", "TF-1"]),
        ({"area": "A", "point": "001"}, ["FT-1", "SC-1"]),
        ({"type": "fill_in"}, ["FT-1", "FN-1"]),
        ({"difficulty": "2"}, ["FT-1", "SC-1", "FN-1"]),
        ({"q": "欧姆"}, ["SC-1"]),
        ({"q": "mc-1"}, ["MC-1"]),  # the item ID too, any case
        ({"q": "%"}, []),  # a LIKE wildcard is searched for literally
        ({"status": "retired"}, []),
        ({"status": "active", "type": "true_false"}, ["TF-1"]),
    ],
)
def test_list_items_filters(
    db: Session, admin: banks.Staff, bank: QuestionBank, query: dict[str, str], expected: list[str]
) -> None:
    page = banks.list_items(
        db, actor=admin, bank_id=bank.id or 0, filters=banks.parse_item_filter(**query)
    )
    assert ext_ids(page) == expected
    assert page.total == len(expected)


def test_list_items_pages(db: Session, admin: banks.Staff, bank: QuestionBank) -> None:
    filters = banks.parse_item_filter()
    first = banks.list_items(db, actor=admin, bank_id=bank.id or 0, filters=filters, per_page=2)
    third = banks.list_items(
        db, actor=admin, bank_id=bank.id or 0, filters=filters, page=3, per_page=2
    )
    assert (first.total, first.pages, ext_ids(first)) == (5, 3, ["FT-1", "SC-1"])
    assert ext_ids(third) == ["TF-1"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"type": "essay"}, "type"), ({"difficulty": "9"}, "difficulty"), ({"status": "x"}, "status")],
)
def test_bad_filters_are_refused(query: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        banks.parse_item_filter(**query)
    assert caught.value.details[0]["field"] == field


def test_list_banks_and_overview_count_active_items(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    tf = item_by_ext(db, bank.id or 0, "TF-1")
    banks.set_item_status(
        db, actor=admin, bank_id=bank.id or 0, item_id=tf.id or 0, status=ItemStatus.RETIRED
    )
    (summary,) = banks.list_banks(db, actor=admin)
    assert summary.counts == {
        "single_choice": 1,
        "multiple_choice": 1,
        "true_false": 0,
        "fill_in": 2,
        "ordering": 0,
        "matching": 0,
        "short_answer": 0,
        "extended": 0,
    }
    assert (summary.active, summary.retired, summary.occupation.code) == (4, 1, "6-31-01-03")
    overview = banks.bank_overview(db, actor=admin, bank_id=bank.id or 0)
    a, b = overview.outline
    assert (a.area.code, a.area.weight, a.counts["single_choice"], a.counts["fill_in"]) == (
        "A",
        40,
        1,
        1,
    )
    assert a.point_counts == {"001": 2, "002": 1} and a.total == 3
    assert (b.counts["true_false"], b.counts["fill_in"], b.total) == (0, 1, 1)
    assert overview.type_totals["fill_in"] == 2 and (overview.active, overview.retired) == (4, 1)


def test_get_item_lists_versions_newest_first(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    sc = item_by_ext(db, bank.id or 0, "SC-1")
    detail = banks.get_item(db, actor=admin, bank_id=bank.id or 0, item_id=sc.id or 0)
    src = banks.item_source(detail.current, external_id="SC-1")
    banks.edit_item(
        db, actor=admin, bank_id=bank.id or 0, item_id=sc.id or 0, data={**src, "difficulty": 4}
    )
    detail = banks.get_item(db, actor=admin, bank_id=bank.id or 0, item_id=sc.id or 0)
    assert [v.version for v in detail.versions] == [2, 1]
    assert detail.current.version == 2 and detail.version(1).difficulty == 2
    with pytest.raises(NotFound):
        detail.version(7)


# --- editing and retiring ------------------------------------------------------------


def source(db: Session, admin: banks.Staff, bank: QuestionBank, ext: str) -> tuple[int, dict]:
    item = item_by_ext(db, bank.id or 0, ext)
    detail = banks.get_item(db, actor=admin, bank_id=bank.id or 0, item_id=item.id or 0)
    return item.id or 0, banks.item_source(detail.current, external_id=ext)


def test_edit_creates_a_new_version_and_keeps_the_old_one(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    item_id, src = source(db, admin, bank, "FN-1")
    old = db.exec(select(ItemVersion).where(ItemVersion.item_id == item_id)).one().model_dump()
    src["key"] = {"numeric": {"value": 50, "tolerance": 0.5}, "unit": "Hz"}
    detail = banks.edit_item(db, actor=admin, bank_id=bank.id or 0, item_id=item_id, data=src)
    assert detail.item.current_version == 2
    assert detail.current.key == {"numeric": {"value": 50.0, "tolerance": 0.5}, "unit": "Hz"}
    db.expire_all()
    v1 = db.exec(
        select(ItemVersion).where(ItemVersion.item_id == item_id, ItemVersion.version == 1)
    ).one()
    assert v1.model_dump() == old
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "bank.item_edit")).one()
    assert (entry.actor_id, entry.object_id, entry.detail["to_version"]) == (admin.id, item_id, 2)


def test_saving_unchanged_content_adds_no_version(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    item_id, src = source(db, admin, bank, "MC-1")
    detail = banks.edit_item(db, actor=admin, bank_id=bank.id or 0, item_id=item_id, data=src)
    assert detail.item.current_version == 1
    assert db.exec(select(func.count()).select_from(ItemVersion)).one() == ITEM_COUNT


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"key": ["A"]}, "key", "至少有两个"),
        ({"options": {"A": "一", "B": "二"}}, "options", "3 至 8 个选项"),
        ({"area": "C"}, "area", "不在鉴定要素细目表"),
        ({"points": 0.3}, "points", "0.5"),
        ({"levels": ["senior"]}, "levels", "不在题库适用的等级"),
        ({"id": "MC-2"}, "id", "不能修改"),
    ],
)
def test_an_invalid_edit_is_refused_with_the_file_rules(
    db: Session,
    admin: banks.Staff,
    bank: QuestionBank,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    item_id, src = source(db, admin, bank, "MC-1")
    before = snapshot(db)
    with pytest.raises(ValidationFailed) as caught:
        banks.edit_item(
            db, actor=admin, bank_id=bank.id or 0, item_id=item_id, data={**src, **change}
        )
    (detail,) = caught.value.details
    assert detail["place"] == f"题目 MC-1 字段 {field}"
    assert words in detail["problem"]
    assert snapshot(db) == before


def test_retire_and_reactivate_are_audited(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    item_id, _ = source(db, admin, bank, "TF-1")
    detail = banks.set_item_status(
        db,
        actor=admin,
        bank_id=bank.id or 0,
        item_id=item_id,
        status=ItemStatus.RETIRED,
        reason="题目有歧义",
    )
    assert detail.item.status == ItemStatus.RETIRED
    with pytest.raises(Conflict):
        banks.set_item_status(
            db, actor=admin, bank_id=bank.id or 0, item_id=item_id, status=ItemStatus.RETIRED
        )
    banks.set_item_status(
        db, actor=admin, bank_id=bank.id or 0, item_id=item_id, status=ItemStatus.ACTIVE
    )
    entries = db.exec(
        select(AuditEntry).where(AuditEntry.object_id == item_id).order_by(col(AuditEntry.id))
    ).all()
    assert [(e.action, e.reason, e.actor_id) for e in entries] == [
        ("bank.item_retire", "题目有歧义", admin.id),
        ("bank.item_reactivate", "", admin.id),
    ]


# --- scoping -------------------------------------------------------------------------


def test_another_centres_bank_and_items_do_not_exist_for_you(
    db: Session, admin: banks.Staff, bank: QuestionBank
) -> None:
    stranger = staff_actor(make_staff(db, Role.CENTRE_ADMIN, make_centre(db)))
    item_id, src = source(db, admin, bank, "SC-1")
    bank_id = bank.id or 0
    assert banks.list_banks(db, actor=stranger) == []
    for call in (
        lambda: banks.get_bank(db, actor=stranger, bank_id=bank_id),
        lambda: banks.bank_overview(db, actor=stranger, bank_id=bank_id),
        lambda: banks.list_items(
            db, actor=stranger, bank_id=bank_id, filters=banks.parse_item_filter()
        ),
        lambda: banks.get_item(db, actor=stranger, bank_id=bank_id, item_id=item_id),
        lambda: banks.edit_item(db, actor=stranger, bank_id=bank_id, item_id=item_id, data=src),
        lambda: banks.set_item_status(
            db, actor=stranger, bank_id=bank_id, item_id=item_id, status=ItemStatus.RETIRED
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_an_item_is_found_only_through_its_own_bank(
    db: Session, centre: EvaluationCentre, admin: banks.Staff, bank: QuestionBank
) -> None:
    other_bank = do_import(db, centre, edit(BANK, "code: T-1", "code: T-2")).bank
    item_id, _ = source(db, admin, bank, "SC-1")
    with pytest.raises(NotFound):
        banks.get_item(db, actor=admin, bank_id=other_bank.id or 0, item_id=item_id)


@pytest.mark.parametrize("role", [Role.PROCTOR, Role.EXAMINER])
def test_proctors_and_examiners_do_not_manage_banks(
    db: Session, centre: EvaluationCentre, bank: QuestionBank, role: Role
) -> None:
    actor = staff_actor(make_staff(db, role, centre))
    with pytest.raises(PermissionDenied):
        banks.list_banks(db, actor=actor)
    with pytest.raises(PermissionDenied):
        banks.get_bank(db, actor=actor, bank_id=bank.id or 0)


def test_excel_export_imports_into_an_empty_centre_with_the_same_items_and_versions(
    db: Session, admin: banks.Staff, centre: EvaluationCentre
) -> None:
    text = BANK + "enemies:\n  - [SC-1, FT-1]\n"
    bank = do_import(db, centre, text).bank
    filename, content = banks.export_bank_workbook(
        db, actor=admin, bank_id=bank.id or 0, filters=banks.ItemFilter()
    )
    assert filename == "T-1.xlsx"
    other = make_centre(db)
    result = banks.import_bank_file(
        db, centre_id=other.id or 0, filename=filename, content=content, actor=None
    )
    assert (result.created, result.bank.enemy_groups) == (ITEM_COUNT, bank.enemy_groups)

    def items_of(bank_id: int) -> list[tuple[str, int, str]]:
        rows = db.exec(
            select(Item.external_id, Item.current_version, ItemVersion.content_digest)
            .join(ItemVersion, col(ItemVersion.item_id) == Item.id)
            .where(Item.bank_id == bank_id)
            .order_by(col(Item.external_id))
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    assert items_of(result.bank.id or 0) == items_of(bank.id or 0)
    # Importing the export back into its own centre changes nothing.
    again = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename=filename, content=content, actor=None
    )
    assert (again.created, again.new_versions, again.unchanged) == (0, 0, ITEM_COUNT)


def test_an_excel_import_leaves_the_banks_practical_tasks_alone(
    db: Session, admin: banks.Staff, centre: EvaluationCentre
) -> None:
    from pathlib import Path

    from app.banks.models import PracticalTask

    path = Path(__file__).resolve().parents[2] / "question_banks" / "electrician_intermediate.yaml"
    bank = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename=path.name, content=path.read_bytes(), actor=None
    ).bank
    before = db.exec(
        select(func.count()).select_from(PracticalTask).where(PracticalTask.status == "active")
    ).one()
    assert before == 4
    filename, content = banks.export_bank_workbook(
        db, actor=admin, bank_id=bank.id or 0, filters=banks.ItemFilter()
    )
    result = banks.import_bank_file(
        db, centre_id=centre.id or 0, filename=filename, content=content, actor=None
    )
    assert result.unchanged == 288 and result.retired == 0
    after = db.exec(
        select(func.count()).select_from(PracticalTask).where(PracticalTask.status == "active")
    ).one()
    assert after == before
