"""Every data set of the course, described once: where it comes from and how to verify it.

A :class:`DataSource` names the original file (URLs, mirrors tried in order, size in
bytes, sha256) and the local copies accepted under ``NLPCOURSE_DATA`` (chapter 1).
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LocalCopy:
    """A file or an extracted folder, relative to ``$NLPCOURSE_DATA``.

    ``size``/``sha256`` are checked when given; a folder cannot be checked, so the
    loader that reads it verifies its contents instead (e.g. review counts).
    """

    path: str
    size: int | None = None
    sha256: str | None = None
    sha1: str | None = None


@dataclasses.dataclass(frozen=True)
class DataSource:
    """One downloadable file and its verified identity (chapter 1)."""

    name: str
    filename: str
    urls: tuple[str, ...]
    size: int | None
    sha256: str | None
    local_copies: tuple[LocalCopy, ...] = ()
    description: str = ""
    license: str = ""
    sha1: str | None = None  # checked too: some mirrors publish only sha1

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError(f"data source {self.name!r} needs at least one URL")
        if self.sha256 is not None and len(self.sha256) != 64:
            raise ValueError(f"data source {self.name!r}: sha256 must be 64 hex digits")


IMDB = DataSource(
    name="imdb",
    filename="aclImdb_v1.tar.gz",
    urls=(
        "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        "http://d2l-data.s3-accelerate.amazonaws.com/aclImdb_v1.tar.gz",
    ),
    size=84_125_825,
    sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
    local_copies=(
        LocalCopy("imdb/aclImdb_texts.tar.xz", size=37_525_940,
                  sha256="3aac3abd6241560dcc2f77dfb4ca3d860ff39b0d463715f066970fa320db7986"),
        LocalCopy("imdb/aclImdb_v1.tar.gz", size=84_125_825,
                  sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"),
        LocalCopy("aclImdb_v1.tar.gz", size=84_125_825,
                  sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"),
        LocalCopy("imdb/aclImdb"),
        LocalCopy("aclImdb"),
    ),
    description="Large Movie Review Dataset v1.0 (Maas et al., ACL 2011): 25k train, "
                "25k test, 50k unlabelled IMDB reviews.",
    license="research use; cite Maas et al. 2011",
)

TATOEBA_FRA_ENG = DataSource(
    name="fra-eng",
    filename="fra-eng.zip",
    urls=("http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",),
    size=None,
    sha256=None,
    sha1="94646ad1522d915e7b0f9296181140edcf86a4f5",
    local_copies=(
        LocalCopy("tatoeba/fra-eng.txt.xz", size=1_935_012,
                  sha256="5a52f8a7e565cf028e4cf53ee3ecd64a384e162972fc6b7c654715e87ad19b91"),
        LocalCopy("fra-eng.zip", sha1="94646ad1522d915e7b0f9296181140edcf86a4f5"),
    ),
    description="English-French sentence pairs from Tatoeba via manythings.org/anki "
                "(release 2017-09-29, 142,787 pairs).",
    license="CC-BY 2.0: www.manythings.org/anki and tatoeba.org",
)

GLOVE_6B = DataSource(
    name="glove-6b",
    filename="glove.6B.zip",
    urls=(
        "https://nlp.stanford.edu/data/glove.6B.zip",
        "https://huggingface.co/stanfordnlp/glove/resolve/main/glove.6B.zip",
    ),
    size=862_182_613,
    sha256=None,
    local_copies=(LocalCopy("glove/glove.6B.zip", size=862_182_613), LocalCopy("glove.6B.zip", size=862_182_613)),
    description="GloVe vectors trained on Wikipedia 2014 + Gigaword 5 (6B tokens, 400k words), "
                "50, 100, 200 and 300 dimensions (Pennington et al., 2014).",
    license="PDDL 1.0",
)

MANIFEST: dict[str, DataSource] = {s.name: s for s in (IMDB, TATOEBA_FRA_ENG, GLOVE_6B)}


def get_source(name: str) -> DataSource:
    """The manifest entry of a data set, with a clear error for unknown names."""
    try:
        return MANIFEST[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(sorted(MANIFEST))}") from None
