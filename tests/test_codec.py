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
    for value in (Liar(3), object(), [Liar(1)], np.ma.masked_array([1])):
        decoded = roundtrip(value)
        flat = decoded if not isinstance(decoded, list) else decoded[0]
        assert isinstance(flat, codec.Unsupported)
        assert flat != 3


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
