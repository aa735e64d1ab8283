"""Settings from the environment (HOTLINE_*): the one Settings object passed to the app and engine."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///hotline.db"
    secret_key: str = DEV_SECRET
    # Prefix of human-readable ticket numbers, e.g. NJ20261123-000123.
    city_code: str = "NJ"
    city_name: str = "南京市"
    # Time-limit policy preset: a file name under tickets/policies/ or a path to a JSON file.
    sla_policy: str = "guangdong"
    timezone: str = "Asia/Shanghai"
    data_path: Path = Path("../shared/data")
    # Secure cookies need HTTPS; off by default for a local demo.
    secure_cookies: bool = False
    page_size_max: int = 200
    # Supervision scheduler: auto = in-process in development, off in test and production (production
    # runs `hotline worker`); embedded = always in-process; off = never in this process.
    scheduler: Literal["auto", "embedded", "off"] = "auto"
    scheduler_interval_seconds: int = 60
    # Supervision rules: a file name under supervision/policies/ or a path to a JSON file.
    supervision_policy: str = "default"
    # How long a confirmed blacklist entry lasts unless the supervisor sets another period.
    blacklist_expiry_days: int = 180
    # A category model trained by `hotline dispatch train|retrain`; when set, dispatch suggestions
    # predict the category of tickets that have none.
    dispatch_model: Path | None = None
    # A kind model (诉求类型: 咨询/求助/投诉/举报/建议/感谢) trained the same way (`retrain --label kind`,
    # or `train` on labelled work orders); when set, the intake form proposes the kind.
    kind_model: Path | None = None
    # Dispatch without a human when the suggestion is sure on every count (see docs/dispatch.md).
    auto_dispatch: bool = False
    # Where uploaded attachments are kept (content-addressed), and the largest file accepted.
    attachments_dir: Path = Path("hotline-files")
    attachment_max_bytes: int = 20 * 1024 * 1024
    sql_echo: bool = False
    # Assessment: a unit with fewer dispatch rounds than this in the period is listed as 样本不足 and
    # left out of the ranks and the top/bottom lists (one round answered well is not "the best unit");
    # 0 ranks every unit with a score. See docs/assessment.md.
    assessment_min_rounds: int = Field(default=5, ge=0, le=1000)
    # The WeChat official account's server Token (公众号 基本配置 → 服务器配置 → 令牌): the callback
    # /wechat/callback checks WeChat's signature with it. Empty: the WeChat channel is off (404).
    wechat_token: str = ""
    # Seconds the callback waits for the assistant's answer: WeChat gives up at 5 s and retries, so past
    # this the callback says `success` and the answer, when ready, goes out through the relay instead.
    wechat_answer_seconds: float = Field(default=4.0, gt=0, le=4.5)
    # Build the knowledge search index (and search by meaning) on a thread when the app starts, so the
    # first question after a start is not the one that waits for it: auto = on except in tests.
    kb_warm_at_start: Literal["auto", "on", "off"] = "auto"
    # 信息共享 push: where receivers may be (see sharing/addresses.py): private = the internet and the
    # government intranet's private ranges; public = the internet only; any = also loopback, link-local
    # and the cloud metadata address (a receiver on this machine, development).
    share_push_networks: Literal["public", "private", "any"] = "private"
    # Days of the push delivery log kept; older rows are deleted by the scheduler's share_push job.
    share_push_log_days: int = Field(default=30, ge=1, le=3650)
    # Seconds of a scheduler pass the share_push job may spend POSTing: past them it stops before its next
    # POST and the rest waits for the next pass (sharing/delivery.py), so slow receivers do not hold up the
    # other jobs. A POST under way finishes (its own timeout: 5 s to connect, 10 s per read).
    share_push_budget_seconds: float = Field(default=20.0, gt=0, le=600)

    @field_validator("city_code")
    @classmethod
    def _city_code_ascii(cls, v: str) -> str:
        if not (v.isascii() and v.isalpha() and 1 <= len(v) <= 6):
            raise ValueError("HOTLINE_CITY_CODE must be 1-6 ASCII letters")
        return v.upper()

    @field_validator("wechat_token")
    @classmethod
    def _wechat_token_as_wechat_takes_it(cls, v: str) -> str:
        v = v.strip()
        if v and not (v.isascii() and v.isalnum() and 3 <= len(v) <= 32):
            raise ValueError("HOTLINE_WECHAT_TOKEN must be 3-32 ASCII letters or digits, as WeChat requires")
        return v

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("HOTLINE_SECRET_KEY must be set in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    return Settings()
