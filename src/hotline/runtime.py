"""What every service call needs besides the database: settings, the clock and the time-limit policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.clock import Clock, SystemClock
from hotline.config import Settings
from hotline.tickets.deadlines import Policy, load_policy

if TYPE_CHECKING:
    import httpx

    from hotline.sharing.addresses import Resolver


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    policy: Policy
    # Where outgoing HTTP calls (信息共享 push) go: None is the network; tests put an httpx.MockTransport
    # here, as they put a FixedClock in `clock`.
    transport: httpx.BaseTransport | None = None
    # How a push receiver's host name is resolved before it is called (sharing/addresses.py): None is
    # the system's DNS; tests put a table here.
    resolve: Resolver | None = None

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        return cls(settings=settings, clock=clock or SystemClock(), policy=load_policy(settings.sla_policy))
