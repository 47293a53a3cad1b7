"""Open the built website in headless Chromium with no network: is the math typeset, are the figures drawn?

    python scripts/check_site_offline.py [_build/html] [--screenshots DIR]

For each page, counts the formulas MathJax typeset (``mjx-container``) against the raw ones
left (``\\(``, ``\\[``, ``$$``), and the plotly figures drawn (``main-svg``) against the figure
placeholders. Chromium runs with every proxy pointed at a closed port, so nothing outside the
built files can load. Exits 1 when a page has untypeset math or an empty figure.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--proxy-server=127.0.0.1:9",
                  "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=20000", "--window-size=1280,2400"]


def render(page: Path, browser: str, screenshot: Path | None = None) -> str:
    with tempfile.TemporaryDirectory() as profile:
        flags = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        if screenshot is not None:
            subprocess.run([*flags, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, timeout=120)
        return subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                              timeout=120).stdout


def inspect(dom: str) -> dict[str, int]:
    body = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    return {"math typeset": dom.count("<mjx-container"),
            "math left raw": len(re.findall(r"\\\(|\\\[|\$\$", body)),
            "figures drawn": len(re.findall(r'class="main-svg"', dom)) // 2,
            "figures": len(re.findall(r'class="plotly-graph-div', dom))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, nargs="?", default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args(argv)
    args.html = args.html.resolve()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("no Chromium found: apt-get install chromium")
    failed = False
    for page in sorted(args.html.glob("notebooks/*.html")) + sorted(args.html.glob("book/*.html")):
        shot = args.screenshots / f"{page.stem}.png" if args.screenshots else None
        if shot:
            shot.parent.mkdir(parents=True, exist_ok=True)
        counts = inspect(render(page, browser, shot))
        bad = counts["math left raw"] > 0 or counts["figures drawn"] < counts["figures"]
        failed |= bad
        print(f"{'FAIL' if bad else 'ok  '} {page.relative_to(args.html)}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
