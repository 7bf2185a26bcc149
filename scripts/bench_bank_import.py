"""Benchmark of bank import (a benchmark, not a test): time and peak memory of importing a
10,000-item bank from YAML and from Excel (the same bank), first into an
empty database and then again unchanged, each beside a same-run baseline: the bare parse
of the same file by its library (PyYAML's C loader for YAML, openpyxl read-only reading every
row for Excel).

    .venv/bin/python scripts/bench_bank_import.py                 # 10,000 items, SQLite
    .venv/bin/python scripts/bench_bank_import.py --items 2000
    .venv/bin/python scripts/bench_bank_import.py --database-url postgresql+psycopg://...

Every measurement runs in its own fresh process, so "peak" is that process's whole peak
resident memory (ru_maxrss: interpreter, libraries and all), the number an operator sees.
The aims (issue 11): 10,000 items in ≤ 10 s and ≤ 200 MiB; an unchanged re-import
short-circuits on the stored digest."""

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CREDIT_BODY = "52340400MJ8800002"


def bank_yaml(items: int) -> str:
    """A valid bank of `items` items over 3 areas × 10 points, all four item types."""
    lines = [
        "format: jiping-bank/1",
        "bank:",
        "  code: BENCH-1",
        "  name: 基准测试题库",
        '  occupation: "6-31-01-03"',
        '  direction: ""',
        "  levels: [intermediate]",
        "outline:",
    ]
    for area, weight in (("A", 30), ("B", 50), ("C", 20)):
        lines += [
            f"  - area: {area}",
            f"    name: 鉴定范围{area}",
            f"    weight: {weight}",
            "    points:",
        ]
        for p in range(1, 11):
            lines += [
                f'      - code: "{p:03d}"',
                f"        name: 鉴定点{area}{p:03d}",
                "        importance: X",
            ]
    lines.append("items:")
    for n in range(items):
        area, point = "ABC"[n % 3], f"{n % 10 + 1:03d}"
        kind = n % 4
        lines += [
            f"  - id: BM-{n:05d}",
            f"    type: {('single_choice', 'multiple_choice', 'true_false', 'fill_in')[kind]}",
            f"    area: {area}",
            f'    point: "{point}"',
            f"    difficulty: {n % 5 + 1}",
            "    points: 1",
        ]
        if kind == 0:
            lines += [
                f"    stem: 第 {n} 题：三相异步电动机的同步转速与（　　）有关。",
                "    options:",
                "      A: 电源频率和磁极对数",
                "      B: 负载大小",
                "      C: 转子电阻",
                "      D: 环境温度",
                "    key: A",
            ]
        elif kind == 1:
            lines += [
                f"    stem: 第 {n} 题：下列属于低压电器的有（　　）。",
                "    options:",
                "      A: 接触器",
                "      B: 热继电器",
                "      C: 高压断路器",
                "      D: 按钮",
                "    key: [A, B, D]",
            ]
        elif kind == 2:
            lines += [f"    stem: 第 {n} 题：熔断器主要用于短路保护。", "    key: true"]
        else:
            lines += [
                f"    stem: 第 {n} 题：我国工频交流电的频率为 ____。",
                "    key:",
                "      numeric: {value: 50, tolerance: 0}",
                "      unit: Hz",
            ]
        lines.append("    explanation: 基准测试用题。")
    return "\n".join(lines) + "\n"


def workbook_of(path: Path) -> bytes:
    from app.banks import excel
    from app.banks import format as bank_format

    bank = bank_format.parse_bank_file(path.read_bytes(), path.name)
    return excel.write_workbook(
        bank.header, bank.outline, [(i.external_id, i) for i in bank.items], bank.enemy_groups
    )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(setup: Callable[[], Callable[[], str]], out: Any) -> None:
    work = setup()  # imports and connections, not timed
    started, cpu = time.perf_counter(), time.process_time()
    detail = work()
    out.put((time.perf_counter() - started, time.process_time() - cpu, peak_mib(), detail))


def in_child(setup: Callable[[], Callable[[], str]]) -> tuple[float, float, float, str]:
    """Run setup() and then the work it returns in a fresh process, timing the work only:
    (wall seconds, CPU seconds of the process, peak MiB of the process, what it said).
    On a shared machine the CPU seconds are the figure to compare; wall time includes
    waiting for a core."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(setup, out))
    proc.start()
    result = out.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def baseline_yaml(path: Path) -> Callable[[], Callable[[], str]]:
    def setup() -> Callable[[], str]:
        import yaml

        def work() -> str:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            return f"{len(doc['items'])} items parsed"

        return work

    return setup


def baseline_xlsx(path: Path) -> Callable[[], Callable[[], str]]:
    def setup() -> Callable[[], str]:
        from openpyxl import load_workbook

        def work() -> str:
            book = load_workbook(path, read_only=True, data_only=True)
            rows = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
            book.close()
            return f"{rows} rows read"

        return work

    return setup


def import_file(database_url: str, path: Path) -> Callable[[], Callable[[], str]]:
    def setup() -> Callable[[], str]:
        import app.models  # noqa: F401  (every table, as the app has them)
        from app.core.db import make_engine, set_engine

        set_engine(make_engine(database_url))
        return work

    def work() -> str:
        from app.banks import service as banks
        from app.core.db import session_scope
        from app.reference import service as reference

        with session_scope() as db:
            centre = reference.centre_by_credit_code(db, CREDIT_BODY + "0")
            assert centre is not None and centre.id is not None
            result = banks.import_bank_file(
                db, centre_id=centre.id, filename=path.name, content=path.read_bytes(), actor=None
            )
            return result.summary

    return setup


def prepare(database_url: str) -> None:
    from app.core.db import make_engine, session_scope, set_engine
    from app.core.migrate import upgrade_to_head
    from app.reference import service as reference
    from app.reference.models import EvaluationCentre

    upgrade_to_head(database_url)
    set_engine(make_engine(database_url))
    with session_scope() as db:
        reference.ensure_shipped_occupations(db)
        # The check character is not validated here: a benchmark centre, made directly.
        db.add(
            EvaluationCentre(
                name="基准测试中心",
                credit_code=CREDIT_BODY + "0",
                evaluator_type="S",
                province_code="34",
                region_code="340400",
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ.setdefault("JIPING_ENVIRONMENT", "development")

    with tempfile.TemporaryDirectory(prefix="jiping-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        path = Path(tmp) / "bench_bank.yaml"
        path.write_text(bank_yaml(args.items), encoding="utf-8")
        size = path.stat().st_size / 1024 / 1024
        in_child(lambda: lambda: (prepare(url), "")[1])
        print(f"{args.items:,} items, YAML file {size:.1f} MiB, database {url.split('://')[0]}")

        xlsx = Path(tmp) / "bench_bank.xlsx"
        # Written in a child too: this process stays small, so that the children forked
        # from it measure their own memory, not what they inherited.
        in_child(lambda: lambda: (xlsx.write_bytes(workbook_of(path)), "")[1])
        print(f"Excel workbook {xlsx.stat().st_size / 2**20:.1f} MiB")
        print(f"{'step':<50} {'wall s':>7} {'CPU s':>7} {'CPU × baseline':>15} {'peak MiB':>9}")
        for kind, bare, file, fresh in (
            ("YAML", baseline_yaml(path), path, url),
            ("Excel", baseline_xlsx(xlsx), xlsx, url.replace("bench.db", "bench_xlsx.db")),
        ):
            if fresh != url:
                in_child(lambda fresh=fresh: lambda: (prepare(fresh), "")[1])
            base = in_child(bare)
            first = in_child(import_file(fresh, file))
            again = in_child(import_file(fresh, file))
            rows = [
                (f"{kind} baseline: bare parse of the same file", base),
                (f"{kind} import into an empty database", first),
                (f"{kind} re-import unchanged", again),
            ]
            for name, (wall, cpu, mib, _) in rows:
                print(f"{name:<50} {wall:>7.2f} {cpu:>7.2f} {cpu / base[1]:>14.2f}× {mib:>9.0f}")
            print(f"  first: {first[3]}\n  again: {again[3]}")


if __name__ == "__main__":
    main()
