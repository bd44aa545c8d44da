"""The browser tests' Chromium settings, for the test of the product run with Redis."""

from tests.web.conftest import browser_type_launch_args

__all__ = ["browser_type_launch_args"]
