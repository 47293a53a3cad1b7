"""Benchmarks: ``python -m nlpcourse.bench tfidf`` (chapter 1) or ``textcnn`` (chapter 4) prints figures.

TF-IDF timings are ratios against a reference run in the same process (scikit-learn), taken
alternately and repeated, so a noisy machine affects both sides alike. ``--out`` also
writes the figures as JSON (e.g. into ``results/``) for the leaderboard.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path


def _best_time(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_tfidf(n_train: int | None, repeats: int, skip_accuracy: bool) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer as SklearnTfidf

    from nlpcourse import baselines
    from nlpcourse.data import load_imdb
    from nlpcourse.text import TfidfVectorizer

    train = load_imdb("train") if n_train is None else load_imdb("train", n=n_train)
    test = load_imdb("test") if n_train is None else load_imdb("test", n=n_train, seed=1)
    print(f"IMDB train: {len(train):,} reviews, test: {len(test):,}; {repeats} runs each, best kept")
    report: dict = {"benchmark": "tfidf", "n_train": len(train), "n_test": len(test), "timings": []}
    for kwargs in (dict(), dict(ngram_range=(1, 2)), dict(ngram_range=(1, 2), min_df=2, sublinear_tf=True)):
        ref_s = ours_s = 0.0
        for _ in range(repeats):  # alternate the two, so drifts of the machine hit both
            t_ref, X_ref = _best_time(lambda: SklearnTfidf(**kwargs).fit_transform(train.texts), 1)
            t_ours, X_ours = _best_time(lambda: TfidfVectorizer(**kwargs).fit_transform(train.texts), 1)
            ref_s = t_ref if ref_s == 0 else min(ref_s, t_ref)
            ours_s = t_ours if ours_s == 0 else min(ours_s, t_ours)
        diff = float(abs(X_ours - X_ref).max())
        row = {"settings": kwargs, "sklearn_s": ref_s, "ours_s": ours_s, "ratio": ours_s / ref_s,
               "terms": X_ours.shape[1], "max_abs_diff": diff}
        report["timings"].append(row)
        print(f"  fit_transform {str(kwargs):55s} sklearn {ref_s:6.2f}s  ours {ours_s:6.2f}s  "
              f"ratio {ours_s / ref_s:4.2f}  ({X_ours.shape[1]:,} terms, max |diff| {diff:.1e})")
        if diff > 1e-12:
            raise SystemExit(f"outputs differ by {diff}: the from-scratch TF-IDF is wrong")
    if not skip_accuracy:
        print("accuracy on the IMDB test split:")
        for name, fn in (("TF-IDF + logistic regression", baselines.tfidf_logreg), ("NB-SVM uni+bigrams", baselines.nbsvm)):
            seconds, scores = _best_time(lambda: fn(train.texts, train.labels, test.texts, test.labels), 1)
            report[name] = scores | {"seconds": seconds}
            print(f"  {name:30s} accuracy {scores['accuracy']:.4f}  F1 {scores['f1']:.4f}  "
                  f"({scores['features']:,} features, {seconds:.0f}s)")
        print("  published: NB-SVM uni+bigrams 0.9122 (Wang & Manning 2012)")
    return report


def bench_textcnn(n_train: int | None, epochs: int | None, profile: str) -> dict:
    """Train the chapter-4 TextCNN (PyTorch) with the profile's sizes; test accuracy and time per epoch."""
    import torch

    from nlpcourse.config import get_config
    from nlpcourse.data import load_imdb
    from nlpcourse.data.loaders import encode_imdb, make_loader
    from nlpcourse.models.textcnn import TextCNN, TextCNNConfig
    from nlpcourse.notebook import describe_hardware
    from nlpcourse.train import evaluate, fit

    cfg = get_config(profile, seed=0)
    train = load_imdb("train", n=n_train, seed=cfg.seed)
    test = load_imdb("test", n=n_train, seed=cfg.seed + 1)
    data = encode_imdb(train.texts, test.texts, max_len=cfg.max_len, max_size=cfg.choose(quick=10_000, full=40_000))
    y_train, y_test = train.labels.astype("int64"), test.labels.astype("int64")
    n_val = len(y_train) // 10
    torch.manual_seed(cfg.seed)
    config = TextCNNConfig(len(data.vocab), embed_dim=cfg.choose(quick=64, full=128),
                           num_filters=cfg.choose(quick=64, full=100))
    model = TextCNN(config)
    print(f"IMDB train {len(train):,} (validation {n_val:,}), test {len(test):,}; max_len {cfg.max_len}; "
          f"{describe_hardware()}, {torch.get_num_threads()} threads")
    history = fit(model, make_loader(data.X_train[n_val:], y_train[n_val:], cfg.batch_size, shuffle=True, seed=cfg.seed),
                  make_loader(data.X_train[:n_val], y_train[:n_val], 256), cfg, epochs=epochs or cfg.epochs,
                  lr=cfg.choose(quick=3e-3, full=1e-3), patience=2, progress=False)
    scores = evaluate(model, make_loader(data.X_test, y_test, 256))
    print(f"test accuracy {scores['accuracy']:.4f}  F1 {scores['f1']:.4f}  ({history.epochs} epochs, best "
          f"{history.best_epoch}, {sum(history.epoch_seconds) / history.epochs:.0f}s per epoch)")
    return {"benchmark": "textcnn", "profile": cfg.profile, "n_train": len(train), "n_val": n_val,
            "n_test": len(test), "max_len": cfg.max_len, "config": dataclasses.asdict(config),
            "parameters": sum(p.numel() for p in model.parameters()), "test": scores,
            "epochs_run": history.epochs, "best_epoch": history.best_epoch,
            "seconds_per_epoch": history.epoch_seconds, "val_accuracy": history.val_accuracy,
            "hardware": describe_hardware(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "published": {"kim2014 / keras imdb_cnn": 0.89, "d2l TextCNN": 0.868}}


def environment() -> dict:
    import numpy
    import sklearn
    return {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "numpy": numpy.__version__, "sklearn": sklearn.__version__,
            "date": dt.datetime.now().isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlpcourse.bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="benchmark", required=True)
    tfidf = sub.add_parser("tfidf", help="our TF-IDF against scikit-learn's; chapter-1 baselines")
    tfidf.add_argument("--n", type=int, default=None, help="reviews per split (default: all 25,000)")
    tfidf.add_argument("--repeats", type=int, default=2)
    tfidf.add_argument("--skip-accuracy", action="store_true")
    tfidf.add_argument("--out", type=Path, default=None, help="write the figures as JSON to this file")
    textcnn = sub.add_parser("textcnn", help="the chapter-4 TextCNN on IMDB: test accuracy, time per epoch")
    textcnn.add_argument("--n", type=int, default=None, help="reviews per split (default: all 25,000)")
    textcnn.add_argument("--epochs", type=int, default=None, help="at most this many (default: the profile's)")
    textcnn.add_argument("--profile", default="full", help="sizes of this profile (default: full)")
    textcnn.add_argument("--out", type=Path, default=None, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    if args.benchmark == "textcnn":
        report = bench_textcnn(args.n, args.epochs, args.profile)
    else:
        report = bench_tfidf(args.n, args.repeats, args.skip_accuracy)
    report |= {"environment": environment()}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, default=str))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
