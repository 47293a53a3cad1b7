"""Benchmarks: ``python -m nlpcourse.bench NAME`` prints figures and ratios.

- ``imdb``: every IMDB model of the course, trained as its chapter trains it; rows for the
  leaderboard in ``nlpcourse/results/<profile>-<date>.json``;
- ``tfidf``: our TF-IDF against scikit-learn's (chapter 1);
- ``word2vec``: our word2vec against gensim's, words/s and quality (chapter 2);
- ``recurrent``: our LSTM against ``nn.LSTM``, PyTorch against Keras, bucketed batches (chapter 5);
- ``capsule``: the capsule classifier's time per epoch against the BiGRU's (chapter 6);
- ``attention``: our attention against PyTorch's, softmax against linear attention by length (chapter 7);
- ``translation``: English -> French models, BLEU greedy and beam, translation speed (chapter 8);
- ``pretraining``: a small BERT pretrained on the unlabelled reviews, then fine-tuned, against the same
  model from scratch, or ELMo's features against static vectors (chapter 9);
- ``generation``: GPT generation with the key-value cache against without it, and our BERT's and GPT's
  forward+backward time against Hugging Face's models of the same size (chapter 9);
- ``finetune``: a pretrained Transformer (MiniLM offline, BERT, ALBERT, DistilBERT or RoBERTa from the hub)
  fine-tuned on IMDB, a frozen linear probe of it, and ``fit`` against ``transformers.Trainer`` in tokens per
  second (chapter 10).

Timings are ratios against a reference run in the same process. ``--out FILE`` writes a
specialised benchmark's figures as JSON (e.g. into ``nlpcourse/results/benchmarks/``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
from pathlib import Path

from nlpcourse.utils import keep_freed_memory, threads_notice, use_free_cores

BENCHMARKS = {
    "imdb": "every IMDB model of the course, as its chapter trains it: leaderboard rows",
    "tfidf": "our TF-IDF against scikit-learn's",
    "word2vec": "our word2vec against gensim's: words/s and quality",
    "recurrent": "scratch LSTM vs nn.LSTM, PyTorch vs Keras BiLSTM, bucketed vs padded batches",
    "capsule": "the capsule classifier's seconds per epoch against the BiGRU, by routing iterations",
    "attention": "our multi-head attention against PyTorch's; softmax against linear attention as T grows",
    "translation": "English -> French: BLEU and chrF of each model, greedy vs beam, sentences per second",
    "pretraining": "a small BERT pretrained by masked LM on unlabelled reviews against the same from scratch",
    "generation": "GPT's key-value cache against none; our BERT and GPT training steps against Hugging Face's",
    "finetune": "a pretrained Transformer fine-tuned on IMDB (and a frozen probe); fit against Trainer, tokens/s",
}


def environment() -> dict:
    import numpy
    import sklearn
    import torch
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "processor": platform.processor(), "numpy": numpy.__version__, "sklearn": sklearn.__version__,
            "date": dt.datetime.now().isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlpcourse.bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="benchmark", required=True)
    for name, help_text in BENCHMARKS.items():
        module = importlib.import_module(f"nlpcourse.benchmarks.{name}")
        one = sub.add_parser(name, help=help_text)
        module.add_arguments(one)
        if not getattr(module, "WRITES_OWN_RESULTS", False):
            one.add_argument("--out", type=Path, default=None, help="write the figures as JSON to this file")
        one.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    keep_freed_memory()
    notice = threads_notice(*use_free_cores())
    if notice:
        print(notice, file=sys.stderr)
    report = args.run(args) | {"environment": environment()}
    if getattr(args, "out", None):
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, default=str))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
