"""Routes: api/proctoring."""

from fastapi import APIRouter

router = APIRouter()
