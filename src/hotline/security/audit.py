"""The audit log: recording sensitive acts (in the caller's transaction) and reading them back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import DataScope, Role


def record(
    db: Session,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: str | None = None,
) -> None:
    db.add(
        AuditEntry(
            at=at,
            user_id=actor.user_id,
            username=actor.username or actor.name,
            role=str(actor.role),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail[:500] if detail else None,
            client=actor.client,
        )
    )


def reads_whole_city(actor: Actor) -> bool:
    """Whether the actor's data scope is the whole city: the audit log records every district's work
    (callback notes, numbers read, transfer reasons) and cannot be cut to one district."""
    return actor.role == Role.ADMIN or actor.data_scope == DataScope.ALL


def search(
    db: Session,
    *,
    actor: Actor,
    username: str | None = None,
    action: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEntry], int]:
    """The audit log, newest first, for administrators and supervisors (谁使用、谁负责)."""
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("role_forbidden", "只有系统管理员和督办员可以查看审计日志")
    if not reads_whole_city(actor):
        raise Forbidden("scope_forbidden", "审计日志记录全市的操作，仅限数据范围为全市的督办员和系统管理员查看")
    if since is not None and until is not None and until <= since:  # an empty list would not say why
        raise DomainError("range_reversed", "结束时间早于开始时间，请检查查询的时间范围", status_code=422)
    conds = []
    # in any case, as user names are unique (QA: "Admin" or a ticket number typed nj… found nothing)
    if username:
        conds.append(func.lower(AuditEntry.username) == username.strip().lower())
    if action:
        conds.append(AuditEntry.action == action)
    if object_id:
        conds.append(func.lower(AuditEntry.object_id) == object_id.strip().lower())
    if since:
        conds.append(AuditEntry.at >= since)
    if until:
        conds.append(AuditEntry.at < until)
    total = db.execute(select(func.count()).select_from(AuditEntry).where(*conds)).scalar_one()
    rows = db.execute(
        select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc()).limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    return list(rows.scalars()), total


def export_rows(
    db: Session, *, actor: Actor, at: datetime, limit: int, username: str | None = None, action: str | None = None,
    object_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
    filters_label: str = "",
) -> tuple[list[AuditEntry], int]:
    """Up to `limit` entries for an Excel export (the search's filters); the export is itself audited,
    with the filters it was made with (`filters_label`, as the reader typed them)."""
    rows, total = search(db, actor=actor, username=username, action=action, object_id=object_id, since=since,
                         until=until, page=1, page_size=limit)
    record(db, actor=actor, at=at, action="export_audit", object_type="audit_log", object_id=str(len(rows)),
           detail=f"共{total}条，导出{len(rows)}条" + (f"；筛选：{filters_label}" if filters_label else ""))
    db.commit()
    return rows, total


def filters_label(*, username: str | None, action: str | None, object_id: str | None, day_from: str | None,
                  day_to: str | None) -> str:
    """The filters as the export's audit entry names them."""
    parts = [f"用户 {username}" if username else "", f"操作 {ACTION_LABELS.get(action, action)}" if action else "",
             f"对象 {object_id}" if object_id else ""]
    if day_from or day_to:
        parts.append(f"{day_from or '…'} 至 {day_to or '…'}")
    return "，".join(p for p in parts if p)


ACTION_LABELS = {
    "view_personal_data": "查看个人信息",
    "create_user": "创建用户",
    "update_user": "修改用户",
    "disable_user": "停用用户",
    "enable_user": "启用用户",
    "reset_password": "重置密码",
    "machine_account_create": "创建接口账号",
    "machine_key_issue": "签发接口密钥",
    "machine_key_rotate": "轮换接口密钥",
    "machine_key_revoke": "吊销接口密钥",
    "machine_account_disable": "停用接口账号",
    "machine_account_enable": "启用接口账号",
    "machine_scope_change": "更改接口账号数据范围",
    "export_tickets": "导出工单",
    "export_report": "导出分析报告",
    "export_analytics": "导出分析数据",
    "export_orders": "导出督办单",
    "export_revisit": "导出回头看清单",
    "revisit_review": "回头看审核研判",
    "export_bad_ratings": "导出差评",
    "export_audit": "导出审计日志",
    "export_access_review": "导出个人信息访问审查",
    "upload_attachment": "上传附件",
    "kb_import": "批量导入知识",
    "kb_import_job": "批量导入转为后台任务",
    "kb_import_job_restart": "重新开始批量导入任务",
    "kb_import_job_cancel": "取消批量导入任务",
    "kb_import_job_fail": "批量导入任务中断",
    "kb_gap_filled": "知识盲区已补充",
    "kb_gap_dismissed": "知识盲区无需补充",
    "download_attachment": "下载附件",
    "hotline_create": "登记热线",
    "hotline_import": "导入热线清单",
    "hotline_mode": "变更热线归并方式",
    "hotline_status": "变更热线号码状态",
    "hotline_prompt": "设置过渡期语音提示",
    "hotline_seats": "调整热线座席安排",
    "hotline_details": "关联热线责任单位",
    "hotline_experts": "调整专家座席值班人员",
    "calendar_set_year": "录入节假日安排",
    "calendar_clear_year": "删除节假日安排",
    "request_exemption": "申请考核豁免",
    "approve_exemption": "批准考核豁免",
    "refuse_exemption": "不予考核豁免",
    "revoke_exemption": "撤销考核豁免",
    "supervision_order_create": "人工督办",
    "supervision_order_escalate": "升级督办单",
    "supervision_order_close": "办结督办单",
    "supervision_meeting_create": "召集协调会或约谈",
    "supervision_meeting_outcome": "记录会议或约谈结果",
    "rating_followup": "差评核实",
    "export_assessment": "导出考核数据",
    "call_back": "漏接回拨",
    "transfer_call": "转接来电",
    "sms_register": "短信登记工单",
    "sms_ignore": "忽略短信",
    "sms_reply": "回复短信",
    "sms_resend": "重发短信",
    "share_read": "读取工单数据共享",
    "share_push": "推送工单数据共享",
    "share_push_subscribe": "设置订阅推送",
    "share_push_replace": "更改订阅推送",
    "share_push_pause": "暂停订阅推送",
    "share_push_resume": "恢复订阅推送",
    "share_push_rotate_secret": "更换推送签名密钥",
    "share_push_test": "测试推送",
    "share_push_stop": "订阅推送因连续失败停用",
    "kb_feed_read": "读取知识库同步数据",
    "publish_figures": "公开月度运行数据",
    "unpublish_figures": "撤回公开的月度数据",
    "wechat_register": "微信登记工单",
    "wechat_ignore": "忽略微信消息",
    "wechat_reply": "回复微信留言",
    "wechat_resend": "重发微信消息",
    "create_dispatch_rule": "新增派单规则",
    "update_dispatch_rule": "修改派单规则",
    "enable_dispatch_rule": "启用派单规则",
    "disable_dispatch_rule": "停用派单规则",
    "create_place_name": "新增地名",
    "update_place_name": "修改地名",
    "enable_place_name": "启用地名",
    "disable_place_name": "停用地名",
    "learn_place_names": "从已办结工单学习地名",
    "blacklist_propose_run": "筛选黑名单候选",
    "blacklist_propose": "提出黑名单候选",
    "blacklist_add_evidence": "补充黑名单证据",
    "blacklist_confirm": "列入黑名单",
    "blacklist_reject": "不予列入黑名单",
    "blacklist_revoke": "移出黑名单",
    "blacklist_appeal": "登记黑名单申诉",
    "blacklist_decide_appeal": "处理黑名单申诉",
    "blacklist_refer_police": "移送公安",
    "blacklist_verdict": "认定诉求是否属实",
    "demo_started": "开始生成演示数据",
    "demo_built": "生成演示数据",
}
