"""English -> French translation, trained and scored as chapter 8 does (chapter 8).

For each model: training time, sacreBLEU BLEU and chrF on the held-out test sentences (every
translation of a source is a reference), greedy against beam search, sentences per second; then
translation speed batched against one sentence at a time (a ratio, same model, same sentences),
and the copy-the-source baseline. ``--epochs N`` caps training on a machine too slow for the
profile's full recipe; the results file says so.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from nlpcourse.pipelines.translation import LENGTH_PENALTY, TRANSLATORS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="quick or full (default: the machine's)")
    parser.add_argument("--models", default="gru,gru-bahdanau,transformer",
                        help=f"comma-separated, from: {', '.join(TRANSLATORS)}")
    parser.add_argument("--epochs", type=int, default=None, help="cap the recipe's epochs (slow machines)")
    parser.add_argument("--beam-width", type=int, default=5)
    parser.add_argument("--save-dir", type=Path, default=None, help="write each trained model's weights here")
    parser.add_argument("--speed-sentences", type=int, default=200,
                        help="sentences translated one at a time and batched, for the speed ratio")


def run(args: argparse.Namespace) -> dict:
    from nlpcourse.config import get_config
    from nlpcourse.data.translation import prepare_translation
    from nlpcourse.models.configs import Seq2SeqConfig
    from nlpcourse.utils import describe_hardware
    from nlpcourse.pipelines.translation import copy_baseline, score_translations, summary_row, train_translator
    cfg = get_config(args.profile)
    models = [m for m in args.models.split(",") if m]
    data = prepare_translation(cfg)
    recipe = Seq2SeqConfig.recipe(cfg)
    print(f"Translation benchmark, {cfg.profile} profile, {describe_hardware()}: {data.sizes()}")
    copy = copy_baseline(data)
    print(f"copy the source: BLEU {copy.bleu:.2f}, chrF {copy.chrf:.2f}")
    report = {"benchmark": "translation", "profile": cfg.profile, "hardware": describe_hardware(),
              "data": data.sizes(), "recipe_epochs": recipe.epochs, "epochs_cap": args.epochs,
              "beam_width": args.beam_width, "length_penalty": LENGTH_PENALTY,
              "copy_source": {"bleu": round(copy.bleu, 2), "chrf": round(copy.chrf, 2)},
              "bleu_signature": copy.bleu_signature, "chrf_signature": copy.chrf_signature, "rows": []}
    for name in models:
        model, history = train_translator(name, cfg, data, epochs=args.epochs)
        if args.save_dir is not None:
            from nlpcourse.checkpoint import save_weights
            args.save_dir.mkdir(parents=True, exist_ok=True)
            save_weights(model, args.save_dir / f"translation-{cfg.profile}-{name}.safetensors")
        greedy = score_translations(model, data)
        beam = score_translations(model, data, beam_width=args.beam_width)
        row = summary_row(name, model, history, greedy, beam, args.beam_width)
        report["rows"].append(row)
        print(row, flush=True)
        if name == models[-1]:
            report["speed"] = batched_vs_one_at_a_time(model, data, args.speed_sentences) | {"model": name}
            print(report["speed"])
    return report


def batched_vs_one_at_a_time(model, data, n: int) -> dict:
    """Sentences per second translating ``n`` test sentences in one batch against one by one, greedy."""
    from nlpcourse.models.decoding import translate
    sources = data.test_sources[:n]
    timings = {}
    for label, batch_size in (("one at a time", 1), ("batched", 256)):
        start = time.perf_counter()
        translate(model, sources, data.src_vocab, data.tgt_vocab, batch_size=batch_size)
        timings[label] = time.perf_counter() - start
    return {"sentences": len(sources),
            "one_at_a_time_per_s": round(len(sources) / timings["one at a time"], 1),
            "batched_per_s": round(len(sources) / timings["batched"], 1),
            "batched_speedup": round(timings["one at a time"] / timings["batched"], 2)}
