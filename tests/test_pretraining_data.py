"""The text of chapter 9's pretraining: the WordPiece vocabulary, reviews cut into rows, BERT's masking rule
(15 %; 80 / 10 / 10; whole words), the masked-LM and classification batches, causal-LM windows and the
unigram baseline's perplexity."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tokenizers")

from nlpcourse.config import RunConfig  # noqa: E402
from nlpcourse.data.pretraining import (CLS, MASK, PAD, SEP, SPECIAL_TOKENS, UNK, ClassifierLoader,  # noqa: E402
                                        MLMLoader, PretrainingSetup, continuation_ids, encode_reviews, lm_windows,
                                        mask_tokens, prepare_pretraining, train_wordpiece, unigram_perplexity)
from nlpcourse.text.clean import clean_text  # noqa: E402

WORDS = ("the movie film was great terrible acting plot unbelievable unwatchable wonderful wonderfully "
         "director directed directing actor actress actors character characters boring brilliant "
         "screenplay cinematography soundtrack disappointing disappointment overrated underrated").split()


def synthetic_reviews(n: int = 200, seed: int = 0) -> list[str]:
    """Reviews of 3 to 120 words from a small word list, some capitalised, some with ``<br />`` and punctuation."""
    rng = random.Random(seed)
    reviews = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 120))]
        words = [w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w for w in words]
        reviews.append(" ".join(w + rng.choice(["", "", "", ",", ".", "!<br /><br />"]) for w in words))
    return reviews


@pytest.fixture(scope="module")
def tokenizer():
    return train_wordpiece(synthetic_reviews(), vocab_size=120)


def padded_ids(lengths, vocab_size: int = 1000, seed: int = 0, unk_share: float = 0.0) -> torch.Tensor:
    """``[CLS] random ids [SEP] [PAD]...`` rows ``(B, max(lengths))``; each length counts [CLS] and [SEP]."""
    generator = torch.Generator().manual_seed(seed)
    steps = max(lengths)
    ids = torch.randint(len(SPECIAL_TOKENS), vocab_size, (len(lengths), steps), generator=generator)
    ids[torch.rand(ids.shape, generator=generator) < unk_share] = UNK
    position, length = torch.arange(steps)[None], torch.tensor(lengths)[:, None]
    return ids.masked_fill(position == 0, CLS).masked_fill(position == length - 1, SEP).masked_fill(
        position >= length, PAD)


# --- the vocabulary and the rows ---------------------------------------------------------------------------

def test_train_wordpiece_puts_the_special_tokens_first_and_lower_cases(tokenizer):
    assert [tokenizer.id_to_token(i) for i in range(5)] == list(SPECIAL_TOKENS)
    assert (PAD, UNK, CLS, SEP, MASK) == (0, 1, 2, 3, 4)
    vocab = tokenizer.get_vocab()
    assert len(vocab) == tokenizer.get_vocab_size() == 120
    assert not any(token.lower() != token for token in vocab if not token.startswith("["))
    assert tokenizer.encode("UNBELIEVABLE Movie").ids == tokenizer.encode("unbelievable movie").ids
    continuing = continuation_ids(tokenizer)
    assert continuing.shape == (120,) and continuing.sum() > 10
    assert all(tokenizer.id_to_token(i).startswith("##") == bool(flag) for i, flag in enumerate(continuing))
    pieces = tokenizer.encode("unwatchableness").tokens
    assert len(pieces) > 1 and pieces[1].startswith("##")


def test_train_wordpiece_refuses_no_text_and_a_vocabulary_too_small():
    with pytest.raises(ValueError, match="texts is empty"):
        train_wordpiece([], vocab_size=100)
    with pytest.raises(ValueError, match="vocab_size must be a whole number >= 6"):
        train_wordpiece(["a film"], vocab_size=5)


def test_encode_reviews_frames_pads_and_cleans(tokenizer):
    texts = ["The movie was GREAT!", "Terrible<br /><br />acting, boring plot", ""]
    X = encode_reviews(tokenizer, texts, max_len=24)
    assert X.shape == (3, 24) and X.dtype == np.int64
    for row, text in zip(X, texts):
        pieces = tokenizer.encode(clean_text(text)).ids
        assert len(pieces) <= 22
        assert row[0] == CLS and row[len(pieces) + 1] == SEP
        assert list(row[1:len(pieces) + 1]) == pieces
        assert (row[len(pieces) + 2:] == PAD).all()
    assert "br" not in tokenizer.encode(clean_text(texts[1])).tokens
    assert list(X[2, :3]) == [CLS, SEP, PAD], "an empty review is [CLS] [SEP]"
    with pytest.raises(ValueError, match="max_len must be a whole number >= 3"):
        encode_reviews(tokenizer, texts, max_len=2)


def test_split_long_covers_every_token_once_and_truncation_keeps_the_head(tokenizer):
    texts = synthetic_reviews(30, seed=1)
    max_len, body = 16, 14
    split = encode_reviews(tokenizer, texts, max_len, split_long=True)
    head = encode_reviews(tokenizer, texts, max_len)
    assert head.shape == (30, max_len)
    start = 0
    for text in texts:
        pieces = tokenizer.encode(clean_text(text)).ids
        rows = split[start:start + math.ceil(len(pieces) / body)]
        start += len(rows)
        real = [row[1:(row != PAD).sum() - 1] for row in rows]
        assert all(row[0] == CLS and row[(row != PAD).sum() - 1] == SEP for row in rows)
        assert np.concatenate(real).tolist() == pieces
        assert all(len(r) == body for r in real[:-1]), "only the last row of a review is short"
    assert start == len(split)
    assert len(split) > len(texts), "the corpus has reviews longer than a row"
    for row, text in zip(head, texts):
        pieces = tokenizer.encode(clean_text(text)).ids
        kept = pieces[:body]
        assert row[1:len(kept) + 1].tolist() == kept and row[len(kept) + 1] == SEP


def test_on_real_reviews(imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.data.imdb import load_imdb
    texts = load_imdb("unsup", n=300, seed=0).texts
    tokenizer = train_wordpiece(texts[:250], vocab_size=1000)
    X = encode_reviews(tokenizer, texts[250:], max_len=64, split_long=True)
    lengths = (X != PAD).sum(axis=1)
    assert (X[:, 0] == CLS).all() and (X[np.arange(len(X)), lengths - 1] == SEP).all()
    assert (X == UNK).mean() < 0.01, "a vocabulary learned on reviews covers reviews"
    perplexity = unigram_perplexity(X[:len(X) // 2], X[len(X) // 2:], 1000)
    assert 50 < perplexity < 1000


# --- the masking rule ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_batch():
    lengths = [int(n) for n in np.random.default_rng(0).integers(3, 120, size=400)]
    ids = padded_ids(lengths, unk_share=0.02)
    return ids, mask_tokens(ids, torch.Generator().manual_seed(0), vocab_size=1000)


def test_mask_tokens_chooses_15_percent_of_the_real_tokens(big_batch):
    ids, (inputs, masked, targets) = big_batch
    real = (ids >= len(SPECIAL_TOKENS)) | (ids == UNK)
    assert real.sum() > 20_000
    assert 0.14 < masked[real].float().mean() < 0.16
    assert not masked[~real].any(), "never [PAD], [CLS] or [SEP]"
    assert masked[ids == UNK].any(), "[UNK] stands for a real word: it may be chosen"
    assert inputs.shape == masked.shape == ids.shape and masked.dtype == torch.bool
    assert torch.equal(inputs[~masked], ids[~masked])


def test_mask_tokens_hides_80_swaps_10_keeps_10_percent(big_batch):
    ids, (inputs, masked, targets) = big_batch
    chosen, original = inputs[masked], ids[masked]
    as_mask = (chosen == MASK).float().mean()
    swapped = ((chosen != MASK) & (chosen != original)).float().mean()
    kept = (chosen == original).float().mean()
    assert 0.77 < as_mask < 0.83 and 0.08 < swapped < 0.12 and 0.08 < kept < 0.12, (as_mask, swapped, kept)
    assert (chosen[chosen != MASK] >= len(SPECIAL_TOKENS)).all(), "a random token is never a special one"
    assert (chosen < 1000).all()


def test_targets_are_the_original_ids_in_row_major_order(big_batch):
    ids, (_, masked, targets) = big_batch
    expected = [int(ids[r, t]) for r in range(ids.shape[0]) for t in range(ids.shape[1]) if masked[r, t]]
    assert targets.tolist() == expected


def words_of(row, continuation):
    """The positions of each word of one row: a first piece and the continuation pieces after it."""
    words = []
    for t, token in enumerate(row.tolist()):
        if token < len(SPECIAL_TOKENS) and token != UNK:
            continue
        if continuation[token] and words:
            words[-1].append(t)
        else:
            words.append([t])
    return words


def test_whole_word_masking_chooses_all_pieces_of_a_word_or_none():
    generator = torch.Generator().manual_seed(1)
    continuation = np.zeros(1000, dtype=bool)
    continuation[500:] = True                                            # ids 500-999 continue a word
    rows = []
    for _ in range(300):
        pieces = [CLS]
        while len(pieces) < 60:
            pieces.append(int(torch.randint(5, 500, (1,), generator=generator)))
            pieces.extend(torch.randint(500, 1000, (int(torch.randint(0, 4, (1,), generator=generator)),),
                                        generator=generator).tolist())
        rows.append(pieces + [SEP])
    steps = max(map(len, rows))
    ids = torch.tensor([row + [PAD] * (steps - len(row)) for row in rows])
    inputs, masked, targets = mask_tokens(ids, torch.Generator().manual_seed(2), 1000, continuation=continuation)
    words = [w for row, m in zip(ids, masked) for w in ((m[w].tolist()) for w in words_of(row, continuation))]
    assert all(all(w) or not any(w) for w in words), "a word's pieces are chosen together"
    assert sum(len(w) > 1 and all(w) for w in words) > 50, "words of several pieces are chosen too"
    assert 0.13 < np.mean([w[0] for w in words]) < 0.17, "15 % of the words"
    assert torch.equal(targets, ids[masked])
    plain = mask_tokens(ids, torch.Generator().manual_seed(2), 1000)[1]
    assert any(any(m[w].tolist()) and not all(m[w].tolist())
               for row, m in zip(ids, plain) for w in words_of(row, continuation) if len(w) > 1), \
        "without the table, pieces are chosen one by one"


@pytest.mark.parametrize("whole_words", [False, True])
def test_at_least_one_token_is_chosen_and_with_whole_words_its_word(whole_words):
    ids = torch.tensor([[PAD, PAD, PAD, PAD, PAD, PAD, PAD], [CLS, 7, 8, 9, 6, SEP, PAD]])
    continuation = np.zeros(10, dtype=bool)
    continuation[[8, 9]] = True                                          # 7 ##8 ##9 is one word, 6 another
    for seed in range(20):
        inputs, masked, targets = mask_tokens(ids, torch.Generator().manual_seed(seed), 10, 0.001,
                                              continuation if whole_words else None)
        assert masked[1].tolist() == [False, True, whole_words, whole_words, False, False, False]
        assert not masked[0].any() and targets.tolist() == ids[masked].tolist()
    nothing_real = torch.tensor([[CLS, SEP, PAD]])
    inputs, masked, targets = mask_tokens(nothing_real, torch.Generator().manual_seed(0), 10)
    assert not masked.any() and targets.numel() == 0 and torch.equal(inputs, nothing_real)


def test_mask_tokens_repeats_with_the_same_seed_and_refuses_bad_probabilities():
    ids = padded_ids([40, 30, 12])
    first, again, other = (mask_tokens(ids, torch.Generator().manual_seed(s), 1000) for s in (5, 5, 6))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[1], other[1])
    for probability in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"probability must be in \(0, 1\)"):
            mask_tokens(ids, torch.Generator(), 1000, probability)


# --- loaders -------------------------------------------------------------------------------------------------

def rows_of_lengths(n: int = 50, seed: int = 0) -> np.ndarray:
    lengths = np.random.default_rng(seed).integers(3, 30, size=n)
    X = padded_ids([int(n) for n in lengths], vocab_size=200, seed=seed).numpy()
    X[:, 1] = 5 + np.arange(n)                                           # row i starts with token 5 + i
    return X


def test_mlm_loader_batches_are_masked_and_cut_to_their_longest_row():
    X = rows_of_lengths()
    loader = MLMLoader(X, vocab_size=200, batch_size=8, shuffle=True, seed=0)
    assert len(loader) == 7
    seen = []
    for (inputs, attention_mask, masked), targets in loader:
        assert inputs.shape == attention_mask.shape == masked.shape and inputs.shape[0] <= 8
        assert masked.dtype == torch.bool and targets.shape == (int(masked.sum()),)
        assert attention_mask[:, -1].any(), "cut to the batch's longest row"
        assert not masked[attention_mask == 0].any()
        assert (inputs[attention_mask == 0] == PAD).all() and (inputs[:, 0] == CLS).all()
        seen.extend(attention_mask.sum(1).tolist())
    assert sorted(seen) == sorted((X != PAD).sum(1).tolist()), "every row once per epoch"


def test_masks_change_every_epoch_when_shuffling_and_repeat_otherwise():
    X = np.tile(padded_ids([20], vocab_size=200).numpy(), (32, 1))      # equal rows: batch order cannot matter
    def epoch(loader):
        return torch.cat([masked for (_, _, masked), _ in loader])
    shuffled = MLMLoader(X, 200, batch_size=8, shuffle=True, seed=3)
    first, second = epoch(shuffled), epoch(shuffled)
    assert not torch.equal(first, second)
    assert torch.equal(epoch(MLMLoader(X, 200, batch_size=8, shuffle=True, seed=3)), first), "seeded"
    fixed = MLMLoader(X, 200, batch_size=8, shuffle=False, seed=3)
    first, second = list(fixed), list(fixed)
    assert len(first) == len(second) == 4
    for ((inputs, _, masked), targets), ((inputs_again, _, masked_again), targets_again) in zip(first, second):
        assert torch.equal(inputs, inputs_again) and torch.equal(masked, masked_again)
        assert torch.equal(targets, targets_again)


@pytest.mark.parametrize("shuffle", [False, True])
def test_classifier_loader_keeps_each_label_with_its_row(shuffle):
    X = rows_of_lengths(seed=1)
    y = np.arange(50) % 3
    loader = ClassifierLoader(X, y, batch_size=16, shuffle=shuffle, seed=2)
    seen = []
    for (ids, attention_mask), labels in loader:
        assert ids.shape == attention_mask.shape and labels.shape == (ids.shape[0],)
        assert labels.dtype == torch.int64 and attention_mask[:, -1].any()
        assert torch.equal(attention_mask, (ids != PAD).long())
        assert torch.equal(labels, (ids[:, 1] - 5) % 3)
        seen.extend((ids[:, 1] - 5).tolist())
    assert sorted(seen) == list(range(50))
    with pytest.raises(ValueError, match="X has 50 rows but y has 49 labels"):
        ClassifierLoader(X, y[:49])
    with pytest.raises(ValueError, match="X must be a 2-D array of token indices"):
        ClassifierLoader(X.astype(float), y)


# --- causal windows and the unigram baseline -----------------------------------------------------------------

def test_lm_windows_cut_one_stream_without_cls():
    X = np.array([[CLS, 10, 11, 12, SEP, PAD], [CLS, 20, 21, SEP, PAD, PAD]])
    assert lm_windows(X, 2).tolist() == [[10, 11, 12], [12, SEP, 20], [20, 21, SEP]]
    assert lm_windows(X, 3).tolist() == [[10, 11, 12, SEP], [SEP, 20, 21, SEP]]
    assert lm_windows(X, 6).tolist() == [[10, 11, 12, SEP, 20, 21, SEP]]
    with pytest.raises(ValueError, match="7 tokens make no window of 8"):
        lm_windows(X, 7)
    with pytest.raises(ValueError, match="window must be a whole number >= 1"):
        lm_windows(X, 0)


def test_unigram_perplexity_by_hand():
    X_train = np.array([[CLS, 5, 5, 6, SEP, PAD]])
    X_eval = np.array([[CLS, 5, 7, UNK, SEP, PAD, PAD]])
    # add-one counts over 8 ids: [PAD] [CLS] [SEP] [MASK] never counted; [UNK] 0+1, 5: 2+1, 6: 1+1, 7: 0+1 -> 11
    expected = math.exp(-(math.log(3 / 11) + math.log(1 / 11) + math.log(1 / 11)) / 3)
    assert unigram_perplexity(X_train, X_eval, vocab_size=8) == pytest.approx(expected)
    assert unigram_perplexity(X_train, np.array([[CLS, 5, SEP]]), 8) == pytest.approx(11 / 3)
    with pytest.raises(ValueError, match="X_eval has no real tokens"):
        unigram_perplexity(X_train, np.array([[CLS, SEP, PAD]]), 8)


def test_prepare_pretraining_splits_and_encodes(imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    quick, full = (PretrainingSetup.preset(RunConfig(profile)) for profile in ("quick", "full"))
    assert quick.vocab_size < full.vocab_size and quick.pretrain_reviews < 50_000 and full.pretrain_reviews is None
    setup = PretrainingSetup(pretrain_reviews=200, held_out_reviews=40, vocab_size=500, max_len=32)
    data = prepare_pretraining(RunConfig("quick", train_size=100, test_size=60), setup)
    sizes = data.sizes()
    assert (sizes["n_train"], sizes["n_val"], sizes["n_test"], sizes["vocab_size"]) == (90, 10, 60, 500)
    assert sizes["pretrain_rows"] > 200 and sizes["held_out_rows"] > 40, "long reviews are split"
    for X in (data.X_pretrain, data.X_held_out, data.X_train, data.X_val, data.X_test):
        assert X.shape[1] == 32 and (X[:, 0] == CLS).all()
    assert set(data.y_train.tolist()) == {0, 1}
    train, validation, test = data.classifier_loaders(batch_size=8, eval_batch_size=100)
    assert (len(train), len(validation), len(test)) == (12, 1, 1)
