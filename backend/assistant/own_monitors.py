"""A person's own monitors by voice or text: adding one without making it twice, and
pausing, resuming, silencing or deleting one named by its number or by what it watches.

Asking for a monitor one already has answers "You already have that (monitor 3)"; the same
one by another channel asks whether to add that way too or switch (`monitors.MonitorExists`
is the backend's own rule, so the web form and the CLI refuse the same). A negated request
("don't text me about payments any more") asks "pause or delete?"; a delete asks for a
yes. Those questions are `{"kind": "ask"}` pending states: the door keeps one for the
number (`conversation`) and hands the next words to `answer`. The monitoring actions check
the rights; only the person's own monitors are ever found here.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from backend.access.audit import Actor
from backend.assistant.replies import Outcome, Reply
from backend.assistant.resolve import words_of
from backend.commands import wording
from backend.commands.normalise import normalise
from backend.commands.schema import Command
from backend.db import session_scope
from backend.enums import Channel, Intent
from backend.errors import InvalidInput, ProductError
from backend.models import Monitor, User
from backend.monitoring import monitors

#: The pending state's kind for the questions asked here.
ASK = "ask"
#: Words that never tell monitors apart.
_NOISE = frozenset(
    {
        "alert",
        "monitor",
        "notification",
        "watch",
        "about",
        "when",
        "whenever",
        "if",
        "for",
        "on",
        "me",
        "all",
        "call",
        "text",
        "email",
        "message",
    }
)
_YES = r"^(?:yes|yeah|yep|yup|sure|ok|okay|confirm|confirmed|do it|go ahead|please do|correct)\b"
_NO = (
    r"^(?:no|nope|nah|do not|don't|never mind|nevermind|forget it|keep it|leave it|neither|"
    r"nothing|not now|stop)\b"
)
_PAUSE = r"\b(?:pause|paused|hold|suspend|for now|for the moment)\b"
_DELETE = r"\b(?:delete|remove|rid|forever|for good|permanently|erase|cancel it)\b"
_SWITCH = r"\b(?:switch|change|instead|replace|move|only|swap)\b"
_ADD = r"\b(?:add|both|too|also|as well|another|keep both)\b"
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def describe(monitor: Monitor, *, state: bool = True) -> str:
    """ "monitor 3 (when a new user signs up, by call)", and ", paused" where it is (and
    `state`)."""
    what = wording.condition_phrase(monitor.event_name, monitor.condition)
    state = "" if monitor.active or not state else ", paused"
    return f"monitor {monitor.id} (when {what}, by {monitors.by_channel(monitor.channel)}{state})"


def _listed(found: list[Monitor]) -> str:
    """ "monitor 3 (...), or monitor 5 (...)": the candidates, briefly (at most four)."""
    names = [describe(m) for m in found[:4]]
    more = f", or one of {len(found) - 4} more" if len(found) > 4 else ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + (more or f", or {names[-1]}")


def _how(channel: Channel) -> str:
    return "Reply" if channel == Channel.SMS else "Say"


# --- adding -----------------------------------------------------------------------------------


def create(user: User, command: Command, channel: Channel) -> Reply:
    """A monitor from a parsed command; asking twice says which one they have."""
    try:
        form = monitors.form_of(command, user, asked_by=channel)
    except InvalidInput:
        return Reply(
            "What should I watch for? For example: call me when a new user signs up.",
            Outcome.UNKNOWN,
        )
    return _create(user, form, channel)


def _create(user: User, form: dict[str, Any], channel: Channel, *, also: bool = False) -> Reply:
    actor = Actor.for_user(user, channel)
    try:
        with session_scope() as session:
            monitor = monitors.create_monitor_in(
                session, owner_id=user.id, actor=actor, also=also, **form
            )
            monitor_id = monitor.id
    except monitors.MonitorExists as exists:
        return _exists(exists, form, channel)
    said = monitors.confirmation(form)
    if also:
        said = said.replace("OK, I'll ", "OK, I'll also ", 1)
    return Reply(said, Outcome.ANSWERED, extra={"monitor_id": monitor_id})


def _exists(exists: monitors.MonitorExists, form: dict[str, Any], channel: Channel) -> Reply:
    if exists.identical:
        return Reply(f"{exists}.", Outcome.ANSWERED, extra={"monitor_id": exists.monitor_id})
    new = monitors.by_channel(exists.channel)
    alert = "an email" if new == "email" else f"a {new}"
    pending = {
        "kind": ASK,
        "about": "similar",
        "monitor_id": exists.monitor_id,
        "form": form,
    }
    return Reply(
        f"{exists}. Add {alert} alert too, or switch it to {new}? "
        f"{_how(channel)} add, switch or no.",
        Outcome.ASKED,
        pending=pending,
    )


# --- managing ---------------------------------------------------------------------------------


def manage(user: User, command: Command, channel: Channel) -> Reply:
    """Pause, resume, silence, delete (asked first) or stop (pause or delete? asked) the
    person's own monitor that the command names; asks which when several fit."""
    with session_scope() as session:
        mine = monitors.monitors_of(session, user.id)
        found = candidates(mine, command)
        if not found:
            return _none_found(mine, command)
        if len(found) > 1:
            pending = {
                "kind": ASK,
                "about": "which",
                "command": command.model_dump(mode="json"),
                "options": [m.id for m in found],
            }
            return Reply(
                f"Which one: {_listed(found)}? {_how(channel)} its number.",
                Outcome.ASKED,
                pending=pending,
            )
        monitor = found[0]
        described = describe(monitor)
        active = monitor.active
    intent = Intent(command.intent)
    if intent == Intent.DELETE_MONITOR or (intent == Intent.STOP_MONITOR and not active):
        pending = {"kind": ASK, "about": "delete", "monitor_id": monitor.id}
        question = f"Delete {described}?"
        if intent == Intent.STOP_MONITOR:  # "don't call me about X" when X is paused already
            question = f"{described[:1].upper()}{described[1:]} is paused already. Delete it?"
        return Reply(
            f"{question} {_how(channel)} yes to delete it, or no to keep it.",
            Outcome.ASKED,
            pending=pending,
        )
    if intent == Intent.STOP_MONITOR:
        pending = {"kind": ASK, "about": "stop", "monitor_id": monitor.id}
        return Reply(
            f"Pause or delete {described}? {_how(channel)} pause, delete, or no to keep it.",
            Outcome.ASKED,
            pending=pending,
        )
    minutes = command.window_minutes if intent == Intent.SILENCE_MONITOR else None
    return _change(user, monitor.id, intent, channel, minutes=minutes)


def candidates(mine: list[Monitor], command: Command) -> list[Monitor]:
    """Which of the person's monitors `command` names: by number; else by what they watch
    (the event the words name, else the words themselves) and how they tell them; every
    one when the command names none. Where several fit, a pause prefers the ones running
    and a resume the ones paused or silenced."""
    if command.monitor_id is not None:
        return [m for m in mine if m.id == command.monitor_id]
    found = list(mine)
    if command.event is not None:
        found = [m for m in found if m.event_name == command.event]
    elif command.target:
        found = _by_words(found, command.target)
    if command.channel:
        found = [m for m in found if m.channel == command.channel] or found
    if len(found) > 1:
        intent = Intent(command.intent)
        if intent in (Intent.PAUSE_MONITOR, Intent.SILENCE_MONITOR, Intent.STOP_MONITOR):
            found = [m for m in found if m.active] or found
        elif intent == Intent.RESUME_MONITOR:
            found = [m for m in found if not m.active or m.silenced_until] or found
    return found


def _by_words(found: list[Monitor], target: str) -> list[Monitor]:
    wanted = [word for word in words_of(target) if word not in _NOISE]
    if not wanted:
        return found

    def coverage(monitor: Monitor) -> float:
        what = wording.condition_phrase(monitor.event_name, monitor.condition)
        have = words_of(f"{monitor.description} {what} {monitor.event_name.replace('.', ' ')}")
        hits = [any(_alike(word, other) for other in have) for word in wanted]
        return sum(hits) / len(wanted)

    scored = [(coverage(m), m) for m in found]
    best = max((score for score, _ in scored), default=0.0)
    if best < 0.5:
        return []
    return [m for score, m in scored if score == best]


def _alike(word: str, other: str) -> bool:
    """The same word, give or take an ending or a misheard letter ("signup", "sign")."""
    if word == other or (len(word) > 3 and (other.startswith(word) or word.startswith(other))):
        return True
    return SequenceMatcher(None, word, other).ratio() >= 0.8


def _none_found(mine: list[Monitor], command: Command) -> Reply:
    if not mine:
        return Reply(
            "You have no monitors. Say, for example, call me when a new user signs up.",
            Outcome.REFUSED,
        )
    if command.monitor_id is not None:
        named = f"monitor {command.monitor_id}"
    elif command.target:
        named = f"a monitor for {command.target}"
    else:
        named = "a monitor like that"
    return Reply(f"You have no {named}. Yours: {_listed(mine)}.", Outcome.REFUSED)


def _change(
    user: User, monitor_id: int, intent: Intent, channel: Channel, *, minutes: int | None = None
) -> Reply:
    """Carry out a pause, resume, silence or delete through the monitoring actions."""
    actor = Actor.for_user(user, channel)
    try:
        with session_scope() as session:
            if intent in (Intent.PAUSE_MONITOR, Intent.STOP_MONITOR):
                monitor = monitors.pause_in(session, monitor_id, actor=actor)
                how = "Text" if channel == Channel.SMS else "Say"
                said = (
                    f"Paused {describe(monitor, state=False)}. {how} resume monitor "
                    f"{monitor.id} to turn it back on, or delete monitor {monitor.id} to "
                    "remove it."
                )
            elif intent == Intent.RESUME_MONITOR:
                monitor = monitors.resume_in(session, monitor_id, actor=actor)
                said = f"{describe(monitor)[:1].upper()}{describe(monitor)[1:]} is on again."
            elif intent == Intent.SILENCE_MONITOR:
                length = minutes or 60
                monitor = monitors.silence_in(session, monitor_id, minutes=length, actor=actor)
                said = (
                    f"Silenced {describe(monitor)} for {_duration(length)}; it keeps watching "
                    f"and tells you again after that."
                )
            else:
                described = describe(monitors.get_monitor(session, monitor_id))
                monitors.delete_in(session, monitor_id, actor=actor)
                said = f"Deleted {described}."
    except ProductError as exc:
        message = str(exc).strip().rstrip(".")
        return Reply(message[:1].upper() + message[1:] + ".", Outcome.REFUSED)
    return Reply(said, Outcome.DONE, extra={"monitor_id": monitor_id})


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "an hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


# --- the answers to what was asked ------------------------------------------------------------


def answer(user: User, pending: dict[str, Any], said: str, channel: Channel) -> Reply | None:
    """The person's answer to a question asked here, carried out; None when the words are
    no answer to it (the door reads them as a new command)."""
    text = " ".join(re.findall(r"[a-z0-9']+", (said or "").lower()))
    about = pending.get("about")
    monitor_id = int(pending.get("monitor_id") or 0)
    keep = Reply(f"OK, nothing changed; monitor {monitor_id} stays as it was.", Outcome.CANCELLED)
    if about == "which":
        return _which(user, pending, said, channel)
    if about == "similar":
        if re.search(_SWITCH, text):
            return _switch(user, monitor_id, pending["form"]["channel"], channel)
        if re.search(_ADD, text) or re.search(_YES, text):
            return _create(user, pending["form"], channel, also=True)
        return keep if re.search(_NO, text) else None
    if about == "delete":
        if re.search(_PAUSE, text):
            return _change(user, monitor_id, Intent.PAUSE_MONITOR, channel)
        if re.search(_YES, text) or re.search(_DELETE, text):
            return _change(user, monitor_id, Intent.DELETE_MONITOR, channel)
        return keep if re.search(_NO, text) else None
    if about == "stop":
        if re.search(_DELETE, text):
            return _change(user, monitor_id, Intent.DELETE_MONITOR, channel)
        if re.search(_PAUSE, text):
            return _change(user, monitor_id, Intent.PAUSE_MONITOR, channel)
        if re.search(_NO, text):
            return keep
        if re.search(_YES, text):
            return Reply(
                f"Pause or delete monitor {monitor_id}? {_how(channel)} pause or delete.",
                Outcome.ASKED,
                pending=pending,
            )
    return None


def _which(user: User, pending: dict[str, Any], said: str, channel: Channel) -> Reply | None:
    options = [int(i) for i in pending.get("options", [])]
    words = normalise(said).low
    chosen = next(
        (int(n) for n in re.findall(r"\b\d+\b", words) if int(n) in options),
        None,
    )
    if chosen is None:
        for index, word in enumerate(_ORDINALS[: len(options)]):
            if re.search(rf"\b{word}\b", words):
                chosen = options[index]
    if chosen is None:
        with session_scope() as session:
            mine = [m for m in monitors.monitors_of(session, user.id) if m.id in options]
            narrowed = _by_words(mine, said) if words_of(said) else []
        if len(narrowed) != 1:
            return None
        chosen = narrowed[0].id
    command = Command.model_validate({**pending["command"], "monitor_id": chosen})
    return manage(user, command, channel)


def _switch(user: User, monitor_id: int, new_channel: str, channel: Channel) -> Reply:
    try:
        with session_scope() as session:
            monitor = monitors.set_channel_in(
                session, monitor_id, new_channel, actor=Actor.for_user(user, channel)
            )
            said = f"Switched: {describe(monitor)}."
    except ProductError as exc:
        message = str(exc).strip().rstrip(".")
        return Reply(message[:1].upper() + message[1:] + ".", Outcome.REFUSED)
    return Reply(said, Outcome.DONE, extra={"monitor_id": monitor_id})
