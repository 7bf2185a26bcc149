"""exams.sessions: rooms, times, proctors, staffing."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.accounts.models import Role
from app.core import clock
from app.core.errors import PermissionDenied, ValidationFailed
from app.exams import sessions
from app.exams.models import ExamSession
from tests.exams.support import problems_of, session_in
from tests.factories import (
    ExamFixture,
    make_centre,
    make_registration,
    make_session,
    make_staff,
    staff_actor,
)


def test_session_start_is_typed_in_china_time_and_duration_defaults(
    db: Session, fx: ExamFixture
) -> None:
    s = sessions.create_session(db, actor=staff_actor(fx.admin), data=session_in(fx))
    assert s.starts_at == datetime(2026, 6, 1, 1, 0)  # 09:00 Beijing = 01:00 UTC
    assert s.duration_minutes == fx.blueprint.time_limit_minutes == 90


def test_session_rules(db: Session, fx: ExamFixture) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sessions.create_session(
            db,
            actor=staff_actor(fx.admin),
            data=session_in(fx, name="", room=" ", duration_minutes=60),
        )
    got = problems_of(caught)
    assert set(got) == {"name", "room", "duration_minutes"}
    assert "组卷方案规定 90 分钟" in got["duration_minutes"]


def test_session_proctors_must_be_proctors_of_the_centre(db: Session, fx: ExamFixture) -> None:
    outsider = make_staff(db, Role.PROCTOR, make_centre(db))
    for wrong in (outsider, fx.examiner):
        with pytest.raises(ValidationFailed) as caught:
            sessions.create_session(
                db, actor=staff_actor(fx.admin), data=session_in(fx, proctor_ids=[wrong.id])
            )
        assert "不是本机构在职的监考员或管理员" in problems_of(caught)["proctor_ids"]
    # A centre admin may proctor.
    s = sessions.create_session(
        db, actor=staff_actor(fx.admin), data=session_in(fx, proctor_ids=[fx.admin.id])
    )
    assert s.id


@pytest.mark.parametrize(
    ("proctors", "candidates", "expected"),
    [
        (2, 30, []),
        (1, 10, ["每个考场至少需要 2 名监考员，目前只有 1 名"]),
        (0, 0, ["每个考场至少需要 2 名监考员，目前只有 0 名"]),
        (2, 31, ["按每 15 名考生至少 1 名监考员，31 名考生需要 3 名监考员，目前只有 2 名"]),
        (3, 45, []),
        (
            1,
            40,
            [
                "每个考场至少需要 2 名监考员，目前只有 1 名",
                "按每 15 名考生至少 1 名监考员，40 名考生需要 3 名监考员，目前只有 1 名",
            ],
        ),
    ],
)
def test_staffing_rule(proctors: int, candidates: int, expected: list[str]) -> None:
    assert sessions.staffing_problems(proctors=proctors, candidates=candidates) == expected


def test_session_with_one_proctor_warns_but_registers(db: Session, fx: ExamFixture) -> None:
    thin = make_session(db, fx.plan, admin=fx.admin, proctors=[fx.proctor])
    make_registration(db, thin, admin=fx.admin)
    detail = sessions.session_detail(db, actor=staff_actor(fx.admin), session_id=thin.id or 0)
    assert detail.summary.staffing_problems == ["每个考场至少需要 2 名监考员，目前只有 1 名"]
    assert len(detail.registrations) == 1
    sessions.assign_proctors(
        db,
        actor=staff_actor(fx.admin),
        session_id=thin.id or 0,
        proctor_ids=[p.id or 0 for p in fx.proctors],
    )
    detail = sessions.session_detail(db, actor=staff_actor(fx.admin), session_id=thin.id or 0)
    assert detail.summary.staffing_problems == []


def test_proctors_list_only_their_sessions_admins_all(db: Session, fx: ExamFixture) -> None:
    other = make_staff(db, Role.PROCTOR, fx.centre)
    second = make_session(db, fx.plan, admin=fx.admin, proctors=[other])
    mine = sessions.list_sessions(db, actor=staff_actor(fx.proctor))
    assert [s.session.id for s in mine] == [fx.session.id]
    everyone = sessions.list_sessions(db, actor=staff_actor(fx.admin))
    assert {s.session.id for s in everyone} == {fx.session.id, second.id}
    # A proctor reads only the sessions assigned to them (issue 10 §3); examiners read the
    # centre's sessions for its results.
    with pytest.raises(PermissionDenied):
        sessions.get_session(db, actor=staff_actor(fx.proctor), session_id=second.id or 0)
    assert sessions.get_session(db, actor=staff_actor(fx.examiner), session_id=second.id or 0)


def test_session_starting_later_keeps_its_time(db: Session, fx: ExamFixture) -> None:
    later = clock.utcnow() + timedelta(days=3)
    s = make_session(db, fx.plan, admin=fx.admin, starts_at=later)
    stored = db.get(ExamSession, s.id)
    assert stored is not None and abs(stored.starts_at - later) < timedelta(seconds=1)
