"""Noise suppression quality (printed, never asserted): ``python -m tests.bench.bench_audio_quality``.

Needs the `bench` extra (pesq, pystoi, soundfile) and ../shared/audio/ (real speech and noise,
see its PROVENANCE.md). For every utterance, noise type (fan, dishes, tap, typing, babble) and
SNR (0, 5, 10, 15 dB) it mixes a noisy signal, runs it through `process_samples` (the live
uplink chain) at each noise suppression level, compensates the delay the chain reports, and
scores PESQ-WB and ESTOI of the noisy input and of each processed output against the clean
speech. Prints means per condition and per level, and how many conditions come out below the
noisy input in ESTOI. Runs single-threaded (about 5 minutes for the default 8 utterances).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soxr

from firmware.audio.frames import ENGINE_RATE, StreamFormat
from firmware.audio.offline import process_samples
from firmware.audio.policy import DEFAULT_NS_LEVEL, CallAudioSettings
from firmware.audio.wavio import read_wav

SHARED = Path(__file__).resolve().parents[3] / "shared" / "audio"
SNRS = (0, 5, 10, 15)
LEVELS = (1, 2, 3, 4)
NOISES = ("fan", "dishes", "tap", "typing", "babble")
UTTERANCES = (  # male and female, three corpora
    "cmu_arctic_us_aew_a0001",
    "cmu_arctic_us_axb_a0004",
    "cmu_arctic_us_aew_a0002",
    "cmu_arctic_us_axb_a0006",
    "pesq_speech",
    "vctk_p257_166",
    "cmu_arctic_unk_a0010",
    "ljspeech_LJ001-0004",
    "cmu_arctic_us_aew_a0003",
    "vctk_p257_167",
    "ljspeech_LJ001-0006",
    "cmu_arctic_us_axb_a0005",
)


def load_16k(path: Path) -> np.ndarray:
    wav = read_wav(path)
    x = wav.samples.reshape(-1, wav.format.channels).mean(axis=1)
    if wav.format.rate != ENGINE_RATE:
        x = soxr.resample(x, wav.format.rate, ENGINE_RATE, quality="VHQ")
    return np.asarray(x, dtype=np.float64)


def typing_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Key presses cut from the mechvibes recording, re-timed at about 6.5 keys/s."""
    import soundfile

    base = SHARED / "noise" / "mechvibes_cherrymx_black_abs"
    raw, rate = soundfile.read(f"{base}.ogg", dtype="float64", always_2d=True)
    rec = soxr.resample(raw.mean(axis=1), rate, ENGINE_RATE, quality="VHQ") * 32767
    defines = json.loads(Path(f"{base}.json").read_text())["defines"]
    keys = [k for k in defines if not k.endswith("-up") and f"{k}-up" in defines]

    def cut(name: str) -> np.ndarray:
        start, dur = defines[name]
        a = int(start * ENGINE_RATE / 1000)
        return np.asarray(rec[a : a + int(dur * ENGINE_RATE / 1000)])

    out = np.zeros(int(seconds * ENGINE_RATE) + ENGINE_RATE)
    t = rng.uniform(0, 0.2)
    while t < seconds:
        key = keys[rng.integers(len(keys))]
        gain = 10 ** (rng.uniform(-4, 2) / 20)
        for name, at in ((key, t), (f"{key}-up", t + rng.uniform(0.07, 0.13))):
            s = cut(name) * gain
            i = int(at * ENGINE_RATE)
            out[i : i + s.size] += s[: out.size - i]
        t += max(0.06, rng.gamma(4.0, 1 / (4.0 * 6.5)))  # ~6.5 keys/s, never closer than 60 ms
    return out[: int(seconds * ENGINE_RATE)]


def babble(speech: dict[str, np.ndarray], exclude: str, n: int, rng: np.random.Generator):
    """Five other talkers at random offsets, each at the same level, looped to length n."""
    others = [k for k in speech if k != exclude]
    out = np.zeros(n)
    for k in rng.choice(others, size=5, replace=False):
        s = speech[k] / (np.sqrt(np.mean(speech[k] ** 2)) + 1e-9)
        reps = np.tile(s, n // s.size + 2)
        off = rng.integers(s.size)
        out += reps[off : off + n]
    return out


def noise_for(kind: str, n: int, target: str, speech, beds, rng) -> np.ndarray:
    if kind == "typing":
        return typing_noise(n / ENGINE_RATE, rng)
    if kind == "babble":
        return babble(speech, target, n, rng)
    bed = beds[kind]
    off = rng.integers(bed.size - n)
    return bed[off : off + n]


def mix(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale noise to the SNR; scale both down together if the mix would clip."""
    ps, pn = np.mean(clean**2), np.mean(noise**2) + 1e-9
    noisy = clean + noise * np.sqrt(ps / pn / 10 ** (snr_db / 10))
    peak = np.max(np.abs(noisy))
    g = min(1.0, 30000 / peak)
    return clean * g, noisy * g


def scores(ref: np.ndarray, deg: np.ndarray) -> tuple[float, float]:
    from pesq import pesq
    from pystoi import stoi

    return (
        float(pesq(ENGINE_RATE, ref, deg, "wb")),
        float(stoi(ref, deg, ENGINE_RATE, extended=True)),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=8, help=f"1–{len(UTTERANCES)}")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write every score to this file")
    args = ap.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"bench_audio_quality: {SHARED} not found (the shared audio set)")

    rng = np.random.default_rng(args.seed)
    speech = {p.stem: load_16k(p) for p in sorted((SHARED / "speech").glob("*.wav"))}
    beds = {
        "fan": load_16k(SHARED / "noise" / "speechcommands_exercise_bike.wav"),
        "dishes": load_16k(SHARED / "noise" / "speechcommands_doing_the_dishes.wav"),
        "tap": load_16k(SHARED / "noise" / "speechcommands_running_tap.wav"),
    }
    fmt = StreamFormat(ENGINE_RATE, 1)
    # results[(noise, snr)][variant] -> list of (pesq, estoi); variant "noisy" or level
    results: dict[tuple[str, int], dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    delays = {}
    started = time.monotonic()
    for target in UTTERANCES[: args.utterances]:
        clean0 = speech[target]
        for kind in NOISES:
            for snr in SNRS:
                noise = noise_for(kind, clean0.size, target, speech, beds, rng)
                clean, noisy = mix(clean0, noise, snr)
                noisy16 = np.round(noisy).astype(np.int16)
                for level in LEVELS:
                    settings = CallAudioSettings(ns_level=level, agc_dbfs=0, policy_version=0)
                    r = process_samples(noisy16, fmt, settings)
                    d = delays.setdefault(level, r.delay)
                    out = r.samples.astype(np.float64)
                    n = clean.size - d
                    results[(kind, snr)][f"L{level}"].append(scores(clean[:n], out[d:]))
                n = clean.size - max(delays.values())
                results[(kind, snr)]["noisy"].append(scores(clean[:n], noisy16[:n].astype(float)))
        print(f"  {target}: done ({time.monotonic() - started:.0f} s)", flush=True)

    variants = ["noisy"] + [f"L{lv}" for lv in LEVELS]
    print(f"\n{args.utterances} utterances; mean PESQ-WB / ESTOI; delay compensated {delays}")
    head = "".join(f"{v:>14}" for v in variants)
    print(f"{'noise':<8}{'SNR':>4}{head}")

    def mean(cond: dict[str, list[tuple[float, float]]], v: str, i: int) -> float:
        return statistics.fmean(s[i] for s in cond[v])

    worse = {v: 0 for v in variants[1:]}
    for (kind, snr), cond in sorted(results.items(), key=lambda kv: (NOISES.index(kv[0][0]), kv[0][1])):
        cells = "".join(f"{mean(cond, v, 0):>7.2f} /{mean(cond, v, 1):.3f}"[-14:].rjust(14) for v in variants)
        print(f"{kind:<8}{snr:>4}{cells}")
        for v in variants[1:]:
            worse[v] += mean(cond, v, 1) < mean(cond, "noisy", 1)
    print(f"{'all':<12}" + "".join(
        f"{statistics.fmean(mean(c, v, 0) for c in results.values()):>7.2f} /"
        f"{statistics.fmean(mean(c, v, 1) for c in results.values()):.3f}".rjust(14)
        for v in variants
    ))
    print(f"{'ESTOI < noisy':<12}{'':>14}" + "".join(f"{worse[v]:>14}" for v in variants[1:]))
    for kind in NOISES:
        row = [c for (k, _), c in results.items() if k == kind]
        gains = "  ".join(
            f"L{lv} {statistics.fmean(mean(c, f'L{lv}', 0) - mean(c, 'noisy', 0) for c in row):+.2f}"
            for lv in LEVELS
        )
        print(f"PESQ gain over noisy, {kind:<7}: {gains}")
    print(f"default level (firmware.audio.policy.DEFAULT_NS_LEVEL): {DEFAULT_NS_LEVEL}; "
          f"conditions below noisy ESTOI at it: {worse[f'L{DEFAULT_NS_LEVEL}']} of {len(results)}")
    print(f"took {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps({f"{k}/{s}": dict(c) for (k, s), c in results.items()}, indent=1)
        )


if __name__ == "__main__":
    main()
