"""By-value encoding of values crossing between the student's process and the grader.

Only plain data crosses: JSON scalars and containers, NumPy arrays (``.npy`` bytes read with
``allow_pickle=False``) and pandas Series/DataFrames built from such arrays. Types are checked
exactly (``type(x) is int``, not ``isinstance``), so a subclass with a doctored ``__eq__`` cannot
cross; it arrives as :class:`Unsupported`. Nothing is ever unpickled.
"""
from __future__ import annotations

import base64
import io
import math

import numpy as np
import pandas as pd

from coursekit.grading.wire import CodecError, dumps, loads  # noqa: F401  (the codec's wire format)

MAX_DEPTH = 64


class Unsupported:
    """Stands in for a value that cannot cross by value; tests see it and fail on it."""

    def __init__(self, type_name: str, reason: str = ""):
        self.type_name = type_name
        self.reason = reason

    def __repr__(self):
        return f"<value of type {self.type_name} that cannot be checked{': ' + self.reason if self.reason else ''}>"


# Bound at import, before any student code runs: patching builtins later cannot change them.
_type, _isinstance, _len, _abs = type, isinstance, len, abs
_SCALARS = (int, float, str, bool, type(None))


def _npy_bytes(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array_from_npy(data: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(base64.b64decode(data, validate=True)), allow_pickle=False)
    except Exception as exc:
        raise CodecError(f"bad array data ({exc.__class__.__name__})") from None


def _encode_array(array: np.ndarray, depth: int):
    if array.dtype.hasobject:
        # Object arrays (strings, mixed) go element by element, each checked exactly.
        return {"__objarray__": {"shape": list(array.shape),
                                 "items": [encode(v, depth + 1) for v in array.ravel().tolist()]}}
    return {"__ndarray__": _npy_bytes(np.ascontiguousarray(array))}


def encode(value, depth: int = 0):
    """Turn a value into JSON-ready data, refusing anything that is not plain data."""
    if depth > MAX_DEPTH:
        return {"__unsupported__": _type(value).__name__, "reason": "nested too deeply"}
    kind = _type(value)
    if kind in _SCALARS:
        if kind is float and not math.isfinite(value):
            return {"__float__": repr(value)}
        if kind is int and _abs(value) > 2 ** 63:
            return {"__bigint__": str(value)}
        return value
    if kind is list:
        return [encode(v, depth + 1) for v in value]
    if kind is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if kind in (set, frozenset):
        return {"__set__": [encode(v, depth + 1) for v in value], "frozen": kind is frozenset}
    if kind is dict:
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if kind is bytes:
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {"__complex__": [value.real, value.imag]}
    if _isinstance(value, np.generic) and kind.__module__ == "numpy":
        return {"__npscalar__": _npy_bytes(np.asarray(value))} if not value.dtype.hasobject else \
            {"__unsupported__": kind.__name__}
    if kind is np.ndarray:
        return _encode_array(value, depth)
    if kind is pd.Series:
        return {"__series__": {"name": encode(value.name, depth + 1),
                               "index": _encode_index(value.index, depth),
                               "values": _encode_array(np.asarray(value.to_numpy()), depth),
                               "dtype": str(value.dtype)}}
    if kind is pd.DataFrame:
        return {"__dataframe__": {"columns": _encode_index(value.columns, depth),
                                  "index": _encode_index(value.index, depth),
                                  "data": [_encode_array(np.asarray(value.iloc[:, i].to_numpy()), depth)
                                           for i in range(value.shape[1])],
                                  "dtypes": [str(d) for d in value.dtypes]}}
    if _isinstance(value, pd.Index) and kind.__module__.startswith("pandas"):
        return {"__index__": _encode_index(value, depth)}
    return {"__unsupported__": f"{kind.__module__}.{kind.__qualname__}"}


def _encode_index(index: pd.Index, depth: int):
    if isinstance(index, pd.MultiIndex):
        return {"multi": [_encode_array(np.asarray(index.get_level_values(i)), depth)
                          for i in range(index.nlevels)],
                "names": [encode(n, depth + 1) for n in index.names]}
    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": encode(index.name, depth + 1)}
    return {"values": _encode_array(np.asarray(index), depth), "name": encode(index.name, depth + 1),
            "dtype": str(index.dtype)}


def _decode_array(data) -> np.ndarray:
    if not isinstance(data, dict):
        raise CodecError("expected an array")
    if "__ndarray__" in data:
        return _array_from_npy(data["__ndarray__"])
    if "__objarray__" in data:
        spec = data["__objarray__"]
        items = [decode(v) for v in spec["items"]]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(spec["shape"])
    raise CodecError("expected an array")


def _decode_index(data) -> pd.Index:
    if "range" in data:
        start, stop, step = (int(v) for v in data["range"])
        return pd.RangeIndex(start, stop, step, name=decode(data["name"]))
    if "multi" in data:
        return pd.MultiIndex.from_arrays([_decode_array(a) for a in data["multi"]],
                                         names=[decode(n) for n in data["names"]])
    values = _decode_array(data["values"])
    return pd.Index(values, name=decode(data["name"]), dtype=_safe_dtype(data.get("dtype"), values))


def _safe_dtype(name, values):
    """Restore a pandas dtype by name (category, string, datetime tz...) when pandas knows it."""
    if not isinstance(name, str) or name == str(values.dtype):
        return None
    try:
        dtype = pd.api.types.pandas_dtype(name)
    except (TypeError, ValueError):
        return None
    return dtype if dtype != values.dtype else None


def decode(data):
    """Inverse of :func:`encode`, run by the grader on data the student's process sent."""
    if isinstance(data, (int, float, str, bool, type(None))):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise CodecError("unexpected value in message")
    tag = next(iter(data))
    body = data[tag]
    if tag == "__float__":
        return float(body)
    if tag == "__bigint__":
        return int(body)
    if tag == "__tuple__":
        return tuple(decode(v) for v in body)
    if tag == "__set__":
        items = {decode(v) for v in body}
        return frozenset(items) if data.get("frozen") else items
    if tag == "__dict__":
        return {decode(k): decode(v) for k, v in body}
    if tag == "__bytes__":
        return base64.b64decode(body)
    if tag == "__complex__":
        return complex(*body)
    if tag == "__npscalar__":
        return _array_from_npy(body)[()]
    if tag in ("__ndarray__", "__objarray__"):
        return _decode_array(data)
    if tag == "__series__":
        values = _decode_array(body["values"])
        series = pd.Series(values, index=_decode_index(body["index"]), name=decode(body["name"]))
        dtype = _safe_dtype(body.get("dtype"), values)
        return series.astype(dtype) if dtype is not None else series
    if tag == "__dataframe__":
        columns = _decode_index(body["columns"])
        arrays = [_decode_array(a) for a in body["data"]]
        frame = pd.DataFrame(dict(enumerate(arrays)), index=_decode_index(body["index"]))
        frame.columns = columns
        for i, name in enumerate(body.get("dtypes", [])):
            dtype = _safe_dtype(name, arrays[i])
            if dtype is not None:
                frame.isetitem(i, frame.iloc[:, i].astype(dtype))
        return frame
    if tag == "__index__":
        return _decode_index(body)
    if tag == "__unsupported__":
        return Unsupported(str(body), str(data.get("reason", "")))
    raise CodecError(f"unknown tag {tag!r}")
