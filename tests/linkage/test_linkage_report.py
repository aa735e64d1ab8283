"""The report's 联动转办 table: the period's passings by platform, from the events; absent when there were none."""

from __future__ import annotations

from tests.factories import intake


def _act(client, as_user, ticket_id, action, body):  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", headers=as_user("dispatcher"), json=body)
    assert r.status_code == 200, r.text


def _new(client, as_user, **extra) -> dict:  # type: ignore[no-untyped-def]
    return client.post("/api/v1/tickets", json=intake(**extra), headers=as_user("operator")).json()


def test_the_report_counts_passings_by_platform(client, as_user, lines) -> None:
    before = client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json()
    assert "linkage" not in {t["key"] for t in before["tables"]}

    for _ in range(2):
        t = _new(client, as_user)
        _act(client, as_user, t["id"], "transfer_out", {"line_id": lines["shanghai"], "reason": "属上海市办理的事项"})
    _act(client, as_user, t["id"], "linked_answer", {"content": "已由浦东新区处置完毕"})
    t = _new(client, as_user)
    _act(client, as_user, t["id"], "transfer_out", {"line_id": lines["police"], "reason": "属公安机关管辖的事项"})
    _act(client, as_user, t["id"], "linked_return", {"reason": "非警情，请12345派单"})
    t = _new(client, as_user, linked_from_line_id=lines["police"], linked_from_ref="JJ-1")
    _act(client, as_user, t["id"], "answer_directly",
         {"answer": "已告知来电人办理渠道", "answer_source": "政策文件：办事指南"})
    _act(client, as_user, t["id"], "report_back", {"content": "已答复来电人，结果反馈110"})

    body = client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json()
    table = next(t for t in body["tables"] if t["key"] == "linkage")
    assert table["columns"] == ["联动平台", "转出", "对方反馈", "对方退回", "转入", "反馈转入方"]
    assert {r[0]: r[1:] for r in table["rows"]} == {
        "上海市12345市民服务热线": [2, 1, 0, 0, 0],
        "南京市公安局110报警服务台": [1, 0, 1, 1, 1],
    }
    r = client.get("/api/v1/reports/2026-11/tables/linkage.csv", headers=as_user("analyst"))
    assert r.status_code == 200 and "上海市12345市民服务热线" in r.text
