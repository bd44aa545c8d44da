"""The problems of the file in the code editor, checked as the person types.

The editor asks (debounced, and whenever it shows another file) with the Monaco model's
name, the file's path and its text; the answer is shown as markers in the editor and as a
list under it (`components.code_problems`). Only a signed-in tab is answered: a check runs
ruff, which no stranger should be able to make the server do.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from backend.errors import ProductError
from backend.read_models.code_problems import ProblemView, file_problems
from state.auth import AuthState

logger = logging.getLogger(__name__)


class CodeProblemsState(rx.State):
    """The problems of the text of one Monaco model (`model`: the model they belong to)."""

    model: str = ""
    problems: list[ProblemView] = []
    check_error: str = ""

    @rx.var
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @rx.event
    async def check(self, model: str, path: str, text: str) -> None:
        tab = await self.get_state(AuthState)
        if not tab.signed_in:
            return
        try:
            found = await asyncio.to_thread(file_problems, path, text)
        except ProductError as exc:  # ruff missing or failing here: say so, keep typing
            logger.warning("checking %s failed: %s", path, exc)
            self.check_error = f"The code could not be checked: {exc}"
            return
        self.model, self.problems, self.check_error = model, found, ""
