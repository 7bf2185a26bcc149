"""Routes: web/exams."""

from fastapi import APIRouter

router = APIRouter()
