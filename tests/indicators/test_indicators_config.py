"""The `[indicators]` configuration section."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config


def test_defaults() -> None:
    cfg = parse_config({}, "site.toml").indicators
    assert (cfg.long_press, cfg.debounce, cfg.busylight, cfg.retry_every) == (
        2.0,
        0.03,
        "auto",
        2.0,
    )


def test_values_are_read() -> None:
    data = {"indicators": {"long_press": 3, "busylight": ["kuando_omega", "luxafor_flag"]}}
    cfg = parse_config(data, "site.toml").indicators
    assert cfg.long_press == 3.0
    assert cfg.busylight == ["kuando_omega", "luxafor_flag"]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"busylight": ["kuando_beta"]}, "indicators.busylight: unknown busylight model"),
        ({"long_press": 0.1}, "indicators.long_press: Input should be greater than or equal"),
        ({"long_pres": 3}, "indicators.long_pres: unknown key (check the spelling)"),
    ],
)
def test_errors_name_the_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config({"indicators": section}, "site.toml")
