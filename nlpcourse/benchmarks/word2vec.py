"""Our word2vec against gensim's on the same IMDB corpus: speed and quality (chapter 2).

Both train on the same tokenized reviews (IMDB train + unlabelled) with the same
hyperparameters, alternately, in one process. Speed is corpus words (in the vocabulary,
before subsampling) times epochs per second of ``fit``, vocabulary building included.
"""
from __future__ import annotations

import argparse
import time

from nlpcourse.data.wordsim import evaluate_vectors


def imdb_corpus(n_reviews: int | None, seed: int = 0) -> list[list[str]]:
    """Tokenized IMDB train + unlabelled reviews: all 75,000, or a seeded sample of ``n_reviews``."""
    from nlpcourse.data import load_imdb
    from nlpcourse.text import clean_text, tokenize
    train, unsup = load_imdb("train"), load_imdb("unsup")
    texts = train.texts + unsup.texts
    if n_reviews is not None:
        import numpy as np
        keep = np.sort(np.random.default_rng(seed).choice(len(texts), size=min(n_reviews, len(texts)), replace=False))
        texts = [texts[i] for i in keep]
    return [tokenize(clean_text(t)) for t in texts]


def _fit_gensim(corpus, params: dict, workers: int):
    from gensim.models import Word2Vec as GensimWord2Vec
    start = time.perf_counter()
    model = GensimWord2Vec(corpus, workers=workers, **params)
    return model.wv, time.perf_counter() - start


def _fit_ours(corpus, params: dict, threads: int, device: str, batch_size: int):
    from nlpcourse.embeddings.word2vec import Word2Vec
    model = Word2Vec(num_threads=threads, device=device, batch_size=batch_size, **params).fit(corpus)
    return model.wv, model.train_seconds_


def bench_word2vec(n_reviews: int | None, epochs: int, sg: int, threads: int, workers: int, repeats: int,
                   devices: list[str], batch_size: int) -> dict:
    """Train both ``repeats`` times (alternating), print and return words/s, ratio and quality."""
    start = time.perf_counter()
    corpus = imdb_corpus(n_reviews)
    n_tokens = sum(map(len, corpus))
    print(f"corpus: {len(corpus):,} IMDB reviews (train + unsup), {n_tokens:,} tokens "
          f"(tokenized in {time.perf_counter() - start:.0f}s)")
    params = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=epochs, sg=sg,
                  alpha=0.025 if sg else 0.05, seed=0)
    runs = {"gensim": []} | {f"ours-{d}": [] for d in devices}
    vectors = {}
    for _ in range(repeats):
        kv, seconds = _fit_gensim(corpus, params, workers)
        runs["gensim"].append(seconds)
        vectors["gensim"] = kv
        for device in devices:
            kv, seconds = _fit_ours(corpus, params, threads, device, batch_size)
            runs[f"ours-{device}"].append(seconds)
            vectors[f"ours-{device}"] = kv
    in_vocab = sum(vectors["gensim"].get_vecattr(w, "count") for w in vectors["gensim"].index_to_key)
    report = {"benchmark": "word2vec", "reviews": len(corpus), "tokens": n_tokens, "tokens_in_vocab": int(in_vocab),
              "params": params, "gensim_workers": workers, "our_threads": threads, "batch_size": batch_size,
              "results": {}}
    print(f"{'model':12s} {'words/s':>10s} {'ratio':>6s} {'analogy':>8s} {'WS-353':>7s} {'SimLex':>7s}  best of {repeats}")
    gensim_wps = in_vocab * epochs / min(runs["gensim"])
    for name, seconds in runs.items():
        wps = in_vocab * epochs / min(seconds)
        quality = evaluate_vectors(vectors[name])
        report["results"][name] = {"seconds": seconds, "words_per_second": wps, "ratio": wps / gensim_wps} | quality
        print(f"{name:12s} {wps:10,.0f} {wps / gensim_wps:6.2f} {quality['analogy']:8.4f} "
              f"{quality['wordsim353']:7.3f} {quality['simlex999']:7.3f}")
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviews", type=int, default=None, help="IMDB train+unsup reviews (default: all 75,000)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads for ours (1 is fastest)")
    parser.add_argument("--workers", type=int, default=2, help="gensim worker threads")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--device", action="append", default=None,
                        help="device(s) for ours, repeatable (default: cpu, plus cuda when present)")


def run(args: argparse.Namespace) -> dict:
    import torch
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    return bench_word2vec(args.reviews, args.epochs, 0 if args.cbow else 1, args.threads, args.workers,
                          args.repeats, devices, args.batch_size)
