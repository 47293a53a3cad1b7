"""Every IMDB model of the course, trained as its chapter trains it: one row each on the leaderboard.

``python -m nlpcourse.bench imdb [--models textcnn,nbsvm] [--profile quick|full]`` trains the
zoo models (:mod:`nlpcourse.models.zoo`) with their chapter's recipe, and the chapter-1 and
chapter-2 baselines, on one split and seed, and adds their rows to
``nlpcourse/results/<profile>-<date>.json`` (schema: :mod:`nlpcourse.leaderboard`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlpcourse.leaderboard import RESULTS_DIR, write_rows

WRITES_OWN_RESULTS = True

# name: (chapter, description); each runs through run_baseline
BASELINES: dict[str, tuple[int, str]] = {
    "tfidf_logreg": (1, "TF-IDF uni+bigrams + logistic regression"),
    "nbsvm": (1, "NB-SVM, binary uni+bigrams"),
    "glove_mean_logreg": (2, "averaged GloVe 50d vectors + logistic regression"),
    "glove_centroids_logreg": (2, "bag of k-means centroids of GloVe 50d + logistic regression"),
    "fasttext_mean_logreg": (2, "averaged FastText vectors trained on IMDB (subwords for unknown words) "
                                "+ logistic regression"),
}


def all_models() -> list[str]:
    from nlpcourse.models.zoo import ZOO
    return list(BASELINES) + list(ZOO)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", default=None,
                        help=f"comma-separated names (default: all of {', '.join(all_models())})")
    parser.add_argument("--frameworks", default=None,
                        help="torch,keras: which to train zoo models with (default: those of each model's chapter)")
    parser.add_argument("--profile", default=None, help="quick or full (default: full on a GPU, else quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where <profile>-<date>.json goes (default: nlpcourse/results/)")


def run(args: argparse.Namespace) -> dict:
    from nlpcourse.config import get_config
    models = args.models.split(",") if args.models else all_models()
    unknown = [m for m in models if m not in all_models()]
    if unknown:
        raise SystemExit(f"unknown model(s) {', '.join(unknown)}: choose among {', '.join(all_models())}")
    frameworks = args.frameworks.split(",") if args.frameworks else None
    cfg = get_config(args.profile, seed=args.seed)
    path = args.results_dir / f"{cfg.profile}-{dt.date.today().isoformat()}.json"
    rows = bench_imdb(models, cfg, frameworks, path)
    print(f"wrote {len(rows)} row(s) to {path}")
    return {"benchmark": "imdb", "rows": rows}


def bench_imdb(models: list[str], cfg, frameworks: list[str] | None = None,
               path: Path | None = None) -> list[dict[str, Any]]:
    """Train each model in ``cfg``'s profile; one results row per model and framework, each added to
    the results file ``path`` as soon as it is ready (an interrupted run keeps the rows it finished)."""
    from nlpcourse.models.zoo import ZOO
    from nlpcourse.notebook import describe_hardware
    commit = git_commit()   # the code as it was when the run started, whatever is edited meanwhile
    print(f"IMDB benchmark, profile {cfg.profile}, seed {cfg.seed}, {describe_hardware()}, commit {commit}")
    rows, data_cache = [], {}

    def keep(row: dict[str, Any]) -> None:
        rows.append(_report(row))
        if path is not None:
            write_rows([row], path)
    for name in models:
        if name in BASELINES:
            keep(run_baseline(name, cfg, commit))
            continue
        for framework in frameworks or ZOO[name].frameworks:
            keep(run_zoo_model(name, framework, cfg, commit, data_cache))
    return rows


def _report(row: dict[str, Any]) -> dict[str, Any]:
    epochs = f", {row['epochs']} epochs" if row["epochs"] else ""
    print(f"  {row['model']:24s} {row['framework']:8s} accuracy {row['accuracy']:.4f}  F1 {row['f1']:.4f}  "
          f"{row['train_seconds']:7.1f}s{epochs}, {row['parameters']:,} parameters, "
          f"peak {row['peak_memory_mb']:,.0f} MB ({row['memory_kind']})", flush=True)
    return row


def run_zoo_model(name: str, framework: str, cfg, commit: str, data_cache: dict | None = None) -> dict[str, Any]:
    """Train one zoo model exactly as its chapter does: its preset, its recipe, validation from train."""
    import dataclasses

    from nlpcourse.data.loaders import prepare_imdb
    from nlpcourse.models import zoo
    from nlpcourse.utils import count_params
    entry, recipe = zoo.get_entry(name), zoo.recipe(name, cfg)
    key = (entry.inputs, recipe.max_len, recipe.max_vocab, recipe.truncating)
    data_cache = {} if data_cache is None else data_cache
    if key not in data_cache:
        data_cache[key] = prepare_imdb(cfg, recipe, entry.inputs)
    data = data_cache[key]
    embeddings = _pretrained(entry, data, cfg)
    model = zoo.build_model(name, data.vocab_size, cfg, framework, embeddings=embeddings)
    with PeakMemory(framework) as memory:
        start = time.perf_counter()
        if framework == "torch":
            scores, epochs, best_epoch = _train_torch(model, data, recipe, cfg)
        else:
            scores, epochs, best_epoch = _train_keras(model, data, recipe, entry.keras_loss)
        seconds = time.perf_counter() - start
    settings = {"config": dataclasses.asdict(zoo.preset(name, cfg, data.vocab_size)),
                "recipe": dataclasses.asdict(recipe)}
    return make_row(name, framework, entry.chapter, entry.description, cfg, data.sizes, scores,
                    count_params(model), seconds, epochs, best_epoch, memory, settings, commit)


def _pretrained(entry, data, cfg):
    if entry.pretrained is None:
        return None
    from nlpcourse.data.glove import load_glove
    from nlpcourse.embeddings.pretrained import embedding_matrix
    return embedding_matrix(data.vocab.itos, load_glove(50), seed=cfg.seed)[0]


def _train_torch(model, data, recipe, cfg) -> tuple[dict, int, int]:
    """The chapter's lines: loaders from the recipe's batch size, ``fit`` with the recipe, then the test set."""
    from nlpcourse.train import evaluate, fit
    train_loader, val_loader, test_loader = data.loaders(recipe.batch_size, seed=cfg.seed, bucket=recipe.bucket)
    history = fit(model, train_loader, val_loader, cfg, **recipe.fit_kwargs(), progress=False)
    return evaluate(model, test_loader), history.epochs, history.best_epoch


def _train_keras(model, data, recipe, loss: str) -> tuple[dict, int, int]:
    import numpy as np

    from nlpcourse.keras import fit_classifier
    from nlpcourse.metrics import classification_scores
    history = fit_classifier(model, data, recipe, verbose=0, loss=loss).history
    logits = model.predict(data.X_test, batch_size=256, verbose=0)
    return (classification_scores(data.y_test, logits.argmax(axis=1)), len(history["loss"]),
            int(np.argmin(history["val_loss"])) + 1)


def run_baseline(name: str, cfg, commit: str) -> dict[str, Any]:
    """A chapter-1 or chapter-2 baseline on the profile's train and test splits (no validation needed)."""
    from nlpcourse import baselines
    from nlpcourse.data import load_imdb, load_imdb_splits
    from nlpcourse.embeddings.fasttext import fasttext_params
    train, test = load_imdb_splits(cfg)
    functions: dict[str, Callable] = {
        "tfidf_logreg": baselines.tfidf_logreg, "nbsvm": baselines.nbsvm, "glove_mean_logreg": baselines.glove_mean_logreg,
        "glove_centroids_logreg": lambda *a: baselines.glove_centroids_logreg(*a, n_clusters=baselines.n_centroids(cfg),
                                                                              seed=cfg.seed),
        "fasttext_mean_logreg": lambda *a: baselines.fasttext_mean_logreg(
            *a, cfg=cfg, unlabelled_texts=load_imdb("unsup", n=baselines.n_unlabelled(cfg), seed=cfg.seed).texts)}
    with PeakMemory("sklearn") as memory:
        start = time.perf_counter()
        scores = functions[name](train.texts, train.labels, test.texts, test.labels)
        seconds = time.perf_counter() - start
    chapter, description = BASELINES[name]
    settings = {"features": scores["features"]} | (
        {"n_clusters": baselines.n_centroids(cfg)} if name == "glove_centroids_logreg" else {}) | (
        {"fasttext": fasttext_params(cfg), "unlabelled": baselines.n_unlabelled(cfg)}
        if name == "fasttext_mean_logreg" else {})
    sizes = {"n_train": len(train), "n_val": 0, "n_test": len(test)}
    return make_row(name, "sklearn", chapter, description, cfg, sizes, scores, scores["features"] + 1, seconds,
                    None, None, memory, settings, commit)


def make_row(model: str, framework: str, chapter: int, description: str, cfg, sizes: dict[str, int],
             scores: dict[str, float], parameters: int, seconds: float, epochs: int | None, best_epoch: int | None,
             memory: "PeakMemory", settings: dict[str, Any], commit: str) -> dict[str, Any]:
    """One results row in the leaderboard's schema."""
    from nlpcourse.notebook import describe_hardware
    return {"model": model, "framework": framework, "chapter": chapter, "description": description,
            "profile": cfg.profile, **sizes, "accuracy": float(scores["accuracy"]), "f1": float(scores["f1"]),
            "parameters": int(parameters), "train_seconds": round(seconds, 2),
            "seconds_per_epoch": round(seconds / epochs, 2) if epochs else None, "epochs": epochs,
            "best_epoch": best_epoch, "peak_memory_mb": round(memory.peak_mb, 1), "memory_kind": memory.kind,
            "hardware": describe_hardware(), "versions": library_versions(framework), "settings": settings,
            "seed": cfg.seed, "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit}


class PeakMemory:
    """Peak memory while the block runs: CUDA's max allocated for PyTorch on a GPU, else the process RSS."""

    def __init__(self, framework: str) -> None:
        self.framework, self.peak_mb, self.kind = framework, 0.0, "rss"
        self._stop = threading.Event()

    def __enter__(self) -> "PeakMemory":
        import torch
        self._cuda = self.framework == "torch" and torch.cuda.is_available()
        if self._cuda:
            torch.cuda.reset_peak_memory_stats()
            self.kind = "cuda_max_allocated"
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, _rss_mb())
            if self._stop.wait(0.05):
                return

    def __exit__(self, *exc: object) -> None:
        if self._cuda:
            import torch
            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, _rss_mb())


def _rss_mb() -> float:
    """Resident memory of this process (Linux /proc; elsewhere the lifetime peak from ``resource``)."""
    try:
        with open("/proc/self/statm") as f:
            import os
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        import sys
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def library_versions(framework: str) -> dict[str, str]:
    import numpy
    import sklearn
    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "sklearn": sklearn.__version__}
    if framework in ("torch", "transformers"):
        import torch
        versions["torch"] = torch.__version__
    if framework == "transformers":
        import transformers
        versions["transformers"] = transformers.__version__
    if framework == "keras":
        import keras
        versions["keras"] = keras.__version__
        versions[keras.backend.backend()] = _backend_version(keras.backend.backend())
    return versions


def _backend_version(backend: str) -> str:
    import importlib
    return getattr(importlib.import_module(backend), "__version__", "unknown")


def git_commit() -> str:
    """The checkout's commit, with ``-dirty`` when the package's tracked code has changed (its results
    data aside); ``unknown`` outside git."""
    package = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=package, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", ".", ":(exclude)results"], cwd=package,
                               timeout=10).returncode
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")
