"""Our word2vec against gensim's on the same IMDB corpus, with equal resources: speed and quality (chapter 2).

Both train on the same tokenized reviews (IMDB train + unlabelled) with the same
hyperparameters, in one process, alternately: for each number of CPU cores ``n`` in
``--workers``, gensim with ``n`` worker threads and ours with ``n`` Hogwild processes, each
best of ``--repeats``. Speed is corpus words (in the vocabulary, before subsampling) times
epochs per second of ``fit``, vocabulary building and compiling included. The machine's load
average is recorded before and after, since other work on the machine distorts every figure.
"""
from __future__ import annotations

import argparse
import os
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


def _fit_ours(corpus, params: dict, workers: int, device: str, batch_size: int, compile: bool | None):
    from nlpcourse.embeddings.word2vec import Word2Vec
    model = Word2Vec(workers=workers, device=device, batch_size=batch_size, compile=compile, **params).fit(corpus)
    return model.wv, model.train_seconds_


def load_average() -> list[float] | None:
    """The machine's 1-, 5- and 15-minute load averages (``None`` where the system has none)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def bench_word2vec(n_reviews: int | None, epochs: int, sg: int, workers: list[int], repeats: int,
                   cuda: bool, batch_size: int, compile: bool | None, eager: bool = False) -> dict:
    """Train each contender ``repeats`` times (alternating); print and return words/s, ratios and quality."""
    load_before = load_average()
    print(f"load average before: {load_before} on {os.cpu_count()} CPUs")
    start = time.perf_counter()
    corpus = imdb_corpus(n_reviews)
    n_tokens = sum(map(len, corpus))
    print(f"corpus: {len(corpus):,} IMDB reviews (train + unsup), {n_tokens:,} tokens "
          f"(tokenized in {time.perf_counter() - start:.0f}s)")
    params = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=epochs, sg=sg,
                  alpha=0.025 if sg else 0.05, seed=0)
    contenders = {}                              # name -> (how to fit, the gensim row it is compared with)
    for n in workers:
        contenders[f"gensim-{n}"] = (lambda n=n: _fit_gensim(corpus, params, n), f"gensim-{n}")
        contenders[f"ours-{n}"] = (lambda n=n: _fit_ours(corpus, params, n, "cpu", batch_size, compile),
                                   f"gensim-{n}")
        if eager:
            contenders[f"ours-eager-{n}"] = (lambda n=n: _fit_ours(corpus, params, n, "cpu", batch_size, False),
                                             f"gensim-{n}")
    if cuda:
        contenders["ours-cuda"] = (lambda: _fit_ours(corpus, params, 1, "cuda", 4 * batch_size, False),
                                   f"gensim-{max(workers)}")
    runs = {name: [] for name in contenders}
    vectors = {}
    for repeat in range(repeats):
        for name, (fit, _) in contenders.items():
            vectors[name], seconds = fit()
            runs[name].append(seconds)
            print(f"  round {repeat + 1}/{repeats}: {name} {seconds:.1f}s", flush=True)
    load_after = load_average()
    reference = vectors[f"gensim-{workers[0]}"]
    in_vocab = sum(reference.get_vecattr(w, "count") for w in reference.index_to_key)
    report = {"benchmark": "word2vec", "reviews": len(corpus), "tokens": n_tokens, "tokens_in_vocab": int(in_vocab),
              "params": params, "workers": workers, "batch_size": batch_size, "compile": compile,
              "repeats": repeats, "load_average_before": load_before, "load_average_after": load_after,
              "versions": _versions(), "results": {}}
    print(f"\n{'model':13s} {'words/s':>10s} {'ratio':>6s} {'vs':>9s} {'analogy':>8s} {'WS-353':>7s} {'SimLex':>7s}"
          f"  best of {repeats}")
    for name, (_, against) in contenders.items():
        wps = in_vocab * epochs / min(runs[name])
        ratio = wps / (in_vocab * epochs / min(runs[against]))
        quality = evaluate_vectors(vectors[name])
        report["results"][name] = {"seconds": runs[name], "words_per_second": wps, "ratio": ratio,
                                   "compared_with": against} | quality
        print(f"{name:13s} {wps:10,.0f} {ratio:6.2f} {against:>9s} {quality['analogy']:8.4f} "
              f"{quality['wordsim353']:7.3f} {quality['simlex999']:7.3f}")
    print(f"load average after: {load_after}")
    return report


def _versions() -> dict:
    import gensim
    import torch
    return {"gensim": gensim.__version__, "torch": torch.__version__}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviews", type=int, default=None, help="IMDB train+unsup reviews (default: all 75,000)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="CPU cores for each side: gensim's worker threads, our Hogwild processes (default: 1 2)")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each contender; the best counts")
    parser.add_argument("--compile", choices=["auto", "yes", "no"], default="auto",
                        help="our SGD step through torch.compile (auto: when training covers millions of words)")
    parser.add_argument("--eager", action="store_true", help="also time ours without torch.compile")
    parser.add_argument("--cuda", choices=["auto", "yes", "no"], default="auto",
                        help="also train ours on the GPU (auto: when one is present)")


def run(args: argparse.Namespace) -> dict:
    import torch
    if any(n < 1 for n in args.workers):
        raise SystemExit(f"--workers takes positive counts of CPU cores, got {args.workers}")
    cuda = torch.cuda.is_available() if args.cuda == "auto" else args.cuda == "yes"
    compile = {"auto": None, "yes": True, "no": False}[args.compile]
    return bench_word2vec(args.reviews, args.epochs, 0 if args.cbow else 1, args.workers, args.repeats,
                          cuda, args.batch_size, compile, args.eager)
