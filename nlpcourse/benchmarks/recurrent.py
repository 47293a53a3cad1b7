"""Recurrent networks, timed (chapter 5): three ratios, each measured within one run.

1. Our from-scratch LSTM against ``nn.LSTM``: forward + backward, same shapes and weights.
2. The PyTorch BiLSTM against the Keras BiLSTM: seconds per training epoch, same config, same
   reviews (the profile's recipe and sizes); PyTorch both on length-bucketed and on
   padded-to-max batches, Keras on padded-to-max batches with a mask, as it trains.
3. Length-bucketed against padded-to-max batches: seconds per epoch and test accuracy of the
   zoo's LSTM trained both ways with the same recipe.

Every pair is timed alternately and repeated, best kept, so a noisy machine hits both sides.
"""
from __future__ import annotations

import argparse

from nlpcourse.benchmarks.timing import alternate, first_reviews


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="quick or full sizes (default: full on a GPU, else quick)")
    parser.add_argument("--n", type=int, default=2000, help="training reviews timed per epoch in part 2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", default="scratch,frameworks,bucketing", help="which parts to run")


def run(args: argparse.Namespace) -> dict:
    from nlpcourse.config import get_config
    from nlpcourse.utils import describe_hardware
    cfg = get_config(args.profile, seed=0)
    parts = args.parts.split(",")
    print(f"Recurrent benchmark, profile {cfg.profile}, {describe_hardware()}; {args.repeats} runs each, best kept")
    report: dict = {"benchmark": "recurrent", "profile": cfg.profile, "hardware": describe_hardware()}
    if "scratch" in parts:
        report["scratch_vs_nn_lstm"] = scratch_vs_library(cfg, args.repeats)
    if "frameworks" in parts:
        report["torch_vs_keras_bilstm"] = torch_vs_keras(cfg, args.n, args.repeats)
    if "bucketing" in parts:
        report["bucketed_vs_padded"] = bucketed_vs_padded(cfg)
    return report


def scratch_vs_library(cfg, repeats: int) -> dict:
    import torch
    from torch import nn

    from nlpcourse.layers.recurrent import LSTM
    batch, steps, size = cfg.choose(quick=(32, 100, 64), full=(64, 200, 128))
    torch.manual_seed(0)
    theirs = nn.LSTM(size, size, batch_first=True)
    ours = LSTM(size, size).copy_weights_from(theirs)
    x = torch.randn(batch, steps, size)

    def step(module):
        def go():
            out, _ = module(x)
            out.sum().backward()
        return go
    times = alternate({"nn.LSTM": step(theirs), "scratch": step(ours)}, repeats)
    ratio = times["scratch"] / times["nn.LSTM"]
    print(f"  scratch LSTM vs nn.LSTM, forward+backward, batch {batch}, {steps} steps, {size} units: "
          f"nn.LSTM {times['nn.LSTM'] * 1e3:.0f} ms, scratch {times['scratch'] * 1e3:.0f} ms, ratio {ratio:.2f}")
    return {"batch": batch, "steps": steps, "size": size, "seconds": times, "ratio": ratio}


def torch_vs_keras(cfg, n: int, repeats: int) -> dict:
    import math

    from nlpcourse.data.loaders import prepare_imdb
    from nlpcourse.keras import compile_classifier
    from nlpcourse.pipelines import zoo
    from nlpcourse.train import fit
    recipe = zoo.recipe("bilstm", cfg)
    data = first_reviews(prepare_imdb(cfg, recipe), n)
    torch_model = zoo.build_model("bilstm", data.vocab_size, cfg, "torch")
    keras_model = zoo.build_model("bilstm", data.vocab_size, cfg, "keras")
    compile_classifier(keras_model, recipe, math.ceil(len(data.y_train) / recipe.batch_size))

    def torch_epoch(bucket):  # a fresh loader each time: every run gets the very same batches
        return lambda: fit(torch_model, data.loaders(recipe.batch_size, seed=0, bucket=bucket)[0], None, cfg,
                           epochs=1, lr=recipe.lr, progress=False, device="cpu")

    def keras_epoch():
        keras_model.fit(data.X_train, data.y_train, batch_size=recipe.batch_size, epochs=1, verbose=0)
    times = alternate({"torch, bucketed": torch_epoch(True), "torch, padded": torch_epoch(False),
                        "keras, padded + mask": keras_epoch}, repeats)
    reference = times["torch, bucketed"]
    print(f"  BiLSTM, one epoch of {len(data.y_train):,} reviews (max {recipe.max_len} tokens), batch "
          f"{recipe.batch_size}, CPU:")
    for name, seconds in times.items():
        print(f"    {name:22s} {seconds:7.1f}s  ratio to torch bucketed {seconds / reference:5.2f}")
    return {"reviews": len(data.y_train), "max_len": recipe.max_len, "seconds_per_epoch": times,
            "keras_over_torch_padded": times["keras, padded + mask"] / times["torch, padded"],
            "keras_over_torch_bucketed": times["keras, padded + mask"] / reference}


def bucketed_vs_padded(cfg) -> dict:
    from nlpcourse.data.loaders import prepare_imdb
    from nlpcourse.pipelines import zoo
    from nlpcourse.train import evaluate, fit
    recipe = zoo.recipe("lstm", cfg)
    data = prepare_imdb(cfg, recipe)
    results = {}
    for bucket in (False, True):
        model = zoo.build_model("lstm", data.vocab_size, cfg, "torch")
        train, val, test = data.loaders(recipe.batch_size, seed=cfg.seed, bucket=bucket)
        history = fit(model, train, val, cfg, recipe, progress=False, device="cpu")
        name = "bucketed" if bucket else "padded"
        results[name] = {"seconds_per_epoch": sum(history.epoch_seconds) / history.epochs, "epochs": history.epochs,
                         "test_accuracy": evaluate(model, test)["accuracy"]}
    ratio = results["padded"]["seconds_per_epoch"] / results["bucketed"]["seconds_per_epoch"]
    print(f"  LSTM, {len(data.y_train):,} reviews, recipe of profile {cfg.profile}:")
    for name, r in results.items():
        print(f"    {name:9s} {r['seconds_per_epoch']:6.1f}s per epoch, {r['epochs']} epochs, "
              f"test accuracy {r['test_accuracy']:.4f}")
    print(f"    speed-up of bucketing: {ratio:.2f}x per epoch")
    return results | {"speedup": ratio}
