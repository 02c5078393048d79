"""Arrow arrays to and from numpy through their buffers.

pyarrow's own conversions (``to_numpy``, ``pa.array``, ``fill_null`` with a Python value) load
its pandas shim, which imports pandas: 0.2-0.4 s at start-up, more than evaluating a small run
takes; its compute functions (``cast``, ``take``, ``dictionary_encode``) load ``pyarrow.compute``,
0.06-0.1 s. Reading and building the buffers directly costs nothing and copies nothing needless.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import numpy as np

POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
DECIMAL_DIGITS = 18  # characters of a decimal string that always fits in 64 bits


def numbers(array) -> np.ndarray:
    """A numeric arrow array without nulls as a numpy view of its values."""
    dtype = _DTYPES[str(array.type)]
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


def string_buffers(array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, data)`` of an arrow string array: string ``i`` is ``data[offsets[i]:offsets[i+1]]``."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    data = array.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)


def strings_at(array, rows: np.ndarray) -> list[str]:
    """The strings at ``rows`` of an arrow string array (``array.take`` would load ``pyarrow.compute``)."""
    offsets, data = string_buffers(array)
    starts, stops = offsets[rows].tolist(), offsets[np.asarray(rows) + 1].tolist()
    return [data[start:stop].tobytes().decode("utf-8") for start, stop in zip(starts, stops)]


def short_string_words(array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(words, lengths)`` of the strings at ``rows`` of an arrow string array, when none has more
    than 8 bytes (else ``None``): each string's bytes as a big-endian integer, zero-padded, and its
    length. Ordering by ``(words, lengths)`` is ordering the strings (by UTF-8 bytes, that is by
    code points), without a Python string: a shorter string is a prefix of a longer one of equal
    word (zero bytes aside, padding sorts first)."""
    offsets, data = string_buffers(array)
    rows = np.asarray(rows, dtype=np.int64)
    starts = offsets[rows].astype(np.int64)
    lengths = offsets[rows + 1].astype(np.int64) - starts
    if len(rows) and lengths.max() > 8:
        return None
    words = np.zeros(len(rows), dtype=np.uint64)
    last = max(len(data) - 1, 0)
    for position in range(int(lengths.max(initial=0))):
        byte = data[np.minimum(starts + position, last)].astype(np.uint64) if len(data) else np.zeros(len(rows), dtype=np.uint64)
        byte[lengths <= position] = 0
        words |= byte << np.uint64(56 - 8 * position)
    return words, lengths


def decimal_integers(array) -> np.ndarray | None:
    """The int64 values of an arrow string array whose every string is ``[+-]?[0-9]+`` (checked
    before), read from its bytes one digit position at a time; ``None`` where one has more than
    18 characters (it may not fit)."""
    offsets, data = string_buffers(array)
    lengths = np.diff(offsets)
    width = int(lengths.max(initial=0))
    if width > DECIMAL_DIGITS:
        return None
    ends = offsets[1:].astype(np.int64)
    values = np.zeros(len(lengths), dtype=np.int64)
    for position in range(width):  # the units, the tens, ...: a byte of another string, or a sign, counts 0
        chars = data[ends - 1 - position].astype(np.int64) - ord("0")
        chars[(lengths <= position) | (chars < 0)] = 0
        values += chars * 10**position
    if len(values) and (data[offsets[:-1]] == ord("-")).any():
        values[data[offsets[:-1]] == ord("-")] *= -1
    return values

def string_lengths(array) -> np.ndarray:
    """The byte length of each string of an arrow string array."""
    return np.diff(string_buffers(array)[0])


def empty_strings(array) -> bool:
    """Whether an arrow string array holds an empty string."""
    offsets, _ = string_buffers(array)
    return bool(len(offsets) > 1 and np.diff(offsets).min() == 0)


def blank_strings(array) -> bool:
    """Whether an arrow string array holds a string of nothing but spaces and tabs (or nothing)."""
    offsets, data = string_buffers(array)
    if len(offsets) < 2:
        return False
    text = data[offsets[0] : offsets[-1]].tobytes()
    if b" " not in text and b"\t" not in text:  # the usual case: two scans, no running count of all the bytes
        return empty_strings(array)
    visible = np.zeros(int(offsets[-1]) + 1, dtype=np.int64)
    np.cumsum((data[: offsets[-1]] != ord(" ")) & (data[: offsets[-1]] != ord("\t")), out=visible[1:])
    return bool((visible[offsets[1:]] == visible[offsets[:-1]]).any())


def strings(values: Sequence[str]):
    """An arrow string array of ``values``."""
    import pyarrow as pa

    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    if offsets[-1] < 2**31:  # 32-bit offsets, as arrow's string type has them
        return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets.astype(np.int32)), data)
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), data).cast(pa.string())


def integers(values: np.ndarray):
    """An arrow int64 array of ``values`` (e.g. indices for ``take``)."""
    import pyarrow as pa

    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(np.ascontiguousarray(values, dtype=np.int64))])


def floats(values: np.ndarray):
    """An arrow float64 array of ``values``."""
    import pyarrow as pa

    return pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(np.ascontiguousarray(values, dtype=np.float64))])


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocates from the C library's allocator inside, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses.

    With pyarrow's default pool (mimalloc) every block of a streamed run file came back as fresh
    pages: evaluating a 1M-row file spent 1.0-1.6 s in the kernel against 0.2 s with the system
    allocator, and took twice as long (benchmarks/bench_run_sizes.py). Buffers remember their pool,
    so the previous default comes back unharmed afterwards.
    """
    import pyarrow as pa

    if os.environ.get(POOL_VARIABLE):
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


_DTYPES = {
    "int8": np.dtype(np.int8), "int16": np.dtype(np.int16), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8), "uint16": np.dtype(np.uint16), "uint32": np.dtype(np.uint32), "uint64": np.dtype(np.uint64),
    "float": np.dtype(np.float32), "double": np.dtype(np.float64),
}
