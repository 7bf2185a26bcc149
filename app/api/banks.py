"""Routes: api/banks."""

from fastapi import APIRouter

router = APIRouter()
