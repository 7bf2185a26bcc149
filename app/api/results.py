"""Routes: api/results."""

from fastapi import APIRouter

router = APIRouter()
