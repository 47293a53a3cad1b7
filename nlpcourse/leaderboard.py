"""The IMDB leaderboard: the schema of a results row, the committed results, published figures.

``python -m nlpcourse.bench imdb`` writes rows to ``nlpcourse/results/<profile>-<date>.json``;
the leaderboard page (``book/leaderboard.md``) reads them back with :func:`load_results` and
shows the latest row per model, framework, profile and hardware beside :data:`PUBLISHED`.
The specialised benchmarks' figures live in ``nlpcourse/results/benchmarks/``, read by the
chapters through :func:`load_benchmark`. Both folders are package data: a wheel carries them,
so a chapter installed from the repository (as on Colab) reads the same figures as a checkout.
Rendering trains nothing.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS_DIR = RESULTS_DIR / "benchmarks"
SCHEMA_VERSION = 1
RESULTS_FILE = re.compile(r"^(quick|full)-\d{4}-\d{2}-\d{2}\.json$")

_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))
ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "model": (str,), "framework": (str,), "chapter": (int,), "description": (str,), "profile": (str,),
    "n_train": (int,), "n_val": (int,), "n_test": (int,), "accuracy": (float,), "f1": (float,),
    "parameters": (int,), "train_seconds": _NUMBER, "seconds_per_epoch": _OPTIONAL_NUMBER,
    "epochs": (int, type(None)), "best_epoch": (int, type(None)), "peak_memory_mb": _NUMBER,
    "memory_kind": (str,), "hardware": (str,), "versions": (dict,), "settings": (dict,),
    "seed": (int,), "date": (str,), "commit": (str,),
}
FRAMEWORKS = ("torch", "keras", "sklearn", "transformers")
MEMORY_KINDS = ("rss", "cuda_max_allocated", "gpu_peak")

# Published IMDB test accuracies (%), with where each comes from. The keras.io figures pick
# their epoch on the test set; ours never do.
PUBLISHED: list[dict[str, Any]] = [
    {"model": "NB-SVM (uni+bigrams)", "accuracy": 91.22, "source": "Wang & Manning 2012"},
    {"model": "keras imdb_cnn", "accuracy": 89.0, "source": "keras examples/imdb_cnn.py"},
    {"model": "d2l TextCNN", "accuracy": 86.8, "source": "d2l.ai, sentiment analysis with CNNs"},
    {"model": "d2l BiLSTM + GloVe", "accuracy": 86.1, "source": "d2l.ai, sentiment analysis with RNNs"},
    {"model": "keras 2-layer BiLSTM", "accuracy": 84.3, "source": "keras.io, bidirectional LSTM on IMDB"},
    {"model": "keras CNN-LSTM", "accuracy": 85.0, "source": "keras examples/imdb_cnn_lstm.py"},
    {"model": "keras one-block Transformer", "accuracy": 87.45, "source": "keras.io, text classification with Transformer"},
    {"model": "DistilBERT", "accuracy": 92.82, "source": "Sanh et al. 2019"},
    {"model": "BERT-base, head+tail 512 tokens", "accuracy": 94.58, "source": "Sun et al. 2019 (5.42 % error)"},
    {"model": "BERT-large", "accuracy": 95.49, "source": "Yang et al. 2019 (XLNet paper)"},
    {"model": "XLNet-large", "accuracy": 96.21, "source": "Yang et al. 2019"},
]


def validate_row(row: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming every field of a results row that is missing or wrong."""
    problems = [f"missing {name}" for name in ROW_FIELDS if name not in row]
    problems += [f"unknown field {name}" for name in row if name not in ROW_FIELDS]
    for name, types in ROW_FIELDS.items():
        value = row.get(name)
        if name in row and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
            problems.append(f"{name} is {type(value).__name__}, expected {'/'.join(t.__name__ for t in types)}")
    if not problems:
        problems += _check_values(row)
    if problems:
        raise ValueError(f"results row {row.get('model')!r}/{row.get('framework')!r}: " + "; ".join(problems))


def _check_values(row: dict[str, Any]) -> list[str]:
    problems = []
    if row["framework"] not in FRAMEWORKS:
        problems.append(f"framework {row['framework']!r} not in {FRAMEWORKS}")
    if row["profile"] not in ("quick", "full"):
        problems.append(f"profile {row['profile']!r} is neither quick nor full")
    if row["memory_kind"] not in MEMORY_KINDS:
        problems.append(f"memory_kind {row['memory_kind']!r} not in {MEMORY_KINDS}")
    for name in ("accuracy", "f1"):
        if not 0 <= row[name] <= 1:
            problems.append(f"{name} {row[name]} is not in [0, 1]")
    if min(row["n_train"], row["n_test"], row["parameters"]) < 1 or row["n_val"] < 0:
        problems.append("sizes and parameters must be positive")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", row["date"]):
        problems.append(f"date {row['date']!r} is not YYYY-MM-DDTHH:MM:SS")
    if row["epochs"] is not None and not 1 <= (row["best_epoch"] or 0) <= row["epochs"]:
        problems.append("best_epoch must lie in 1..epochs")
    return problems


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} cannot be read as JSON ({error}): reinstall nlpcourse from the repository, "
                         "or rerun the benchmark that wrote it") from error


def read_results_file(path: Path) -> list[dict[str, Any]]:
    """The rows of one results file, each validated."""
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION or not isinstance(data.get("rows"), list):
        raise ValueError(f"{path}: expected {{'schema': {SCHEMA_VERSION}, 'rows': [...]}}")
    for row in data["rows"]:
        validate_row(row)
    return data["rows"]


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    """Add rows to a results file; a row replaces an earlier one of the same model, framework and hardware."""
    for row in rows:
        validate_row(row)
    path = Path(path)
    old = read_results_file(path) if path.exists() else []
    key = lambda r: (r["model"], r["framework"], r["hardware"])  # noqa: E731
    new_keys = {key(r) for r in rows}
    merged = [r for r in old if key(r) not in new_keys] + rows
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "rows": merged}, indent=1) + "\n")
    tmp.replace(path)
    return path


def results_files(results_dir: Path = RESULTS_DIR) -> list[Path]:
    return sorted(p for p in Path(results_dir).glob("*.json") if RESULTS_FILE.match(p.name))


def load_results(results_dir: Path = RESULTS_DIR):
    """Every committed row as a DataFrame, the latest per model, framework, profile and hardware."""
    import pandas as pd
    rows = [row for path in results_files(results_dir) for row in read_results_file(path)]
    if not rows:
        raise FileNotFoundError(f"no results/<profile>-<date>.json in {results_dir}: this install of nlpcourse "
                                "lacks its results data; reinstall it from the repository, or run "
                                "python -m nlpcourse.bench imdb")
    frame = pd.DataFrame(rows).sort_values("date")
    latest = frame.groupby(["model", "framework", "profile", "hardware"], as_index=False).tail(1)
    return latest.sort_values("accuracy", ascending=False).reset_index(drop=True)


def load_benchmark(pattern: str, benchmarks_dir: Path = BENCHMARKS_DIR) -> tuple[dict[str, Any], Path]:
    """The latest committed figures of a specialised benchmark and their file, e.g.
    ``load_benchmark("word2vec-2*.json")`` (files are named ``NAME-DATE.json``, so the last in
    name order is the latest). Raises ``FileNotFoundError`` naming the pattern when no file
    matches and ``ValueError`` naming the file when it is not a JSON object."""
    files = sorted(Path(benchmarks_dir).glob(pattern))
    if not files:
        raise FileNotFoundError(f"no benchmark file matches {pattern!r} in {benchmarks_dir}: this install of "
                                "nlpcourse lacks its results data; reinstall it from the repository, or run the "
                                "benchmark (python -m nlpcourse.bench --help) with --out into that folder")
    report = _read_json(files[-1])
    if not isinstance(report, dict):
        raise ValueError(f"{files[-1]}: expected a JSON object of benchmark figures, found {type(report).__name__}")
    return report, files[-1]


def leaderboard_table(results):
    """The table a reader sees: accuracy and F1 in %, training time, epochs, size; the hardware too
    when the rows were not all trained on the same machine (the plot's hover gives dates)."""
    table = results.assign(accuracy=(100 * results["accuracy"]).round(2), f1=(100 * results["f1"]).round(2),
                           train_seconds=results["train_seconds"].map(lambda s: f"{s:,.1f}"),
                           epochs=results["epochs"].map(lambda e: "–" if e is None or e != e else str(int(e))),
                           parameters=results["parameters"].map(lambda n: f"{n:,}"))
    columns = ["model", "framework", "accuracy", "f1", "train_seconds", "epochs", "parameters"]
    if results["hardware"].nunique() > 1:
        columns.append("hardware")
    return table[columns].rename(columns={"accuracy": "accuracy %", "f1": "F1 %", "train_seconds": "train s"})


def plot_accuracy_vs_time(results, title: str = "IMDB test accuracy against training time"):
    """Interactive scatter, one panel per profile: accuracy (%) against training seconds (log scale),
    coloured by hardware, one symbol per framework."""
    import plotly.express as px
    frame = results.assign(accuracy_pct=100 * results["accuracy"], profile="profile " + results["profile"])
    fig = px.scatter(frame, x="train_seconds", y="accuracy_pct", color="hardware", symbol="framework",
                     facet_col="profile", log_x=True, text="model",
                     hover_data=["model", "framework", "hardware", "n_train", "epochs", "date"],
                     labels={"train_seconds": "training time (s, log scale)", "accuracy_pct": "test accuracy (%)"},
                     title=title)
    fig.update_traces(textposition="top center", textfont_size=10, marker={"size": 10})
    fig.update_layout(height=540, legend={"orientation": "h", "y": -0.25, "title_text": "hardware, framework"})
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return fig


def framework_pairs(results, first: str = "torch", second: str = "keras"):
    """Models trained in both frameworks on the same hardware and profile, side by side: accuracy (%),
    seconds per epoch (validation included) and their ratio ``second / first`` (chapter 5)."""
    import pandas as pd
    keys = ["model", "profile", "hardware"]

    def runs(framework: str):
        rows = results[results["framework"] == framework]
        return pd.DataFrame({**{key: rows[key] for key in keys},
                             f"{framework} accuracy %": (100 * rows["accuracy"]).round(2),
                             f"{framework} s/epoch": rows["seconds_per_epoch"],
                             f"{framework} epochs": rows["epochs"].astype("Int64")})

    pairs = pd.merge(runs(first), runs(second), on=keys)
    pairs[f"{second} / {first} time"] = (pairs[f"{second} s/epoch"] / pairs[f"{first} s/epoch"]).round(2)
    return pairs.sort_values(["profile", "hardware", "model"]).reset_index(drop=True)


def best_per_chapter(results):
    """The most accurate row of each chapter, per profile: the course's progress in one table (chapter 10)."""
    best = results.sort_values("accuracy", ascending=False).groupby(["profile", "chapter"], as_index=False).head(1)
    table = best.sort_values(["profile", "chapter"]).assign(
        accuracy=(100 * best["accuracy"]).round(2), train_seconds=best["train_seconds"].round(1))
    table = table[["profile", "chapter", "model", "framework", "accuracy", "train_seconds", "parameters", "hardware"]]
    return table.rename(columns={"accuracy": "accuracy %", "train_seconds": "train s"}).reset_index(drop=True)


def plot_course(results, title: str = "Every IMDB model of the course"):
    """Test accuracy against training time and against parameters, one row of panels per profile,
    one colour per chapter (chapter 10); hover for a point's model and hardware."""
    import plotly.express as px
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    profiles = [p for p in ("full", "quick") if (results["profile"] == p).any()]
    fig = make_subplots(rows=len(profiles), cols=2, horizontal_spacing=0.08, vertical_spacing=0.14,
                        subplot_titles=[f"profile {p}: {what}" for p in profiles
                                        for what in ("against training time", "against parameters")])
    colours, shown = px.colors.qualitative.D3, set()
    for row, profile in enumerate(profiles, start=1):
        frame = results[results["profile"] == profile]
        for chapter, rows in frame.groupby("chapter"):
            hover = [f"{m} ({f})<br>{100 * a:.2f} %, {s:,.0f} s, {n:,} parameters<br>{h}" for m, f, a, s, n, h in
                     zip(rows["model"], rows["framework"], rows["accuracy"], rows["train_seconds"],
                         rows["parameters"], rows["hardware"])]
            for col, x in enumerate(("train_seconds", "parameters"), start=1):
                fig.add_trace(go.Scatter(x=rows[x], y=100 * rows["accuracy"], mode="markers", name=f"chapter {chapter}",
                                         legendgroup=str(chapter), showlegend=chapter not in shown,
                                         marker={"size": 9, "color": colours[(chapter - 1) % len(colours)]},
                                         hovertext=hover, hoverinfo="text"), row=row, col=col)
                shown.add(chapter)
        fig.update_xaxes(type="log", title_text="training seconds (log)", row=row, col=1)
        fig.update_xaxes(type="log", title_text="parameters (log)", row=row, col=2)
        fig.update_yaxes(title_text="test accuracy (%)", row=row, col=1)
    fig.update_layout(title=title, height=420 * len(profiles), legend={"orientation": "h", "y": -0.12})
    return fig
