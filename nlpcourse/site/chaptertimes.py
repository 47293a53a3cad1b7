"""What a chapter costs: seconds per chapter and per cell, measured, against the course's budget.

The test suite records each page's cells as nbval runs them (``conftest.py``) into
``_build/chapter-times-<profile>.json``; ``python scripts/chapter_times.py`` prints them against
the budget and ``--save`` commits them as ``nlpcourse/results/benchmarks/chapter-times-<profile>-<date>.json``.
Each chapter's first cell states its cost from the committed files (:func:`chapter_cost`): the
quick profile as measured on a CPU, the full profile on a GPU when one measured it, never a guess.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

CHAPTER_BUDGET_S = 150   # quick profile, quiet 2-core CPU
CELL_BUDGET_S = 60


def new_run(profile: str, hardware: str) -> dict[str, Any]:
    """An empty record of one run of the pages, with its machine and load."""
    return {"benchmark": "chapter-times", "profile": profile, "pages": {},
            "environment": {"hardware": hardware, "date": dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S"),
                            "cpus": os.cpu_count(), "load_average_before": _load()}}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def add_cell(run: dict[str, Any], page: str, cell: str, seconds: float, passed: bool) -> None:
    entry = run["pages"].setdefault(page, {"seconds": 0.0, "cells": {}, "ok": True})
    entry["cells"][cell] = round(seconds, 2)
    entry["seconds"] = round(entry["seconds"] + seconds, 2)
    entry["ok"] = entry["ok"] and passed


def finish(run: dict[str, Any], path: Path) -> Path:
    """Write the run, keeping the pages of an earlier run at ``path`` that this one did not execute."""
    run["environment"]["load_average_after"] = _load()
    if path.is_file():
        earlier = json.loads(path.read_text())
        if earlier.get("profile") == run["profile"]:
            run["pages"] = {**earlier.get("pages", {}), **run["pages"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(run, indent=1) + "\n")
    tmp.replace(path)
    return path


def slowest(entry: dict[str, Any], n: int = 3) -> list[tuple[str, float]]:
    return sorted(entry["cells"].items(), key=lambda kv: -kv[1])[:n]


def table(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per page: seconds, budget, slowest cells, and what is over budget."""
    rows = []
    for page, entry in sorted(run["pages"].items()):
        cells = slowest(entry)
        over = [f"chapter > {CHAPTER_BUDGET_S} s"] * (entry["seconds"] > CHAPTER_BUDGET_S)
        over += [f"{cell} > {CELL_BUDGET_S} s" for cell, s in entry["cells"].items() if s > CELL_BUDGET_S]
        rows.append({"page": page, "seconds": round(entry["seconds"]), "budget s": CHAPTER_BUDGET_S,
                     "slowest cells": ", ".join(f"{cell} {s:.0f} s" for cell, s in cells),
                     "ran": "yes" if entry["ok"] else "FAILED", "over budget": "; ".join(over) or "–"})
    return rows


def _latest(profile: str, benchmarks_dir: Path | None) -> dict[str, Any] | None:
    from nlpcourse.leaderboard import BENCHMARKS_DIR, load_benchmark
    try:
        return load_benchmark(f"chapter-times-{profile}-*.json", benchmarks_dir or BENCHMARKS_DIR)[0]
    except FileNotFoundError:
        return None


def chapter_cost(chapter: int, benchmarks_dir: Path | None = None) -> str:
    """One line: what chapter ``chapter`` costs in each profile, as last measured (chapter 1)."""
    parts = []
    for profile in ("quick", "full"):
        run = _latest(profile, benchmarks_dir)
        entry = next((e for page, e in (run or {}).get("pages", {}).items() if page.startswith(f"{chapter:02d}_")), None)
        if entry is None:
            parts.append(f"{profile} profile: not yet measured on {'a GPU' if profile == 'full' else 'a CPU'}")
            continue
        env = run["environment"]
        memory = f", peak GPU memory {entry['peak_gpu_memory_gb']:.1f} GB" if "peak_gpu_memory_gb" in entry else ""
        parts.append(f"{profile} profile {entry['seconds'] / 60:.1f} min on {env['hardware']}{memory} "
                     f"(measured {env['date'][:10]})")
    return "This chapter costs: " + "; ".join(parts) + "."


def status_markdown(benchmarks_dir: Path | None = None) -> str:
    """The status page's tables: each profile's last committed run of the pages, against the budget."""
    blocks = []
    for profile in ("quick", "full"):
        run = _latest(profile, benchmarks_dir)
        if run is None:
            blocks.append(f"**{profile} profile**: not yet measured" + (" on a GPU." if profile == "full" else "."))
            continue
        env, rows = run["environment"], table(run)
        load = f"load average {env['load_average_before'][0]} before" if env.get("load_average_before") else ""
        blocks.append(f"**{profile} profile**, {env['hardware']}, {env['date'][:10]} ({load}); "
                      f"budget {CHAPTER_BUDGET_S} s a chapter, {CELL_BUDGET_S} s a cell:\n")
        header = list(rows[0]) if rows else []
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
