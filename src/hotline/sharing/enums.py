"""States of a push subscription (订阅推送), with their Chinese labels for the pages."""

from __future__ import annotations

from enum import StrEnum


class PushStatus(StrEnum):
    ACTIVE = "active"  # 启用: delivered by the scheduler
    PAUSED = "paused"  # 暂停: by an administrator; the cursor waits where it is
    STOPPED = "stopped"  # 已停用: after failing for a day; resumed by an administrator


PUSH_STATUS_LABELS = {PushStatus.ACTIVE: "启用", PushStatus.PAUSED: "暂停", PushStatus.STOPPED: "已停用"}
