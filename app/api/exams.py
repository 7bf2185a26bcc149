"""Routes: api/exams."""

from fastapi import APIRouter

router = APIRouter()
