"""Ports and start-up lines of the servers tests start (on 127.0.0.1 only)."""

from __future__ import annotations

import socket
import subprocess
import threading


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_port(process: subprocess.Popen[str], what: str, timeout: float = 120.0) -> int:
    """The port a server prints as its first line (``PORT n``), waiting at most *timeout* s.

    A server that hangs before printing fails the test instead of hanging the suite.
    """
    lines: list[str] = []
    stdout = process.stdout
    assert stdout is not None, f"{what}: started without a stdout pipe"
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        raise AssertionError(f"{what} printed no port within {timeout:.0f} s")
    line = lines[0]
    assert line.startswith("PORT "), f"{what} did not start: {line!r}"
    return int(line.split()[1])
