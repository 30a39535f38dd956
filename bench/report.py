"""The results table: per scenario and target, throughput, latency, ratios, CPU and memory."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.load import Run

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Sample:
    run: Run
    cpu_ms: float  # server CPU per request


@dataclass
class Results:
    setup: dict[str, object]
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    memory: list[list[tuple[int, int]]] = field(default_factory=list)  # store workers per round

    def add(self, scenario: str, target: str, sample: Sample) -> None:
        self.samples.setdefault(scenario, {}).setdefault(target, []).append(sample)

    def note(self, scenario: str, text: str) -> None:
        self.notes.setdefault(scenario, []).append(text)


def _ratios(store: list[Sample], base: list[Sample] | None) -> str:
    if not base:
        return ""
    pairs = zip(store, base, strict=False)
    return " / ".join(f"{s.run.rps / b.run.rps:.2f}" for s, b in pairs if b.run.rps)


def table(results: Results) -> str:
    lines = [
        "| scenario | target | req/s median (range) | p50 ms | p99 ms | errors "
        "| ratio to reference, per round | ratio to bare Litestar, per round | CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, targets in results.samples.items():
        for target, samples in targets.items():
            rps = [s.run.rps for s in samples]
            lines.append(
                f"| {scenario} | {target} | {statistics.median(rps):,.0f} "
                f"({min(rps):,.0f}-{max(rps):,.0f}) "
                f"| {statistics.median(s.run.p50_ms for s in samples):.1f} "
                f"| {statistics.median(s.run.p99_ms for s in samples):.1f} "
                f"| {sum(s.run.errors for s in samples)} "
                f"| {_ratios(samples, targets.get('reference')) if target != 'reference' else ''} "
                f"| {_ratios(samples, targets.get('bare')) if target != 'bare' else ''} "
                f"| {statistics.median(s.cpu_ms for s in samples):.2f} |"
            )
    out = "\n".join(lines) + "\n"
    if results.memory:
        out += "\nStore memory per worker after each round (RSS now / peak, MB): "
        out += "; ".join(
            f"round {n}: " + ", ".join(f"{rss / 2**20:.0f}/{peak / 2**20:.0f}" for rss, peak in row)
            for n, row in enumerate(results.memory, 1)
        )
        out += "\n"
    for scenario, notes in results.notes.items():
        out += "".join(f"\n- {scenario}: {text}" for text in notes)
    return out + "\n"


def header(results: Results) -> str:
    return "\n".join(f"- {key}: {value}" for key, value in results.setup.items()) + "\n\n"


def write(results: Results) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = f"# Benchmark {stamp}\n\n" + header(results) + table(results)
    (RESULTS / f"{stamp}.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    raw = {
        "setup": results.setup,
        "notes": results.notes,
        "memory": results.memory,
        "samples": {
            scenario: {target: [asdict(s) for s in samples] for target, samples in targets.items()}
            for scenario, targets in results.samples.items()
        },
    }
    (RESULTS / f"{stamp}.json").write_text(json.dumps(raw, indent=1, default=str))
    return RESULTS / f"{stamp}.md"
