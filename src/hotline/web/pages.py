"""Web pages (placeholder router; filled in by the pages modules)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
