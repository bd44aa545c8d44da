"""The Health tab: the last hour of calls, minute by minute (calls and errors, latency
percentiles, calls by version), deploys marked on the time axis, then the numbers per function
and per version. Read when the tab opens; "Refresh" reads again."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state, loading
from components.error_banner import error_if
from components.stat_card import stat_card
from state.object_health import ObjectHealthState as H

GREEN, RED, AMBER = "#30a46c", "#e5484d", "#ad5700"
LATENCY = (("p50", "p50", "#0090ff"), ("p95", "p95", "#8e4ec6"), ("p99", "p99", "#e54666"))


def _deploy_line(deploy: rx.Var) -> rx.Component:
    return rx.recharts.reference_line(
        x=deploy["minute"],
        stroke=AMBER,
        stroke_dasharray="4 2",
        label=deploy["label"],
        if_overflow="extendDomain",
    )


def _axes(unit: str = "") -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="minute", min_tick_gap=24),
        rx.recharts.y_axis(allow_decimals=False, unit=unit, width=60),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.foreach(H.deploys, _deploy_line),
    ]


def _chart(title: str, chart: rx.Component, chart_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"),
        rx.box(chart, width="100%", role="img", aria_label=title, id=chart_id),
        width="100%",
        spacing="1",
    )


def _calls_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="ok", name="answered", stack_id="calls", fill=GREEN),
        rx.recharts.bar(data_key="errors", name="failed", stack_id="calls", fill=RED),
        *_axes(),
        data=H.points,
        height=220,
        width="100%",
    )


def _latency_chart() -> rx.Component:
    return rx.recharts.line_chart(
        *[
            rx.recharts.line(data_key=key, name=name, stroke=colour, dot=False, type_="monotone")
            for key, name, colour in LATENCY
        ],
        *_axes(" ms"),
        data=H.points,
        height=220,
        width="100%",
    )


def _version_bar(version: rx.Var) -> rx.Component:
    return rx.recharts.bar(
        data_key=version["key"], name=version["key"], stack_id="versions", fill=version["colour"]
    )


def _versions_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.foreach(H.versions, _version_bar),
        *_axes(),
        data=H.points,
        height=180,
        width="100%",
    )


def _summary() -> rx.Component:
    s = H.summary
    return rx.flex(
        stat_card("Calls (last hour)", s.calls, icon="activity", id="health-calls"),
        stat_card("Errors", s.errors, icon="circle-x", id="health-errors"),
        stat_card("Error rate", s.error_rate, icon="percent", id="health-error-rate"),
        stat_card("p50", s.p50, icon="timer", id="health-p50"),
        stat_card("p95", s.p95, icon="timer", id="health-p95"),
        stat_card("p99", s.p99, icon="timer", id="health-p99"),
        wrap="wrap",
        gap="3",
        width="100%",
    )


def _table(title: str, rows: rx.Var, table_id: str) -> rx.Component:
    header = ["", "Calls", "Errors", "Rate", "Kinds", "p50", "p95", "p99"]
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(title),
                *[rx.table.column_header_cell(name) for name in header[1:]],
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda row: rx.table.row(
                    rx.table.row_header_cell(rx.code(row.label)),
                    rx.table.cell(row.calls),
                    rx.table.cell(row.errors),
                    rx.table.cell(row.error_rate),
                    rx.table.cell(row.kinds),
                    rx.table.cell(row.p50),
                    rx.table.cell(row.p95),
                    rx.table.cell(row.p99),
                ),
            )
        ),
        width="100%",
        size="1",
        id=table_id,
    )


def _last_error() -> rx.Component:
    return rx.cond(
        H.summary.last_error != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert", size=16)),
            rx.callout.text("Last error (", H.last_error_when, "): ", H.summary.last_error),
            color_scheme="red",
            size="1",
            width="100%",
            id="health-last-error",
        ),
    )


def _charts() -> rx.Component:
    return rx.vstack(
        _summary(),
        _last_error(),
        _chart("Calls and errors per minute", _calls_chart(), "health-calls-chart"),
        _chart("Latency percentiles", _latency_chart(), "health-latency-chart"),
        _chart("Calls by version", _versions_chart(), "health-versions-chart"),
        rx.text(
            "Dashed lines mark deploys. Times are UTC; percentiles are exact to the width of a "
            "latency bucket.",
            size="1",
            color_scheme="gray",
        ),
        _table("Function", H.by_function, "health-by-function"),
        _table("Version", H.by_version, "health-by-version"),
        width="100%",
        spacing="4",
        id="health-charts",
    )


def health_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("The last hour of calls, minute by minute.", size="2"),
            rx.spacer(),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Refresh",
                size="1",
                variant="soft",
                loading=H.reading,
                on_click=H.load,
                id="health-refresh",
            ),
            width="100%",
            align="center",
        ),
        error_if(H.error, id="health-error"),
        rx.cond(
            H.loaded,
            rx.cond(
                H.empty_note != "",
                empty_state("No calls yet", H.empty_note, icon="activity", id="health-empty"),
                _charts(),
            ),
            loading(id="health-loading"),
        ),
        width="100%",
        spacing="3",
        on_mount=H.load,
    )
