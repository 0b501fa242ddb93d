"""Malformed descriptors and reports: exact messages for known faults, and fuzzing that nothing
but the module's own error type (naming an offset) ever escapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.hid.controls import find_telephony
from firmware.hid.descriptor import DescriptorError, parse_descriptor, parse_hex_text
from firmware.hid.handshake import CALL_COMMANDS, CallCommand, Handshake, InputReport, WriteReport
from firmware.hid.report import ReportCodec, ReportError
from tests.hid.fixtures import DESCRIPTOR_FILES, HEADSETS, JABRA_380C, descriptor_bytes

OFFSET = re.compile(r"^offset (\d+): \S")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # Report ID item with its data byte missing
        (bytes([0x05, 0x0B, 0x85]), "offset 2: item 0x85 needs 1 data byte(s), only 0 left"),
        # End Collection with nothing open
        (bytes([0x05, 0x0B, 0xC0]), "offset 2: End Collection without an open collection"),
        # Collection(Application) never closed
        (
            bytes([0x05, 0x0B, 0x09, 0x05, 0xA1, 0x01]),
            "offset 6: End Collection for the collection opened at offset 4",
        ),
        # Report ID 0 is reserved
        (bytes([0x85, 0x00]), "offset 0: Report ID between 1 and 255, got 0"),
        # Pop without Push
        (bytes([0xB4]), "offset 0: Pop without a matching Push"),
        # Report Size 300 bits
        (bytes([0x76, 0x2C, 0x01]), "offset 0: Report Size of at most 256 bits"),
        # Usage Maximum with no Usage Minimum
        (bytes([0x29, 0x05]), "offset 0: a Usage Minimum before this Usage Maximum"),
        # reserved item type 3
        (bytes([0x0C]), "offset 0: item 0x0C has the reserved item type 3"),
        # long item cut short
        (bytes([0xFE, 0x04, 0x00, 0x01]), "offset 0: long item needs 4 data byte(s), only 1 left"),
    ],
)
def test_known_faults_name_offset_and_expectation(data: bytes, message: str) -> None:
    with pytest.raises(DescriptorError) as exc:
        parse_descriptor(data)
    assert str(exc.value) == message


def test_truncated_real_descriptor_names_the_cut_item() -> None:
    data = descriptor_bytes(JABRA_380C)[:7]  # cut inside `85 02`
    with pytest.raises(DescriptorError, match=r"^offset 6: item 0x85 needs 1 data byte"):
        parse_descriptor(data)


def test_hex_file_errors_name_the_line() -> None:
    with pytest.raises(DescriptorError, match="line 2, got 'ZZ'"):
        parse_hex_text("# comment\n05 ZZ\n")
    with pytest.raises(DescriptorError, match="found none"):
        parse_hex_text("# only comments\n")


def _check_descriptor(data: bytes) -> None:
    try:
        desc = parse_descriptor(data)
    except DescriptorError as exc:
        m = OFFSET.match(str(exc))
        assert m is not None, str(exc)
        assert 0 <= int(m.group(1)) <= len(data)
        return
    find_telephony(desc)  # must not raise either


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_descriptor_error(data: bytes) -> None:
    _check_descriptor(data)


@FUZZ
@given(
    st.sampled_from(DESCRIPTOR_FILES),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
def test_mutated_real_descriptors_only_raise_descriptor_error(
    name: str, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(descriptor_bytes(name))
    for pos, value in flips:
        data[pos % len(data)] = value
    _check_descriptor(bytes(data[: max(1, cut % (len(data) + 1))]))


@FUZZ
@given(st.sampled_from(HEADSETS), st.lists(st.binary(max_size=70), max_size=12), st.data())
def test_random_reports_only_raise_report_error(
    name: str, reports: list[bytes], data: st.DataObject
) -> None:
    telephony = find_telephony(parse_descriptor(descriptor_bytes(name)))
    assert telephony is not None
    codec = ReportCodec(telephony)
    handshake = Handshake(telephony)
    state, _ = handshake.open()
    rids = sorted(telephony.input_reports)
    for i, raw in enumerate(reports):
        # half the reports carry a telephony report id, so decoding really runs
        report = bytes([rids[i % len(rids)]]) + raw if i % 2 else raw
        try:
            codec.decode(report)
            state, _ = handshake.step(state, InputReport(report), float(i))
        except ReportError as exc:
            assert re.match(r"^report offset \d+: \S", str(exc)), str(exc)
        call = data.draw(st.sampled_from(CALL_COMMANDS))
        state, effects = handshake.step(state, CallCommand(call), float(i))
        for effect in effects:  # every output report is written whole, sized from the descriptor
            assert isinstance(effect, WriteReport)
            assert len(effect.data) == 1 + telephony.output_reports[effect.data[0]]
