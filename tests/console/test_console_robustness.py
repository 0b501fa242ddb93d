"""Bad input on the running gateway's serial console (a real pty pair) and UNIX socket:
garbage, truncated frames, a wrong CRC, a wrong token, a disconnect mid-command and 10,000
random byte strings. Each gets an error or is ignored; the next valid command is served and
no state is lost."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from firmware.console import protocol as p
from host_tools.gwctl.link import RemoteError, connect
from tests.service.harness import RunningGateway


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    gateway = RunningGateway(
        tmp_path_factory.mktemp("robust") / "state", "--traffic", "0", "--no-agents"
    )
    try:
        yield gateway
    finally:
        gateway.close()


def replies(port: serial.Serial, n: int, timeout: float = 10.0) -> list[p.Message]:
    decoder, out = p.FrameDecoder(), []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        data = port.read(4096)
        out += [m for m in decoder.feed(data) if not isinstance(m, p.ProtocolError)]
    return out


def open_port(gw: RunningGateway) -> serial.Serial:
    port = serial.serial_for_url(gw.port, timeout=0.1)
    port.reset_input_buffer()
    return port


def test_garbage_truncation_and_crc_each_get_an_error(gw: RunningGateway) -> None:
    with open_port(gw) as port:
        good = p.encode(p.Request(77, "status"))
        flipped = bytearray(good)
        flipped[25] ^= 0x04
        port.write(b"\x00\x01garbage\xff\n")
        port.write(good[:20] + b"\n")  # truncated, then the line ends
        port.write(bytes(flipped))
        got = replies(port, 3)
    codes = [m.error[0] for m in got if isinstance(m, p.Reply) and m.error]
    assert codes == [p.ERR_FRAME, p.ERR_CRC, p.ERR_CRC]  # a cut payload fails its CRC
    assert all(m.id is None for m in got if isinstance(m, p.Reply))


def test_wrong_token_changes_nothing(gw: RunningGateway) -> None:
    before = gw.status()["agents"]
    link = connect(gw.port, "wrong", timeout=5)
    try:
        with pytest.raises(RemoteError) as err:
            link.call("state", {"agent": "alice", "status": "unavailable"})
        assert err.value.code == p.ERR_TOKEN
    finally:
        link.close()
    assert gw.status()["agents"] == before


def test_disconnect_mid_command_on_serial_and_socket(gw: RunningGateway) -> None:
    half = p.encode(p.Request(5, "state", {"agent": "alice", "status": "unavailable"}))
    with open_port(gw) as port:
        port.write(half[: len(half) // 2])  # gwctl killed mid-frame
    sock_path = gw.state_dir / "console.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(sock_path))
        sock.sendall(half[:30])
    for port_name in (gw.port, f"unix:{sock_path}"):
        link = connect(port_name, None, timeout=5)
        try:
            assert link.call("status")["agents"]["alice"]["status"] == "ready"
        finally:
            link.close()


def test_ten_thousand_random_byte_strings_over_the_pty(gw: RunningGateway) -> None:
    before = gw.status()
    rng = random.Random(6)
    good = p.encode(p.Request(1, "state", {"agent": "bob", "status": "unavailable"}))
    stop = threading.Event()
    received = [0]

    with open_port(gw) as port:

        def drain() -> None:
            while not stop.is_set():
                received[0] += len(port.read(65536))

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            for i in range(10_000):
                if i % 3 == 0:
                    chunk = rng.randbytes(rng.randint(1, 60))
                elif i % 3 == 1:
                    cut = bytearray(good[: rng.randint(1, len(good))])
                    cut[rng.randrange(len(cut))] ^= 0xFF
                    chunk = bytes(cut)
                else:
                    chunk = b"DG " + rng.randbytes(rng.randint(0, 30)) + b"\n"
                port.write(chunk)
            port.write(b"\n")
            port.flush()
        finally:
            time.sleep(0.5)
            stop.set()
            reader.join(timeout=5)
    assert received[0] > 0  # the gateway answered the noise with errors
    after = gw.status()  # and still serves the next valid command
    assert after["agents"] == before["agents"]
    assert after["seq"] == before["seq"]
    assert gw.proc.poll() is None


def test_socket_console_survives_a_client_flood(gw: RunningGateway, tmp_path: Path) -> None:
    sock_path = gw.state_dir / "console.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(sock_path))
        sock.sendall(random.Random(3).randbytes(200_000) + b"\n")
    link = connect(f"unix:{sock_path}", None, timeout=5)
    try:
        assert link.call("status")["seq"] == gw.status()["seq"]
    finally:
        link.close()
