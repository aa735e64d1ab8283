"""The uploaded file of an import page between its preview and its confirmation.

Why this way: the server keeps the bytes it previewed, under a random id bound to the uploader and
valid for an hour, so a confirmation can only import a file this server read for this editor — not
rows or a file the browser sends back (which it could alter), and without asking the editor to pick
the file again. The bytes (at most bulk.MAX_BYTES, 20 MB) go to the deployment's upload storage (`attachments_dir`,
already shared by the workers), so no table and no migration is needed; confirming re-plans them
against the database as it is then (knowledge/bulk.py compares the plan's digest with the one the
editor saw) and deletes them. Files older than two hours are swept at the next upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hotline.errors import NotFound
from hotline.runtime import Runtime
from hotline.security.actor import Actor

TTL = timedelta(hours=1)
SWEEP_AFTER_SECONDS = 2 * 3600  # twice the validity: a stale upload never lingers for long
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class Upload:
    token: str
    filename: str
    sha256: str
    data: bytes
    created_at: datetime


def _root(rt: Runtime) -> Path:
    return Path(rt.settings.attachments_dir) / "kb-imports"


def _write(path: Path, data: bytes) -> None:
    """Written to a temporary name and renamed: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sweep(root: Path) -> None:
    cutoff = time.time() - SWEEP_AFTER_SECONDS
    for path in root.glob("*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def save(rt: Runtime, *, actor: Actor, filename: str, data: bytes) -> Upload:
    root = _root(rt)
    root.mkdir(parents=True, exist_ok=True)
    _sweep(root)
    token = secrets.token_urlsafe(24)
    now = rt.clock.now()
    sha = hashlib.sha256(data).hexdigest()
    meta = {"user_id": actor.user_id, "filename": filename, "sha256": sha, "created_at": now.isoformat()}
    _write(root / f"{token}.bin", data)
    _write(root / f"{token}.json", json.dumps(meta, ensure_ascii=False).encode())
    return Upload(token=token, filename=filename, sha256=sha, data=data, created_at=now)


def load(rt: Runtime, *, actor: Actor, token: str) -> Upload:
    """The upload under this id, if it is this editor's and not expired; NotFound otherwise (the
    same answer for another editor's id, so ids cannot be probed)."""
    gone = NotFound("kb_import_expired", "导入批次不存在或已过期（上传后 1 小时内有效），请重新上传文件")
    if not _TOKEN.fullmatch(token):
        raise gone
    root = _root(rt)
    try:
        meta = json.loads((root / f"{token}.json").read_text(encoding="utf-8"))
        data = (root / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise gone from None
    created = datetime.fromisoformat(meta["created_at"])
    if meta.get("user_id") != actor.user_id or rt.clock.now() - created > TTL \
            or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise gone
    return Upload(token=token, filename=str(meta["filename"]), sha256=meta["sha256"], data=data, created_at=created)


def discard(rt: Runtime, *, token: str) -> None:
    if _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (_root(rt) / f"{token}{suffix}").unlink(missing_ok=True)
