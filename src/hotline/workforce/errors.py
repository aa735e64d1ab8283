"""Bad input to a seat plan: a clear Chinese message (HTTP 422 through the API)."""

from __future__ import annotations

from hotline.errors import DomainError


class PlanInputError(DomainError):
    status_code = 422

    def __init__(self, message: str, code: str = "bad_plan_input") -> None:
        super().__init__(code, message)
