"""scv: single customer view (customer identity resolution), Python binding over ctypes.

    import scv
    with scv.Engine(region="DE", hash_key=b"secret") as engine:
        a = engine.upsert({"source": "crm", "record_id": "C-1",
                           "identifiers": {"phone": "030 1234567"}})
        b = engine.upsert({"source": "pos", "record_id": "B-1",
                           "identifiers": {"phone": "+49 30 1234567"}})
        assert a == b

The C library is found through $SCV_LIBRARY (a full path), ctypes.util.find_library("scv"),
then common install prefixes; see README.md.
"""

from . import _lib
from ._native import lib as _loaded
from .allocator import Allocator
from .engine import HAS_SNAPSHOTS, Engine, Rejected, Upserted
from .errors import (
    BufferTooSmallError,
    CorruptError,
    ExistsError,
    ExpiredError,
    InvalidArgumentError,
    LimitError,
    NotFoundError,
    OutOfMemoryError,
    QuerySyntaxError,
    RejectedError,
    ScvError,
    StateError,
    TooLongError,
    Utf8Error,
    VersionError,
)
from .query import Personas, Query, Result, Segment
from .record import Record
from .segment import segment_event_to_record

__version__ = "0.1.0"

#: Path (or name) of the libscv that was loaded.
LIBRARY = _loaded.path

MAX_NAME_LEN = _lib.DEFINES["SCV_MAX_NAME_LEN"]
MAX_RECORD_ID_LEN = _lib.DEFINES["SCV_MAX_RECORD_ID_LEN"]
MAX_VALUE_LEN = _lib.DEFINES["SCV_MAX_VALUE_LEN"]
MAX_TRAIT_LEN = _lib.DEFINES["SCV_MAX_TRAIT_LEN"]
MAX_IDENTIFIERS = _lib.DEFINES["SCV_MAX_IDENTIFIERS"]
MAX_FIELDS = _lib.DEFINES["SCV_MAX_FIELDS"]
HASH_SIZE = _lib.HASH_SIZE


def library_version():
    """The linked library's version string, e.g. "0.1.0"."""
    return _loaded.scv_version_string().decode("ascii")


def library_version_number():
    """The linked library's version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return _loaded.scv_version_number()


__all__ = [
    "Allocator", "BufferTooSmallError", "CorruptError", "Engine", "ExistsError",
    "ExpiredError", "HAS_SNAPSHOTS", "InvalidArgumentError", "LIBRARY", "LimitError",
    "NotFoundError", "OutOfMemoryError", "Personas", "Query", "QuerySyntaxError", "Record",
    "Rejected", "RejectedError", "Result", "ScvError", "Segment", "StateError",
    "TooLongError", "Upserted", "Utf8Error", "VersionError", "library_version",
    "library_version_number", "segment_event_to_record",
]
