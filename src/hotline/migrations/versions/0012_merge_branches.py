"""merge the branches of this release (registry, calls, blacklist, ticket import keys, assessment,
supervision, dispatch catalogue, attachments) into one head

Revision ID: 0012_merge_branches
Revises: the eight branch heads below
Create Date: 2026-11-25 20:00:00
"""

from __future__ import annotations

revision = "0012_merge_branches"
down_revision = (
    "0003_hotlines",
    "0004_calls",
    "0005_blacklist",
    "0006_ticket_external_key",
    "0007_assessment",
    "0008_supervision",
    "0010_dispatch_catalogue",
    "0011_attachment_uploaded",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
