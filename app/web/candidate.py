"""Routes: web/candidate."""

from fastapi import APIRouter

router = APIRouter()
