"""The chapter-4 TextCNN (PyTorch) on IMDB: test accuracy and time per epoch (chapter 4)."""
from __future__ import annotations

import argparse
import dataclasses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=None, help="reviews per split (default: all 25,000)")
    parser.add_argument("--epochs", type=int, default=None, help="at most this many (default: the profile's)")
    parser.add_argument("--profile", default="full", help="sizes of this profile (default: full)")


def run(args: argparse.Namespace) -> dict:
    return bench_textcnn(args.n, args.epochs, args.profile)


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
