"""Forms (试卷): the paper a registration sits, drawn from its plan's blueprint."""

import logging
from dataclasses import asdict

from sqlmodel import Session

from app.banks.models import QuestionBank
from app.exams import assembly
from app.exams.assembly import DrawnItem
from app.exams.blueprints import blueprint_spec, drawable_pool
from app.exams.models import Blueprint, ExamPlan, ExamSession, FormMode, Registration

log = logging.getLogger(__name__)


def form_for_registration(db: Session, *, registration: Registration) -> list[DrawnItem]:
    """The candidate's paper. Deterministic: FIXED plans give everyone the form of
    plan.form_seed in bank order; SHUFFLED plans (千人千卷) draw and order each candidate's
    paper from a seed derived from plan.form_seed and the registration id."""
    session = db.get(ExamSession, registration.session_id)
    assert session is not None and registration.id is not None
    plan = db.get(ExamPlan, session.plan_id)
    assert plan is not None
    bp = db.get(Blueprint, plan.blueprint_id)
    assert bp is not None
    bank = db.get(QuestionBank, bp.bank_id)
    assert bank is not None
    if plan.form_mode == FormMode.FIXED and plan.fixed_form:
        # One form for all: drawn once, at the first start, and kept on the plan so that
        # a bank edit during the exam window cannot give later candidates another paper.
        return [assembly.DrawnItem(**d) for d in plan.fixed_form]
    spec = blueprint_spec(bp, bank)
    pool = drawable_pool(db, bank, bp.level_code)
    if plan.form_mode == FormMode.FIXED:
        form = assembly.draw_form(spec, pool, plan.form_seed, shuffle=False)
        plan.fixed_form = [asdict(d) for d in form]
        db.add(plan)
        db.flush()
        return form
    seed = assembly.candidate_seed(plan.form_seed, registration.id)
    return assembly.draw_form(spec, pool, seed, shuffle=True)
