"""Find, download and verify data files; read archives safely (chapter 1).

Resolution order for a :class:`~nlpcourse.data.manifest.DataSource`:

1. ``$NLPCOURSE_DATA``: a local copy (archive or extracted folder), used offline and in CI;
2. the cache, ``$NLPCOURSE_CACHE`` (default ``~/.cache/nlpcourse``);
3. a download with a progress bar into a temporary file, verified by size and sha256,
   then moved into the cache atomically; mirrors are tried in order.

A file that fails verification is deleted, never cached.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import MutableMapping
from pathlib import Path

from nlpcourse.data.manifest import DataSource
from nlpcourse.errors import DataError
from nlpcourse.utils import show_progress

DATA_ENV = "NLPCOURSE_DATA"
CACHE_ENV = "NLPCOURSE_CACHE"
TIMEOUT_S = 10.0
CHUNK = 1 << 20


def absolute_data_env(environ: MutableMapping[str, str], cwd: str | Path | None = None) -> None:
    """Turn a relative ``$NLPCOURSE_DATA`` or ``$NLPCOURSE_CACHE`` into an absolute path (chapter 1).

    A relative path means relative to where it was set (``cwd``, by default the current
    folder), also for notebook kernels, which run in ``notebooks/``. The test suite and the
    book build call this before any kernel starts.
    """
    for name in (DATA_ENV, CACHE_ENV):
        value = environ.get(name)
        if value and not Path(value).expanduser().is_absolute():
            environ[name] = os.path.abspath(os.path.join(cwd or os.getcwd(), Path(value).expanduser()))


def cache_dir() -> Path:
    """``$NLPCOURSE_CACHE`` or ``~/.cache/nlpcourse``; created on first use."""
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "nlpcourse").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path | None:
    """``$NLPCOURSE_DATA`` as a path, or None. A set but missing folder is an error."""
    value = os.environ.get(DATA_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataError(f"{DATA_ENV}={value!r} is not a folder (here it means {_absolute(path)}): point it at "
                        f"a folder that holds the course's data (e.g. imdb/aclImdb_texts.tar.xz), "
                        f"preferably as an absolute path, or unset it")
    return path


def _absolute(path: Path) -> Path:
    """``path`` against the current folder, without following links."""
    return Path(os.path.abspath(path))


def digest_of(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file (``algorithm``: sha256, or sha1 where a mirror publishes only that)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected_digests(sha256: str | None, sha1: str | None) -> dict[str, str]:
    """The digests a file must have, by algorithm: those that are known."""
    return {algorithm: value for algorithm, value in (("sha256", sha256), ("sha1", sha1)) if value is not None}


def verify(path: Path, size: int | None, sha256: str | None, sha1: str | None = None) -> None:
    """Raise :class:`DataError` unless ``path`` has the expected size and digests (those given)."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise DataError(f"{path} has {actual_size:,} bytes, expected {size:,} "
                        f"(truncated or a different file): delete it and try again")
    for algorithm, expected in _expected_digests(sha256, sha1).items():
        actual = digest_of(path, algorithm)
        if actual != expected:
            raise DataError(f"{path} has {algorithm} {actual}, expected {expected} "
                            f"(corrupted or a different file): delete it and try again")


def find_local_copy(source: DataSource) -> Path | None:
    """The first local copy of ``source`` under ``$NLPCOURSE_DATA``, verified; or None."""
    root = data_dir()
    if root is None:
        return None
    for copy in source.local_copies:
        path = root / copy.path
        if path.is_dir():
            return path
        if path.is_file():
            verify(path, copy.size, copy.sha256, copy.sha1)
            return path
    return None


def fetch(source: DataSource, *, progress: bool = True) -> Path:
    """Path to a verified copy of ``source``: local copy, cache, or download (chapter 1)."""
    local = find_local_copy(source)
    if local is not None:
        return local
    target = cache_dir() / source.name / source.filename
    if target.is_file():
        try:
            verify(target, source.size, None, source.sha1)      # sha256 was checked when it was downloaded
            return target
        except DataError:
            target.unlink()  # a stale or foreign file: fetch it again
    return download(source, target, progress=progress)


def download(source: DataSource, target: Path, *, progress: bool = True) -> Path:
    """Download ``source`` to ``target``: mirrors in order, verified, moved atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in source.urls:
        try:
            _download_one(url, source, target, progress)
            return target
        except (OSError, urllib.error.URLError, DataError) as err:
            errors.append(f"  {url}: {err}")
    tried = "\n".join(errors)
    root = data_dir()
    searched = "" if root is None else f"{DATA_ENV} is {_absolute(root)}, which holds none of the local copies. "
    raise DataError(
        f"could not download {source.name!r} ({source.filename}); tried:\n{tried}\n{searched}"
        f"Offline? Put a copy of {source.filename} (or one of: "
        f"{', '.join(c.path for c in source.local_copies)}) in a folder and set "
        f"{DATA_ENV}=<that folder>, or download {source.urls[0]} into {target.parent}.")


def _download_one(url: str, source: DataSource, target: Path, progress: bool) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{source.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        expected = _expected_digests(source.sha256, source.sha1)
        digests = {algorithm: hashlib.new(algorithm) for algorithm in expected}
        request = urllib.request.Request(url, headers={"User-Agent": "nlpcourse"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or source.size
            bar = _progress_bar(total, f"{source.filename}", progress)
            try:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    for digest in digests.values():
                        digest.update(block)
                    bar.update(len(block))
            finally:
                bar.close()
        size = tmp.stat().st_size
        if source.size is not None and size != source.size:
            raise DataError(f"got {size:,} bytes, expected {source.size:,} (truncated download)")
        for algorithm, digest in digests.items():
            if digest.hexdigest() != expected[algorithm]:
                raise DataError(f"{algorithm} {digest.hexdigest()} != expected {expected[algorithm]} "
                                f"(corrupted download)")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _progress_bar(total: int | None, desc: str, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total or None, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not (enabled and show_progress()))


def copy_atomic(src: Path, target: Path) -> None:
    """Copy a file into place so that a reader never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
