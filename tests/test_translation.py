"""Chapter 8's experiment helpers: model names, scores equal to our BLEU, alignment plots."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.config import get_config
from nlpcourse.data.translation import SPECIALS, TranslationData, TranslationSetup
from nlpcourse.text.bleu import corpus_bleu
from nlpcourse.text.vocab import Vocab
from nlpcourse.pipelines.translation import TRANSLATORS, build_translator, score_hypotheses


def toy_data() -> TranslationData:
    train = [(["i", "see", "."], ["je", "vois", "."]), (["go", "!"], ["va", "!"])] * 3
    return TranslationData(train, train[:2], [["go", "!"], ["i", "see", "."]], [[["va", "!"], ["bouge", "!"]],
                           [["je", "vois", "."]]], Vocab((s for s, _ in train), specials=SPECIALS),
                           Vocab((t for _, t in train), specials=SPECIALS), TranslationSetup(max_tokens=4))


def test_every_translator_builds_and_unknown_names_are_listed():
    cfg, data = get_config("quick"), toy_data()
    counts = {name: sum(p.numel() for p in build_translator(name, cfg, data).parameters()) for name in TRANSLATORS}
    assert all(count > 0 for count in counts.values())
    with pytest.raises(ValueError, match="known: gru, gru-bahdanau"):
        build_translator("lstm", cfg, data)


def test_scores_are_sacrebleu_and_equal_our_bleu():
    data = toy_data()
    hypotheses = [["va", "!"], ["je", "vois", "rien", "."]]
    scores = score_hypotheses(hypotheses, data.test_references)
    ours = corpus_bleu([" ".join(h) for h in hypotheses], [[" ".join(r) for r in refs] for refs in data.test_references])
    assert scores.bleu == pytest.approx(ours.score, abs=1e-9)
    assert "tok:none" in scores.bleu_signature and "nrefs:var" in scores.bleu_signature
    assert 0 < scores.chrf <= 100


def test_alignment_plot_checks_shapes():
    from nlpcourse.viz import plot_alignment
    fig = plot_alignment([(["a", "b"], ["x", "y", "z"], np.full((3, 2), 0.5))], ["one"])
    assert len(fig.data) == 1 and list(fig.layout.yaxis.ticktext) == ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"\(target words, source words\) = \(3, 2\)"):
        plot_alignment([(["a", "b"], ["x", "y", "z"], np.ones((2, 3)))], ["one"])
    with pytest.raises(ValueError, match="one label per example"):
        plot_alignment([(["a"], ["x"], np.ones((1, 1)))], [])
