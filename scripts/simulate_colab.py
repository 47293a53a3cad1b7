"""Rehearse a Colab start on this machine, chapter by chapter (setup page).

    python scripts/simulate_colab.py                    # every chapter
    python scripts/simulate_colab.py notebooks/02_word_vectors.ipynb --venv /tmp/colab-venv

1. A fresh virtual environment holds only what Colab preinstalls (CPU builds, pinned with
   ``constraints.txt``): torch, tensorflow, keras, transformers, numpy, pandas, ...
2. Each chapter's ``.ipynb`` runs top to bottom in that environment (quick profile, a fresh
   cache, ``NLPCOURSE_DATA`` as set here), in an empty working folder, with ``google.colab``
   imported at kernel start as on Colab. So the notebook's own first cell runs its
   ``%pip install``, with the repository URL rewritten to a copy of this checkout.
3. Prints OK or FAILED and the seconds of each chapter, the error of a failure, and any
   preinstalled package the installs replaced. Exits 1 on any failure.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "colab-sim"
COLAB_PREINSTALLED = ["torch==2.13.0", "tensorflow-cpu", "keras", "transformers", "accelerate", "numpy", "pandas",
                      "scikit-learn", "matplotlib", "plotly", "scipy", "tqdm", "pyarrow", "safetensors",
                      "ipykernel", "nbclient", "nbformat"]
COPY_IGNORE = shutil.ignore_patterns(".git", "_build", "student", "build", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", ".ipynb_checkpoints", "results")


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def run(cmd: list, **kwargs) -> None:
    """Run a set-up step; stop with its output when it fails."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"set-up step failed: {' '.join(map(str, cmd))}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def make_colab_venv(venv: Path) -> None:
    """A virtual environment with Colab's preinstalled packages and a kernel named after it."""
    run([sys.executable, "-m", "venv", venv])
    run([venv_python(venv), "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", *COLAB_PREINSTALLED])
    run([venv_python(venv), "-m", "ipykernel", "install", "--prefix", venv, "--name", KERNEL])


def installed(venv: Path) -> dict[str, str]:
    """Name → version of every package in the environment."""
    out = subprocess.run([venv_python(venv), "-m", "pip", "list", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out)}


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


def run_one(notebook: Path, workdir: Path, repo_url: str, checkout: str, timeout: int) -> int:
    """Inside the Colab environment: execute one notebook, its install pointed at ``checkout``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(notebook, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    if f"git+{repo_url}" not in first.source or "%pip install" not in first.source:
        print(f"the first code cell does not %pip install from git+{repo_url}")
        return 1
    first.source = first.source.replace(f"git+{repo_url}", checkout)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except CellExecutionError as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
        print("\n".join(plain.splitlines()[-25:]))
        return 1
    shown = "".join(out.get("text", "") for out in first.outputs)
    if "on Colab" not in shown:
        print(f"the first cell did not run as on Colab; it printed: {shown.strip()!r}")
        return 1
    return 0


def simulate(notebooks: list[Path], venv: Path, folder: Path, timeout: int) -> bool:
    """Run every notebook in the Colab environment; print one line per chapter. True if all passed."""
    checkout = folder / "nlpcourse"
    shutil.copytree(ROOT, checkout, ignore=COPY_IGNORE)
    before = installed(venv)
    env, ok = kernel_env(fake_colab(folder)), True
    for notebook in notebooks:
        workdir = folder / "content" / notebook.stem
        workdir.mkdir(parents=True)
        start = time.perf_counter()
        result = subprocess.run([venv_python(venv), __file__, "--run-one", notebook, "--workdir", workdir,
                                 "--checkout", checkout.as_uri(), "--timeout", str(timeout)],
                                env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        status = "OK" if result.returncode == 0 else "FAILED"
        print(f"{notebook.stem:<24} {status:<7} {seconds:7.1f} s", flush=True)
        if result.returncode != 0:
            ok = False
            print("    " + (result.stdout.strip() or result.stderr.strip())[-4000:].replace("\n", "\n    "))
    after = installed(venv)
    replaced = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
    for name, (old, new) in sorted(replaced.items()):
        print(f"the chapters' installs replaced Colab's {name} {old} with {new or 'nothing'}")
    return ok and not replaced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulate a Colab start and run every chapter's notebook.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--venv", type=Path, help="reuse or create the Colab environment here (default: temporary)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may run")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkout", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        return run_one(args.run_one, args.workdir, repository_url(), args.checkout, args.timeout)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="colab-sim-") as tmp:
        venv = args.venv or Path(tmp) / "venv"
        start = time.perf_counter()
        if not venv_python(venv).is_file():
            make_colab_venv(venv)
        versions = installed(venv)
        print(f"Colab environment ready in {time.perf_counter() - start:.0f} s: "
              + ", ".join(f"{name} {versions.get(name, '-')}" for name in
                          ("torch", "tensorflow-cpu", "keras", "transformers", "numpy")), flush=True)
        ok = simulate(notebooks, venv, Path(tmp), args.timeout)
    print("all chapters ran" if ok else "the Colab simulation FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
