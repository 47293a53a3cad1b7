"""Our TF-IDF against scikit-learn's on IMDB: same matrices, time ratios (chapter 1).

The chapter-1 baselines' accuracies are leaderboard rows: ``python -m nlpcourse.bench imdb
--models tfidf_logreg,nbsvm``.

Timings are ratios against a reference run in the same process (scikit-learn), taken
alternately and repeated (best kept), so a noisy machine affects both sides alike.
"""
from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=None, help="reviews per split (default: all 25,000)")
    parser.add_argument("--repeats", type=int, default=2)


def run(args: argparse.Namespace) -> dict:
    return bench_tfidf(args.n, args.repeats)


def _best_time(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_tfidf(n_train: int | None, repeats: int) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer as SklearnTfidf

    from nlpcourse.data import load_imdb
    from nlpcourse.text import TfidfVectorizer

    train = load_imdb("train") if n_train is None else load_imdb("train", n=n_train)
    test = load_imdb("test") if n_train is None else load_imdb("test", n=n_train, seed=1)
    print(f"IMDB train: {len(train):,} reviews, test: {len(test):,}; {repeats} runs each, best kept")
    report: dict = {"benchmark": "tfidf", "n_train": len(train), "n_test": len(test), "timings": []}
    for kwargs in (dict(), dict(ngram_range=(1, 2)), dict(ngram_range=(1, 2), min_df=2, sublinear_tf=True)):
        ref_times, our_times = [], []
        for _ in range(repeats):  # alternate the two, so drifts of the machine hit both
            t_ref, X_ref = _best_time(lambda: SklearnTfidf(**kwargs).fit_transform(train.texts), 1)
            t_ours, X_ours = _best_time(lambda: TfidfVectorizer(**kwargs).fit_transform(train.texts), 1)
            ref_times.append(t_ref)
            our_times.append(t_ours)
        ref_s, ours_s = min(ref_times), min(our_times)
        diff = float(abs(X_ours - X_ref).max())
        row = {"settings": kwargs, "sklearn_s": ref_s, "ours_s": ours_s, "ratio": ours_s / ref_s,
               "terms": X_ours.shape[1], "max_abs_diff": diff}
        report["timings"].append(row)
        print(f"  fit_transform {str(kwargs):55s} sklearn {ref_s:6.2f}s  ours {ours_s:6.2f}s  "
              f"ratio {ours_s / ref_s:4.2f}  ({X_ours.shape[1]:,} terms, max |diff| {diff:.1e})")
        if diff > 1e-12:
            raise SystemExit(f"outputs differ by {diff}: the from-scratch TF-IDF is wrong")
    return report
