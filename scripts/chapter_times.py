"""Each chapter's seconds and its slowest cells against the budget, from the last test run.

    python scripts/chapter_times.py              # the quick profile's last run (pytest records it)
    python scripts/chapter_times.py --save       # also commit it as the chapters' stated cost
    python scripts/chapter_times.py --profile full

``pytest`` writes ``_build/chapter-times-<profile>.json`` as it runs the chapters; ``--save``
copies it to ``nlpcourse/results/benchmarks/chapter-times-<profile>-<date>.json``, which each
chapter's first cell and the status page read. Budget (quick profile, quiet 2-core CPU): 150 s a
chapter, 60 s a cell.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlpcourse.site import chaptertimes  # noqa: E402
from nlpcourse.leaderboard import BENCHMARKS_DIR  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    parser.add_argument("--run", type=Path, help="a recorded run (default: _build/chapter-times-<profile>.json)")
    parser.add_argument("--save", action="store_true", help="commit the run as the chapters' stated cost")
    args = parser.parse_args(argv)
    path = args.run or ROOT / "_build" / f"chapter-times-{args.profile}.json"
    if not path.is_file():
        sys.exit(f"no recorded run at {path}: run pytest (it records every chapter it executes)")
    run = json.loads(path.read_text())
    env = run["environment"]
    print(f"{run['profile']} profile, {env['hardware']}, {env['date']}; load average (1 min) "
          f"{env['load_average_before'][:1]} before, {env.get('load_average_after', ['?'])[:1]} after")
    rows = chaptertimes.table(run)
    widths = {key: max(len(key), *(len(str(row[key])) for row in rows)) for key in rows[0]} if rows else {}
    print("  ".join(key.ljust(width) for key, width in widths.items()))
    for row in rows:
        print("  ".join(str(row[key]).ljust(width) for key, width in widths.items()))
    total = sum(entry["seconds"] for entry in run["pages"].values())
    print(f"all pages: {total:.0f} s")
    if args.save:
        target = BENCHMARKS_DIR / f"chapter-times-{run['profile']}-{env['date'][:10]}.json"
        target.write_text(json.dumps(run, indent=1) + "\n")
        print(f"saved {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
