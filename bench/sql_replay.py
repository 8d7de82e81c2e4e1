"""Replays recorded SELECTs on a raw psycopg connection: the cost of a page's or an export's queries alone.

``python -m bench.sql_replay FILE REPEAT`` reads ``(statement, parameters)`` pairs pickled by
``bench.results``, runs them ``REPEAT`` times (fetching every row) and prints one JSON line. It imports
nothing of vises, so its peak memory is that of the queries and their rows.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from pathlib import Path

import psycopg


def _hwm_kib() -> int:
    """Peak resident memory of this process's own address space (ru_maxrss would include its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    path, repeat = Path(sys.argv[1]), int(sys.argv[2])
    statements = pickle.loads(path.read_bytes())
    statements = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    times, rows = [], 0
    each = [0.0] * len(statements)
    with psycopg.connect(url) as connection:
        for _ in range(repeat):
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for index, (statement, parameters) in enumerate(statements):
                    start = time.perf_counter()
                    cursor.execute(statement, parameters)
                    rows += len(cursor.fetchall())
                    each[index] += time.perf_counter() - start
            connection.rollback()
            times.append(time.perf_counter() - began)
    slowest = sorted(range(len(statements)), key=lambda index: each[index], reverse=True)[:4]
    print(
        json.dumps(
            {
                "times_s": times,
                "statements": len(statements),
                "rows": rows // max(repeat, 1),
                "self_peak_rss_kib": _hwm_kib(),
                "slowest": [
                    {
                        "ms": round(1000 * each[index] / repeat, 1),
                        "sql": " ".join(statements[index][0].split())[:160],
                    }
                    for index in slowest
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
