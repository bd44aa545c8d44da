"""Settings: defaults that need nothing installed, features off with a reason, README in step."""

from __future__ import annotations

from backend import config
from backend.config import PROJECT_ROOT, Settings
from backend.enums import ModificationKind
from backend.pipeline import modifications
from backend.read_models.settings_page import settings_overview
from backend.settings_doc import render_block

pytest_plugins = ["tests.support.llm_fixtures"]


def test_defaults_need_no_server(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.broker_url.startswith("sqla+sqlite:///")
    assert all(not feature["configured"] for feature in settings.features.values())
    assert settings.features["twilio"]["message"] == (
        "disabled: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER to enable"
    )


def test_environment_overrides_and_features_turn_on(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    settings = config.reload_settings()
    try:
        assert settings.broker_url == "redis://127.0.0.1:6379/3"
        assert settings.features["llm"]["configured"] is True
        assert settings.features["slack"] == {"configured": True, "message": "configured"}
        assert settings.features["github"]["configured"] is False
    finally:
        monkeypatch.undo()
        config.reload_settings()


def test_readme_lists_every_setting():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert render_block() in readme, "run `python -m backend.settings_doc` to refresh README.md"


def _llm_judges_shown() -> str:
    overview = settings_overview()
    return next(row.value for row in overview.limits if row.label == "LLM judges")


def test_llm_judges_are_on_only_with_an_llm(no_llm, monkeypatch):
    assert _llm_judges_shown().startswith("off: no LLM is configured")
    assert "OPENAI_BASE_URL" in _llm_judges_shown()
    assert modifications.llm_missing(ModificationKind.MODIFY).startswith(
        "changing objects needs an LLM, and none is configured: set OPENAI_BASE_URL"
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    config.reload_settings()
    assert _llm_judges_shown() == "on"
    assert modifications.llm_missing(ModificationKind.CREATE) == ""
    monkeypatch.setenv("LLM_JUDGES", "0")
    config.reload_settings()
    assert _llm_judges_shown() == "off (LLM_JUDGES=0)"
