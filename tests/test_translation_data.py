"""Tatoeba English-French: normalisation, tokenisation, the leak-free split, batches (chapter 8)."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.config import get_config
from nlpcourse.data.translation import (EOS, SPECIALS, TranslationSetup, detokenize, load_fra_eng, normalize,
                                        prepare_translation, split_by_source, tokenize)
from nlpcourse.tokens import IGNORE_INDEX

from conftest import real_data_dir

TOY = [("Go.", "Va !"), ("Go.", "Marche."), ("Run!", "Cours !"), ("Run!", "Courez !"), ("I see.", "Je vois."),
       ("I'm home.", "Je suis chez moi."), ("Stop!", "Arrête !"), ("Wait!", "Attends !"),
       ("Tom's here.", "Tom est là."), ("I don't know.", "Je ne sais pas."), ("He's at the bank.", "Il est à la banque."),
       ("It's mine.", "C’est à moi."), ("Go.", "Bouge !")] * 3 + [("A very long sentence " * 5, "Une phrase.")]


def test_normalize_unifies_spaces_apostrophes_and_case():
    assert normalize("C\u2019est\u00a0«\u202fbien\u202f» !") == "c'est \" bien \" !"
    assert normalize("  Deux   espaces\t") == "deux espaces"


def test_tokenize_splits_punctuation_and_french_elisions():
    assert tokenize("I don't know, Tom's cat.", "en") == ["i", "don't", "know", ",", "tom's", "cat", "."]
    assert tokenize("L'homme est-il là aujourd'hui ?", "fr") == ["l'", "homme", "est-il", "là", "aujourd'hui", "?"]
    with pytest.raises(ValueError, match="lang must be one of en, fr"):
        tokenize("hello", "de")


def test_detokenize_reads_like_the_language():
    assert detokenize(tokenize("Je l'ai vu, il est là !", "fr"), "fr") == "Je l'ai vu, il est là !"
    assert detokenize(tokenize("Is it yours?", "en"), "en") == "Is it yours?"


def test_split_keeps_every_translation_of_a_source_in_one_part():
    sources = [en for en, _ in TOY]
    train, val, test = split_by_source(sources, val_share=0.2, test_share=0.3, seed=1)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(len(sources)))
    parts = [{sources[r] for r in part} for part in (train, val, test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert split_by_source(sources, 0.2, 0.3, seed=1)[2].tolist() == test.tolist()      # seeded
    with pytest.raises(ValueError, match="val_share and test_share"):
        split_by_source(sources, 0.6, 0.5)


def test_prepare_filters_lengths_builds_references_and_batches():
    cfg = get_config("quick")
    data = prepare_translation(cfg, TranslationSetup(max_tokens=8, min_freq=1, val_share=0.2, test_share=0.3), TOY)
    assert all(max(len(en), len(fr)) <= 8 for en, fr in data.train + data.val)
    assert data.src_vocab.itos[:4] == list(SPECIALS) == data.tgt_vocab.itos[:4]
    train_sources = {" ".join(en) for en, _ in data.train}
    for source, refs in zip(data.test_sources, data.test_references):
        assert " ".join(source) not in train_sources
        assert len(refs) == sum(tokenize(en, "en") == source for en, _ in TOY)   # every translation is a reference
    (src, lengths, tgt_in), tgt_out = next(iter(data.loader(data.train, batch_size=4)))
    assert src.shape[0] == lengths.shape[0] == tgt_in.shape[0] == tgt_out.shape[0]
    assert tgt_in.shape == tgt_out.shape and (tgt_in[:, 0] == 2).all()
    for row in range(src.shape[0]):
        n = int(lengths[row])
        assert src[row, n - 1] == data.src_vocab[EOS] and (src[row, n:] == 0).all()
        real = tgt_out[row][tgt_out[row] != IGNORE_INDEX]
        assert real[-1] == data.tgt_vocab[EOS]
        assert (tgt_in[row, 1:len(real)] == real[:-1]).all()         # the input is the output shifted right


def test_the_offline_copy_loads(monkeypatch):
    root = real_data_dir()
    if root is None or not (root / "tatoeba" / "fra-eng.txt.xz").is_file():
        pytest.skip("no offline Tatoeba copy: set NLPCOURSE_DATA to a folder holding tatoeba/fra-eng.txt.xz")
    monkeypatch.setenv("NLPCOURSE_DATA", str(root))
    pairs = load_fra_eng()
    assert len(pairs) == 142_787 and pairs[0] == ("Go.", "Va !")


def test_offline_without_a_copy_fails_fast_naming_the_data_folder(tmp_path, monkeypatch):
    from nlpcourse.data import DataError
    import dataclasses
    import time

    from nlpcourse.data import translation
    monkeypatch.setenv("NLPCOURSE_DATA", str(tmp_path))
    monkeypatch.setenv("NLPCOURSE_CACHE", str(tmp_path / "cache"))
    unreachable = dataclasses.replace(translation.TATOEBA_FRA_ENG, urls=("http://127.0.0.1:9/fra-eng.zip",))
    monkeypatch.setattr(translation, "TATOEBA_FRA_ENG", unreachable)
    start = time.perf_counter()
    with pytest.raises(DataError, match="NLPCOURSE_DATA"):
        load_fra_eng()
    assert time.perf_counter() - start < 5
