"""Build the course website: ``python -m nlpcourse.site.book`` (chapter 1, setup page).

Runs ``jupyter-book build`` on the repository root, executing every chapter (in the quick
profile unless ``NLPCOURSE_PROFILE`` says otherwise), with warnings as errors and plotly
figures rendered for the web; a relative ``NLPCOURSE_DATA`` or ``NLPCOURSE_CACHE`` means
relative to the folder the build starts in. ``--no-execute`` checks the book's structure
without running any chapter.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from nlpcourse.data.download import absolute_data_env

ROOT = Path(__file__).resolve().parents[2]


def build_command(root: Path, config: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", str(root), "--all", "--warningiserror", "--nitpick",
           "--keep-going"]
    if config is not None:
        cmd += ["--config", str(config)]
    return cmd


def no_execute_config(root: Path) -> Path:
    """A copy of ``_config.yml`` with execution off (for a quick structural check)."""
    import yaml
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    fd, path = tempfile.mkstemp(suffix=".yml", prefix="_config_noexec_", dir=root)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f)
    return Path(path)


def build_env(root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the chapters run in when the book of ``root`` is built (chapter 1).

    A relative ``NLPCOURSE_DATA`` or ``NLPCOURSE_CACHE`` is made absolute against the current
    folder, since the chapters run in ``notebooks/``.
    """
    env = dict(environ)
    env.setdefault("PLOTLY_RENDERER", "notebook_connected")  # for any figure shown before setup()
    env.setdefault("NLPCOURSE_WEB", "1")  # setup() then picks a renderer made for the site
    env.setdefault("NLPCOURSE_PROFILE", "quick")
    absolute_data_env(env)
    # the chapters import the package of the book being built, whatever copy pip installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root.resolve()), env.get("PYTHONPATH")]))
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the course website into _build/html.")
    parser.add_argument("--no-execute", action="store_true", help="do not run the chapters")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    env = build_env(args.root, os.environ)
    config = no_execute_config(args.root) if args.no_execute else None
    try:
        status = subprocess.call(build_command(args.root, config), env=env)
    finally:
        if config is not None:
            config.unlink()
    return status or check_pages(args.root / "_build" / "html")


def check_pages(html_dir: Path) -> int:
    """0 when no page shows log lines, unfinished progress bars or numpy reprs; else 1, naming them."""
    from nlpcourse.site.pagecheck import noise_in_html
    report = noise_in_html(html_dir)
    for page, found in report.items():
        print(f"{page}: " + "; ".join(found), file=sys.stderr)
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())
