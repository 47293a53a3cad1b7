"""``python -m nlpcourse.grade``: grade submitted notebooks (instructors guide).

    python -m nlpcourse.grade submissions/ --assignment ch01.json --out grades.csv --jobs 2

Runs every submission in its own process and folder (:mod:`nlpcourse.site.sandbox`) and
scores it (:mod:`nlpcourse.site.grader`), ``--jobs`` at a time, with a progress bar on a
terminal; writes ``grades.csv`` and, next to it, ``feedback/<student>.md`` for each student and
``feedback/written-answers.md`` (:mod:`nlpcourse.site.feedback`). When one student handed in
the same chapter twice, the newest file is graded and the row says so.

``--jobs`` runs submissions in threads that each wait on one sandbox process: the work happens
in those processes and their kernels, so a thread pool is a process pool without pickling.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from nlpcourse.site.assignment import read_assignment
from nlpcourse.site.feedback import write_reports
from nlpcourse.site.grader import Limits, Submission, find_submissions, grade_one, read_submission


def drop_duplicates(subs: list[Submission], assignment: dict) -> list[Submission]:
    """One submission per student and chapter: the newest file; the row names the others."""
    import copy
    keyed: dict[tuple, list[Submission]] = {}
    for sub in subs:
        probe = copy.copy(sub)
        probe.problems, probe.written = [], {}
        read_submission(probe, assignment)             # names the student and the chapter
        sub.student = probe.student
        keyed.setdefault((probe.student, probe.chapter or sub.path.name), []).append(sub)
    kept = []
    for group in keyed.values():
        group.sort(key=lambda s: (s.path.stat().st_mtime, s.path.name))
        newest = group[-1]
        if len(group) > 1:
            others = ", ".join(s.path.name for s in group[:-1])
            newest.problems.append(f"duplicate: {len(group)} submissions; graded the newest, "
                                   f"{newest.path.name} (not {others})")
        kept.append(newest)
    return kept


def shared_cache(choice: str | None) -> str | None:
    """The cache folder the notebooks share: ``--cache``, else the course cache of whoever grades."""
    if choice is not None:
        return None if choice.lower() == "none" else str(Path(choice).resolve())
    from nlpcourse.data.download import CACHE_ENV
    default = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "nlpcourse").expanduser()
    return str(default.resolve()) if default.is_dir() else None


def grade_all(folder: Path, assignment: dict, limits: Limits, jobs: int = 1, progress: bool = False) -> dict:
    """``{student: [graded submissions]}`` for every file of ``folder``."""
    subs = drop_duplicates(find_submissions(folder), assignment)
    students: dict[str, list[Submission]] = {}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(subs), unit="notebook", desc="grading")
    with tempfile.TemporaryDirectory(prefix="nlpcourse-grade-") as work, ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(grade_one, sub, assignment, limits, Path(work)) for sub in subs]
        for future in as_completed(futures):
            sub = future.result()
            students.setdefault(sub.student, []).append(sub)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    return students


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nlpcourse.grade", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of .ipynb files (or one subfolder per student)")
    parser.add_argument("--assignment", type=Path, required=True, help="the file python -m nlpcourse.assign wrote")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="grade table to write")
    parser.add_argument("--feedback", type=Path, default=None, help="folder of feedback pages (default: next to --out)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--cell-timeout", type=int, default=Limits.cell_s, help="seconds per cell")
    parser.add_argument("--notebook-timeout", type=int, default=Limits.notebook_s, help="seconds per notebook")
    parser.add_argument("--memory-gb", type=float, default=Limits.memory_gb, help="memory limit per notebook")
    parser.add_argument("--cache", default=None, metavar="FOLDER",
                        help="course cache every notebook reads, never writes (default: yours, NLPCOURSE_CACHE "
                             "or ~/.cache/nlpcourse; 'none': each notebook fills its own)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    try:
        assignment = read_assignment(args.assignment)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    jobs = max(1, args.jobs)
    limits = Limits(cell_s=args.cell_timeout, notebook_s=args.notebook_timeout, memory_gb=args.memory_gb,
                    threads=max(1, (os.cpu_count() or 1) // jobs), shared_cache=shared_cache(args.cache))
    started = time.monotonic()
    students = grade_all(args.submissions, assignment, limits, jobs, progress=sys.stderr.isatty())
    seconds = time.monotonic() - started
    feedback = args.feedback or args.out.parent / "feedback"
    table = write_reports(students, assignment, args.out, feedback)
    problems = sum(bool(row["problems"]) for row in table)
    notebooks = sum(len(subs) for subs in students.values())
    print(f"{len(table)} students graded into {args.out} ({problems} with problems); feedback in {feedback}/")
    slowest = max((s.seconds for subs in students.values() for s in subs), default=0)
    print(f"{notebooks} notebooks in {seconds:.0f} s with --jobs {jobs} ({seconds / max(1, notebooks):.1f} s a "
          f"notebook; the slowest took {slowest:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
