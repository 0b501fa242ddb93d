"""Noise suppression quality (printed, never asserted): ``python -m tests.bench.bench_audio_quality``.

Needs the `bench` extra (pesq, pystoi, soundfile) and ../shared/audio/ (real speech and noise,
see its PROVENANCE.md). For every utterance, noise type (fan, dishes, tap, typing, babble) and
SNR (0, 5, 10, 15 dB) it mixes a noisy signal, runs it through `process_samples` (the live
uplink chain) at each noise suppression level, mix (`ns_mix`) and pause gate depth
(`--gates`), compensates the delay the chain reports, and
scores PESQ-WB and ESTOI of the noisy input and of each processed output against the clean
speech. Prints means per condition and per level, and how many conditions come out below the
noisy input in ESTOI. Runs single-threaded (about 6 minutes for the default 8 utterances on a shared 2-core box).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soxr

from firmware.audio.frames import ENGINE_RATE, StreamFormat
from firmware.audio.offline import process_samples
from firmware.audio.policy import (
    DEFAULT_GATE_DB,
    DEFAULT_NS_LEVEL,
    DEFAULT_NS_MIX,
    CallAudioSettings,
)
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


def name(level: int, mix: float, gate: float) -> str:
    return f"L{level}/{mix:g}" + (f"+g{gate:g}" if gate else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=8, help=f"1–{len(UTTERANCES)}")
    ap.add_argument("--mixes", default=f"1.0,{DEFAULT_NS_MIX}", help="ns_mix values to score")
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)), help="ns_level values")
    ap.add_argument(
        "--gates", default=f"0,{DEFAULT_GATE_DB:g}", help="pause gate depths (dB) to score"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write every score to this file")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"bench_audio_quality: skipped, {SHARED} not found (the shared audio set)")
        return
    missing = [m for m in ("pesq", "pystoi", "soundfile") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"bench_audio_quality: skipped, needs {', '.join(missing)}: pip install -e '.[bench]'"
        )
        return
    mixes = [float(m) for m in args.mixes.split(",")]
    levels = [int(v) for v in args.levels.split(",")]
    gates = [float(g) for g in args.gates.split(",")]
    combos = [(lv, m, g) for g in gates for m in mixes for lv in levels]

    rng = np.random.default_rng(args.seed)
    speech = {p.stem: load_16k(p) for p in sorted((SHARED / "speech").glob("*.wav"))}
    beds = {
        "fan": load_16k(SHARED / "noise" / "speechcommands_exercise_bike.wav"),
        "dishes": load_16k(SHARED / "noise" / "speechcommands_doing_the_dishes.wav"),
        "tap": load_16k(SHARED / "noise" / "speechcommands_running_tap.wav"),
    }
    fmt = StreamFormat(ENGINE_RATE, 1)
    variants = ["noisy"] + [name(*c) for c in combos]
    # results[(noise, snr)][variant] -> one (pesq, estoi) per utterance
    results: dict[tuple[str, int], dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    delays: dict[int, int] = {}
    started = time.monotonic()
    for target in UTTERANCES[: args.utterances]:
        for kind in NOISES:
            for snr in SNRS:
                noise = noise_for(kind, speech[target].size, target, speech, beds, rng)
                clean, noisy = mix(speech[target], noise, snr)
                noisy16 = np.round(noisy).astype(np.int16)
                cut = clean.size - 200  # the same span for every variant
                cond = results[(kind, snr)]
                cond["noisy"].append(scores(clean[:cut], noisy16[:cut].astype(np.float64)))
                for level, m, g in combos:
                    settings = CallAudioSettings(level, 0, 0, ns_mix=m, gate_db=g)
                    r = process_samples(noisy16, fmt, settings)
                    d = delays.setdefault(level, r.delay)
                    out = r.samples.astype(np.float64)[d : d + cut]
                    cond[name(level, m, g)].append(scores(clean[:cut], out))
        print(f"  {target}: done ({time.monotonic() - started:.0f} s)", flush=True)

    def mean(cond: dict[str, list[tuple[float, float]]], v: str, i: int) -> float:
        return statistics.fmean(s[i] for s in cond[v])

    print(
        f"\n{args.utterances} utterances, mean PESQ-WB / ESTOI per condition; "
        f"columns Lx/m[+gD] = level x, mix m[, pause gate D dB]; delay compensated "
        f"(samples): {delays}"
    )
    print(f"{'noise':<7}{'SNR':>4}" + "".join(f"{v:>13}" for v in variants))
    ordered = sorted(results.items(), key=lambda kv: (NOISES.index(kv[0][0]), kv[0][1]))
    worse = dict.fromkeys(variants[1:], 0)
    for (kind, snr), cond in ordered:
        cells = "".join(
            f"{mean(cond, v, 0):.2f}/{mean(cond, v, 1):.3f}".rjust(13) for v in variants
        )
        print(f"{kind:<7}{snr:>4}{cells}")
        for v in variants[1:]:
            worse[v] += mean(cond, v, 1) < mean(cond, "noisy", 1)
    conds = list(results.values())
    print(
        f"{'all':<11}"
        + "".join(
            f"{statistics.fmean(mean(c, v, 0) for c in conds):.2f}/"
            f"{statistics.fmean(mean(c, v, 1) for c in conds):.3f}".rjust(13)
            for v in variants
        )
    )
    print(f"{'ESTOI<noisy':<11}{'':>13}" + "".join(f"{worse[v]:>13}" for v in variants[1:]))
    print(
        f"{'min dESTOI':<11}{'':>13}"
        + "".join(
            f"{min(mean(c, v, 1) - mean(c, 'noisy', 1) for c in conds):+13.4f}"
            for v in variants[1:]
        )
    )
    print("mean PESQ-WB gain over noisy, per noise type:")
    print(f"{'':<11}" + "".join(f"{v:>13}" for v in variants[1:]))
    for kind in NOISES:
        row = [c for (k, _), c in results.items() if k == kind]
        print(
            f"{kind:<11}"
            + "".join(
                f"{statistics.fmean(mean(c, v, 0) - mean(c, 'noisy', 0) for c in row):+13.2f}"
                for v in variants[1:]
            )
        )
    default = name(DEFAULT_NS_LEVEL, DEFAULT_NS_MIX, DEFAULT_GATE_DB)
    if default in worse:
        print(
            f"default {default}: {worse[default]} of {len(conds)} conditions below the "
            "noisy input in ESTOI"
        )
    print(f"took {time.monotonic() - started:.0f} s")
    if args.json:
        dump = {f"{k}/{s}": dict(c) for (k, s), c in results.items()}
        args.json.write_text(json.dumps(dump, indent=1))


if __name__ == "__main__":
    main()
