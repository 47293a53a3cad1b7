"""What a page must not show a reader: library log lines, frozen progress bars, numpy reprs (setup page).

The same rules check each cell's outputs when the chapters run under pytest (see the
repository's ``conftest.py``) and the built website (``python -m nlpcourse.site.book`` scans every
page's cell outputs after building).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

NOISE: dict[str, re.Pattern] = {
    "a log line of TensorFlow/absl": re.compile(
        r"absl::InitializeLog|^[IWEF]\d{4} \d\d:\d\d:\d\d|oneDNN custom operations|"
        r"This TensorFlow binary is optimized|Unable to register cu(DNN|FFT|BLAS)|TF-TRT Warning", re.M),
    "a progress bar that is not finished": re.compile(r"(?<!\d)\d{1,2}%\|"),
    "a numpy repr (print the number, not np.float64(...))": re.compile(
        r"\bnp\.(float|int|uint|bool|str)\w*\(|\bnp\.(True|False)_"),
}


def noise_in_text(text: str) -> list[str]:
    """The kinds of noise in ``text``, each with the line it was found on."""
    found = []
    for kind, pattern in NOISE.items():
        match = pattern.search(text)
        if match:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            line = text[start:end if end != -1 else None].strip().replace("\r", " ")
            found.append(f"{kind}: {line[:160]!r}")
    return found


def noise_in_outputs(outputs: list[Any]) -> list[str]:
    """Noise in a notebook cell's outputs (streams and plain-text results)."""
    found = []
    for output in outputs:
        texts = [output.get("text", "")] if output.get("output_type") == "stream" else []
        texts.append(output.get("data", {}).get("text/plain", "") if "data" in output else "")
        for text in texts:
            found += noise_in_text(text if isinstance(text, str) else "".join(text))
    return found


class _CellOutputText(HTMLParser):
    """Collects the text inside the cell-output blocks of a built page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts, self.in_script = 0, [], False

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_script = tag in ("script", "style")
        if tag in self.VOID:
            if tag == "br" and self.depth:
                self.parts.append("\n")
            return
        if self.depth:
            self.depth += 1
        elif tag == "div" and "cell_output" in (dict(attrs).get("class") or ""):
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            if not self.depth:
                self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.in_script:   # scripts (plotly figures) and styles are not read
            self.parts.append(data)


def noise_in_html(html_dir: Path) -> dict[str, list[str]]:
    """Noise in the cell outputs of every built page, by page."""
    report = {}
    for page in sorted(Path(html_dir).rglob("*.html")):
        parser = _CellOutputText()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        found = noise_in_text("".join(parser.parts))
        if found:
            report[str(page.relative_to(html_dir))] = found
    return report
