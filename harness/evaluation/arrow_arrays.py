"""Arrow arrays to and from numpy through their buffers.

pyarrow's own conversions (``to_numpy``, ``pa.array``, ``fill_null`` with a Python value) load
its pandas shim, which imports pandas: 0.2-0.4 s at start-up, more than evaluating a small run
takes. Reading and building the buffers directly costs nothing and copies nothing needless.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def numbers(array) -> np.ndarray:
    """A numeric arrow array without nulls as a numpy view of its values."""
    dtype = _DTYPES[str(array.type)]
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


def string_buffers(array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, data)`` of an arrow string array: string ``i`` is ``data[offsets[i]:offsets[i+1]]``."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    data = array.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)


def codes_or(array, missing: int) -> np.ndarray:
    """An integer arrow array as int64, ``missing`` where it is null (e.g. ``index_in``'s misses)."""
    values = numbers(array).astype(np.int64)
    validity = array.buffers()[0]
    if validity is None or not array.null_count:
        return values
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[array.offset : array.offset + len(array)]
    return np.where(bits.astype(bool), values, missing)


def strings(values: Sequence[str]):
    """An arrow string array of ``values``."""
    import pyarrow as pa

    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))).cast(pa.string())


def integers(values: np.ndarray):
    """An arrow int64 array of ``values`` (e.g. indices for ``take``)."""
    import pyarrow as pa

    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(np.ascontiguousarray(values, dtype=np.int64))])


def floats(values: np.ndarray):
    """An arrow float64 array of ``values``."""
    import pyarrow as pa

    return pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(np.ascontiguousarray(values, dtype=np.float64))])


_DTYPES = {
    "int8": np.dtype(np.int8), "int16": np.dtype(np.int16), "int32": np.dtype(np.int32), "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8), "uint16": np.dtype(np.uint16), "uint32": np.dtype(np.uint32), "uint64": np.dtype(np.uint64),
    "float": np.dtype(np.float32), "double": np.dtype(np.float64),
}
