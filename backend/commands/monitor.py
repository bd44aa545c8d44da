"""Monitor commands: "call me when a new user signs up", "email me if a payment over 500
dollars fails", "notify me when the database has more than 1000 users".

A monitor command has a way to be told (or none said), a condition (an event with
optional filters, or a metric crossing a number) and optionally a time window.
"""

from __future__ import annotations

import re

from backend.commands.normalise import Utterance
from backend.commands.schema import Command, Filter
from backend.commands.slots import ARTICLES, NUMBER, comparison, search
from backend.enums import EventName, Intent, Metric

# How to be told, checked in this order; "notify me" and "alert me" say nothing about it.
CHANNELS: tuple[tuple[str, str], ...] = (
    ("github", r"\bgithub\b|\b(?:open|file|create|raise|log|make|add) an? (?:new )?issue\b"),
    ("slack", r"\bslack\b"),
    (
        "voice",
        # "cal me", "coll me": how speech recognisers often hear "call me".
        r"\b(?:call|cal|coll|phone|ring) me\b|\bgive me a (?:call|ring|phone call)\b|"
        r"\b(?:by|via|with a|over the) (?:phone|call|phone call|voice call)\b|"
        r"\b(?:voice|phone) call\b",
    ),
    (
        "sms",
        r"\btext me\b|\b(?:send|shoot|drop) me an? (?:text|sms|text message)\b|\bsms\b|"
        r"\btext message\b|\b(?:by|via|over|with a) text\b|\bmessage me\b",
    ),
    (
        "email",
        r"\b(?:email|mail) me\b|\b(?:send|shoot|drop) me an? (?:email|mail)\b|"
        r"\b(?:by|via|through|with an|over) email\b|\ban email\b",
    ),
)
# Asking to be told of something, without saying how.
NOTIFY = (
    r"\b(?:notify|alert|tell|warn|ping|page|inform|remind|update) me\b|\blet me know\b|"
    r"\b(?:heads up|notification|notifications|alert|alerts)\b|"
    r"\bi want to (?:know|be (?:notified|told|alerted|warned))\b|"
    r"\b(?:post|send|write)\b"
)
CONDITION = (
    r"\b(?:when|whenever|if|once|as soon as|every time|each time|any time|anytime|"
    r"the moment|in case|should)\b"
)
WATCH = (
    r"^(?:watch|monitor|track|keep an eye on|keep track of|look out|watch out|"
    r"(?:set up|setup|create|add|make|start) an? (?:alert|monitor|notification|watch))\b"
)

PAY = r"(?:payments?|charges?|transactions?|purchases?)"
USERS = r"(?:users?|people|accounts?|members?|customers?|sign ups|registrations|signed up users)"
# An event and the words that name it, checked in order (the more specific first).
EVENTS: tuple[tuple[EventName, str], ...] = (
    (
        EventName.USER_PASSWORD_CHANGED,
        r"\bpassword\b(?: \S+){0,3}? (?:changes|changed|is changed|gets changed|is reset|reset)\b"
        r"|\b(?:changes|resets|reset|changed) (?:their|his|her|a|the|my) password\b",
    ),
    (
        EventName.SIGN_IN_LOCKED,
        r"\blocked out\b|\b(?:sign in|login|account)s? (?:is |gets |are )?locked\b"
        r"|\btoo many (?:wrong|bad|failed) (?:passwords|sign ins|logins)\b",
    ),
    (EventName.TOKEN_REVOKED, r"\btokens?\b(?: \S+){0,3}? revoked\b"),
    (
        EventName.TOKEN_CREATED,
        r"\b(?:api )?tokens?\b(?: \S+){0,3}? (?:created|made|issued)\b|\bnew (?:api )?tokens?\b"
        r"|\bcreates an? (?:api )?token\b",
    ),
    (
        EventName.PAYMENT_FAILED,
        rf"\b{PAY}\b(?: \S+){{0,7}}? (?:fail|fails|failed|failing|is declined|gets declined|"
        r"declined|bounces|bounced|is rejected|gets rejected|errors|"
        r"(?:does|do|did) not go through)\b"
        rf"|\b(?:failed|failing|declined|bounced|unsuccessful|rejected) {PAY}\b"
        r"|\bpayment (?:failure|failures|error|errors|problem|problems)\b",
    ),
    (
        EventName.PAYMENT_SUCCEEDED,
        rf"\b{PAY}\b(?: \S+){{0,7}}? (?:succeeds|succeeded|goes through|went through|"
        r"go through|is successful|are successful|completes|completed|is completed|is received|"
        r"received|comes in|come in|arrives|is made|clears|cleared|is processed|processed)\b"
        rf"|\b(?:successful|completed|new|incoming|received) {PAY}\b"
        r"|\b(?:someone|somebody|anyone|a customer|customer|user) (?:pays|paid|makes a payment)\b"
        r"|\bwe (?:get|got) paid\b|\bgets? paid\b",
    ),
    (
        EventName.DEPLOYMENT_FAILED,
        r"\b(?:deployment|deployments|deploy|deploys|release|rollout)\b(?: \S+){0,4}? "
        r"(?:fails|fail|failed|failing|breaks|broke|errors|goes wrong|went wrong|crashes)\b"
        r"|\b(?:failed|failing|broken|bad|unsuccessful) (?:deployment|deployments|deploy|deploys)\b"
        r"|\bdeployment (?:failure|failures|error|errors|problems?)\b"
        r"|\b(?:fails|failed|fail) to deploy\b|\b(?:can|could|does|did) not (?:be )?deploy",
    ),
    (
        EventName.TASK_FAILED,
        r"\b(?:task|tasks|job|jobs)\b(?: \S+){0,4}? (?:fails|fail|failed|failing|crashes|"
        r"crashed|errors|errored|breaks|dies|died)\b"
        r"|\b(?:failed|failing|crashed|broken) (?:background )?(?:task|tasks|job|jobs)\b"
        r"|\b(?:task|job) (?:failure|failures|errors?)\b",
    ),
    (
        EventName.MODIFICATION_AWAITING_APPROVAL,
        r"\b(?:approval|to approve|for review|to review|needs review|needs my review|"
        r"sign off|my ok|my okay|waiting for me)\b",
    ),
    (
        EventName.MODIFICATION_FAILED,
        r"\b(?:change|changes|modification|modifications|request|requests)\b(?: \S+){0,4}? "
        r"(?:fails|fail|failed|failing|errors|breaks)\b|\bfailed (?:changes?|modifications?)\b",
    ),
    (
        EventName.MODIFICATION_REJECTED,
        r"\b(?:change|changes|modification|modifications)\b(?: \S+){0,3}? (?:is |gets |are )?"
        r"rejected\b",
    ),
    (
        EventName.MODIFICATION_APPLIED,
        r"\b(?:change|changes|modification|modifications|update|updates)\b(?: \S+){0,4}? "
        r"(?:is |gets |are |get |has been |was )?(?:applied|merged|goes live|lands|landed)\b",
    ),
    (
        EventName.OBJECT_ROLLED_BACK,
        r"\b(?:rolled back|reverted|rolls back|is restored|rollback happens|roll back happens)\b",
    ),
    (
        EventName.OBJECT_DEPLOYED,
        r"\b(?:is|gets|was|are|get|has been|have been) (?:deployed|released|published|shipped)\b"
        r"|\b(?:goes|go|went) live\b|\b(?:new|successful) (?:deployment|deploy|release)s?\b"
        r"|\b(?:deployment|deploy)s? (?:succeeds|succeeded|finishes|finished|completes|"
        r"completed|is done|goes through)\b|\bdeploys\b|\bdeployed\b",
    ),
    (
        EventName.OBJECT_CREATED,
        r"\b(?:objects?|widgets?|endpoints?|librar(?:y|ies))\b(?: \S+){0,2}? "
        r"(?:is |gets |are |get )?(?:created|made|added|built)\b"
        r"|\bnew (?:objects?|widgets?|endpoints?|librar(?:y|ies))\b"
        r"|\bcreates an? (?:new )?(?:object|widget|endpoint)\b",
    ),
    (
        EventName.MODIFICATION_REQUESTED,
        r"\b(?:requests|request|asks for) an? (?:change|modification)\b|\bnew change requests?\b"
        r"|\bchange (?:is |gets )?requested\b",
    ),
    (
        EventName.USER_UPDATED,
        r"\b(?:user|profile|account)s? (?:is |gets |are )?(?:updated|edited)\b"
        r"|\bupdates (?:their|his|her) profile\b",
    ),
    (
        EventName.USER_CREATED,
        r"\b(?:sign|signs|signed|signing) ups?\b|\bregist(?:er|ers|ered|ering|ration|rations)\b"
        r"|\b(?:joins|joined|join)\b|\bnew (?:users?|accounts?|members?|customers?|admins?|"
        r"administrators?|admin users?)\b|\b(?:users?|accounts?|admins?|administrators?|members?|"
        r"customers?)\b(?: \S+){0,2}? (?:is |are |gets |get |has been )?(?:created|added|made|"
        r"opened)\b|\b(?:creates|opens|makes) an? account\b",
    ),
    (
        EventName.OBJECT_EDITED,
        r"\b(?:object|code)\b(?: \S+){0,3}? (?:is |gets )?(?:edited|modified)\b|\bsomeone edits\b",
    ),
)
EMAIL_PROVIDERS = {
    "gmail": "@gmail.com",
    "googlemail": "@googlemail.com",
    "yahoo": "@yahoo.com",
    "hotmail": "@hotmail.com",
    "outlook": "@outlook.com",
    "icloud": "@icloud.com",
    "aol": "@aol.com",
    "protonmail": "@protonmail.com",
}
TOP_LEVEL = r"(?:edu|org|com|gov|net|io|dev|ai|co|uk|de|fr)"
WINDOW_UNITS = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080}
WINDOW = re.compile(
    r"\b(?:in|within|over|during|per|each|every|for|an|a)? ?(?:the )?(?:last |past |next |same )?"
    rf"(?P<half>half an? )?(?P<n>{NUMBER} )?(?P<unit>minute|min|hour|hr|day|week)s?\b"
)


def channel_of(text: str) -> str | None:
    """How the person asked to be told, or None ("notify me", "alert me")."""
    for channel, pattern in CHANNELS:
        if search(pattern, text):
            return channel
    return None


def event_of(text: str) -> EventName | None:
    for event, pattern in EVENTS:
        if search(pattern, text):
            return event
    return None


def window_of(text: str) -> int | None:
    """ "in the last hour" -> 60, "in 10 minutes" -> 10, "per day" -> 1440."""
    m = WINDOW.search(text)
    if not m:
        return None
    count = float(m.group("n")) if m.group("n") else 1.0
    if m.group("half"):
        count = 0.5
    return max(1, round(count * WINDOW_UNITS[m.group("unit")]))


def _metric(text: str) -> tuple[Metric, str, int | float] | None:
    """A count crossing a number: "more than 1000 users", "over 5 failed payments"."""
    found = comparison(text)
    if found is None:
        bare = search(rf"\b(?:there are|we have|has|have|reach|reaches) ({NUMBER}) {USERS}\b", text)
        if bare:
            number = float(bare.group(1))
            return Metric.USERS_COUNT, ">=", int(number) if number.is_integer() else number
        return None
    op, value, m = found
    after = text[m.end() :]
    before = text[: m.start()]
    if search(r"^ (?:dollars|bucks|usd|euros|pounds|cents)\b", after):
        return None  # an amount of money, not a count
    if search(
        rf"^ (?:\w+ )?(?:failed {PAY}|{PAY} (?:fail|fails|failed|failing)|payment failures)\b",
        after,
    ) or search(
        r"\b(?:failed payments|payment failures|failed payment count|payments? (?:fail|failing))\b",
        before,
    ):
        return Metric.PAYMENTS_FAILED_COUNT, op, value
    if m.group("num2") and search(rf"^ ?{USERS}\b", m.group("tail") or ""):
        return Metric.USERS_COUNT, op, value
    if search(rf"^ (?:\w+ )?{USERS}\b", after) or search(
        r"\b(?:user count|users count|number of users|user total|total users|user base|"
        r"users? (?:in the database )?(?:goes|go|rises|rise|drops|drop|falls|fall|dips|dip)?)\s*$",
        before,
    ):
        return Metric.USERS_COUNT, op, value
    return None


def _filters(u: Utterance, event: EventName) -> list[Filter]:
    text = u.low
    filters: list[Filter] = []
    if event in (EventName.USER_CREATED, EventName.USER_UPDATED):
        if search(r"\b(?:non admin|regular|normal|non administrator)\b", text):
            filters.append(Filter(field="is_admin", op="==", value=False))
        elif search(r"\b(?:admin|admins|administrator|administrators|superuser)\b", text):
            filters.append(Filter(field="is_admin", op="==", value=True))
        ending = _email_ending(text)
        if ending:
            filters.append(Filter(field="email", op="endswith", value=ending))
        named = search(r"\b(?:named|called) (\S+)", text)
        if named:
            filters.append(Filter(field="name", op="==", value=u.original(*named.span(1))))
    if event in (EventName.PAYMENT_FAILED, EventName.PAYMENT_SUCCEEDED):
        found = comparison(text)
        if found:
            op, value, _ = found
            filters.append(Filter(field="amount", op=op, value=value))
        else:
            exact = search(rf"\b(?:of|for) ({NUMBER}) (?:dollars|bucks|usd|euros|pounds)\b", text)
            if exact:
                number = float(exact.group(1))
                value = int(number) if number.is_integer() else number
                filters.append(Filter(field="amount", op="==", value=value))
    return filters


def _email_ending(text: str) -> str | None:
    for word, domain in EMAIL_PROVIDERS.items():
        if search(rf"\b{word}\b", text):
            return domain
    domain = search(r"(?:^|\s)(@?[a-z0-9-]+(?:\.[a-z0-9-]+)+)\b", text)
    if domain and not domain.group(1)[0].isdigit():
        value = domain.group(1)
        return value if value.startswith("@") else "@" + value
    tld = search(rf"\b(?:ending|ends|end) (?:in|with) (?:a |an )?(?:dot )?({TOP_LEVEL})\b", text)
    if tld:
        return "." + tld.group(1)
    return None


# --- monitors on an object's own calls --------------------------------------------------------

#: What comes between "if"/"when" and the object's behaviour: the object's words.
_SUBJECT = r"(?:when|whenever|if|once|as soon as|in case|should) (?P<t>.+?)"
_ANY = (
    r"^(?:any|an|some|one of (?:the|my|our)|(?:any|one) of (?:the|my|our)) (?:\w+ )?"
    r"(?:objects?|endpoints?|widgets?|apis?|services?)$"
)
_FAILS = (
    r"(?:fails|fail|errors|errors out|throws(?: an)? errors?|returns errors|has errors|"
    r"gets errors|breaks|crashes)"
)
_MORE = rf"(?P<cmp>more than|over|above|at least) (?P<n>{NUMBER})"
_OBJECT_ERRORS = rf"{_SUBJECT} {_FAILS} {_MORE} (?:times|errors|failures)"
_OBJECT_ERRORS_COUNT = rf"{_SUBJECT} (?:has|gets|throws|returns) {_MORE} (?:errors|failures)"
_OBJECT_FAILING = (
    rf"{_SUBJECT} (?:starts failing|start failing|begins failing|is failing|are failing|"
    r"starts to fail|fails|is down|goes down|breaks|is broken|starts erroring|has errors|"
    r"starts throwing errors)\b"
)
_SLOWER = (
    rf"{_SUBJECT} (?:gets|is|becomes|goes|runs|responds|answers|starts being|turns)? ?"
    r"(?:slower than|takes (?:more|longer) than|is slower than|responds slower than|"
    r"has a latency (?:of )?(?:more than|over|above))"
    rf" (?:(?P<half>half a second)|(?P<n>{NUMBER}) ?"
    r"(?P<unit>ms|milliseconds?|millis|seconds?|secs?|s)\b)"
)
_CMP_OPS = {"more than": ">", "over": ">", "above": ">", "at least": ">="}


def _object_target(text: str, m: re.Match[str], u: Utterance) -> str | None:
    """The object's words ("weather widget"), or None for "any object"."""
    words = m.group("t")
    if search(_ANY, words):
        return None
    start, end = m.span("t")
    lead = ARTICLES.match(words)
    if lead:
        start += lead.end()
    return u.original(start, end) or None


def _object_monitor(u: Utterance, channel: str | None) -> Command | None:
    """ "text me if the weather widget fails more than 3 times in 5 minutes", "call me if the
    payment API gets slower than 500 ms", "email me when any object starts failing"."""
    text = u.low
    common = {"intent": Intent.MONITOR, "confidence": 0.9, "channel": channel}
    m = search(_OBJECT_ERRORS, text) or search(_OBJECT_ERRORS_COUNT, text)
    if m:
        return Command(
            **common,
            metric=Metric.OBJECT_ERRORS,
            op=_CMP_OPS[m.group("cmp")],
            value=float(m.group("n")) if "." in m.group("n") else int(m.group("n")),
            window_minutes=window_of(text[m.end() :]),
            target=_object_target(text, m, u),
        )
    m = search(_SLOWER, text)
    if m:
        if m.group("half"):
            ms = 500.0
        else:
            ms = float(m.group("n"))
            if not m.group("unit").startswith("m"):
                ms *= 1000
        return Command(
            **common,
            metric=Metric.OBJECT_LATENCY,
            op=">",
            value=int(ms) if ms.is_integer() else ms,
            window_minutes=window_of(text[m.end() :]),
            target=_object_target(text, m, u),
        )
    m = search(_OBJECT_FAILING, text)
    if m and (search(_ANY, m.group("t")) or not event_of(text)):
        # No number: "failing" is the settings' error rate (form_of fills it in).
        return Command(
            **common,
            metric=Metric.OBJECT_ERROR_RATE,
            op=">=",
            window_minutes=window_of(text[m.end() :]),
            target=_object_target(text, m, u),
        )
    return None


def parse_monitor(u: Utterance, *, weak: bool = False) -> Command | None:
    """A monitor command, or None. With `weak`, a request to be told of something the
    grammar can't name still counts, with low confidence (the LLM may know better)."""
    text = u.low
    channel = channel_of(text)
    asked = channel is not None or search(NOTIFY, text) is not None
    conditional = search(CONDITION, text) is not None
    watching = search(WATCH, text) is not None
    if not (
        watching
        or (asked and conditional)
        or (conditional and text.startswith(("when", "if", "whenever")))
    ):
        return None
    on_object = _object_monitor(u, channel)
    if on_object is not None:
        return on_object
    metric = _metric(text)
    if metric:
        name, op, value = metric
        return Command(
            intent=Intent.MONITOR,
            confidence=0.9,
            metric=name,
            op=op,
            value=value,
            window_minutes=window_of(text),
            channel=channel,
        )
    event = event_of(text)
    if event:
        return Command(
            intent=Intent.MONITOR,
            confidence=0.9 if (asked or watching) else 0.75,
            event=event,
            filters=_filters(u, event),
            channel=channel,
        )
    if weak and (asked or watching):
        return Command(intent=Intent.MONITOR, confidence=0.4, channel=channel)
    return None
