"""What each fault test did, counted, and written to ``tests/artifacts/faults/<test>.json`` for the report.

Counts use a small shared vocabulary, so ``tests/faults/report.py`` can add them up across tests:

* ``inputs``: generated inputs tried (fuzzing), or requests sent (webhooks);
* ``duplicates``: extra copies of a request already delivered once;
* ``races``: rounds in which two different replies of one person raced;
* ``kills``: processes SIGKILLed; ``restarts``: processes or servers started again after a fault;
* ``outages``: Redis or PostgreSQL taken away; ``refused``: requests answered 503 during one;
* ``answers_acknowledged`` and ``answers_stored``; ``answers_lost`` (must be 0);
* ``invitations`` and ``sent_at_provider`` (each invitation counted once at the fake provider);
* ``conversations_scored`` (completions scored once despite killed workers), and
  ``scoring_jobs_offered_by_sweep``.

Any other key is reported as it is.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parents[1] / "artifacts" / "faults"


@dataclass
class Tally:
    """The counts of one test, written once it has run (with its outcome)."""

    area: str
    test: str
    database: str
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def add(self, **counts: int) -> None:
        self.counts.update(counts)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def write(self, outcome: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", self.test).strip("_") + ".json")
        record: dict[str, Any] = {
            "area": self.area,
            "test": self.test,
            "database": self.database,
            "outcome": outcome,
            "seconds": round(time.time() - self.started, 1),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "session": os.environ.get("VISES_FAULTS_SESSION", ""),
            "counts": dict(sorted(self.counts.items())),
            "notes": self.notes,
        }
        path.write_text(json.dumps(record, indent=2) + "\n")
        return path
