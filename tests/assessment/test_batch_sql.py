"""The shape of a refresh batch's query: a batch's tickets are read through the ticket_id index on
PostgreSQL (`= ANY(ARRAY(…))`), so that a batch costs the same whatever the size of the history before
it; the direct computation, which reads many tickets, keeps a plain IN. Results are pinned elsewhere
(test_aggregates: facts == direct computation, on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from hotline.assessment import facts
from hotline.assessment.contributions import by_candidates, by_range, contributions


def _sql(stmt, dialect) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(stmt.compile(dialect=dialect)).split())


def test_a_batch_probes_the_index_per_ticket_on_postgresql() -> None:
    batch = facts._grouped(by_range(100, 200))
    pg = _sql(batch, postgresql.dialect())
    assert "ticket_events.ticket_id = ANY(ARRAY(SELECT DISTINCT f.ticket_id FROM ticket_events AS f WHERE" in pg
    lite = _sql(batch, sqlite.dialect())
    assert "ticket_events.ticket_id IN (SELECT DISTINCT f.ticket_id FROM ticket_events AS f WHERE" in lite
    assert "ANY(" not in lite


def test_the_direct_computation_keeps_a_plain_in() -> None:
    direct = _sql(contributions(by_candidates(since="2025-01-01", ticket_ids=None)), postgresql.dialect())
    assert "ticket_events.ticket_id IN (SELECT DISTINCT f.ticket_id" in direct
    assert "ANY(ARRAY(" not in direct


def test_exemptions_are_read_once_per_set_of_kinds() -> None:
    # Two distinct sets of exempting kinds (satisfaction; resolution and reopen): two keep flags,
    # each an uncorrelated IN that PostgreSQL hashes once per batch.
    pg = _sql(facts._grouped(by_range(100, 200)), postgresql.dialect())
    assert pg.count("FROM assessment_exemptions") == 2
    assert "keep_0" in pg and "keep_1" in pg and "keep_2" not in pg
