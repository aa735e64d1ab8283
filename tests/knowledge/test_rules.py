"""The article workflow table and the role rules, without a database."""

from __future__ import annotations

import itertools

import pytest

from hotline.errors import Forbidden, InvalidTransition
from hotline.knowledge import rules
from hotline.knowledge.enums import ArticleAction, ArticleStatus
from hotline.security.actor import Actor
from hotline.security.roles import Role

S = ArticleStatus
A = ArticleAction


def actor(role: Role, unit_id: int | None = 1, user_id: int = 10) -> Actor:
    return Actor(role=role, name=str(role), user_id=user_id, unit_id=unit_id)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(S, rules.TABLE)))
def test_every_pair_is_allowed_or_refused_in_chinese(status: ArticleStatus, action: ArticleAction) -> None:
    sources, target = rules.TABLE[action]
    if status in sources:
        result = rules.next_status(status, action)
        assert result == (target or (S.EXPIRED if status == S.APPROVED else status))
    else:
        with pytest.raises(InvalidTransition) as exc:
            rules.next_status(status, action)
        assert "不能执行" in exc.value.message


def test_review_flow_path() -> None:
    status = S.DRAFT
    for action, expected in [(A.SUBMIT, S.IN_REVIEW), (A.RETURN, S.RETURNED), (A.UPDATE, S.DRAFT),
                             (A.SUBMIT, S.IN_REVIEW), (A.APPROVE, S.APPROVED), (A.EXPIRE, S.EXPIRED),
                             (A.UPDATE, S.DRAFT), (A.WITHDRAW, S.WITHDRAWN)]:
        status = rules.next_status(status, action)
        assert status == expected


def test_a_pending_revision_keeps_its_status_when_the_published_answer_expires() -> None:
    assert rules.next_status(S.IN_REVIEW, A.EXPIRE) == S.IN_REVIEW


def test_drafters() -> None:
    centre_editor = rules.Who(actor(Role.KNOWLEDGE_EDITOR, unit_id=1), in_centre=True)
    unit_editor = rules.Who(actor(Role.KNOWLEDGE_EDITOR, unit_id=2), in_centre=False)
    handler = rules.Who(actor(Role.UNIT_HANDLER, unit_id=2), in_centre=False)
    operator = rules.Who(actor(Role.OPERATOR, unit_id=1), in_centre=True)
    assert rules.may_draft(centre_editor, 2) and rules.may_draft(centre_editor, None)
    assert rules.may_draft(unit_editor, 2) and not rules.may_draft(unit_editor, 3)
    assert rules.may_draft(handler, 2) and not rules.may_draft(handler, 3) and not rules.may_draft(handler, None)
    assert not rules.may_draft(operator, 1)
    with pytest.raises(Forbidden) as exc:
        rules.ensure_draft(operator, 1)
    assert "知识库编辑" in exc.value.message


def test_reviewers_are_the_centres_editors_and_supervisors_and_never_the_author() -> None:
    editor = rules.Who(actor(Role.KNOWLEDGE_EDITOR, user_id=5), in_centre=True)
    supervisor = rules.Who(actor(Role.SUPERVISOR, user_id=6), in_centre=True)
    unit_editor = rules.Who(actor(Role.KNOWLEDGE_EDITOR, unit_id=2), in_centre=False)
    manager = rules.Who(actor(Role.UNIT_MANAGER, unit_id=2), in_centre=False)
    assert rules.may_review(editor) and rules.may_review(supervisor)
    assert not rules.may_review(unit_editor) and not rules.may_review(manager)
    rules.ensure_review(supervisor, author_id=5)
    with pytest.raises(Forbidden) as exc:
        rules.ensure_review(editor, author_id=5)
    assert exc.value.code == "kb_review_own"


def test_imports_are_published_by_admins_centre_editors_and_the_system_only() -> None:
    assert rules.may_publish_import(rules.Who(Actor.system(), in_centre=False))
    assert rules.may_publish_import(rules.Who(actor(Role.ADMIN), in_centre=True))
    assert rules.may_publish_import(rules.Who(actor(Role.KNOWLEDGE_EDITOR), in_centre=True))
    assert not rules.may_publish_import(rules.Who(actor(Role.UNIT_MANAGER, unit_id=2), in_centre=False))
