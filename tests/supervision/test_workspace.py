"""The regulator's dashboards and centre audit: the figures a regulator reads, their
tables and exports, and that another region's regulator sees none of them."""

import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.accounts.models import Role
from app.proctoring.models import Incident
from app.results.rules import Outcome
from app.supervision import figures
from app.supervision import service as supervision
from tests.certificates.support import certified, results_of
from tests.factories import make_staff, staff_actor
from tests.helpers import page_login
from tests.subsidies.test_service import TRAINED, issue


def test_pass_rates_per_group_and_month():
    chart = figures.pass_rates(
        [
            ("甲", "2026-11", True),
            ("甲", "2026-11", False),
            ("甲", "2026-12", True),
            ("乙", "2026-12", False),
        ],
        "合格率",
    )
    assert chart.months == ["2026-11", "2026-12"]
    assert [(s.name, s.values, s.counts) for s in chart.series] == [
        ("乙", [None, 0.0], [0, 1]),
        ("甲", [50.0, 100.0], [2, 1]),
    ]
    assert chart.table()[0] == ["", "2026-11", "2026-12"]
    assert figures.far_from(60.0, 80.0) and not figures.far_from(70.0, 80.0)
    assert figures.month_of(date(2026, 3, 9)) == "2026-03"


def test_the_dashboard_and_the_audit_show_the_regions_figures(client: TestClient, db: Session):
    fx, _certs = issue(db, TRAINED, candidates=2)
    seat = fx.exam.seats[0]
    db.add(
        Incident(
            centre_id=fx.exam.centre.id or 0,
            session_id=fx.exam.session.id or 0,
            registration_id=seat.registration.id or 0,
            reason_code="suspected_cheating",
            note="携带手机",
            recorded_by=fx.exam.proctor.id or 0,
        )
    )
    reg = make_staff(db, Role.REGULATOR, region_code="340400")
    other = make_staff(db, Role.REGULATOR, region_code="320000")
    db.commit()
    page_login(client, reg.username)
    page = client.get("/regulator/dashboard")
    assert page.status_code == 200
    assert "合格率" in page.text and fx.exam.centre.name in page.text and "100.0%" in page.text
    assert 'data-chart="chart-certificates"' in page.text and "echarts-6.1.0" in page.text
    xlsx = client.get("/regulator/dashboard/export.xlsx", params={"figure": "subsidies"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[2][0] == "已承诺（待发放）" and rows[2][1] == 2 * 1500
    audit = client.get("/regulator/audit")
    assert fx.exam.centre.name in audit.text
    centre = client.get(f"/regulator/centres/{fx.exam.centre.id}")
    assert "携带手机" in centre.text and "疑似作弊" in centre.text
    client.cookies.clear()
    page_login(client, other.username)
    assert fx.exam.centre.name not in client.get("/regulator/dashboard").text
    assert client.get(f"/regulator/centres/{fx.exam.centre.id}").status_code == 404


def test_a_centres_page_shows_its_figures_as_the_region_audit_does(db: Session):
    passing = certified(db, candidates=2)
    failing = certified(db, candidates=3)
    for result in results_of(db, failing):
        result.outcome = Outcome.FAILED
        db.add(result)
    db.flush()
    reg = staff_actor(make_staff(db, Role.REGULATOR, region_code="340400"))
    audit = supervision.region_audit(db, actor=reg)
    assert audit.region_pass_rate == 40.0
    for fx in (passing, failing):
        detail = supervision.centre_detail(db, actor=reg, centre_id=fx.exam.centre.id or 0)
        assert detail.region_pass_rate == audit.region_pass_rate
        assert [detail.figures] == [r for r in audit.rows if r.centre.id == fx.exam.centre.id]
        assert detail.figures.far_from_region
