"""Output report encoders for the supported USB busylights (pure: patterns in, bytes out).

Every encoder returns the whole buffer written to `/dev/hidrawN`: the report id first (0, as
none of these lights numbers its reports; the kernel strips it), then the device's report.
Layouts follow the busylight-core / busylight-for-humans device notes (Kuando, Embrava,
Luxafor); the byte-exact tests in tests/indicators/test_busylight_reports.py spell them out.
"""

from __future__ import annotations

from firmware.indicators.patterns import Pattern

REPORT_ID = 0x00

# --- Kuando Busylight Alpha / Omega -------------------------------------------------------
# A 64-byte report: seven 8-byte steps (a small program the light runs) and an 8-byte footer.
# Jump step: [0x1<<4 | target, repeat, red, green, blue, on_time, off_time, audio]; colours
# are PWM duty in percent (0..100), times in tenths of a second. A step that jumps to itself
# with on/off times blinks in the light itself, with no help from the service.
# Footer: [sensitivity, timeout, trigger, 0xFF, 0xFF, 0xFF, checksum_hi, checksum_lo], the
# checksum being the 16-bit sum of bytes 0..61. (busylight-core 2.5 writes the pad as
# 00 0F FF; the Kuando protocol notes say the pad must be FF FF FF, which we follow.)
KUANDO_JUMP = 0x1
KUANDO_KEEPALIVE = 0x8
KUANDO_REPORT_LEN = 64
# Kuando quirk: the light quiesces (goes dark, mid-program) when it receives nothing for the
# keep-alive timeout. The timeout is a 4-bit field in seconds, so 15 s at most; we resend a
# keep-alive every 10 s, the margin busylight-core uses (a shorter timeout than the refresh
# makes the light flash uncommanded).
KUANDO_KEEPALIVE_TIMEOUT_S = 15
KUANDO_KEEPALIVE_EVERY_S = 10.0


def _kuando_percent(value: int) -> int:
    return int(value * 100 / 255)


def _tenths(ms: int) -> int:
    return max(1, min(255, round(ms / 100)))


def _kuando_frame(step0: bytes) -> bytes:
    body = step0 + bytes(8 * 6) + bytes([0, 0, 0, 0xFF, 0xFF, 0xFF])
    checksum = sum(body) & 0xFFFF
    frame = body + checksum.to_bytes(2, "big")
    assert len(frame) == KUANDO_REPORT_LEN
    return bytes([REPORT_ID]) + frame


def kuando_report(pattern: Pattern) -> bytes:
    """Jump-to-self step showing the pattern's colour, blinking in the light when asked."""
    red, green, blue = pattern.color.rgb
    on = off = 0
    if not pattern.is_off and not pattern.blink.steady:
        on, off = _tenths(pattern.blink.on_ms), _tenths(pattern.blink.off_ms)
    step = bytes(
        [
            KUANDO_JUMP << 4 | 0,  # jump to step 0: loop on this step
            0,  # repeat
            _kuando_percent(red),
            _kuando_percent(green),
            _kuando_percent(blue),
            on,
            off,
            0,  # no ringtone, volume 0
        ]
    )
    return _kuando_frame(step)


def kuando_keepalive() -> bytes:
    """The keep-alive program: 'stay as you are for the next 15 s'."""
    step = bytes([KUANDO_KEEPALIVE << 4 | KUANDO_KEEPALIVE_TIMEOUT_S]) + bytes(7)
    return _kuando_frame(step)


# --- Embrava Blynclight -------------------------------------------------------------------
# [red, blue, green, flags, sound, volume, 0xFF, 0x22] — note blue before green. Flags: bit 0
# off, bit 1 dim, bit 2 flash, bits 3..5 flash speed (1 slow, 2 medium, 4 fast). The last two
# bytes are constant in every captured report. Blinking is done by the light.
BLYNC_OFF = 0x01
BLYNC_FLASH = 0x04
BLYNC_SLOW, BLYNC_MEDIUM, BLYNC_FAST = 1, 2, 4


def _blync_speed(pattern: Pattern) -> int:
    # Embrava quirk: only three symmetric speeds; pick by period (so WINK and SLOW share the
    # slow speed — they differ in colour in our table).
    period = pattern.blink.on_ms + pattern.blink.off_ms
    if period <= 300:
        return BLYNC_FAST
    if period <= 1000:
        return BLYNC_MEDIUM
    return BLYNC_SLOW


def blynclight_report(pattern: Pattern) -> bytes:
    red, green, blue = pattern.color.rgb
    if pattern.is_off:
        flags = BLYNC_OFF
    elif pattern.blink.steady:
        flags = 0
    else:
        flags = BLYNC_FLASH | _blync_speed(pattern) << 3
    return bytes([REPORT_ID, red, blue, green, flags, 0x00, 0x00, 0xFF, 0x22])


# --- Luxafor Flag -------------------------------------------------------------------------
# 8-byte report; command 1 (static colour): [0x01, leds, red, green, blue, 0, 0, 0] with
# leds 0xFF = all six. The Flag's own strobe command has a repeat count, not "until told
# otherwise", so blinking is timed by the service (see softblink) with static-colour reports.
LUXAFOR_STATIC = 0x01
LUXAFOR_ALL_LEDS = 0xFF


def luxafor_report(pattern: Pattern) -> bytes:
    """Static colour of the pattern (or dark); the caller times any blinking."""
    red, green, blue = pattern.color.rgb
    return bytes([REPORT_ID, LUXAFOR_STATIC, LUXAFOR_ALL_LEDS, red, green, blue, 0, 0, 0])
