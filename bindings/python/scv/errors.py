"""Exceptions: one ScvError per failed call, carrying the C status, its name, reason and offset.

Every status has its own subclass; several also derive from the matching built-in exception,
so ``except ValueError`` catches bad input and ``except LookupError`` a missing record:

=================  ==========================  =======================
status             class                       also a
=================  ==========================  =======================
SCV_EINVAL         InvalidArgumentError        ValueError
SCV_ENOMEM         OutOfMemoryError            MemoryError
SCV_EUTF8          Utf8Error                   ValueError
SCV_ETOOLONG       TooLongError                ValueError
SCV_EREJECTED      RejectedError               ValueError
SCV_ENOTFOUND      NotFoundError               LookupError
SCV_EEXISTS        ExistsError
SCV_ELIMIT         LimitError
SCV_EBUFFER        BufferTooSmallError
SCV_ESTATE         StateError
SCV_ESYNTAX        QuerySyntaxError            ValueError
SCV_EEXPIRED       ExpiredError
SCV_ECORRUPT       CorruptError                ValueError
SCV_EVERSION       VersionError                ValueError
=================  ==========================  =======================
"""

from . import _lib

STATUS_NAMES = {number: name for name, number in _lib.ENUMS["scv_status"].items()}


class ScvError(Exception):
    """A call into libscv failed.

    Attributes:
        status: the scv_status number (int).
        name:   its constant's name, e.g. "SCV_EREJECTED".
        reason: the library's reason (scv_engine_errmsg / scv_record_errmsg), or a sentence
                from the binding when the library keeps none for that call.
        offset: byte offset of the offending byte within the input named by ``field``
                (UTF-8 bytes, not characters), or -1.
        field:  what input failed, e.g. "identifier email", "record_id", "query"; may be None.
    """

    status = -1

    def __init__(self, status, reason="", offset=-1, field=None):
        self.status = int(status)
        self.name = STATUS_NAMES.get(self.status, "SCV_E%d" % self.status)
        self.reason = reason or ""
        self.offset = -1 if offset is None else int(offset)
        self.field = field
        super().__init__(self.status, self.reason)

    def __str__(self):
        text = self.name
        if self.field:
            text += " (%s)" % self.field
        if self.reason:
            text += ": " + self.reason
        if self.offset >= 0:
            text += " at byte %d" % self.offset
        return text

    def __repr__(self):
        return "%s(%s, %r, offset=%d)" % (type(self).__name__, self.name, self.reason,
                                          self.offset)

    def __reduce__(self):
        return (error, (self.status, self.reason, self.offset, self.field))


class InvalidArgumentError(ScvError, ValueError):
    """SCV_EINVAL: an argument the library refuses (bad name, value out of range)."""


class OutOfMemoryError(ScvError, MemoryError):
    """SCV_ENOMEM: the allocator failed; the engine is as it was before the call."""


class Utf8Error(ScvError, ValueError):
    """SCV_EUTF8: the input is not valid UTF-8 or contains a NUL byte."""


class TooLongError(ScvError, ValueError):
    """SCV_ETOOLONG: the input is longer than a documented maximum (scv.MAX_*)."""


class RejectedError(ScvError, ValueError):
    """SCV_EREJECTED: an identifier value its normalizer refuses."""


class NotFoundError(ScvError, LookupError):
    """SCV_ENOTFOUND: no such record, identifier, profile, kind or source."""


class ExistsError(ScvError):
    """SCV_EEXISTS: a kind or source of that name is already registered."""


class LimitError(ScvError):
    """SCV_ELIMIT: a documented capacity was reached."""


class BufferTooSmallError(ScvError):
    """SCV_EBUFFER (the binding sizes buffers itself, so this means a library bug)."""


class StateError(ScvError):
    """SCV_ESTATE: not valid now, e.g. changing rules after the first record."""


class QuerySyntaxError(ScvError, ValueError):
    """SCV_ESYNTAX: a query that does not parse; ``offset`` is the byte where it fails."""


class ExpiredError(ScvError):
    """SCV_EEXPIRED: the changes asked for are no longer held; resynchronise."""


class CorruptError(ScvError, ValueError):
    """SCV_ECORRUPT: a snapshot that is truncated, damaged or not a snapshot."""


class VersionError(ScvError, ValueError):
    """SCV_EVERSION: a snapshot of a format version this library cannot read."""


ERROR_CLASSES = {
    1: InvalidArgumentError,
    2: OutOfMemoryError,
    3: Utf8Error,
    4: TooLongError,
    5: RejectedError,
    6: NotFoundError,
    7: ExistsError,
    8: LimitError,
    9: BufferTooSmallError,
    10: StateError,
    11: QuerySyntaxError,
    12: ExpiredError,
    13: CorruptError,
    14: VersionError,
}


def error(status, reason="", offset=-1, field=None):
    """The ScvError subclass instance for a status."""
    cls = ERROR_CLASSES.get(int(status), ScvError)
    return cls(status, reason, offset, field)
