"""`hotline dispatch train | evaluate | predict`: the Typer sub-app of the dispatch classifiers.
Bad input (a missing column, an unreadable CSV or model) → a Chinese message and exit code 2."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.cli_support import fail as _fail

dispatch_app = typer.Typer(help="派单智能：诉求类型与分类模型的训练、评估与预测", no_args_is_help=True)

InputOpt = Annotated[list[Path], typer.Option("--input", help="labelled CSV file (repeat for several)")]
TitleOpt = Annotated[str | None, typer.Option("--title-col", help="title column (may be absent)")]
ContentOpt = Annotated[str | None, typer.Option("--content-col", help="content column (may be absent)")]
LabelOpt = Annotated[str, typer.Option("--label-col", help="label column")]
ModelOpt = Annotated[Path, typer.Option("--model", help="model file (.joblib)")]


def _notes(notes: list[str]) -> None:
    for note in notes:
        typer.secho(note, fg=typer.colors.YELLOW, err=True)


class _RichProgress:
    """The model's Progress protocol drawn as rich progress bars, one per stage, on stderr."""

    def __init__(self, progress: Any) -> None:
        self._p = progress
        self._task: Any = None

    def stage(self, name: str, total: int) -> None:
        if self._task is not None:
            self._p.update(self._task, completed=self._p.tasks[self._task].total)
        self._task = self._p.add_task(name, total=max(total, 1))

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._p.advance(self._task, n)


def _check_settings(*, folds: int, target_precision: float, jobs: int) -> None:
    if folds < 2:
        raise _fail("--folds 至少为 2（交叉验证需要至少两折）")
    if not 0 < target_precision < 1:
        raise _fail("--target-precision 必须大于 0 且小于 1")
    if jobs < 1:
        raise _fail("--jobs 至少为 1")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2%}"


@dispatch_app.command("train")
def train(
    input: InputOpt,
    label_col: LabelOpt,
    model: ModelOpt,
    title_col: TitleOpt = None,
    content_col: ContentOpt = None,
    folds: Annotated[int, typer.Option(help="cross-validation folds (calibration, threshold)")] = 5,
    target_precision: Annotated[float, typer.Option(help="precision the auto-dispatch threshold must reach")] = 0.98,
    precision_confidence: Annotated[float | None, typer.Option(
        help="confidence level of the lower bound of the CV precision that must reach the target (0: point estimate)",
    )] = None,
    jobs: Annotated[int, typer.Option(help="worker processes/threads")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 12345,
    link: Annotated[bool, typer.Option("--link/--no-link",
                                       help="pair title-only rows with content-only rows of the same label")] = True,
    category_tree: Annotated[Path | None, typer.Option(
        help="category tree CSV: first column the label, then the names beneath it (used as training knowledge)",
    )] = None,
) -> None:
    """Train a classifier from labelled CSV and save it with its cross-validated figures."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.dispatch.dataset import DatasetError
    from hotline.dispatch.model import ClassifierConfig, TrainingError
    from hotline.dispatch.store import ModelError
    from hotline.dispatch.training import train_csv

    _check_settings(folds=folds, target_precision=target_precision, jobs=jobs)
    if precision_confidence is not None and not 0 <= precision_confidence < 1:
        raise _fail("--precision-confidence 必须在 0（不设置信下界）与 1 之间，且小于 1")
    config = ClassifierConfig(folds=folds, target_precision=target_precision, n_jobs=jobs, seed=seed)
    if precision_confidence is not None:
        config = replace(config, precision_confidence=precision_confidence)
    console = Console(stderr=True)
    try:
        with Progress(TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as bar:
            meta, notes = train_csv(input, title_col=title_col, content_col=content_col, label_col=label_col,
                                    model_path=model, config=config, progress=_RichProgress(bar),
                                    link=link, category_tree=category_tree)
    except (DatasetError, TrainingError, ModelError) as exc:
        raise _fail(getattr(exc, "message", str(exc))) from exc
    except OSError as exc:
        raise _fail(f"无法写入模型文件 {model}：{exc.strerror or exc}") from exc
    _notes(notes)
    cv = meta["cross_validation"]["richest_view"]
    th = meta["thresholds"]
    typer.echo(f"模型已保存：{model}（{meta['training_data']['rows_used']} 行，{len(meta['labels'])} 个类别，"
               f"用时 {meta['training_seconds']} 秒）")
    typer.echo(f"交叉验证：准确率 {_pct(cv['accuracy'])}，macro-F1 {cv['macro_f1']:.4f}，前三命中 "
               f"{_pct(cv['top3_accuracy'])}；自动派单阈值（标题/内容/两者）"
               f"{' / '.join(_pct(th.get(v)) for v in ('title', 'content', 'both'))}，覆盖 "
               f"{_pct(cv['coverage_at_threshold'])}、准确 {_pct(cv['precision_at_threshold'])}")


@dispatch_app.command("evaluate")
def evaluate(
    model: ModelOpt,
    input: InputOpt,
    label_col: LabelOpt,
    title_col: TitleOpt = None,
    content_col: ContentOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    jobs: Annotated[int, typer.Option(help="worker processes for tokenisation")] = 1,
) -> None:
    """Evaluate a saved model on labelled CSV: accuracy, macro-F1, top-3, auto-dispatch coverage."""
    from hotline.dispatch.dataset import DatasetError
    from hotline.dispatch.store import ModelError
    from hotline.dispatch.training import evaluate_csv

    if jobs < 1:
        raise _fail("--jobs 至少为 1")
    try:
        figures, notes = evaluate_csv(model, input, title_col=title_col, content_col=content_col,
                                      label_col=label_col, n_jobs=jobs)
    except (DatasetError, ModelError) as exc:
        raise _fail(exc.message) from exc
    if not figures["n"]:
        raise _fail("评估文件中没有带标签且有文本的行")
    _notes(notes)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(f"样本数 {figures['n']}")
    typer.echo(f"准确率 {_pct(figures['accuracy'])}   macro-F1 {figures['macro_f1']:.4f}   "
               f"前三命中 {_pct(figures['top3_accuracy'])}")
    typer.echo(f"自动派单：覆盖 {_pct(figures['coverage_at_threshold'])}，其中准确 "
               f"{_pct(figures['precision_at_threshold'])}")


@dispatch_app.command("predict")
def predict(
    model: ModelOpt,
    title: Annotated[str | None, typer.Option("--title", help="ticket title")] = None,
    content: Annotated[str | None, typer.Option("--content", help="ticket content")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the prediction as JSON")] = False,
    explain: Annotated[int, typer.Option(help="show this many n-grams that weighed most")] = 5,
) -> None:
    """Classify one ticket: label, calibrated confidence, top three, auto-dispatch or not."""
    from hotline.dispatch.features import view_of
    from hotline.dispatch.store import ModelError, load

    if view_of(title, content) is None:
        raise _fail("请提供 --title 或 --content（至少一项非空）")
    if explain < 0:
        raise _fail("--explain 不能为负数（0 表示不列依据）")
    try:
        clf, _meta = load(model)
    except ModelError as exc:
        raise _fail(exc.message) from exc
    p = clf.predict(title, content, explain=explain)
    if as_json:
        typer.echo(json.dumps(p.to_dict(), ensure_ascii=False))
        return
    decision = "自动派单" if p.auto_dispatch else "人工确认"
    typer.echo(f"{p.label}（置信度 {p.confidence:.2%}，{decision}，阈值 {_pct(p.threshold)}）")
    typer.echo("候选：" + "；".join(f"{lab} {q:.2%}" for lab, q in p.alternatives))
    if p.evidence:
        typer.echo("依据：" + "、".join(g for g, _w in p.evidence))


@dispatch_app.command("retrain")
def retrain(
    model: ModelOpt,
    label: Annotated[str, typer.Option(
        help="category (final category), unit (final lead unit) or kind (诉求类型)")] = "category",
    level: Annotated[int, typer.Option(help="category level to learn (1 = top level)", min=1, max=4)] = 1,
    min_per_class: Annotated[int, typer.Option(help="leave out labels with fewer examples")] = 20,
    folds: Annotated[int, typer.Option(help="cross-validation folds (calibration, threshold)")] = 5,
    target_precision: Annotated[float, typer.Option(help="precision the auto-dispatch threshold must reach")] = 0.98,
    jobs: Annotated[int, typer.Option(help="worker processes/threads")] = 2,
) -> None:
    """Retrain from the platform's own closed tickets (HOTLINE_DATABASE_URL), learning from corrections."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.cli_support import open_session
    from hotline.dispatch.model import ClassifierConfig, TrainingError
    from hotline.dispatch.retrain import retrain as run

    _check_settings(folds=folds, target_precision=target_precision, jobs=jobs)
    if min_per_class < 1:
        raise _fail("--min-per-class 至少为 1")
    config = ClassifierConfig(folds=folds, target_precision=target_precision, n_jobs=jobs)
    _settings, db = open_session()  # an empty database gets its tables (and then has no history)
    try:
        with Progress(TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True)) as bar:
            meta = run(db, model_path=model, label=label, level=level, min_per_class=min_per_class, config=config,
                       progress=_RichProgress(bar))
    except TrainingError as exc:
        raise _fail(getattr(exc, "message", str(exc))) from exc
    finally:
        db.close()
    data = meta["training_data"]
    cv = meta["cross_validation"]["richest_view"]
    typer.echo(f"模型已保存：{model}（已办结工单 {data['rows_used']} 件，{len(meta['labels'])} 类，其中经退单改派的 "
               f"{data['reassigned_examples']} 件；样本过少未用 {data['dropped_rare']} 件）")
    typer.echo(f"交叉验证：准确率 {_pct(cv['accuracy'])}，前三命中 {_pct(cv['top3_accuracy'])}，"
               f"阈值以上覆盖 {_pct(cv['coverage_at_threshold'])}、准确 {_pct(cv['precision_at_threshold'])}")



places_app = typer.Typer(help="地名库：小区、道路、河湖、地标等地名及其属地", no_args_is_help=True)
dispatch_app.add_typer(places_app, name="places")


@places_app.command("learn")
def places_learn(
    apply: Annotated[bool, typer.Option("--apply", help="add the new names to the registry (else only list)")] = False,
    min_support: Annotated[int, typer.Option(help="closed tickets that must name it under one place (2–1000)")] = 3,
    min_purity: Annotated[float, typer.Option(help="share of the tickets naming it that lie under that place")] = 0.9,
    limit: Annotated[int, typer.Option(help="names to print", min=0)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="print the proposals as JSON")] = False,
) -> None:
    """Learn place names from the closed tickets (HOTLINE_DATABASE_URL): a name that keeps coming back
    under one district, street or community is proposed as a name of it."""
    from hotline.cli_support import open_session, runtime
    from hotline.dispatch import place_names
    from hotline.dispatch.place_registry import STATUS_LABELS, check_settings
    from hotline.dispatch.place_registry import learn as run
    from hotline.errors import DomainError
    from hotline.security.actor import Actor

    try:
        check_settings(min_support, min_purity)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    from rich.console import Console

    settings, db = open_session()
    try:
        with db.begin(), Console(stderr=True).status("正在读取已办结工单并学习地名…"):
            report = run(db, runtime(settings), actor=Actor.system(), min_support=min_support,
                         min_purity=min_purity, apply=apply)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps({"tickets": report.tickets, "added": report.added, "refreshed": report.refreshed,
                               "proposals": [{"name": p.learned.name, "jurisdiction_code": p.learned.place.code,
                                              "jurisdiction_name": p.learned.place.name, "kind": p.learned.kind,
                                              "support": p.learned.support, "total": p.learned.total,
                                              "status": p.status, "status_label": STATUS_LABELS[p.status]}
                                             for p in report.proposals]},  # the API's keys
                              ensure_ascii=False))
        return
    counts = "，".join(f"{label} {report.count(s)} 个" for s, label in STATUS_LABELS.items())
    typer.echo(f"已办结工单 {report.tickets} 件，学到地名 {len(report.proposals)} 个：{counts}")
    for p in report.proposals[:limit]:
        x = p.learned
        typer.echo(f"  {x.name:<12} → {x.place.name}（{place_names.KIND_LABELS[x.kind]}，"
                   f"{x.support}/{x.total} 件）{STATUS_LABELS[p.status]}")
    if apply:
        typer.echo(f"已写入地名库：新增 {report.added} 个，更新依据 {report.refreshed} 个")
    elif report.count("new"):
        typer.echo("仅列出，未写入；加 --apply 写入地名库（写入后可在“地名库”页面停用不合适的地名）")


@places_app.command("check")
def places_check(
    limit: Annotated[int, typer.Option(help="newest closed tickets to read (100–200,000)")] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """识别核对: read the closed tickets again and compare the place read with the place each ended
    under, per confidence level — does the calibrated confidence hold in this city?"""
    from hotline.cli_support import open_session
    from hotline.dispatch.place_check import check

    if not 100 <= limit <= 200_000:
        raise _fail("--limit 应在 100 到 200000 之间")
    _settings, db = open_session()
    try:
        result = check(db, limit=limit).as_dict()
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"已办结工单 {result['tickets']} 件，识别出属地 {result['guessed']} 件，"
               f"其中正确 {result['right']} 件（{_pct(result['right_of_guessed'])}）；"
               f"把握度≥{result['act_at']:.0%}（自动采用）{result['acted_on']} 件，"
               f"正确 {_pct(result['right_of_acted_on'])}")
    for lv in result["levels"]:
        typer.echo(f"  把握 {lv['confidence']:.0%}：{lv['guesses']} 件，正确 {_pct(lv['right_share'])}")

