"""Writes ``docs/performance.md`` from ``bench/results/*.json`` (``python -m bench.report``).

The table and the per-benchmark figures come from the JSON files of the last run; the analysis of the
gaps (what the profiles show) is kept by hand in ``bench/analysis.md`` and copied in after them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.profiling import summarize
from bench.stack import RESULTS, ROOT

DOC = ROOT / "docs" / "performance.md"
ANALYSIS = ROOT / "bench" / "analysis.md"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _met(value: float, target: float | None) -> str:
    if target is None:
        return "–"
    return "yes" if value >= target else f"**no** (gap ×{target / value:.1f})" if value else "**no**"


def _rows(results: dict[str, dict[str, Any] | None]) -> list[list[str]]:
    rows: list[list[str]] = []
    turns = results.get("turns")
    if turns:
        for run in turns["runs"]:
            base = run["baseline"]
            for channel in ("sms", "telegram"):
                if channel not in run:
                    continue
                figures = run[channel]
                rows.append(
                    [
                        f"1. turns, {channel}, {run['concurrency']} respondents",
                        f"{figures['per_second']} turns/s; p50/p95/p99 {figures['p50_ms']}/{figures['p95_ms']}/"
                        f"{figures['p99_ms']} ms; errors {figures['errors']}",
                        f"{base['per_second']} req/s; p50/p95/p99 {base['p50_ms']}/{base['p95_ms']}/{base['p99_ms']} ms",
                        f"{figures['ratio']}",
                        "≥ 0.6",
                        _met(figures["ratio"], 0.6),
                    ]
                )
    launch = results.get("launch")
    if launch:
        rows.append(
            [
                f"2. launch, {launch['contacts']:,} SMS contacts",
                f"{launch['launch']['seconds']} s ({launch['launch']['per_second']}/s)",
                f"{launch['baseline']['seconds']} s ({launch['baseline']['per_second']} jobs/s)",
                f"{launch['launch']['ratio']}",
                "≥ 0.7",
                _met(launch["launch"]["ratio"], 0.7),
            ]
        )
    delivery = results.get("delivery")
    if delivery:
        held = delivery["rate_limit"]
        rows.append(
            [
                f"3. delivery, {delivery['messages']:,} SMS, {delivery['workers']} workers",
                f"{delivery['delivery'].get('sent', delivery['messages']):,} sent in {delivery['delivery']['seconds']} s "
                f"({delivery['delivery']['per_second']} msg/s)"
                + ("" if delivery["delivery"].get("finished", True) else ", stopped at the time limit"),
                f"{delivery['baseline'].get('jobs', delivery['messages']):,} jobs in {delivery['baseline']['seconds']} s "
                f"({delivery['baseline']['per_second']} jobs/s)"
                + ("" if delivery["baseline"].get("finished", True) else ", stopped at the time limit"),
                f"{delivery['delivery']['ratio']}",
                "report",
                "–",
            ]
        )
        rows.append(
            [
                f"3. rate limit held at {held.get('limit_per_second')}/s",
                f"{held.get('measured_per_second')}/s over {held.get('messages')} messages "
                f"({held.get('deviation_percent')}%); max {held.get('max_in_any_1s_window')} in any 1 s",
                f"limit {held.get('limit_per_second')}/s",
                f"{round(held.get('measured_per_second', 0) / held.get('limit_per_second', 1), 3)}",
                "within 5%, never above",
                "yes" if held.get("within_5_percent") and held.get("never_above") else "**no**",
            ]
        )
    scoring = results.get("scoring")
    if scoring:
        figures = scoring["scoring"]
        done = (
            ""
            if figures["finished"]
            else f" (stopped after {figures['seconds']} s: {figures['scored']:,} scored)"
        )
        rows.append(
            [
                f"4. scoring, {scoring['conversations']:,} conversations, {scoring['workers']} workers",
                f"{figures['per_second']} conversations/s{done}",
                f"{scoring['baseline']['per_second']} conversations/s (pure, one process)",
                f"{figures['ratio']}",
                "≥ 0.5",
                _met(figures["ratio"], 0.5),
            ]
        )
    result = results.get("results")
    if result:
        page, page_sql = result["page"], result["page_sql"]
        rows.append(
            [
                f"5. results page, {result['conversations']:,} conversations",
                f"{page['seconds'] * 1000:.0f} ms, {page['statements']} queries, peak {page['peak_rss_kib'] // 1024} MiB",
                f"its SQL alone {page_sql['seconds'] * 1000:.0f} ms, peak {page_sql['peak_rss_kib'] // 1024} MiB",
                f"{page['ratio']}",
                "report",
                "–",
            ]
        )
        export, export_sql = result["export"], result["export_sql"]
        rows.append(
            [
                f"5. CSV export, {export['rows']:,} rows",
                f"{export['seconds']} s (whole `vises export`), peak {export['peak_rss_kib'] // 1024} MiB",
                f"its {export_sql['statements']} SELECTs alone {export_sql['seconds']} s, "
                f"peak {export_sql['peak_rss_kib'] // 1024} MiB",
                f"{export['ratio']}",
                "report",
                "–",
            ]
        )
    memory = results.get("memory")
    if memory:
        for name, label in (("gunicorn_worker", "gunicorn worker"), ("rq_worker", "RQ worker")):
            values = memory.get(name) or {}
            rows.append(
                [
                    f"6. memory, {label}",
                    f"{values.get('after_rss_mib')} MiB after {values.get('after')} (peak {values.get('peak_rss_mib')} MiB)",
                    f"{values.get('idle_rss_mib')} MiB when started",
                    f"{values.get('ratio')}",
                    "report",
                    "–",
                ]
            )
    return rows


def _machine(results: dict[str, dict[str, Any] | None]) -> list[str]:
    found = next((r for r in results.values() if r), None)
    if not found:
        return []
    machine = found["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    servers = ", ".join(f"{name} {str(version).rstrip(')')}" for name, version in machine["servers"].items())
    dates = sorted(r["date"] for r in results.values() if r)
    loads = [
        f"{name} {r['machine'].get('load_average')}"
        for name, r in results.items()
        if r and "load_average" in r["machine"]
    ]
    lines = [
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; {machine['os']}",
        f"- **Python** {machine['python']}; {packages}; {servers}",
        f"- **Run**: {dates[0]} to {dates[-1]} (UTC)",
    ]
    if loads:
        lines.append(
            "- **Load average** (1, 5, 15 min) when each benchmark finished — other work on this shared machine "
            "competes for its two cores: " + "; ".join(loads)
        )
    return lines


def _profiles(results: dict[str, dict[str, Any] | None]) -> list[str]:
    lines: list[str] = []
    sources: list[tuple[str, dict[str, Any]]] = []
    turns = results.get("turns") or {}
    sources += [(f"turns {name}", summary) for name, summary in (turns.get("profiles") or {}).items()]
    for name in ("delivery", "scoring"):
        found = (results.get(name) or {}).get("profile")
        if found and "samples" in found:
            sources.append((name, found))
    for label, stored in sources:
        path = ROOT / stored["file"]
        summary = summarize(path) if path.exists() else stored  # the whole profile, when it is still there
        ours = [
            (name, value)
            for name, value in summary["inclusive_percent"].items()
            if name.startswith(("service/", "questionnaires/", "bots/", "workers/"))
            and not name.startswith(("service/cli/", "workers/startup.py"))
            and value < 80
        ][:10]
        tops = list(summary["self_percent"].items())[:6]
        lines.append(f"**{label}** ({summary['samples']} py-spy samples, `{summary['file']}`)")
        lines.append("")
        lines.append("- on the stack: " + "; ".join(f"`{name}` {value}%" for name, value in ours))
        lines.append("- on top: " + "; ".join(f"`{name}` {value}%" for name, value in tops))
        lines.append("")
    return lines


def write() -> Path:
    names = ("turns", "launch", "delivery", "scoring", "results", "memory")
    results = {name: _load(name) for name in names}
    lines = [
        "# Performance",
        "",
        "Measured by `bench/run-all` (each benchmark alone: `python -m bench.<name>`; see `bench/__init__.py`).",
        "Every figure is compared with a baseline measured in the same run on the same stack: gunicorn with the",
        "Procfile's settings (gthread, 2 workers × 4 threads), PostgreSQL and Redis on 127.0.0.1, the fake",
        "Twilio and Telegram APIs of `tests/fakes`. Ratio = vises ÷ baseline as throughput (for times:",
        "baseline time ÷ vises time; for memory: after ÷ before). This file is rewritten by `python -m bench.report`.",
        "",
        *_machine(results),
        "",
        "| benchmark | vises | baseline | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    lines.append("")
    turns = results.get("turns")
    if turns and turns.get("stored"):
        lines.append(f"Stored after benchmark 1: {json.dumps(turns['stored'])}.")
        lines.append("")
    profiles = _profiles(results)
    if profiles:
        lines += [
            "## Profiles of this run",
            "",
            "py-spy, 100 samples a second, on the gunicorn workers during the 100-respondent runs and on the two",
            "RQ workers (`bench/run-all` takes them when py-spy is installed); the raw stacks stay in",
            "`bench/results/profiles/`, not in git.",
            "Shares are of all samples; a thread waiting on PostgreSQL or for the GIL is sampled too.",
            "",
            *profiles,
        ]
    if ANALYSIS.exists():
        lines += [ANALYSIS.read_text().rstrip(), ""]
    DOC.write_text("\n".join(lines) + "\n")
    print(f"[report] {DOC.relative_to(ROOT)} written")
    return DOC


if __name__ == "__main__":
    write()
