"""ClamAV's daemon (clamd) over TCP: the INSTREAM command, as clamd(8) documents it.

A scan sends `zINSTREAM\\0`, then the file in chunks, each preceded by its length as a 4-byte unsigned
big-endian integer, then a zero-length chunk to say the file is complete. clamd answers one NUL-terminated
line: `stream: OK`, `stream: <signature> FOUND`, or `... ERROR` (for example `INSTREAM size limit exceeded.
ERROR` when the file is longer than its StreamMaxLength). `zPING\\0` is answered `PONG`.

Anything but a clean or an infected answer (no connection, a timeout, an error, an answer in no known form) is
`ScannerUnavailable`: a caller must then refuse the file, never pass it unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

CHUNK_BYTES = 64 * 1024
END_OF_STREAM = struct.pack(">I", 0)
# An answer longer than this is not clamd's: stop reading rather than buffer without limit.
MAX_ANSWER_BYTES = 4096


class ScannerUnavailable(Exception):
    """clamd could not say whether the file is clean. The message is for operators' logs."""


@dataclass(frozen=True)
class ScanResult:
    signature: str | None  # the name of what clamd found, None when the file is clean

    @property
    def clean(self) -> bool:
        return self.signature is None


def parse_address(address: str) -> tuple[str, int]:
    """ "host:port" ("[::1]:3310" for IPv6) as a (host, port) pair; ValueError when it is not one."""
    host, separator, port = address.strip().rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not host:port: {address!r}")
    return host.strip("[]"), int(port)


class ClamdScanner:
    def __init__(self, host: str, port: int, timeout: float):
        self.host = host
        self.port = port
        self.timeout = timeout

    def _exchange(self, request_parts) -> str:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as connection:
                for part in request_parts:
                    connection.sendall(part)
                answer = bytearray()
                while not answer.endswith(b"\0") and len(answer) <= MAX_ANSWER_BYTES:
                    received = connection.recv(1024)
                    if not received:
                        break
                    answer += received
        except OSError as error:  # refused, reset, unreachable, timed out
            raise ScannerUnavailable(f"clamd at {self.host}:{self.port}: {type(error).__name__}") from error
        if not answer.endswith(b"\0"):
            raise ScannerUnavailable(f"clamd at {self.host}:{self.port} sent no complete answer")
        return answer[:-1].decode("utf-8", "replace").strip()

    def ping(self) -> bool:
        try:
            return self._exchange([b"zPING\0"]) == "PONG"
        except ScannerUnavailable:
            return False

    def scan(self, data: bytes) -> ScanResult:
        def request_parts():
            yield b"zINSTREAM\0"
            for start in range(0, len(data), CHUNK_BYTES):
                chunk = data[start : start + CHUNK_BYTES]
                yield struct.pack(">I", len(chunk)) + chunk
            yield END_OF_STREAM

        answer = self._exchange(request_parts())
        if answer == "stream: OK":
            return ScanResult(signature=None)
        if answer.startswith("stream: ") and answer.endswith(" FOUND"):
            return ScanResult(signature=answer.removeprefix("stream: ").removesuffix(" FOUND").strip())
        raise ScannerUnavailable(f"clamd at {self.host}:{self.port} answered {answer[:200]!r}")
