"""The registry pages through the app's client with a logged-in persona: the list (filters, empty
state), a line's page with its history and the administrator's forms, the progress view."""

from __future__ import annotations

from tests.test_pages import csrf_of, login, post_page


def test_registry_list_filters_and_empty_state(client, imported) -> None:  # type: ignore[no-untyped-def]
    login(client, "supervisor")
    r = client.get("/hotlines")
    assert r.status_code == 200
    assert "热线归并清单" in r.text and 'data-number="12345"' in r.text and "导出 Excel" in r.text
    assert "共 47 条" in r.text and "下一页" in r.text
    assert "登记热线" not in r.text  # no admin form for a supervisor
    r = client.get("/hotlines", params={"city": "宿迁市", "mode": "dual_number"})
    assert r.text.count('class="hotline-row"') == 5 and "全国税务系统统一电话" in r.text
    assert "/api/v1/hotlines/export.xlsx?city=%E5%AE%BF%E8%BF%81%E5%B8%82&amp;mode=dual_number" in r.text
    export = client.get("/api/v1/hotlines/export.xlsx", params={"city": "宿迁市", "mode": "dual_number"})
    assert export.status_code == 200 and export.content[:2] == b"PK"  # the page session is enough for the link
    r = client.get("/hotlines", params={"q": "不存在的热线"})
    assert "没有符合条件的热线" in r.text
    assert "热线归并" in client.get("/supervision").text  # the nav entry


def test_registry_page_without_data_says_how_to_import(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "analyst")
    r = client.get("/hotlines")
    assert r.status_code == 200 and "hotline hotlines import" in r.text
    assert "尚未登记任何热线" in client.get("/hotlines/progress").text


def test_roles_without_the_page_are_refused(client, imported) -> None:  # type: ignore[no-untyped-def]
    login(client, "operator")
    r = client.get("/hotlines")
    assert r.status_code == 403 and "无权访问" in r.text


def test_line_page_history_and_admin_forms(client, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    line = line_of("12366")
    login(client, "admin")
    r = client.get(f"/hotlines/{line.id}")
    assert r.status_code == 200
    assert "全国税务系统统一电话" in r.text and "变更记录" in r.text and "清单导入" in r.text
    assert "变更归并方式" in r.text and 'value="dual_number"' in r.text and 'value="sub_center"' not in r.text
    r = post_page(client, f"/hotlines/{line.id}", f"/hotlines/{line.id}/mode",
                  {"merge_mode": "dual_number", "reason": "分中心座席并入12345"})
    assert r.status_code == 303 and r.headers["location"] == f"/hotlines/{line.id}"
    page = client.get(f"/hotlines/{line.id}").text
    assert "已变更归并方式" in page and "分中心座席并入12345" in page and "双号并行" in page
    assert "变更热线归并方式" in client.get("/admin/audit").text  # the change is in the audit log, labelled


def test_admin_form_errors_are_shown_in_chinese(client, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    line = line_of("12333")
    login(client, "admin")
    r = post_page(client, f"/hotlines/{line.id}", f"/hotlines/{line.id}/status",
                  {"status": "cancelled", "reason": "注销号码"})
    assert r.status_code == 409 and "须先变更为“整体并入”" in r.text
    r = post_page(client, f"/hotlines/{line.id}", f"/hotlines/{line.id}/seats", {"seat_arrangement": "business_zone"})
    assert r.status_code == 422 and "缺少必填项：变更理由" in r.text
    merged = line_of("12312")
    r = post_page(client, f"/hotlines/{merged.id}", f"/hotlines/{merged.id}/prompt",
                  {"transition_start": "2026-13-01", "reason": "设置过渡期"})
    assert r.status_code == 422 and "过渡期开始日期不是有效的日期" in r.text
    r = post_page(client, f"/hotlines/{merged.id}", f"/hotlines/{merged.id}/prompt",
                  {"transition_prompt": "已并入12345", "transition_start": "2026-11-01", "transition_end": "2026-11-30",
                   "reason": "设置过渡期"})
    assert r.status_code == 303
    assert "2026-11-01 至 2026-11-30" in client.get(f"/hotlines/{merged.id}").text


def test_a_refused_change_comes_back_open_with_what_was_typed(client, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    """QA: a new prompt and period refused for their dates came back as the stored ones, reason gone."""
    merged = line_of("12312")
    login(client, "admin")
    r = post_page(client, f"/hotlines/{merged.id}", f"/hotlines/{merged.id}/prompt",
                  {"transition_prompt": "原号码已并入12345，请改拨12345", "transition_start": "2026-12-10",
                   "transition_end": "2026-12-01", "reason": "市政府通知调整过渡期"})
    assert r.status_code == 422 and "不能早于开始日期" in r.text
    assert "原号码已并入12345，请改拨12345</textarea>" in r.text and 'value="2026-12-10"' in r.text
    assert 'value="2026-12-01"' in r.text and "市政府通知调整过渡期</textarea>" in r.text
    assert '<details class="action" open><summary>过渡期语音提示' in r.text
    assert '<details class="action" open><summary>变更号码状态' not in r.text
    line = line_of("12333")
    r = post_page(client, f"/hotlines/{line.id}", f"/hotlines/{line.id}/status",
                  {"status": "cancelled", "reason": "按通知注销"})
    assert r.status_code == 409 and '<option value="cancelled" selected>' in r.text
    assert "按通知注销</textarea>" in r.text
    # the other forms stay as stored, empty and closed
    r = client.get(f"/hotlines/{merged.id}")
    assert "原号码已并入12345" not in r.text and " open>" not in r.text


def test_register_form_refuses_without_approval_and_keeps_values(client, imported) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    form = {"city": "南京市", "number": "96300", "name": "某区便民服务热线", "kind": "department",
            "merge_mode": "full_merge", "reason": "区政府申请新设"}
    r = post_page(client, "/hotlines", "/hotlines", form)
    assert r.status_code == 422 and "批准文号和批准人" in r.text and 'value="某区便民服务热线"' in r.text
    r = post_page(client, "/hotlines", "/hotlines", {**form, "approval_document": "宁政复〔2026〕8号",
                                                   "approval_by": "王某"})
    assert r.status_code == 303
    assert "已登记 南京市 96300" in client.get(r.headers["location"]).text


def test_a_supervisor_cannot_post_changes(client, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    line = line_of("12333")
    login(client, "supervisor")
    page = client.get(f"/hotlines/{line.id}").text
    assert "管理员操作" not in page
    r = client.post(f"/hotlines/{line.id}/mode", data={"merge_mode": "full_merge", "reason": "越权变更",
                                                      "csrf_token": csrf_of(client, f"/hotlines/{line.id}")})
    assert r.status_code == 403 and "只有系统管理员" in r.text
    assert line_of("12333").merge_mode == "dual_number"


def test_progress_page(client, imported) -> None:  # type: ignore[no-untyped-def]
    login(client, "dispatcher")
    r = client.get("/hotlines/progress")
    assert r.status_code == 200
    assert 'data-city="南京市"' in r.text and 'data-city="宿迁市"' in r.text
    assert '<progress value="14" max="26"' in r.text and "53.8%" in r.text
    assert "/hotlines?city=%E5%8D%97%E4%BA%AC%E5%B8%82&amp;mode=sub_center" in r.text
