"""A minimal reader for one column of strings in a Parquet file (chapter 2).

Pretrained GloVe ships its word list as Parquet. Reading it needs no pyarrow: this module
decodes the small part of the format such a file uses, namely the Thrift compact protocol
of the headers, Snappy compression, dictionary pages of PLAIN strings and RLE/bit-packed
indices (data pages v1 and v2). Anything else raises a clear error.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_UNCOMPRESSED, _SNAPPY = 0, 1
_DATA_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 2, 3


class ParquetError(ValueError):
    """The file uses a Parquet feature this small reader does not decode (chapter 2)."""


class _Thrift:
    """Decoder of Thrift compact-protocol structs into {field id: value} dicts."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int):
        if kind in (1, 2):                       # booleans are stored in the type nibble
            return kind == 1
        if kind == 3:
            self.pos += 1
            return struct.unpack_from("b", self.buf, self.pos - 1)[0]
        if kind in (4, 5, 6):                    # i16, i32, i64
            return self.zigzag()
        if kind == 7:
            self.pos += 8
            return struct.unpack_from("<d", self.buf, self.pos - 8)[0]
        if kind == 8:                            # binary / string
            n = self.varint()
            self.pos += n
            return bytes(self.buf[self.pos - n:self.pos])
        if kind in (9, 10):                      # list, set
            header = self.buf[self.pos]
            self.pos += 1
            size, elem = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            return [self.value(elem) if elem not in (1, 2) else self._bool() for _ in range(size)]
        if kind == 12:
            return self.struct()
        raise ParquetError(f"unsupported Thrift type {kind}")

    def _bool(self) -> bool:
        self.pos += 1
        return self.buf[self.pos - 1] == 1

    def struct(self) -> dict[int, object]:
        fields, last = {}, 0
        while True:
            header = self.buf[self.pos]
            self.pos += 1
            if header == 0:
                return fields
            delta, kind = header >> 4, header & 0x0F
            last = last + delta if delta else self.zigzag()
            fields[last] = self.value(kind)


def snappy_decompress(data: bytes) -> bytes:
    """Decompress a raw Snappy block (chapter 2)."""
    reader = _Thrift(data, 0)
    size, pos, out = reader.varint(), reader.pos, bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:                            # literal
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            out += data[pos:pos + n + 1]
            pos += n + 1
            continue
        if kind == 1:
            length, offset = ((tag >> 2) & 7) + 4, ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if kind == 2 else 4
            length, offset = (tag >> 2) + 1, int.from_bytes(data[pos:pos + width], "little")
            pos += width
        if offset == 0 or offset > len(out):
            raise ParquetError("corrupt Snappy data: copy before the start of the output")
        start = len(out) - offset
        while length > 0:                        # copies may overlap their own output
            chunk = out[start:start + min(length, offset)]
            out += chunk
            length -= len(chunk)
    if len(out) != size:
        raise ParquetError(f"corrupt Snappy data: expected {size} bytes, got {len(out)}")
    return bytes(out)


def _rle_bitpacked(buf: bytes, pos: int, end: int, bit_width: int, count: int) -> list[int]:
    """The RLE / bit-packed hybrid encoding of Parquet levels and dictionary indices."""
    values: list[int] = []
    reader, byte_width = _Thrift(buf, pos), (bit_width + 7) // 8
    while len(values) < count and reader.pos < end:
        header = reader.varint()
        if header & 1:                           # bit-packed groups of 8 values
            n_bytes = (header >> 1) * bit_width
            raw = np.frombuffer(buf, dtype=np.uint8, count=n_bytes, offset=reader.pos)
            bits = np.unpackbits(raw, bitorder="little").reshape(-1, bit_width).astype(np.int64)
            reader.pos += n_bytes
            values += (bits << np.arange(bit_width)).sum(axis=1).tolist()
        else:                                    # one value repeated
            value = int.from_bytes(buf[reader.pos:reader.pos + byte_width], "little")
            reader.pos += byte_width
            values += [value] * (header >> 1)
    return values[:count]


def _plain_strings(data: bytes, count: int) -> list[str]:
    out, pos = [], 0
    for _ in range(count):
        (n,) = struct.unpack_from("<i", data, pos)
        out.append(data[pos + 4:pos + 4 + n].decode("utf-8"))
        pos += 4 + n
    return out


def read_string_column(path: str | Path) -> list[str]:
    """Every value of the first column of a Parquet file of strings, in order (chapter 2)."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"PAR1" or buf[-4:] != b"PAR1":
        raise ParquetError(f"{path} is not a Parquet file")
    (footer_len,) = struct.unpack_from("<i", buf, len(buf) - 8)
    meta = _Thrift(buf, len(buf) - 8 - footer_len).struct()
    values: list[str] = []
    for row_group in meta.get(4, []):
        chunk = row_group[1][0][3]               # ColumnChunk.meta_data of the first column
        codec, n_values = chunk[4], chunk[5]
        if codec not in (_UNCOMPRESSED, _SNAPPY):
            raise ParquetError(f"{path}: compression codec {codec} is not supported (only Snappy)")
        pos = chunk.get(11) or chunk[9]          # the dictionary page comes first when there is one
        values += _read_chunk(buf, pos, n_values, codec == _SNAPPY)
    return values


def _read_chunk(buf: bytes, pos: int, n_values: int, snappy: bool) -> list[str]:
    dictionary: list[str] = []
    values: list[str] = []
    while len(values) < n_values:
        reader = _Thrift(buf, pos)
        header = reader.struct()
        kind, raw_size, size = header[1], header[2], header[3]
        body, pos = buf[reader.pos:reader.pos + size], reader.pos + size
        if kind == _DICTIONARY_PAGE:
            data = snappy_decompress(body) if snappy else body
            dictionary = _plain_strings(data, header[7][1])
        elif kind in (_DATA_PAGE, _DATA_PAGE_V2):
            values += _data_page(header, body, snappy, dictionary)
        else:
            raise ParquetError(f"unsupported Parquet page type {kind}")
    return values


def _data_page(header: dict, body: bytes, snappy: bool, dictionary: list[str]) -> list[str]:
    if header[1] == _DATA_PAGE:
        info = header[5]
        data = snappy_decompress(body) if snappy else body
        (levels_len,) = struct.unpack_from("<i", data, 0)   # definition levels (optional column)
        n_values, encoding, pos = info[1], info[2], 4 + levels_len
        defined = _rle_bitpacked(data, 4, pos, 1, n_values)
    else:
        info = header[8]
        n_values, encoding = info[1], info[4]
        levels_len = info[5] + info.get(6, 0)
        compressed = info.get(7, True)
        data = body[levels_len:]
        data = snappy_decompress(data) if snappy and compressed else data
        defined = _rle_bitpacked(body, info.get(6, 0), levels_len, 1, n_values)
        pos = 0
    if sum(defined) != n_values:
        raise ParquetError("the column has missing values (nulls); this reader expects none")
    if encoding == 0:                            # PLAIN
        return _plain_strings(data[pos:], n_values)
    if encoding not in (2, 8):                   # PLAIN_DICTIONARY, RLE_DICTIONARY
        raise ParquetError(f"unsupported Parquet encoding {encoding}")
    indices = _rle_bitpacked(data, pos + 1, len(data), data[pos], n_values)
    return [dictionary[i] for i in indices]
