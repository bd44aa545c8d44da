"""Calls and messages: conversations between people's numbers and the product, live.

One card per call (its turns share a CallSid) or text thread, newest first; in each, the
turns in order: what the person said, what the product answered, and how it went. A member
sees their own; an admin everybody's, and may pick one person (the backend decides, see
`backend.read_models.interactions`). Long sentences wrap: nothing is cut off at any width.
"""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state, loading
from components.error_banner import error_if
from components.layout import page
from state.auth import AuthState
from state.interactions import ALL, STRANGERS, InteractionsState

S = InteractionsState
EMPTY = "No calls or messages yet: the settings page shows the webhook URLs to paste into Twilio."
#: Text that wraps anywhere it must (a long number, a URL) rather than overflow its card.
WRAP = {"white_space": "pre-wrap", "overflow_wrap": "anywhere", "word_break": "break-word"}


def _said(turn: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(
            rx.cond(turn.direction == "out", "We called: ", "They said: "),
            size="1",
            weight="bold",
            color_scheme="gray",
            as_="span",
        ),
        rx.text(
            rx.cond(turn.transcript != "", turn.transcript, "(nothing said)"),
            as_="span",
            class_name="turn-transcript",
            **WRAP,
        ),
        rx.cond(
            turn.confidence != "",
            rx.text(" (confidence ", turn.confidence, ")", size="1", as_="span"),
        ),
        rx.cond(
            turn.intent != "",
            rx.text(" · understood as ", rx.code(turn.intent), size="1", as_="span"),
        ),
        size="2",
    )


def _turn(turn: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                rx.text(turn.created, size="1", color_scheme="gray", white_space="nowrap"),
                rx.cond(
                    turn.outcome != "",
                    rx.badge(turn.outcome, variant="soft", class_name="turn-outcome"),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            _said(turn),
            rx.cond(
                turn.reply != "",
                rx.box(
                    rx.text("We answered: ", size="1", weight="bold", as_="span"),
                    rx.text(turn.reply, as_="span", class_name="turn-reply", **WRAP),
                    size="2",
                ),
            ),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        class_name="conversation-turn",
        padding_y="0.5em",
        border_top=f"1px solid {rx.color('gray', 4)}",
    )


def _card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(
                    rx.cond(card.channel == "voice", "Call", "Texts"),
                    color_scheme=rx.cond(card.channel == "voice", "blue", "grass"),
                    class_name="conversation-channel",
                ),
                rx.text(
                    rx.cond(card.person != "", card.person, "Unknown caller"),
                    weight="bold",
                    class_name="conversation-person",
                ),
                rx.text(
                    card.phone, size="2", white_space="nowrap", class_name="conversation-phone"
                ),
                rx.text(
                    card.started,
                    rx.cond(card.ended != card.started, " to " + card.ended, ""),
                    size="1",
                    color_scheme="gray",
                ),
                rx.text(
                    card.turns.length().to_string(),
                    rx.cond(card.turns.length() == 1, " turn", " turns"),
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    card.sid != "",
                    rx.text(card.sid, size="1", font_family="monospace", **WRAP),
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.el.ol(
                rx.foreach(card.turns, _turn),
                list_style="none",
                padding="0",
                margin="0",
                width="100%",
                aria_label="Turns, oldest first",
            ),
            spacing="2",
            width="100%",
            min_width="0",
        ),
        width="100%",
        id="conversation-" + card.key,
        class_name="conversation conversation-" + card.channel,
    )


def _filters() -> list[rx.Component]:
    channel = rx.hstack(
        rx.text("Channel", size="2", color_scheme="gray"),
        rx.select(
            S.channel_choices,
            value=S.channel,
            on_change=S.set_channel_filter,
            id="interactions-channel-filter",
            custom_attrs={"aria-label": "Channel"},
        ),
        align="center",
        spacing="2",
    )
    # Only an admin is given people to pick (the backend lists them for admins only).
    person = rx.cond(
        S.people.length() > 0,
        rx.hstack(
            rx.text("Person", size="2", color_scheme="gray"),
            rx.select.root(
                rx.select.trigger(
                    id="interactions-person-filter", custom_attrs={"aria-label": "Person"}
                ),
                rx.select.content(
                    rx.select.item("everybody", value=ALL),
                    rx.select.item("unknown numbers", value=STRANGERS),
                    rx.foreach(
                        S.people,
                        lambda p: rx.select.item(p.name, value=p.id.to_string()),
                    ),
                ),
                value=S.person,
                on_change=S.set_person_filter,
            ),
            align="center",
            spacing="2",
        ),
    )
    return [channel, person]


def _body() -> rx.Component:
    return rx.vstack(
        error_if(S.live_error, id="interactions-error"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.conversations.length() > 0,
                rx.vstack(
                    rx.foreach(S.conversations, _card),
                    width="100%",
                    spacing="3",
                    id="conversations",
                ),
                empty_state("No calls or messages", EMPTY, icon="phone", id="interactions-empty"),
            ),
            loading(),
        ),
        width="100%",
        min_width="0",
    )


def interactions() -> rx.Component:
    return page(
        "Calls and messages",
        _body(),
        actions=_filters(),
        subtitle="Each call and text thread, newest first, with its turns in order: your own, "
        "or everybody's for an admin.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        interactions,
        route=routes.INTERACTIONS,
        title="Calls and messages",
        on_load=[AuthState.require_login, InteractionsState.start_live],
    )
