"""The loaded library (one per process) and small conversion helpers shared by the modules."""

import ctypes
import datetime
import operator

from . import _lib
from .errors import ScvError, error

lib = _lib.load()

U32_MAX = 0xFFFFFFFF
I64_MIN = -(2 ** 63)
I64_MAX = 2 ** 63 - 1
SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1

OK = 0
EREJECTED = _lib.ENUMS["scv_status"]["SCV_EREJECTED"]
ENOTFOUND = _lib.ENUMS["scv_status"]["SCV_ENOTFOUND"]
EEXISTS = _lib.ENUMS["scv_status"]["SCV_EEXISTS"]
EBUFFER = _lib.ENUMS["scv_status"]["SCV_EBUFFER"]
EINVAL = _lib.ENUMS["scv_status"]["SCV_EINVAL"]
ESYNTAX = _lib.ENUMS["scv_status"]["SCV_ESYNTAX"]


def status_text(status):
    """scv_status_str() as str (e.g. "SCV_EUTF8: invalid UTF-8 or NUL byte")."""
    raw = lib.scv_status_str(int(status))
    return raw.decode("utf-8", "replace") if raw else "unknown status"


def status_reason(status):
    """The part of scv_status_str() after the name, for calls that keep no reason."""
    text = status_text(status)
    return text.split(": ", 1)[1] if ": " in text else text


def fail(status, reason=None, offset=-1, field=None):
    """An ScvError for a status; the reason defaults to the status's description."""
    return error(status, reason if reason else status_reason(status), offset, field)


def to_bytes(value, what, numbers=()):
    """Text for the library: str is encoded UTF-8 (lone surrogates pass through and are then
    refused by the library as invalid UTF-8), bytes-like objects are taken as they are.
    ``numbers`` names the number types (int, or a tuple such as (int, float)) that are also
    accepted and written with str(); bool never is."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if numbers and isinstance(value, numbers) and not isinstance(value, bool):
        return str(value).encode("ascii")
    raise TypeError("%s must be str or bytes, not %s" % (what, type(value).__name__))


def to_str(pointer, length):
    """Bytes the library returned (pointer, length) as str (never raises on bad bytes)."""
    if not pointer or not length:
        return ""
    return ctypes.string_at(pointer, length).decode("utf-8", "surrogateescape")


def show(value):
    """A value (str or bytes) as text for messages and results."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "surrogateescape")
    return str(value)


def to_u32(value, what):
    """A uint32_t argument: a non-negative int below 2^32."""
    if isinstance(value, bool):
        raise TypeError("%s must be an int, not bool" % what)
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__)) from None
    if number < 0 or number > U32_MAX:
        raise ValueError("%s out of range (0..%d): %d" % (what, U32_MAX, number))
    return number


def to_size(value, what):
    if isinstance(value, bool):
        raise TypeError("%s must be an int, not bool" % what)
    number = operator.index(value)
    if number < 0 or number > SIZE_MAX:
        raise ValueError("%s out of range: %d" % (what, number))
    return number


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_timestamp(value, what="timestamp"):
    """A time as unix seconds (int64), or None for "no timestamp".

    Accepts an int (unix seconds), a float (floored), a ``datetime.datetime`` (naive means
    UTC), a ``datetime.date`` (midnight UTC), or a str: decimal unix seconds or ISO 8601 as
    ``datetime.fromisoformat`` reads it (a trailing "Z" means UTC; no offset means UTC).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("%s must be a number, datetime or str, not bool" % what)
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("%s is not finite: %r" % (what, value))
        seconds = int(value // 1)
    elif isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        delta = value - _EPOCH
        seconds = delta.days * 86400 + delta.seconds
    elif isinstance(value, datetime.date):
        seconds = (value - _EPOCH.date()).days * 86400
    elif isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        text = text.strip()
        if text.lstrip("+-").isdigit():
            seconds = int(text)
        else:
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                parsed = datetime.datetime.fromisoformat(text)
            except ValueError:
                raise ValueError("%s is not unix seconds or ISO 8601: %r" % (what, value)) \
                    from None
            return to_timestamp(parsed, what)
    else:
        raise TypeError("%s must be an int, float, datetime or str, not %s"
                        % (what, type(value).__name__))
    if seconds < I64_MIN or seconds > I64_MAX:
        raise ValueError("%s out of the int64 range: %d" % (what, seconds))
    return seconds


def to_now(now):
    """The evaluation time of queries: unix seconds; None means the current time."""
    if now is None:
        import time
        return int(time.time())
    return to_timestamp(now, "now")


def from_timestamp(seconds):
    return None if seconds == _lib.NO_TIMESTAMP else seconds


__all__ = ["lib", "ScvError"]


class Closable:
    """What every handle owner shares: ``close()`` (defined by the class) runs at most once
    in effect, on ``with`` exit and at garbage collection; ``closed`` tells whether it ran.
    Subclasses keep their C handle in ``self._h`` (None once closed)."""

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        return self._h is None
