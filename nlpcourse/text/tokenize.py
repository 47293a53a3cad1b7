"""Tokenization: from a string to a list of tokens (chapter 1).

Two tokenizers: :func:`tokenize` keeps contractions ("don't") and, optionally, the
punctuation that carries sentiment ("!", "?"); :data:`SKLEARN_TOKEN_PATTERN` is
scikit-learn's default (words of two or more characters), used where we must match
scikit-learn exactly.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

WORD = r"[^\W_]+(?:['’][^\W_]+)*"
_WORD_RE = re.compile(WORD)
_WORD_PUNCT_RE = re.compile(WORD + r"|[!?]")
SKLEARN_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def tokenize(text: str, lowercase: bool = True, punctuation: bool = False) -> list[str]:
    """Split text into word tokens; ``punctuation=True`` also keeps "!" and "?".

    >>> tokenize("I didn't like it... at ALL!", punctuation=True)
    ['i', "didn't", 'like', 'it', 'at', 'all', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str, got {type(text).__name__}")
    if lowercase:
        text = text.lower()
    pattern = _WORD_PUNCT_RE if punctuation else _WORD_RE
    return [t.replace("’", "'") for t in pattern.findall(text)]


def ngrams(tokens: list[str], n_min: int = 1, n_max: int = 1) -> list[str]:
    """Word n-grams for n in [n_min, n_max], joined by spaces, in scikit-learn's order.

    >>> ngrams(["not", "good", "at", "all"], 1, 2)
    ['not', 'good', 'at', 'all', 'not good', 'good at', 'at all']
    """
    if not 1 <= n_min <= n_max:
        raise ValueError(f"need 1 <= n_min <= n_max, got ({n_min}, {n_max})")
    out = list(tokens) if n_min == 1 else []
    for n in range(max(n_min, 2), n_max + 1):
        out.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
    return out


def tokenize_corpus(texts: Iterable[str], **kwargs) -> Iterator[list[str]]:
    """Tokenize each text (lazily), with :func:`tokenize`'s options."""
    for text in texts:
        yield tokenize(text, **kwargs)


def as_tokens(doc: str | Sequence[str], tokenizer: Callable[[str], list[str]] | None = None) -> Sequence[str]:
    """A document given as text (cleaned and tokenized) or already as tokens (chapter 2)."""
    if isinstance(doc, str):
        if tokenizer is not None:
            return tokenizer(doc)
        from nlpcourse.text.clean import clean_text
        return tokenize(clean_text(doc))
    return doc
