"""The modification and creation pipelines against the scripted LLM server (real SDK path).

The LLM judges are switched off here (LLM_JUDGES=0) so each scenario scripts exactly the
planner's and the coder's answers; tests/backend/reward/test_reward.py covers the judges themselves.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from sqlmodel import select

import cli.main as cli
from backend import db
from backend.access.audit import Actor
from backend.enums import EventName, JobKind, ModificationStatus, ObjectStatus
from backend.errors import Conflict, InvalidInput
from backend.llm import schemas as llm_schemas
from backend.models import Evaluation, Event, LLMCall, ObjectVersion, Task
from backend.objects import deploy, store
from backend.pipeline import modifications
from tests.support.llm_scenarios import API_BREAK, GOOD, GOOD_MAIN, GOOD_TESTS, MAIN, PLAN, TESTS
from tests.support.llm_server import closed_port

pytest_plugins = ["tests.support.llm_fixtures"]

ADA = Actor.operator("ada@example.com")
S = ModificationStatus


@pytest.fixture
def llm(migrated_db, scripted_llm):
    with db.session_scope() as session:
        store.create_object_in(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=ADA,
        )
    return scripted_llm


def _versions() -> int:
    with db.session_scope() as session:
        return len(session.exec(select(ObjectVersion)).all())


def _request(prompt: str = "add a sub function", **kwargs):
    return modifications.request_modification("calc", prompt, actor=ADA, **kwargs)


def test_accepted_first_time_then_approved_and_deployed(llm):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    seen: list[tuple[int, str]] = []
    modification = modifications.run(_request().id, progress=lambda p, m: seen.append((p, m)))

    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 1
    assert _versions() == 1, "nothing is written to the store before approval"
    assert [p for p, _ in seen] == sorted(p for p, _ in seen), "progress only goes forward"
    assert seen[-1][0] == 100 and "approve" in seen[-1][1]
    assert any("running the tests" in message for _, message in seen)
    with db.session_scope() as session:
        (evaluation,) = session.exec(select(Evaluation)).all()
        assert evaluation.verdict == "accept" and evaluation.factuality_score >= 0.8
        event = session.exec(
            select(Event).where(Event.name == EventName.MODIFICATION_AWAITING_APPROVAL)
        ).one()
        assert event.payload["modification_id"] == modification.id
        calls = session.exec(select(LLMCall)).all()
        assert [c.role for c in calls] == ["planner", "coder"]

    applied, task = modifications.approve(modification.id, actor=ADA, deploy=True, here=True)
    assert applied.status == S.APPLIED
    assert (task.kind, task.params["version"]) == (JobKind.OBJECT_DEPLOY, 2)
    assert deploy.run_here(int(task.id)).status == "live"
    with db.session_scope() as session:
        version = store.get_version(session, "calc")
        assert version.number == 2 and version.files["main.py"] == GOOD_MAIN
        assert version.author == "model:test-coder"
        assert "Add sub(x, y)." in version.message
    with pytest.raises(Conflict, match="not awaiting approval"):
        modifications.approve(modification.id, actor=ADA)


def test_approve_and_deploy_is_one_step_a_refused_deploy_approves_nothing(llm):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    with db.session_scope() as session:
        store.set_status(session, "calc", ObjectStatus.DEPRECATED, actor=ADA)
        events_before = len(session.exec(select(Event)).all())

    with pytest.raises(Conflict, match="deprecated can't become deployed"):
        modifications.approve(modification.id, actor=ADA, deploy=True)
    with db.session_scope() as session:
        assert modifications.get_modification(session, modification.id).status == (
            S.AWAITING_APPROVAL
        )
        assert len(session.exec(select(Event)).all()) == events_before
        assert session.exec(select(Task).where(Task.kind == JobKind.OBJECT_DEPLOY)).all() == []
    assert _versions() == 1, "the change was not applied either"

    # Without the deployment, the same approval goes through.
    applied, task = modifications.approve(modification.id, actor=ADA)
    assert (applied.status, task, _versions()) == (S.APPLIED, None, 2)


def test_rejected_attempt_feeds_back_into_the_next_prompt(llm):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)

    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 2
    second_attempt_prompt = llm.prompt_text(2)
    assert "function 'add' lost parameter 'y'" in second_attempt_prompt
    assert "attempt 2" in second_attempt_prompt
    with db.session_scope() as session:
        verdicts = [e.verdict for e in modifications.evaluations_of(session, modification.id)]
    assert verdicts == ["reject", "accept"]


def test_attempts_exhausted_fails_with_the_last_feedback(llm):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(API_BREAK)
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "after 2 attempts" in modification.error and "lost parameter 'y'" in modification.error
    assert _versions() == 1


def test_malformed_answers_fail_clearly_and_write_no_version(llm):
    llm.push_json(PLAN)
    for _ in range(3):
        llm.push_raw("{this is not json")
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "attempt" in modification.error.lower()
    assert _versions() == 1


def test_server_down_fails_the_modification(llm, monkeypatch):
    from backend import config

    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    config.reload_settings()
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "127.0.0.1" in modification.error or "reach" in modification.error.lower()


def test_budget_reached_pauses_and_resume_carries_on(llm):
    # The plan costs 100*0.001/1000 + 20*0.002/1000 = 0.00014 USD: more than this budget.
    llm.push_json(PLAN)
    paused = modifications.run(_request(budget_usd=0.0001).id)
    assert paused.status == S.PAUSED_BUDGET
    assert "budget" in paused.error.lower()
    assert len(llm.requests) == 1, "no request is sent once the budget is spent"
    with db.session_scope() as session:  # recorded, so whoever asked by phone is told
        pause = session.exec(select(Event).where(Event.name == EventName.MODIFICATION_PAUSED)).one()
        assert pause.payload["modification_id"] == paused.id

    with pytest.raises(InvalidInput, match="more than what was spent"):
        modifications.resume(paused.id, budget_usd=0.0001, actor=ADA)
    modifications.resume(paused.id, budget_usd=1.0, actor=ADA)
    llm.push_json(GOOD)
    resumed = modifications.run(paused.id)
    assert resumed.status == S.AWAITING_APPROVAL, resumed.error
    assert len(llm.requests) == 2, "the plan made before the pause is kept"


def test_rejection_reasons_reach_later_plans(llm):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    first = modifications.run(_request().id)
    with pytest.raises(InvalidInput, match="reason is required"):
        modifications.reject(first.id, "  ", actor=ADA)
    modifications.reject(first.id, "never name it sub, call it subtract", actor=ADA)

    llm.push_json(PLAN)
    llm.push_json(GOOD)
    modifications.run(_request("add subtraction").id)
    assert "never name it sub, call it subtract" in llm.prompt_text(2)


def test_creation_from_scratch_makes_a_draft_object(llm, data_dir):
    llm.push_json(
        {
            "summary": "A greeter.",
            "files": [
                {"path": "main.py", "purpose": "the greet function"},
                {"path": "test_main.py", "purpose": "its tests"},
            ],
            "api": [{"name": "greet", "signature": "greet(name: str) -> str", "description": "hi"}],
            "constraints": ["greets by name"],
        }
    )
    llm.push_json(
        {
            "files": [
                {
                    "path": "main.py",
                    "content": '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n'
                    '    """Say hello to name."""\n    return f"Hello, {name}!"\n',
                },
                {
                    "path": "test_main.py",
                    "content": "from main import greet\n\n\ndef test_greet():\n"
                    "    assert greet('Ada') == 'Hello, Ada!'\n",
                },
                {"path": "README.md", "content": "# Greeter\n\nSays hello.\n"},
            ],
            "explanation": "A greeter.",
        }
    )
    request = modifications.request_creation(
        slug="greeter", name="Greeter", requirements="greet people by name", actor=ADA
    )
    done = modifications.run(request.id)
    assert done.status == S.APPLIED, done.error
    with db.session_scope() as session:
        obj = store.get_object(session, "greeter")
        assert obj.status == "draft" and obj.current_version == 1
    assert (data_dir / "objects" / "greeter" / "v1" / "README.md").read_text() == (
        "# Greeter\n\nSays hello.\n"
    )
    with pytest.raises(Conflict, match="already exists"):
        modifications.request_creation(slug="greeter", name="Again", requirements="x", actor=ADA)


def test_no_llm_configured_says_so_and_writes_nothing(migrated_db, no_llm, tmp_path, capsys):
    with db.session_scope() as session:
        store.create_object_in(session, slug="calc", name="C", files={"main.py": MAIN}, actor=ADA)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "OPENAI_BASE_URL" in err
    with db.session_scope() as session:
        assert modifications.list_modifications(session) == []


def test_cli_modify_wait_approve_and_evaluate(llm, capsys):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait", "--json"]) == 0
    out, err = capsys.readouterr()
    shown = json.loads(out)
    assert shown["status"] == "awaiting_approval"
    assert "attempt 1 of 2" in err and "[100%]" in err
    with db.session_scope() as session:
        task = session.exec(select(Task)).one()
        assert (task.kind, task.status, task.progress) == ("modification.run", "succeeded", 100)

    assert cli.main(["modifications", "list", "--status", "awaiting_approval", "--json"]) == 0
    assert [m["id"] for m in json.loads(capsys.readouterr().out)] == [shown["id"]]
    assert cli.main(["modifications", "show", str(shown["id"])]) == 0
    assert "+def sub(x: int, y: int) -> int:" in capsys.readouterr().out
    assert cli.main(["modifications", "approve", str(shown["id"])]) == 0
    capsys.readouterr()

    assert cli.main(["evaluate", "calc", "--version", "2", "--intent", "refactor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "accept"
    assert set(report["dimensions"]) == {"preference", "constraints", "factuality"}


def test_cli_failed_modification_exits_1_and_fails_its_task(llm, capsys):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(API_BREAK)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait"]) == 1
    assert "rejected by the evaluator after 2 attempts" in capsys.readouterr().err
    with db.session_scope() as session:
        task = session.exec(select(Task)).one()
    assert task.status == "failed" and "after 2 attempts" in task.error


@pytest.mark.slow
def test_cli_modify_runs_as_a_background_job_in_a_real_worker(llm, tmp_path, capsys, monkeypatch):
    from backend import config
    from tests.backend.background.test_jobs import _start_worker, _stop, _wait_finished

    monkeypatch.setenv("CELERY_QUEUE", f"pipeline-{uuid.uuid4().hex[:8]}")
    config.reload_settings()
    worker = _start_worker(dict(os.environ), tmp_path / "worker.log", "embedded")
    try:
        llm.push_json(PLAN)
        llm.push_json(GOOD)
        assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--json"]) == 0
        started = json.loads(capsys.readouterr().out)
        task = _wait_finished(worker, started["task_id"], timeout=90)
    finally:
        _stop(worker.process)
    assert (task.status, task.progress) == ("succeeded", 100), task.error
    assert task.result["status"] == "awaiting_approval"
    with db.session_scope() as session:
        modification = modifications.get_modification(session, started["modification_id"])
    assert modification.status == S.AWAITING_APPROVAL


def test_auto_apply_makes_the_version_without_waiting(llm, capsys):
    assert cli.main(["objects", "auto-apply", "calc", "on"]) == 0
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.APPLIED, modification.error
    with db.session_scope() as session:
        version = store.get_version(session, "calc")
        names = session.exec(select(Event.name)).all()
    assert version.number == 2 and version.files["test_main.py"] == GOOD_TESTS
    assert EventName.MODIFICATION_AWAITING_APPROVAL not in names


def test_a_version_saved_as_a_refactor_is_evaluated_as_one(llm, tmp_path, capsys, monkeypatch):
    """`objects edit --intent refactor` keeps the intent on the version; `evaluate` without
    --intent judges it as a refactor (side by side with its parent), --intent change not."""
    monkeypatch.chdir(tmp_path)
    changed = MAIN.replace("return x + y", "return x + y if x >= 0 else x - y")
    (tmp_path / "main.py").write_text(changed)
    args = ["objects", "edit", "calc", "--file", "main.py", "--intent", "refactor"]
    assert cli.main([*args, "--no-evaluate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "refactor"

    assert cli.main(["evaluate", "calc", "--json"]) == 0
    as_saved = json.loads(capsys.readouterr().out)
    assert cli.main(["evaluate", "calc", "--intent", "change", "--json"]) == 0
    as_change = json.loads(capsys.readouterr().out)
    assert as_saved["verdict"] == "reject" and as_change["verdict"] == "accept"
    factuality = as_saved["dimensions"]["factuality"]
    assert factuality["score"] < as_change["dimensions"]["factuality"]["score"]
    assert any("differ" in reason for reason in factuality["reasons"]), factuality["reasons"]


# What a real server does (issue 19) ---------------------------------------------------------

EMPTY = {"files": [], "explanation": "", "deleted": []}
SAME = {"files": [{"path": "main.py", "content": MAIN}], "explanation": "Nothing to do."}
PREFERENCE = {
    "readability": 0.9,
    "maintainability": 0.9,
    "elegance": 0.9,
    "documentation": 0.9,
    "reasons": ["clear"],
}


def test_an_empty_change_is_a_failed_attempt_with_feedback(llm):
    llm.push_json(PLAN)
    llm.push_json(EMPTY)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 2, "the empty answer was not accepted"
    assert "your answer changed nothing: it lists no files" in llm.prompt_text(2)
    with db.session_scope() as session:
        (evaluation,) = modifications.evaluations_of(session, modification.id)
        refused = session.exec(
            select(Event).where(Event.name == EventName.MODIFICATION_ATTEMPT_REFUSED)
        ).one()
    assert evaluation.attempt == 2 and refused.payload["attempt"] == 1


def test_a_change_equal_to_the_base_never_awaits_approval(llm):
    llm.push_json(PLAN)
    llm.push_json(SAME)
    llm.push_json(EMPTY)
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert modification.error.startswith("no usable change after 2 attempts. Last feedback: ")
    assert "your answer changed nothing: it lists no files" in modification.error
    assert "every file it lists is the same as the current version" in llm.prompt_text(2)
    with db.session_scope() as session:
        assert modifications.evaluations_of(session, modification.id) == []
    assert _versions() == 1


def test_a_change_that_only_adds_a_file_nothing_uses_is_refused(llm):
    """What a real 270M model answered: main.py untouched plus a junk `test/main.py`. The
    object runs the same code, so it is a refused attempt, never a change to approve."""
    junk = {"files": [{"path": "test/main.py", "content": "test\n"}], "explanation": "Done."}
    llm.push_json(PLAN)
    llm.push_json(junk)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 2, "the junk answer was accepted"
    assert "only added test/main.py, which no module imports" in llm.prompt_text(2)


def test_added_tests_or_modules_the_code_imports_are_a_change():
    base = {"main.py": MAIN}
    tests_only = llm_schemas.CodeChange(
        files=[{"path": "test_more.py", "content": "def test_x():\n    assert True\n"}],
        explanation="",
    )
    assert modifications.apply_change(base, tests_only)["test_more.py"]
    helper = llm_schemas.CodeChange(
        files=[
            {"path": "helpers.py", "content": "X = 1\n"},
            {"path": "main.py", "content": "from helpers import X\n" + MAIN},
        ],
        explanation="",
    )
    assert "helpers.py" in modifications.apply_change(base, helper)


def test_a_coder_answer_that_never_validates_is_a_refused_attempt(llm, monkeypatch):
    """A real server's coder answered a path like '/test/test_main.py' on every retry: that
    attempt is refused with the reason, and the next one is tried (it used to end the run)."""
    from backend import config

    monkeypatch.setenv("LLM_VALIDATION_RETRIES", "1")
    config.reload_settings()
    bad = {"files": [{"path": "/test/test_main.py", "content": TESTS}], "explanation": "x"}
    llm.push_json(PLAN)
    llm.push_json(bad)
    llm.push_json(bad)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 2
    assert "Your answer could not be read: " in llm.prompt_text(3)
    assert "must be relative" in llm.prompt_text(3)


def test_a_judge_without_a_usable_answer_leaves_the_measured_signals(llm, monkeypatch):
    """The factuality judge answers 2596.5 three times: the change is still judged, on the
    tests and measured signals, and the reasons say the judge gave nothing usable."""
    from backend import config

    monkeypatch.setenv("LLM_JUDGES", "1")
    config.reload_settings()
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    llm.push_json(PREFERENCE)
    for _ in range(3):
        llm.push_json({"score": 2596.5, "issues": [], "summary": "?"})
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 1
    with db.session_scope() as session:
        (evaluation,) = modifications.evaluations_of(session, modification.id)
        reasons = evaluation.factuality["reasons"]
    fallback = [r for r in reasons if r.startswith("the LLM judge gave no usable answer (")]
    assert len(fallback) == 1, reasons
    assert "2596.5 is not a score" in fallback[0]
    assert fallback[0].endswith("; scored from measured signals only")


def test_a_constraints_judge_that_fails_leaves_the_plan_unchecked(llm, monkeypatch):
    from backend import config

    monkeypatch.setenv("LLM_JUDGES", "1")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    config.reload_settings()
    llm.push_json({**PLAN, "constraints": ["add keeps its signature"]})
    llm.push_json(GOOD)
    llm.push_error(500, '{"error": {"message": "out of memory"}}')  # the constraints judge
    llm.push_json(PREFERENCE)
    llm.push_json({"score": 0.9, "issues": [], "summary": "right"})
    modification = modifications.run(_request().id)
    assert modification.status == S.AWAITING_APPROVAL, modification.error
    with db.session_scope() as session:
        (evaluation,) = modifications.evaluations_of(session, modification.id)
        reasons = evaluation.constraints["reasons"]
    (unchecked,) = [r for r in reasons if "constraints of the plan not checked" in r]
    assert "the LLM judge gave no usable answer (" in unchecked and "out of memory" in unchecked
    assert unchecked.endswith("add keeps its signature")


def test_a_modification_past_its_deadline_fails_with_the_step(llm, monkeypatch):
    from backend import config

    monkeypatch.setenv("MODIFICATION_DEADLINE_SECONDS", "2")
    config.reload_settings()
    llm.push_json(PLAN)
    llm.push_json(GOOD, delay=6)  # a coder stuck in a loop
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert modification.error.startswith("modification ")
    assert "ran out of time: its limit of 2 s (MODIFICATION_DEADLINE_SECONDS) was reached" in (
        modification.error
    )
    assert "while writing the change (attempt 1)" in modification.error
    assert len(llm.requests) == 2, "no request after the deadline"
