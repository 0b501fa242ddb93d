"""Device selection by name or ALSA id, and the real PortAudio backend where CI has no card."""

from __future__ import annotations

import pytest

from firmware.audio.backend import AudioDeviceError, DeviceInfo, select_device
from firmware.audio.frames import StreamFormat

DEVICES = [
    DeviceInfo(0, "bcm2835 Headphones: - (hw:0,0)", 0, 8, 44100),
    DeviceInfo(1, "Jabra Link 380: USB Audio (hw:1,0)", 1, 2, 48000),
    DeviceInfo(2, "USB Audio Device: - (hw:2,0)", 1, 2, 44100),
    DeviceInfo(3, "default", 32, 32, 44100),
]


@pytest.mark.parametrize(
    "wanted,direction,index",
    [
        ("hw:1,0", "input", 1),
        ("hw:2,0", "output", 2),
        ("#0", "output", 0),
        ("Jabra Link 380: USB Audio (hw:1,0)", "input", 1),
        ("jabra", "input", 1),
        ("Headphones", "output", 0),
    ],
)
def test_devices_are_found_by_alsa_id_index_or_name(
    wanted: str, direction: str, index: int
) -> None:
    assert select_device(DEVICES, wanted, direction).index == index  # type: ignore[arg-type]


def test_default_is_the_system_default() -> None:
    assert select_device(DEVICES, "default", "input", DEVICES[3]).index == 3


def test_a_missing_device_lists_what_can_capture() -> None:
    with pytest.raises(AudioDeviceError) as e:
        select_device(DEVICES, "Plantronics", "input")
    msg = str(e.value)
    assert msg.startswith("no capture device matches 'Plantronics'; capture devices:")
    assert "#1 Jabra Link 380: USB Audio (hw:1,0) [hw:1,0] (in 1 ch, out 2 ch, 48000 Hz)" in msg
    assert "Headphones" not in msg  # it cannot capture


def test_an_output_only_device_is_not_a_microphone() -> None:
    with pytest.raises(AudioDeviceError, match="no capture device matches 'hw:0,0'"):
        select_device(DEVICES, "hw:0,0", "input")


def test_an_ambiguous_name_says_which_devices_match() -> None:
    with pytest.raises(AudioDeviceError, match="'USB Audio' is ambiguous") as e:
        select_device(DEVICES, "USB Audio", "input")
    assert "#1 Jabra" in str(e.value) and "#2 USB Audio Device" in str(e.value)


def test_no_card_at_all_says_so() -> None:
    with pytest.raises(AudioDeviceError, match=r"\(none: no sound card found\)"):
        select_device([], "default", "output", None)


def test_real_backend_lists_what_portaudio_sees() -> None:
    """On CI there is usually no card: then listing is empty and selection fails clearly."""
    pytest.importorskip("pyaudio")
    from firmware.audio.pyaudio_backend import PyAudioBackend

    try:
        backend = PyAudioBackend()
    except AudioDeviceError as exc:  # PortAudio itself could not start
        assert "PortAudio" in str(exc)
        return
    try:
        devices = backend.devices()
        assert all(isinstance(d, DeviceInfo) for d in devices)
        with pytest.raises(AudioDeviceError, match="no capture device matches"):
            select_device(devices, "no such headset 1234", "input")
        bogus = DeviceInfo(9999, "gone", 1, 1, 16000)
        with pytest.raises(
            AudioDeviceError, match="gone \\(input\\): cannot open: the device is gone"
        ):
            backend.open_input(bogus, StreamFormat(16000, 1), 160, lambda data: None)
    finally:
        backend.close()
