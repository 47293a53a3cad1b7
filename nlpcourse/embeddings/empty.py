"""Documents with no known word: one warning and one ``on_empty`` option for every featurizer (chapter 2)."""
from __future__ import annotations

import warnings
from collections.abc import Sequence

ON_EMPTY = ("warn", "raise", "ignore")


class EmptyDocumentWarning(UserWarning):
    """Some documents had no known word; their features are zero (chapter 2)."""


def check_on_empty(on_empty: str) -> None:
    """Raise a ValueError unless ``on_empty`` is ``"warn"``, ``"raise"`` or ``"ignore"`` (chapter 2)."""
    if on_empty not in ON_EMPTY:
        raise ValueError(f"on_empty must be 'warn', 'raise' or 'ignore', got {on_empty!r}")


def report_empty_documents(rows: Sequence[Sequence], on_empty: str, known: str = "word with a vector") -> int:
    """Count the rows with no known word; warn, raise or stay silent as ``on_empty`` says (chapter 2).

    ``rows`` holds each document's known words (or their ids); ``known`` names what they are.
    """
    check_on_empty(on_empty)
    empty = [i for i, row in enumerate(rows) if not len(row)]
    if empty and on_empty != "ignore":
        message = (f"{len(empty)} of {len(rows)} documents have no {known} "
                   f"(first: #{empty[0]}); their features are all zero")
        if on_empty == "raise":
            raise ValueError(message + ": drop them or use a larger vocabulary, "
                             "or pass on_empty='warn' or 'ignore' to keep them")
        warnings.warn(message, EmptyDocumentWarning, stacklevel=3)
    return len(empty)
