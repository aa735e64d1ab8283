"""联动转办 on the pages: the ticket page's forms, the intake form's 联动转入, the 联动转办 list."""

from __future__ import annotations

from tests.test_pages import intake_form, login, new_ticket, post_page


def test_passed_out_from_the_ticket_page_and_listed(client, as_user, lines) -> None:
    t = new_ticket(client, as_user)
    login(client, "dispatcher")
    page = client.get(f"/tickets/{t['number']}").text
    assert 'id="action-transfer_out"' in page and "上海市12345市民服务热线" in page and "外地及省级12345" in page
    # the form keeps what was typed when the reason is missing, and names the field
    r = post_page(client, f"/tickets/{t['number']}", f"/tickets/{t['number']}/actions/transfer_out",
                  {"line_id": str(lines["police"]), "external_ref": "JJ-001", "reason": ""})
    assert r.status_code == 422 and "转出理由" in r.text and "JJ-001" in r.text
    r = post_page(client, f"/tickets/{t['number']}", f"/tickets/{t['number']}/actions/transfer_out",
                  {"line_id": str(lines["police"]), "external_ref": "JJ-001",
                   "reason": "反映有人聚众赌博，属公安机关管辖"})
    assert r.status_code == 303, r.text
    page = client.get(f"/tickets/{t['number']}").text
    assert "已转出待反馈" in page and 'id="action-linked_answer"' in page and 'id="action-linked_return"' in page

    listed = client.get("/hall/linkage").text
    assert t["number"] in listed and "南京市公安局110报警服务台" in listed and "JJ-001" in listed
    assert "还没有联动转办记录" not in client.get("/hall/linkage?view=all").text
    assert "没有待反馈转入方的工单" in client.get("/hall/linkage?view=in_owed").text
    r = client.get("/hall/linkage.xlsx?view=all")
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_passed_in_at_intake(client, lines) -> None:
    login(client, "operator")
    form = intake_form(linked_from_line_id=str(lines["water"]), linked_from_ref="SW-20261102-17")
    r = post_page(client, "/hall/intake", "/hall/intake", form)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "联动转入：南京水务集团供水服务热线（96889）" in page
    # a department line merged into 12345 is no platform: refused, with what was typed kept
    r = post_page(client, "/hall/intake", "/hall/intake", intake_form(linked_from_line_id=str(lines["merged"]),
                                                                       linked_from_ref="X-1"))
    assert r.status_code == 422 and "不是联动平台" in r.text and "X-1" in r.text


def test_the_page_is_the_centres(client, lines) -> None:
    login(client, "housing_handler")
    assert client.get("/hall/linkage", follow_redirects=False).status_code == 403


def test_a_request_passed_in_and_merged_is_reported_back_from_its_page(client, as_user, lines) -> None:
    from tests.factories import intake

    parent = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    child = client.post("/api/v1/tickets", json=intake(linked_from_line_id=lines["police"], linked_from_ref="JJ-9"),
                        headers=as_user("operator")).json()
    for ticket, action, body in ((child, "merge", {"parent_id": parent["id"]}),
                                 (parent, "answer_directly", {"answer": "已告知来电人相关政策和办理渠道",
                                                              "answer_source": "政策文件：办事指南"})):
        r = client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", json=body, headers=as_user("dispatcher"))
        assert r.status_code == 200, r.text
    login(client, "dispatcher")
    page = client.get(f"/tickets/{child['number']}").text
    assert "已并单" in page and 'id="action-report_back"' in page
    r = post_page(client, f"/tickets/{child['number']}", f"/tickets/{child['number']}/actions/report_back",
                  {"content": "已并入同一诉求办理，结果已电话告知110"})
    assert r.status_code == 303, r.text
    assert "转入待反馈" in client.get("/hall/linkage?view=in_owed").text
    assert child["number"] not in client.get("/hall/linkage?view=in_owed").text


def test_the_page_and_the_api_let_the_same_roles_read() -> None:
    """QA: analysts and administrators read the API's list but the page refused them."""
    from hotline.linkage.service import READERS
    from hotline.web.nav import BY_KEY

    assert BY_KEY["linkage"].roles == READERS
