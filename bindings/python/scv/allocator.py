"""Allocator: give an engine a Python-side allocator (accounting, limits, fault injection)."""

import ctypes
import ctypes.util
import threading

from . import _lib


def _libc():
    for name in (None, ctypes.util.find_library("c"), "msvcrt"):
        try:
            libc = ctypes.CDLL(name)
            libc.malloc  # noqa: B018 (presence check)
            return libc
        except (OSError, AttributeError, TypeError):
            continue
    raise ImportError("scv: cannot find the C library's malloc")


_LIBC = None


def _c():
    global _LIBC
    if _LIBC is None:
        libc = _libc()
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.realloc.restype = ctypes.c_void_p
        libc.realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        libc.free.restype = None
        libc.free.argtypes = [ctypes.c_void_p]
        _LIBC = libc
    return _LIBC


class Allocator:
    """The allocator an engine (and its queries, results, segments) allocates with.

    The default methods call the C library's malloc/realloc/free and keep counts:
    ``in_use`` (bytes), ``peak`` (bytes), ``calls`` (alloc + realloc calls), ``failures``.
    Override ``alloc``/``realloc``/``free`` to do something else; return 0 (or None) from
    ``alloc``/``realloc`` to make the library see an allocation failure (it then raises
    OutOfMemoryError and leaves the engine as it was). ``limit`` (bytes) makes
    allocations fail once ``in_use`` would exceed it; ``fail_at`` makes the call with that
    number (1 = the next) fail, once.

    The allocator must stay alive as long as anything allocated with it: the engine and its
    results keep a reference, so this is automatic. The methods are called from the thread
    that calls into the engine, with the GIL held; an exception raised by a method is
    swallowed and counts as a failure.
    """

    def __init__(self, limit=None, fail_at=None):
        self.limit = limit
        self.fail_at = fail_at
        self.in_use = 0
        self.peak = 0
        self.calls = 0
        self.failures = 0
        self._mutex = threading.Lock()
        self._struct = None

    # ---- override these ----------------------------------------------------------------

    def alloc(self, size):
        if not self._admit(size):
            return 0
        pointer = _c().malloc(size or 1)
        if pointer:
            self._account(size)
        return pointer or 0

    def realloc(self, pointer, old_size, new_size):
        if not self._admit(new_size - old_size if new_size > old_size else 0):
            return 0
        result = _c().realloc(pointer, new_size or 1)
        if result:
            self._account(new_size - old_size)
        return result or 0

    def free(self, pointer, size):
        if pointer:
            _c().free(pointer)
            self._account(-size)

    # ---- bookkeeping -------------------------------------------------------------------

    def _admit(self, growth):
        with self._mutex:
            self.calls += 1
            if self.fail_at is not None:
                self.fail_at -= 1
                if self.fail_at == 0:
                    self.fail_at = None
                    self.failures += 1
                    return False
            if self.limit is not None and self.in_use + growth > self.limit:
                self.failures += 1
                return False
            return True

    def _account(self, delta):
        with self._mutex:
            self.in_use += delta
            if self.in_use > self.peak:
                self.peak = self.in_use

    def _as_struct(self):
        """The scv_allocator struct pointing at trampolines into this object (made once)."""
        if self._struct is None:
            def alloc(_ctx, size):
                try:
                    return self.alloc(size) or None
                except BaseException:
                    self.failures += 1
                    return None

            def realloc(_ctx, pointer, old_size, new_size):
                try:
                    return self.realloc(pointer, old_size, new_size) or None
                except BaseException:
                    self.failures += 1
                    return None

            def free(_ctx, pointer, size):
                try:
                    self.free(pointer, size)
                except BaseException:
                    pass

            self._struct = _lib.scv_allocator(
                _lib.ALLOC_FN(alloc), _lib.REALLOC_FN(realloc), _lib.FREE_FN(free), None)
        return self._struct

    def __repr__(self):
        return "<scv.Allocator in_use=%d peak=%d calls=%d failures=%d>" % (
            self.in_use, self.peak, self.calls, self.failures)
