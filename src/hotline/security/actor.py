"""Who is acting: a logged-in user, the public requester, or the system."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from hotline.security.roles import DataScope, Role

# Commands run at the server's shell have no login: the audit log keeps them under this client and the
# operating-system account that ran them ("命令行（root）"), so the access review can list them.
COMMAND_LINE = "命令行"


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

    @classmethod
    def command_line(cls, role: Role = Role.ADMIN) -> Actor:
        """Whoever runs a command has the database itself: the whole city is in scope. Recorded under the
        operating-system account, as the login accounts are under theirs."""
        return cls(role=role, name=COMMAND_LINE, username=f"{COMMAND_LINE}（{_os_user()}）",
                   data_scope=DataScope.ALL, client=COMMAND_LINE)


def _os_user() -> str:
    try:
        return getpass.getuser()[:40]
    except (OSError, KeyError):  # a container user with no passwd entry and no LOGNAME/USER
        return "未知用户"
