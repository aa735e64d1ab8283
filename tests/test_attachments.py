"""Attachments: stored content-addressed, checked against their first bytes, readable by those who
handle the ticket, every download audited."""

from __future__ import annotations

import asyncio

import pytest

from hotline.security.models import AuditEntry
from tests.factories import intake

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(200)
PDF = b"%PDF-1.4\n" + b"0" * 100


@pytest.fixture()
def files_dir(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "attachments_dir", tmp_path / "files")
    return tmp_path / "files"


def _ticket(client, as_user) -> int:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _upload(client, as_user, who, tid, name, data):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{tid}/attachments", headers=as_user(who),
                       files={"file": (name, data, "application/octet-stream")})


def test_upload_list_download_and_audit(client, as_user, db, files_dir) -> None:
    tid = _ticket(client, as_user)
    r = _upload(client, as_user, "operator", tid, "现场照片.jpg", JPEG)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["filename"] == "现场照片.jpg" and body["content_type"] == "image/jpeg" and body["stored"] is True
    # The same file again is a second attachment but one stored file.
    assert _upload(client, as_user, "dispatcher", tid, "again.jpg", JPEG).status_code == 201
    assert len([p for p in files_dir.rglob("*") if p.is_file()]) == 1
    listing = client.get(f"/api/v1/tickets/{tid}/attachments", headers=as_user("supervisor")).json()
    assert [a["filename"] for a in listing] == ["现场照片.jpg", "again.jpg"]
    r = client.get(listing[0]["url"], headers=as_user("supervisor"))
    assert r.status_code == 200 and r.content == JPEG and r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    db.rollback()
    actions = [a.action for a in db.query(AuditEntry).order_by(AuditEntry.id)]
    db.rollback()
    assert actions.count("upload_attachment") == 2 and actions.count("download_attachment") == 1


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("virus.jpg", b"MZ\x90\x00" + bytes(100), 422, "文件内容与扩展名“.jpg”不符"),
    ("tool.exe", b"MZ\x90\x00", 422, "不支持的文件类型“.exe”"),
    ("empty.pdf", b"", 422, "文件是空的"),
    ("noext", b"hello", 422, "不支持的文件类型“无扩展名”"),
])
def test_bad_files_are_refused_clearly(client, as_user, files_dir, name, data, status, message) -> None:
    tid = _ticket(client, as_user)
    r = _upload(client, as_user, "operator", tid, name, data)
    assert r.status_code == status and message in r.json()["message"], r.text
    assert client.get(f"/api/v1/tickets/{tid}/attachments", headers=as_user("operator")).json() == []


def test_size_limit_and_names_from_the_browser(client, as_user, settings, files_dir, monkeypatch) -> None:
    tid = _ticket(client, as_user)
    monkeypatch.setattr(settings, "attachment_max_bytes", 1024 * 1024)
    r = _upload(client, as_user, "operator", tid, "big.pdf", PDF + bytes(1024 * 1024))
    assert r.status_code == 413 and "上限 1 MB" in r.json()["message"]
    r = _upload(client, as_user, "operator", tid, "..\\..\\etc/报告.pdf", PDF)
    assert r.status_code == 201 and r.json()["filename"] == "报告.pdf"
    r = _upload(client, as_user, "operator", tid, "说明.txt", "门牌号 12 号，联系人在外地。".encode("gb18030"))
    assert r.status_code == 201 and r.json()["content_type"].startswith("text/plain")


def test_units_see_files_only_while_they_handle_the_ticket(client, as_user, org, files_dir) -> None:
    tid = _ticket(client, as_user)
    url = _upload(client, as_user, "operator", tid, "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(50)).json()["url"]
    r = _upload(client, as_user, "housing_handler", tid, "proof.pdf", PDF)
    assert r.status_code == 403
    r = client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id})
    assert r.status_code == 200
    r = _upload(client, as_user, "housing_handler", tid, "整改照片.pdf", PDF)
    assert r.status_code == 201, r.text
    assert r.json()["uploaded_by"].endswith(f"（{org.units['housing'].short_name}）")  # the actor's name says it
    assert client.get(url, headers=as_user("housing_handler")).status_code == 200
    assert client.get(url, headers=as_user("market_handler")).status_code == 403
    r = client.post(f"/api/v1/tickets/{tid}/actions/reassign", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["market"].id, "reason": "职责调整"})
    assert r.status_code == 200, r.text
    # Reassigned away: the housing bureau no longer reads the files; the market bureau now does.
    r = client.get(url, headers=as_user("housing_handler"))
    assert r.status_code == 403 and "不在办理" in r.json()["message"]
    assert client.get(url, headers=as_user("market_handler")).status_code == 200


def test_the_parents_unit_reads_the_files_of_a_ticket_merged_into_it(client, as_user, org, files_dir) -> None:
    """QA: the unit handling a parent read the merged tickets' requests but not their photos (不在办理)."""
    parent, child = _ticket(client, as_user), _ticket(client, as_user)
    url = _upload(client, as_user, "operator", child, "现场.jpg", JPEG).json()["url"]
    for tid, unit in ((parent, "housing"), (child, "market")):
        r = client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                        json={"lead_unit_id": org.units[unit].id})
        assert r.status_code == 200, r.text
    number = client.get(f"/api/v1/tickets/{parent}", headers=as_user("dispatcher")).json()["number"]
    r = client.post(f"/api/v1/tickets/{child}/actions/merge", headers=as_user("dispatcher"),
                    json={"parent_number": number})
    assert r.status_code == 200, r.text
    assert client.get(url, headers=as_user("housing_handler")).status_code == 200
    # the merged ticket's own former unit, and a unit with no part, do not
    assert client.get(url, headers=as_user("market_handler")).status_code == 403
    assert client.get(url, headers=as_user("street_handler")).status_code == 403
    # nor once the parent's unit has replied (its task closed)
    client.post(f"/api/v1/tickets/{parent}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    r = client.post(f"/api/v1/tickets/{parent}/actions/reply", headers=as_user("housing_handler"),
                    json={"content": "已责令餐馆加装消声设备，经复测达标。"})
    assert r.status_code == 200, r.text
    assert client.get(url, headers=as_user("housing_handler")).status_code == 403


def test_ticket_page_lists_files_and_uploads_with_csrf(client, as_user, files_dir) -> None:
    from tests.test_pages import csrf_of, login

    tid = _ticket(client, as_user)
    number = client.get(f"/api/v1/tickets/{tid}", headers=as_user("operator")).json()["number"]
    login(client, "operator")
    page = client.get(f"/tickets/{number}").text
    assert "暂无附件" in page and 'enctype="multipart/form-data"' in page
    token = csrf_of(client, f"/tickets/{number}")
    r = client.post(f"/tickets/{number}/attachments", data={"csrf_token": token},
                    files={"file": ("现场.jpg", JPEG, "image/jpeg")}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/tickets/{number}").text
    assert "已上传附件：现场.jpg" in page and f"/api/v1/tickets/{tid}/attachments/" in page
    # The upload is a line of the history too, after registration, naming the file and who uploaded it.
    history = page[page.index("流转记录"):]
    assert "上传附件" in history and "现场.jpg" in history
    assert history.index("受理登记") < history.index("现场.jpg")
    r = client.post(f"/tickets/{number}/attachments", data={"csrf_token": token},
                    files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert "不支持的文件类型" in r.text
    r = client.post(f"/tickets/{number}/attachments", data={"csrf_token": "wrong"},
                    files={"file": ("y.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 403


def test_declared_metadata_is_never_served(client, as_user, files_dir) -> None:
    """A client may describe attachments at registration; a file is served only if it was uploaded
    here, and always with the type its extension gives, not the declared one."""
    tid = _ticket(client, as_user)
    page = b"<script>alert(1)</script>"
    stored = _upload(client, as_user, "operator", tid, "note.txt", page).json()
    # (the public API refuses attachment rows; a staff client or a channel may still declare them)
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json={
        **intake(), "attachments": [{"filename": "photo.html", "content_type": "text/html", "size_bytes": 10,
                                     "sha256": stored["sha256"]}]})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    public_id = client.get(f"/api/v1/tickets/by-number/{number}", headers=as_user("operator")).json()["id"]
    listing = client.get(f"/api/v1/tickets/{public_id}/attachments", headers=as_user("operator")).json()
    assert listing[0]["stored"] is False and listing[0]["sha256"] is None
    r = client.get(listing[0]["url"], headers=as_user("operator"))
    assert r.status_code == 404 and "未上传" in r.json()["message"]
    r = client.get(stored["url"], headers=as_user("operator"))
    assert r.headers["content-type"].startswith("text/plain") and "sandbox" in r.headers["content-security-policy"]


def test_long_utf8_text_is_accepted() -> None:
    from hotline.tickets.attachments import TYPES, _looks_like

    text = ("市民反映小区门口道路破损严重。" * 400).encode()  # 4 KB cut falls inside a character
    assert len(text) > 4096 and _looks_like(TYPES[".txt"], ".txt", text)


def test_a_chunked_upload_is_refused_once_it_passes_the_limit(client, as_user, files_dir, monkeypatch) -> None:
    """No Content-Length to check in advance: the body is counted as it arrives."""
    tid = _ticket(client, as_user)
    monkeypatch.setattr("hotline.app.MAX_UPLOAD_BYTES", 1024 * 1024)
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()

    def chunks():  # type: ignore[no-untyped-def]
        yield head + PDF
        for _ in range(24):
            yield bytes(64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(f"/api/v1/tickets/{tid}/attachments", content=chunks(),
                    headers=as_user("operator", **{"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert r.status_code == 413 and "上限 1 MB" in r.json()["message"], r.text
    assert client.get(f"/api/v1/tickets/{tid}/attachments", headers=as_user("operator")).json() == []
    assert not files_dir.exists() or not [p for p in files_dir.rglob("*") if p.is_file()]


def test_the_limit_stops_reading_at_the_limit() -> None:
    """The middleware itself: a 2 MB limit, 64 KB chunks — the app sees no chunk past the limit."""
    from hotline.app import MAX_BODY_BYTES, LimitBody

    chunk = bytes(64 * 1024)
    pulled = 0
    sent: list[dict] = []

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        while True:
            await receive()

    from hotline.errors_http import BodyTooLarge

    scope = {"type": "http", "path": "/api/v1/tickets", "headers": []}
    with pytest.raises(BodyTooLarge):
        asyncio.run(LimitBody(app)(scope, receive, send))
    assert pulled == MAX_BODY_BYTES // len(chunk) + 1


def test_roles_without_personal_data_read_no_files(client, as_user, files_dir) -> None:
    """QA: analysts and editors, masked everywhere else, downloaded a 身份证.png."""
    from tests.test_pages import login

    tid = _ticket(client, as_user)
    url = _upload(client, as_user, "operator", tid, "身份证.png", b"\x89PNG\r\n\x1a\n" + bytes(50)).json()["url"]
    for role in ("analyst", "editor"):
        r = client.get(url, headers=as_user(role))
        assert r.status_code == 403 and "个人信息" in r.json()["message"], role
    assert client.get(url, headers=as_user("supervisor")).status_code == 200
    number = client.get(f"/api/v1/tickets/{tid}", headers=as_user("operator")).json()["number"]
    login(client, "analyst")
    page = client.get(f"/tickets/{number}").text
    assert "身份证.png" in page and "当前角色无权查看工单附件" in page and 'name="file"' not in page
