"""Archives are read without trusting member paths."""
from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from nlpcourse.data import DataError
from nlpcourse.data.archive import iter_archive, safe_extract


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = data
                tar.addfile(info)
    return path


def test_reads_regular_members(tmp_path):
    path = _tar(tmp_path / "ok.tar.gz", [("a/b.txt", "file", b"hello"), ("a/c.txt", "file", b"world")])
    assert {name: f.read() for name, f in iter_archive(path)} == {"a/b.txt": b"hello", "a/c.txt": b"world"}
    out = safe_extract(path, tmp_path / "out")
    assert (out / "a" / "b.txt").read_bytes() == b"hello"


@pytest.mark.parametrize("member, message", [
    (("../evil.txt", "file", b"x"), "leaves the archive"),
    (("a/../../evil.txt", "file", b"x"), "leaves the archive"),
    (("/etc/evil", "file", b"x"), "absolute path"),
    (("a/link", "symlink", "/etc/passwd"), "link"),
    (("a/hard", "hardlink", "a/b.txt"), "link"),
])
def test_refuses_unsafe_tar_members(tmp_path, member, message):
    path = _tar(tmp_path / "bad.tar.gz", [("a/b.txt", "file", b"ok"), member])
    with pytest.raises(DataError, match=message):
        list(iter_archive(path))
    with pytest.raises(DataError):
        safe_extract(path, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_refuses_unsafe_zip_members(tmp_path):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fra-eng/fra.txt", "Go.\tVa !\n")
        zf.writestr("../../evil.txt", "x")
    with pytest.raises(DataError, match="leaves the archive"):
        list(iter_archive(path))


def test_damaged_archive_is_a_clear_error(tmp_path):
    path = _tar(tmp_path / "ok.tar.gz", [("a/b.txt", "file", b"hello" * 1000)])
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(path.read_bytes()[:60])
    with pytest.raises(DataError, match="damaged"):
        list(iter_archive(damaged))
