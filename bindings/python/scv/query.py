"""Segment queries: Query (compiled once), Result (a set of profile ids), Segment, Personas."""

import operator
from ctypes import byref, c_size_t, c_uint32, c_void_p

from . import _lib
from ._native import ENOTFOUND, ESYNTAX, OK, Closable, fail, lib, to_bytes, to_now, to_str, to_u32

_SET = _lib.ENUMS["scv_setop"]


class Result(Closable):
    """A set of profile ids, the outcome of an evaluation (owns one scv_result).

    Supports ``len``, iteration (ascending ids), ``in``, ``&``, ``|``, ``-`` (each makes a
    new Result with scv_result_combine), ``==`` against a Result or a set, ``close()`` and
    ``with``. A Result does not depend on its engine: it stays usable after the engine is
    closed.
    """

    def __init__(self, handle, keep=None):
        self._h = handle
        self._keep = keep  # the engine's allocator, which the result's memory came from

    def _handle(self):
        if self._h is None:
            raise ValueError("this scv.Result is closed")
        return self._h

    def close(self):
        """Free the result now (also done when it is garbage-collected). Idempotent."""
        handle, self._h = self._h, None
        if handle:
            lib.scv_result_free(handle)


    def __len__(self):
        return lib.scv_result_count(self._handle())

    def __bool__(self):
        return len(self) > 0

    def __iter__(self):
        handle = self._handle()
        current = c_uint32(0)
        while True:
            status = lib.scv_result_next(handle, current.value, byref(current))
            if status == ENOTFOUND:
                return
            if status != OK:
                raise fail(status)
            yield current.value

    def __contains__(self, profile):
        if isinstance(profile, bool):
            return False
        try:
            profile = operator.index(profile)
        except TypeError:
            return False
        if profile < 0 or profile > 0xFFFFFFFF:
            return False
        return bool(lib.scv_result_contains(self._handle(), profile))

    def ids(self):
        """The profile ids as a list, ascending."""
        return list(self)

    def _combine(self, other, op):
        if not isinstance(other, Result):
            return NotImplemented
        out = c_void_p()
        status = lib.scv_result_combine(self._handle(), other._handle(), op, byref(out))
        if status != OK:
            raise fail(status)
        return Result(out.value, self._keep)

    def __and__(self, other):
        return self._combine(other, _SET["SCV_SET_AND"])

    def __or__(self, other):
        return self._combine(other, _SET["SCV_SET_OR"])

    def __sub__(self, other):
        return self._combine(other, _SET["SCV_SET_ANDNOT"])

    def __eq__(self, other):
        if isinstance(other, Result):
            return self.ids() == other.ids()
        if isinstance(other, (set, frozenset)):
            return set(self) == other
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        if self._h is None:
            return "<scv.Result closed>"
        ids = []
        for pid in self:
            if len(ids) == 10:
                ids.append("...")
                break
            ids.append(str(pid))
        return "<scv.Result %d profile(s): [%s]>" % (len(self), ", ".join(ids))


class _Child(Closable):
    """An object bound to an engine (query, segment, personas): freed before the engine."""

    _free_name = None
    _kind = "object"

    def __init__(self, engine):
        self._engine = engine
        self._h = None

    def _handle(self):
        if self._h is None:
            raise ValueError("this scv.%s is closed" % type(self).__name__)
        return self._h

    def _release(self):
        """Free the handle; the engine's lock is held (or the engine is going away)."""
        handle, self._h = self._h, None
        if handle:
            getattr(lib, self._free_name)(handle)

    def close(self):
        """Free it now (also done by Engine.close() and garbage collection). Idempotent."""
        if self._h is None:
            return
        with self._engine._lock:
            self._release()
            self._engine._children.discard(self)



class Query(_Child):
    """A compiled query (``Engine.query(text)``). ``eval(now)`` gives a Result."""

    _free_name = "scv_query_free"

    def __init__(self, engine, text):
        super().__init__(engine)
        self.text = text
        raw = to_bytes(text, "query")
        out = c_void_p()
        offset = c_size_t(0)
        with engine._lock:
            handle = engine._handle()
            status = lib.scv_query_compile(handle, raw, len(raw), byref(out), byref(offset))
            if status != OK:
                raise fail(status, engine._errmsg(), _offset(engine, status, offset), "query")
            self._h = out.value
            engine._children.add(self)

    def eval(self, now=None):
        """Evaluate over every live profile at ``now`` (unix seconds, datetime or ISO text;
        None = the current time). Returns a Result (close it, or use ``with``)."""
        when = to_now(now)
        out = c_void_p()
        engine = self._engine
        with engine._lock:
            status = lib.scv_query_eval(self._handle(), when, byref(out))
            if status != OK:
                raise fail(status, engine._errmsg())
            return Result(out.value, engine._keep)

    def __repr__(self):
        return "<scv.Query %r%s>" % (self.text, " closed" if self._h is None else "")


class Segment(_Child):
    """A saved segment (``Engine.segment(name, query)``): a query with the membership of its
    last refresh."""

    _free_name = "scv_segment_free"

    def __init__(self, engine, name, text):
        super().__init__(engine)
        self.query = text
        raw_name = to_bytes(name, "segment name")
        raw = to_bytes(text, "query")
        out = c_void_p()
        offset = c_size_t(0)
        with engine._lock:
            handle = engine._handle()
            status = lib.scv_segment_new(handle, raw_name, len(raw_name), raw, len(raw),
                                         byref(out), byref(offset))
            if status != OK:
                raise fail(status, engine._errmsg(), _offset(engine, status, offset), "query")
            self._h = out.value
            engine._children.add(self)

    @property
    def name(self):
        length = c_size_t(0)
        with self._engine._lock:
            pointer = lib.scv_segment_name(self._handle(), byref(length))
            return to_str(pointer, length.value)

    def refresh(self, now=None):
        """Re-evaluate at ``now`` (None = the current time); returns (entered, left), two
        ascending lists of profile ids since the previous refresh (the first refresh reports
        every member as entered)."""
        when = to_now(now)
        entered = c_void_p()
        left = c_void_p()
        engine = self._engine
        with engine._lock:
            status = lib.scv_segment_refresh(self._handle(), when, byref(entered), byref(left))
            if status != OK:
                raise fail(status, engine._errmsg())
        with Result(entered.value, engine._keep) as a, Result(left.value, engine._keep) as b:
            return a.ids(), b.ids()

    def members(self):
        """The membership as of the last refresh, as a Result."""
        out = c_void_p()
        engine = self._engine
        with engine._lock:
            status = lib.scv_segment_members(self._handle(), byref(out))
            if status != OK:
                raise fail(status)
            return Result(out.value, engine._keep)

    def __repr__(self):
        if self._h is None:
            return "<scv.Segment closed>"
        return "<scv.Segment %r: %r>" % (self.name, self.query)


class Personas(_Child):
    """An ordered list of named queries; ``assign(now)`` gives each live profile the first
    persona it matches (``Engine.personas([(name, query), ...])``)."""

    _free_name = "scv_personas_free"

    def __init__(self, engine, personas=()):
        super().__init__(engine)
        out = c_void_p()
        with engine._lock:
            status = lib.scv_personas_new(engine._handle(), byref(out))
            if status != OK:
                raise fail(status, engine._errmsg())
            self._h = out.value
            engine._children.add(self)
        try:
            for name, text in personas:
                self.add(name, text)
        except BaseException:
            self.close()
            raise

    def add(self, name, query):
        """Append a persona; returns its index."""
        raw_name = to_bytes(name, "persona name")
        raw = to_bytes(query, "query")
        offset = c_size_t(0)
        engine = self._engine
        with engine._lock:
            handle = self._handle()
            status = lib.scv_personas_add(handle, raw_name, len(raw_name), raw, len(raw),
                                          byref(offset))
            if status != OK:
                raise fail(status, engine._errmsg(), _offset(engine, status, offset), "query")
            return lib.scv_personas_count(handle) - 1

    def assign(self, now=None):
        """Assign every live profile its persona at ``now`` (None = the current time)."""
        when = to_now(now)
        engine = self._engine
        with engine._lock:
            status = lib.scv_personas_assign(self._handle(), when)
            if status != OK:
                raise fail(status, engine._errmsg())

    def __len__(self):
        with self._engine._lock:
            return lib.scv_personas_count(self._handle())

    def names(self):
        """Persona names in order."""
        with self._engine._lock:
            handle = self._handle()
            result = []
            length = c_size_t(0)
            for index in range(lib.scv_personas_count(handle)):
                pointer = lib.scv_personas_name(handle, index, byref(length))
                result.append(to_str(pointer, length.value))
            return result

    def persona_of(self, profile):
        """The persona name the last assignment gave a profile, or None."""
        pid = to_u32(profile, "profile id")
        index = c_uint32(0)
        with self._engine._lock:
            handle = self._handle()
            status = lib.scv_personas_of(handle, pid, byref(index))
            if status == ENOTFOUND:
                return None
            if status != OK:
                raise fail(status)
            length = c_size_t(0)
            pointer = lib.scv_personas_name(handle, index.value, byref(length))
            return to_str(pointer, length.value)

    def sizes(self):
        """{name: number of profiles} from the last assignment, in persona order."""
        with self._engine._lock:
            handle = self._handle()
            result = {}
            length = c_size_t(0)
            for index in range(lib.scv_personas_count(handle)):
                pointer = lib.scv_personas_name(handle, index, byref(length))
                result[to_str(pointer, length.value)] = lib.scv_personas_size(handle, index)
            return result

    def __repr__(self):
        if self._h is None:
            return "<scv.Personas closed>"
        return "<scv.Personas %r>" % (self.names(),)


def _offset(engine, status, offset):
    """The byte offset of a compile error: the engine's, else the out-parameter (set for
    syntax errors and unknown kinds or sources), else -1."""
    value = engine._erroffset()
    if value >= 0:
        return value
    if status in (ESYNTAX, ENOTFOUND):
        return offset.value
    return -1
