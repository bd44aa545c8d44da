"""What the settings page shows: features, limits in force, the sandbox tier (no secrets)."""

from __future__ import annotations

from typing import Any

from backend.config import Settings, get_settings
from backend.llm import client as llm_client
from backend.sandbox import sandbox_status
from backend.webhook_urls import console_urls

FEATURE_LABELS = {
    "llm": "LLM (plans, code, judges)",
    "twilio": "Twilio (voice and SMS)",
    "smtp": "Email (SMTP)",
    "slack": "Slack",
    "github": "GitHub issues",
}


def _llm_judges(settings: Settings) -> str:
    """On only when both asked for (LLM_JUDGES) and possible (an LLM is configured)."""
    if not settings.llm_judges:
        return "off (LLM_JUDGES=0)"
    if not llm_client.is_configured(settings):
        return "off: no LLM is configured (set OPENAI_BASE_URL or OPENAI_API_KEY)"
    return "on"


def settings_overview() -> dict[str, Any]:
    """Features configured or not (and what each needs), evaluator thresholds, attempt
    limits, LLM budget, the sandbox tier, and the webhook URLs to paste into Twilio's
    console. Values only; never a key or a password."""
    settings = get_settings()
    features = [
        {
            "key": key,
            "label": FEATURE_LABELS.get(key, key),
            "configured": bool(report["configured"]),
            "message": str(report["message"]),
        }
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
    return {
        "twilio": {
            "configured": bool(twilio["configured"]),
            "message": str(twilio["message"]),
            "webhooks": console_urls(),
        },
        "features": features,
        "limits": [{"label": label, "value": value} for label, value in limits],
        "sandbox": {
            "tier": str(sandbox["tier"]),
            "safe": bool(sandbox["safe"]),
            "message": str(sandbox["message"]),
        },
    }
