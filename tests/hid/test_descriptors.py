"""The parser and control selection over the 14 real descriptors, checked against SUMMARY.txt
(an independent reader) field by field."""

from __future__ import annotations

import pytest

from firmware.hid.controls import find_telephony
from firmware.hid.descriptor import ReportType, Usage, parse_descriptor
from tests.hid.fixtures import (
    DESCRIPTOR_FILES,
    EPOS_DW,
    HEADSETS,
    JABRA_380C,
    NEGATIVES,
    descriptor_bytes,
    summary,
)


def test_all_fourteen_descriptors_are_here() -> None:
    assert len(DESCRIPTOR_FILES) == 14
    assert set(summary()) == set(DESCRIPTOR_FILES)


@pytest.mark.parametrize("name", DESCRIPTOR_FILES)
def test_every_report_length_matches_the_independent_reader(name: str) -> None:
    desc = parse_descriptor(descriptor_bytes(name))
    ours = {(t.value, rid): bits for (t, rid), bits in desc.report_bits.items()}
    assert ours == summary()[name].reports
    assert desc.numbered


@pytest.mark.parametrize("name", HEADSETS)
def test_every_call_control_is_located_as_in_summary(name: str) -> None:
    telephony = find_telephony(parse_descriptor(descriptor_bytes(name)))
    assert telephony is not None
    ours = {
        (c.direction, c.report_id, c.bit, c.size, c.name, c.relative) for c in telephony.controls
    }
    theirs = {
        (f.direction, f.report_id, f.bit, f.size, f.name, f.relative)
        for f in summary()[name].fields
    }
    assert ours == theirs


@pytest.mark.parametrize("name", NEGATIVES)
def test_gaming_headsets_are_not_call_control_devices(name: str) -> None:
    desc = parse_descriptor(descriptor_bytes(name))
    assert find_telephony(desc) is None


def test_razer_empty_telephony_collection_is_seen_but_not_selected() -> None:
    desc = parse_descriptor(descriptor_bytes("razer_kraken_kitty_v2_1532-0560.txt"))
    tops = [c.usage for c in desc.collections if c.parent is None]
    assert Usage(0x0B, 0x05) in tops
    assert find_telephony(desc) is None


def test_telephony_only_slice_works() -> None:
    telephony = find_telephony(
        parse_descriptor(descriptor_bytes("plantronics_blackwire_3220_047f-c056_telephony-tlc.txt"))
    )
    assert telephony is not None
    assert telephony.output_reports == {9: 1, 23: 1, 24: 1, 30: 1, 32: 1, 42: 1}
    assert telephony.control("hook_switch") is not None


def test_jabra_380c_constant_flagged_hook_and_mute_are_kept() -> None:
    desc = parse_descriptor(descriptor_bytes(JABRA_380C))
    hook_field = next(f for f in desc.fields if Usage(0x0B, 0x20) in f.usages)
    assert hook_field.constant
    telephony = find_telephony(desc)
    assert telephony is not None
    hook, mute = telephony.control("hook_switch"), telephony.control("phone_mute")
    assert hook is not None and (hook.bit, hook.relative) == (0, False)
    assert mute is not None and (mute.bit, mute.relative) == (3, True)


def test_usage_07_then_button_page_reads_as_button_7_like_the_kernel() -> None:
    desc = parse_descriptor(descriptor_bytes(JABRA_380C))
    field = next(f for f in desc.fields if f.report_id == 2 and f.bit_offset == 11)
    assert field.usages == (Usage(0x09, 0x07),)
    telephony = find_telephony(desc)
    assert telephony is not None
    reject = telephony.control("reject_button")
    assert reject is not None and reject.bit == 11


def test_vendor_shadow_collection_is_ignored() -> None:
    # Jabra Link 380c repeats hook/mute in vendor report 4 (page 0xFF30): never selected.
    telephony = find_telephony(parse_descriptor(descriptor_bytes(JABRA_380C)))
    assert telephony is not None
    assert {c.report_id for c in telephony.controls} == {2}


def test_epos_nested_application_and_consumer_bits_inside_telephony_report() -> None:
    desc = parse_descriptor(descriptor_bytes(EPOS_DW))
    telephony = find_telephony(desc)
    assert telephony is not None
    nested = [c for c in desc.collections if c.parent == telephony.collection]
    assert nested and nested[0].kind == 1
    # Consumer volume bits 0-1 of report 2 belong to the report but are not call controls.
    assert min(c.bit for c in telephony.inputs()) == 2


def test_large_reports_are_sized_from_the_descriptor() -> None:
    desc = parse_descriptor(descriptor_bytes("yealink_wh66_6993-b02b.txt"))
    assert desc.report_bytes(ReportType.INPUT, 200) == 1023
    desc = parse_descriptor(descriptor_bytes("epos_impact_d1_1395-009c.txt"))
    assert desc.report_bytes(ReportType.OUTPUT, 233) == 255


def test_shared_report_id_for_input_and_output() -> None:
    telephony = find_telephony(
        parse_descriptor(descriptor_bytes("poly_voyager_base_cd_047f-02ec.txt"))
    )
    assert telephony is not None
    hook, ring = telephony.control("hook_switch"), telephony.control("ring_led")
    assert hook is not None and ring is not None
    assert hook.report_id == ring.report_id == 1
