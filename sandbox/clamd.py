"""A stand-in for ClamAV's daemon (clamd) over TCP, speaking its protocol as clamd(8) documents it: the
INSTREAM command (4-byte big-endian chunk lengths, a zero-length chunk to end), PING and VERSION, each with
the `z` (NUL-terminated) or `n` (newline-terminated) prefix. It has one signature, the EICAR anti-virus test
file, which every real scanner also detects, and clamd's default StreamMaxLength of 25 MB.

    python -m sandbox.clamd --port 3310
"""

from __future__ import annotations

import argparse
import socketserver
import struct
import threading

# The EICAR test file: harmless, and detected by every anti-virus product by agreement. Kept in two halves so
# that a scanner reading this source does not take it for the test file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Win.Test.EICAR_HDB-1"
STREAM_MAX_LENGTH = 25 * 1024 * 1024
VERSION = "ClamAV 1.4.1 (My Norfolk sandbox stand-in)"
MAX_COMMAND_BYTES = 64


def verdict(data: bytes) -> str:
    """What clamd answers for a file: the EICAR file is its first 68 bytes, then at most whitespace (up to 128
    bytes in all)."""
    rest = data[len(EICAR) :]
    if data.startswith(EICAR) and len(data) <= 128 and not rest.strip():
        return f"stream: {EICAR_SIGNATURE} FOUND"
    return "stream: OK"


class _Connection(socketserver.StreamRequestHandler):
    timeout = 30

    def _read_exactly(self, count: int) -> bytes:
        data = self.rfile.read(count)
        if len(data) != count:
            raise ConnectionError("the client stopped mid-chunk")
        return data

    def _command(self) -> tuple[str, bytes]:
        """The command and the terminator its prefix chose: `zCOMMAND\\0` or `nCOMMAND\\n`."""
        prefix = self._read_exactly(1)
        terminator = {b"z": b"\0", b"n": b"\n"}.get(prefix)
        if terminator is None:
            raise ConnectionError("unknown command prefix")
        command = bytearray()
        while not command.endswith(terminator):
            if len(command) > MAX_COMMAND_BYTES:
                raise ConnectionError("command too long")
            command += self._read_exactly(1)
        return command[:-1].decode("ascii", "replace"), terminator

    def _answer(self, text: str, terminator: bytes) -> None:
        self.wfile.write(text.encode() + terminator)

    def handle(self):
        try:
            command, terminator = self._command()
        except (ConnectionError, OSError):
            return
        if command == "PING":
            self._answer("PONG", terminator)
        elif command == "VERSION":
            self._answer(VERSION, terminator)
        elif command == "INSTREAM":
            self._instream(terminator)
        else:
            self._answer("UNKNOWN COMMAND", terminator)

    def _instream(self, terminator: bytes) -> None:
        received = bytearray()
        try:
            while True:
                (length,) = struct.unpack(">I", self._read_exactly(4))
                if length == 0:
                    break
                if len(received) + length > STREAM_MAX_LENGTH:
                    self._answer("INSTREAM size limit exceeded. ERROR", terminator)
                    return
                received += self._read_exactly(length)
        except (ConnectionError, OSError):
            return
        self._answer(verdict(bytes(received)), terminator)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ClamdStandIn:
    """The stand-in on a port of its own (0: one the system chooses), served from a thread until stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = _Server((host, port), _Connection)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> ClamdStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3310)
    arguments = parser.parse_args()
    stand_in = ClamdStandIn(arguments.host, arguments.port)
    print(f"clamd stand-in listening on {stand_in.address}", flush=True)
    try:
        stand_in.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stand_in.server.server_close()


if __name__ == "__main__":
    main()
