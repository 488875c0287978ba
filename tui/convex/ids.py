"""Convex document ids (`_id`), byte-exact with the backend's `crates/value/src/id_v6.rs`.

An id is ``VInt(table_number) ‖ 16-byte internal id ‖ u16-LE footer`` where the footer is a
Fletcher-16 (mod 256) checksum of the preceding bytes XOR the version (0), encoded in
lowercase Crockford base32, MSB first, without padding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
_VERSION = 0
_MIN_LEN = 31  # base32 length of 1 + 16 + 2 bytes
_MAX_LEN = 37  # base32 length of 5 + 16 + 2 bytes


class InvalidId(ValueError):
    """The string is not a well-formed Convex document id."""


@dataclass(frozen=True, slots=True)
class DocumentId:
    table_number: int
    internal_id: bytes

    def encode(self) -> str:
        return encode_id(self.table_number, self.internal_id)


def _encoded_len(n: int) -> int:
    return (n // 5) * 8 + (0, 2, 4, 5, 7)[n % 5]


def b32encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big") if data else 0
    total_bits = len(data) * 8
    out_len = _encoded_len(len(data))
    # Pad on the right to a multiple of 5 bits, as the reference encoder does.
    pad = out_len * 5 - total_bits
    bits <<= pad
    chars = []
    for i in range(out_len):
        shift = (out_len - 1 - i) * 5
        chars.append(ALPHABET[(bits >> shift) & 31])
    return "".join(chars)


def b32decode(text: str) -> bytes:
    value = 0
    for ch in text:
        idx = _DECODE.get(ch)
        if idx is None:
            raise InvalidId(f"invalid character {ch!r} in id")
        value = (value << 5) | idx
    total_bits = len(text) * 5
    out_len = total_bits // 8
    value >>= total_bits - out_len * 8
    return value.to_bytes(out_len, "big")


def _vint_encode(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _vint_decode(buf: bytes) -> tuple[int, int]:
    n = 0
    for i in range(5):
        if i >= len(buf):
            raise InvalidId("truncated table number")
        byte = buf[i]
        n |= (byte & 0x7F) << (i * 7)
        if byte < 0x80:
            if n >= 1 << 32:
                raise InvalidId("table number too large")
            return n, i + 1
    raise InvalidId("table number too large")


def fletcher16(buf: bytes) -> int:
    c0 = c1 = 0
    for byte in buf:
        c0 = (c0 + byte) & 0xFF
        c1 = (c1 + c0) & 0xFF
    return (c1 << 8) | c0


def encode_id(table_number: int, internal_id: bytes) -> str:
    if not 0 < table_number < 1 << 32:
        raise InvalidId("table number must be in 1..2**32-1")
    if len(internal_id) != 16:
        raise InvalidId("internal id must be 16 bytes")
    body = _vint_encode(table_number) + internal_id
    footer = (fletcher16(body) ^ _VERSION).to_bytes(2, "little")
    return b32encode(body + footer)


def decode_id(text: str) -> DocumentId:
    if not _MIN_LEN <= len(text) <= _MAX_LEN:
        raise InvalidId(f"invalid id length {len(text)}")
    buf = b32decode(text)
    table_number, pos = _vint_decode(buf)
    if table_number == 0:
        raise InvalidId("table number 0 is invalid")
    internal = buf[pos : pos + 16]
    if len(internal) != 16:
        raise InvalidId("id too short")
    pos += 16
    footer = buf[pos : pos + 2]
    if len(footer) != 2 or int.from_bytes(footer, "little") != fletcher16(buf[:pos]) ^ _VERSION:
        raise InvalidId("id checksum mismatch")
    if pos + 2 != len(buf):
        raise InvalidId("trailing bytes in id")
    # Reject non-canonical spellings (stray low bits in the last character).
    if encode_id(table_number, internal) != text:
        raise InvalidId("non-canonical id")
    return DocumentId(table_number, internal)


def is_id(text: str) -> bool:
    try:
        decode_id(text)
    except InvalidId:
        return False
    return True


def new_id(table_number: int) -> str:
    return encode_id(table_number, os.urandom(16))
