"""The phone side's audio on real clocked devices: a SIP call through baresip, speech with
typing into the gadget headset's microphone, cleaned in sipp's received RTP, and the far
end's tone on the headset speaker side. The test lives with the phone tests
(tests/phone/guest_phone.py); this module puts it in the guest session."""

from tests.phone.guest_phone import test_call_audio_over_sip  # noqa: F401
