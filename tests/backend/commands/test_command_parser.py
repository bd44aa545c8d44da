"""The command parser: the seed phrasings, a corpus of everyday paraphrases, the pieces
(numbers, fillers, filters, channels), the CLI, and the LLM fallback through the real
openai + instructor path against the scripted local server."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import cli.main as cli
from backend import config
from backend.commands import Command, parse_command, parse_grammar
from backend.commands.normalise import normalise
from tests.support.paths import DATA

pytest_plugins = ["tests.support.llm_fixtures"]

CORPUS = DATA / "commands_corpus.jsonl"
BLANK = Command(intent="unknown", confidence=0).model_dump(mode="json")

# The "Usage Examples" of the seed document, each with every field that should be set.
SEEDS: list[tuple[str, dict[str, Any]]] = [
    (
        "Call me when a new user signs up",
        {"intent": "monitor", "event": "user.created", "channel": "voice"},
    ),
    (
        "Email me if any payment fails",
        {"intent": "monitor", "event": "payment.failed", "channel": "email"},
    ),
    (
        "Notify me when the database has more than 1000 users",
        {"intent": "monitor", "metric": "users.count", "op": ">", "value": 1000},
    ),
    (
        "Alert me if an admin user is created",
        {
            "intent": "monitor",
            "event": "user.created",
            "filters": [{"field": "is_admin", "op": "==", "value": True}],
        },
    ),
    (
        "Create a weather widget that shows the forecast for the next week",
        {
            "intent": "create",
            "name": "Weather widget",
            "description": "a weather widget that shows the forecast for the next week",
            "kind": "widget",
        },
    ),
    (
        "Build an API endpoint for user registration",
        {
            "intent": "create",
            "name": "API endpoint for user registration",
            "description": "an API endpoint for user registration",
            "kind": "endpoint",
        },
    ),
    (
        "Make a dashboard that displays active users",
        {
            "intent": "create",
            "name": "Dashboard that displays active users",
            "description": "a dashboard that displays active users",
            "kind": "widget",
        },
    ),
    (
        "Update the user dashboard to show login history",
        {"intent": "modify", "target": "user dashboard", "instruction": "show login history"},
    ),
    (
        "Modify the payment API to accept PayPal",
        {"intent": "modify", "target": "payment API", "instruction": "accept PayPal"},
    ),
    (
        "Change the report to include monthly data",
        {"intent": "modify", "target": "report", "instruction": "include monthly data"},
    ),
    ("How many users are in the database?", {"intent": "query", "subject": "users.count"}),
    ("What's the status of the payment system?", {"intent": "query", "subject": "payments.status"}),
    ("Show me the latest user registrations", {"intent": "query", "subject": "users.latest"}),
]


def _fields(command: Command) -> dict[str, Any]:
    data = command.model_dump(mode="json")
    return {k: v for k, v in data.items() if k not in ("confidence", "text")}


@pytest.mark.parametrize(("text", "expected"), SEEDS, ids=[text for text, _ in SEEDS])
def test_every_seed_phrasing_parses_exactly(text, expected):
    command = parse_grammar(text)
    wanted = {k: v for k, v in BLANK.items() if k not in ("confidence", "text")} | expected
    assert _fields(command) == wanted
    assert command.confidence >= 0.8


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_corpus_accuracy_is_at_least_95_percent():
    rows = _corpus()
    assert len(rows) >= 110
    misses = []
    for row in rows:
        got = parse_grammar(row["text"]).model_dump(mode="json")
        wrong = {k: got[k] for k, v in row["expect"].items() if got[k] != v}
        if wrong:
            misses.append((row["text"], wrong))
    accuracy = 1 - len(misses) / len(rows)
    print(f"\ncommand corpus accuracy: {accuracy:.3f} ({len(rows) - len(misses)}/{len(rows)})")
    for text, wrong in misses:
        print(f"  miss: {text!r}: {wrong}")
    assert accuracy >= 0.95


def test_the_corpus_covers_every_intent_subject_and_metric():
    expected = [row["expect"] for row in _corpus()]
    assert {e["intent"] for e in expected} >= {
        "monitor",
        "create",
        "modify",
        "query",
        "deploy",
        "rollback",
        "approve",
        "reject",
        "status",
        "health",
        "help",
        "unknown",
        "pause_monitor",
        "resume_monitor",
        "silence_monitor",
        "delete_monitor",
        "stop_monitor",
    }
    subjects = {e.get("subject") for e in expected}
    assert subjects >= {
        "users.count",
        "users.latest",
        "payments.status",
        "objects.list",
        "monitors.list",
        "tasks.latest",
        "system.status",
    }
    assert {e.get("metric") for e in expected} >= {
        "users.count",
        "payments.failed.count",
        "object.errors",
        "object.error_rate",
        "object.latency",
    }
    assert {e.get("channel") for e in expected} >= {"voice", "sms", "email", "slack", "github"}


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("more than 1,000 users", 1000),
        ("more than one thousand users", 1000),
        ("more than a thousand users", 1000),
        ("more than twenty five users", 25),
        ("more than five hundred users", 500),
        ("more than one hundred and fifty users", 150),
        ("more than 2 thousand users", 2000),
        ("more than 5k users", 5000),
        ("more than two point five users", 2.5),
        ("more than 1,250,000 users", 1_250_000),
    ],
)
def test_numbers_in_words_digits_and_commas(said, value):
    command = parse_grammar(f"notify me when we have {said}")
    assert (command.metric, command.op, command.value) == ("users.count", ">", value)


def test_fillers_and_politeness_are_ignored():
    plain = parse_grammar("approve change 7")
    for noisy in (
        "um approve change 7 please",
        "hey uh could you approve change seven thanks",
        "I want you to like approve change 7 thank you",
        "Er, can you please approve change #7?",
    ):
        assert _fields(parse_grammar(noisy)) == _fields(plain), noisy
    assert normalise("I'd like to um create a widget").low == "create a widget"
    assert normalise("build something like a clock").low == "build something like a clock"


def test_filters_on_events():
    command = parse_grammar("email me if a payment over 500 dollars fails")
    assert command.event == "payment.failed"
    assert [f.model_dump() for f in command.filters] == [
        {"field": "amount", "op": ">", "value": 500}
    ]
    command = parse_grammar("when someone with a gmail address signs up")
    assert command.intent == "monitor" and command.event == "user.created"
    assert [f.model_dump() for f in command.filters] == [
        {"field": "email", "op": "endswith", "value": "@gmail.com"}
    ]
    assert parse_grammar("text me when a payment of at most $20 succeeds").filters[0].op == "<="


@pytest.mark.parametrize(
    ("said", "channel"),
    [
        ("call me", "voice"),
        ("text me", "sms"),
        ("txt me", "sms"),
        ("send me a text", "sms"),
        ("send me an sms", "sms"),
        ("email me", "email"),
        ("e-mail me", "email"),
        ("post to slack", "slack"),
        ("slack me", "slack"),
        ("open a github issue", "github"),
        ("notify me", None),
        ("alert me", None),
        ("tell me", None),
        ("let me know", None),
    ],
)
def test_channels(said, channel):
    command = parse_grammar(f"{said} when a payment fails")
    assert (command.intent, command.event, command.channel) == (
        "monitor",
        "payment.failed",
        channel,
    )


def test_payments_failed_count_has_a_window_only_when_said():
    assert parse_grammar("alert me if more than 5 payments fail").window_minutes is None
    command = parse_grammar("alert me if more than 5 payments fail in the last hour")
    assert (command.metric, command.window_minutes) == ("payments.failed.count", 60)


@pytest.mark.parametrize(
    ("said", "intent", "number", "reason"),
    [
        ("approve change 7", "approve", 7, None),
        ("approve modification number seven", "approve", 7, None),
        ("approve #12", "approve", 12, None),
        ("approve change forty two", "approve", 42, None),
        ("reject 7 because it is too slow", "reject", 7, "it is too slow"),
        ("reject modification number eleven since the tests fail", "reject", 11, "the tests fail"),
    ],
)
def test_approve_and_reject_numbers(said, intent, number, reason):
    command = parse_grammar(said)
    assert (command.intent, command.modification_id, command.reason) == (intent, number, reason)


def test_approve_without_a_change_named_is_allowed():
    command = parse_grammar("approve it")
    assert command.intent == "approve"
    assert command.modification_id is None and command.target is None


def test_status_of_a_request_is_not_a_question_about_payments():
    assert parse_grammar("what's the status of my request").intent == "status"
    assert parse_grammar("status of the weather widget").target == "weather widget"
    assert parse_grammar("status of the payment system").subject == "payments.status"


NEGATED = [
    "stop calling me about new users",
    "Stop calling me about new users!",
    "uh stop calling me about new users okay",
    "don't text me about payments any more",
    "dont txt me about payments anymore",
    "do not email me if a payment fails",
    "no more calls about sign ups",
    "no more texts when someone signs up",
    "never call me when a user signs up again",
    "never ever call me when a new user signs up",
    "quit texting me about payments",
    "cancel the payment alert",
    "cancel my alerts about new users",
    "I don't want to be called when someone signs up",
    "i dont need alerts when payments fail any more",
    "don't tell me how many users there are",
    "stop showing me the latest sign ups",
    "don't create a weather widget",
    "don't deploy the calculator",
]


@pytest.mark.parametrize("text", NEGATED)
def test_a_negation_is_never_read_as_the_thing_negated(text):
    command = parse_grammar(text)
    assert command.intent not in {"query", "monitor", "create", "deploy"}, command


def test_managing_monitors_by_number_and_by_what_they_watch():
    command = parse_grammar("pause monitor number six please")
    assert (command.intent, command.monitor_id, command.target) == ("pause_monitor", 6, None)
    command = parse_grammar("stop calling me about new users")
    assert (command.intent, command.target, command.event, command.channel) == (
        "pause_monitor",
        "new users",
        "user.created",
        "voice",
    )
    command = parse_grammar("don't text me about payments any more")
    assert (command.intent, command.target, command.channel) == ("stop_monitor", "payments", "sms")
    assert parse_grammar("mute monitor 2 for an hour").window_minutes == 60
    assert parse_grammar("silence the payment alert").window_minutes == 60  # the default
    assert parse_grammar("list my monitors").subject == "monitors.list"


def test_unknown_has_low_confidence():
    for text in ("", "banana", "the quick brown fox jumps over the lazy dog"):
        command = parse_grammar(text)
        assert command.intent == "unknown" and command.confidence <= 0.3


def test_every_command_has_one_shape():
    keys = {tuple(parse_grammar(row["text"]).model_dump(mode="json")) for row in _corpus()}
    assert len(keys) == 1


# The CLI -------------------------------------------------------------------------------


def test_cli_parse_prints_the_command_as_json(sqlite_db, no_llm, capsys):
    assert cli.main(["parse", "Email me if any payment fails"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == BLANK | {
        "intent": "monitor",
        "confidence": data["confidence"],
        "text": "Email me if any payment fails",
        "event": "payment.failed",
        "channel": "email",
    }


def test_cli_parse_batch_prints_one_line_per_utterance(sqlite_db, no_llm, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("approve change 7\n\nhelp\nbanana\n"))
    assert cli.main(["parse", "--batch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["intent"] for line in lines] == [
        "approve",
        "unknown",
        "help",
        "unknown",
    ]
    assert json.loads(lines[0])["modification_id"] == 7


def test_cli_parse_without_text_is_bad_input(sqlite_db, no_llm, capsys):
    assert cli.main(["parse"]) == 2
    assert "parse" in capsys.readouterr().err


# The LLM fallback ----------------------------------------------------------------------

UNCLEAR = "bin change seven it's rubbish"


def _llm_answer(**fields: Any) -> dict[str, Any]:
    return BLANK | {"text": UNCLEAR, "confidence": 0.8} | fields


def test_an_unsure_grammar_asks_the_llm_and_uses_its_answer(sqlite_db, llm_server):
    assert parse_grammar(UNCLEAR).confidence < config.get_settings().command_unsure_below
    llm_server.push_json(_llm_answer(intent="reject", modification_id=7, reason="it's rubbish"))
    command = parse_command(UNCLEAR)
    assert (command.intent, command.modification_id, command.reason) == (
        "reject",
        7,
        "it's rubbish",
    )
    assert len(llm_server.requests) == 1
    prompt = llm_server.prompt_text()
    assert "payment.failed" in prompt and "users.latest" in prompt and UNCLEAR in prompt


def test_a_confident_grammar_sends_no_request(sqlite_db, llm_server):
    command = parse_command("Call me when a new user signs up")
    assert command.event == "user.created"
    assert llm_server.requests == []


def test_an_llm_answer_that_does_not_parse_keeps_the_grammars(sqlite_db, llm_server):
    for _ in range(5):
        llm_server.push_raw("{not json")
    command = parse_command(UNCLEAR)
    assert command == parse_grammar(UNCLEAR)
    assert len(llm_server.requests) >= 1


def test_the_threshold_is_a_setting(sqlite_db, llm_server, monkeypatch):
    monkeypatch.setenv("COMMAND_UNSURE_BELOW", "0")
    config.reload_settings()
    assert parse_command(UNCLEAR).intent == "unknown"
    assert llm_server.requests == []
