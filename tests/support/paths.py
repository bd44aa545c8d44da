"""Where the project and the tests' data lie, whatever folder a test module is in."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
