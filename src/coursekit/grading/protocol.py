"""Length-prefixed JSON messages over a socket, used by both the grader and the student process."""
from __future__ import annotations

import select
import socket
import struct
import time

from coursekit.grading import wire

_HEADER = struct.Struct("!Q")


class ChannelClosed(EOFError):
    """The other side closed the channel (the process died or closed it)."""


class ChannelTimeout(TimeoutError):
    """No complete message arrived before the deadline."""


def send(sock: socket.socket, message) -> None:
    payload = wire.dumps(message)
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _read_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise ChannelTimeout()
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket, deadline: float | None = None):
    """Next message; raises ChannelClosed, ChannelTimeout or wire.CodecError."""
    (size,) = _HEADER.unpack(_read_exact(sock, _HEADER.size, deadline))
    if size > wire.MAX_MESSAGE_BYTES:
        raise wire.CodecError(f"message of {size} bytes is over the limit")
    return wire.loads(_read_exact(sock, size, deadline))
