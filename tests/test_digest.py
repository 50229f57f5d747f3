"""The JSON report's per-entry digest (README, "What digest promises"): the IEEE bits of the candidate's values,
little-endian, with every nan written as the one quiet nan, so that the same values give the same digest on x86
(whose invalid operations make a nan with the sign bit set) and on ARM (without it)."""

import hashlib
import struct
from array import array

from parity.harness import digest_values


def _digest(*lists):
    h = hashlib.sha256()
    digest_values(h, *lists)
    return h.hexdigest()


def _nan(hex_bits):
    return struct.unpack(">d", bytes.fromhex(hex_bits))[0]


def test_a_nan_digests_the_same_whatever_its_sign_and_payload():
    x86_nan, arm_nan, payload_nan = _nan("fff8000000000000"), _nan("7ff8000000000000"), _nan("7ff8000000000123")
    assert _digest([1.0, x86_nan], [arm_nan]) == _digest([1.0, arm_nan], [payload_nan])


def test_zero_signs_and_every_other_bit_still_change_the_digest():
    assert _digest([0.0]) != _digest([-0.0])
    assert _digest([1.0]) != _digest([1.0000000000000002])
    assert _digest([1.0], [2.0]) != _digest([2.0], [1.0])


def test_without_nan_the_digest_is_the_little_endian_bits_of_the_values():
    values = [0.1, -0.0, float("inf"), 3.0]
    raw = array("d", values)
    if raw.itemsize == 8 and struct.pack("=d", 1.0) != struct.pack("<d", 1.0):
        raw.byteswap()
    assert _digest(values) == hashlib.sha256(raw.tobytes()).hexdigest()
