"""Who is acting: a logged-in user, the public requester, or the system."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.security.roles import DataScope, Role


@dataclass(frozen=True)
class Actor:
    role: Role
    name: str
    user_id: int | None = None
    username: str = ""
    unit_id: int | None = None
    data_scope: DataScope = DataScope.OWN_UNIT
    # Materialised path of the jurisdiction subtree for DataScope.JURISDICTION.
    scope_path: str | None = None
    client: str | None = None

    @property
    def label(self) -> str:
        return self.name

    @classmethod
    def requester(cls, client: str | None = None) -> Actor:
        return cls(role=Role.REQUESTER, name="诉求人", data_scope=DataScope.OWN_UNIT, client=client)

    @classmethod
    def system(cls) -> Actor:
        return cls(role=Role.SYSTEM, name="系统", data_scope=DataScope.ALL)
