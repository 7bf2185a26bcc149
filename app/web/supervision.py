"""Pages: the regulator's dashboards and centre audit (app/supervision). Each chart has
its table beside it and an Excel export of the same numbers."""

import io

from fastapi import APIRouter, Request
from openpyxl import Workbook
from starlette.responses import Response

from app.core.db import SessionDep
from app.core.downloads import attachment
from app.core.xlsx import append_row
from app.supervision import service
from app.supervision.figures import FAR_FROM_REGION, Chart
from app.web.admin import Regulator
from app.web.templating import render

router = APIRouter()

SUBSIDY_GROUPINGS = {"state": "已承诺与已发放", "policy": "按政策", "level": "按等级"}


def _charts(db: SessionDep, staff: Regulator, by: str, subsidy_by: str) -> dict[str, Chart]:
    return {
        "pass_rates": service.pass_rate_chart(db, actor=staff, by=by),
        "subsidies": service.subsidy_chart(db, actor=staff, by=subsidy_by),
        "certificates": service.certificate_chart(db, actor=staff),
    }


def _chart_json(chart: Chart, kind: str) -> dict[str, object]:
    return {
        "title": chart.title,
        "unit": chart.unit,
        "kind": kind,
        "months": chart.months,
        "series": [{"name": s.name, "values": s.values} for s in chart.series],
    }


@router.get("/regulator/dashboard")
def dashboard(
    request: Request,
    db: SessionDep,
    staff: Regulator,
    by: str = "centre",
    subsidy_by: str = "state",
) -> Response:
    charts = _charts(db, staff, by, subsidy_by)
    kinds = {"pass_rates": "line", "subsidies": "bar", "certificates": "bar"}
    return render(
        request,
        "supervision/dashboard.html",
        {
            "charts": charts,
            "chart_data": {k: _chart_json(c, kinds[k]) for k, c in charts.items()},
            "by": by if by in service.GROUPINGS else "centre",
            "subsidy_by": subsidy_by if subsidy_by in SUBSIDY_GROUPINGS else "state",
            "groupings": service.GROUPINGS,
            "subsidy_groupings": SUBSIDY_GROUPINGS,
        },
    )


@router.get("/regulator/dashboard/export.xlsx")
def dashboard_export(
    db: SessionDep,
    staff: Regulator,
    figure: str = "pass_rates",
    by: str = "centre",
    subsidy_by: str = "state",
) -> Response:
    charts = _charts(db, staff, by, subsidy_by)
    chart = charts.get(figure, charts["pass_rates"])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    append_row(ws, [f"{chart.title}（{chart.unit}）"])
    for row in chart.table():
        append_row(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return attachment(f"{chart.title}.xlsx", buf.getvalue(), ascii_name=f"{figure}.xlsx")


@router.get("/regulator/audit")
def region_audit(request: Request, db: SessionDep, staff: Regulator) -> Response:
    return render(
        request,
        "supervision/audit.html",
        {"a": service.region_audit(db, actor=staff), "far": FAR_FROM_REGION},
    )


@router.get("/regulator/centres/{centre_id}")
def centre_page(request: Request, centre_id: int, db: SessionDep, staff: Regulator) -> Response:
    return render(
        request,
        "supervision/centre.html",
        {"d": service.centre_detail(db, actor=staff, centre_id=centre_id), "far": FAR_FROM_REGION},
    )
