"""Real SIP calls from sipp into queue `Q` through baresip, the ACD and fake headsets, in a
private network namespace (only `lo`, nothing leaves the machine). The journal and sipp's own
per-call log must tell the same story: every call offered, answered through a headset's hook,
ended once, by the side that really hung up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.phone.netns import run_calls, unavailable

WHY = unavailable()
pytestmark = pytest.mark.skipif(WHY is not None, reason=WHY or "")


def by_type(journal: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [r for r in journal if r["type"] == rtype]


def sipp_ids(result: dict[str, Any], tag: str) -> set[str]:
    """Call-IDs that ended `tag` (AGENT_BYE, CALLER_BYE, REJECTED, ABANDONED) according to
    sipp's message trace — what was on the wire — and never contradicted by its scenario log."""
    logged = {line.split()[1]: line.split()[0] for line in result["sipp_logs"]}
    endings = result["sipp_endings"]
    assert all(endings.get(call) == how for call, how in logged.items()), (logged, endings)
    return {call for call, how in endings.items() if how == tag}


def check_one_story_per_call(journal: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call: enqueued once, offered, connected once, ended exactly once; no REJECTED."""
    assert by_type(journal, "REJECTED") == []
    stories: dict[str, dict[str, Any]] = {}
    for r in journal:
        call = r.get("call")
        if call is None:
            continue
        story = stories.setdefault(call, Counter())
        story[r["type"]] += 1
        if r["type"] == "CALL_ENDED":
            story["reason"] = r["reason"]
            story["agent"] = r["agent"]
    for call, story in stories.items():
        assert story["CALL_ENQUEUED"] == 1, (call, story)
        assert story["CALL_CONNECTED"] == 1, (call, story)
        assert story["CALL_ENDED"] == 1, (call, story)
    return stories


@pytest.mark.parametrize("calls", [1, 4, 16])
def test_concurrent_calls_agree_with_sipp(tmp_path: Path, calls: int) -> None:
    result = run_calls(tmp_path, calls)
    assert result["sipp"]["rc"] == 0, result["sipp"]["stderr"]
    journal = result["journal"]
    stories = check_one_story_per_call(journal)
    agent_bye, caller_bye = sipp_ids(result, "AGENT_BYE"), sipp_ids(result, "CALLER_BYE")
    assert len(agent_bye) + len(caller_bye) == calls
    assert sipp_ids(result, "REJECTED") == set()
    # the journal's call ids are sipp's Call-IDs, and the hang-up side matches
    assert set(stories) == agent_bye | caller_bye
    assert {c for c, s in stories.items() if s["reason"] == "agent_hangup"} == agent_bye
    assert {c for c, s in stories.items() if s["reason"] == "remote_hangup"} == caller_bye
    # even-numbered agents hang up themselves, odd ones wait for the caller: both happen
    if calls > 1:
        assert agent_bye and caller_bye
    # concurrent: every call went to a different agent's headset, answered by its hook
    offered = [r["agent"] for r in by_type(journal, "OFFER_STARTED")]
    assert sorted(offered) == [f"a{i:02d}" for i in range(1, calls + 1)]
    hooks_off = {r["agent"] for r in by_type(journal, "HOOK_CHANGED") if r["off_hook"]}
    assert hooks_off == set(offered)
    assert [r["outcome"] for r in by_type(journal, "OFFER_ENDED")] == ["ANSWERED"] * calls
    assert result["stats"]["restarts"] == 0 and result["stats"]["garbage"] == 0


@pytest.mark.parametrize("mode", ["kill", "stall"])
def test_baresip_failure_ends_calls_once_and_line_comes_back(tmp_path: Path, mode: str) -> None:
    """SIGKILL (a crash) or SIGSTOP (a stalled control port) while 2 calls are connected:
    baresip is restarted, each call ends exactly once in the journal, and a new call after
    the restart goes through."""
    result = run_calls(tmp_path, 2, mode)
    assert result["stats"]["restarts"] == 1
    assert result["stats"]["lost_calls"] == 2
    assert result["restarted_pid"] != result["faulted_pid"]
    journal = result["journal"]
    stories = check_one_story_per_call(journal)
    assert len(stories) == 3  # two lost calls + one after the restart
    lost = {r["call"] for r in by_type(journal, "CALL_ENQUEUED")[:2]}
    # sipp: a crashed baresip leaves the calls dead (no BYE); a stalled one is stopped with
    # SIGTERM and says goodbye (BYE) on its way out
    if mode == "stall":
        assert sipp_ids(result, "AGENT_BYE") == lost
    else:  # the callers' BYEs met a new baresip that never knew them: failed in sipp
        assert not lost & {line.split()[1] for line in result["sipp_logs"]}
        assert sipp_ids(result, "AGENT_BYE") & lost == set()
    for call in lost:
        assert stories[call]["reason"] == "remote_hangup"
    assert result["sipp_after"]["rc"] == 0, result["sipp_after"]["stderr"]
    ended_at = [r["seq"] for r in by_type(journal, "CALL_ENDED") if r["call"] in lost]
    arrived_after = [r["seq"] for r in by_type(journal, "CALL_ENQUEUED") if r["call"] not in lost]
    assert max(ended_at) < min(arrived_after)  # the lost calls ended before the line took more


def test_waiting_callers_hear_ringback_abandon_and_overflow_with_sip_responses(
    tmp_path: Path,
) -> None:
    """Every agent on a break, `max_wait` 1.5 s: one caller hears ringing (180) and gives up
    (CANCEL → 487 Request Terminated); the other waits until the queue overflows and gets
    486. sipp's scenarios only complete on exactly those responses."""
    result = run_calls(tmp_path, 1, "queued")
    assert result["sipp"]["rc"] == 0, result["sipp"]["stderr"]
    assert result["sipp_abandon"]["rc"] == 0, result["sipp_abandon"]["stderr"]
    journal = result["journal"]
    abandoned = {
        r["call"] for r in by_type(journal, "CALL_ENDED") if r["reason"] == "caller_abandoned"
    }
    overflowed = {r["call"] for r in by_type(journal, "CALL_OVERFLOW") if r["reason"] == "MAX_WAIT"}
    assert abandoned == sipp_ids(result, "ABANDONED") and len(abandoned) == 1
    assert overflowed == sipp_ids(result, "REJECTED") and len(overflowed) == 1
    assert by_type(journal, "OFFER_STARTED") == by_type(journal, "CALL_CONNECTED") == []
    assert by_type(journal, "REJECTED") == []


def test_hold_and_resume_reach_the_caller_as_re_invites(tmp_path: Path) -> None:
    """The agent holds the call, resumes it and hangs up: baresip sends the caller a
    re-INVITE with a=sendonly, then one with a=sendrecv (sipp's scenario checks each SDP),
    then the BYE; the journal has the hold and the resume, and one ending."""
    result = run_calls(tmp_path, 1, "hold")
    assert result["sipp"]["rc"] == 0, result["sipp"]["stderr"]
    tags = [line.split()[0] for line in result["sipp_logs"]]
    assert tags == ["SENDONLY", "SENDRECV", "AGENT_BYE"], result["sipp_logs"]
    journal = result["journal"]
    holds = [(r["party"], r["held"]) for r in by_type(journal, "HOLD_CHANGED")]
    assert holds == [("customer", True), ("customer", False)]
    stories = check_one_story_per_call(journal)
    assert [s["reason"] for s in stories.values()] == ["agent_hangup"]
    assert result["stats"].get("command_errors", 0) == 0
