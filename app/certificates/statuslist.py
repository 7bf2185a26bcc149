"""Revocation as a W3C Bitstring Status List (v1.0): one bit per certificate, set when it
is revoked or superseded, so that a verifier with no network can tell from a cached list.
Pure.

The list is GZIP-compressed, base64url-encoded without padding and multibase-prefixed
with "u"; bit 0 is the most significant bit of the first byte. The specification's minimum
length (16 KiB, 131,072 bits) keeps a holder's entry among many: a list is that long."""

import base64
import gzip
import io
from collections.abc import Iterable

LIST_BITS = 131_072


def list_position(certificate_id: int) -> tuple[int, int]:
    """(list number from 1, bit index) of a certificate: its id, never reused."""
    if certificate_id < 1:
        raise ValueError("certificate ids start at 1")
    return (certificate_id - 1) // LIST_BITS + 1, (certificate_id - 1) % LIST_BITS


def encode(set_bits: Iterable[int], size: int = LIST_BITS) -> str:
    data = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"bit {index} is outside a list of {size}")
        data[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always encode to the same string.
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


class StatusListInvalid(ValueError):
    pass


def decode(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise StatusListInvalid("encodedList must be multibase base64url ('u')")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        # A list is 16 KiB; a "list" that inflates beyond a few times that is hostile.
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as f:
            data = f.read(LIST_BITS // 8 * 8 + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListInvalid(f"encodedList cannot be decoded: {exc}") from exc
    if len(data) > LIST_BITS // 8 * 8:
        raise StatusListInvalid("encodedList is too long")
    if len(data) < LIST_BITS // 8:  # the specification's STATUS_LIST_LENGTH_ERROR
        raise StatusListInvalid("encodedList is shorter than the minimum 131,072 bits")
    return data


def bit_is_set(encoded: str, index: int) -> bool:
    data = decode(encoded)
    if not 0 <= index < len(data) * 8:
        raise StatusListInvalid(f"bit {index} is outside the list")
    return bool(data[index // 8] & (0x80 >> (index % 8)))
