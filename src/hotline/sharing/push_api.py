"""Push subscriptions API (administrators): `/api/v1/machine-accounts/{id}/push` — set or replace the
URL, pause, resume, a new secret, the delivery log, a test delivery. A secret is in the response of the
call that makes it and nowhere else (sent with no-store)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hotline.deps import DB, RT, ApiActor
from hotline.sharing import push
from hotline.sharing.enums import PUSH_STATUS_LABELS, PushStatus
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/machine-accounts", tags=["admin"])
NO_STORE = {"Cache-Control": "no-store"}


class SubscriptionOut(BaseModel):
    url: str
    status: str = Field(description="active 启用 / paused 暂停 / stopped 已停用（连续失败后）")
    status_label: str
    cursor: int = Field(description="已送达的事件编号（订阅的 after）")
    next_attempt_at: datetime | None = Field(description="失败后下次重试的时间（null：下一轮调度即推送）")
    failures: int = Field(description="连续失败次数")
    last_error: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    delivered_events: int
    deliveries_ok: int
    deliveries_failed: int
    created_at: datetime
    updated_at: datetime


class SecretOut(BaseModel):
    secret: str = Field(description="签名密钥明文：只在本次响应中出现")
    notice: str = push.SECRET_NOTICE
    created: bool = Field(description="true：新建订阅；false：更改了已有订阅或更换了密钥")
    subscription: SubscriptionOut


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # push.check_url says what is wrong in words; the bound here only caps the request
    url: Annotated[str, StringConstraints(max_length=4 * push.URL_MAX)] = Field(description="推送地址（http 或 https）")
    from_now: bool = Field(False, description="true：只推送此后的事件；默认新订阅从头推送，已有订阅从原游标继续")


class DeliveryOut(BaseModel):
    id: int
    delivery_id: str = Field(description="请求头 X-Hotline-Delivery")
    kind: str = Field(description="events 事件推送 / test 测试推送")
    at: datetime
    after: int
    first_event_id: int | None
    last_event_id: int | None
    events: int
    ok: bool
    http_status: int | None
    duration_ms: int
    error: str | None


def subscription_out(sub: PushSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        url=sub.url, status=sub.status, status_label=PUSH_STATUS_LABELS[PushStatus(sub.status)], cursor=sub.cursor,
        next_attempt_at=sub.next_attempt_at, failures=sub.failures, last_error=sub.last_error,
        last_success_at=sub.last_success_at, last_attempt_at=sub.last_attempt_at,
        delivered_events=sub.delivered_events, deliveries_ok=sub.deliveries_ok,
        deliveries_failed=sub.deliveries_failed, created_at=sub.created_at, updated_at=sub.updated_at)


def delivery_out(row: PushDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(row, from_attributes=True)


@router.get("/{account_id}/push", response_model=SubscriptionOut, summary="订阅推送的设置与状态")
def get_subscription(account_id: int, db: DB, actor: ApiActor) -> SubscriptionOut:
    return subscription_out(push.subscription(db, actor=actor, account_id=account_id)[1])


@router.put("/{account_id}/push", response_model=SecretOut, summary="设置或更改订阅推送地址（同时生成新的签名密钥）")
def subscribe(account_id: int, data: SubscribeIn, db: DB, rt: RT, actor: ApiActor, response: Response) -> SecretOut:
    sub, secret, created = push.subscribe(db, rt, actor=actor, account_id=account_id, url=data.url,
                                          from_now=data.from_now)
    response.headers.update(NO_STORE)
    response.status_code = 201 if created else 200
    return SecretOut(secret=secret, created=created, subscription=subscription_out(sub))


@router.post("/{account_id}/push/pause", response_model=SubscriptionOut, summary="暂停订阅推送")
def pause(account_id: int, db: DB, rt: RT, actor: ApiActor) -> SubscriptionOut:
    return subscription_out(push.set_paused(db, actor=actor, now=rt.clock.now(), account_id=account_id, paused=True))


@router.post("/{account_id}/push/resume", response_model=SubscriptionOut,
             summary="恢复订阅推送（含连续失败后停用的订阅）")
def resume(account_id: int, db: DB, rt: RT, actor: ApiActor) -> SubscriptionOut:
    return subscription_out(push.set_paused(db, actor=actor, now=rt.clock.now(), account_id=account_id, paused=False))


@router.post("/{account_id}/push/secret", response_model=SecretOut, summary="更换签名密钥（旧密钥立即失效）")
def rotate_secret(account_id: int, db: DB, rt: RT, actor: ApiActor, response: Response) -> SecretOut:
    sub, secret = push.rotate_secret(db, rt, actor=actor, account_id=account_id)
    response.headers.update(NO_STORE)
    return SecretOut(secret=secret, created=False, subscription=subscription_out(sub))


@router.get("/{account_id}/push/deliveries", response_model=Page[DeliveryOut], summary="推送记录（最新在前）")
def deliveries(account_id: int, db: DB, actor: ApiActor, page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[DeliveryOut]:
    rows, total = push.deliveries(db, actor=actor, account_id=account_id, page=page, page_size=page_size)
    return Page(items=[delivery_out(r) for r in rows], total=total, page=page, page_size=page_size)


@router.post("/{account_id}/push/test", response_model=DeliveryOut, summary="发送一次测试推送（不含事件）")
def send_test(account_id: int, db: DB, rt: RT, actor: ApiActor) -> DeliveryOut:
    return delivery_out(push.send_test(db, rt, actor=actor, account_id=account_id))
