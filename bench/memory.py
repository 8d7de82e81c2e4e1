"""Benchmark 6: resident memory of a gunicorn worker and of an RQ worker after benchmarks 1 and 3.

``python -m bench.memory [--fresh]``

Reads what ``bench.turns`` and ``bench.delivery`` recorded (``bench/results/turns.json``,
``delivery.json``): each gunicorn worker's and each ``vises worker``'s resident memory (VmRSS) and peak
(VmHWM) when ready and idle, and again after its load. With ``--fresh``, or when either file is
missing, it first runs both benchmarks at a reduced size. Baseline: the same process right after start,
before any load; the ratio is resident memory after the load / before it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench import delivery, turns
from bench.stack import RESULTS, write_result


def _summary(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, Any]:
    pids = sorted(set(before) & set(after))
    rss_before = [before[pid].get("VmRSS", 0) for pid in pids]
    rss_after = [after[pid].get("VmRSS", 0) for pid in pids]
    peak = [after[pid].get("VmHWM", 0) for pid in pids]
    if not pids:
        return {}
    idle, loaded = max(rss_before), max(rss_after)
    return {
        "processes": len(pids),
        "idle_rss_mib": round(idle / 1024, 1),
        "after_rss_mib": round(loaded / 1024, 1),
        "peak_rss_mib": round(max(peak) / 1024, 1),
        "ratio": round(loaded / idle, 3) if idle else 0.0,
    }


def run(fresh: bool) -> dict[str, Any]:
    if fresh or not (RESULTS / "turns.json").exists():
        write_result("turns", turns.run([100], 10.0, 2.0, ["sms", "telegram"]))
    if fresh or not (RESULTS / "delivery.json").exists():
        write_result("delivery", delivery.run(2000, 100, 20.0))
    turns_result = json.loads((RESULTS / "turns.json").read_text())
    delivery_result = json.loads((RESULTS / "delivery.json").read_text())
    web = turns_result["memory_kib"]
    rq = delivery_result["memory_kib"]
    result = {
        "gunicorn_worker": {
            "after": "benchmark 1 (turns): "
            + ", ".join(f"c={run['concurrency']}" for run in turns_result["runs"]),
            "measured_at": turns_result["date"],
            **_summary(web["gunicorn_workers_idle"], web["gunicorn_workers_after"]),
        },
        "rq_worker": {
            "after": f"benchmark 3 (delivery): {delivery_result['messages']} messages",
            "measured_at": delivery_result["date"],
            **_summary(rq["rq_workers_idle"], rq["rq_workers_after"]),
        },
    }
    for name, values in result.items():
        print(
            f"[memory] {name}: {values.get('idle_rss_mib')} MiB idle -> {values.get('after_rss_mib')} MiB after "
            f"{values['after']} (peak {values.get('peak_rss_mib')} MiB), ratio {values.get('ratio')}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="run benchmarks 1 and 3 (reduced) first")
    args = parser.parse_args()
    write_result("memory", run(args.fresh))


if __name__ == "__main__":
    main()
