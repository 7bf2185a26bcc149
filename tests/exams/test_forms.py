"""exams.forms: the paper each registration sits."""

import pytest
from sqlmodel import Session

from app.exams import forms
from app.exams.assembly import BlueprintShortfall
from app.exams.models import FormMode
from tests.factories import (
    ExamFixture,
    make_exam,
    staff_actor,
)


def test_shuffled_forms_are_per_candidate_and_reproducible(db: Session, fx: ExamFixture) -> None:
    first, second = (forms.form_for_registration(db, registration=r) for r in fx.registrations[:2])
    assert forms.form_for_registration(db, registration=fx.registrations[0]) == first
    assert [d.item_version_id for d in first] != [d.item_version_id for d in second]
    assert len(first) == 20 and sum(d.points for d in first) == 100


def test_fixed_form_is_the_same_for_everyone(db: Session) -> None:
    fixed = make_exam(db, form_mode=FormMode.FIXED)
    papers = [forms.form_for_registration(db, registration=r) for r in fixed.registrations]
    assert papers[0] == papers[1] == papers[2]
    assert {tuple(d.option_order) for d in papers[0] if d.section == 0} == {("A", "B", "C", "D")}


def test_fixed_form_is_kept_when_the_bank_changes_during_the_exam_window(db: Session) -> None:
    from app.banks import service as banks_service
    from app.banks.models import Item, ItemStatus, ItemVersion

    fixed = make_exam(db, form_mode=FormMode.FIXED)
    first = forms.form_for_registration(db, registration=fixed.registrations[0])
    # Retire every item on the paper: a fresh draw could no longer pick any of them.
    for drawn in first:
        version = db.get(ItemVersion, drawn.item_version_id)
        assert version is not None
        item = db.get(Item, version.item_id)
        assert item is not None and item.id is not None
        banks_service.set_item_status(
            db,
            actor=staff_actor(fixed.admin),
            bank_id=fixed.bank.id,
            item_id=item.id,
            status=ItemStatus.RETIRED,
        )
    later = forms.form_for_registration(db, registration=fixed.registrations[1])
    assert later == first


def test_a_change_to_the_bank_reaches_the_next_draw_although_pools_are_cached(
    db: Session,
) -> None:
    """Pools are cached per bank version (exams.blueprints): an edit, a retirement or a
    re-import made after the first candidate started must reach the next one's paper."""
    from app.banks import service as banks_service
    from app.banks.models import Item, ItemStatus, ItemVersion
    from tests.factories import bank_yaml

    exam = make_exam(db, candidates=4)
    admin = staff_actor(exam.admin)
    bank_id = exam.bank.id or 0
    first = forms.form_for_registration(db, registration=exam.registrations[0])
    on_paper = [db.get_one(ItemVersion, d.item_version_id) for d in first]

    # Retire three single-choice items of area A: 5 of 8 are left, exactly the 5 needed.
    retired = [v for v in on_paper if v.item_type == "single_choice" and v.area_code == "A"][:3]
    for version in retired:
        banks_service.set_item_status(
            db, actor=admin, bank_id=bank_id, item_id=version.item_id, status=ItemStatus.RETIRED
        )
    second = forms.form_for_registration(db, registration=exam.registrations[1])
    assert not {v.id for v in retired} & {d.item_version_id for d in second}

    # Edit a true/false item: the next paper has its new version, never the old one.
    edited = next(v for v in on_paper if v.item_type == "true_false")
    item = db.get_one(Item, edited.item_id)
    source = banks_service.item_source(edited, external_id=item.external_id)
    banks_service.edit_item(
        db,
        actor=admin,
        bank_id=bank_id,
        item_id=item.id or 0,
        data={**source, "stem": "改过的题干"},
    )
    third = forms.form_for_registration(db, registration=exam.registrations[2])
    assert edited.id not in {d.item_version_id for d in third}

    # Re-import the file without area B's true/false items: none of them is drawn again,
    # so the blueprint is now short of them.
    text = bank_yaml(code=exam.bank.code)
    kept = "\n  - id: ".join(
        block for block in text.split("\n  - id: ") if not block.startswith("B-T-")
    )
    banks_service.import_bank_file(
        db, centre_id=exam.centre.id or 0, filename="edited.yaml", content=kept.encode(), actor=None
    )
    with pytest.raises(BlueprintShortfall):
        forms.form_for_registration(db, registration=exam.registrations[3])
