"""The site policy of seed 002: on by default, only the administrator changes it, site-wide,
for calls started afterwards."""

from __future__ import annotations

import pytest

from firmware.audio.policy import (
    DEFAULT_NS_LEVEL,
    DEFAULT_NS_MIX,
    NoisePolicy,
    PolicyError,
    Role,
    SitePolicy,
)


def test_suppression_is_on_by_default_for_the_site() -> None:
    s = SitePolicy().settings_for_new_call()
    assert s.suppression and s.ns_level == DEFAULT_NS_LEVEL and s.agc_dbfs == 0


@pytest.mark.parametrize(
    "role,article", [(Role.AGENT, "an agent"), (Role.SUPERVISOR, "a supervisor")]
)
def test_only_the_administrator_may_change_it(role: Role, article: str) -> None:
    site = SitePolicy()
    with pytest.raises(PolicyError, match=f"site-wide setting: {article} cannot change it"):
        site.change(role, suppression=False)
    with pytest.raises(PolicyError):
        site.change(role, level=1)
    assert site.current == NoisePolicy() and site.version == 1


def test_an_admin_change_applies_to_calls_started_afterwards() -> None:
    site = SitePolicy()
    in_progress = site.settings_for_new_call()
    site.change(Role.ADMIN, suppression=False)
    assert in_progress.ns_level == DEFAULT_NS_LEVEL  # the running call keeps its settings
    later = site.settings_for_new_call()
    assert not later.suppression and later.ns_level == 0
    assert later.policy_version == in_progress.policy_version + 1


def test_level_and_agc_are_site_settings() -> None:
    site = SitePolicy()
    site.change(Role.ADMIN, level=4, agc_dbfs=9)
    s = site.settings_for_new_call()
    assert (s.ns_level, s.agc_dbfs) == (4, 9)
    site.change(Role.ADMIN, suppression=False)
    assert site.settings_for_new_call().ns_level == 0
    site.change(Role.ADMIN, suppression=True)
    assert site.settings_for_new_call().ns_level == 4  # the level was kept while off


def test_a_change_to_the_same_values_is_not_a_new_version() -> None:
    site = SitePolicy()
    site.change(Role.ADMIN, suppression=True, level=DEFAULT_NS_LEVEL)
    assert site.version == 1


def test_the_mix_is_a_site_setting_too() -> None:
    site = SitePolicy()
    assert site.settings_for_new_call().ns_mix == DEFAULT_NS_MIX
    with pytest.raises(PolicyError):
        site.change(Role.AGENT, mix=1.0)
    site.change(Role.ADMIN, mix=1.0)
    assert site.settings_for_new_call().ns_mix == 1.0


@pytest.mark.parametrize(
    "changes", [{"level": 5}, {"level": -1}, {"agc_dbfs": 32}, {"mix": 0.0}, {"mix": 1.5}]
)
def test_out_of_range_values_are_refused_and_nothing_changes(changes: dict[str, int]) -> None:
    site = SitePolicy()
    with pytest.raises(PolicyError, match="expected"):
        site.change(Role.ADMIN, **changes)  # type: ignore[arg-type]
    assert site.current == NoisePolicy()
