"""GitHub issues through the official client (PyGithub), and the repository check.

Every request goes to GITHUB_API_URL (GitHub itself, a GitHub Enterprise server, or a local
mock). The client's own retries are turned off: `delivery` retries every channel the same
way. The repository is built lazily when sending, so the issue is one request (POST
/repos/{owner}/{name}/issues) and every URL comes from the configured base, never from
what an answer links to.

GitHub's 401 (bad token), 403 (no permission), 404 (no such repository, or hidden from the
token), 410 (issues turned off) and 422 (a label or field refused) are final; a rate limit,
5xx, a timeout or no connection may pass later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from github import Auth, Github, GithubException, RateLimitExceededException

from backend.channels import checks
from backend.channels.base import (
    PROVIDER_ID_MAX_CHARS,
    ChannelNotConfigured,
    PermanentFailure,
    TransientFailure,
    title_of,
)
from backend.config import Settings, get_settings
from backend.enums import Channel
from backend.models import Notification

#: Seconds to wait for GitHub to answer one request when sending, and when checking.
REQUEST_TIMEOUT_SECONDS = 10
CHECK_TIMEOUT_SECONDS = 5


def missing_settings(settings: Settings | None = None) -> list[str]:
    """The GitHub variables that are not set (empty when GitHub is configured)."""
    settings = settings or get_settings()
    values = {
        "GITHUB_TOKEN": settings.github_token,
        "GITHUB_REPO": settings.github_repo,
        "GITHUB_API_URL": settings.github_api_url,
    }
    return [name for name, value in values.items() if not value.strip()]


def labels(settings: Settings | None = None) -> list[str]:
    """GITHUB_LABELS as a list: split on commas, blanks dropped."""
    settings = settings or get_settings()
    return [label.strip() for label in settings.github_labels.split(",") if label.strip()]


def make_client(
    settings: Settings | None = None, *, lazy: bool = False, timeout: int = REQUEST_TIMEOUT_SECONDS
) -> Github:
    """A GitHub client with GITHUB_TOKEN, sending to GITHUB_API_URL, without retries of its
    own. `lazy`: objects it returns make no request until one of their fields is read.

    Raises `ChannelNotConfigured` naming the variables to set.
    """
    settings = settings or get_settings()
    missing = missing_settings(settings)
    if missing:
        raise ChannelNotConfigured(
            "GitHub is not configured, so no issue can be opened: set " + ", ".join(missing)
        )
    return Github(
        base_url=settings.github_api_url.strip().rstrip("/"),
        auth=Auth.Token(settings.github_token.strip()),
        retry=None,
        timeout=timeout,
        lazy=lazy,
    )


def _said(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "no reason given")
    details = [
        str(item.get("message") or item.get("code") or "")
        for item in data.get("errors") or []
        if isinstance(item, dict)
    ]
    details = [detail for detail in details if detail]
    return f"{message} ({'; '.join(details)})" if details else message


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Turn what PyGithub (and requests under it) raises into our failures."""
    try:
        yield
    except RateLimitExceededException as exc:
        raise TransientFailure(f"GitHub's rate limit held up {what}: {_said(exc)}") from exc
    except GithubException as exc:
        status = int(exc.status or 0)
        if status >= 500 or status == 429:
            raise TransientFailure(f"GitHub failed on {what}: HTTP {status}: {_said(exc)}") from exc
        raise PermanentFailure(f"GitHub refused {what}: HTTP {status}: {_said(exc)}") from exc
    except requests.RequestException as exc:  # no connection, a timeout
        raise TransientFailure(
            f"GitHub could not be reached for {what}: {type(exc).__name__}: {exc}"
        ) from exc


def provider_id(repo: str, number: int) -> str:
    """An issue's id: "owner/name#12", or "#12" for a repository name too long to keep."""
    full = f"{repo}#{number}"
    return full if len(full) <= PROVIDER_ID_MAX_CHARS else f"#{number}"


class GithubSender:
    """Opens an issue in the notification's target repository ("owner/name"), or else in
    GITHUB_REPO, titled with its subject (or first line), its body as markdown, labelled
    with GITHUB_LABELS."""

    channel = Channel.GITHUB

    def send(self, notification: Notification) -> str:
        """Open the issue; "owner/name#number"."""
        settings = get_settings()
        client = make_client(settings, lazy=True)
        repo_name = notification.target.strip() or settings.github_repo.strip()
        body = notification.body
        link = (notification.data or {}).get("link")
        if link:
            body = f"{body}\n\n{link}"
        with translated_errors(f"the issue in {repo_name}"):
            issue = client.get_repo(repo_name).create_issue(
                title=title_of(notification), body=body, labels=labels(settings)
            )
            number = int(issue.number)
        return provider_id(repo_name, number)


def _check(settings: Settings) -> dict[str, Any]:
    repo_name = settings.github_repo.strip()
    missing = missing_settings(settings)
    if missing:
        return {"ok": False, "repo": repo_name, "error": f"set {', '.join(missing)}"}
    client = make_client(settings, timeout=CHECK_TIMEOUT_SECONDS)
    try:
        with translated_errors(f"the repository {repo_name}"):
            repo = client.get_repo(repo_name)
            return {"ok": True, "repo": str(repo.full_name), "url": str(repo.html_url or "")}
    except (PermanentFailure, TransientFailure) as exc:
        return {"ok": False, "repo": repo_name, "error": str(exc)}


def check_github_repo() -> dict[str, Any]:
    """Whether the token sees GITHUB_REPO: {"ok", "repo" (its full name), "url"?,
    "error"?}; one `GET /repos/{owner}/{name}` per process (`checks.cached`), never raising."""
    settings = get_settings()
    key = ("github", settings.github_token, settings.github_api_url, settings.github_repo)
    return checks.cached(key, lambda: _check(settings))
