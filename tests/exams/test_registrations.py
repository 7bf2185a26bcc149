"""exams.registrations: seats, tickets, Excel rosters."""

import re
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from app.core import clock
from app.core.errors import Conflict, PermissionDenied, ValidationFailed
from app.exams import registrations
from app.exams.facts import HolderFacts
from app.exams.models import Candidate, Registration, SessionStatus
from app.exams.schemas import (
    RegistrationCreate,
)
from tests.factories import (
    ExamFixture,
    make_registration,
    make_session,
    staff_actor,
    valid_resident_id,
)

# --- registrations and tickets ----------------------------------------------------------------

TICKET = re.compile(r"^(\d{2})(\d{4})(\d{4})(\d{3})$")


def test_ticket_numbers_are_well_formed_and_unique(db: Session, fx: ExamFixture) -> None:
    second = make_session(db, fx.plan, admin=fx.admin, proctors=fx.proctors)
    more = [make_registration(db, second, admin=fx.admin) for _ in range(2)]
    numbers = [r.ticket_number for r in fx.registrations + more]
    assert len(set(numbers)) == 5
    starts = clock.to_china(fx.session.starts_at)
    assert starts is not None
    year = starts.year % 100
    for reg in fx.registrations + more:
        m = TICKET.match(reg.ticket_number)
        assert m, reg.ticket_number
        assert [int(g) for g in m.groups()] == [year, fx.centre.id, reg.session_id, reg.seat_number]
    assert [r.seat_number for r in fx.registrations] == [1, 2, 3]
    assert (
        registrations.ticket_number(year=2026, centre_id=1, session_id=3, seat=12)
        == "2600010003012"
    )


def test_registering_twice_in_a_session_is_refused(db: Session, fx: ExamFixture) -> None:
    seat = fx.seats[0]
    with pytest.raises(Conflict) as caught:
        registrations.register_candidate(
            db,
            actor=staff_actor(fx.admin),
            session_id=fx.session.id or 0,
            data=RegistrationCreate(name=seat.candidate.name, id_number=seat.id_number),
        )
    assert seat.ticket_number in caught.value.message


def test_register_by_name_and_id_creates_the_candidate(db: Session, fx: ExamFixture) -> None:
    reg = registrations.register_candidate(
        db,
        actor=staff_actor(fx.admin),
        session_id=fx.session.id or 0,
        data=RegistrationCreate(
            name="孙丽",
            id_number=valid_resident_id(503),
            employer="淮南供电",
            facts=HolderFacts(years_in_occupation=6),
        ),
    )
    cand = db.get(Candidate, reg.candidate_id)
    assert cand is not None and cand.employer == "淮南供电"
    assert reg.seat_number == 4


def test_closed_session_takes_no_registrations(db: Session, fx: ExamFixture) -> None:
    fx.session.status = SessionStatus.CLOSED
    db.add(fx.session)
    db.flush()
    with pytest.raises(Conflict):
        make_registration(db, fx.session, admin=fx.admin)


def roster(rows: list[list[Any]], *, years: float | None = 6) -> bytes:
    """A roster with a 从业年限 column: `years` (enough for the fixture's 四级) on rows of
    four cells; a fifth cell is the row's own (None for a known candidate's record)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "联系电话", "工作单位", "从业年限"])
    for row in rows:
        ws.append(row if len(row) > 4 else [*row, years])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def registrations_in(db: Session, session_id: int | None) -> int:
    return db.exec(
        select(func.count()).select_from(Registration).where(Registration.session_id == session_id)
    ).one()


def test_excel_import_registers_everyone_and_reuses_known_candidates(
    db: Session, fx: ExamFixture
) -> None:
    other = make_session(db, fx.plan, admin=fx.admin, proctors=fx.proctors)
    known = fx.seats[0].candidate
    content = roster(
        [
            ["周一", valid_resident_id(601), "13900000001", "淮南供电"],
            [known.name, known.id_number, None, None, None],
            ["吴二", valid_resident_id(602), None, None],
        ]
    )
    result = registrations.import_roster(
        db, actor=staff_actor(fx.admin), session_id=other.id or 0, content=content
    )
    assert (len(result.registrations), result.new_candidates) == (3, 2)
    assert [r.seat_number for r in result.registrations] == [1, 2, 3]
    assert result.registrations[1].candidate_id == known.id
    assert result.summary == "已导入 3 名考生（新建考生 2 名，沿用已有考生 1 名）"


def test_uploading_the_list_again_skips_who_is_registered_and_adds_the_rest(
    db: Session, fx: ExamFixture
) -> None:
    sid = fx.session.id or 0
    first, second = fx.seats[0], fx.seats[1]
    content = roster(
        [
            [first.candidate.name, first.id_number, None, None, None],  # row 2
            ["周五", valid_resident_id(611), None, None],  # row 3
            [second.candidate.name, second.id_number, None, None, None],  # row 4
        ]
    )
    result = registrations.import_roster(
        db, actor=staff_actor(fx.admin), session_id=sid, content=content
    )
    db.commit()
    assert [r.seat_number for r in result.registrations] == [4]
    assert [(k.row, k.ticket_number) for k in result.skipped] == [
        (2, first.ticket_number),
        (4, second.ticket_number),
    ]
    assert result.summary == (
        "已导入 1 名考生（新建考生 1 名，沿用已有考生 0 名）；跳过已在本考场报名或已撤销的 2 名（第 2、4 行）"
    )
    assert registrations_in(db, fx.session.id) == 4
    again = registrations.import_roster(
        db, actor=staff_actor(fx.admin), session_id=sid, content=content
    )
    db.commit()
    assert again.registrations == [] and len(again.skipped) == 3
    assert again.summary.startswith("没有需要导入的新考生；跳过已在本考场报名或已撤销的 3 名")
    assert registrations_in(db, fx.session.id) == 4


def test_excel_with_three_bad_rows_reports_all_and_registers_nobody(
    db: Session, fx: ExamFixture
) -> None:
    good = valid_resident_id(701)
    content = roster(
        [
            ["郑三", good, None, None],  # row 2: fine
            ["", valid_resident_id(702), None, None],  # row 3: no name
            [
                "冯四",
                good[:17] + ("1" if good[17] != "1" else "2"),
                None,
                None,
            ],  # row 4: check digit
            [fx.seats[1].candidate.name + "X", fx.seats[1].id_number, None, None, None],  # row 5
        ]
    )
    candidates_before = db.exec(select(func.count()).select_from(Candidate)).one()
    with pytest.raises(ValidationFailed) as caught:
        registrations.import_roster(
            db, actor=staff_actor(fx.admin), session_id=fx.session.id or 0, content=content
        )
    assert [(d["row"], d["column"]) for d in caught.value.details] == [
        (3, "姓名"),
        (4, "身份证号"),
        (5, "姓名"),  # registered, under another name: not skipped, a typo to fix
    ]
    assert "3 处问题" in caught.value.message
    assert registrations_in(db, fx.session.id) == 3
    assert db.exec(select(func.count()).select_from(Candidate)).one() == candidates_before


def test_tickets_show_what_the_candidate_needs(db: Session, fx: ExamFixture) -> None:
    tickets = registrations.admission_tickets(
        db, actor=staff_actor(fx.admin), session_id=fx.session.id or 0
    )
    assert [t.ticket_number for t in tickets] == [s.ticket_number for s in fx.seats]
    t = tickets[0]
    assert (t.name, t.id_number, t.level_display, t.occupation) == (
        fx.seats[0].candidate.name,
        fx.seats[0].id_number,
        "四级/中级工",
        "电工",
    )
    assert (t.room, t.seat_number, t.duration_minutes) == (fx.session.room, 1, 90)
    one = registrations.admission_ticket(
        db, actor=staff_actor(fx.admin), registration_id=fx.registrations[2].id or 0
    )
    assert one.seat_number == 3
    with pytest.raises(PermissionDenied):
        registrations.admission_tickets(
            db, actor=staff_actor(fx.examiner), session_id=fx.session.id or 0
        )
