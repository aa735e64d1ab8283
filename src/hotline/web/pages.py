"""All web pages as one router (app.py: `from hotline.web import pages; pages.router`), and the
page-level error handling that app.py installs with `pages.install(app)`."""

from __future__ import annotations

from fastapi import APIRouter

from hotline.web import admin, auth, hall, public, supervision, tickets, unit
from hotline.web.errors import install

router = APIRouter(include_in_schema=False)
for _module in (auth, hall, unit, supervision, tickets, public, admin):
    router.include_router(_module.router)

__all__ = ["install", "router"]
