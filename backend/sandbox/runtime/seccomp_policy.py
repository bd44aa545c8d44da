"""The seccomp filter each call's child loads before it reads its request.

A deny-list on top of Landlock and rlimits (the measured combination that held): the child may
not create processes, exec, trace, open sockets, touch namespaces or mounts, change file
metadata that Landlock can't see (chmod, chown, utime, xattrs), use System V / POSIX IPC, or
signal anything but itself (kill, tgkill, sigqueue, pidfd, or a file owner's SIGIO).

Threads stay allowed: `clone` is let through only with CLONE_THREAD and no namespace flags,
and `clone3` (whose flags seccomp can't read) answers ENOSYS so glibc falls back to `clone`.
A thread shares the filter, the Landlock domain and the process's CPU and address-space
limits, so it adds no power.

The filter is compiled once per worker with a placeholder where the child's own pid goes
(libseccomp takes milliseconds to generate BPF in a freshly forked child); each child patches
its pid into that program and loads it with one prctl.

Two kinds of refusal: process-level escapes (exec, fork, ptrace, mount...) kill the child with
SIGSYS, which the worker reports as `forbidden`; operations that ordinary library code may try
and handle (sockets, chmod, signals to others) fail with EPERM, which surfaces as a
PermissionError the worker also reports as `forbidden` when the object doesn't catch it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from typing import Any

CLONE_THREAD = 0x00010000
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
TIOCSTI = 0x5412  # push characters into a terminal's input
TIOCLINUX = 0x541C
FIOSETOWN, SIOCSPGRP = 0x8901, 0x8902  # choose who gets SIGIO/SIGURG for a file
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15  # the same through fcntl

KILL_SYSCALLS = (
    "execve", "execveat", "fork", "vfork",
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
    "kcmp", "setns", "unshare", "mount", "umount2", "pivot_root", "chroot",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl", "quotactl_fd",
    "add_key", "request_key", "keyctl", "open_by_handle_at", "lookup_dcookie",
    "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "fanotify_init", "vhangup", "uselib", "personality",
)  # fmt: skip

EPERM_SYSCALLS = (
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "utimensat", "futimesat",
    "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "mknod", "mknodat", "name_to_handle_at", "userfaultfd", "memfd_secret",
    "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semtimedop", "semctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "pidfd_open", "pidfd_send_signal", "tkill",
    "setpriority", "sched_setaffinity", "sched_setscheduler", "sched_setparam",
    "sched_setattr", "ioprio_set", "migrate_pages", "move_pages",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
    "setfsuid", "setfsgid", "setgroups", "capset",
)  # fmt: skip

# Syscalls after the 5.x unification have one number on every architecture; used when the
# installed libseccomp is older than the syscall's name.
UNIFIED_NUMBERS = {
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
    "pidfd_getfd": 438, "process_madvise": 440, "mount_setattr": 442, "quotactl_fd": 443,
    "memfd_secret": 447, "fchmodat2": 452,
}  # fmt: skip


PID_PLACEHOLDER = 0x7A5A5A5A  # above any pid_max, and no syscall number or flag
_INSTRUCTION = struct.Struct("=HBBI")  # struct sock_filter: code, jt, jf, k
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _number(seccomp: Any, name: str) -> int | None:
    number = seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
    if isinstance(number, int) and number >= 0:
        return number
    return UNIFIED_NUMBERS.get(name)


def build(seccomp: Any, own_pid: int) -> tuple[Any, list[str]]:
    """The filter for a child whose pid is `own_pid`; also the names this system lacks.

    `seccomp` is the imported pyseccomp module (the worker imports it once, before any child
    exists, because importing it looks up libseccomp).
    """
    kill = seccomp.KILL_PROCESS
    eperm = seccomp.ERRNO(errno.EPERM)
    Arg = seccomp.Arg
    flt = seccomp.SyscallFilter(seccomp.ALLOW)
    flt.set_attr(seccomp.Attr.ACT_BADARCH, kill)
    missing: list[str] = []

    def add(action: int, name: str, *args: Any) -> None:
        number = _number(seccomp, name)
        if number is None:
            missing.append(name)
            return
        try:
            flt.add_rule(action, number, *args)
        except OSError:
            missing.append(name)

    for name in KILL_SYSCALLS:
        add(kill, name)
    for name in EPERM_SYSCALLS:
        add(eperm, name)
    add(kill, "clone", Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    for flag in NAMESPACE_FLAGS:
        add(kill, "clone", Arg(0, seccomp.MASKED_EQ, flag, flag))
    add(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        add(eperm, name, Arg(0, seccomp.NE, own_pid))
    add(eperm, "prlimit64", Arg(0, seccomp.NE, 0))
    # A file's owner gets SIGIO when it becomes ready: a way to signal another process that
    # `kill` rules don't see (and root may signal anyone this way).
    for request in (TIOCSTI, TIOCLINUX, FIOSETOWN, SIOCSPGRP):
        add(eperm, "ioctl", Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    for command in (F_SETOWN, F_SETSIG, F_SETOWN_EX):
        add(eperm, "fcntl", Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, command))
    return flt, missing


class Program:
    """The compiled filter, with the places where the child's pid must be written."""

    def __init__(self, code: bytes, pid_slots: list[int], missing: list[str]) -> None:
        self.code = code
        self.pid_slots = pid_slots
        self.missing = missing

    def load(self, own_pid: int) -> None:
        """Install the filter for this process (no_new_privs must already be set)."""
        code = bytearray(self.code)
        for index in self.pid_slots:
            op, jt, jf, _ = _INSTRUCTION.unpack_from(code, index * 8)
            _INSTRUCTION.pack_into(code, index * 8, op, jt, jf, own_pid)
        buffer = (ctypes.c_char * len(code)).from_buffer(code)
        program = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0)
        if result != 0:
            number = ctypes.get_errno()
            raise OSError(number, f"loading the seccomp filter: {os.strerror(number)}")


def compile_program(seccomp: Any) -> Program:
    """Build the filter with a placeholder pid and export its BPF."""
    flt, missing = build(seccomp, PID_PLACEHOLDER)
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    try:
        with os.fdopen(os.dup(fd), "wb") as handle:
            flt.export_bpf(handle)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    code = b"".join(chunks)
    slots = [
        index
        for index in range(len(code) // 8)
        if _INSTRUCTION.unpack_from(code, index * 8)[0] == _JEQ_K
        and _INSTRUCTION.unpack_from(code, index * 8)[3] == PID_PLACEHOLDER
    ]
    if not slots or len(code) % 8:
        raise OSError(errno.EINVAL, "could not find the pid in the compiled seccomp filter")
    return Program(code, slots, missing)
