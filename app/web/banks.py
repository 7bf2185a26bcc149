"""Routes: web/banks."""

from fastapi import APIRouter

router = APIRouter()
