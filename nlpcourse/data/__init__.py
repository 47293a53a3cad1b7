"""Data sets of the course: one manifest, verified downloads, offline copies (chapter 1)."""
from nlpcourse.data.download import DataError, cache_dir, data_dir, fetch
from nlpcourse.data.imdb import Reviews, load_imdb, load_imdb_splits
from nlpcourse.data.manifest import MANIFEST, DataSource, LocalCopy, get_source

__all__ = ["DataError", "DataSource", "LocalCopy", "MANIFEST", "Reviews", "cache_dir",
           "data_dir", "fetch", "get_source", "load_imdb", "load_imdb_splits"]
