"""Cleaning raw review text: HTML line breaks, tags and entities (chapter 1).

IMDB reviews contain ``<br />`` tags and entities such as ``&amp;``; left in, they
become the most frequent "words" of the corpus.
"""
from __future__ import annotations

import html
import re

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")


def clean_text(text: str, lowercase: bool = False) -> str:
    """Replace ``<br />`` by spaces, drop other tags, decode entities, squeeze whitespace.

    >>> clean_text("Great!<br /><br />Loved it &amp; <i>more</i>")
    'Great! Loved it & more'
    """
    if not isinstance(text, str):
        raise TypeError(f"clean_text expects a str, got {type(text).__name__}")
    text = _BREAK.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _SPACE.sub(" ", text).strip()
    return text.lower() if lowercase else text
