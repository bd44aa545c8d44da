"""Landlock through ctypes: confine a process's file access (and TCP, ABI 4+) to a few folders.

Landlock is a stackable, unprivileged LSM: once `restrict()` returns, this process (and any
thread it starts) can only open files beneath the folders granted here, whoever it runs as,
root included. What it does not cover: metadata (stat, chmod, chown, utime) and connecting to
UNIX sockets by path; the seccomp filter closes those. ABI 4 adds TCP bind/connect control and
ABI 6 scoping of abstract UNIX sockets and signals; both are used when the kernel has them.
"""

from __future__ import annotations

import ctypes
import os

# Syscall numbers are the same on every architecture (they come after the 5.x unification).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_TRUNCATE = 1 << 14
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

READ_ONLY = FS_READ_FILE | FS_READ_DIR
READ_WRITE = READ_ONLY | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG
FILE_ONLY_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI (0 where Landlock is missing or disabled)."""
    result = _libc.syscall(
        ctypes.c_long(_CREATE_RULESET),
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )
    return max(0, int(result))


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer (links and renames across folders)
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= 1 << 15  # ioctl on devices
    return rights


def describe(abi: int) -> str:
    """What `restrict` enforces on a kernel with this ABI, for the status report."""
    if abi < 1:
        return "unavailable"
    parts = [f"ABI {abi}: files"]
    if abi >= 4:
        parts.append("TCP bind/connect denied")
    if abi >= 6:
        parts.append("abstract UNIX sockets and signals scoped")
    return "; ".join(parts)


def restrict(read_only: list[str], read_write: list[str], abi: int | None = None) -> int:
    """Confine this thread (and its future threads) to the given paths; returns the ABI used.

    Paths that don't exist are skipped; a path naming a file gets only the file rights.
    Raises OSError where Landlock is unavailable.
    """
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise OSError(38, "Landlock is not supported by this kernel")
    handled_fs = _handled_fs(abi)
    attr = _RulesetAttr(handled_fs, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = _libc.syscall(
        ctypes.c_long(_CREATE_RULESET),
        ctypes.byref(attr),
        ctypes.c_size_t(size),
        ctypes.c_uint32(0),
    )
    if ruleset < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"landlock_create_ruleset: {os.strerror(code)}")
    try:
        for paths, rights in ((read_only, READ_ONLY), (read_write, READ_WRITE)):
            for path in paths:
                _add_path(int(ruleset), path, rights & handled_fs)
        if _libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)):
            code = ctypes.get_errno()
            raise OSError(code, f"landlock_restrict_self: {os.strerror(code)}")
    finally:
        os.close(int(ruleset))
    return abi


def _add_path(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_ONLY_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        result = _libc.syscall(
            ctypes.c_long(_ADD_RULE),
            ctypes.c_int(ruleset),
            ctypes.c_int(_RULE_PATH_BENEATH),
            ctypes.byref(rule),
            ctypes.c_uint32(0),
        )
        if result:
            code = ctypes.get_errno()
            raise OSError(code, f"landlock_add_rule({path}): {os.strerror(code)}")
    finally:
        os.close(fd)
