"""Read archives without trusting their member paths (chapter 1).

Members with absolute paths, ``..`` components, links or device files are refused:
a malicious archive cannot write or read outside the place it is unpacked into.
"""
from __future__ import annotations

import lzma
import posixpath
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Iterator

from nlpcourse.data.download import DataError


def check_member_name(name: str, archive: Path | str) -> str:
    """Return the normalised member name, or raise :class:`DataError` if it is unsafe."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"{archive}: refusing member with an absolute path: {name!r}")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise DataError(f"{archive}: refusing member that leaves the archive: {name!r}")
    return posixpath.normpath(name.replace("\\", "/"))


def iter_tar(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(name, file)`` for each regular file of a tar archive (gz, xz, bz2 or plain).

    Streams the archive once, in order; links, devices and unsafe names raise.
    """
    with tarfile.open(path, mode="r|*") as tar:
        for member in tar:
            name = check_member_name(member.name, path)
            if member.issym() or member.islnk():
                raise DataError(f"{path}: refusing link member {member.name!r}")
            if member.isdir():
                continue
            if not member.isfile():
                raise DataError(f"{path}: refusing special member {member.name!r}")
            f = tar.extractfile(member)
            if f is not None:
                yield name, f


def iter_zip(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(name, file)`` for each regular file of a zip archive; unsafe names raise."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = check_member_name(info.filename, path)
            if info.is_dir():
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:  # a symbolic link stored in a zip
                raise DataError(f"{path}: refusing link member {info.filename!r}")
            with zf.open(info) as f:
                yield name, f


def iter_archive(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Regular files of a tar or zip archive, safely; a damaged archive raises DataError."""
    members = iter_zip(path) if zipfile.is_zipfile(path) else iter_tar(path)
    try:
        yield from members
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, lzma.LZMAError, zlib.error) as err:
        raise DataError(f"{path} is damaged or not a tar/zip archive ({type(err).__name__}: "
                        f"{err}): delete it and try again") from err


def safe_extract(path: Path, dest: Path) -> Path:
    """Extract a tar or zip archive under ``dest``, refusing unsafe members."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    for name, f in iter_archive(path):
        out = (dest / name).resolve()
        if root not in out.parents:
            raise DataError(f"{path}: refusing member outside {dest}: {name!r}")
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as w:
            while block := f.read(1 << 20):
                w.write(block)
    return dest
