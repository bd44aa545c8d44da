"""What the settings page shows: features, limits in force, the sandbox tier (no secrets)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from backend.config import Settings, get_settings
from backend.llm import client as llm_client
from backend.sandbox import sandbox_status
from backend.urls import console_urls

FEATURE_LABELS = {
    "llm": "LLM (plans, code, judges)",
    "twilio": "Twilio (voice and SMS)",
    "smtp": "Email (SMTP)",
    "slack": "Slack",
    "github": "GitHub issues",
}


@dataclasses.dataclass
class FeatureRow:
    key: str
    label: str
    configured: bool
    message: str  # what it needs, when not configured


@dataclasses.dataclass
class ChannelRow:
    """Email, Slack or GitHub: whether it is configured and its vendor check passed."""

    key: str
    label: str
    configured: bool
    ok: bool
    detail: str  # the from address, the Slack channel, the repository's full name
    message: str
    url: str


@dataclasses.dataclass
class WebhookRow:
    """What to paste where in Twilio's console."""

    label: str
    url: str


@dataclasses.dataclass
class LimitRow:
    label: str
    value: str


@dataclasses.dataclass
class TwilioStatus:
    configured: bool
    message: str
    webhooks: list[WebhookRow]


@dataclasses.dataclass
class SandboxTier:
    tier: str
    safe: bool
    message: str


@dataclasses.dataclass
class SettingsOverview:
    """The settings page, but for the person's own profile (`read_models.accounts`)."""

    twilio: TwilioStatus
    channels: list[ChannelRow]
    features: list[FeatureRow]
    limits: list[LimitRow]
    sandbox: SandboxTier


def _llm_judges(settings: Settings) -> str:
    """On only when both asked for (LLM_JUDGES) and possible (an LLM is configured)."""
    if not settings.llm_judges:
        return "off (LLM_JUDGES=0)"
    if not llm_client.is_configured(settings):
        return "off: no LLM is configured (set OPENAI_BASE_URL or OPENAI_API_KEY)"
    return "on"


def _email(settings: Settings) -> dict[str, Any]:
    """Email: nothing to ask the server for; where it is sent from and through."""
    feature = settings.features["smtp"]
    configured = bool(feature["configured"])
    security = "SSL" if settings.smtp_port == 465 else "STARTTLS when offered"
    login = f", login {settings.smtp_username}" if settings.smtp_username else ""
    return {
        "key": "email",
        "label": FEATURE_LABELS["smtp"],
        "configured": configured,
        "ok": configured,
        "detail": f"from {settings.from_email}" if configured else "",
        "message": f"via {settings.smtp_host}:{settings.smtp_port} ({security}{login})"
        if configured
        else str(feature["message"]),
        "url": "",
    }


def _slack(settings: Settings, check: dict[str, Any] | None) -> dict[str, Any]:
    """Slack: the channel check's answer (the channel's name, or why it failed)."""
    feature = settings.features["slack"]
    row = {"key": "slack", "label": FEATURE_LABELS["slack"], "url": ""}
    if check is None:
        return {
            **row,
            "configured": False,
            "ok": False,
            "detail": "",
            "message": feature["message"],
        }
    channel = check.get("channel") or ""
    name = check.get("name") or ""
    detail = f"#{name} ({channel})" if name and name != channel.lstrip("#") else channel
    if check.get("ok"):
        message = "channel found" if check.get("checked") else "channel name not checked"
    else:
        message = str(check.get("error") or "the check failed")
    return {
        **row,
        "configured": True,
        "ok": bool(check.get("ok")),
        "detail": detail,
        "message": message,
    }


def _github(settings: Settings, check: dict[str, Any] | None) -> dict[str, Any]:
    """GitHub: the repository check's answer (its full name and page, or why it failed)."""
    feature = settings.features["github"]
    row = {"key": "github", "label": FEATURE_LABELS["github"]}
    if check is None:
        return {
            **row,
            "configured": False,
            "ok": False,
            "detail": "",
            "url": "",
            "message": feature["message"],
        }
    ok = bool(check.get("ok"))
    labels = settings.github_labels.strip() or "none"
    return {
        **row,
        "configured": True,
        "ok": ok,
        "detail": str(check.get("repo") or settings.github_repo),
        "message": f"issues labelled {labels}" if ok else str(check.get("error")),
        "url": str(check.get("url") or ""),
    }


def channels_overview(settings: Settings | None = None) -> list[ChannelRow]:
    """Email, Slack and GitHub as the settings page shows them.

    The Slack and GitHub checks (one request each per process, `backend.channels.checks`)
    run side by side, and a vendor that is down is reported in its row, never raised.
    """
    # Their modules bring PyGithub and slack_sdk: imported when the page is first shown, not
    # by every process that imports the web app's states.
    from backend.channels.github import check_github_repo
    from backend.channels.slack import check_slack_channel

    settings = settings or get_settings()
    wanted = {
        "slack": (settings.features["slack"]["configured"], check_slack_channel),
        "github": (settings.features["github"]["configured"], check_github_repo),
    }
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="settings-check") as pool:
        futures = {key: pool.submit(check) for key, (on, check) in wanted.items() if on}
        results = {key: future.result() for key, future in futures.items()}
    rows = [
        _email(settings),
        _slack(settings, results.get("slack")),
        _github(settings, results.get("github")),
    ]
    return [ChannelRow(**{**row, "message": str(row["message"])}) for row in rows]


def settings_overview() -> SettingsOverview:
    """Features configured or not (and what each needs), evaluator thresholds, attempt
    limits, LLM budget, the sandbox tier, the webhook URLs to paste into Twilio's console,
    and the email, Slack and GitHub channels (`channels_overview`). Values only; never a
    key or a password."""
    settings = get_settings()
    features = [
        FeatureRow(
            key=key,
            label=FEATURE_LABELS.get(key, key),
            configured=bool(report["configured"]),
            message=str(report["message"]),
        )
        for key, report in settings.features.items()
    ]
    limits = [
        ("Preference threshold", f"{settings.threshold_preference:.2f}"),
        ("Constraints threshold", f"{settings.threshold_constraints:.2f}"),
        ("Factuality threshold", f"{settings.threshold_factuality:.2f}"),
        ("Generation attempts per modification", str(settings.max_attempts)),
        ("LLM budget per modification", f"${settings.llm_budget_usd:.2f}"),
        ("LLM judges", _llm_judges(settings)),
        (
            "Sandbox CPU / wall time per call",
            f"{settings.sandbox_cpu_seconds:g} s / {settings.sandbox_wall_seconds:g} s",
        ),
        ("Sandbox memory per call", f"{settings.sandbox_memory_mb} MiB"),
    ]
    sandbox = sandbox_status()
    twilio = settings.features["twilio"]
    return SettingsOverview(
        twilio=TwilioStatus(
            configured=bool(twilio["configured"]),
            message=str(twilio["message"]),
            webhooks=[WebhookRow(**row) for row in console_urls()],
        ),
        channels=channels_overview(settings),
        features=features,
        limits=[LimitRow(label, value) for label, value in limits],
        sandbox=SandboxTier(
            tier=str(sandbox["tier"]), safe=bool(sandbox["safe"]), message=str(sandbox["message"])
        ),
    )
