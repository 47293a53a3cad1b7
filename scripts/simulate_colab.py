"""Rehearse the chapters on Colab's own runtime, as a learner meets them (setup page).

    python scripts/simulate_colab.py --python ~/.pyenv/versions/3.13.0/bin/python3.13
    python scripts/simulate_colab.py notebooks/02_word_vectors.ipynb --venv /tmp/colab-venv
    python scripts/simulate_colab.py --out rehearsal.json       # the table as JSON too

1. A fresh virtual environment is built with the interpreter given by ``--python`` (its version
   must be the one Colab uses) and Colab's preinstalled packages at the versions of the snapshot
   ``scripts/colab_runtime.txt`` (its date and source in its header), never ``constraints.txt``.
2. The repository is cloned as it is committed, which is what Colab's ``git+`` install sees.
3. Each chapter's ``.ipynb`` runs top to bottom in that environment (quick profile, a fresh
   cache, ``NLPCOURSE_DATA`` as set here), in an empty working folder, with ``google.colab``
   imported at kernel start as on Colab. So the notebook's own first cell runs its
   ``%pip install``, with the repository URL rewritten to ``git+file://`` of the clone: a real,
   non-editable install. Then the leaderboard page runs with what the chapters installed.
4. Prints a table: each page's result and seconds, the error of a failure, and every
   preinstalled package that an install replaced (there must be none). Exits 1 on any failure
   or replacement.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "colab-baseline.json"         # the fresh runtime's packages, written when the environment is made
KERNEL = "colab-sim"
SNAPSHOT = ROOT / "scripts" / "colab_runtime.txt"
PAGES = [ROOT / "book" / "leaderboard.md", ROOT / "book" / "status.md"]   # site pages that execute code, run after the chapters
SHOWN = ("python", "torch", "tensorflow", "keras", "transformers", "numpy", "accelerate")


@dataclass(frozen=True)
class Snapshot:
    """Colab's runtime as a snapshot file records it."""
    path: Path
    source: str
    date: str
    python: str
    requirements: list[str]


def read_snapshot(path: Path = SNAPSHOT) -> Snapshot:
    """The header fields (``# source:``, ``# snapshot:``, ``# python:``) and requirement lines of a snapshot."""
    header, requirements = {}, []
    for line in Path(path).read_text().splitlines():
        match = re.match(r"#\s*(source|snapshot|python):\s*(\S.*)$", line)
        if match:
            header[match[1]] = match[2].strip()
        elif line.strip() and not line.startswith("#"):
            requirements.append(line.strip())
    missing = {"source", "snapshot", "python"} - header.keys()
    if missing or not requirements:
        raise ValueError(f"{path}: a snapshot needs '# source:', '# snapshot:' and '# python:' lines and "
                         f"requirements (missing: {', '.join(sorted(missing)) or 'requirements'})")
    return Snapshot(Path(path), header["source"], header["snapshot"], header["python"], requirements)


def lower_bounds(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Name → the ``>=`` bound that ``pyproject.toml`` claims, over its dependencies and extras."""
    import tomllib
    project = tomllib.loads(pyproject.read_text())["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    bounds = {}
    for spec in specs:
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*>=\s*([\w.]+)", spec)
        if match:
            bounds[canonical(match[1])] = match[2]
    return bounds


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_requirements(snapshot: Snapshot, bounds: dict[str, str]) -> list[str]:
    """The snapshot's requirements, a bare name pinned to the lower bound that pyproject claims for it."""
    return [f"{line}=={bounds[canonical(line)]}" if canonical(line) in bounds else line
            for line in snapshot.requirements]


def python_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"--python {python} does not run: {out.stderr.strip()}")
    return out.stdout.strip()


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def run(cmd: list, **kwargs) -> None:
    """Run a set-up step; stop with its output when it fails."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"set-up step failed: {' '.join(map(str, cmd))}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def make_colab_venv(venv: Path, python: Path, snapshot: Snapshot) -> None:
    """A virtual environment of Colab's Python with its preinstalled packages and a kernel named after it."""
    version = python_version(python)
    if version != snapshot.python:
        sys.exit(f"--python {python} is Python {version}; Colab's runtime ({snapshot.path.name}, {snapshot.date}) "
                 f"is Python {snapshot.python}: give an interpreter of that version")
    run([python, "-m", "venv", venv])
    run([venv_python(venv), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    requirements = venv.parent / f"{venv.name}-requirements.txt"
    requirements.write_text("\n".join(colab_requirements(snapshot, lower_bounds())) + "\n")
    run([venv_python(venv), "-m", "pip", "install", "-q", "-r", requirements])
    run([venv_python(venv), "-m", "ipykernel", "install", "--prefix", venv, "--name", KERNEL])
    (venv / BASELINE).write_text(json.dumps(installed(venv), indent=1, sort_keys=True) + "\n")


def reset_venv(venv: Path) -> None:
    """Put a reused environment back to Colab's fresh runtime: remove what earlier rehearsals installed
    (nlpcourse among them: pip keeps an installed version rather than reinstall from a new git URL) and
    restore any version they replaced."""
    baseline_file = venv / BASELINE
    if not baseline_file.is_file():
        sys.exit(f"{venv} has no {BASELINE}: it was not made by this script; remove it or give another --venv")
    baseline, now = json.loads(baseline_file.read_text()), installed(venv)
    extra = sorted(set(now) - set(baseline))
    if extra:
        run([venv_python(venv), "-m", "pip", "uninstall", "-q", "-y", *extra])
    changed = [f"{name}=={version}" for name, version in baseline.items() if now.get(name) != version]
    if changed:
        run([venv_python(venv), "-m", "pip", "install", "-q", "--no-deps", *changed])
    if extra or changed:
        print(f"reset the environment: removed {len(extra)} package(s), restored {len(changed)}", flush=True)


def installed(venv: Path) -> dict[str, str]:
    """Name → version of every package in the environment."""
    out = subprocess.run([venv_python(venv), "-m", "pip", "list", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {canonical(p["name"]): p["version"] for p in json.loads(out)}


def installed_commit(venv: Path) -> str | None:
    """The git commit the environment's nlpcourse was installed from (pip's direct_url.json), if any."""
    code = ("import importlib.metadata as m, json; "
            "print(json.loads(m.distribution('nlpcourse').read_text('direct_url.json'))['vcs_info']['commit_id'])")
    result = subprocess.run([venv_python(venv), "-c", code], capture_output=True, text=True, cwd=venv)  # not a checkout
    return result.stdout.strip() or None


def fake_colab(folder: Path) -> Path:
    """An IPython profile whose kernels import a stand-in ``google.colab`` at start, as Colab's do."""
    package = folder / "stub" / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A stand-in for Colab\'s module: only its presence matters."""\n')
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # noqa: F401\n")
    return folder


def kernel_env(folder: Path) -> dict[str, str]:
    """The chapters' environment: Colab's, plus the quick profile, a fresh cache and the data folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "NLPCOURSE_CACHE", "VIRTUAL_ENV"}}
    env.update(PYTHONPATH=str(folder / "stub"), IPYTHONDIR=str(folder / "ipython"),
               NLPCOURSE_PROFILE="quick", NLPCOURSE_CACHE=str(folder / "cache"))
    if env.get("NLPCOURSE_DATA"):
        env["NLPCOURSE_DATA"] = str(Path(env["NLPCOURSE_DATA"]).resolve())
    return env


def repository_url() -> str:
    match = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", (ROOT / "_config.yml").read_text(), re.M)
    if not match:
        sys.exit("_config.yml names no repository url")
    return match[1].rstrip("/")


def run_one(notebook: Path, workdir: Path, repo_url: str, clone_url: str, timeout: int, page: bool) -> int:
    """Inside the Colab environment: execute one notebook, its install pointed at ``clone_url``.
    A site page (``page``) has no install cell: it runs with what the chapters installed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(notebook, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    if not page:
        if f"git+{repo_url}" not in first.source or "%pip install" not in first.source:
            print(f"the first code cell does not %pip install from git+{repo_url}")
            return 1
        first.source = first.source.replace(f"git+{repo_url}", clone_url)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except CellExecutionError as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
        print("\n".join(plain.splitlines()[-25:]))
        return 1
    shown = "".join(out.get("text", "") for out in first.outputs)
    if not page and "on Colab" not in shown:
        print(f"the first cell did not run as on Colab; it printed: {shown.strip()!r}")
        return 1
    return 0


def clone(folder: Path) -> Path:
    """A clone of this repository as committed: Colab's ``git+`` install, the notebooks and this script
    all come from it, so edits made while the rehearsal runs do not reach it."""
    repository = folder / "repository"
    run(["git", "clone", "-q", ROOT, repository])
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        print("note: uncommitted changes are not rehearsed (Colab installs what is committed)", flush=True)
    return repository


def commit_of(repository: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=repository, capture_output=True,
                          text=True, check=True).stdout.strip()


def page_notebooks(folder: Path, repository: Path) -> list[Path]:
    """The clone's executable site pages as ``.ipynb``, read with jupytext here (the Colab environment lacks it)."""
    import jupytext
    out = []
    for page in PAGES:
        path = folder / "pages" / f"{page.stem}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(jupytext.read(repository / page.relative_to(ROOT)), path)
        out.append(path)
    return out


def simulate(notebooks: list[Path], pages: list[Path], venv: Path, folder: Path, repository: Path,
             timeout: int) -> dict:
    """Run every notebook, then every page, in the Colab environment; print one line each."""
    clone_url = f"git+{repository.as_uri()}"
    before = installed(venv)
    env, rows = kernel_env(fake_colab(folder)), []
    for notebook in notebooks + pages:
        is_page = notebook in pages
        workdir = folder / "content" / notebook.stem
        workdir.mkdir(parents=True)
        start = time.perf_counter()
        result = subprocess.run([venv_python(venv), repository / "scripts" / Path(__file__).name, "--run-one", notebook, "--workdir", workdir,
                                 "--clone-url", clone_url, "--timeout", str(timeout)] + ["--page"] * is_page,
                                env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        rows.append({"page": notebook.stem, "ok": result.returncode == 0, "seconds": round(seconds, 1)})
        print(f"{notebook.stem:<24} {'OK' if rows[-1]['ok'] else 'FAILED':<7} {seconds:7.1f} s", flush=True)
        if result.returncode != 0:
            rows[-1]["error"] = (result.stdout.strip() or result.stderr.strip())[-4000:]
            print("    " + rows[-1]["error"].replace("\n", "\n    "))
    after = installed(venv)
    commit = installed_commit(venv)
    expected = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True).stdout.strip()
    if commit != expected:
        rows.append({"page": "install", "ok": False, "seconds": 0.0,
                     "error": f"the chapters ran nlpcourse of commit {commit}, not the rehearsed {expected}"})
        print(rows[-1]["error"])
    replaced = {name: [version, after.get(name)] for name, version in before.items() if after.get(name) != version}
    for name, (old, new) in sorted(replaced.items()):
        print(f"the installs replaced Colab's {name} {old} with {new or 'nothing'}")
    added = sorted(f"{name} {version}" for name, version in after.items() if name not in before)
    print("the installs added: " + (", ".join(added) or "nothing"))
    return {"rows": rows, "replaced": replaced, "added": added, "versions": before}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rehearse every chapter on Colab's runtime.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks (default: notebooks/NN_*.ipynb, then the leaderboard page)")
    parser.add_argument("--python", type=Path, help="an interpreter of Colab's Python version "
                        "(default: pythonX.Y on PATH, X.Y from the snapshot)")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="Colab's package list (default: %(default)s)")
    parser.add_argument("--venv", type=Path, help="reuse or create the Colab environment here (default: temporary)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may run")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clone-url", help=argparse.SUPPRESS)
    parser.add_argument("--page", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        return run_one(args.run_one, args.workdir, repository_url(), args.clone_url, args.timeout, args.page)
    snapshot = read_snapshot(args.snapshot)
    python = args.python or shutil.which(f"python{snapshot.python}")
    if python is None:
        sys.exit(f"no python{snapshot.python} on PATH: give Colab's interpreter with --python")
    with tempfile.TemporaryDirectory(prefix="colab-sim-") as tmp:
        venv = args.venv or Path(tmp) / "venv"
        start = time.perf_counter()
        if not venv_python(venv).is_file():
            make_colab_venv(venv, Path(python), snapshot)
        else:
            reset_venv(venv)
        versions = {"python": python_version(venv_python(venv)), **installed(venv)}
        print(f"Colab's runtime of {snapshot.date} ({snapshot.source}) ready in {time.perf_counter() - start:.0f} s: "
              + ", ".join(f"{name} {versions.get(name, '-')}" for name in SHOWN), flush=True)
        repository = clone(Path(tmp))
        notebooks = [repository / p.resolve().relative_to(ROOT) for p in args.notebooks]
        pages = [] if notebooks else page_notebooks(Path(tmp), repository)
        notebooks = notebooks or sorted((repository / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        print(f"rehearsing commit {commit_of(repository)}", flush=True)
        report = simulate(notebooks, pages, venv, Path(tmp), repository, args.timeout)
        report["commit"] = commit_of(repository)
    ok = all(row["ok"] for row in report["rows"]) and not report["replaced"]
    if args.out:
        report.update(snapshot={"file": snapshot.path.name, "date": snapshot.date, "source": snapshot.source},
                      python=versions["python"], date=time.strftime("%Y-%m-%d"), ok=ok)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    print("every page ran on Colab's runtime" if ok else "the Colab rehearsal FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
