"""Warming the knowledge search at start-up: the index (BM25 over every published article), the
encoder of search by meaning (loaded, and its first pass run) and the index of meanings are
otherwise made by the first search —
the first WeChat answer after a start took 1.8–5.6 s of WeChat's 5 (docs/benchmarks.md). Built
on a daemon thread beside the app's start, so the server answers at once (a search meanwhile waits
for the index's lock, as it would have built it itself); a failure is logged and the first search
builds the index as before."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from hotline.config import Settings
from hotline.knowledge import search, semantic, service
from hotline.knowledge.enums import PUBLIC_AUDIENCES

log = logging.getLogger(__name__)
SessionFactory = sessionmaker[Session]
SAMPLE = "如何办理"  # one search through the whole path: the query's words and (by meaning) its vector


def enabled(settings: Settings) -> bool:
    if settings.kb_warm_at_start == "auto":
        return settings.environment != "test"  # the suite builds small indexes as it needs them
    return settings.kb_warm_at_start == "on"


def warm(sf: SessionFactory) -> None:
    """Build the index and the index of meanings, run one public search and encode one query; raises
    what they raise."""
    started = time.monotonic()
    with sf() as db:
        service.prepare_search(db)
        service.search_published(db, query=SAMPLE, filters=search.SearchFilters(
            audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES)), limit=1)
        db.rollback()
    reranker = semantic.default_reranker()
    if reranker is not None:  # the engine's first pass takes seconds (2–5 s measured): not a citizen's
        reranker.query_vectors([SAMPLE])  # (the search above skips it while no article is published)
    log.info("knowledge search warmed at start-up in %.1f s", time.monotonic() - started)


def _warm_logged(sf: SessionFactory) -> None:
    try:
        warm(sf)
    except Exception:  # noqa: BLE001  (the database may not be up yet: the first search builds it instead)
        log.exception("warming the knowledge search at start-up failed; the first search will build it")


def start(sf: SessionFactory) -> threading.Thread:
    thread = threading.Thread(target=_warm_logged, args=(sf,), name="kb-warmup", daemon=True)
    thread.start()
    return thread


def install(app: FastAPI) -> None:
    """Start warming when the app starts (`settings.kb_warm_at_start`); `app.state.kb_warmup` is the
    thread (None when off), which nothing waits for."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        a.state.kb_warmup = start(a.state.session_factory) if enabled(a.state.settings) else None
        async with inner(a) as state:
            yield state

    app.router.lifespan_context = lifespan
