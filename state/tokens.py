"""State of the Tokens page: a person's own API tokens; create one (shown once), revoke one."""

from __future__ import annotations

import reflex as rx

from backend.access import audit
from backend.accounts import tokens
from backend.read_models.tokens import TokenRow, read_own_tokens
from state.web_actor import Action

LOAD = Action(busy="loading", error="load_error")
CREATE = Action(busy="creating", error="create_error")
REVOKE = Action(busy="revoking", error="revoke_error")


def _create(name: str, actor: audit.Actor) -> tuple[str, str]:
    """A new token for the tab's person; (its plain text, its name)."""
    plain, token = tokens.create_own_token(name=name, actor=actor)
    return plain, token.name


def _revoke(token_id: int, actor: audit.Actor) -> str:
    token = tokens.revoke_token(token_id, actor=actor)
    return token.name or token.prefix


class TokensState(rx.State):
    rows: list[TokenRow] = []
    loading: bool = False
    loaded: bool = False
    load_error: str = ""
    creating: bool = False
    create_error: str = ""
    # The plain text of the token just created: shown until the page is left or reloaded,
    # never again (only its hash is kept).
    new_token: str = ""
    new_token_name: str = ""
    revoking: bool = False
    revoke_error: str = ""

    @rx.var
    def has_tokens(self) -> bool:
        return len(self.rows) > 0

    async def _read(self) -> None:
        rows = await LOAD.run(self, read_own_tokens)
        if rows is not None:
            self.rows = rows

    @rx.event
    async def load(self):
        self.new_token = self.new_token_name = ""
        self.create_error = self.revoke_error = ""
        await self._read()
        self.loaded = True

    @rx.event
    async def create(self, form: dict):
        CREATE.begin(self)
        self.new_token = ""
        yield
        created = await CREATE.run(self, _create, str(form.get("token_name", "")))
        if created is None:
            return
        self.new_token, self.new_token_name = created
        await self._read()
        yield rx.toast.success(f"Token {self.new_token_name!r} created: copy it now.")

    @rx.event
    async def revoke(self, token_id: int):
        REVOKE.begin(self)
        yield
        name = await REVOKE.run(self, _revoke, token_id)
        if name is None:
            return
        await self._read()
        yield rx.toast.success(f"Token {name!r} revoked: it is refused from now on.")
