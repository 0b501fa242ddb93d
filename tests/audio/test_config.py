"""The [audio] section: defaults, validation, and what it builds."""

from __future__ import annotations

import pytest

from firmware.audio.fake import FakeAudioBackend
from firmware.audio.frames import StreamFormat
from firmware.audio.policy import DEFAULT_NS_LEVEL, DEFAULT_NS_MIX, NoisePolicy
from firmware.config import ConfigError, GatewayConfig, parse_config


def test_defaults_are_the_site_policy_of_seed_002() -> None:
    audio = GatewayConfig().audio
    assert audio.policy() == NoisePolicy(True, DEFAULT_NS_LEVEL, 0, DEFAULT_NS_MIX)
    assert audio.headset_mic.to_spec().format == StreamFormat(16_000, 1)
    assert audio.backend == "pyaudio"


def test_devices_and_policy_from_toml_data() -> None:
    cfg = parse_config(
        {
            "audio": {
                "noise_suppression": False,
                "ns_level": 4,
                "agc_dbfs": 6,
                "ns_mix": 0.8,
                "headset_speaker": {"name": "hw:1,0", "rate": 48000, "channels": 2},
            }
        },
        "site.toml",
    )
    assert cfg.audio.policy() == NoisePolicy(False, 4, 6, 0.8)
    spec = cfg.audio.headset_speaker.to_spec()
    assert spec.name == "hw:1,0" and spec.format == StreamFormat(48_000, 2)


@pytest.mark.parametrize(
    "section,where",
    [
        ({"ns_level": 5}, "audio.ns_level"),
        ({"agc_dbfs": -1}, "audio.agc_dbfs"),
        ({"headset_mic": {"rate": 1000}}, "audio.headset_mic.rate"),
        ({"headset_mic": {"nmae": "x"}}, "audio.headset_mic.nmae: unknown key"),
        ({"backend": "alsa"}, "audio.backend"),
        ({"ns_mix": 0}, "audio.ns_mix"),
    ],
)
def test_bad_values_name_the_key(section: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError, match=f"site.toml: {where}"):
        parse_config({"audio": section}, "site.toml")


def test_the_bridge_is_built_from_the_section() -> None:
    from firmware.audio.bridge import AudioBridge

    cfg = parse_config({"audio": {"backend": "fake", "ns_level": 1}}, "site.toml").audio
    bridge = AudioBridge.from_config(cfg, FakeAudioBackend())
    assert bridge.settings.ns_level == 1
    assert bridge.uplink.source.format == StreamFormat(16_000, 1)
