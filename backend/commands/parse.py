"""`parse_command`: the grammar first, the parser model only for what the grammar isn't
sure of, so a phone caller never waits for an LLM on a plain command."""

from __future__ import annotations

import logging

from backend.commands.grammar import parse_grammar, refuses_negation
from backend.commands.schema import Command, missing
from backend.config import get_settings
from backend.enums import EventName, Intent, Metric, QuerySubject
from backend.llm import client
from backend.llm.errors import LLMError
from backend.llm.structured import structured

log = logging.getLogger(__name__)


def _system_prompt() -> str:
    def listed(values: object) -> str:
        return ", ".join(str(v) for v in values)  # type: ignore[attr-defined]

    return f"""You turn what a person said or texted to a service into one structured command.
The text may come from speech-to-text: no punctuation, fillers, numbers in words.

Intents: {listed(Intent)}.
- monitor: be told when something happens. Either `event` (one of: {listed(EventName)})
  with optional `filters` (each {{"field", "op", "value"}}, op one of == != > >= < <=
  contains endswith; user.created has email, name, is_admin; payments have amount), or
  `metric` (one of: {listed(Metric)}) with `op` (> >= < <= ==), `value` (a number) and
  `window_minutes` (or null); object.errors (failed calls), object.error_rate (percent;
  value null means "starts failing") and object.latency (p95 in ms) take the object's
  words in `target` (null: any object). `channel`: voice (call me), sms (text me), email, slack,
  github (open an issue), or null when the person didn't say how.
- create: a new object; `name` (short), `description` (what they asked for), `kind`
  (widget, endpoint, monitor, library, or null).
- modify: `target` (the object, without articles) and `instruction` (the change).
- deploy / rollback: `target` and optional `version` (a number).
- status: progress of a request; `target` is the object, or null for "my request".
- health: how an object is doing (its calls, errors, latency): `target`, or null for
  "which objects are failing?".
- approve / reject: `modification_id` (a number) or `target`; reject may have `reason`.
- query: `subject` one of: {listed(QuerySubject)} ("list my monitors" is monitors.list).
- pause_monitor / resume_monitor / silence_monitor / delete_monitor / stop_monitor: one of
  the person's own monitors, by `monitor_id` (its number) or by what it watches: `target`
  (their words, e.g. "payments", "new users"), `event` where the words name one, `channel`
  where they say how they are told; silence_monitor's length in `window_minutes`.
  stop_monitor is a negated request to be told whose wording says neither pause nor delete.
- help: what can I say. unknown: anything else.
A negation ("stop", "don't", "no more", "never", "quit", "cancel") is never a request for
the thing negated: never monitor nor query for it; about being told it is one of the
monitor intents above, otherwise unknown.
Fields an intent doesn't use are null (filters: []). `confidence` (0 to 1) is how sure
you are; `text` is the utterance.

Examples:
"email me if a payment over 500 dollars fails" -> intent monitor, event payment.failed,
  filters [{{"field": "amount", "op": ">", "value": 500}}], channel email.
"ping me when we pass a thousand users" -> intent monitor, metric users.count, op >,
  value 1000, channel null.
"could you spin up a little thing that tells the time in Tokyo" -> intent create,
  name "Tokyo clock", description "a little thing that tells the time in Tokyo".
"the calculator should also do square roots" -> intent modify, target "calculator",
  instruction "also do square roots".
"who joined lately" -> intent query, subject users.latest.
"bin change seven it's broken" -> intent reject, modification_id 7, reason "it's broken".
"stop ringing me about sign ups" -> intent pause_monitor, target "sign ups",
  event user.created, channel voice.
"I really don't want those payment texts" -> intent stop_monitor, target "payment",
  channel sms.
"""


def parse_with_llm(text: str) -> Command:
    """Ask the parser model; raises an `LLMError` when it can't give an answer."""
    messages = [
        {"role": "system", "content": _system_prompt()},
        {"role": "user", "content": text},
    ]
    answer = structured(client.Role.PARSER, Command, messages, what="understanding the command")
    answer.text = text
    return answer


def needs_llm(command: Command) -> bool:
    """Whether the grammar's reading is unsure (below COMMAND_UNSURE_BELOW) and an LLM is
    configured to read it better. A door that must answer at once (a phone call) asks a job
    to do that (`backend.assistant.interpret`)."""
    settings = get_settings()
    return command.confidence < settings.command_unsure_below and client.is_configured(settings)


def refine(text: str, command: Command) -> Command:
    """The better of two readings of `text`: the grammar's (`command`, which it was unsure
    of) or the LLM's. The LLM's wins only when it is more confident and complete
    (`missing`); a failed LLM keeps the grammar's answer."""
    try:
        answer = parse_with_llm(text)
    except LLMError as exc:
        log.warning("keeping the grammar's reading of a command: %s", exc)
        return command
    answer.text = command.text
    if refuses_negation(text, answer):
        log.info("keeping the grammar's reading: the LLM's (%s) is what was negated", answer.intent)
        return command
    lacks = missing(answer)
    if lacks or answer.confidence <= command.confidence:
        why = f"it lacks {', '.join(lacks)}" if lacks else "it is no more confident"
        log.info(
            "keeping the grammar's reading (%s %.2f) over the LLM's (%s %.2f): %s",
            command.intent,
            command.confidence,
            answer.intent,
            answer.confidence,
            why,
        )
        return command
    return answer


def parse_command(text: str) -> Command:
    """The grammar's answer, or the LLM's where the grammar is unsure (below
    COMMAND_UNSURE_BELOW) and an LLM is configured; a failed LLM keeps the grammar's answer."""
    command = parse_grammar(text)
    return refine(text, command) if needs_llm(command) else command
