"""The application as the benchmarks serve it: `app.main:app` plus one trivial endpoint,
first in the route table, that every benchmark measures beside the operation it reports
(see scripts/benchlib.py). Never served in production."""

from app.main import app

_before = len(app.router.routes)


@app.get("/bench/trivial", include_in_schema=False)
async def trivial() -> dict[str, bool]:
    return {"ok": True}


# First, so that route matching costs it nothing: the framework's ceiling.
app.router.routes.insert(0, app.router.routes.pop(_before))
