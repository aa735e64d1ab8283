"""Saving and loading a trained classifier (joblib) together with its metadata: labels, the
training data description, cross-validated figures, thresholds, hyper-parameters and library
versions."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from hotline.dispatch.model import TextClassifier

FORMAT = "hotline.dispatch.model/1"


class ModelError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("hotline12345", "scikit-learn", "numpy", "scipy", "jieba", "joblib"):
        try:
            versions[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            versions[dist] = "?"
    return versions


def describe(model: TextClassifier, *, training_data: dict[str, Any], seconds: float | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(model.classes_),
        "training_data": training_data,
        "training_seconds": None if seconds is None else round(seconds, 1),
        "cross_validation": model.cv,
        "thresholds": model.thresholds,
        "target_precision": model.config.target_precision,
        "config": model.config.to_dict(),
        "versions": library_versions(),
    }


def save(model: TextClassifier, path: Path, meta: dict[str, Any]) -> None:
    import joblib

    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: a server loading the model never reads half a file.
    tmp = path.with_name(f".{path.name}.tmp")
    joblib.dump({"format": FORMAT, "meta": meta, "model": model}, tmp, compress=3)
    os.replace(tmp, path)


def load(path: Path) -> tuple[TextClassifier, dict[str, Any]]:
    import joblib

    path = Path(path)
    if not path.is_file():
        raise ModelError("model_not_found", f"找不到模型文件：{path}")
    try:
        blob = joblib.load(path)
    except Exception as exc:  # a truncated or foreign file: say so rather than show a traceback
        raise ModelError("model_unreadable", f"无法读取模型文件 {path}：文件已损坏或不是 hotline dispatch 模型"
                                             f"（{type(exc).__name__}）") from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or not isinstance(blob.get("model"), TextClassifier):
        raise ModelError("model_format", f"{path} 不是 hotline dispatch 模型文件")
    return blob["model"], blob["meta"]
