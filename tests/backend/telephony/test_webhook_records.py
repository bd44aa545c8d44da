"""SMS webhook records in group commits (`backend.telephony.records`): an answer goes out only
once its Interaction row and receipt are committed, in the order handed over; a commit that
fails answers nothing, so Twilio's retry does the work; copies of one message answer the same
and leave one record; the signature is still checked before anything is read or written."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from backend import config, db
from backend.channels import twiml
from backend.commands import wording
from backend.enums import Channel
from backend.models import Interaction, WebhookReceipt
from backend.telephony import interactions, records, sms
from tests.support.phone_world import ADA_PHONE, STRANGER
from tests.support.phone_world import interactions as all_interactions
from tests.support.twilio_peer import sign


def _row(text: str) -> Interaction:
    return interactions.row(
        channel=Channel.SMS, phone=ADA_PHONE, user=None, sid="SM1", step="message", transcript=text
    )


def _receipts() -> dict[str, str]:
    with db.session_scope() as session:
        return {row.key: row.response for row in session.exec(select(WebhookReceipt))}


def _visible(text: str) -> bool:
    with db.session_scope() as session:  # a fresh session: sees only what was committed
        return (
            session.exec(select(Interaction).where(Interaction.transcript == text)).first()
            is not None
        )


def test_each_answer_waits_for_its_commit_and_rows_keep_their_order(migrated_db, monkeypatch):
    """On SQLite and PostgreSQL: 40 entries handed over while the writer is busy share one
    commit, each Future resolves only once its row can be read, and ids follow the order."""
    held, batches, seen_at_answer = threading.Event(), [], {}
    real_commit = records._commit

    def commit(entries):
        held.wait(10)
        batches.append(len(entries))
        real_commit(entries)

    monkeypatch.setattr(records, "_commit", commit)
    futures = [records.save([_row(f"m{n}")], f"sms:K{n}", f"answer {n}") for n in range(40)]
    checked = threading.Semaphore(0)

    def check(n: int) -> None:  # runs as the Future resolves, in the writer's thread
        seen_at_answer[n] = _visible(f"m{n}")
        checked.release()

    for n, future in enumerate(futures):
        future.add_done_callback(lambda _, n=n: check(n))
    assert not any(future.done() for future in futures)  # nothing answered before a commit
    held.set()
    assert [future.result(timeout=30) for future in futures] == [f"answer {n}" for n in range(40)]
    assert all(checked.acquire(timeout=30) for _ in range(40))
    assert seen_at_answer == dict.fromkeys(range(40), True)
    assert sum(batches) == 40 and len(batches) <= 2  # the first taken, then all the rest
    with db.session_scope() as session:
        texts = [row.transcript for row in session.exec(select(Interaction).order_by("id"))]
    assert texts == [f"m{n}" for n in range(40)]
    assert _receipts() == {f"sms:K{n}": f"answer {n}" for n in range(40)}


def test_a_key_answered_elsewhere_answers_as_it_did_and_the_rest_of_the_batch_is_written(
    migrated_db,
):
    """Another process answered sms:K1 already: that copy gets the stored answer and leaves
    no row; its batch neighbours are written as usual."""
    with db.session_scope() as session:
        session.add(WebhookReceipt(key="sms:K1", response="the first answer"))
    futures = [records.save([_row(f"m{n}")], f"sms:K{n}", f"answer {n}") for n in range(3)]
    assert [future.result(timeout=30) for future in futures] == [
        "answer 0",
        "the first answer",
        "answer 2",
    ]
    assert [row.transcript for row in all_interactions()] == ["m0", "m2"]


def test_a_failed_commit_answers_nothing_and_twilios_retry_does_the_work(world, monkeypatch):
    """The crash case: the record never reached the database, so no answer went out; the
    retry (same MessageSid) finds no receipt, answers and records once."""
    real_commit, failures = records._commit, []

    def commit_fails_once(entries):
        if not failures:
            failures.append(entries)
            raise OperationalError("INSERT", {}, Exception("the database went away"))
        real_commit(entries)

    monkeypatch.setattr(records, "_commit", commit_fails_once)
    sid = "SM" + uuid.uuid4().hex
    failed = world.peer.sms(ADA_PHONE, "help", sid=sid)  # no answer: Twilio will retry
    assert failed.status_code == 503 and failed.headers["retry-after"]
    assert all_interactions() == [] and _receipts() == {}
    retried = world.peer.sms(ADA_PHONE, "help", sid=sid)
    assert retried.status_code == 200 and retried.text == twiml.message(wording.HELP)
    assert [row.outcome for row in all_interactions()] == ["help"]
    assert _receipts() == {f"sms:{sid}": retried.text}


def test_copies_of_a_message_at_once_answer_the_same_and_leave_one_record(world, monkeypatch):
    """Eight copies of one message arrive together, while the writer is held up: each
    answers what the first does, and one row and one receipt are written."""
    held = threading.Event()
    real_commit = records._commit
    monkeypatch.setattr(records, "_commit", lambda entries: (held.wait(10), real_commit(entries)))
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "From": ADA_PHONE, "Body": "help"}
    with ThreadPoolExecutor(8) as pool:
        futures = list(pool.map(lambda _: sms.incoming(dict(form)), range(8)))
    held.set()
    answers = {future.result(timeout=30) for future in futures}
    assert answers == {twiml.message(wording.HELP)}
    assert len(all_interactions()) == 1 and list(_receipts()) == [f"sms:{form['MessageSid']}"]
    assert sms.incoming(dict(form)).result(timeout=30) == twiml.message(wording.HELP)  # later


def test_an_unsigned_or_forged_message_reads_and_writes_nothing(world):
    params = {"MessageSid": "SM" + "7" * 32, "From": ADA_PHONE, "To": "+1555", "Body": "help"}
    url = "https://dobj.example.test/webhooks/sms"
    forged = world.peer.post("/webhooks/sms", params, signature=sign(url, params, "not-ours"))
    unsigned = world.peer.post("/webhooks/sms", params, signature="")
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert all_interactions() == [] and _receipts() == {}


def test_the_limit_counts_what_the_group_commit_wrote(world, monkeypatch):
    """The per-number count reads the rows the writer committed (HELP counts too), and a
    stranger is answered without a user or a pending question."""
    monkeypatch.setenv("PHONE_RATE_LIMIT_PER_MINUTE", "2")
    config.reload_settings()
    texts = [world.peer.sms(ADA_PHONE, "help").text for _ in range(3)]
    assert texts[:2] == [twiml.message(wording.HELP)] * 2
    assert texts[2] == twiml.message(interactions.RATE_LIMITED)
    stranger = world.peer.sms(STRANGER, "help").text
    assert stranger == twiml.message(sms.UNKNOWN_SENDER)
    rows = all_interactions()
    assert [row.outcome for row in rows] == ["help", "help", "rate_limited", "unknown_caller"]
    assert [row.user_id is None for row in rows] == [False, False, False, True]
