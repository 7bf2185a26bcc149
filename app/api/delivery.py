"""Routes: api/delivery."""

from fastapi import APIRouter

router = APIRouter()
