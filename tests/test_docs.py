"""Docs that are generated from code stay in step with it."""

from __future__ import annotations

from pathlib import Path

from hotline.tickets.workflow import markdown_table

ROOT = Path(__file__).parent.parent


def test_workflow_doc_matches_the_table() -> None:
    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "docs/workflow.md is stale: regenerate the table with `hotline workflow`"
