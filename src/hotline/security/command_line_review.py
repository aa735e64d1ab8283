"""The access review's third table: exports and reads made at the server's command line.

`hotline report …`, `hotline assessment …` and `hotline audit review --output …` run without a login:
the audit log keeps them under the operating-system account that ran the command ("命令行（root）")
with no user id, so the login accounts' rows never show them. Whoever holds a shell on the server
holds the database too, so there is no post to compare against and nothing is flagged: the table
lists every such account's use in the period, for the reviewer to match against the work orders
that asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from hotline.security.actor import COMMAND_LINE
from hotline.security.audit import ACTION_LABELS
from hotline.security.models import AuditEntry


@dataclass
class CommandLineUse:
    username: str  # 命令行（操作系统账号）
    reads: int
    exports: int
    actions: list[str]  # what was done, in words, most frequent first ("导出报告 ×3")
    first_at: datetime
    last_at: datetime


def command_line_uses(db: Session, *, since: datetime, until: datetime, reads: tuple[str, ...],
                      exports: tuple[str, ...]) -> list[CommandLineUse]:
    """Each command-line account's reads and exports in [since, until), busiest first."""
    # Entries written before the operating-system account was recorded say only "命令行".
    from_shell = or_(AuditEntry.client == COMMAND_LINE, AuditEntry.username == COMMAND_LINE)
    rows = db.execute(
        select(AuditEntry.username, AuditEntry.action, func.count(), func.min(AuditEntry.at), func.max(AuditEntry.at),
               func.sum(case((AuditEntry.action.in_(reads), 1), else_=0)))
        .where(AuditEntry.at >= since, AuditEntry.at < until, AuditEntry.user_id.is_(None), from_shell,
               AuditEntry.action.in_(reads + exports))
        .group_by(AuditEntry.username, AuditEntry.action)
    ).all()
    uses: dict[str, CommandLineUse] = {}
    counted: dict[str, list[tuple[int, str]]] = {}
    for username, action, n, first, last, read in rows:
        use = uses.setdefault(username, CommandLineUse(username=username, reads=0, exports=0, actions=[],
                                                       first_at=first, last_at=last))
        use.reads += int(read or 0)
        use.exports += n - int(read or 0)
        use.first_at, use.last_at = min(use.first_at, first), max(use.last_at, last)
        counted.setdefault(username, []).append((n, ACTION_LABELS.get(action, action)))
    for username, use in uses.items():
        use.actions = [f"{label} ×{n}" for n, label in sorted(counted[username], key=lambda c: (-c[0], c[1]))]
    return sorted(uses.values(), key=lambda u: (-(u.reads + u.exports), u.username))


def select_command_line(uses: list[CommandLineUse], *, username: str | None = None) -> list[CommandLineUse]:
    """The rows narrowed to one account when one is asked for."""
    name = (username or "").strip().lower()
    return [u for u in uses if not name or u.username.lower() == name]
