"""Managing one's own monitors by voice or text: "pause monitor 6", "delete the payment
alert", "resume the new user alert", "mute monitor 2 for an hour", "stop calling me about
new users", "don't text me about payments any more".

A negated request to be told ("stop", "don't", "no more", "never", "quit", "cancel") is
never read as a request for the thing negated: it is a pause or delete of the monitor it
names (`negated` lets the grammar refuse every other reading of it). A monitor is named by
its number or by what it watches (`target`, the person's words; `event` where those words
name one; `channel` where the sentence says how they are told).
"""

from __future__ import annotations

import re

from backend.commands.monitor import event_of, window_of
from backend.commands.normalise import Utterance
from backend.commands.schema import Command
from backend.commands.slots import match, search
from backend.enums import Intent

#: Words for a monitor.
NOUN = (
    r"(?:monitors?|alerts?|notifications?|watch(?:es|ers?)?|subscriptions?|reminders?|"
    r"warnings?|calls?|phone calls?|texts?|text messages?|messages?|emails?|sms)"
)
#: "monitor 6", "monitor number 6", "number 6", "alert no 6".
NUMBERED = rf"(?:(?:the |my )?(?:{NOUN} )?(?:number |no |id )?(?P<id>\d+))"
PAUSE = (
    r"(?:pause|suspend|hold|put on hold|stop|disable|turn off|switch off|shut off|deactivate|"
    r"halt|quit|freeze)"
)
RESUME = (
    r"(?:resume|unpause|un pause|restart|reactivate|re activate|re enable|reenable|enable|"
    r"turn on|turn back on|switch on|switch back on|start|restore|continue|unmute|un mute|"
    r"unsilence|unsnooze|un snooze|reinstate)"
)
SILENCE = r"(?:silence|mute|snooze|quiet|hush|shush)"
DELETE = (
    r"(?:delete|remove|cancel|get rid of|drop|kill|erase|destroy|trash|unsubscribe me from|"
    r"unsubscribe from|unsubscribe)"
)
# Being told, as a verb ("calling me"), and which channel each names.
TELLING = (
    r"(?:calling|ringing|phoning|texting|messaging|emailing|mailing|alerting|notifying|"
    r"telling|pinging|paging|bugging|bothering|warning|sending)"
)
WATCHING = r"(?:monitoring|watching|tracking|following|watching for|looking out for)"
TELL = (
    r"(?:call|ring|phone|text|txt|message|email|mail|alert|notify|tell|ping|page|bug|bother|"
    r"warn|send|contact)"
)
TOLD = (
    r"(?:called|rung|phoned|texted|messaged|emailed|mailed|alerted|notified|told|pinged|"
    r"paged|bugged|bothered|warned|contacted)"
)
ABOUT = r"(?:about|when|whenever|if|for|on|each time|every time|any time|regarding|re)"
AGAIN = r"(?: (?:any more|anymore|again|ever again|from now on|no more))*"
#: A sentence that opens with a negation ("don't ...", "stop ...", "no more ...").
NEGATED_START = re.compile(
    r"^(?:please )?(?:i |we |you )?(?:do not|don't|never|no more|no longer|stop|quit|cease|"
    r"cancel)\b"
)
#: A negation anywhere in a request to be told ("I really don't want calls any more").
NEGATION = re.compile(
    NEGATED_START.pattern + r"|\b(?:do not|never|no more|no longer) (?:want|need|call|text|"
    r"email|message|alert|notify|tell|ping|send|bother)\b|\b(?:any ?more|no more)$"
)
CHANNEL_WORDS: tuple[tuple[str, str], ...] = (
    (
        "voice",
        r"\b(?:call|calls|calling|called|ring|ringing|rung|phone|phoning|phoned|phone calls?|"
        r"voice)\b",
    ),
    ("sms", r"\b(?:text|texts|texting|texted|txt|sms|messages?|messaging|messaged)\b"),
    ("email", r"\b(?:email|emails|emailing|emailed|mail|mailing|mailed)\b"),
    ("slack", r"\bslack\b"),
    ("github", r"\b(?:github|issues?)\b"),
)
#: Words dropped from a target: they say nothing about which monitor.
_TARGET_NOISE = re.compile(
    rf"^(?:(?:the|my|our|that|this|those|these|all|all the|all my|any|me|about|for|on|of|"
    rf"re|regarding|{NOUN}) )+|(?: (?:{NOUN}|please|again|any more|anymore|ever again|"
    r"for me|from now on|now|no more|too|as well|okay|ok|thanks|thank you))+$"
)
#: Silence this long when no length is said (an alert call's key 3 says the same).
SILENCE_DEFAULT_MINUTES = 60


def negated(u: Utterance, *, at_start: bool = False) -> bool:
    """Whether the sentence negates a request ("stop", "don't", "never", "no more"), or
    with `at_start`, opens with the negation."""
    return (NEGATED_START if at_start else NEGATION).search(u.low) is not None


def channel_named(text: str) -> str | None:
    for channel, pattern in CHANNEL_WORDS:
        if search(pattern, text):
            return channel
    return None


def _target(u: Utterance, m: re.Match[str], group: str = "t") -> str | None:
    if group not in m.groupdict() or m.group(group) is None:
        return None
    start, end = m.span(group)
    words = u.low[start:end]
    trimmed = _TARGET_NOISE.sub("", words).strip()
    if not trimmed or trimmed in {"it", "this", "that", "them", "this one", "that one"}:
        return None
    offset = start + words.find(trimmed)
    return u.original(offset, offset + len(trimmed)) or trimmed


def _command(
    intent: Intent, u: Utterance, m: re.Match[str], *, channel: str | None = None
) -> Command:
    groups = m.groupdict()
    number = groups.get("id")
    target = None if number else _target(u, m)
    command = Command(
        intent=intent,
        confidence=0.9 if (number or target) else 0.8,
        monitor_id=int(float(number)) if number else None,
        target=target,
        event=event_of(target.lower()) if target else None,
        channel=channel,
    )
    if intent == Intent.SILENCE_MONITOR:
        command.window_minutes = window_of(u.low) or SILENCE_DEFAULT_MINUTES
    return command


def _which(u: Utterance, verb: str, intent: Intent) -> Command | None:
    """ "VERB monitor 6", "VERB the payment alert", "VERB alerts about payments"."""
    tail = r"(?: (?:for|during) .+)?" if intent == Intent.SILENCE_MONITOR else ""
    patterns = (
        rf"{verb} {NUMBERED}{AGAIN}{tail}",
        rf"{verb} (?:(?:the|my|all|all my|all the|those|these) )?{NOUN} {ABOUT} (?P<t>.+?)"
        rf"{AGAIN}{tail}",
        rf"{verb} (?P<t>(?:(?:the|my|all|all my|all the|those|these|that) )?.*?\b{NOUN})"
        rf"{AGAIN}{tail}",
    )
    for pattern in patterns:
        m = match(pattern, u)
        if m:
            return _command(intent, u, m, channel=channel_named(m.group(0)))
    if intent == Intent.SILENCE_MONITOR:  # "mute payments for an hour": mute only means this
        m = match(rf"{verb} (?P<t>.+?)(?: (?:for|during) .+)?", u)
        if m:
            return _command(intent, u, m)
    return None


def _told(u: Utterance) -> Command | None:
    """Stopping or starting being told: "stop calling me about new users" (a pause, the
    wording is clear), "don't text me about payments any more" (pause or delete: asked),
    "start calling me about new users again" (a resume)."""
    text = u.low
    stopping = r"(?:please )?(?:stop|quit|cease)(?: (?:all|the))?"
    m = match(
        rf"{stopping} (?:{TELLING}(?: me)?|{TELLING} (?:me )?(?:\w+ )?(?:alerts?|notifications?|"
        rf"calls|texts|emails|messages)|(?:calls|texts|emails|messages|alerts|notifications|"
        rf"phone calls|text messages))(?: {ABOUT} (?P<t>.+?))?{AGAIN}"
        rf"|{stopping} {WATCHING} (?P<t2>.+?){AGAIN}",
        u,
    )
    if m and m.group("t2"):
        return _stop(u, m, intent=Intent.PAUSE_MONITOR)
    if m:
        return _command(Intent.PAUSE_MONITOR, u, m, channel=channel_named(text))
    m = match(
        rf"(?:please )?(?:do not|never|no longer)(?: ever)? {TELL} me(?: any more| anymore| again)?"
        rf"(?: (?:with|about) (?:\w+ )?(?:alerts?|notifications?))?(?: {ABOUT} (?P<t>.+?))?"
        rf"{AGAIN}",
        u,
    ) or match(
        rf"(?:i |we )?(?:do not|no longer|never) (?:want|need)(?: to (?:get|receive|have))?"
        rf"(?: any)?(?: more)? (?:(?P<t0>.+?) )?(?:{NOUN})(?: {ABOUT} (?P<t>.+?))?{AGAIN}"
        rf"|(?:i |we )?(?:do not|no longer) (?:want|need) to be {TOLD} "
        rf"{ABOUT} (?P<t2>.+?){AGAIN}",
        u,
    )
    if m:
        return _stop(u, m)
    m = match(
        rf"no more (?:(?P<t0>.+?) )?(?:{NOUN})(?: {ABOUT} (?P<t>.+?))?{AGAIN}"
        rf"|no more {TELLING} me(?: {ABOUT} (?P<t2>.+?))?{AGAIN}",
        u,
    )
    if m:
        return _stop(u, m)
    m = match(
        rf"(?:start|resume|continue) {TELLING} me(?: {ABOUT} (?P<t>.+?))?(?: again)?"
        rf"|you can (?:{TELL}) me (?:again )?{ABOUT} (?P<t2>.+?) again",
        u,
    )
    if m:
        return _stop(u, m, intent=Intent.RESUME_MONITOR)
    return None


def _stop(u: Utterance, m: re.Match[str], *, intent: Intent = Intent.STOP_MONITOR) -> Command:
    group = next((g for g in ("t", "t0", "t2") if m.groupdict().get(g)), "t")
    command = _command(intent, u, m, channel=channel_named(u.low))
    if group != "t":
        target = _target(u, m, group)
        command.target = target
        command.event = event_of(target.lower()) if target else None
        command.confidence = 0.9 if target else 0.8
    return command


def parse_manage(u: Utterance) -> Command | None:
    """A pause, resume, silence or delete of a monitor, or None."""
    told = _told(u)
    if told is not None:
        return told
    for verb, intent in (
        (SILENCE, Intent.SILENCE_MONITOR),
        (RESUME, Intent.RESUME_MONITOR),
        (DELETE, Intent.DELETE_MONITOR),
        (PAUSE, Intent.PAUSE_MONITOR),
    ):
        command = _which(u, verb, intent)
        if command is not None:
            return command
    m = match(rf"(?:turn|switch|put) (?P<t>.+?\b{NOUN}) (?P<how>back on|on|off)", u)
    if m:
        intent = Intent.PAUSE_MONITOR if m.group("how") == "off" else Intent.RESUME_MONITOR
        return _command(intent, u, m, channel=channel_named(m.group("t")))
    # "tell me" is left out: "don't tell me how many users there are" is no monitor.
    told = r"(?:call|ring|phone|text|txt|message|email|mail|ping|page|bother|bug)"
    if negated(u) and search(rf"\b{NOUN}\b|\b{told} me\b|\b{TELLING} me\b", u.low):
        # Negated, about being told, but naming nothing we can read: ask which.
        return Command(intent=Intent.STOP_MONITOR, confidence=0.8, channel=channel_named(u.low))
    return None
