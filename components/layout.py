"""The frame of every signed-in page: navigation, page header (title left, actions right),
content. On a laptop the navigation is a sidebar; on a phone or tablet it folds into a top
bar whose menu button opens it as a drawer."""

from __future__ import annotations

import reflex as rx

from app import routes
from state.auth import AuthState

#: (label, route, lucide icon) of each navigation link, in order.
NAV_LINKS: list[tuple[str, str, str]] = [
    ("Dashboard", routes.DASHBOARD, "layout-dashboard"),
    ("Objects", routes.OBJECTS, "boxes"),
    ("Tasks", routes.TASKS, "list-checks"),
    ("Events", routes.EVENTS, "radio"),
    ("Audit log", routes.AUDIT, "scroll-text"),
    ("Calls and messages", routes.INTERACTIONS, "phone"),
    ("Monitors", routes.MONITORS, "bell-ring"),
    ("Notifications", routes.NOTIFICATIONS, "send"),
    ("API tokens", routes.TOKENS, "key-round"),
    ("Settings", routes.SETTINGS, "settings"),
]
SIDEBAR_WIDTH = "15em"


def _nav_link(label: str, route: str, icon: str) -> rx.Component:
    path = rx.State.router.page.path
    active = (path == route) if route == "/" else path.startswith(route)
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(label, size="3"),
            align="center",
            spacing="3",
            padding_x="0.75em",
            padding_y="0.5em",
            border_radius="var(--radius-2)",
            width="100%",
            background=rx.cond(active, rx.color("accent", 4), "transparent"),
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
            _hover={"background": rx.color("accent", 3)},
        ),
        href=route,
        underline="none",
        width="100%",
        class_name="nav-link",
        data_nav=label,
    )


def _user_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("circle-user", size=20),
            rx.vstack(
                rx.text(AuthState.user_name, weight="medium", size="2", id="nav-user-name"),
                rx.badge(AuthState.role, variant="soft", size="1", id="nav-user-role"),
                spacing="1",
            ),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.button(
                rx.icon("log-out", size=16),
                "Log out",
                variant="soft",
                color_scheme="gray",
                size="2",
                on_click=AuthState.log_out,
                id="logout-button",
            ),
            rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark mode"),
            align="center",
            justify="between",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _nav(**props) -> rx.Component:
    return rx.vstack(
        rx.heading("Durable objects", size="4", padding_x="0.75em"),
        rx.vstack(*[_nav_link(*link) for link in NAV_LINKS], spacing="1", width="100%"),
        rx.spacer(),
        rx.divider(),
        _user_box(),
        spacing="4",
        height="100%",
        width="100%",
        **props,
    )


def _sidebar() -> rx.Component:
    return rx.desktop_only(
        rx.box(
            _nav(id="sidebar"),
            width=SIDEBAR_WIDTH,
            min_width=SIDEBAR_WIDTH,
            height="100vh",
            position="sticky",
            top="0",
            padding="1.25em 0.75em",
            border_right=f"1px solid {rx.color('gray', 5)}",
            background=rx.color("gray", 2),
        ),
    )


def _top_bar() -> rx.Component:
    return rx.mobile_and_tablet(
        rx.hstack(
            rx.drawer.root(
                rx.drawer.trigger(
                    rx.icon_button(
                        rx.icon("menu"), variant="ghost", aria_label="Menu", id="menu-button"
                    )
                ),
                rx.drawer.overlay(z_index="5"),
                rx.drawer.portal(
                    rx.drawer.content(
                        _nav(id="drawer-nav"),
                        height="100%",
                        width="16em",
                        padding="1.25em 0.75em",
                        background=rx.color("gray", 2),
                        top="0",
                        left="0",
                        z_index="10",
                    ),
                ),
                direction="left",
            ),
            rx.heading("Durable objects", size="4"),
            rx.spacer(),
            rx.text(AuthState.user_name, size="2", color_scheme="gray"),
            align="center",
            spacing="3",
            padding="0.75em 1em",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            width="100%",
            id="top-bar",
        ),
    )


def page_header(
    title: str, actions: list[rx.Component] | None = None, subtitle: str = ""
) -> rx.Component:
    """Title (and subtitle) on the left, the page's actions on the right; wraps on a phone."""
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", id="page-title"),
            *([rx.text(subtitle, color_scheme="gray", id="page-subtitle")] if subtitle else []),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(*(actions or []), spacing="2", wrap="wrap", id="page-actions"),
        align="center",
        wrap="wrap",
        gap="3",
        width="100%",
    )


def page(
    title: str,
    *children: rx.Component,
    actions: list[rx.Component] | None = None,
    subtitle: str = "",
) -> rx.Component:
    """A signed-in page: navigation, the header with `title` and `actions`, then `children`."""
    return rx.flex(
        _sidebar(),
        rx.box(
            _top_bar(),
            rx.box(
                rx.vstack(
                    page_header(title, actions, subtitle),
                    *children,
                    spacing="5",
                    width="100%",
                ),
                padding=["1em", "1em", "1.5em", "2em"],
                max_width="80em",
                width="100%",
                margin_x="auto",
                id="page-content",
            ),
            flex="1",
            min_width="0",
        ),
        width="100%",
        min_height="100vh",
    )
