"""The notebooks Colab opens: a plain ``.ipynb`` generated from each MyST chapter (setup page).

    python -m nlpcourse.site.colab            # writes notebooks/NN_topic.ipynb from notebooks/NN_topic.md
    python -m nlpcourse.site.colab --check    # exits 1, naming every .ipynb that differs from its source
                                              # and every read from the checkout (nlpcourse.site.installcheck)

Colab does not understand MyST. Citations become author–year links, a dropdown admonition a
collapsed ``<details>`` block, other directives and roles their plain-markdown equivalents. A
solution code cell becomes a collapsed Colab form (``#@title Solution``) without its
``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines. The notebooks hold no outputs.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

from nlpcourse.site.student import SOLUTION_TAG, without_solution_markers
from nlpcourse.site.installcheck import checkout_reads

ROOT = Path(__file__).resolve().parents[2]
ADMONITIONS = {"admonition", "attention", "caution", "danger", "error", "hint", "important",
               "note", "seealso", "tip", "warning", "exercise", "solution", "dropdown"}
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})(?:\{(?P<name>[\w:-]+)\})?\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_ROLE = re.compile(r"(?<!`)\{(?P<name>[\w:-]+)\}`(?P<content>[^`]+)`")
_LABEL = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$")
_LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]]*)\]\((?P<target>(?![a-z]+:|#|/)[^()\s]+)\)")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


@dataclass(frozen=True)
class Reference:
    """One entry of ``book/references.bib``: who, when and where to read it."""
    authors: str
    year: str
    url: str

    def cite(self, textual: bool = False) -> str:
        return f"[{self.authors} ({self.year})]({self.url})" if textual else f"[{self.authors}, {self.year}]({self.url})"


@dataclass
class Context:
    """What a chapter's links point to: the bibliography, the labels of the site, the repository."""
    root: Path
    references: dict[str, Reference]
    repo_url: str
    branch: str
    colab_url: str = "https://colab.research.google.com"
    labels: dict[str, tuple[str, Path]] = field(default_factory=dict)

    def page_url(self, path: Path) -> str:
        """A chapter opens in Colab; any other page of the site on GitHub."""
        relative = path.resolve().relative_to(self.root.resolve()).as_posix()
        if path.parent.resolve() == (self.root / "notebooks").resolve():
            github = self.repo_url.removeprefix("https://github.com/")
            return f"{self.colab_url}/github/{github}/blob/{self.branch}/{Path(relative).with_suffix('.ipynb').as_posix()}"
        return f"{self.repo_url}/blob/{self.branch}/{relative}"

    def raw_url(self, path: Path) -> str:
        relative = path.resolve().relative_to(self.root.resolve()).as_posix()
        return f"{self.repo_url.replace('github.com', 'raw.githubusercontent.com')}/{self.branch}/{relative}"


def _plain(latex: str) -> str:
    from pybtex.richtext import Text
    return Text.from_latex(latex).render_as("text")


def author_names(persons: list) -> str:
    """'Zipf', 'Wang and Manning', 'Mikolov et al.' (surnames, as in author–year citations)."""
    names = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    if len(names) == 2 and names[1] != "others":
        return f"{names[0]} and {names[1]}"
    return names[0] if len(names) == 1 else f"{names[0]} et al."


def load_references(paths: list[Path]) -> dict[str, Reference]:
    """Every entry of the bibliography: its url, its DOI, or else a search for its title."""
    from pybtex.database import parse_file
    references = {}
    for path in paths:
        for key, entry in parse_file(str(path)).entries.items():
            fields = entry.fields
            url = fields.get("url") or (f"https://doi.org/{fields['doi']}" if "doi" in fields else
                                        "https://scholar.google.com/scholar?q=" + quote_plus(_plain(fields["title"])))
            persons = entry.persons.get("author") or entry.persons.get("editor")
            if not persons:
                raise ValueError(f"{path}: entry {key!r} has no author or editor")
            references[key] = Reference(author_names(persons), fields["year"], url)
    return references


def page_title(path: Path) -> str:
    """The first heading of a page, or its file name."""
    text = path.read_text() if path.is_file() else ""
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match[1].strip() if match else path.stem


def find_labels(root: Path) -> dict[str, tuple[str, Path]]:
    """``(label)=`` targets of the site's pages: the heading under each and the page."""
    labels = {}
    for path in sorted(root.glob("book/*.md")) + sorted(root.glob("notebooks/*.md")):
        for m in re.finditer(r"^\(([\w.:-]+)\)=\s*\n+#+\s+(.+)$", path.read_text(), re.M):
            labels[m[1]] = (m[2].strip(), path)
    return labels


def load_context(root: Path = ROOT) -> Context:
    """The bibliography and repository named in the book's ``_config.yml``."""
    import yaml
    config = yaml.safe_load((root / "_config.yml").read_text())
    bibs = [root / p for p in config.get("bibtex_bibfiles", [])]
    repository = config["repository"]
    colab = config.get("launch_buttons", {}).get("colab_url", "https://colab.research.google.com")
    return Context(root, load_references(bibs), repository["url"].rstrip("/"), repository.get("branch", "main"),
                   colab, find_labels(root))


def cite(keys: str, ctx: Context, textual: bool = False) -> str:
    """``{cite}`a,b``` as '([A, 2013](…); [B, 2014](…))', or ``{cite:t}`` as '[A (2013)](…)'."""
    refs = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in ctx.references:
            raise ValueError(f"citation {key!r} is not in the bibliography: add it to book/references.bib")
        refs.append(ctx.references[key].cite(textual))
    return ", ".join(refs) if textual else "(" + "; ".join(refs) + ")"


def convert_role(name: str, content: str, ctx: Context, page: Path) -> str:
    """One MyST role in plain markdown."""
    explicit = _EXPLICIT.match(content)
    text, target = (explicit["text"], explicit["target"]) if explicit else (None, content)
    if name.startswith("cite"):
        return cite(content, ctx, textual=name in {"cite:t", "cite:ts"})
    if name == "math":
        return f"${content}$"
    if name == "eq":
        return text or f"({target})"
    if name in {"doc", "download"}:
        path = ctx.root / target.lstrip("/") if target.startswith("/") else page.parent / target
        path = path if path.suffix else path.with_suffix(".md")
        if name == "download":
            return f"[{text or path.name}]({ctx.raw_url(path)})"
        return f"[{text or page_title(path)}]({ctx.page_url(path)})"
    if name in {"ref", "numref"} and target in ctx.labels:
        title, path = ctx.labels[target]
        return f"[{text or title}]({ctx.page_url(path)})"
    return text or target


def convert_roles(text: str, ctx: Context, page: Path) -> str:
    return _ROLE.sub(lambda m: convert_role(m["name"], m["content"], ctx, page), text)


def convert_link(image: str, text: str, target: str, ctx: Context, page: Path) -> str:
    """A link relative to the page, e.g. ``[leaderboard](../book/leaderboard.md)``, made absolute."""
    path, _, fragment = target.partition("#")
    resolved = page.parent / path
    if image:
        url = ctx.raw_url(resolved)
    elif resolved.suffix in {".md", ".ipynb"}:
        url = ctx.page_url(resolved.with_suffix(".md")) + (f"#{fragment}" if fragment else "")
    else:
        url = f"{ctx.repo_url}/blob/{ctx.branch}/{resolved.resolve().relative_to(ctx.root.resolve()).as_posix()}"
    return f"{image}[{text}]({url})"


def convert_links(text: str, ctx: Context, page: Path) -> str:
    return _LINK.sub(lambda m: convert_link(m["image"], m["text"], m["target"], ctx, page), text)


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line that closes the fence opened at ``start`` (or the end)."""
    closer = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    return next((i for i in range(start + 1, len(lines)) if closer.match(lines[i])), len(lines))


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    options, i = {}, 0
    if body and body[0].strip() == "---":
        import yaml
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), 0)
        options, i = {k: str(v) for k, v in (yaml.safe_load("\n".join(body[1:end])) or {}).items()}, end + 1
    while i < len(body) and (m := _OPTION.match(body[i])):
        options[m["key"]] = m["value"]
        i += 1
    return options, body[i:]


def convert_directive(name: str, arg: str, options: dict[str, str], body: str, ctx: Context, page: Path) -> str:
    """One MyST directive (its body already converted) in plain markdown or HTML that Colab renders."""
    if name in ADMONITIONS or name.startswith("admonition"):
        title = arg or {"seealso": "See also"}.get(name, name.capitalize())
        if name == "dropdown" or "dropdown" in options.get("class", "").split():
            return f"<details>\n<summary>{title}</summary>\n\n{body.strip()}\n\n</details>"
        quoted = "\n".join(f"> {line}".rstrip() for line in body.strip().split("\n"))
        return f"> **{title}**\n>\n{quoted}"
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    if name in {"code-block", "code", "sourcecode", "code-cell"}:
        return f"```{arg}\n{body.strip(chr(10))}\n```"
    if name in {"image", "figure"}:
        url = arg if re.match(r"^https?://", arg) else ctx.raw_url(page.parent / arg)
        caption = body.strip().split("\n\n")[0].replace("\n", " ")
        alt = options.get("alt", caption or Path(arg).stem)
        return f"![{alt}]({url})" + (f"\n\n*{caption}*" if caption else "")
    return (f"**{arg}**\n\n" if arg else "") + body.strip()


def convert_markdown(text: str, ctx: Context, page: Path) -> str:
    """A markdown cell's MyST in plain markdown: directives, roles, labels and comments."""
    lines, out, prose = text.split("\n"), [], []

    def flush():
        out.extend(convert_links(convert_roles("\n".join(prose), ctx, page), ctx, page).split("\n") if prose else [])
        prose.clear()

    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and (m["name"] or m["fence"][0] == "`"):
            flush()
            end = _closing(lines, i, m["fence"])
            if m["name"]:
                options, body = _options(lines[i + 1:end])
                inner = convert_markdown("\n".join(body), ctx, page)
                out.extend(convert_directive(m["name"], m["arg"].strip(), options, inner, ctx, page).split("\n"))
            else:
                out.extend(lines[i:end + 1])
            i = end + 1
        elif _LABEL.match(lines[i]) or lines[i].startswith("%"):
            i += 1
        else:
            prose.append(lines[i])
            i += 1
    flush()
    return "\n".join(out).strip("\n")


def solution_code(source: str) -> str:
    """A solution code cell as a Colab form titled 'Solution', its marker lines dropped."""
    return "#@title Solution\n" + without_solution_markers(source)


def _cell_id(cell_type: str, source: str, seen: set[str]) -> str:
    base = hashlib.sha1(f"{cell_type}\n{source}".encode()).hexdigest()[:8]
    cell_id, n = base, 1
    while cell_id in seen:
        cell_id, n = f"{base}-{n}", n + 1
    seen.add(cell_id)
    return cell_id


def colab_notebook(chapter: Path, ctx: Context):
    """The notebook Colab opens for ``chapter`` (a MyST markdown file), as nbformat."""
    import jupytext
    import nbformat
    source, cells, seen = jupytext.read(chapter), [], set()
    for cell in source.cells:
        tags = list(cell.metadata.get("tags", []))
        metadata = {"tags": tags} if tags else {}
        if cell.cell_type == "code":
            text = cell.source
            if SOLUTION_TAG in tags:
                text = solution_code(text)
                metadata.update({"cellView": "form", "jupyter": {"source_hidden": True}})
            new = nbformat.v4.new_code_cell(text, metadata=metadata)
        else:
            text = convert_markdown(cell.source, ctx, chapter)
            if SOLUTION_TAG in tags and "<details>" not in text:
                text = f"<details>\n<summary>Solution</summary>\n\n{text}\n\n</details>"
            new = nbformat.v4.new_markdown_cell(text, metadata=metadata)
        new.id = _cell_id(new.cell_type, text, seen)
        cells.append(new)
    kernelspec = dict(source.metadata.get("kernelspec", {"display_name": "Python 3", "language": "python",
                                                           "name": "python3"}))
    metadata = {"kernelspec": kernelspec, "language_info": {"name": "python"}}
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def render(chapter: Path, ctx: Context) -> str:
    """The text of the ``.ipynb`` generated from ``chapter``."""
    import nbformat
    nb = colab_notebook(chapter, ctx)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.md"))


def executed_pages(root: Path = ROOT) -> list[Path]:
    """The site's prose pages that run code, as the chapters do."""
    return [page for page in sorted((root / "book").glob("*.md")) if "```{code-cell}" in page.read_text()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the Colab notebooks (.ipynb) of the chapters.")
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter files (default: every chapter)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    ctx = load_context(args.root)
    drifted = []
    for chapter in args.chapters or chapters(args.root):
        target, text = chapter.with_suffix(".ipynb"), render(chapter, ctx)
        if target.is_file() and target.read_text() == text:
            continue
        if args.check:
            drifted.append(target)
        else:
            target.write_text(text)
            print(f"wrote {target}")
    for target in drifted:
        print(f"{target} differs from {target.with_suffix('.md').name}: run python -m nlpcourse.site.colab",
              file=sys.stderr)
    reads = checkout_reads(chapters(args.root) + executed_pages(args.root), args.root) if args.check else []
    for problem in reads:
        print(problem, file=sys.stderr)
    return 1 if drifted or reads else 0


if __name__ == "__main__":
    sys.exit(main())
