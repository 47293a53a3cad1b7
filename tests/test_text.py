import numpy as np
import pytest

from nlpcourse.text import PAD, UNK, Vocab, bucket_batches, clean_text, ngrams, pad_sequences, tokenize


def test_clean_text_removes_markup():
    raw = "Great film.<br /><br />Loved it &amp; the <i>score</i>&#33;<BR>End"
    assert clean_text(raw) == "Great film. Loved it & the score ! End"
    assert clean_text("A&lt;B", lowercase=True) == "a<b"
    with pytest.raises(TypeError, match="expects a str"):
        clean_text(None)


def test_tokenize_keeps_contractions_and_optional_marks():
    assert tokenize("Don't... it's GREAT!!") == ["don't", "it's", "great"]
    assert tokenize("Don’t go?", punctuation=True) == ["don't", "go", "?"]
    assert tokenize("Café 2001", lowercase=False) == ["Café", "2001"]
    assert tokenize("") == []
    with pytest.raises(TypeError):
        tokenize(["a list"])


def test_ngrams_match_expected_order():
    assert ngrams(["a", "b", "c"], 1, 3) == ["a", "b", "c", "a b", "b c", "a b c"]
    assert ngrams(["a"], 2, 2) == []
    with pytest.raises(ValueError):
        ngrams(["a"], 2, 1)


def test_vocab_orders_by_frequency_and_maps_unknowns():
    v = Vocab([["b", "a", "b"], ["c", "b", "a", "d"]], min_freq=2)
    assert v.itos == [PAD, UNK, "b", "a"]
    assert v["zzz"] == v.unk_index == 1 and v.pad_index == 0
    assert v.lookup_tokens(v.lookup_indices(["a", "d"])) == ["a", UNK]
    assert [x.tolist() for x in v.encode([["a", "b"]])] == [[3, 2]]
    assert len(Vocab([["x", "y", "z"]], max_size=3)) == 3


def test_vocab_errors_are_explained():
    with pytest.raises(TypeError, match="tokenize first"):
        Vocab("a string")
    with pytest.raises(ValueError, match="min_freq"):
        Vocab([["a"]], min_freq=0)
    no_unk = Vocab([["a"]], specials=(PAD,))
    with pytest.raises(KeyError, match="no <unk> token"):
        no_unk["b"]


def test_pad_sequences_truncates_and_pads_both_ways():
    seqs = [[1, 2, 3, 4], [5]]
    assert pad_sequences(seqs, 3).tolist() == [[1, 2, 3], [5, 0, 0]]
    assert pad_sequences(seqs, 3, truncating="pre", padding="pre").tolist() == [[2, 3, 4], [0, 0, 5]]
    assert pad_sequences(seqs).shape == (2, 4)
    with pytest.raises(ValueError):
        pad_sequences(seqs, 3, padding="middle")


def test_bucket_batches_cover_everything_once_and_group_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 500, size=1000)
    batches = list(bucket_batches(lengths, batch_size=32, seed=1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 0.25 * np.ptp(lengths)
    assert [b.tolist() for b in bucket_batches(lengths, 32, seed=1)] == [b.tolist() for b in batches]


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(batch_size=2.5), dict(batch_size=4, bucket_size=0)])
def test_bucket_batches_rejects_bad_sizes_at_the_call(kwargs):
    name = "bucket_size" if "bucket_size" in kwargs else "batch_size"
    with pytest.raises(ValueError, match=f"^{name} must be a whole number >= 1"):
        bucket_batches([3, 1, 2], **kwargs)       # not iterated: the call itself fails
