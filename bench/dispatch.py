"""How fast events go from emitted to notifications queued, and whether monitors that watch
other events slow that down.

Two databases side by side: one with 10 monitors on user.created, one with the same 10 plus
10,000 monitors on other event names. Each round emits a batch of events (signups) into one
database, then the dispatcher runs until every event is dispatched and every notification is
queued (and handed to the embedded broker); rounds alternate between the two databases, so
noise on this shared machine hits both alike. Prints events per second for each and their
ratio (goal: at least 0.8).

    .venv/bin/python bench/dispatch.py [--events 60] [--rounds 4] [--others 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tasks.dispatch  # noqa: E402, F401  (the runner notifications are queued through)
from backend import config, db  # noqa: E402
from backend.access.audit import Actor  # noqa: E402
from backend.accounts import users  # noqa: E402
from backend.enums import EventName  # noqa: E402
from backend.models import Monitor, utcnow  # noqa: E402
from backend.monitoring import dispatcher, monitors  # noqa: E402

OPERATOR = Actor.operator("bench")
OTHER_EVENTS = [str(name) for name in EventName if name != EventName.USER_CREATED]


def use(data: Path) -> None:
    os.environ["DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = f"sqlite:///{data / 'app.db'}"
    config.reload_settings()


def prepare(data: Path, others: int) -> None:
    data.mkdir(parents=True)
    use(data)
    db.upgrade_database()
    with db.session_scope() as session:
        owner = users.add_user_in(
            session, name="Owner", email="owner@example.com", phone="+15550001111",
            actor=OPERATOR,
        )  # fmt: skip
        for n in range(10):
            # Ten like monitors (the same one twice is refused): each one lets everyone but
            # a different nobody through, so all ten fire on every sign-up.
            nobody = [{"field": "email", "op": "!=", "value": f"nobody{n}@example.com"}]
            monitors.create_monitor_in(
                session, owner_id=owner.id, event="user.created",
                condition=monitors.event_condition(nobody), channel="sms",
                description=f"watcher {n}", actor=OPERATOR, group_seconds=0,
            )  # fmt: skip
        # The others are plain rows (their check objects don't matter to the dispatcher).
        session.add_all(
            Monitor(
                owner_id=owner.id,
                event_name=OTHER_EVENTS[n % len(OTHER_EVENTS)],
                condition={"kind": "event", "filters": []},
                channel="sms",
                description=f"other {n}",
                created_at=utcnow(),
            )
            for n in range(others)
        )
    dispatcher.run_once()  # the set-up's own events


def round_trip(data: Path, events: int, round_no: int) -> float:
    """Events per second from emitted to every notification queued."""
    use(data)
    with db.session_scope() as session:
        for n in range(events):
            users.add_user_in(
                session, name=f"P{round_no}-{n}", email=f"p{round_no}-{n}@example.com",
                actor=OPERATOR,
            )  # fmt: skip
    started = time.perf_counter()
    while dispatcher.dispatch_pending():
        pass
    return events / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--others", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        few, many = Path(folder) / "few", Path(folder) / "many"
        prepare(few, 0)
        prepare(many, args.others)
        rates: dict[str, list[float]] = {"10 monitors": [], f"+{args.others:,} others": []}
        for n in range(args.rounds):
            rates["10 monitors"].append(round_trip(few, args.events, n))
            rates[f"+{args.others:,} others"].append(round_trip(many, args.events, n))
            db._engine_for.cache_clear()
    print(f"{args.events} signups a round, {args.rounds} rounds, 10 notifications per event")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, median in medians.items():
        print(f"{name:>20}: {median:8.1f} events/s  (rounds: "
              + ", ".join(f"{v:.1f}" for v in rates[name]) + ")")  # fmt: skip
    few_rate, many_rate = medians.values()
    print(f"{'ratio':>20}: {many_rate / few_rate:8.2f}   (goal: at least 0.8)")


if __name__ == "__main__":
    main()
