"""Benchmark 4: scoring 100,000 completed conversations with 2 ``vises worker`` processes.

``python -m bench.scoring [--conversations 100000] [--limit 420]``

The conversations (a valid answer to every question of the shipped beneficiaries questionnaire) are
loaded with SQL, unscored. Measured: every conversation offered for scoring as a completion is
(:func:`service.scores.offer_for_scoring`, here all before the workers start, so the burst coalesces
into one waiting ``workers.scoring.score_conversation`` job, which scores the campaign in batches and
offers it again after each full batch so the second worker joins in), run by 2 workers (the Procfile's
``vises worker``), timed from the workers being registered until every conversation has ``scored_at``
(counted in the database every half second). Baseline: the core's pure scoring
(:func:`questionnaires.scoring.score_conversation`) over the same answers, read into memory first, in
one process. The ratio compares conversations per second. If the workers are not done after
``--limit`` seconds the run stops there and the rate is that of the conversations scored so far.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import func, select, text

from bench import data
from bench.profiling import Profiler, print_summary
from bench.stack import Stack, ratio, timed, write_result
from questionnaires.scoring import score_conversation as score_answers
from service.aggregates import load_tallies
from service.models import Conversation
from service.scores import SCORING_JOB, offer_for_scoring

WORKERS = 2


def _answers(stack: Stack, campaign_id: int) -> dict[int, dict[str, Any]]:
    assert stack.runtime is not None
    found: dict[int, dict[str, Any]] = {}
    with stack.runtime.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT a.conversation_id, a.question_id, a.value FROM answers a "
                "JOIN conversations c ON c.id = a.conversation_id WHERE c.campaign_id = :campaign"
            ),
            {"campaign": campaign_id},
        )
        for conversation_id, question_id, value in rows:
            found.setdefault(conversation_id, {})[question_id] = (
                tuple(value) if isinstance(value, list) else value
            )
    return found


def _scored(stack: Stack, campaign_id: int) -> int:
    assert stack.runtime is not None
    with stack.runtime.transaction() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.campaign_id == campaign_id, Conversation.scored_at.is_not(None))
            )
            or 0
        )


def run(count: int, limit: float, *, profile: bool = False) -> dict[str, Any]:
    with Stack("scoring") as stack:
        runtime = stack.build_runtime()
        target = data.campaign(runtime, "bench-scoring", ["sms", "telegram", "web"])
        with timed() as loading:
            data.completed_conversations(runtime, target, count)
        print(f"[scoring] {count} completed conversations loaded in {loading[0]:.1f}s")

        answers = _answers(stack, target.id)
        questionnaire = target.questionnaire
        with timed() as pure:
            for given in answers.values():
                score_answers(questionnaire, given)
        pure_rate = len(answers) / pure[0]
        print(
            f"[scoring] baseline: pure scoring of {len(answers)} conversations in {pure[0]:.2f}s ({pure_rate:.0f}/s)"
        )
        del answers

        with runtime.engine.connect() as connection:
            ids = list(
                connection.execute(
                    text("SELECT id FROM conversations WHERE campaign_id = :campaign ORDER BY id"),
                    {"campaign": target.id},
                ).scalars()
            )
        with timed() as enqueueing:
            jobs = sum(offer_for_scoring(runtime, conversation_id, target.id) for conversation_id in ids)
        print(
            f"[scoring] {len(ids)} completions offered in {enqueueing[0]:.1f}s: {jobs} scoring job(s) queued"
        )
        workers = stack.start_workers(WORKERS, "--queue", "scoring")
        began = time.perf_counter()
        scored = 0
        with Profiler([w.pid for w in workers] if profile else [], "scoring") as profiler:
            while time.perf_counter() - began < limit:
                scored = _scored(stack, target.id)
                if scored >= count:
                    break
                time.sleep(0.5)
        elapsed = time.perf_counter() - began
        for worker in workers:
            stack.stop(worker)
        scored = _scored(stack, target.id)
        rate = scored / elapsed
        with runtime.transaction() as session:
            tallies = load_tallies(session, target.id)
        all_n = max((tally.n for (_, segment), tally in tallies.items() if segment == "all"), default=0)
        print(
            f"[scoring] vises: {scored} of {count} scored by {WORKERS} workers in {elapsed:.1f}s ({rate:.1f}/s); "
            f"aggregates hold n={all_n}"
        )
        print_summary(profiler.summary, prefix="[scoring] profile")
        result: dict[str, Any] = {
            "conversations": count,
            "workers": WORKERS,
            "baseline": {
                "what": "questionnaires.scoring.score_conversation over the same answers, in memory, one process",
                "seconds": round(pure[0], 3),
                "per_second": round(pure_rate, 1),
            },
            "scoring": {
                "what": f"every completion offered to {SCORING_JOB} (coalesced, batched), {WORKERS} vises workers",
                "scored": scored,
                "seconds": round(elapsed, 2),
                "per_second": round(rate, 1),
                "finished": scored >= count,
                "aggregate_n": all_n,
                "ratio": ratio(rate, pure_rate),
            },
            "target": {"ratio": 0.5},
        }
        if profiler.summary:
            result["profile"] = profiler.summary
        print(f"[scoring] ratio to baseline {result['scoring']['ratio']:.4f} (target 0.5)")
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=420.0, help="stop measuring after this many seconds")
    parser.add_argument("--profile", action="store_true", help="py-spy on the workers")
    args = parser.parse_args()
    write_result("scoring", run(args.conversations, args.limit, profile=args.profile))


if __name__ == "__main__":
    main()
