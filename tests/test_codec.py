"""Values cross between processes by value only; doctored objects cannot."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coursekit.grading import codec


def roundtrip(value):
    return codec.decode(codec.loads(codec.dumps(codec.encode(value))))


@pytest.mark.parametrize("value", [
    1, -2.5, float("inf"), "text", None, True, [1, [2, "x"]], (1, 2), {1: "a", "b": (2,)}, {1, 2},
    b"bytes", 3 + 4j, 2 ** 80,
])
def test_plain_values_roundtrip(value):
    assert roundtrip(value) == value and type(roundtrip(value)) is type(value)


def test_numpy_and_pandas_roundtrip():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(roundtrip(array), array) and roundtrip(array).dtype == np.float32
    assert roundtrip(np.int64(7)) == 7 and type(roundtrip(np.int64(7))) is np.int64
    frame = pd.DataFrame({"role": ["a", "b"], "low": [1, 2], "when": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                          "kind": pd.Categorical(["x", "y"])}, index=[10, 20])
    pd.testing.assert_frame_equal(roundtrip(frame), frame)
    series = pd.Series([1.5, 2.5], name="s", index=["a", "b"])
    pd.testing.assert_series_equal(roundtrip(series), series)


def test_subclasses_and_objects_cannot_cross():
    class Liar(int):
        def __eq__(self, other):
            return True
    # a masked element compares equal to anything in ``(answer == expected).all()``
    for value in (Liar(3), object(), [Liar(1)], np.ma.masked_array([3, 4], mask=[0, 1])):
        decoded = roundtrip(value)
        flat = decoded if not isinstance(decoded, list) else decoded[0]
        assert isinstance(flat, codec.Unsupported)
        assert flat != 3


def test_library_values_that_are_plain_data_cross():
    """A masked array with nothing masked (a scatter plot's offsets) is its data; matplotlib's
    silent_list (``ax.get_lines()``) is a list."""
    from matplotlib.cbook import silent_list
    offsets = roundtrip(np.ma.masked_array([[1.0, 3.0], [2.0, 2.0]]))
    assert type(offsets) is np.ndarray and offsets.tolist() == [[1.0, 3.0], [2.0, 2.0]]
    lines = roundtrip(silent_list("Line2D", [1, 2]))
    assert type(lines) is list and lines == [1, 2]


def test_no_pickle_even_if_asked():
    import base64
    import io
    import pickle
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    evil = {"__ndarray__": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(codec.CodecError):
        codec.decode(evil)
    with pytest.raises(codec.CodecError):
        codec.decode({"__pickle__": base64.b64encode(pickle.dumps(1)).decode()})


def test_more_value_types_roundtrip():
    import collections
    import datetime
    import decimal
    import fractions
    Point = collections.namedtuple("Point", "x y")
    values = [fractions.Fraction(3, 7), decimal.Decimal("1.10"), datetime.date(2024, 8, 1),
              datetime.datetime(2024, 8, 1, 12, 30), datetime.timedelta(days=2, seconds=5),
              collections.Counter("abca"), collections.OrderedDict(a=1), collections.deque([1, 2], maxlen=5),
              collections.defaultdict(list, {"a": [1]}), range(2, 10, 3), bytearray(b"ab"), Point(1, 2)]
    for value in values:
        back = roundtrip(value)
        assert back == value and type(back).__name__ == type(value).__name__, value
    assert roundtrip(Point(1, 2)) == (1, 2) and roundtrip(Point(1, 2)).x == 1


def test_a_tuple_subclass_pretending_to_be_a_namedtuple_loses_its_eq():
    class Fake(tuple):
        _fields = ("a",)

        def __eq__(self, other):
            return True
    back = roundtrip(Fake((1,)))
    assert back != (2,) and back == (1,)


@pytest.mark.parametrize("evil", [
    {"__bigint__": "9" * 5000},
    {"__series__": {"name": None, "index": {"range": [0, 10 ** 9, 1], "name": None},
                    "values": {"__ndarray__": None}}},
    {"__objarray__": {"shape": [10 ** 6, 10 ** 6], "items": [1]}},
    {"__dict__": [[{"__dict__": []}, 1]]},
    {"__namedtuple__": {"name": "import os", "fields": ["x"], "values": [1]}},
    {"__float__": "1e400000"},
    {"__date__": ["datetime", "not a date"]},
    {"__period__": "2024-01", "freq": "M; import os"},
    {"__interval__": [0, 1], "closed": "sideways"},
    {"__ref__": 1},
    {"__nat__": True, "extra": 1} if False else {"__tuple__": "not a list"},
])
def test_crafted_values_fail_as_codec_errors(evil):
    with pytest.raises(codec.CodecError):
        codec.decode(evil)


def test_a_series_cannot_broadcast_a_scalar_over_a_huge_index():
    scalar = codec.encode(np.array(1.0))  # a 0-d array
    evil = {"__series__": {"name": None, "index": {"range": [0, 10 ** 8, 1], "name": None}, "values": scalar}}
    with pytest.raises(codec.CodecError):
        codec.decode(evil)
    frame = {"__dataframe__": {"columns": {"range": [0, 1, 1], "name": None},
                               "index": {"range": [0, 10 ** 8, 1], "name": None}, "data": [scalar], "dtypes": []}}
    with pytest.raises(codec.CodecError):
        codec.decode(frame)


def test_nesting_and_huge_integers_in_raw_messages_are_rejected():
    with pytest.raises(codec.CodecError):
        codec.loads(b"[" * 100000 + b"]" * 100000)
    with pytest.raises(codec.CodecError):
        codec.loads(b"1" + b"0" * 5000)
    deep = 1
    for _ in range(200):
        deep = [deep]
    with pytest.raises(codec.CodecError):
        codec.decode(deep)


def test_time_zones_and_missing_values_roundtrip():
    """Aware timestamps keep their instant and their zone; pandas' NA stays NA (nbgrader's kernel sees them so)."""
    moment = pd.Timestamp("2024-03-10 12:00", tz="Europe/Paris")
    back = roundtrip(moment)
    assert back == moment and str(back.tz) == "Europe/Paris" and back.hour == 12
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=3, tz="UTC"),
                          "name": pd.array(["a", None, "c"], dtype="string"),
                          "count": pd.array([1, None, 3], dtype="Int64")})
    pd.testing.assert_frame_equal(roundtrip(frame), frame)
    series = pd.Series(pd.date_range("2024-06-01", periods=2, tz="America/New_York"), name="t")
    pd.testing.assert_series_equal(roundtrip(series), series)
    assert roundtrip(pd.NA) is pd.NA
    for value in (pd.Period("2024-03", freq="M"), pd.Interval(0, 5, closed="left")):
        assert roundtrip(value) == value and type(roundtrip(value)) is type(value)
    for series in (pd.Series(pd.period_range("2024-01", periods=3, freq="Q")), pd.Series(pd.interval_range(0, 3))):
        pd.testing.assert_series_equal(roundtrip(series), series)
    import datetime
    import zoneinfo
    aware = datetime.datetime(2024, 7, 1, 10, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    assert roundtrip(aware) == aware and roundtrip(aware).tzinfo == aware.tzinfo
    offset = datetime.datetime(2024, 7, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
    assert roundtrip(offset) == offset and roundtrip(offset).utcoffset() == offset.utcoffset()


@pytest.mark.parametrize("zone", ["dateutil//etc/passwd", "dateutil/../../etc/passwd", "../../etc/passwd",
                                  "/etc/passwd", "dateutil//dev/stdin"])
def test_a_zone_name_is_never_a_path_the_grader_opens(zone, monkeypatch):
    """A student's process names the zone of a value: a path there would make pandas open that file
    (``/dev/stdin`` would hang the grading run). Such a name is refused; the instant still comes back."""
    import builtins
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda file, *a, **k: opened.append(file) or real_open(file, *a, **k))
    stamp = codec.decode({"__timestamp__": "2024-01-01T00:00:00+00:00", "tz": zone})
    assert stamp == pd.Timestamp("2024-01-01", tz="UTC")
    column = {"__series__": {"name": None, "index": {"range": [0, 1, 1], "name": None},
                             "values": {"__objarray__": {"shape": [1], "items": [
                                 {"__timestamp__": "2024-01-01T00:00:00+00:00"}]}},
                             "dtype": f"datetime64[ns, {zone}]"}}
    codec.decode(column)
    column["__series__"]["dtype"] = f"interval[datetime64[ns, {zone}], right]"
    codec.decode(column)  # the dtype is refused: the values come back as they are
    assert codec.decode({"__date__": ["datetime", "2024-01-01T00:00:00+00:00"], "tz": zone}).utcoffset().seconds == 0
    assert not [f for f in opened if "passwd" in str(f) or "stdin" in str(f)]


def test_a_dtype_name_never_makes_the_grader_import_a_backend(monkeypatch):
    """``string[pyarrow]`` would have pandas import pyarrow on the student process's word."""
    import sys
    asked = []

    class Recorder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            asked.append(name)
            return None

    monkeypatch.setattr(sys, "meta_path", [Recorder, *sys.meta_path])
    monkeypatch.delitem(sys.modules, "pyarrow", raising=False)
    column = {"__series__": {"name": None, "index": {"range": [0, 1, 1], "name": None},
                             "values": {"__objarray__": {"shape": [1], "items": ["a"]}}, "dtype": "string[pyarrow]"}}
    assert codec.decode(column).tolist() == ["a"]
    assert "pyarrow" not in asked


def test_categoricals_keep_their_categories_order_and_unused_ones():
    """``pd.cut(..., labels=['low', 'mid', 'high'])`` is ordered low < mid < high whatever values it
    holds: a test reading ``.cat.categories`` or comparing ``b < 'high'`` sees the same order."""
    banded = pd.cut(pd.Series([10, 60]), bins=[0, 50, 80, 100], labels=["low", "mid", "high"])
    for value in (banded, pd.DataFrame({"band": banded, "n": [1, 2]}),
                  pd.CategoricalIndex(["b", "a"], categories=["b", "a", "z"], ordered=True),
                  pd.Series(["x", "y", None]).astype("category")):
        back = codec.decode(codec.encode(value))
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(back, value)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(back, value)
        else:
            pd.testing.assert_index_equal(back, value, exact=True)
    assert list(codec.decode(codec.encode(banded)).cat.categories) == ["low", "mid", "high"]
    duplicated = codec.encode(banded)
    duplicated["__series__"]["categorical"]["categories"] = codec.Encoder().index(pd.Index(["a", "a"]), 0)
    with pytest.raises(codec.CodecError):
        codec.decode(duplicated)
