"""By-value encoding of values crossing between the student's process and the grader.

Plain data crosses by value: JSON scalars and containers, NumPy arrays (``.npy`` bytes read with
``allow_pickle=False``), pandas Series/DataFrames/Index built from such arrays, and a few standard
library value types (fractions, decimals, dates, counters, namedtuples). Types are checked exactly
(``type(x) is int``, not ``isinstance``), so a subclass with a doctored ``__eq__`` never crosses as
the type it pretends to be. Anything else crosses *by reference* when the caller passes a
``refer`` function (the other side gets a handle, see :mod:`coursekit.grading.remote`), or arrives
as :class:`Unsupported`. Nothing is ever unpickled, and decoding is bounded in size, depth and
digits, so a crafted message costs the grader nothing but a ``CodecError``.
"""
from __future__ import annotations

import base64
import collections
import datetime
import decimal
import fractions
import functools
import io
import keyword
import math
import pathlib
import re
import zoneinfo

import numpy as np
import pandas as pd

from coursekit.grading.wire import CodecError, dumps, loads  # noqa: F401  (the codec's wire format)

MAX_DEPTH = 64
MAX_INT_DIGITS = 4000
MAX_ITEMS = 5_000_000        # elements of one decoded array, index or container
MAX_TEXT = 64 * 1024 * 1024  # characters of one decoded string or byte string
_INT_LIMIT = 10 ** MAX_INT_DIGITS


class Unsupported:
    """Stands in for a value that cannot cross by value; tests see it and fail on it."""

    def __init__(self, type_name: str, reason: str = ""):
        self.type_name = type_name
        self.reason = reason

    def __repr__(self):
        return f"<value of type {self.type_name} that cannot be checked{': ' + self.reason if self.reason else ''}>"


# Bound at import, before any student code runs: patching builtins later cannot change them.
_type, _isinstance, _len, _abs, _str, _repr, _hasattr = type, isinstance, len, abs, str, repr, hasattr
_SCALARS = (int, float, str, bool, type(None))
_DATES = {datetime.date: "date", datetime.datetime: "datetime", datetime.time: "time",
          datetime.timedelta: "timedelta"}
_DATE_TYPES = {v: k for k, v in _DATES.items()}
_VIEWS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}
_FACTORIES = {list: "list", int: "int", set: "set", dict: "dict", float: "float", str: "str", tuple: "tuple"}
_FACTORY_TYPES = {v: k for k, v in _FACTORIES.items()}


@functools.lru_cache(maxsize=512)
def _dtype_name(dtype) -> str:
    """``str(dtype)``, remembered: NumPy works out a dtype's name in Python code on every call."""
    return _str(dtype)


def _npy_bytes(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array_from_npy(data) -> np.ndarray:
    if not isinstance(data, str) or len(data) > MAX_TEXT:
        raise CodecError("bad array data")
    try:
        return np.load(io.BytesIO(base64.b64decode(data, validate=True)), allow_pickle=False)
    except Exception as exc:
        raise CodecError(f"bad array data ({exc.__class__.__name__})") from None


def _is_namedtuple(value) -> bool:
    kind = _type(value)
    fields = getattr(kind, "_fields", None)
    return (kind.__bases__ == (tuple,) and _type(fields) is tuple
            and all(_type(f) is str for f in fields) and _len(fields) == _len(value))


class Encoder:
    """Turns values into JSON-ready data; ``refer`` turns a value that is not plain data into a reference."""

    def __init__(self, refer=None):
        self.refer = refer

    def other(self, value, depth: int):
        if self.refer is not None:
            return self.refer(value)
        kind = _type(value)
        return {"__unsupported__": f"{kind.__module__}.{kind.__qualname__}"}

    def __call__(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            return {"__unsupported__": _type(value).__name__, "reason": "nested too deeply"}
        kind = _type(value)
        if value is NotImplemented or value is Ellipsis:
            return {"__singleton__": "NotImplemented" if value is NotImplemented else "Ellipsis"}
        if kind in _SCALARS:
            if kind is float and not math.isfinite(value):
                return {"__float__": _repr(value)}
            if kind is int and _abs(value) > 2 ** 53:
                if value.bit_length() > MAX_INT_DIGITS * 3:
                    return {"__unsupported__": "int", "reason": "too many digits"}
                return {"__bigint__": _str(value)}
            return value
        down = depth + 1
        if kind is list:
            return [self(v, down) for v in value]
        if kind is tuple:
            return {"__tuple__": [self(v, down) for v in value]}
        if kind in (set, frozenset):
            return {"__set__": [self(v, down) for v in value], "frozen": kind is frozenset}
        if kind is dict:
            return {"__dict__": [[self(k, down), self(v, down)] for k, v in value.items()]}
        if kind is bytes:
            return {"__bytes__": base64.b64encode(value).decode("ascii")}
        if kind is bytearray:
            return {"__bytearray__": base64.b64encode(bytes(value)).decode("ascii")}
        if kind is complex:
            return {"__complex__": [value.real, value.imag]}
        if kind is range:
            return {"__range__": [value.start, value.stop, value.step]}
        if kind is slice:
            return {"__slice__": [self(value.start, down), self(value.stop, down), self(value.step, down)]}
        if kind is fractions.Fraction:
            return {"__fraction__": [_str(value.numerator), _str(value.denominator)]}
        if kind is decimal.Decimal:
            return {"__decimal__": _str(value)}
        if kind in _DATES and (kind is not datetime.time or value.tzinfo is None):
            encoded = {"__date__": [_DATES[kind], value.isoformat() if kind is not datetime.timedelta
                                    else [value.days, value.seconds, value.microseconds]]}
            if kind is datetime.datetime and value.tzinfo is not None:  # its instant (the ISO offset) and zone
                zone = getattr(value.tzinfo, "key", None) or getattr(value.tzinfo, "zone", None)
                if _isinstance(zone, str):
                    encoded["tz"] = zone
            return encoded
        if kind is pathlib.PosixPath or kind is pathlib.PurePosixPath:
            return {"__path__": _str(value), "pure": kind is pathlib.PurePosixPath}
        if kind is collections.Counter or kind is collections.OrderedDict:
            return {"__mapping__": kind.__name__, "items": [[self(k, down), self(v, down)] for k, v in value.items()]}
        if kind is collections.defaultdict and value.default_factory in _FACTORIES:
            return {"__mapping__": "defaultdict", "factory": _FACTORIES[value.default_factory],
                    "items": [[self(k, down), self(v, down)] for k, v in value.items()]}
        if kind in _VIEWS:
            return {"__view__": _VIEWS[kind], "items": [self(v, down) for v in value]}
        if kind is collections.deque:
            return {"__deque__": [self(v, down) for v in value], "maxlen": value.maxlen}
        if _isinstance(value, tuple) and _is_namedtuple(value):
            return {"__namedtuple__": {"name": kind.__name__, "fields": list(kind._fields),
                                       "values": [self(v, down) for v in tuple.__iter__(value)]}}
        if _isinstance(value, np.generic) and kind.__module__ == "numpy":
            if value.dtype.hasobject:
                return self.other(value, depth)
            return {"__npscalar__": _npy_bytes(np.asarray(value))}
        if kind is np.ndarray:
            return self.array(value, depth)
        if kind is np.ma.MaskedArray and not np.ma.is_masked(value):
            # scatter plots' get_offsets(): nothing masked, so its plain data (a masked element
            # would compare equal to anything in ``(answer == expected).all()``: never crosses)
            return self.array(np.asarray(value.data), depth)
        if _isinstance(value, list) and kind.__module__ == "matplotlib.cbook":
            return [self(v, down) for v in value]  # matplotlib's silent_list (ax.get_lines()): a list
        if kind is pd.Series:
            body = {"name": self(value.name, down), "index": self.index(value.index, depth),
                    "values": self.array(np.asarray(value.to_numpy()), depth), "dtype": _dtype_name(value.dtype)}
            if _isinstance(value.dtype, pd.CategoricalDtype):
                body["categorical"] = self.categorical(value.dtype, depth)
            return {"__series__": body}
        if kind is pd.DataFrame:
            columns = [column for _, column in value.items()]  # (``value.dtypes`` builds a Series: slower)
            body = {"columns": self.index(value.columns, depth), "index": self.index(value.index, depth),
                    "data": [self.array(np.asarray(column.to_numpy()), depth) for column in columns],
                    "dtypes": [_dtype_name(column.dtype) for column in columns]}
            if any(_isinstance(column.dtype, pd.CategoricalDtype) for column in columns):
                body["categorical"] = [self.categorical(column.dtype, depth) for column in columns]
            return {"__dataframe__": body}
        if _isinstance(value, pd.Index) and kind.__module__.startswith("pandas"):
            return {"__index__": self.index(value, depth)}
        if kind is pd.Timestamp:  # an aware one as its instant (the ISO offset) and its zone's name
            return {"__timestamp__": value.isoformat()} if value.tz is None else \
                {"__timestamp__": value.isoformat(), "tz": _str(value.tz)}
        if kind is pd.Timedelta:
            return {"__timedelta__": int(value.value)}
        if kind is pd.Period:
            return {"__period__": _str(value), "freq": value.freqstr}
        if kind is pd.Interval:
            return {"__interval__": [self(value.left, down), self(value.right, down)], "closed": value.closed}
        if value is pd.NaT:
            return {"__nat__": True}
        if value is pd.NA:
            return {"__na__": True}
        return self.other(value, depth)

    def array(self, array: np.ndarray, depth: int):
        if array.dtype.hasobject:
            # Object arrays (strings, mixed) go element by element, each checked exactly.
            return {"__objarray__": {"shape": list(array.shape),
                                     "items": [self(v, depth + 1) for v in array.ravel().tolist()]}}
        if array.dtype.names is None and array.dtype.kind in _RAW_KINDS:
            # the common case, raw bytes and a dtype string: several times cheaper than an .npy file
            return {"__nd__": [array.dtype.str, list(array.shape),
                               base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")]}
        return {"__ndarray__": _npy_bytes(np.ascontiguousarray(array))}

    def categorical(self, dtype, depth: int):
        """A categorical's categories in their order, and whether they are ordered (``pd.cut``'s
        labels low < mid < high, unused ones included), which its values alone do not tell."""
        if not _isinstance(dtype, pd.CategoricalDtype):
            return None
        return {"categories": self.index(dtype.categories, depth), "ordered": bool(dtype.ordered)}

    def index(self, index: pd.Index, depth: int):
        if isinstance(index, pd.MultiIndex):
            return {"multi": [self.array(np.asarray(index.get_level_values(i)), depth) for i in range(index.nlevels)],
                    "names": [self(n, depth + 1) for n in index.names]}
        if isinstance(index, pd.RangeIndex):
            return {"range": [index.start, index.stop, index.step], "name": self(index.name, depth + 1)}
        encoded = {"values": self.array(np.asarray(index), depth), "name": self(index.name, depth + 1),
                   "dtype": _dtype_name(index.dtype)}
        if _isinstance(index.dtype, pd.CategoricalDtype):
            encoded["categorical"] = self.categorical(index.dtype, depth)
        return encoded


_plain = Encoder()


def encode(value, depth: int = 0):
    """Turn a value into JSON-ready data, refusing anything that is not plain data."""
    return _plain(value, depth)


def _identifier(name, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or len(name) > 200:
        raise CodecError(f"bad {what} name")
    return name


_namedtuples: dict = {}


def _namedtuple_type(name, fields):
    key = (_identifier(name, "namedtuple"), tuple(_identifier(f, "field") for f in fields))
    if len(key[1]) > 1000:
        raise CodecError("namedtuple with too many fields")
    if key not in _namedtuples:
        _namedtuples[key] = collections.namedtuple(key[0], key[1])
    return _namedtuples[key]


class Decoder:
    """Inverse of :class:`Encoder`; ``resolve`` turns a reference into the receiving side's object."""

    def __init__(self, resolve=None):
        self.resolve = resolve

    def __call__(self, data, depth: int = 0):
        if depth > MAX_DEPTH:
            raise CodecError("value nested too deeply")
        if isinstance(data, (int, float, bool, type(None))):
            if type(data) is int and abs(data) > _INT_LIMIT:
                raise CodecError("integer with too many digits")
            return data
        if isinstance(data, str):
            return data
        down = depth + 1
        if isinstance(data, list):
            return [self(v, down) for v in data]
        if not isinstance(data, dict) or len(data) == 0:
            raise CodecError("unexpected value in message")
        tag = next(iter(data))
        body = data[tag]
        try:
            return self.tagged(tag, body, data, down)
        except CodecError:
            raise
        except RecursionError:
            raise CodecError("value nested too deeply") from None
        except Exception as exc:  # malformed bodies: wrong types, shapes, lengths
            raise CodecError(f"bad {tag.strip('_')} value ({exc.__class__.__name__})") from None

    def tagged(self, tag, body, data, down):
        if tag == "__float__":
            if body not in ("nan", "inf", "-inf"):
                raise CodecError("bad float")
            return float(body)
        if tag == "__bigint__":
            if not isinstance(body, str) or len(body) > MAX_INT_DIGITS:
                raise CodecError("integer with too many digits")
            return int(body)
        if tag == "__tuple__":
            return tuple(self(v, down) for v in _items(body))
        if tag == "__set__":
            items = {self(v, down) for v in _items(body)}
            return frozenset(items) if data.get("frozen") else items
        if tag == "__dict__":
            return {self(k, down): self(v, down) for k, v in _items(body)}
        if tag in ("__bytes__", "__bytearray__"):
            if not isinstance(body, str) or len(body) > MAX_TEXT:
                raise CodecError("bad bytes")
            raw = base64.b64decode(body, validate=True)
            return raw if tag == "__bytes__" else bytearray(raw)
        if tag == "__complex__":
            real, imag = body
            return complex(float(real), float(imag))
        if tag == "__range__":
            return range(*(_small_int(v) for v in body))
        if tag == "__slice__":
            return slice(*(self(v, down) for v in body))
        if tag == "__fraction__":
            return fractions.Fraction(int(_digits(body[0])), int(_digits(body[1])))
        if tag == "__decimal__":
            return decimal.Decimal(_digits(body))
        if tag == "__date__":
            kind = _DATE_TYPES[body[0]]
            if kind is datetime.timedelta:
                return datetime.timedelta(*(_small_int(v) for v in body[1]))
            moment = kind.fromisoformat(str(body[1])[:64])
            zone = _safe_zone(data.get("tz")) if kind is datetime.datetime and moment.tzinfo else None
            if zone:
                try:
                    moment = moment.astimezone(zoneinfo.ZoneInfo(zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    pass  # a zone this machine does not know: the instant, at its offset
            return moment
        if tag == "__path__":
            return (pathlib.PurePosixPath if data.get("pure") else pathlib.PosixPath)(str(body)[:4096])
        if tag == "__mapping__":
            pairs = [(self(k, down), self(v, down)) for k, v in _items(data["items"])]
            if body == "defaultdict":
                return collections.defaultdict(_FACTORY_TYPES[data["factory"]], pairs)
            return {"Counter": collections.Counter, "OrderedDict": collections.OrderedDict}[body](dict(pairs))
        if tag == "__view__":
            items = [self(v, down) for v in _items(data["items"])]
            if body == "keys":
                return dict.fromkeys(items).keys()
            if body == "values":
                return dict(enumerate(items)).values()
            return dict(tuple(pair) for pair in items).items()
        if tag == "__deque__":
            maxlen = data.get("maxlen")
            return collections.deque((self(v, down) for v in _items(body)),
                                     None if maxlen is None else _small_int(maxlen))
        if tag == "__namedtuple__":
            kind = _namedtuple_type(body["name"], _items(body["fields"]))
            return kind(*(self(v, down) for v in _items(body["values"])))
        if tag == "__npscalar__":
            scalar = _array_from_npy(body)
            if scalar.ndim != 0:
                raise CodecError("bad scalar")
            return scalar[()]
        if tag in ("__ndarray__", "__objarray__", "__nd__"):
            return self.array(data, down)
        if tag == "__series__":
            values = self.array(body["values"], down)
            index = self.index(body["index"], down)
            _same_length(values, index)
            series = pd.Series(values, index=index, name=self(body["name"], down))
            dtype = self.dtype(body.get("dtype"), values, body.get("categorical"), down)
            return series.astype(dtype) if dtype is not None else series
        if tag == "__dataframe__":
            columns = self.index(body["columns"], down)
            index = self.index(body["index"], down)
            arrays = [self.array(a, down) for a in _items(body["data"])]
            if len(arrays) != len(columns):
                raise CodecError("columns and data differ in length")
            for array in arrays:
                _same_length(array, index)
            frame = pd.DataFrame(dict(enumerate(arrays)), index=index)
            frame.columns = columns
            categorical = _items(body["categorical"]) if "categorical" in body else []
            for i, name in enumerate(_items(body.get("dtypes", []))[:len(arrays)]):
                dtype = self.dtype(name, arrays[i], categorical[i] if i < len(categorical) else None, down)
                if dtype is not None:
                    frame.isetitem(i, frame.iloc[:, i].astype(dtype))
            return frame
        if tag == "__index__":
            return self.index(body, down)
        if tag == "__timestamp__":
            stamp = pd.Timestamp(str(body)[:64])
            zone = _safe_zone(data.get("tz")) if stamp.tz is not None else None
            return stamp.tz_convert(zone) if zone else stamp
        if tag == "__timedelta__":
            return pd.Timedelta(_small_int(body))
        if tag == "__period__":
            freq = data.get("freq")
            if not isinstance(freq, str) or not _FREQUENCY.fullmatch(freq):
                raise CodecError("bad period frequency")
            return pd.Period(str(body)[:64], freq=freq)
        if tag == "__interval__":
            if data.get("closed") not in ("right", "left", "both", "neither") or len(_items(body)) != 2:
                raise CodecError("bad interval")
            left, right = (self(v, down) for v in body)
            return pd.Interval(left, right, closed=data["closed"])
        if tag == "__nat__":
            return pd.NaT
        if tag == "__na__":
            return pd.NA
        if tag == "__singleton__":
            return {"NotImplemented": NotImplemented, "Ellipsis": Ellipsis}[body]
        if tag == "__unsupported__":
            return Unsupported(str(body)[:200], str(data.get("reason", ""))[:200])
        if self.resolve is not None and tag in ("__ref__", "__gref__"):
            return self.resolve(tag, data)
        raise CodecError(f"unknown tag {str(tag)[:40]!r}")

    def array(self, data, depth: int) -> np.ndarray:
        if not isinstance(data, dict):
            raise CodecError("expected an array")
        if "__nd__" in data:
            return _raw_array(data["__nd__"])
        if "__ndarray__" in data:
            array = _array_from_npy(data["__ndarray__"])
            if array.dtype.hasobject:
                raise CodecError("object arrays must come element by element")
            return array
        if "__objarray__" in data:
            spec = data["__objarray__"]
            shape = [_small_int(n) for n in _items(spec["shape"])]
            items = _items(spec["items"])
            if math.prod(shape) != len(items) or len(items) > MAX_ITEMS:
                raise CodecError("array shape and items differ")
            array = np.empty(len(items), dtype=object)
            array[:] = [self(v, depth + 1) for v in items] if items else []
            return array.reshape(shape)
        raise CodecError("expected an array")

    def index(self, data, depth: int) -> pd.Index:
        if not isinstance(data, dict):
            raise CodecError("expected an index")
        if "range" in data:
            start, stop, step = (_small_int(v) for v in data["range"])
            index = pd.RangeIndex(start, stop, step, name=self(data.get("name"), depth + 1))
            if len(index) > MAX_ITEMS:
                raise CodecError("index too long")
            return index
        if "multi" in data:
            levels = [self.array(a, depth) for a in _items(data["multi"])]
            if any(level.ndim != 1 or len(level) != len(levels[0]) for level in levels):
                raise CodecError("multi-index levels differ")
            return pd.MultiIndex.from_arrays(levels, names=[self(n, depth + 1) for n in _items(data["names"])])
        values = self.array(data["values"], depth)
        if values.ndim != 1:
            raise CodecError("index values must be one-dimensional")
        return pd.Index(values, name=self(data.get("name"), depth + 1),
                        dtype=self.dtype(data.get("dtype"), values, data.get("categorical"), depth + 1))

    def dtype(self, name, values: np.ndarray, categorical, depth: int):
        """The pandas dtype to restore: a categorical one with its categories in order, or one by name."""
        if name == "category" and isinstance(categorical, dict):
            categories = self.index(categorical.get("categories"), depth + 1)
            try:
                return pd.CategoricalDtype(categories, ordered=categorical.get("ordered") is True)
            except (TypeError, ValueError):
                raise CodecError("bad categories") from None
        return _safe_dtype(name, values)


_RAW_KINDS = "biufcUSMm"  # numbers, booleans, fixed strings, dates: never objects


def _raw_array(body) -> np.ndarray:
    kind, shape, data = body
    if not isinstance(kind, str) or len(kind) > 32 or not isinstance(data, str) or len(data) > MAX_TEXT:
        raise CodecError("bad array")
    dtype = np.dtype(kind)
    if dtype.kind not in _RAW_KINDS or dtype.names is not None:
        raise CodecError("bad array dtype")
    shape = [_small_int(n) for n in _items(shape)]
    raw = base64.b64decode(data, validate=True)
    if any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize != len(raw):
        raise CodecError("array shape and data differ")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _items(body) -> list:
    if not isinstance(body, list) or len(body) > MAX_ITEMS:
        raise CodecError("expected a list")
    return body


def _small_int(value) -> int:
    if type(value) is not int or abs(value) > 2 ** 63:
        raise CodecError("expected a small integer")
    return value


def _digits(text) -> str:
    if not isinstance(text, str) or len(text) > MAX_INT_DIGITS:
        raise CodecError("number with too many digits")
    return text


def _same_length(values: np.ndarray, index: pd.Index) -> None:
    """pandas broadcasts a scalar over an index: a crafted reply must not make it allocate gigabytes."""
    if values.ndim != 1 or len(values) != len(index):
        raise CodecError("values and index differ in length")


_SAFE_DTYPES = ("category", "string", "datetime64", "timedelta64", "boolean", "Int", "UInt", "Float", "period",
                "interval")
_FREQUENCY = re.compile(r"[0-9]{0,4}[A-Za-z]{1,6}(-[A-Za-z]{3})?")


# A time zone by name: "UTC", a fixed offset, or an IANA name looked up in the zone database. Never
# "dateutil/<path>" or any other path: pandas would open the file the student's process names.
_ZONE = re.compile(r"UTC|UTC[+-]\d\d:\d\d|[A-Z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
_PLAIN_DTYPE = re.compile(r"[A-Za-z]+[0-9]*(\[[A-Za-z0-9-]+\])?")  # category, Int64, period[Q-DEC], datetime64[ns]
_ZONED_DTYPE = re.compile(r"datetime64\[(ns|us|ms|s), ([^\]\[,]+)\]")
_INTERVAL_DTYPE = re.compile(r"interval\[(.+), (right|left|both|neither)\]")


def _safe_zone(name) -> str | None:
    if not isinstance(name, str) or len(name) > 60 or not _ZONE.fullmatch(name) or name.startswith("dateutil"):
        return None
    return name


def _safe_dtype_name(name: str) -> bool:
    """A dtype name pandas may read, by a grammar of our own: a zone in it (also in an interval's
    subtype) is a safe one, and no storage backend pandas would import (``string[pyarrow]``)."""
    if name.startswith("string") and name not in ("string", "string[python]"):
        return False
    interval = _INTERVAL_DTYPE.fullmatch(name)
    if interval:
        name = interval.group(1)
    zoned = _ZONED_DTYPE.fullmatch(name)
    if zoned:
        return _safe_zone(zoned.group(2)) is not None
    return _PLAIN_DTYPE.fullmatch(name) is not None


def _safe_dtype(name, values):
    """Restore a pandas dtype by name (category, string, datetime tz...) when pandas knows it."""
    if not isinstance(name, str) or len(name) > 100 or name == _dtype_name(values.dtype):
        return None
    if not name.startswith(_SAFE_DTYPES) or not _safe_dtype_name(name):
        return None
    try:
        dtype = pd.api.types.pandas_dtype(name)
    except (TypeError, ValueError):
        return None
    return dtype if dtype != values.dtype else None


_plain_decoder = Decoder()


def decode(data):
    """Inverse of :func:`encode`, run by the grader on data the student's process sent."""
    return _plain_decoder(data)


def changes_in_place(value) -> bool:
    """Whether :func:`update_in_place` can make this value equal to another (a list, a DataFrame...)."""
    return _type(value) in (list, set, bytearray) or _isinstance(value, (dict, np.ndarray, pd.DataFrame, pd.Series))


def update_in_place(original, new) -> None:
    """Make ``original`` equal to ``new`` without replacing it, as an in-place change in Jupyter would.
    Used on both sides: a test's argument a student's call changed, a student's name a test changed."""
    if original is new:
        return
    if _type(original) is list and _type(new) is list:
        original[:] = new
    elif _isinstance(original, dict) and _isinstance(new, dict):
        original.clear()
        original.update(new)
    elif _type(original) is set and _isinstance(new, (set, frozenset)):
        original.clear()
        original.update(new)
    elif _type(original) is bytearray and _type(new) is bytearray:
        original[:] = new
    elif _isinstance(original, np.ndarray):
        if original.shape == np.shape(new):
            np.copyto(original, new, casting="unsafe")
    elif _isinstance(original, (pd.DataFrame, pd.Series)):
        if _type(new) is _type(original):
            original._update_inplace(new)  # what pandas' own inplace=True methods do
    elif _type(original) is _type(new) and _hasattr(original, "__dict__") and _hasattr(new, "__dict__"):
        original.__dict__.update(new.__dict__)
