"""Small ctypes wrappers for the Linux process controls the sandbox needs.

prctl (parent-death signal, no_new_privs, capability bounding set), capset (drop every
capability, which matters when the app runs as root), and unshare + mount (a private,
size-capped tmpfs for scratch when the worker is root but not under bubblewrap).
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal

_libc = ctypes.CDLL(None, use_errno=True)
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_libc.prctl.restype = ctypes.c_int
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.mount.restype = ctypes.c_int
_libc.unshare.argtypes = [ctypes.c_int]
_libc.unshare.restype = ctypes.c_int

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
CLONE_NEWNS = 0x00020000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def prctl(option: int, arg2: int = 0) -> None:
    _check(_libc.prctl(option, arg2, 0, 0, 0), f"prctl({option})")


def die_with_parent() -> None:
    """SIGKILL this process when the thread that started it exits."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def capabilities_held() -> int:
    """How many capabilities this process holds (effective or permitted)."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capget(ctypes.byref(header), data), "capget")
    return sum(bin(d.effective | d.permitted).count("1") for d in data)


def drop_capabilities() -> int:
    """Empty the bounding, ambient, effective, permitted and inheritable sets.

    Returns how many capabilities were held before (0 for an ordinary user or under
    bubblewrap's --cap-drop ALL). Dropping the bounding set needs CAP_SETPCAP; where it is
    missing, nothing is left to drop there anyway.
    """
    held = capabilities_held()
    for cap in range(64):
        failed = _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0
        if failed and ctypes.get_errno() == errno.EINVAL:
            break  # past the last capability this kernel knows
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    _check(_libc.capset(ctypes.byref(header), (_CapData * 2)()), "capset")
    return held


def private_tmpfs(path: str, size_bytes: int) -> None:
    """Give this process a private mount namespace with a size-capped tmpfs on `path`.

    Needs CAP_SYS_ADMIN (root outside bubblewrap); raises OSError where it is missing.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    options = f"size={size_bytes},mode=0700".encode()
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", flags, options), "mount tmpfs")
