"""Routes: web/results."""

from fastapi import APIRouter

router = APIRouter()
