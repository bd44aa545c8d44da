"""The product's main job, measured: natural-language changes to small objects, end to end.

Each case of bench/modify_cases.py (23 small objects of our own) is created in a fresh
temporary SQLite database and data folder; its request goes through the real modification
pipeline, exactly as the CLI's `objects modify --wait` runs it (request, then the job run in
this process: plan, generate, evaluate, retry with feedback). A change the evaluator accepts
is then checked with the case's hidden acceptance tests, which the pipeline never sees, in
the product's sandbox. Every request is feasible (each case has a reference answer that
passes its hidden tests: `--check-cases` proves it), so:

    success        accepted, and the hidden tests pass
    false accept   accepted, but the hidden tests fail (a wrong change reached a person)
    false reject   not accepted (failed, or paused for budget): the pipeline gave up on a
                   request it could have done

Per request it prints the attempts, tokens, seconds spent waiting for the LLM (every role,
judges included), seconds the evaluator spent on its own (the evaluation's time less the
LLM judges' requests: lint, syntax tree, sandbox tests, differential check) and wall time.

Only the OpenAI-compatible API is used, so it works unchanged against vLLM, Ollama,
llama.cpp's server, LM Studio or OpenAI; the model serves every role. LLM_MODE (instructor's
mode: tools, json_schema, json, md_json) comes from --mode or the environment.

    .venv/bin/python bench/modify.py --base-url http://127.0.0.1:8765/v1 --model local
    .venv/bin/python bench/modify.py --base-url https://api.openai.com/v1 --model gpt-4o \\
        --api-key "$OPENAI_API_KEY" --limit 5
    .venv/bin/python bench/modify.py --check-cases      # no LLM: the cases themselves
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.modify_cases import CASES, Case

HIDDEN_FILE = "test_hidden.py"


@dataclass
class Result:
    case: str
    outcome: str  # success, false accept, false reject
    status: str
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    llm_seconds: float
    evaluator_seconds: float
    wall_seconds: float
    reason: str

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# --- settings --------------------------------------------------------------------------------


def configure(args: argparse.Namespace, root: Path) -> None:
    """Point the product's settings at the server and at a fresh database under `root`."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "DATA_DIR": str(data),
            "DATABASE_URL": f"sqlite:///{data / 'app.db'}",
            "OPENAI_BASE_URL": args.base_url,
            "OPENAI_API_KEY": args.api_key,
            "LLM_PLANNER_MODEL": args.model,
            "LLM_CODER_MODEL": args.model,
            "LLM_JUDGE_MODEL": args.judge_model or args.model,
            "LLM_PARSER_MODEL": args.judge_model or args.model,
            "LLM_TIMEOUT_SECONDS": str(args.timeout),
            "LLM_BUDGET_USD": str(args.budget),
            "LLM_JUDGES": "1" if args.judges else "0",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if args.mode:
        os.environ["LLM_MODE"] = args.mode
    if args.max_attempts:
        os.environ["MAX_ATTEMPTS"] = str(args.max_attempts)
    if args.deadline:
        os.environ["MODIFICATION_DEADLINE_SECONDS"] = str(args.deadline)

    from backend import config, db

    config.reload_settings()
    db.upgrade_database()


# --- the hidden tests ------------------------------------------------------------------------


def run_hidden(files: dict[str, str], hidden: str) -> tuple[bool, str]:
    """Run `hidden` against the code of `files` (their own tests left out) in the sandbox:
    (every test passed, a one-line summary)."""
    from backend.sandbox import get_pool

    with tempfile.TemporaryDirectory(prefix="bench-hidden-") as folder:
        root = Path(folder)
        for path, text in files.items():
            if Path(path).name.startswith("test_"):
                continue
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        (root / HIDDEN_FILE).write_text(hidden)
        report = get_pool().run_tests(root)
    if report.tests and report.passed:
        return True, f"hidden tests: {report.passed_count} passed"
    failed = [line for line in report.lines() if not line.startswith("PASS")]
    return False, "hidden tests: " + "; ".join(failed)


def check_cases(cases: list[Case]) -> list[str]:
    """Problems with the cases themselves (empty when each is sound): the visible tests pass
    on the original and on the reference, the hidden ones pass on the reference and at least
    one fails on the original (except for behaviour-keeping requests)."""
    problems = []
    keeps_behaviour = {"fib", "docs"}
    for case in cases:
        checks = [
            ("visible tests on the original", case.files, case.tests, True),
            ("visible tests on the reference", {"main.py": case.reference}, case.tests, True),
            ("hidden tests on the reference", {"main.py": case.reference}, case.hidden, True),
        ]
        if case.slug not in keeps_behaviour:
            checks.append(("hidden tests on the original", case.files, case.hidden, False))
        for what, files, tests, should_pass in checks:
            passed, summary = run_hidden(files, tests)
            if passed != should_pass:
                expected = "pass" if should_pass else "fail"
                problems.append(f"{case.slug}: {what} should {expected} ({summary})")
    return problems


# --- one request -----------------------------------------------------------------------------


class EvaluatorClock:
    """Wall time of every evaluation the pipeline runs (it calls `assess` once per attempt),
    while in a `with` block."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._original: Callable[..., Any] | None = None

    def __enter__(self) -> EvaluatorClock:
        from backend.pipeline import modifications

        original = self._original = modifications.assess

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.monotonic() - started

        modifications.assess = timed
        return self

    def __exit__(self, *_: object) -> None:
        from backend.pipeline import modifications

        modifications.assess = self._original


ACTOR_NAME = "bench@example.com"


def run_case(case: Case, clock: EvaluatorClock, echo: Callable[[int, str], None] | None) -> Result:
    """Create the case's object, request its change, run the pipeline here, check the result."""
    from sqlmodel import select

    from backend import db
    from backend.access.audit import Actor
    from backend.background import jobs
    from backend.enums import ModificationStatus as S
    from backend.models import LLMCall
    from backend.objects import store
    from backend.pipeline import modifications

    actor = Actor.operator(ACTOR_NAME)
    with db.session_scope() as session:
        store.create_object_in(
            session, slug=case.slug, name=case.slug.title(), files=case.files, actor=actor
        )
    clock.seconds = 0.0
    started = time.monotonic()
    requested = modifications.request_modification(case.slug, case.request, actor=actor, here=True)
    task = jobs.run_here(int(requested.task_id), echo=echo)
    wall = time.monotonic() - started
    with db.session_scope() as session:
        modification = modifications.get_modification(session, int(requested.id))
        calls = session.exec(select(LLMCall).where(LLMCall.modification_id == modification.id))
        llm_ms = judge_ms = 0
        for call in calls:
            llm_ms += call.duration_ms
            judge_ms += call.duration_ms if call.role == "judge" else 0
    status = str(modification.status)
    if modification.status in (S.AWAITING_APPROVAL, S.APPLIED):
        passed, reason = run_hidden(dict(modification.proposed_files or {}), case.hidden)
        outcome = "success" if passed else "false accept"
    else:
        outcome = "false reject"
        reason = modification.error or task.error or f"ended {status}"
    return Result(
        case=case.slug,
        outcome=outcome,
        status=status,
        attempts=modification.attempts,
        prompt_tokens=modification.prompt_tokens,
        completion_tokens=modification.completion_tokens,
        llm_seconds=llm_ms / 1000,
        evaluator_seconds=max(clock.seconds - judge_ms / 1000, 0.0),
        wall_seconds=wall,
        reason=" ".join(reason.split()),
    )


# --- the report ------------------------------------------------------------------------------

COLUMNS = [
    ("case", 12),
    ("outcome", 13),
    ("status", 17),
    ("att", 3),
    ("tokens", 7),
    ("llm s", 7),
    ("eval s", 7),
    ("wall s", 7),
]


def row(result: Result, reason_width: int = 70) -> str:
    values = [
        result.case,
        result.outcome,
        result.status,
        str(result.attempts),
        str(result.tokens),
        f"{result.llm_seconds:.1f}",
        f"{result.evaluator_seconds:.1f}",
        f"{result.wall_seconds:.1f}",
    ]
    cells = [
        v.ljust(w) if i < 3 else v.rjust(w)
        for i, (v, (_, w)) in enumerate(zip(values, COLUMNS, strict=True))
    ]
    reason = (
        result.reason
        if len(result.reason) <= reason_width
        else result.reason[: reason_width - 3] + "..."
    )
    return "  ".join(cells) + "  " + reason


def table(results: list[Result]) -> str:
    header = "  ".join(
        name.ljust(w) if i < 3 else name.rjust(w) for i, (name, w) in enumerate(COLUMNS)
    )
    lines = [header + "  reason", "-" * (len(header) + 8)]
    lines += [row(result) for result in results]
    lines.append("-" * (len(header) + 8))
    lines.append(totals(results))
    return "\n".join(lines)


def totals(results: list[Result]) -> str:
    if not results:
        return "no requests ran"
    count = len(results)

    def share(outcome: str) -> str:
        n = sum(1 for r in results if r.outcome == outcome)
        return f"{n}/{count} ({n / count:.0%})"

    walls = [r.wall_seconds for r in results]
    return (
        f"{count} requests: success {share('success')}, false accepts {share('false accept')}, "
        f"false rejects {share('false reject')}; attempts {sum(r.attempts for r in results)}, "
        f"tokens {sum(r.tokens for r in results)}; "
        f"LLM {sum(r.llm_seconds for r in results):.0f} s, "
        f"evaluator {sum(r.evaluator_seconds for r in results):.0f} s, "
        f"wall {sum(walls):.0f} s (median {statistics.median(walls):.1f} s per request)"
    )


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", ""))
    parser.add_argument("--model", default=os.environ.get("LLM_CODER_MODEL", ""))
    parser.add_argument("--judge-model", default="", help="model for the judges (default --model)")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", ""))
    parser.add_argument(
        "--mode",
        default=os.environ.get("LLM_MODE", ""),
        help="instructor mode (LLM_MODE): tools, json_schema, json or md_json",
    )
    parser.add_argument("--limit", type=int, default=0, help="run only the first N cases")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument(
        "--max-attempts", type=int, default=0, help="MAX_ATTEMPTS (default: its setting)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per LLM request")
    parser.add_argument(
        "--deadline", type=float, default=600.0, help="MODIFICATION_DEADLINE_SECONDS"
    )
    parser.add_argument("--budget", type=float, default=2.0, help="USD per modification")
    parser.add_argument("--no-judges", dest="judges", action="store_false", help="LLM_JUDGES=0")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--check-cases", action="store_true", help="check the cases themselves (no LLM)"
    )
    args = parser.parse_args(argv)
    if not args.check_cases and not (args.base_url and args.model):
        parser.error("--base-url and --model are needed (or OPENAI_BASE_URL, LLM_CODER_MODEL)")
    return args


def select_cases(args: argparse.Namespace) -> list[Case]:
    cases = CASES
    if args.only:
        wanted = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = wanted - {case.slug for case in CASES}
        if unknown:
            known = ", ".join(case.slug for case in CASES)
            raise SystemExit(f"unknown case(s) {', '.join(sorted(unknown))}; known: {known}")
        cases = [case for case in CASES if case.slug in wanted]
    return cases[: args.limit] if args.limit > 0 else cases


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = select_cases(args)
    import tasks.dispatch  # noqa: F401  (registers the job runner, as every door does)

    with tempfile.TemporaryDirectory(prefix="bench-modify-") as folder:
        configure(args, Path(folder))
        if args.check_cases:
            problems = check_cases(cases)
            print("\n".join(problems) or f"{len(cases)} cases are sound")
            return 1 if problems else 0
        print(
            f"{len(cases)} requests against {args.model} at {args.base_url} "
            f"(LLM_MODE={os.environ.get('LLM_MODE', 'default')}, judges "
            f"{'on' if args.judges else 'off'})",
            flush=True,
        )
        results = []
        with EvaluatorClock() as clock:
            for number, case in enumerate(cases, 1):
                try:
                    result = run_case(case, clock, None if args.quiet else _echo(case.slug))
                except KeyboardInterrupt:
                    # Ctrl-C: the table of the requests that finished, not a traceback.
                    print(f"interrupted during {case.slug}", file=sys.stderr)
                    break
                results.append(result)
                if not args.quiet:
                    line = f"[{number}/{len(cases)}] {row(result, 200)}"
                    print(line, file=sys.stderr, flush=True)
        print(table(results))
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "model": args.model,
                        "base_url": args.base_url,
                        "mode": os.environ.get("LLM_MODE", ""),
                        "results": [asdict(r) for r in results],
                    },
                    indent=2,
                )
            )
    return 0


def _echo(slug: str) -> Callable[[int, str], None]:
    def echo(percent: int, message: str) -> None:
        print(f"  {slug} [{percent:3d}%] {message}", file=sys.stderr, flush=True)

    return echo


if __name__ == "__main__":
    sys.exit(main())
