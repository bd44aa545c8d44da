"""Questions about the system: "how many users are in the database?", "what's the status
of the payment system?", "show me the latest user registrations"."""

from __future__ import annotations

from backend.commands.normalise import Utterance
from backend.commands.schema import Command
from backend.commands.slots import search
from backend.enums import Intent, QuerySubject

PEOPLE = r"(?:users?|people|accounts?|members?|customers?|sign ups|signups|registrations?)"
PAYMENTS = (
    r"(?:payments?|payment (?:system|service|processing|processor|provider|gateway|api)|"
    r"billing|billing system|payment)"
)
SYSTEM = r"(?:system|app|application|service|server|servers|site|platform|product|everything)"

# Each subject and the phrasings that ask for it, checked in this order.
SUBJECTS: tuple[tuple[QuerySubject, str], ...] = (
    (
        QuerySubject.USERS_COUNT,
        rf"\bhow many (?:\w+ ){{0,2}}{PEOPLE}\b|\b(?:user|users|member|account|customer) "
        rf"(?:count|total|number)\b|\bnumber of (?:\w+ )?{PEOPLE}\b|\bcount (?:of |the |all )*"
        rf"(?:users|accounts)\b|\btotal (?:\w+ )?(?:users|accounts|members|customers)\b"
        r"|\b(?:how big is|size of) (?:the |our |my )?user ?base\b",
    ),
    (
        QuerySubject.PAYMENTS_STATUS,
        rf"\b(?:status|state|health) (?:of|on) (?:the |our |my )?{PAYMENTS}\b"
        r"|\bpayments? (?:system |service |processing |processor |gateway )?(?:status|health)\b"
        rf"|\bhow (?:are|is) (?:the |our )?{PAYMENTS}\b"
        rf"|\b(?:are|is) (?:the |our )?{PAYMENTS} (?:working|okay|up|down|failing|healthy|running|"
        r"fine|alright|all right|broken)\b|\bany (?:failed|failing|declined) payments\b"
        r"|\bhow many payments\b|\bpayments? (?:problems|issues|failures)\b"
        rf"|\b(?:up|going on|happening) with (?:the |my |our )?{PAYMENTS}\b",
    ),
    (
        QuerySubject.USERS_LATEST,
        r"\b(?:latest|newest|recent|last|most recent|new|recently registered|recently joined)"
        r" (?:\w+ )?(?:users?|registrations?|sign ups|signups|accounts|members|customers)\b"
        r"|\bwho (?:has |have )?(?:just |recently )?(?:signed up|sign up|joined|registered)\b"
        r"|\bwho is (?:the )?(?:newest|latest|last) (?:user|member|customer)\b|\banyone new\b"
        r"|\b(?:sign ups|registrations) (?:today|recently|lately|this week)\b",
    ),
    (
        QuerySubject.MONITORS_LIST,
        r"\b(?:what|which|list|show|see|any)\b.*\b(?:monitors|alerts|notifications|watches|"
        r"subscriptions|watchers)\b|\bwhat am i (?:watching|monitoring|subscribed to|following)\b"
        r"|\bwhat are you (?:watching|monitoring)\b|\bmy (?:monitors|alerts)\b",
    ),
    (
        QuerySubject.TASKS_LATEST,
        r"\b(?:latest|last|recent|current|newest|most recent|running) (?:background )?"
        r"(?:task|tasks|job|jobs)\b|\bwhat are you (?:working on|doing|up to|busy with)\b"
        r"|\bwhat is (?:running|in progress|happening in the background)\b"
        r"|\b(?:task|job) (?:status|queue|list)\b|\bany (?:tasks|jobs) running\b"
        r"|\bwhat (?:tasks|jobs)\b|\b(?:list|show) (?:me )?(?:the |my )?(?:tasks|jobs)\b",
    ),
    (
        QuerySubject.OBJECTS_LIST,
        r"\b(?:list|show|what|which|tell me)\b.*\b(?:objects|widgets|endpoints|libraries|"
        r"durable objects)\b|\bwhat (?:have i|did i|have we|did we) (?:built|build|made|make|"
        r"created|create)\b|\bwhat (?:do i have|have i got)\b|\bmy (?:objects|stuff)\b",
    ),
    (
        QuerySubject.SYSTEM_STATUS,
        rf"\b(?:is|are) (?:everything|all|it all|things|the {SYSTEM}|all systems) (?:okay|"
        r"alright|all right|fine|good|working|up|running|healthy|operational|online|down|go)\b"
        rf"|\bsystem (?:status|health|check)\b|\b(?:status|health|state) (?:of|on) "
        rf"(?:the |our )?{SYSTEM}\b|\bhow is (?:the |our )?{SYSTEM}\b|\bhealth ?check\b"
        r"|\bare you (?:up|okay|alive|working|running|there|online)\b"
        r"|\bany (?:problems|issues|errors|outages|incidents)\b|\bhow are things\b"
        r"|\bis (?:anything|something) (?:broken|down|wrong)\b"
        r"|\beverything (?:is )?(?:okay|alright|good|fine|working)\b|\ball systems\b",
    ),
)


def parse_query(u: Utterance) -> Command | None:
    for subject, pattern in SUBJECTS:
        if search(pattern, u.low):
            return Command(intent=Intent.QUERY, confidence=0.9, subject=subject)
    return None


def names_payments(words: str) -> bool:
    """Whether an object's name is really the payment system ("status of the payments")."""
    return search(rf"^(?:the |our |my )?{PAYMENTS}$", words) is not None


def names_system(words: str) -> bool:
    return search(rf"^(?:the |our |my )?{SYSTEM}$", words) is not None
