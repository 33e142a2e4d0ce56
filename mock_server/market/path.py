"""The seeded price path of an asset, in dollars, at the end of every minute.

log price(m) = log reference + sigma * (N(m) - N(anchor)), where N is a sum of octaves of value
noise: octave k has a knot every 2**k minutes (up to about 91 days), each knot a number hashed from
(seed, asset, octave, knot), joined by smoothstep, weighted by sqrt(2**k) so that moves over any
span scale like a random walk's. Any minute costs the same work, a year back or now, and nothing
is stored; every array function here takes a numpy array of minutes (since the epoch).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import numpy.typing as npt

MINUTE_MS = 60_000
OCTAVES = 18
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Words = npt.NDArray[np.uint64]

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_UNIT = 2.0**-53
# Measured over a seeded year: this makes a day's log return come out near the asset's daily
# volatility (tests/test_market.py checks it).
_SCALE = 0.8


def salt(*parts: object) -> np.uint64:
    """A 64-bit number for a tuple of names and numbers: a hash's key."""
    text = "/".join(str(p) for p in parts).encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big"))


def mix(key: np.uint64, index: Ints) -> Words:
    """splitmix64 of key + index: 64 well-mixed bits for each index (wrapping arithmetic)."""
    x = index.astype(np.uint64) + key
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def unit(key: np.uint64, index: Ints) -> Floats:
    """A uniform number in [0, 1) for each index."""
    return (mix(key, index) >> _S11).astype(np.float64) * _UNIT


def noise(key: np.uint64, minutes: Ints) -> Floats:
    """The sum of the octaves at each minute, in units of one minute's move."""
    out = np.zeros(minutes.shape, dtype=np.float64)
    for k in range(OCTAVES):
        octave_key = mix(key, np.array([k], dtype=np.int64))[0]
        knot = minutes >> k  # floor, for negative minutes too
        lo, hi = int(knot.min()), int(knot.max()) + 1
        if hi - lo < 2 * knot.size:  # a run of minutes: hash each knot once, then look it up
            values = unit(octave_key, np.arange(lo, hi + 1, dtype=np.int64))
            a, b = values[knot - lo], values[knot - lo + 1]
        else:
            a, b = unit(octave_key, knot), unit(octave_key, knot + 1)
        frac = (minutes - (knot << k)).astype(np.float64) / (1 << k)
        smooth = frac * frac * (3.0 - 2.0 * frac)
        out += math.sqrt(1 << k) * (2.0 * (a + (b - a) * smooth) - 1.0)
    return out


def log_prices(key: np.uint64, daily_vol: float, anchor_minute: int, minutes: Ints) -> Floats:
    """log(price / reference) at each minute: 0 at the anchor."""
    if daily_vol == 0.0:
        return np.zeros(minutes.shape, dtype=np.float64)
    sigma = daily_vol / math.sqrt(1440) * _SCALE
    anchor = noise(key, np.array([anchor_minute], dtype=np.int64))[0]
    return sigma * (noise(key, minutes) - anchor)
