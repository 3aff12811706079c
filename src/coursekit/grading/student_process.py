"""The student's side of grading: execute cells, hand values out by value, call functions.

This code runs inside the confined child together with the student's code, so nothing here is
trusted: it computes no verdict. It only answers the grader's requests (``exec``, ``get``,
``call``) with plain data; the grader decides everything from those answers.
"""
from __future__ import annotations

import socket
import sys
import traceback
import types

from coursekit.grading import codec, protocol


# Bound at import, before any student code runs, so patched builtins cannot break the replies.
_isinstance, _callable, _type = isinstance, callable, type


class _Magics:
    """Enough of IPython's shell for notebook cells that use line magics or ``!`` commands."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def _to_python(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _error_summary(exc: BaseException, filename_prefix: str = "<cell") -> dict:
    """The exception type, message and the line of the student's cell it came from."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(filename_prefix):
            line = frame.lineno
    message = str(exc)
    return {"type": _type(exc).__name__, "message": message[:2000], "line": line}


def _describe(name: str, namespace: dict):
    if name not in namespace:
        return {"__missing__": name}
    value = namespace[name]
    if _isinstance(value, types.ModuleType):
        return {"__module__": value.__name__}
    if _callable(value):
        return {"__function__": name}
    return codec.encode(value)


def serve(channel: socket.socket) -> None:
    shell = _Magics()
    namespace: dict = {"__name__": "__main__", "get_ipython": lambda: shell}
    while True:
        try:
            request = protocol.receive(channel)
        except (protocol.ChannelClosed, codec.CodecError, OSError):
            return
        reply = {"id": request.get("id")}
        op = request.get("op")
        try:
            if op == "exec":
                code = compile(_to_python(request["code"]), f"<cell {request.get('cell', '?')}>", "exec")
                exec(code, namespace)
                reply["ok"] = True
            elif op == "get":
                reply["values"] = {name: _describe(name, namespace) for name in request["names"]}
                reply["ok"] = True
            elif op == "call":
                function = namespace.get(request["name"])
                args = [codec.decode(a) for a in request.get("args", [])]
                kwargs = {k: codec.decode(v) for k, v in request.get("kwargs", {}).items()}
                result = function(*args, **kwargs)
                reply["value"] = codec.encode(result)
                reply["ok"] = True
            else:
                reply.update(ok=False, error={"type": "ProtocolError", "message": f"unknown op {op!r}"})
        except BaseException as exc:  # the student's SystemExit and KeyboardInterrupt included
            reply.update(ok=False, error=_error_summary(exc))
        try:
            protocol.send(channel, reply)
        except (OSError, ValueError, TypeError) as exc:
            try:
                protocol.send(channel, {"id": request.get("id"), "ok": False,
                                        "error": {"type": _type(exc).__name__, "message": "reply could not be sent"}})
            except OSError:
                return


def main(channel_fd: int) -> None:
    channel = socket.socket(fileno=channel_fd)
    sys.argv = ["student"]
    serve(channel)
