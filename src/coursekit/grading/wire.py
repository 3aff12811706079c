"""The wire format of grading messages: JSON bytes with a size limit, nothing else.

Kept apart from :mod:`coursekit.grading.codec` (which needs NumPy and pandas) so that the grader can
start its fork server before it imports them.
"""
from __future__ import annotations

import json

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class CodecError(ValueError):
    """A message is not a well-formed by-value encoding."""


def dumps(message) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")


def loads(raw: bytes):
    if len(raw) > MAX_MESSAGE_BYTES:
        raise CodecError("message too large")
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, integers past Python's digit limit
        raise CodecError("message is not JSON") from None
