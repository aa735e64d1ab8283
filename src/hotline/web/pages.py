"""All web pages as one router (app.py: `from hotline.web import pages; pages.router`), and the
page-level error handling that app.py installs with `pages.install(app)`."""

from __future__ import annotations

from importlib import import_module

from fastapi import APIRouter

from hotline.web.errors import install

# One page module per line (each has a `router`), in the order their routes are matched.
PAGE_MODULES = (
    "auth",
    "hall",
    "calls",
    "sms",
    "wechat",
    "unit",
    "supervision",
    "ratings",
    "revisit",
    "linkage",
    "tickets",
    "public",
    "admin",
    "access_review",
    "machines",
    "kb",
    "kb_maintenance",
    "kb_import",
    "kb_gaps",
    "kb_public",
    "kb_chat",
    "reports",
    "public_figures",
    "catalogue",
    "places",
    "blacklist",
    "workforce",
    "hotlines",
    "analytics",
    "assessment",
    "workdays",
)

router = APIRouter(include_in_schema=False)
for _name in PAGE_MODULES:
    router.include_router(import_module(f"hotline.web.{_name}").router)

__all__ = ["install", "router"]
