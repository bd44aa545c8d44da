"""The deterministic grammar: an utterance to a `Command` in well under a millisecond.

Rules are tried in a fixed order, the most specific first, so that "approve the change to
the weather widget" is an approval and not a modification, and "notify me when the database
has more than 1000 users" is a monitor and not a question. Each rule matches the normalised
words (see `normalise.py`) and takes its slots in the person's own spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.commands.manage import negated, parse_manage
from backend.commands.monitor import parse_monitor
from backend.commands.normalise import Utterance, normalise
from backend.commands.queries import names_payments, names_system, parse_query
from backend.commands.schema import Command
from backend.commands.slots import VERSION, match, object_words, search, spelled, version_of
from backend.enums import Intent, ObjectKind

FULL, PARTIAL, UNKNOWN = 0.9, 0.5, 0.2

HELP = (
    r"(?:help|help me|i need help|menu|commands|options|instructions|what now|"
    r"what can i (?:say|do|ask|ask you|tell you)|what can you do|what do you do|"
    r"what are (?:my|the) (?:options|commands)|how does this work|how do i use this|"
    r"what can you help (?:me )?with|what commands (?:are there|do you know|can i use))"
)
APPROVE = (
    r"(?:yes |i )?(?:approve|approved|accept|confirm|greenlight|green light|sign off on|"
    r"go ahead with|lgtm|allow)"
)
REJECT = (
    r"(?:no |i )?(?:reject|rejected|decline|deny|refuse|turn down|veto|dismiss|disapprove|"
    r"do not approve|throw out|discard)"
)
CHANGE_WORDS = r"(?:change|changes|modification|modifications|mod|request|update|edit|proposal)"
ID = (
    rf"(?:(?:the |that |this )?(?:{CHANGE_WORDS}|number|no|id|item|pr|pull request) )*"
    r"(?P<id>\d+)"
)
JUST_IT = (
    rf"(?:it|this|that|this one|that one|them|all|(?:the|this|that|my) (?:last |latest )?"
    rf"{CHANGE_WORDS})?"
)
REQUESTISH = (
    r"(?:the |my |our )?(?:last |latest |recent |current |pending |new )?"
    r"(?:request|change|modification|job|order|thing|update|requests|changes|modifications|"
    r"it|that|stuff)"
)
ROLL = r"(?:roll back|roll it back|revert|undo|go back|restore|rewind)"
PREVIOUS = r"(?:previous|last|prior|earlier|old|older|last good|last working)"
DEPLOY = (
    r"(?:deploy|redeploy|publish|release|ship|launch|push out|push|roll out|put out|"
    r"go live with)"
)
MODIFY = (
    r"(?:update|modify|change|edit|alter|adjust|tweak|fix|improve|extend|refactor|rewrite|"
    r"rework|amend|enhance|upgrade|patch|make changes to|make a change to)"
)
CREATE = (
    r"(?:create|build|make|write|generate|develop|design|set up|setup|add|code|code up|"
    r"put together|spin up|produce|implement|construct|whip up|give me|get me|i want|i need|"
    r"i would like|we need|we want|can i get|can i have|new)"
)
CREATE_MARKERS = frozenset(
    [
        "that",
        "which",
        "who",
        "to",
        "for",
        "with",
        "showing",
        "displaying",
        "listing",
        "where",
        "so",
        "using",
        "in",
        "on",
        "from",
        "of",
        "and",
        "called",
        "named",
    ]
)
GENERIC = frozenset(
    [
        "widget",
        "widgets",
        "dashboard",
        "api",
        "endpoint",
        "page",
        "service",
        "function",
        "tool",
        "app",
        "application",
        "script",
        "bot",
        "library",
        "module",
        "thing",
        "program",
        "component",
        "rest",
        "http",
        "web",
        "json",
        "simple",
        "small",
        "little",
        "basic",
        "quick",
        "new",
    ]
)
ADJECTIVES = frozenset(["new", "simple", "small", "little", "basic", "quick"])
KIND_WORDS = {
    ObjectKind.ENDPOINT: r"\b(?:endpoint|endpoints|api|apis|webhook|route)\b",
    ObjectKind.WIDGET: r"\b(?:widget|widgets|dashboard|dashboards|panel|chart|card|page|view)\b",
    ObjectKind.LIBRARY: r"\b(?:library|module|package|helper)\b",
    ObjectKind.MONITOR: r"\b(?:monitor|watcher)\b",
}


def _help(u: Utterance) -> Command | None:
    if match(HELP, u) or search(r"^what can (?:you do|i say)\b", u.low):
        return Command(intent=Intent.HELP, confidence=0.95)
    return None


def _decision(u: Utterance) -> Command | None:
    """approve / reject, with a change number, an object, or neither (the processor asks)."""
    m = match(rf"(?P<verb>{APPROVE}|{REJECT})(?: (?P<rest>.+))?", u)
    if not m:
        return None
    intent = Intent.REJECT if search(rf"^{REJECT}$", m.group("verb")) else Intent.APPROVE
    command = Command(intent=intent, confidence=FULL)
    rest = m.group("rest") or ""
    offset = m.start("rest") if m.group("rest") else len(u.low)
    if intent is Intent.REJECT:
        why = search(
            r"(?:^| )(?:because|since|as|due to|for being|(?:the )?reason(?: is)?)"
            r" (?P<why>.+)$",
            rest,
        )
        if why:
            command.reason = u.original(offset + why.start("why"), offset + why.end("why"))
            rest = rest[: why.start()]
    rest = rest.strip()
    number = search(rf"^{ID}$", rest)
    if number:
        command.modification_id = int(float(number.group("id")))
        return command
    if search(rf"^{JUST_IT}$", rest):
        command.confidence = 0.8
        return command
    target = search(
        rf"^(?:(?:the|my|that|this) )?(?:last |latest )?{CHANGE_WORDS} (?:to|for|on|of|in) "
        rf"(?P<t>.+)$|^(?P<t2>.+?) {CHANGE_WORDS}$",
        rest,
    )
    group = "t" if target and target.group("t") else "t2"
    shift = offset + (target.start(group) if target else 0)
    words = target.group(group) if target else rest
    command.target = _object(u, shift, shift + len(words))
    command.confidence = FULL if target else 0.7
    return command


def _object(u: Utterance, start: int, end: int) -> str | None:
    m = re.compile(r"(?P<t>.+)").match(u.low, start, end)
    return object_words(u, m) if m else None


def _rollback(u: Utterance) -> Command | None:
    patterns = (
        rf"{ROLL} (?:back )?(?:to )?(?:the )?{VERSION} (?:of|for) (?P<t>.+)",
        rf"{ROLL} (?:back )?to (?:the )?{PREVIOUS} version (?:of|for) (?P<t>.+)",
        rf"{ROLL} (?P<t>.+?) (?:back )?to (?:the )?{PREVIOUS} version",
        rf"{ROLL} (?P<t>.+?) (?:back )?to (?:the )?{VERSION}",
        rf"roll (?P<t>.+?) back(?: to (?:the )?(?:{VERSION}|{PREVIOUS} version))?",
        rf"{ROLL} (?:the )?(?:last|latest|previous|recent) (?:change|changes|update|deploy|"
        r"deployment|modification)(?: (?:to|on|of|in|for) (?P<t>.+))?",
        rf"{ROLL}(?: the)? (?:change|changes|update) (?:to|on|of|in|for) (?P<t>.+)",
        rf"{ROLL} (?P<t>.+)",
    )
    for pattern in patterns:
        m = match(pattern, u)
        if m:
            target = object_words(u, m) if "t" in m.groupdict() else None
            return Command(
                intent=Intent.ROLLBACK,
                confidence=FULL if target else PARTIAL,
                target=target,
                version=version_of(m),
            )
    if match(rf"{ROLL}(?: it)?", u):
        return Command(intent=Intent.ROLLBACK, confidence=PARTIAL)
    return None


def _deploy(u: Utterance) -> Command | None:
    patterns = (
        rf"{DEPLOY} (?:the )?{VERSION} (?:of|for) (?P<t>.+?)(?: (?:to )?(?:production|prod|live))?",
        rf"{DEPLOY} (?P<t>.+?) {VERSION}(?: (?:to )?(?:production|prod|live))?",
        rf"{DEPLOY} (?:the )?(?:latest|newest|current|new) version of (?P<t>.+?)"
        r"(?: (?:to )?(?:production|prod|live))?",
        rf"{DEPLOY} (?P<t>.+?)(?: (?:to|into|on) (?:production|prod|the server|the cloud)| live)?",
        r"(?:make|put|take|push|get) (?P<t>.+?) live",
    )
    for pattern in patterns:
        m = match(pattern, u)
        if m:
            target = object_words(u, m)
            if target and target.lower() in {"it", "this", "that"}:
                target = None
            return Command(
                intent=Intent.DEPLOY,
                confidence=FULL if target else PARTIAL,
                target=target,
                version=version_of(m),
            )
    if match(rf"{DEPLOY}(?: it)?", u):
        return Command(intent=Intent.DEPLOY, confidence=PARTIAL)
    return None


def _status_target(u: Utterance, m: re.Match[str]) -> Command | None:
    """Status of the person's request (no target), of an object, or None where the words
    name the payment system or the whole system (those are questions, see queries.py)."""
    words = m.group("t") if m and m.groupdict().get("t") else None
    if words is None or search(rf"^{REQUESTISH}$", words):
        return Command(intent=Intent.STATUS, confidence=0.85)
    if names_payments(words) and search(r"\b(?:api|endpoint)$", words):
        # "the payment API" may be an object: the assistant answers from its calls, or
        # about payments when no object is called that.
        return Command(intent=Intent.HEALTH, confidence=FULL, target=object_words(u, m))
    if names_payments(words) or names_system(words):
        return None
    trimmed = re.compile(rf"(?P<t>.+?)(?: {CHANGE_WORDS})?$").fullmatch(u.low, *m.span("t"))
    return Command(intent=Intent.STATUS, confidence=FULL, target=object_words(u, trimmed))


OBJECTS = r"(?:objects?|endpoints?|widgets?|apis?|services?|things|durable objects)"
FAILING = (
    r"(?:failing|broken|erroring|throwing errors|down|slow|unhealthy|"
    r"having (?:problems|issues))"
)


def _health(u: Utterance) -> Command | None:
    """How an object is doing ("how is the weather widget doing?", "is the payment API
    failing?"), or which are failing ("which objects are failing?")."""
    if search(
        rf"^(?:which|what) (?:{OBJECTS} )?(?:are|is) {FAILING}\b"
        rf"|^(?:are |is )?(?:there )?any {OBJECTS} {FAILING}\b"
        rf"|^(?:list|show)(?: me)? (?:the )?(?:failing|broken|slow) {OBJECTS}\b"
        rf"|^(?:failing|broken) {OBJECTS}$",
        u.low,
    ):
        return Command(intent=Intent.HEALTH, confidence=FULL)
    patterns = (
        r"how is (?P<t>.+?) (?:doing|performing|behaving|holding up|running)(?: today| now)?",
        r"how (?:healthy|fast|slow|reliable) is (?P<t>.+)",
        r"(?:what is |give me |tell me |check )?(?:the )?(?:health|error rate|latency)"
        r"(?: report)? (?:of|for|on) (?P<t>.+)",
        rf"(?:is|are) (?P<t>.+?) (?:{FAILING}|healthy|okay|ok|working (?:okay|ok|fine|well))"
        r"(?: right now| now| today)?",
        r"(?P<t>.+?) (?:health|error rate|latency)",
    )
    for pattern in patterns:
        m = match(pattern, u)
        if m:
            words = m.group("t")
            if (
                search(rf"^{REQUESTISH}$", words)
                or (names_payments(words) and not search(r"\b(?:api|endpoint)$", words))
                or names_system(words)
                or search(r"^(?:you|i|we|everything|things|anything|something|it)$", words)
            ):
                return None
            return Command(intent=Intent.HEALTH, confidence=FULL, target=object_words(u, m))
    return None


def _status(u: Utterance) -> Command | None:
    patterns = (
        r"(?:what is |give me |tell me |check )?(?:the |an? )?(?:current |latest )?"
        r"(?:status|progress|state)(?: update| report)?(?: (?:of|on|for|with) (?P<t>.+))?",
        r"how is (?P<t>.+?) (?:going|coming along|coming|doing|progressing|looking)"
        r"(?: so far)?",
        r"(?:is|are) (?P<t>.+?) (?:done|ready|finished|complete|completed|approved|deployed|"
        r"live|working)(?: yet)?",
        r"any (?:news|updates?|progress)(?: (?:on|about|with|for) (?P<t>.+))?",
        r"(?:where are we|where am i) (?:with|on) (?P<t>.+)",
        r"what happened (?:to|with) (?P<t>.+)",
        r"what is (?:going on|happening|up) (?:to|with) (?P<t>.+)",
        r"check (?:on )?(?P<t>.+)",
        r"(?P<t>.+?) status",
    )
    for pattern in patterns:
        m = match(pattern, u)
        if m:
            return _status_target(u, m)
    return None


def _modify(u: Utterance) -> Command | None:
    m = match(
        rf"(?P<verb>{MODIFY}) (?P<t>.+?) (?:so that it|so that|so it|so|such that|"
        r"in order to|to|and make it|and have it|and let it|and) (?P<i>.+)",
        u,
    )
    if m:
        inner = search(r" (?:of|in|on) (?:the|my|our) ", m.group("t"))
        if inner and m.group("verb") in {"change", "update", "edit", "fix", "adjust", "tweak"}:
            # "change the title of the weather widget to Forecast": the object is the
            # weather widget; what changes is the title.
            start = m.start("t")
            part = u.original(start, start + inner.start())
            instruction = f"{m.group('verb')} {part} to {spelled(u, m, 'i')}"
            target = _object(u, start + inner.start() + 4, m.end("t"))
            return Command(
                intent=Intent.MODIFY, confidence=FULL, target=target, instruction=instruction
            )
        return _modification(u, m, spelled(u, m, "i"))
    m = match(r"(?:add|include|put) (?P<x>.+?) (?:to|in|into|on) (?P<t>(?:the|my|our) .+)", u)
    if m:
        return _modification(u, m, f"add {spelled(u, m, 'x')}")
    m = match(r"(?:remove|delete|drop|take out|get rid of) (?P<x>.+?) from (?P<t>.+)", u)
    if m:
        return _modification(u, m, f"remove {spelled(u, m, 'x')}")
    m = match(
        r"(?:in|on|for) (?P<t>(?:the|my|our) .+?) (?P<i>(?:change|update|add|remove|make|"
        r"replace|rename|use|show|fix|let) .+)",
        u,
    )
    if m:
        return _modification(u, m, spelled(u, m, "i"))
    m = match(
        r"make (?P<t>(?:the|my|our) .+?) (?P<i>(?:show|display|use|support|accept|include|"
        r"return|handle|respond|say|print|list|be|look|work|run|load|send|count|sort|store|"
        r"take|allow|reject|ignore|validate|cache|log|faster|slower|bigger|smaller) ?.*)",
        u,
    )
    if m:
        return _modification(u, m, spelled(u, m, "i"))
    m = match(rf"{MODIFY} (?P<t>.+)", u)
    if m:
        return Command(intent=Intent.MODIFY, confidence=PARTIAL, target=object_words(u, m))
    return None


def _modification(u: Utterance, m: re.Match[str], instruction: str | None) -> Command:
    target = object_words(u, m)
    complete = bool(target and instruction)
    return Command(
        intent=Intent.MODIFY,
        confidence=FULL if complete else PARTIAL,
        target=target,
        instruction=instruction,
    )


def _create(u: Utterance) -> Command | None:
    m = match(rf"(?:help me |let us )?{CREATE}(?: me| us)? (?P<d>.+)", u)
    if not m:
        return None
    description = spelled(u, m, "d")
    words = m.group("d").split()
    spelled_words = (description or "").split()
    if len(spelled_words) != len(words):  # a number said in words: keep it simple
        spelled_words = words
    return Command(
        intent=Intent.CREATE,
        confidence=FULL,
        name=_name(words, spelled_words),
        description=description,
        kind=_kind(words),
    )


def _head(words: list[str]) -> int:
    """How many words name the thing (before "that", "for", "with", ...)."""
    for index, word in enumerate(words):
        if word in CREATE_MARKERS and index > 0:
            return index
    return len(words)


def _name(words: list[str], spelled_words: list[str]) -> str | None:
    """A short name: "weather widget that shows the forecast" -> "Weather widget"."""
    called = next(
        (i for i, w in enumerate(words) if w in {"called", "named"} and i + 1 < len(words)), None
    )
    if called is not None:
        name = " ".join(spelled_words[called + 1 : called + 5])
        return name[:1].upper() + name[1:]
    start = 0
    while start < len(words) and (
        words[start] in {"a", "an", "the", "some", "me", "my", "our"} or words[start] in ADJECTIVES
    ):
        start += 1
    words, spelled_words = words[start:], spelled_words[start:]
    if not words:
        return None
    head = _head(words)
    end = head
    if all(word in GENERIC for word in words[:head]):
        end = min(len(words), head + 4)
    name = " ".join(spelled_words[: min(end, 6)])
    return name[:1].upper() + name[1:]


def _kind(words: list[str]) -> ObjectKind | None:
    """From the words naming the thing, else from its last word ("a quote of the day widget")."""
    for words_naming in (" ".join(words[: _head(words)]), words[-1] if words else ""):
        for kind, pattern in KIND_WORDS.items():
            if search(pattern, words_naming):
                return kind
    return None


def _monitor(u: Utterance) -> Command | None:
    return parse_monitor(u)


def _weak_monitor(u: Utterance) -> Command | None:
    return parse_monitor(u, weak=True)


# The order matters; see the module's docstring.
RULES: tuple[Callable[[Utterance], Command | None], ...] = (
    _help,
    parse_manage,
    _decision,
    _monitor,
    _rollback,
    _deploy,
    _health,
    _status,
    parse_query,
    _modify,
    _create,
    _weak_monitor,
)


#: Readings a negated sentence never gets: "stop calling me about new users" is not a
#: question about new users nor a new monitor, "don't deploy it" is not a deploy.
NEVER_NEGATED = frozenset({Intent.QUERY, Intent.MONITOR})
NEVER_AFTER_NEGATION = frozenset(
    {Intent.CREATE, Intent.MODIFY, Intent.DEPLOY, Intent.ROLLBACK, Intent.APPROVE}
)


def refuses_negation(text: str, command: Command) -> bool:
    """Whether `command` reads `text` as the very thing it negates (an LLM's reading of
    "don't text me about payments" as a new monitor is refused like the grammar's)."""
    return _refuses_negation(normalise(text), command)


def _refuses_negation(u: Utterance, command: Command) -> bool:
    intent = Intent(command.intent)
    if intent in NEVER_NEGATED:
        return negated(u)
    return intent in NEVER_AFTER_NEGATION and negated(u, at_start=True)


def parse_grammar(text: str) -> Command:
    """Understand one utterance with the grammar alone (no LLM)."""
    u = normalise(text)
    for rule in RULES:
        command = rule(u)
        if command is not None:
            if _refuses_negation(u, command):
                break  # not understood, rather than the thing negated
            command.text = u.text
            return command
    return Command(intent=Intent.UNKNOWN, confidence=UNKNOWN if u.words else 0.0, text=u.text)
