"""Jupyter kernels for coursekit's own notebook runs (validation, the book build), started quietly.

ipykernel warns "Kernel is running over TCP without encryption" whenever it listens on TCP, once per
notebook. A kernel that only this process talks to needs no network port at all: on POSIX it
listens on Unix sockets in a private temporary folder, which other users cannot reach either.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager


@contextmanager
def ipc_config():
    """Configuration for ``nbclient.NotebookClient(config=...)``: kernels on IPC sockets where available."""
    from traitlets.config import Config
    if os.name != "posix":
        yield Config()
        return
    with tempfile.TemporaryDirectory(prefix="coursekit-kernel-") as folder:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}})
