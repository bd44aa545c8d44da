"""Every setting the product reads, in one place.

Values come from the environment and from an optional `.env` file in the working directory.
A vendor setting that is missing turns that feature off (see `Settings.features`); it never
stops the app from starting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Typed settings; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Storage
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Folder for the SQLite database, the embedded broker and object files.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database; empty means a SQLite file under DATA_DIR.",
    )
    redis_url: str = Field(
        default="",
        description="Redis URL for Celery; empty means an embedded broker on a SQLite file.",
    )
    # Connection budget (PostgreSQL). Every process that touches the database keeps its own
    # pool, so the most connections a deployment opens is
    #     (DB_POOL_SIZE + DB_MAX_OVERFLOW) * processes
    # where processes = web processes * server workers each (Reflex starts GRANIAN_WORKERS,
    # by default 2 * CPUs + 1, at most 8, and 1 without Redis) + Celery workers * 2 (the
    # main process runs the sweeper and the dispatcher, its one pool process runs the jobs).
    # Keep it, plus a few for the CLI and migrations, under PostgreSQL's max_connections
    # (100 by default, 3 of them reserved for superusers). The defaults give 4 per process:
    # 2 web processes of 5 workers (2 CPUs) and 2 Celery workers use at most
    # 4 * (2 * 5 + 2 * 2) = 56; on 4 CPUs or more (8 workers each) 4 * (2 * 8 + 2 * 2) = 80.
    # A request that finds its pool empty waits DB_POOL_TIMEOUT seconds, then the API
    # answers 503 with Retry-After (backend/api/errors.py), never a 500.
    db_pool_size: int = Field(
        default=2,
        ge=1,
        le=100,
        description="PostgreSQL connections each process keeps open in its pool (see the "
        "connection budget in backend/config.py: (DB_POOL_SIZE + DB_MAX_OVERFLOW) x processes "
        "must stay under the server's max_connections).",
    )
    db_max_overflow: int = Field(
        default=2,
        ge=0,
        le=100,
        description="PostgreSQL connections a process may open beyond DB_POOL_SIZE in a burst "
        "(closed again when returned).",
    )
    db_pool_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a request waits for a free database connection of its process; "
        "then the API answers 503 with Retry-After.",
    )

    # Web
    api_max_body_bytes: int = Field(
        default=1 << 20,
        ge=1,
        description="Largest request body the API and the webhooks read (413 beyond); calls "
        "to an object are also held to SANDBOX_INPUT_BYTES.",
    )
    api_max_json_depth: int = Field(
        default=32,
        ge=1,
        le=500,
        description="Deepest nesting of arrays and objects a JSON body may have (400 beyond).",
    )
    api_max_number_digits: int = Field(
        default=100,
        ge=1,
        le=4000,
        description="Most characters of one number in a JSON body (400 beyond; Python refuses "
        "integers over 4300 digits anyway).",
    )
    public_base_url: str = Field(
        default="http://localhost:3000",
        description="Base URL the outside world uses: Twilio callbacks, links in messages, "
        "and the object URLs, curl examples and OpenAPI documents the pages show.",
    )

    secret_key: str = Field(
        default="",
        description="Secret that signs web session tokens; empty means one generated once and "
        "kept in DATA_DIR/secret_key (set it when several machines serve the app).",
    )
    session_hours: float = Field(
        default=24 * 14,
        gt=0,
        description="How long a web sign-in lasts, in hours (log-out and a new password end "
        "it sooner).",
    )
    invite_ttl_hours: float = Field(
        default=72,
        gt=0,
        description="How long the one-time link `users add` (or `users invite`) prints stays "
        "good, in hours: it opens a page where the person sets their password and is signed in.",
    )
    sign_in_slow_after: int = Field(
        default=3,
        ge=1,
        description="Wrong passwords in a row for one account before each further try must "
        "wait SIGN_IN_DELAY_SECONDS, doubled at every further wrong one.",
    )
    sign_in_delay_seconds: float = Field(
        default=1.0, gt=0, description="The first wait after SIGN_IN_SLOW_AFTER wrong passwords."
    )
    sign_in_lock_after: int = Field(
        default=10,
        ge=1,
        description="Wrong passwords for one account after which its sign-in is refused for "
        "SIGN_IN_LOCK_MINUTES.",
    )
    sign_in_lock_minutes: float = Field(
        default=15.0,
        gt=0,
        description="How long sign-in stays refused after too many wrong passwords; failures "
        "older than this are forgotten.",
    )
    sign_in_address_factor: int = Field(
        default=3,
        ge=1,
        description="One address (an office, a NAT) may get this many times the wrong "
        "passwords of one account before it is slowed and then refused.",
    )
    live_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="Without Redis: how often an open live page (dashboard, tasks, a "
        "modification) re-reads its rows.",
    )
    live_push_fallback_seconds: float = Field(
        default=15.0,
        gt=0,
        description="With REFLEX_REDIS_URL, the web app and the worker push changes to open "
        "pages; a page still re-reads this often, for changes from processes that cannot push "
        "(the CLI).",
    )

    # LLM
    openai_api_key: str = Field(default="", description="API key for the LLM server.")
    openai_base_url: str = Field(
        default="",
        description="Base URL of any OpenAI-compatible server; empty means OpenAI itself.",
    )
    llm_planner_model: str = Field(default="gpt-4o", description="Model that plans changes.")
    llm_coder_model: str = Field(default="gpt-4o", description="Model that writes code.")
    llm_judge_model: str = Field(default="gpt-4o-mini", description="Model that judges code.")
    llm_parser_model: str = Field(
        default="gpt-4o-mini", description="Model that parses spoken and texted commands."
    )
    command_unsure_below: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="A spoken or texted command understood with less confidence than this is "
        "unsure: the parser model reads it again when an LLM is configured, and one still "
        "unsure is asked again rather than acted on; 0 trusts every reading.",
    )
    llm_mode: Literal["tools", "json_schema", "json", "md_json"] = Field(
        default="tools",
        description="How structured answers are asked for: tools (a forced tool call; works "
        "with OpenAI, vLLM, Ollama, llama.cpp), json_schema (response_format with the schema; "
        "OpenAI, vLLM, Ollama; llama-cpp-python answers HTTP 500), json (JSON mode plus the "
        "schema in the prompt), md_json (a JSON block in plain text, for servers with neither). "
        "`python -m backend llm check` says which ones the configured server accepts.",
    )
    llm_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait for one LLM answer, headers and body together (a server "
        "that trickles bytes is cut off too); never longer than the modification's time left.",
    )
    llm_max_tokens_planner: int = Field(
        default=1024,
        ge=0,
        description="Most tokens the planner may answer with (max_tokens; 0 sends none).",
    )
    llm_max_tokens_coder: int = Field(
        default=4096,
        ge=0,
        description="Most tokens the coder may answer with (the complete text of every changed "
        "file must fit; the prompt and this must fit the model's context, which some servers, "
        "vLLM among them, enforce; 0 sends none).",
    )
    llm_max_tokens_judge: int = Field(
        default=1024,
        ge=0,
        description="Most tokens an LLM judge may answer with (0 sends none).",
    )
    llm_max_tokens_parser: int = Field(
        default=512,
        ge=0,
        description="Most tokens the command parser may answer with (0 sends none).",
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of one LLM request after a connection error, a timeout, a rate "
        "limit or a server error (with backoff).",
    )
    llm_validation_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Times an answer that doesn't fit the expected structure is sent back to "
        "the model to fix before the call fails.",
    )
    llm_budget_usd: float = Field(
        default=0.50,
        ge=0,
        description="LLM spending allowed per modification (USD), unless the request sets "
        "its own; when reached, the modification pauses until resumed with a higher budget.",
    )
    llm_prompt_price_per_1k: float = Field(
        default=0.0025,
        ge=0,
        description="Estimated USD per 1000 prompt tokens for models not in the price table "
        "(backend/llm/prices.py) or LLM_PRICES; set 0 for a free local server.",
    )
    llm_completion_price_per_1k: float = Field(
        default=0.01,
        ge=0,
        description="Estimated USD per 1000 completion tokens for models not in the price table.",
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default={},
        description='Extra or overriding prices, JSON: {"model": [prompt, completion]} in USD '
        "per 1000 tokens; a name matches that model and its dated variants.",
    )

    # Evaluator
    threshold_preference: float = Field(default=0.6, description="Minimum preference score.")
    threshold_constraints: float = Field(default=0.7, description="Minimum constraints score.")
    threshold_factuality: float = Field(default=0.8, description="Minimum factuality score.")
    max_attempts: int = Field(
        default=3, description="Generation attempts per modification before it fails."
    )
    modification_deadline_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="Wall-clock limit of one run of a modification (planning, every attempt "
        "and its evaluation); past it the modification fails with the step it was on, and no "
        "LLM request waits longer than the time left.",
    )
    weight_preference: float = Field(
        default=0.2, ge=0, description="Weight of the preference score in the overall score."
    )
    weight_constraints: float = Field(
        default=0.35, ge=0, description="Weight of the constraints score in the overall score."
    )
    weight_factuality: float = Field(
        default=0.45, ge=0, description="Weight of the factuality score in the overall score."
    )
    llm_judges: bool = Field(
        default=True,
        description="Ask the LLM judges too (preference, plan constraints, correctness review) "
        "when an LLM is configured; 0 keeps the evaluator to measured signals and the sandbox.",
    )
    preference_llm_weight: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share of the LLM judge in each preference sub-score when an LLM is "
        "configured; the rest comes from measured signals (lint, complexity, docstrings).",
    )
    preference_same_within: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="A refactor's preference sub-score within this of its parent's counts as "
        "the same; a refactor the same or better than its parent on every sub-score passes "
        "preference even when the parent was below the threshold.",
    )
    factuality_llm_weight: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of the LLM's review of algorithms and domain facts in the factuality "
        "score when an LLM is configured; the rest comes from the tests and the differential "
        "check, whose failures cap the score whatever the LLM says.",
    )
    differential_examples: int = Field(
        default=40,
        ge=0,
        le=1000,
        description="Inputs per function that a behaviour-keeping change runs on, side by side "
        "with its parent, in the differential check (0 turns the check off).",
    )
    differential_follow_up: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Most inputs per function in the differential check's second round, "
        "chosen from the first round's outcomes: kinds of values the parent accepts for "
        "parameters without type hints, and inputs nudged towards branches no input took "
        "(0 turns the second round off).",
    )
    differential_seconds: float = Field(
        default=20.0,
        gt=0,
        description="Time budget of the differential check of one evaluation, in seconds; "
        "inputs not started by then are left out, and the reasons say how many.",
    )
    differential_call_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Wall-clock limit of one call in the differential check (never above the "
        "object's own limit); a timeout on both sides counts as the same outcome.",
    )
    mutants: int = Field(
        default=20,
        ge=0,
        le=200,
        description="Most mutants of a version (one operator, constant or comparison changed) "
        "its own tests run against to measure how strong they are (0 turns it off).",
    )
    mutation_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Time budget of mutation testing in one evaluation, in seconds; mutants "
        "not started by then are left out, and the reasons say how many ran.",
    )
    mutation_weak_below: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Tests that kill fewer than this share of mutants are weak: an accepted "
        "change says so to the person approving it.",
    )

    # Twilio (voice and SMS)
    twilio_account_sid: str = Field(default="", description="Twilio account SID (AC...).")
    twilio_auth_token: str = Field(default="", description="Twilio auth token.")
    twilio_phone_number: str = Field(default="", description="Twilio number, E.164.")
    twilio_api_base_url: str = Field(
        default="https://api.twilio.com",
        description="Base URL of Twilio's REST API; point it at a local mock in tests.",
    )
    voice_language: str = Field(
        default="en-US", description="Language of speech recognition and of the spoken voice."
    )
    voice_speech_model: str = Field(
        default="phone_call",
        description="Twilio speech recognition model for spoken commands (pinned: Twilio's "
        "default changes on their side).",
    )
    webhook_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Twilio webhooks worked on at once per web process; a burst waits its "
        "turn (each answer takes milliseconds) rather than crowding the database's write lock.",
    )
    phone_rate_limit_per_minute: int = Field(
        default=10,
        ge=1,
        description="Calls and messages one phone number may start a minute before it is "
        "answered politely that it must wait (the turns inside a call and Twilio's status "
        "callbacks don't count; a call is never cut off).",
    )
    conversation_minutes: float = Field(
        default=10.0,
        gt=0,
        description="How long a question the product asked by phone or SMS (which object? "
        "your PIN? confirm?) waits for its answer.",
    )
    pin_max_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong PINs in a row after which changes by phone and SMS are refused for "
        "SIGN_IN_LOCK_MINUTES.",
    )
    phone_code_minutes: float = Field(
        default=10.0, gt=0, description="How long a phone verification code sent by SMS is valid."
    )
    notify_max_attempts: int = Field(
        default=4,
        ge=1,
        le=20,
        description="Tries of one outgoing call or message before it is recorded failed.",
    )
    notify_retry_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Wait before the second try of a call or message that failed; doubled "
        "before each further try.",
    )

    # Slack, GitHub
    slack_bot_token: str = Field(default="", description="Slack bot token (xoxb-...).")
    slack_channel: str = Field(
        default="",
        description="Slack channel (an ID like C0123, or #name) for people who have no Slack "
        "member ID of their own.",
    )
    slack_api_base_url: str = Field(
        default="https://slack.com/api/",
        description="Base URL of Slack's Web API; point it at a local mock in tests.",
    )
    github_token: str = Field(default="", description="GitHub token for issues.")
    github_repo: str = Field(default="", description="GitHub repository, owner/name.")
    github_api_url: str = Field(
        default="https://api.github.com",
        description="Base URL of GitHub's REST API (GitHub Enterprise: https://HOST/api/v3).",
    )
    github_labels: str = Field(
        default="alert",
        description="Comma-separated labels put on the GitHub issues monitors open.",
    )

    # Monitors and alerts
    monitor_group_seconds: int = Field(
        default=30,
        ge=0,
        description="A new monitor's grouping window: the first matching event after a quiet "
        "spell goes out at once, the ones after it inside the window become one notification "
        "that says how many (0 sends each at once).",
    )
    monitor_dispatch_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the worker hands new events to the monitors watching them "
        "(and sends the firings whose grouping window closed).",
    )
    event_dispatch_max_tries: int = Field(
        default=3,
        ge=1,
        description="Tries the dispatcher gives an event whose dispatch fails; after that it "
        "is marked failed with its error (shown by `events list` and the Monitors page) and "
        "later events go on.",
    )
    event_payload_max_bytes: int = Field(
        default=64 << 10,
        ge=2,
        description="Largest event payload accepted, in bytes of JSON (reported, emitted).",
    )
    event_payload_max_depth: int = Field(
        default=16,
        ge=1,
        description="Deepest nesting of objects and lists an event payload may have.",
    )
    metric_check_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often metric monitors are checked on a schedule, besides whenever a "
        "related event arrives.",
    )
    max_calls_per_hour: int = Field(
        default=5,
        ge=0,
        description="Alert calls one person gets in an hour at most, repeats included; more "
        "go out as SMS.",
    )
    alert_call_repeat_minutes: float = Field(
        default=5.0,
        gt=0,
        description="Minutes before an alert call that was not acknowledged is tried again.",
    )
    alert_call_tries: int = Field(
        default=3,
        ge=1,
        description="Alert calls for one firing before it goes out by SMS instead.",
    )

    # Watching objects: monitors on their calls, rollback offers
    object_watch_window_minutes: int = Field(
        default=5,
        ge=1,
        description="The window of a monitor on an object's calls when the sentence names none "
        '("call me if the payment API gets slower than 500 ms": its p95 over this many '
        "minutes).",
    )
    object_failing_error_percent: float = Field(
        default=20.0,
        gt=0,
        le=100,
        description='"When an object starts failing" means at least this percent of its calls '
        "in the window failed (and at least OBJECT_FAILING_MIN_CALLS calls were made).",
    )
    object_failing_min_calls: int = Field(
        default=3,
        ge=1,
        description="Calls an object must have in a window before its error rate counts; below "
        'it the rate reads 0, so two calls with one error are not "failing at 50%".',
    )
    rollback_offer_hours: float = Field(
        default=24.0,
        gt=0,
        description="A version deployed within this many hours that fails noticeably more than "
        'the version before it (REGRESSION_*) has its alerts offer "reply ROLLBACK"; objects '
        "with automatic rollback go back by themselves.",
    )
    regression_min_calls: int = Field(
        default=10,
        ge=1,
        description="Noticeably worse needs at least this many calls of the new version since "
        "its deploy.",
    )
    regression_error_ratio: float = Field(
        default=2.0,
        ge=1,
        description="Noticeably worse: the new version's error rate is at least this many times "
        "the previous version's (over the same length of time before the deploy) ...",
    )
    regression_error_difference: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="... and at least this much higher in absolute terms (0.1: ten percentage "
        "points), so 0.1% -> 0.3% is not a regression.",
    )

    # Email
    smtp_host: str = Field(default="", description="SMTP server host.")
    smtp_port: int = Field(default=587, description="SMTP server port.")
    smtp_username: str = Field(default="", description="SMTP login; empty means no login.")
    smtp_password: str = Field(default="", description="SMTP password.")
    from_email: str = Field(default="", description="Sender address of emails.")

    # Background jobs (Celery)
    celery_queue: str = Field(
        default="durable_objects",
        description="Celery queue that jobs are published to and the worker consumes; with Redis "
        "also the prefix of every broker key, so deployments (or test runs) can share a Redis "
        "database without seeing each other's jobs.",
    )
    celery_imports: str = Field(
        default="",
        description="Comma-separated extra modules the Celery worker imports to register more "
        "background jobs (plugins, or test-only jobs in the test suite).",
    )
    job_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a running job tells the database it is still alive.",
    )
    job_lost_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A running job not heard from for this long has lost its worker: it is "
        "handed to a worker again (jobs safe to repeat) or failed with 'worker lost'. A worker "
        "on the same machine that is gone is noticed at once.",
    )
    job_sweep_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker looks for jobs never handed to the broker (it was "
        "down) and for jobs whose worker was lost.",
    )
    job_max_redeliveries: int = Field(
        default=2,
        ge=0,
        le=20,
        description="How often a job whose worker was lost is handed out again before it is "
        "failed with 'worker lost'.",
    )
    job_republish_after_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A job handed to the broker that no worker has started for this long, and "
        "whose message the broker no longer holds (it lost its queue: a flushed or restarted "
        "Redis), is handed to the broker again. A job is started at most once however often "
        "its message arrives.",
    )
    job_max_republishes: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="How often a job whose message was lost is handed to the broker again "
        "before it is failed with the reason.",
    )

    # Object call metrics (backend/metrics)
    metrics_enabled: bool = Field(
        default=True,
        description="Record every call of a deployed object (counts, errors by kind, latency) "
        "as per-minute aggregates for the Health tab, the dashboard, `objects stats` and the "
        "object monitors; 0 records nothing.",
    )
    metrics_flush_seconds: float = Field(
        default=3.0,
        gt=0,
        description="How often each process writes the call metrics it gathered in memory to "
        "the database (and once more when it exits); a call itself never waits for it.",
    )
    metrics_minutes_keep_hours: float = Field(
        default=48.0,
        gt=0,
        description="Per-minute call metrics older than this many hours are rolled up into "
        "per-hour rows by the worker.",
    )
    metrics_hours_keep_days: float = Field(
        default=90.0,
        gt=0,
        description="Per-hour call metrics older than this many days are deleted by the worker.",
    )
    metrics_rollup_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often the worker rolls old per-minute call metrics up into hours and "
        "deletes the expired ones.",
    )

    # Sandbox (isolated execution of object code)
    sandbox_tier: Literal["auto", "bwrap", "no-bwrap"] = Field(
        default="auto",
        description="How sandbox workers start: 'bwrap' (under bubblewrap), 'no-bwrap' (rlimits, "
        "Landlock and seccomp only) or 'auto' (the strongest one this machine supports).",
    )
    sandbox_allow_unsafe: bool = Field(
        default=False,
        description="Run object code even where no tier isolates the file system or seccomp is "
        "missing. Only for development on machines without Landlock or bubblewrap.",
    )
    sandbox_pool_size: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Warm sandbox workers (calls that can run at once). More than the CPUs "
        "pays: a worker spends much of a call waiting for its child, and an evaluation runs "
        "its tests, mutants and both sides of its differential check at once.",
    )
    sandbox_cpu_seconds: float = Field(
        default=5.0, gt=0, description="Default CPU time of one call (whole seconds, rounded up)."
    )
    sandbox_wall_seconds: float = Field(
        default=10.0, gt=0, description="Default wall-clock time of one call, in seconds."
    )
    sandbox_memory_mb: int = Field(
        default=256, ge=64, description="Default address-space limit of one call, in MiB."
    )
    sandbox_output_bytes: int = Field(
        default=1 << 20, ge=1, description="Largest result (value and storage writes) of a call."
    )
    sandbox_input_bytes: int = Field(
        default=1 << 20, ge=1, description="Largest JSON arguments a call accepts."
    )
    sandbox_storage_bytes: int = Field(
        default=16 << 20, ge=1, description="Largest durable-storage snapshot sent with a call."
    )
    sandbox_log_bytes: int = Field(
        default=64 << 10, ge=0, description="Printed output of a call kept in its result."
    )
    sandbox_scratch_mb: int = Field(
        default=64, ge=1, description="Size of each worker's scratch folder (and of one file)."
    )

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or a SQLite file under DATA_DIR when it is empty."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'app.db'}"

    @property
    def objects_dir(self) -> Path:
        """Where each object version's files are mirrored."""
        return self.data_dir / "objects"

    @property
    def broker_url(self) -> str:
        """Celery broker: Redis when configured, else kombu's SQLAlchemy transport."""
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{self.data_dir / 'broker.sqlite'}"

    @property
    def features(self) -> dict[str, dict[str, object]]:
        """Which optional features are configured, and what is missing where one is not."""
        wanted = {
            "llm": {"openai_api_key": self.openai_api_key or self.openai_base_url},
            "twilio": {
                "twilio_account_sid": self.twilio_account_sid,
                "twilio_auth_token": self.twilio_auth_token,
                "twilio_phone_number": self.twilio_phone_number,
            },
            "smtp": {"smtp_host": self.smtp_host, "from_email": self.from_email},
            "slack": {"slack_bot_token": self.slack_bot_token},
            "github": {"github_token": self.github_token, "github_repo": self.github_repo},
        }
        report: dict[str, dict[str, object]] = {}
        for feature, fields in wanted.items():
            missing = [name.upper() for name, value in fields.items() if not value]
            if feature == "llm" and missing:
                missing = ["OPENAI_API_KEY or OPENAI_BASE_URL"]
            report[feature] = {
                "configured": not missing,
                "message": "configured"
                if not missing
                else f"disabled: set {', '.join(missing)} to enable",
            }
        return report


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def reload_settings() -> Settings:
    """Read the environment again (tests change it between cases)."""
    get_settings.cache_clear()
    return get_settings()
