"""When a resampled sum of per-query differences is exact in float64, whatever the order of summation.

A resample plan row (bootstrap counts, or signs) has non-negative integer weights summing to n,
or n weights of ±1. If every value of two systems is a multiple of ``2**-p`` (recall at k with one
relevant document: 0 or 1; 1/2, 1/4 ...) and ``2 n max|value| * 2**p < 2**53``, every product,
partial sum and difference met on the way is a representable multiple of ``2**-p``: no rounding
at all. Then ``plan @ (x_a - x_b)`` and ``plan @ x_a - plan @ x_b`` are the same number, bit for
bit, in any BLAS and any blocking, so the sums of S systems give every pair's sums.
"""
from __future__ import annotations

import numpy as np

MANTISSA_BITS = 53


def exact_pairs(units: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per pair, whether every weighted sum of ``units[:, first] - units[:, second]`` (units x systems)
    with weights of total magnitude ``n`` is exact, and so the difference of the two systems' sums."""
    units = np.asarray(units, dtype=np.float64)
    bits, largest = fraction_bits(units), np.abs(units).max(axis=0, initial=0.0)
    _, magnitude = np.frexp(2.0 * units.shape[0] * np.maximum(largest[first], largest[second]))
    return np.maximum(bits[first], bits[second]) + magnitude <= MANTISSA_BITS


def fraction_bits(units: np.ndarray) -> np.ndarray:
    """Per column, the least ``p >= 0`` with every value a multiple of ``2**-p`` (more than 53 where a value is
    not finite: never exact)."""
    finite = np.isfinite(units)
    mantissa, exponent = np.frexp(np.where(finite, units, 0.0))
    whole = np.abs(mantissa * 2.0**MANTISSA_BITS).astype(np.int64)  # the value is whole * 2**(exponent - 53)
    lowest = np.frexp((whole & -whole).astype(np.float64))[1] - 1  # trailing zero bits of whole
    bits = np.where(whole == 0, 0, MANTISSA_BITS - exponent - lowest)
    bits = np.where(finite, np.maximum(bits, 0), 2 * MANTISSA_BITS)
    return bits.max(axis=0, initial=0)
