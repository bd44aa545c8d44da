"""The read models are one family (backend/read_models/__init__.py): dataclasses named for
what they show, `read_*` functions that open their own session, builders named after the
class they build. Checked on the modules themselves."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re

import backend.read_models as package
from backend.read_models.records import Record


def _modules():
    for info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{package.__name__}.{info.name}")


def _own(module, kind):
    return [
        (name, thing)
        for name, thing in vars(module).items()
        if not name.startswith("_") and kind(thing) and thing.__module__ == module.__name__
    ]


def test_every_read_model_is_a_dataclass():
    for module in _modules():
        for name, cls in _own(module, inspect.isclass):
            assert dataclasses.is_dataclass(cls), f"{module.__name__}.{name} is no dataclass"


def test_a_record_is_json_and_only_records_are_named_so():
    for module in _modules():
        for name, cls in _own(module, inspect.isclass):
            if name.endswith("Record") and name != "Record":
                assert issubclass(cls, Record), f"{module.__name__}.{name} has no as_json()"


def test_read_functions_open_their_own_session():
    readers = []
    for module in _modules():
        for name, fn in _own(module, inspect.isfunction):
            if name.startswith("read_"):
                readers.append(name)
                params = inspect.signature(fn).parameters
                assert "session" not in params, f"{module.__name__}.{name} takes a session"
    assert {"read_object", "read_modification", "read_phone_status"} <= set(readers)


def test_builders_are_named_after_what_they_build():
    """`x_view`/`x_row`/`x_record` returns an `XView`/`XRow`/`XRecord`: no dict named
    like a read model, no two shapes under one name."""
    for module in _modules():
        for name, fn in _own(module, inspect.isfunction):
            shape = re.search(r"_(view|row|record)$", name)
            if shape is None:
                continue
            returned = str(inspect.signature(fn).return_annotation)
            assert returned.endswith(shape.group(1).title()), (
                f"{module.__name__}.{name} returns {returned}"
            )


def test_as_json_leaves_out_extras_not_asked_for():
    from backend.read_models.records import ObjectRecord, VersionRecord

    version = VersionRecord(
        1, "ada", "first", "change", ["main.py"], [], True, None, "parses", None
    )
    obj = ObjectRecord(
        "greeter",
        "Greeter",
        "",
        "endpoint",
        "live",
        1,
        1,
        None,
        False,
        False,
        False,
        {},
        None,
        None,
    )
    assert "version" not in obj.as_json() and "code" not in obj.as_json()
    assert "file_contents" not in version.as_json()
    obj.version = version
    assert obj.as_json()["version"]["files"] == ["main.py"]
