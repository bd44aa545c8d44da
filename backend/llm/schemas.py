"""The structured answers asked of the LLM (instructor sends these as tool schemas).

Field descriptions are part of the prompt: the model reads them. Validators that fail make
instructor send the error back to the model for another try (LLM_VALIDATION_RETRIES), so
they check what the product needs (relative file paths, scores in [0, 1]) and nothing more;
what is not in doubt is repaired instead (`lenient`: raw control characters in strings,
percentages for scores, `files` as a {path: text} mapping).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from backend.errors import InvalidInput
from backend.llm.lenient import Answer, Score
from backend.objects.files import ENTRY_FILE, validate_path


def _checked_path(path: str) -> str:
    try:
        return validate_path(path)
    except InvalidInput as exc:  # a ValueError makes instructor ask the model again
        raise ValueError(str(exc)) from None


ValidPath = Annotated[str, AfterValidator(_checked_path)]


class ModificationPlan(Answer):
    """How to make the requested change to an object."""

    summary: str = Field(description="One or two sentences: what will change and why.")
    steps: list[str] = Field(description="The concrete edits, in order, one per item.")
    constraints: list[str] = Field(
        default_factory=list,
        description="What must keep holding after the change (behaviour, API, invariants "
        "of the original code), each a statement that can be checked.",
    )
    changes_api: bool = Field(
        description="True only if the request asks to change the public API (add, remove "
        "or change the signature of exported functions in main.py)."
    )
    changes_behaviour: bool = Field(
        description="True if the request asks for different results from existing functions; "
        "False for refactors, documentation and performance work."
    )


class FileContent(Answer):
    path: ValidPath = Field(description="Relative path, e.g. 'main.py' or 'tests/test_main.py'.")
    content: str = Field(description="The complete new text of the file.")


class CodeChange(Answer):
    """New contents for the files that change; files not listed stay as they are."""

    files: list[FileContent] = Field(
        description="Every file that is added or changed, each with its complete new text."
    )
    deleted: list[str] = Field(
        default_factory=list, description="Paths of files to delete (rarely needed)."
    )
    explanation: str = Field(description="What was changed and why, for the reviewer.")

    @model_validator(mode="before")
    @classmethod
    def _files_as_mapping(cls, data: Any) -> Any:
        """Accept `files` as a {path: text} mapping too, as some models answer that way."""
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            data = {
                **data,
                "files": [{"path": p, "content": c} for p, c in data["files"].items()],
            }
        return data

    @field_validator("deleted")
    @classmethod
    def _deleted_paths(cls, paths: list[str]) -> list[str]:
        checked = [_checked_path(path) for path in paths]
        if ENTRY_FILE in checked:
            raise ValueError(f"{ENTRY_FILE} is the object's entry point and cannot be deleted")
        return checked

    def as_dict(self) -> dict[str, str]:
        """The changed files as path -> text."""
        return {file.path: file.content for file in self.files}

    def apply_to(self, files: dict[str, str]) -> dict[str, str]:
        """The full set of files after this change (the input is not modified)."""
        result = {path: text for path, text in files.items() if path not in self.deleted}
        result.update(self.as_dict())
        return dict(sorted(result.items()))


class PlannedFile(Answer):
    path: ValidPath = Field(description="Relative path of the file to write.")
    purpose: str = Field(description="What the file holds.")


class PlannedFunction(Answer):
    name: str = Field(description="Function name, exported from main.py.")
    signature: str = Field(
        description="Python signature with type hints, e.g. 'add(x: int) -> int'."
    )
    description: str = Field(description="What it does, including edge cases.")


class CreationPlan(Answer):
    """How to build a new object from its name, description and requirements."""

    summary: str = Field(description="One or two sentences: what the object does.")
    files: list[PlannedFile] = Field(
        description=f"Files to write: {ENTRY_FILE} with the exported functions, tests "
        "(tests/test_main.py) and a short README.md."
    )
    api: list[PlannedFunction] = Field(description="The functions main.py exports.")
    constraints: list[str] = Field(
        default_factory=list, description="Requirements the code must meet, each checkable."
    )

    @field_validator("files")
    @classmethod
    def _has_entry(cls, files: list[PlannedFile]) -> list[PlannedFile]:
        if ENTRY_FILE not in {file.path for file in files}:
            raise ValueError(f"the files must include {ENTRY_FILE}, the object's entry point")
        return files


class PreferenceJudgment(Answer):
    """How a person would like the code, each in [0, 1] (1 = excellent)."""

    readability: Score
    maintainability: Score
    elegance: Score
    documentation: Score
    reasons: list[str] = Field(
        description="Short, specific reasons for the scores, naming functions or lines."
    )


class ConstraintCheck(Answer):
    constraint: str = Field(description="The constraint, as given.")
    passed: bool
    reason: str = Field(description="Why it holds or not, naming the code involved.")


class ConstraintJudgment(Answer):
    """One check per constraint given, in the same order."""

    checks: list[ConstraintCheck]


class FactualityJudgment(Answer):
    """Whether the algorithms and domain facts in the code are right."""

    score: Score = Field(description="1 = everything correct, 0 = wrong.")
    issues: list[str] = Field(
        default_factory=list, description="Each error in an algorithm or a domain fact."
    )
    summary: str = Field(description="One or two sentences on the overall correctness.")
