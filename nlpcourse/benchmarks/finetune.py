"""Fine-tuning a pretrained Transformer on IMDB, measured (chapter 10).

``--part finetune`` fine-tunes a checkpoint (default: the profile's, see
:func:`nlpcourse.hf.finetune.finetune_recipe`) with the course's ``fit`` and scores it once on
the test reviews; ``--probe`` adds the frozen encoder with a linear head trained the same way.
Each gets a leaderboard row. ``--train-size``/``--test-size`` take seeded, stratified samples
on a machine too slow for the whole splits (the results file says which).

``--part speed`` trains the same model from the same weights on the same reviews with ``fit``
and with ``transformers.Trainer``, alternated, and prints tokens per second of each and
their ratio.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="quick or full (default: the machine's)")
    parser.add_argument("--part", choices=("finetune", "speed"), default="finetune")
    parser.add_argument("--checkpoint", default=None, help="hub name, folder or 'minilm' (default: the profile's)")
    parser.add_argument("--train-size", type=int, default=None, help="train reviews sampled (validation included)")
    parser.add_argument("--test-size", type=int, default=None, help="test reviews sampled")
    parser.add_argument("--max-length", type=int, default=None, help="tokens per review (default: the recipe's)")
    parser.add_argument("--truncation", default=None, help="head, tail or head+tail (default: the recipe's)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the recipe's)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: the recipe's)")
    parser.add_argument("--probe", action="store_true", help="also train a linear probe of the frozen encoder")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="where the leaderboard rows go (default: nlpcourse/results/)")
    parser.add_argument("--reviews", type=int, default=256, help="--part speed: reviews per timed run")
    parser.add_argument("--repeats", type=int, default=2, help="--part speed: timed runs of each, best kept")


def _setup(args: argparse.Namespace):
    from nlpcourse.config import get_config
    from nlpcourse.hf.finetune import finetune_recipe
    cfg = get_config(args.profile)
    recipe = finetune_recipe(cfg, args.checkpoint)
    changes = {name: value for name, value in (("max_length", args.max_length), ("truncation", args.truncation),
                                               ("epochs", args.epochs), ("lr", args.lr)) if value is not None}
    return cfg, recipe.replace(**changes)


def _reviews(cfg, train_size: int | None, test_size: int | None):
    from nlpcourse.data.imdb import load_imdb
    train = load_imdb("train", n=train_size or cfg.train_size, seed=cfg.seed)
    test = load_imdb("test", n=test_size or cfg.test_size, seed=cfg.seed + 1)
    return train, test


def short_name(checkpoint: str) -> str:
    """``minilm``, ``bert-base-uncased``...: the last part of a hub name or folder."""
    return Path(str(checkpoint).rstrip("/")).name


def run(args: argparse.Namespace) -> dict:
    import datetime as dt

    from nlpcourse.leaderboard import RESULTS_DIR
    cfg, recipe = _setup(args)
    date = dt.date.today().isoformat()
    args.results_dir = args.results_dir or RESULTS_DIR
    what = "speed" if args.part == "speed" else short_name(recipe.checkpoint)
    args.out = args.out or args.results_dir / "benchmarks" / f"finetune-{what}-{cfg.profile}-{date}.json"
    return run_speed(args, cfg, recipe) if args.part == "speed" else run_finetune(args, cfg, recipe, date)


def run_finetune(args: argparse.Namespace, cfg, recipe, date: str) -> dict:
    import dataclasses

    from nlpcourse.benchmarks.records import PeakMemory, git_commit, make_row
    from nlpcourse.hf.checkpoints import load_classifier
    from nlpcourse.hf.finetune import finetune, freeze_encoder, scores, tokenize_imdb
    from nlpcourse.leaderboard import write_rows
    from nlpcourse.utils import describe_hardware
    from nlpcourse.utils import count_params
    train, test = _reviews(cfg, args.train_size, args.test_size)
    name = short_name(recipe.checkpoint)
    report = {"benchmark": "finetune", "profile": cfg.profile, "hardware": describe_hardware(),
              "checkpoint": recipe.checkpoint, "recipe": dataclasses.asdict(recipe),
              "train_reviews_sampled": len(train), "test_reviews_sampled": len(test)}
    print(f"Fine-tuning benchmark, {cfg.profile} profile, {describe_hardware()}: {name}, {len(train):,} train "
          f"reviews (validation included), {len(test):,} test reviews", flush=True)
    commit, rows = git_commit(), []
    for kind in ("finetuned", "probe") if args.probe else ("finetuned",):
        model, tokenizer = load_classifier(recipe.checkpoint, seed=cfg.seed)
        if kind == "probe":
            freeze_encoder(model)
        data = tokenize_imdb(model, tokenizer, train, test, recipe, seed=cfg.seed)
        with PeakMemory("torch") as memory:
            start = time.perf_counter()
            history = finetune(model, data, recipe, cfg, lr=recipe.probe_lr if kind == "probe" else None)
            seconds = time.perf_counter() - start
        start = time.perf_counter()
        test_scores = scores(model, data.test)
        trainable, total = count_params(model), count_params(model, trainable_only=False)
        report[kind] = {"seconds": round(seconds, 1), "val_accuracy": [round(a, 4) for a in history.val_accuracy],
                        "test_accuracy": round(test_scores["accuracy"], 4), "test_f1": round(test_scores["f1"], 4),
                        "test_seconds": round(time.perf_counter() - start, 1), "trainable_parameters": trainable,
                        "parameters": total, "train_tokens": data.train.tokens(), **data.sizes}
        args.out.parent.mkdir(parents=True, exist_ok=True)       # what is done so far, should a later stage fail
        args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"{name} {kind}: test accuracy {test_scores['accuracy']:.4f} ({seconds:.0f}s)", flush=True)
        what = "fine-tuned" if kind == "finetuned" else "frozen, a linear head trained (probe)"
        description = (f"pretrained {name} ({type(model).__name__}), {what}, {recipe.max_length} tokens "
                       f"({recipe.truncation})")
        rows.append(make_row(f"{name}-{kind}", "transformers", 10, description, cfg, data.sizes, test_scores, total,
                             seconds, history.epochs, history.best_epoch, memory,
                             {"recipe": report["recipe"], "trainable_parameters": trainable}, commit))
    write_rows(rows, args.results_dir / f"{cfg.profile}-{date}.json")
    return report


def run_speed(args: argparse.Namespace, cfg, recipe) -> dict:
    """Tokens per second of training: the course's ``fit`` against ``transformers.Trainer``, alternated."""
    from nlpcourse.hf.checkpoints import load_classifier
    from nlpcourse.hf.finetune import finetune, finetune_with_trainer, tokenize_imdb
    from nlpcourse.utils import describe_hardware
    train, test = _reviews(cfg, args.reviews, 64)
    recipe = recipe.replace(epochs=1)
    seconds: dict[str, list[float]] = {"fit": [], "Trainer": []}
    tokens = None
    for _ in range(args.repeats):
        for how in seconds:
            model, tokenizer = load_classifier(recipe.checkpoint, seed=cfg.seed)
            data = tokenize_imdb(model, tokenizer, train, test, recipe, seed=cfg.seed, val_share=0.01)
            tokens = data.train.tokens()
            start = time.perf_counter()
            if how == "fit":
                finetune(model, data, recipe, cfg, progress=False)
            else:
                finetune_with_trainer(model, tokenizer, data, recipe, cfg)
            seconds[how].append(time.perf_counter() - start)
    best = {how: min(values) for how, values in seconds.items()}
    report = {"benchmark": "finetune-speed", "profile": cfg.profile, "hardware": describe_hardware(),
              "checkpoint": recipe.checkpoint, "max_length": recipe.max_length, "batch_size": recipe.batch_size,
              "train_tokens": tokens, "seconds": seconds,
              "tokens_per_second": {how: round(tokens / s, 1) for how, s in best.items()},
              "fit_over_trainer_speed": round(best["Trainer"] / best["fit"], 3)}
    print(f"training tokens/s: fit {report['tokens_per_second']['fit']:,.0f}, Trainer "
          f"{report['tokens_per_second']['Trainer']:,.0f}; fit is {report['fit_over_trainer_speed']:.2f}x Trainer's speed")
    return report
