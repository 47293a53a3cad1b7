"""Every IMDB model of the course, trained as its chapter trains it: one row each on the leaderboard.

``python -m nlpcourse.bench imdb [--models textcnn,nbsvm] [--profile quick|full]`` trains the
zoo models (:mod:`nlpcourse.pipelines.zoo`) with their chapter's recipe, and the chapter-1 and
chapter-2 baselines, on one split and seed, and adds their rows to
``nlpcourse/results/<profile>-<date>.json`` (schema: :mod:`nlpcourse.leaderboard`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlpcourse.benchmarks.records import PeakMemory, git_commit, make_row
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
    from nlpcourse.pipelines.zoo import ZOO
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
    from nlpcourse.pipelines.zoo import ZOO
    from nlpcourse.utils import describe_hardware
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
    """Train one zoo model exactly as its chapter does (:func:`nlpcourse.pipelines.zoo.train`): its preset,
    its recipe, validation from train; reviews prepared once per recipe's data settings."""
    import dataclasses

    from nlpcourse.data.loaders import prepare_imdb
    from nlpcourse.pipelines import zoo
    from nlpcourse.utils import count_params
    entry, recipe = zoo.get_entry(name), zoo.recipe(name, cfg)
    key = (entry.inputs, recipe.max_len, recipe.max_vocab, recipe.truncating)
    data_cache = {} if data_cache is None else data_cache
    if key not in data_cache:
        data_cache[key] = prepare_imdb(cfg, recipe, entry.inputs)
    data = data_cache[key]
    with PeakMemory(framework) as memory:
        start = time.perf_counter()
        trained = zoo.train(name, cfg, framework, data=data)
        seconds = time.perf_counter() - start
    settings = {"config": dataclasses.asdict(zoo.preset(name, cfg, data.vocab_size)),
                "recipe": dataclasses.asdict(recipe)}
    return make_row(name, framework, entry.chapter, entry.description, cfg, data.sizes, trained.scores,
                    count_params(trained.model), seconds, trained.history.epochs, trained.history.best_epoch, memory,
                    settings, commit)


def run_baseline(name: str, cfg, commit: str) -> dict[str, Any]:
    """A chapter-1 or chapter-2 baseline on the profile's train and test splits (no validation needed)."""
    from nlpcourse.pipelines import baselines
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


