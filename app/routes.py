"""Page routes, in one place so links and tests don't repeat string literals."""

from __future__ import annotations

HOME = "/"
