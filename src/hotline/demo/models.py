"""The demo city's dispatch models — a category model (level 2) and a kind model (诉求类型) —
trained from its own closed tickets the way `hotline dispatch retrain` trains them, so that its
pages show what the models propose (the ticket page's 派单建议, the intake form's hints).

They are kept beside a SQLite database (hotline-demo.db → hotline-demo-models/), else in
./hotline-demo-models; `hotline demo` serves with them unless HOTLINE_DISPATCH_MODEL or
HOTLINE_KIND_MODEL say otherwise. The demo's requests are written from templates, so these models
are right nearly always: their figures say nothing of real data (docs/dispatch.md has those)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.dispatch.model import ClassifierConfig, TrainingError
from hotline.dispatch.retrain import retrain

MODELS = {"category": "category.joblib", "kind": "kind.joblib"}
CONFIG = ClassifierConfig(folds=3, n_jobs=2)  # three folds: the demo's build stays short


def models_dir(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(f"{db.stem}-models")
    return Path("hotline-demo-models")


def paths(settings: Settings) -> dict[str, Path]:
    """The demo's model files that exist."""
    folder = models_dir(settings)
    return {name: folder / file for name, file in MODELS.items() if (folder / file).is_file()}


def forget(settings: Settings) -> None:
    """A rebuilt demo's old models go with its old tickets."""
    for file in MODELS.values():
        (models_dir(settings) / file).unlink(missing_ok=True)


def train(db: Session, settings: Settings, console: Console) -> dict[str, Path]:
    folder = models_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    made: dict[str, Path] = {}
    for name, label, level in (("category", "category", 2), ("kind", "kind", 1)):
        path = folder / MODELS[name]
        try:
            retrain(db, model_path=path, label=label, level=level, min_per_class=20, config=CONFIG)
        except TrainingError as exc:  # too few closed tickets (a small demo): served without it
            console.print(f"[yellow]未训练{'分类' if name == 'category' else '诉求类型'}模型：{exc}[/]")
            continue
        made[name] = path
    console.print(f"派单模型已从已办结工单训练（{'、'.join(made) or '无'}，{time.perf_counter() - started:.0f} 秒）："
                  f"{folder}")
    return made
