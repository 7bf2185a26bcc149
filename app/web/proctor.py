"""Routes: web/proctor."""

from fastapi import APIRouter

router = APIRouter()
