"""The audio path: headset microphone → noise suppression → phone side, and back.

Pure framing and policy (`frames`, `stages`, `policy`, `backend`) import no sound library;
`resample` needs soxr, `noise` webrtc-noise-gain, `pyaudio_backend` PyAudio.
See docs/audio.md.
"""
