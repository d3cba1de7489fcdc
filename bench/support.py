"""What every benchmark script needs: printing a figure on a line of its own, a free loopback port, and
waiting for a server it started to listen."""

from __future__ import annotations

import socket
import subprocess
import time


def say(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen | None = None, seconds: float = 90) -> None:
    """Until something listens on 127.0.0.1:``port``; stops the bench if ``process`` (the server) exits first
    or nothing listens within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the process for 127.0.0.1:{port} stopped with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listening on 127.0.0.1:{port}")
