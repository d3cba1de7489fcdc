"""The clamd connector over real TCP on loopback: against the sandbox's stand-in, which speaks clamd's
INSTREAM protocol, and against raw sockets that record the bytes sent or misbehave as a broken scanner
would."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from connectors.clamav import CHUNK_BYTES, ClamdScanner, ScannerUnavailable, parse_address
from sandbox import clamd
from sandbox.clamd import EICAR, EICAR_SIGNATURE, ClamdStandIn


@pytest.fixture
def stand_in():
    server = ClamdStandIn().start()
    yield server
    server.stop()


def scanner_for(server, timeout: float = 5.0) -> ClamdScanner:
    return ClamdScanner(server.host, server.port, timeout)


class OneAnswerServer:
    """Accepts one connection on a free loopback port, records everything sent until the client has sent the
    zero-length chunk, then answers `answer` (or, stalling, nothing for two seconds)."""

    def __init__(self, answer: bytes | None, *, stall: bool = False):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answer = answer
        self.stall = stall
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(5)
            while not self.received.endswith(struct.pack(">I", 0)):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                self.received += chunk
            if self.stall:
                time.sleep(2)
            elif self.answer is not None:
                connection.sendall(self.answer)

    def close(self):
        self.thread.join(timeout=5)
        self.listener.close()


def test_a_clean_file_is_ok_and_the_eicar_test_file_is_found(stand_in):
    scanner = scanner_for(stand_in)
    assert scanner.scan(b"\xff\xd8\xff\xe0 a photo of a pothole").clean
    found = scanner.scan(EICAR)
    assert not found.clean and found.signature == EICAR_SIGNATURE
    assert scanner.scan(EICAR + b"\r\n").signature == EICAR_SIGNATURE
    assert scanner.scan(b"a photo, then " + EICAR).clean, "the test file is only the test file at its start"


def test_a_large_file_goes_in_several_chunks(stand_in):
    assert scanner_for(stand_in).scan(bytes(CHUNK_BYTES * 3 + 17)).clean


def test_the_bytes_on_the_wire_are_clamds_instream_protocol():
    data = bytes(range(256)) * ((CHUNK_BYTES // 256) + 1)  # one full chunk and a short one
    server = OneAnswerServer(b"stream: OK\0")
    try:
        assert ClamdScanner("127.0.0.1", server.port, 5).scan(data).clean
    finally:
        server.close()
    sent = bytes(server.received)
    assert sent.startswith(b"zINSTREAM\0")
    body = sent[len(b"zINSTREAM\0") :]
    first_length = struct.unpack(">I", body[:4])[0]
    assert first_length == CHUNK_BYTES
    second_at = 4 + first_length
    second_length = struct.unpack(">I", body[second_at : second_at + 4])[0]
    assert second_length == len(data) - CHUNK_BYTES
    assert body[4:second_at] + body[second_at + 4 : second_at + 4 + second_length] == data
    assert body[second_at + 4 + second_length :] == b"\0\0\0\0"


def test_ping_is_answered_pong(stand_in):
    assert scanner_for(stand_in).ping() is True


def test_a_scanner_that_is_not_listening_is_unavailable():
    with socket.create_server(("127.0.0.1", 0)) as reserved:
        port = reserved.getsockname()[1]
    scanner = ClamdScanner("127.0.0.1", port, 2)
    with pytest.raises(ScannerUnavailable):
        scanner.scan(b"photo")
    assert scanner.ping() is False


@pytest.mark.parametrize(
    "answer",
    [b"INSTREAM size limit exceeded. ERROR\0", b"stream: something else\0", b"stream: OK", b""],
)
def test_an_error_or_an_answer_in_no_known_form_is_unavailable(answer):
    server = OneAnswerServer(answer)
    try:
        with pytest.raises(ScannerUnavailable):
            ClamdScanner("127.0.0.1", server.port, 2).scan(b"photo")
    finally:
        server.close()


def test_a_scanner_that_does_not_answer_times_out():
    server = OneAnswerServer(None, stall=True)
    started = time.monotonic()
    try:
        with pytest.raises(ScannerUnavailable):
            ClamdScanner("127.0.0.1", server.port, 0.5).scan(b"photo")
    finally:
        server.close()
    assert time.monotonic() - started < 5


def test_the_stand_in_refuses_a_stream_over_its_limit(stand_in, monkeypatch):
    monkeypatch.setattr(clamd, "STREAM_MAX_LENGTH", 1000)
    with pytest.raises(ScannerUnavailable, match="size limit exceeded"):
        scanner_for(stand_in).scan(bytes(5000))


@pytest.mark.parametrize(
    ("address", "parsed"), [("127.0.0.1:3310", ("127.0.0.1", 3310)), ("[::1]:3310", ("::1", 3310))]
)
def test_addresses_are_host_and_port(address, parsed):
    assert parse_address(address) == parsed


@pytest.mark.parametrize("address", ["clamd", "clamd:", ":3310", "clamd:0", "clamd:99999", "clamd:tcp"])
def test_anything_else_is_not_an_address(address):
    with pytest.raises(ValueError):
        parse_address(address)
