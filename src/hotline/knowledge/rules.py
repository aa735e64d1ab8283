"""Who may do what to an article, and the article's workflow table. Pure: no database.

Roles (多方校核 — drafted by the owner, checked by the 12345 centre):
- **drafter** — creates and revises an article, submits it for review, answers error reports:
  a knowledge editor of the 12345 centre (for any owning unit), a knowledge editor of a unit
  (for that unit), or a unit handler / unit manager of the owning unit.
- **reviewer** — approves or returns with a comment: a knowledge editor or a supervisor of the
  12345 centre, and never the author of the version under review (four eyes).
- **importer** — a batch import is published at once when run by an administrator, a centre
  knowledge editor or the system (the CLI); a unit's own import is submitted for review instead.
- **withdraw** — a drafter of the owning unit or a reviewer; **flag policy changed** — the same.
- **report an error** — anyone, including the public; the owner answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.errors import Forbidden, InvalidTransition
from hotline.knowledge.enums import ACTION_LABELS, STATUS_LABELS, ArticleAction, ArticleStatus
from hotline.security.actor import Actor
from hotline.security.roles import UNIT_ROLES, Role

S = ArticleStatus
A = ArticleAction

# (action) -> (statuses it may start from, the status it leads to; None: unchanged)
TABLE: dict[ArticleAction, tuple[frozenset[ArticleStatus], ArticleStatus | None]] = {
    A.UPDATE: (frozenset({S.DRAFT, S.RETURNED, S.APPROVED, S.EXPIRED, S.WITHDRAWN}), S.DRAFT),
    A.SUBMIT: (frozenset({S.DRAFT, S.RETURNED}), S.IN_REVIEW),
    A.APPROVE: (frozenset({S.IN_REVIEW}), S.APPROVED),
    A.RETURN: (frozenset({S.IN_REVIEW}), S.RETURNED),
    A.WITHDRAW: (frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.RETURNED, S.EXPIRED}), S.WITHDRAWN),
    # Leaving public answers: an approved article becomes expired; a pending revision keeps its
    # status (it is reviewed as usual and, once approved, publishes again).
    A.EXPIRE: (frozenset({S.APPROVED, S.DRAFT, S.IN_REVIEW, S.RETURNED}), None),
    A.FLAG_POLICY_CHANGED: (frozenset({S.APPROVED, S.DRAFT, S.IN_REVIEW, S.RETURNED, S.EXPIRED}), None),
}


def next_status(status: str, action: ArticleAction) -> ArticleStatus:
    sources, target = TABLE[action]
    current = ArticleStatus(status)
    if current not in sources:
        raise InvalidTransition(
            "kb_invalid_transition",
            f"知识条目当前为“{STATUS_LABELS[current]}”，不能执行“{ACTION_LABELS[action]}”",
        )
    if target is not None:
        return target
    if action in (A.EXPIRE, A.FLAG_POLICY_CHANGED) and current == S.APPROVED:
        return S.EXPIRED
    return current


@dataclass(frozen=True)
class Who:
    """The acting person as the rules need them: the actor, and whether their unit is the centre."""

    actor: Actor
    in_centre: bool

    @property
    def role(self) -> Role:
        return self.actor.role


def may_draft(who: Who, owner_unit_id: int | None) -> bool:
    if who.role == Role.SYSTEM:
        return True
    if who.role == Role.KNOWLEDGE_EDITOR:
        return who.in_centre or (owner_unit_id is not None and who.actor.unit_id == owner_unit_id)
    if who.role in UNIT_ROLES:
        return owner_unit_id is not None and who.actor.unit_id == owner_unit_id
    return False


def may_review(who: Who) -> bool:
    return who.role in (Role.KNOWLEDGE_EDITOR, Role.SUPERVISOR) and who.in_centre


def may_tend_gaps(who: Who) -> bool:
    """Read and close the gap list (知识盲区): every knowledge editor (a unit's editor writes the
    missing article for their unit), the centre's supervisors and the administrator."""
    return who.role in (Role.KNOWLEDGE_EDITOR, Role.ADMIN) or may_review(who)


def may_publish_import(who: Who) -> bool:
    return who.role in (Role.ADMIN, Role.SYSTEM) or (who.role == Role.KNOWLEDGE_EDITOR and who.in_centre)


def may_read_unpublished(who: Who, owner_unit_id: int | None) -> bool:
    return who.role == Role.ADMIN or may_review(who) or may_draft(who, owner_unit_id)


def ensure_draft(who: Who, owner_unit_id: int | None) -> None:
    if not may_draft(who, owner_unit_id):
        raise Forbidden("kb_draft_forbidden", "只有知识库编辑或本单位承办人员可以起草、修订该单位的知识条目")


def ensure_review(who: Who, author_id: int | None) -> None:
    if not may_review(who):
        raise Forbidden("kb_review_forbidden", "只有12345热线中心的知识库编辑或督办员可以审核知识条目")
    if author_id is not None and who.actor.user_id == author_id:
        raise Forbidden("kb_review_own", "不能审核自己起草的版本，请由其他审核人审核（多方校核）")


def ensure_withdraw(who: Who, owner_unit_id: int | None) -> None:
    if not (may_draft(who, owner_unit_id) or may_review(who)):
        raise Forbidden("kb_withdraw_forbidden", "只有条目所属单位或12345热线中心可以撤销、标记知识条目")


def ensure_import(who: Who, owner_unit_id: int | None) -> None:
    if not (may_publish_import(who) or may_draft(who, owner_unit_id)):
        raise Forbidden("kb_import_forbidden", "只有系统管理员、知识库编辑或本单位承办人员可以批量导入知识条目")
