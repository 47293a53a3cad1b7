"""Pretraining on IMDB's unlabelled reviews, measured (chapter 9).

A small BERT learns by masked language modelling on the unlabelled reviews (held-out perplexity
against the unigram model's), then is fine-tuned on the labelled train split; the same model from
random weights is fine-tuned beside it with the same recipe, so the gain from pretraining is the
difference of their test accuracies. ``--pretrain-rows N`` caps the pretraining text on a machine
too slow for all of it; the results file says so. Both classifiers get a leaderboard row.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

WRITES_OWN_RESULTS = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="quick or full (default: the machine's)")
    parser.add_argument("--pretrain-rows", type=int, default=None,
                        help="pretrain on the first N rows of unlabelled text only (slow machines)")
    parser.add_argument("--whole-word", action="store_true", help="mask whole words")
    parser.add_argument("--part", choices=("bert", "elmo"), default="bert",
                        help="bert: masked-LM pretraining against scratch; elmo: biLM features against static vectors")
    parser.add_argument("--lm-windows", type=int, default=None,
                        help="train the biLM on the first N token windows only (slow machines)")
    parser.add_argument("--out", type=Path, default=None, help="the results file (default: nlpcourse/results/benchmarks/)")
    parser.add_argument("--save-dir", type=Path, default=None, help="write the trained weights here")
    parser.add_argument("--epochs", type=int, default=None, help="cap the fine-tuning epochs (slow machines)")
    parser.add_argument("--resume", type=Path, default=None,
                        help="a results file whose masked-LM stage finished: reuse it, with the weights that "
                             "--save-dir holds, and fine-tune")


def run(args: argparse.Namespace) -> dict:
    import dataclasses
    import datetime as dt

    from nlpcourse.benchmarks.records import PeakMemory, git_commit, make_row
    from nlpcourse.config import get_config
    from nlpcourse.data.pretraining import prepare_pretraining, unigram_perplexity
    from nlpcourse.leaderboard import BENCHMARKS_DIR, RESULTS_DIR, write_rows
    from nlpcourse.utils import describe_hardware
    from nlpcourse.models.bert_mini import BertConfig
    from nlpcourse.pipelines.pretraining import finetune_classifier, pretrain_mlm, test_scores
    from nlpcourse.utils import count_params
    cfg = get_config(args.profile)
    date = dt.date.today().isoformat()
    if args.part == "elmo":
        return run_elmo(args, cfg, date)
    out = args.out or BENCHMARKS_DIR / f"pretraining-{cfg.profile}-{date}.json"
    args.out = out                                  # the entry point adds the environment at the end
    start = time.perf_counter()
    data = prepare_pretraining(cfg)
    print(f"Pretraining benchmark, {cfg.profile} profile, {describe_hardware()}: {data.sizes()} "
          f"({time.perf_counter() - start:.0f}s to prepare)", flush=True)
    rows = args.pretrain_rows
    report = {"benchmark": "pretraining", "profile": cfg.profile, "hardware": describe_hardware(),
              "data": data.sizes(), "pretrain_rows_used": min(rows or len(data.X_pretrain), len(data.X_pretrain)),
              "whole_word_masking": args.whole_word,
              "model": dataclasses.asdict(BertConfig.preset(cfg, data.vocab_size)),
              "mlm_recipe": dataclasses.asdict(BertConfig.recipe(cfg)),
              "finetune_recipe": dataclasses.asdict(BertConfig.classifier_recipe(cfg)), "finetune_epochs_cap": args.epochs,
              "unigram_perplexity": round(unigram_perplexity(data.X_pretrain, data.X_held_out, data.vocab_size), 2)}

    _save(report, out)
    if args.resume is not None:
        mlm = _resume_mlm(args, cfg, data, report)
    else:
        t0 = time.perf_counter()
        mlm, history = pretrain_mlm(cfg, data, whole_word=args.whole_word, rows=rows)
        report["mlm"] = {"seconds": round(time.perf_counter() - t0, 1), "steps": len(history.learning_rates),
                         "held_out_perplexity": round(history.val["perplexity"][-1], 2),
                         "held_out_token_accuracy": round(history.val["token_accuracy"][-1], 4),
                         "train_loss": [round(x, 4) for x in history.train_loss]}
        _save_weights(args, mlm, "bert-mlm")
    _language_model_done(report, out, "mlm", "MLM")
    commit, leaderboard = git_commit(), []
    for name, bert in (("bert-mini-pretrained", mlm.bert), ("bert-mini-scratch", None)):
        with PeakMemory("torch") as memory:
            t0 = time.perf_counter()
            model, history = finetune_classifier(cfg, data, bert, epochs=args.epochs)
            seconds = time.perf_counter() - t0
        scores = test_scores(model, data)
        report[name] = {"seconds": round(seconds, 1), "val_accuracy": [round(a, 4) for a in history.val_accuracy],
                        "best_epoch": history.best_epoch, "test_accuracy": round(scores["accuracy"], 4),
                        "test_f1": round(scores["f1"], 4)}
        print(f"{name}: test accuracy {scores['accuracy']:.4f} ({seconds:.0f}s)", flush=True)
        description = ("small BERT pretrained by masked LM on the unlabelled reviews, fine-tuned"
                       if bert is not None else "the same small BERT from random weights, fine-tuned")
        settings = {"config": report["model"], "recipe": report["finetune_recipe"]}
        if bert is not None:
            settings |= {"pretraining": report["mlm"] | {"rows": report["pretrain_rows_used"]}}
        leaderboard.append(make_row(name, "torch", 9, description, cfg, data.split_sizes, scores, count_params(model),
                                    seconds, history.epochs, history.best_epoch, memory, settings, commit))
        _save_weights(args, model, name)
        _save(report, out)
    gain = report["bert-mini-pretrained"]["test_accuracy"] - report["bert-mini-scratch"]["test_accuracy"]
    report["gain_points"] = round(100 * gain, 2)
    print(f"gain from pretraining: {report['gain_points']:+.2f} points", flush=True)
    _save(report, out)
    write_rows(leaderboard, RESULTS_DIR / f"{cfg.profile}-{date}.json")
    print(f"wrote {out} and the leaderboard rows")
    return report


def _save(report: dict, out: Path) -> None:
    """Write the results so far (a run cut short keeps what it has measured)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")


def _save_weights(args: argparse.Namespace, model, name: str) -> None:
    """``model``'s weights as ``name.safetensors`` in ``--save-dir``, when it is given."""
    if args.save_dir is not None:
        from nlpcourse.checkpoint import save_weights
        save_weights(model, args.save_dir / f"{name}.safetensors")


def _language_model_done(report: dict, out: Path, stage: str, label: str) -> None:
    """Say the language model's held-out perplexity beside the unigram model's, and save the results."""
    print(f"{label}: held-out perplexity {report[stage]['held_out_perplexity']} "
          f"(unigram {report['unigram_perplexity']})", flush=True)
    _save(report, out)


def _take_earlier_stage(args: argparse.Namespace, report: dict, stage: str, weights: str, same: tuple[str, ...]) -> None:
    """Copy ``stage``'s figures from the ``--resume`` results file into ``report``, after checking that the earlier
    run finished that stage, that ``--save-dir`` is given (it holds ``weights``) and that the settings ``same``
    agree with this run's."""
    earlier = json.loads(args.resume.read_text())
    if stage not in earlier or args.save_dir is None:
        raise ValueError(f"--resume needs a results file whose {stage} stage finished ({args.resume} has "
                         f"{'one' if stage in earlier else 'none'}) and --save-dir holding {weights}")
    for key in same:
        if earlier.get(key) != report.get(key):
            raise ValueError(f"--resume: {key} differs from this run's ({earlier.get(key)!r} != {report.get(key)!r})")
    report[stage] = earlier[stage] | {"resumed_from": str(args.resume)}


def _resume_mlm(args: argparse.Namespace, cfg, data, report: dict):
    """The masked-LM model of an earlier run: its figures from ``--resume``, its weights from ``--save-dir``."""
    from nlpcourse.checkpoint import load_weights
    from nlpcourse.models.bert_mini import BertConfig, BertForMaskedLM
    _take_earlier_stage(args, report, "mlm", "bert-mlm.safetensors",
                        ("profile", "data", "pretrain_rows_used", "model", "mlm_recipe", "whole_word_masking"))
    return load_weights(BertForMaskedLM(BertConfig.preset(cfg, data.vocab_size)), args.save_dir / "bert-mlm.safetensors")


def _resume_bilm(args: argparse.Namespace, cfg, data, report: dict):
    """The biLM of an earlier run: its figures from ``--resume``, its weights from ``--save-dir``."""
    from safetensors.torch import load_file

    from nlpcourse.checkpoint import load_state_exactly
    from nlpcourse.models.elmo import BiLM, ELMoConfig
    _take_earlier_stage(args, report, "bilm", "bilm.safetensors",
                        ("profile", "data", "lm_windows_used", "lm_window", "model", "lm_recipe"))
    bilm = BiLM(ELMoConfig.preset(cfg, data.vocab_size))
    state = load_file(str(args.save_dir / "bilm.safetensors"))
    state.setdefault("output.weight", state["embedding.weight"])        # tied: one tensor, stored once
    return load_state_exactly(bilm, state, "bilm.safetensors")


def run_elmo(args: argparse.Namespace, cfg, date: str) -> dict:
    """ELMo's biLM on the unlabelled reviews (perplexity per direction against the unigram model's), then the
    same classifier on its mixed layers and on its static layer 0 alone; both get a leaderboard row."""
    import dataclasses

    from nlpcourse.benchmarks.records import PeakMemory, git_commit, make_row
    from nlpcourse.data.pretraining import prepare_pretraining, unigram_perplexity
    from nlpcourse.leaderboard import BENCHMARKS_DIR, RESULTS_DIR, write_rows
    from nlpcourse.utils import describe_hardware
    from nlpcourse.models.elmo import ELMoConfig
    from nlpcourse.pipelines.pretraining import (elmo_test_scores, lm_windows_of, pretrain_bilm,
                                                 train_elmo_classifier)
    from nlpcourse.utils import count_params
    out = args.out or BENCHMARKS_DIR / f"elmo-{cfg.profile}-{date}.json"
    args.out = out                                  # the entry point adds the environment at the end
    data = prepare_pretraining(cfg)
    train_windows, held_out = lm_windows_of(data, cfg, args.lm_windows)
    print(f"ELMo benchmark, {cfg.profile} profile, {describe_hardware()}: {len(train_windows)} windows of "
          f"{train_windows.shape[1] - 1} tokens", flush=True)
    report = {"benchmark": "elmo", "profile": cfg.profile, "hardware": describe_hardware(), "data": data.sizes(),
              "lm_windows_used": len(train_windows), "lm_window": int(train_windows.shape[1] - 1),
              "model": dataclasses.asdict(ELMoConfig.preset(cfg, data.vocab_size)),
              "lm_recipe": dataclasses.asdict(ELMoConfig.recipe(cfg)),
              "classifier_recipe": dataclasses.asdict(ELMoConfig.classifier_recipe(cfg)),
              "classifier_epochs_cap": args.epochs,
              "unigram_perplexity": round(unigram_perplexity(data.X_pretrain, data.X_held_out, data.vocab_size), 2)}

    if args.resume is not None:
        bilm = _resume_bilm(args, cfg, data, report)
    else:
        t0 = time.perf_counter()
        bilm, history = pretrain_bilm(cfg, data, windows=args.lm_windows)
        directions = bilm.perplexities(held_out[:, :-1])
        report["bilm"] = {"seconds": round(time.perf_counter() - t0, 1), "steps": len(history.learning_rates),
                          "held_out_perplexity": {k: round(v, 2) for k, v in directions.items()},
                          "parameters": count_params(bilm)}
        _save_weights(args, bilm, "bilm")
    _language_model_done(report, out, "bilm", "biLM")
    commit, leaderboard = git_commit(), []
    names = {"all": ("elmo-features", "ELMo: a frozen biLM's layers mixed by learned weights, mean+max pooled, linear"),
             "static": ("elmo-static", "the same classifier on the biLM's context-free layer 0 alone")}
    for layers, (name, description) in names.items():
        with PeakMemory("torch") as memory:
            t0 = time.perf_counter()
            model, history = train_elmo_classifier(cfg, data, bilm, layers, epochs=args.epochs)
            seconds = time.perf_counter() - t0
        scores = elmo_test_scores(model, data)
        report[name] = {"seconds": round(seconds, 1), "val_accuracy": [round(a, 4) for a in history.val_accuracy],
                        "test_accuracy": round(scores["accuracy"], 4), "test_f1": round(scores["f1"], 4),
                        "mix_weights": [round(float(w), 4) for w in model.mix.weights()]}
        print(f"{name}: test accuracy {scores['accuracy']:.4f} ({seconds:.0f}s)", flush=True)
        settings = {"bilm": report["model"], "bilm_pretraining": report["bilm"] | {"windows": len(train_windows)},
                    "recipe": report["classifier_recipe"]}
        leaderboard.append(make_row(name, "torch", 9, description, cfg, data.split_sizes, scores,
                                    count_params(model, trainable_only=False), seconds, history.epochs,
                                    history.best_epoch, memory, settings, commit))
        _save(report, out)
    write_rows(leaderboard, RESULTS_DIR / f"{cfg.profile}-{date}.json")
    print(f"wrote {out} and the leaderboard rows")
    return report
