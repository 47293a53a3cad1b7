"""Translation models of chapter 8, built, trained and scored one way, for the chapter and the benchmark.

- :func:`build_translator` builds a model by name from the profile's preset;
- :func:`train_translator` trains it with :func:`nlpcourse.train.fit` and the profile's recipe;
- :func:`score_translations` decodes the test sentences (greedy or beam search) and scores them with
  sacreBLEU (BLEU and chrF, with their signatures), timing the decoding.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any

from nlpcourse.config import RunConfig
from nlpcourse.data.translation import TranslationData
from nlpcourse.models.configs import Seq2SeqConfig, TransformerSeq2SeqConfig

LENGTH_PENALTY = 1.0      # beam search ranks finished hypotheses by log-probability / length ** 1.0

TRANSLATORS = {
    "gru": "GRU encoder-decoder, no attention (Cho et al. 2014)",
    "gru-bahdanau": "GRU encoder-decoder with additive attention (Bahdanau et al. 2015)",
    "gru-dot": "GRU encoder-decoder with scaled dot-product attention (Luong et al. 2015)",
    "transformer": "Transformer encoder-decoder (Vaswani et al. 2017)",
}


def build_translator(name: str, cfg: RunConfig, data: TranslationData):
    """The model ``name`` (one of :data:`TRANSLATORS`) at the profile's sizes, seeded (chapter 8)."""
    import torch

    from nlpcourse.models.seq2seq import Seq2Seq
    from nlpcourse.models.transformer_seq2seq import TransformerSeq2Seq
    if name not in TRANSLATORS:
        raise ValueError(f"unknown translation model {name!r}; known: {', '.join(TRANSLATORS)}")
    torch.manual_seed(cfg.seed)
    sizes = (cfg, len(data.src_vocab), len(data.tgt_vocab))
    if name == "transformer":
        return TransformerSeq2Seq(TransformerSeq2SeqConfig.preset(*sizes))
    attention = {"gru": "none", "gru-bahdanau": "bahdanau", "gru-dot": "dot"}[name]
    return Seq2Seq(Seq2SeqConfig.preset(*sizes, attention=attention))


def train_translator(name: str, cfg: RunConfig, data: TranslationData, epochs: int | None = None,
                     progress: bool | None = None):
    """``(model, history)``: the model trained with the profile's recipe (``epochs`` overrides its count)."""
    from nlpcourse.train import fit
    recipe = Seq2SeqConfig.recipe(cfg)
    model = build_translator(name, cfg, data)
    train_loader, val_loader = data.loaders(recipe.batch_size, cfg.seed)
    settings = {} if epochs is None else {"epochs": epochs}
    history = fit(model, train_loader, val_loader, cfg, recipe, progress=progress, **settings)
    return model, history


@dataclasses.dataclass
class TranslationScores:
    """sacreBLEU's BLEU and chrF of one decoding of the test sentences, and its speed (chapter 8)."""

    bleu: float
    chrf: float
    bleu_signature: str
    chrf_signature: str
    hypotheses: list[list[str]]
    seconds: float

    @property
    def sentences_per_second(self) -> float:
        return len(self.hypotheses) / self.seconds if self.seconds > 0 else float("inf")


def score_hypotheses(hypotheses: list[list[str]], references: list[list[list[str]]],
                     seconds: float = 0.0) -> TranslationScores:
    """BLEU and chrF of token lists against their references (all translations of each source)."""
    from sacrebleu.metrics import CHRF

    from nlpcourse.text.bleu import sacrebleu_score, to_sacrebleu_references
    hyps = [" ".join(h) for h in hypotheses]
    refs = [[" ".join(r) for r in rs] for rs in references]
    bleu, bleu_signature = sacrebleu_score(hyps, refs)
    chrf = CHRF()
    chrf_score = chrf.corpus_score(hyps, to_sacrebleu_references(refs))
    return TranslationScores(bleu.score, chrf_score.score, bleu_signature, str(chrf.get_signature()),
                             hypotheses, seconds)


def score_translations(model, data: TranslationData, beam_width: int = 1, length_penalty: float = LENGTH_PENALTY,
                       sources: list[list[str]] | None = None,
                       references: list[list[list[str]]] | None = None) -> TranslationScores:
    """Decode the test sentences (or ``sources``) and score them against their references."""
    from nlpcourse.models.decoding import translate
    sources = data.test_sources if sources is None else sources
    references = data.test_references if references is None else references
    start = time.perf_counter()
    hypotheses = translate(model, sources, data.src_vocab, data.tgt_vocab, beam_width=beam_width,
                           length_penalty=length_penalty)
    return score_hypotheses(hypotheses, references, time.perf_counter() - start)


def copy_baseline(data: TranslationData) -> TranslationScores:
    """The English sentence itself as its "translation": what BLEU gives for shared names and punctuation."""
    return score_hypotheses(data.test_sources, data.test_references)


def summary_row(name: str, model, history, greedy: TranslationScores, beam: TranslationScores,
                beam_width: int) -> dict[str, Any]:
    """One line of the comparison table (and of the benchmark's results file)."""
    from nlpcourse.utils import count_params
    return {"model": name, "parameters": count_params(model), "epochs": history.epochs,
            "best_epoch": history.best_epoch, "val_loss": round(min(history.val_loss), 4),
            "train_seconds": round(sum(history.epoch_seconds), 1),
            "bleu_greedy": round(greedy.bleu, 2), f"bleu_beam{beam_width}": round(beam.bleu, 2),
            "chrf_greedy": round(greedy.chrf, 2), f"chrf_beam{beam_width}": round(beam.chrf, 2),
            "greedy_sentences_per_s": round(greedy.sentences_per_second, 1),
            f"beam{beam_width}_sentences_per_s": round(beam.sentences_per_second, 1)}
