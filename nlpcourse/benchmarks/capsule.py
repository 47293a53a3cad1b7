"""The capsule classifier, timed (chapter 6): seconds per training epoch against chapter 5's BiGRU.

Both read the same reviews with the same recipe and encoder sizes; the capsule network adds
the routing on top of the BiGRU. Also the cost of 1, 3 and 5 routing iterations. Timed
alternately and repeated, best kept, so a noisy machine hits every side. ``--train`` also trains
each model with the chapter's recipe on the profile's reviews (early stopping on the validation
reviews of the train split) and scores the test reviews once: chapter 6's routing table.
"""
from __future__ import annotations

import argparse
import dataclasses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="quick or full sizes (default: full on a GPU, else quick)")
    parser.add_argument("--n", type=int, default=2000, help="training reviews per timed epoch")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train", action="store_true",
                        help="also train each model with the chapter's recipe and record its test accuracy")


def run(args: argparse.Namespace) -> dict:
    from nlpcourse.benchmarks.timing import alternate, first_reviews
    from nlpcourse.config import get_config
    from nlpcourse.data.loaders import prepare_imdb
    from nlpcourse.pipelines import zoo
    from nlpcourse.models.capsnet import CapsNetClassifier
    from nlpcourse.utils import describe_hardware
    from nlpcourse.train import fit
    cfg = get_config(args.profile, seed=0)
    recipe = zoo.recipe("capsnet", cfg)
    prepared = prepare_imdb(cfg, recipe)
    data = first_reviews(prepared, args.n)
    base = zoo.preset("capsnet", cfg, data.vocab_size)
    builders = {"bigru": lambda: zoo.build_model("bigru", data.vocab_size, cfg)}
    for iterations in (1, 3, 5):
        builders[f"capsnet, {iterations} iterations"] = (
            lambda iterations=iterations: CapsNetClassifier(dataclasses.replace(base, routing_iterations=iterations)))
    models = {name: build() for name, build in builders.items()}

    def epoch(model):  # a fresh loader each time: every model and run gets the very same batches
        return lambda: fit(model, data.loaders(recipe.batch_size, seed=0, bucket=recipe.bucket)[0], None, cfg,
                           epochs=1, lr=recipe.lr, progress=False)
    print(f"Capsule benchmark, profile {cfg.profile}, {describe_hardware()}: one epoch of {len(data.y_train):,} "
          f"reviews, batch {recipe.batch_size}; {args.repeats} runs each, best kept")
    times = alternate({name: epoch(model) for name, model in models.items()}, args.repeats)
    for name, seconds in times.items():
        print(f"  {name:24s} {seconds:7.1f}s  ratio to the BiGRU {seconds / times['bigru']:5.2f}")
    report = {"benchmark": "capsule", "profile": cfg.profile, "hardware": describe_hardware(),
              "reviews": len(data.y_train), "seconds_per_epoch": times,
              "ratio_to_bigru": {name: seconds / times["bigru"] for name, seconds in times.items()}}
    if args.train:
        report["trained"] = train_each(cfg, recipe, prepared, builders)
    return report


def train_each(cfg, recipe, data, builders) -> dict[str, dict]:
    """Each model of ``builders`` trained as chapter 6 trains the zoo's ``capsnet`` (the profile's reviews, its
    recipe and seed), scored once on the test reviews: ``{name: {"test_accuracy", "epochs", "best_epoch"}}``."""
    import torch

    from nlpcourse.train import evaluate, fit
    trained = {}
    for name, build in builders.items():
        torch.manual_seed(cfg.seed)
        model = build()
        train, val, test = data.loaders(recipe.batch_size, seed=cfg.seed, bucket=recipe.bucket)
        history = fit(model, train, val, cfg, recipe, progress=False)
        trained[name] = {"test_accuracy": round(evaluate(model, test)["accuracy"], 4), "epochs": history.epochs,
                         "best_epoch": history.best_epoch}
        print(f"  {name:24s} test accuracy {trained[name]['test_accuracy']:.4f} after {history.epochs} epochs",
              flush=True)
    return trained
