"""The C side of the binding: every type, constant and function of scv.h that Python uses.

This is the only module that names C functions. It is written as plain tables so that
``tests/test_header_drift.py`` can check them against ``include/scv.h``:

- ``FUNCTIONS``: name -> (restype, [argtypes]) for every function the package calls;
- ``OPTIONAL``: the names in FUNCTIONS that a library may lack (bound when present);
- ``CALLBACKS``: the C function-pointer typedefs, as CFUNCTYPE types;
- ``STRUCTS``: the structs with a public layout;
- ``ENUMS`` and ``DEFINES``: pinned numbers the package relies on.

Importing this module does not load the library; ``load()`` does (``scv/__init__.py`` calls
it). Conventions for the ctypes types chosen here:

- opaque handles (``scv_engine *``) are ``c_void_p``, out-handles ``POINTER(c_void_p)``;
- input strings (``const char *`` with a length) are ``c_char_p`` and get ``bytes``;
- strings the library returns without a NUL terminator (names, record ids, values) are
  ``c_void_p`` (or ``POINTER(c_void_p)`` as outputs) and are read with ``ctypes.string_at``
  and the length the call reports; NUL-terminated static strings are ``c_char_p``;
- every C enum is ``c_int``; ``uint8_t out[16]`` parameters are ``POINTER(c_uint8)``.
"""

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

# ---- typedef'd scalar types of scv.h ---------------------------------------------------------

scv_status = c_int  # enum
scv_retain = c_int  # enum
scv_normalizer = c_int  # enum
scv_link = c_int  # enum
scv_stat = c_int  # enum
scv_survivorship = c_int  # enum
scv_agg = c_int  # enum
scv_setop = c_int  # enum
scv_apart = c_int  # enum
scv_change = c_int  # enum
scv_kind = c_uint32
scv_source = c_uint32
scv_record_ref = c_uint32
scv_profile_id = c_uint32
scv_identifier_ref = c_uint32

# ---- callbacks and structs --------------------------------------------------------------------

ALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_size_t)
REALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_size_t, c_size_t)
FREE_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)

# typedef int (*scv_change_fn)(void *ctx, uint64_t seq, scv_change change, scv_profile_id
#     profile, scv_profile_id other, scv_source source, const char *record_id, size_t len);
# record_id is c_void_p: it is not NUL-terminated.
scv_change_fn = CFUNCTYPE(
    c_int, c_void_p, c_uint64, scv_change, scv_profile_id, scv_profile_id, scv_source,
    c_void_p, c_size_t)


class scv_allocator(Structure):
    """struct scv_allocator: {alloc, realloc, free, ctx}."""

    _fields_ = [
        ("alloc", ALLOC_FN),
        ("realloc", REALLOC_FN),
        ("free", FREE_FN),
        ("ctx", c_void_p),
    ]


CALLBACKS = {"scv_change_fn": scv_change_fn}
STRUCTS = {"scv_allocator": scv_allocator}

# ---- pinned numbers ---------------------------------------------------------------------------

ENUMS = {
    "scv_status": {
        "SCV_OK": 0, "SCV_EINVAL": 1, "SCV_ENOMEM": 2, "SCV_EUTF8": 3, "SCV_ETOOLONG": 4,
        "SCV_EREJECTED": 5, "SCV_ENOTFOUND": 6, "SCV_EEXISTS": 7, "SCV_ELIMIT": 8,
        "SCV_EBUFFER": 9, "SCV_ESTATE": 10, "SCV_ESYNTAX": 11, "SCV_EEXPIRED": 12,
        "SCV_ECORRUPT": 13, "SCV_EVERSION": 14,
    },
    "scv_retain": {"SCV_RETAIN_NONE": 0, "SCV_RETAIN_NORMALIZED": 1, "SCV_RETAIN_RAW": 2},
    "scv_normalizer": {
        "SCV_NORM_EMAIL": 0, "SCV_NORM_PHONE": 1, "SCV_NORM_EXACT": 2, "SCV_NORM_CASEFOLD": 3,
    },
    "scv_link": {
        "SCV_LINK": 0, "SCV_LINK_ASIDE_LIMIT": 1, "SCV_LINK_ASIDE_SIZE": 2,
        "SCV_LINK_BLOCKED": 3, "SCV_LINK_GENERIC": 4, "SCV_LINK_SUPPRESSED": 5,
    },
    "scv_stat": {
        "SCV_STAT_RECORDS": 0, "SCV_STAT_PROFILES": 1, "SCV_STAT_IDENTIFIERS": 2,
        "SCV_STAT_MERGES": 3, "SCV_STAT_SPLITS": 4, "SCV_STAT_ASIDE_LIMIT": 5,
        "SCV_STAT_ASIDE_SIZE": 6, "SCV_STAT_BLOCKED_VALUES": 7, "SCV_STAT_BLOCKED_RECORDS": 8,
        "SCV_STAT_GENERIC_VALUES": 9, "SCV_STAT_GENERIC_RECORDS": 10,
        "SCV_STAT_GENERIC_DECISIONS": 11, "SCV_STAT_BYTES": 12,
    },
    "scv_survivorship": {
        "SCV_SURVIVE_MOST_RECENT": 0, "SCV_SURVIVE_SOURCE_PRIORITY": 1,
        "SCV_SURVIVE_MOST_FREQUENT": 2, "SCV_SURVIVE_FIRST_SEEN": 3,
    },
    "scv_agg": {
        "SCV_AGG_COUNT": 0, "SCV_AGG_SUM": 1, "SCV_AGG_AVG": 2, "SCV_AGG_MIN": 3,
        "SCV_AGG_MAX": 4, "SCV_AGG_FIRST_TIME": 5, "SCV_AGG_LAST_TIME": 6,
    },
    "scv_setop": {"SCV_SET_AND": 0, "SCV_SET_OR": 1, "SCV_SET_ANDNOT": 2},
    "scv_apart": {
        "SCV_APART_NONE": 0, "SCV_APART_UNRELATED": 1, "SCV_APART_LIMIT": 2,
        "SCV_APART_SIZE": 3, "SCV_APART_BLOCKED": 4, "SCV_APART_GENERIC": 5,
        "SCV_APART_SUPPRESSED": 6,
    },
    "scv_change": {
        "SCV_CHANGE_CREATED": 0, "SCV_CHANGE_MERGED": 1, "SCV_CHANGE_SPLIT": 2,
        "SCV_CHANGE_UPDATED": 3, "SCV_CHANGE_DELETED": 4,
    },
}

DEFINES = {
    "SCV_MAX_NAME_LEN": 64,
    "SCV_MAX_RECORD_ID_LEN": 256,
    "SCV_MAX_VALUE_LEN": 1024,
    "SCV_MAX_TRAIT_LEN": 65536,
    "SCV_MAX_IDENTIFIERS": 64,
    "SCV_MAX_FIELDS": 256,
    "SCV_MAX_KINDS": 64,
    "SCV_HASH_SIZE": 16,
    "SCV_KIND_EMAIL": 0,
    "SCV_KIND_PHONE": 1,
    "SCV_KIND_CUSTOMER_ID": 2,
    "SCV_KIND_ANONYMOUS_ID": 3,
    "SCV_KIND_DEVICE_ID": 4,
    "SCV_KIND_LOYALTY_ID": 5,
    "SCV_SOURCE_CRM": 0,
    "SCV_SOURCE_WEB": 1,
    "SCV_SOURCE_EMAIL": 2,
    "SCV_SOURCE_POS": 3,
}

# SCV_MAX_NORMALIZED_LEN is (SCV_MAX_VALUE_LEN + 8); SCV_NO_TIMESTAMP is INT64_MIN.
MAX_NORMALIZED_LEN = DEFINES["SCV_MAX_VALUE_LEN"] + 8
NO_TIMESTAMP = -(2 ** 63)
HASH_SIZE = DEFINES["SCV_HASH_SIZE"]

# ---- functions --------------------------------------------------------------------------------

P = POINTER
VP = c_void_p  # an opaque handle or a pointer the library owns
STR = c_char_p  # an input string (bytes) with a separate length
OUT_STR = P(c_void_p)  # receives a pointer to bytes that are not NUL-terminated
HASH = P(c_uint8)  # uint8_t [SCV_HASH_SIZE]

FUNCTIONS = {
    # version, status
    "scv_version_number": (c_uint, []),
    "scv_version_string": (c_char_p, []),
    "scv_status_str": (c_char_p, [scv_status]),
    # options
    "scv_options_new": (scv_status, [P(scv_allocator), P(VP)]),
    "scv_options_free": (None, [VP]),
    "scv_options_set_hash_key": (scv_status, [VP, VP, c_size_t]),
    "scv_options_set_region": (scv_status, [VP, STR, c_size_t]),
    "scv_options_set_change_capacity": (scv_status, [VP, c_size_t]),
    "scv_options_set_retain": (scv_status, [VP, scv_retain]),
    "scv_options_set_email_provider_rules": (scv_status, [VP, c_int]),
    # engine
    "scv_engine_new": (scv_status, [VP, P(VP)]),
    "scv_engine_free": (None, [VP]),
    "scv_engine_errmsg": (c_char_p, [VP]),
    "scv_engine_erroffset": (c_int64, [VP]),
    # kinds and sources
    "scv_engine_register_kind": (scv_status, [VP, STR, c_size_t, scv_normalizer, P(scv_kind)]),
    "scv_engine_kind": (scv_status, [VP, STR, c_size_t, P(scv_kind)]),
    "scv_engine_kind_count": (c_uint32, [VP]),
    "scv_engine_kind_name": (VP, [VP, scv_kind, P(c_size_t)]),
    "scv_engine_register_source": (scv_status, [VP, STR, c_size_t, P(scv_source)]),
    "scv_engine_source": (scv_status, [VP, STR, c_size_t, P(scv_source)]),
    "scv_engine_source_count": (c_uint32, [VP]),
    "scv_engine_source_name": (VP, [VP, scv_source, P(c_size_t)]),
    # rules
    "scv_engine_set_limit": (scv_status, [VP, scv_kind, c_uint32]),
    "scv_engine_set_priority": (scv_status, [VP, P(scv_kind), c_size_t]),
    "scv_engine_set_generic_threshold": (scv_status, [VP, scv_kind, c_uint32]),
    "scv_engine_set_profile_limits": (scv_status, [VP, c_uint32, c_uint32]),
    "scv_engine_set_default_blocklist": (scv_status, [VP, c_int]),
    "scv_engine_block": (scv_status, [VP, scv_kind, STR, c_size_t]),
    "scv_record_identifiers": (
        scv_status, [VP, scv_record_ref, P(scv_identifier_ref), P(c_uint8), c_size_t, P(c_size_t)]),
    "scv_engine_identifier_state": (scv_status, [VP, scv_identifier_ref, P(c_uint8), P(c_uint32)]),
    "scv_profile_unlinked": (
        scv_status, [VP, scv_profile_id, P(scv_identifier_ref), P(c_uint8), c_size_t, P(c_size_t)]),
    "scv_engine_stat": (scv_status, [VP, scv_stat, P(c_uint64)]),
    # normalization and hashing
    "scv_engine_normalize": (
        scv_status, [VP, scv_kind, STR, c_size_t, VP, c_size_t, P(c_size_t)]),
    "scv_engine_hash": (scv_status, [VP, scv_kind, STR, c_size_t, HASH]),
    # record builder
    "scv_record_new": (scv_status, [VP, P(VP)]),
    "scv_record_free": (None, [VP]),
    "scv_record_reset": (scv_status, [VP, scv_source, STR, c_size_t]),
    "scv_record_set_timestamp": (scv_status, [VP, c_int64]),
    "scv_record_add_identifier": (scv_status, [VP, scv_kind, STR, c_size_t]),
    "scv_record_add_trait": (scv_status, [VP, STR, c_size_t, STR, c_size_t]),
    "scv_record_add_measure": (scv_status, [VP, STR, c_size_t, c_double]),
    "scv_record_add_consent": (scv_status, [VP, STR, c_size_t, c_int, c_int64]),
    "scv_record_errmsg": (c_char_p, [VP]),
    "scv_record_erroffset": (c_int64, [VP]),
    "scv_engine_upsert": (scv_status, [VP, VP, P(scv_profile_id)]),
    # const scv_record *const *recs: an array of builder handles
    "scv_engine_upsert_batch": (
        scv_status, [VP, P(VP), c_size_t, P(scv_profile_id), P(c_size_t)]),
    # lookups and iteration
    "scv_engine_record_count": (c_size_t, [VP]),
    "scv_engine_profile_count": (c_size_t, [VP]),
    "scv_engine_identifier_count": (c_size_t, [VP]),
    "scv_engine_record_find": (scv_status, [VP, scv_source, STR, c_size_t, P(scv_record_ref)]),
    "scv_engine_record_next": (scv_status, [VP, scv_record_ref, P(scv_record_ref)]),
    "scv_engine_record_info": (
        scv_status, [VP, scv_record_ref, P(scv_source), OUT_STR, P(c_size_t), P(c_int64)]),
    "scv_engine_record_profile": (scv_status, [VP, scv_record_ref, P(scv_profile_id)]),
    "scv_engine_record_profiles": (
        scv_status,
        [VP, scv_record_ref, P(scv_record_ref), P(scv_profile_id), c_size_t, P(c_size_t)]),
    "scv_engine_identifier_profile": (
        scv_status, [VP, scv_kind, STR, c_size_t, P(scv_profile_id)]),
    "scv_profile_canonical": (scv_status, [VP, scv_profile_id, P(scv_profile_id)]),
    "scv_engine_profile_next": (scv_status, [VP, scv_profile_id, P(scv_profile_id)]),
    "scv_profile_records": (
        scv_status, [VP, scv_profile_id, P(scv_record_ref), c_size_t, P(c_size_t)]),
    "scv_profile_identifiers": (
        scv_status, [VP, scv_profile_id, P(scv_identifier_ref), c_size_t, P(c_size_t)]),
    "scv_engine_identifier_info": (
        scv_status, [VP, scv_identifier_ref, P(scv_kind), HASH, OUT_STR, P(c_size_t)]),
    "scv_profile_trait": (
        scv_status, [VP, scv_profile_id, STR, c_size_t, OUT_STR, P(c_size_t), P(scv_record_ref)]),
    "scv_engine_trait_name": (scv_status, [VP, c_size_t, OUT_STR, P(c_size_t)]),
    # single customer views
    "scv_engine_set_trait_rule": (scv_status, [VP, STR, c_size_t, scv_survivorship]),
    "scv_engine_set_source_priority": (scv_status, [VP, P(scv_source), c_size_t]),
    "scv_engine_measure_name": (scv_status, [VP, c_size_t, OUT_STR, P(c_size_t)]),
    "scv_engine_consent_channel": (scv_status, [VP, c_size_t, OUT_STR, P(c_size_t)]),
    "scv_profile_measure": (
        scv_status,
        [VP, scv_profile_id, STR, c_size_t, scv_agg, c_uint32, c_int64, P(c_double)]),
    "scv_profile_consent": (
        scv_status, [VP, scv_profile_id, STR, c_size_t, P(c_int), P(c_int64)]),
    "scv_profile_seen": (scv_status, [VP, scv_profile_id, P(c_int64), P(c_int64)]),
    "scv_profile_json": (scv_status, [VP, scv_profile_id, VP, c_size_t, P(c_size_t)]),
    # queries and results
    "scv_query_compile": (scv_status, [VP, STR, c_size_t, P(VP), P(c_size_t)]),
    "scv_query_free": (None, [VP]),
    "scv_query_eval": (scv_status, [VP, c_int64, P(VP)]),
    "scv_result_free": (None, [VP]),
    "scv_result_count": (c_size_t, [VP]),
    "scv_result_contains": (c_int, [VP, scv_profile_id]),
    "scv_result_next": (scv_status, [VP, scv_profile_id, P(scv_profile_id)]),
    "scv_result_combine": (scv_status, [VP, VP, scv_setop, P(VP)]),
    "scv_engine_set_rfm_measure": (scv_status, [VP, STR, c_size_t]),
    # segments and personas
    "scv_segment_new": (
        scv_status, [VP, STR, c_size_t, STR, c_size_t, P(VP), P(c_size_t)]),
    "scv_segment_free": (None, [VP]),
    "scv_segment_name": (VP, [VP, P(c_size_t)]),
    "scv_segment_refresh": (scv_status, [VP, c_int64, P(VP), P(VP)]),
    "scv_segment_members": (scv_status, [VP, P(VP)]),
    "scv_personas_new": (scv_status, [VP, P(VP)]),
    "scv_personas_free": (None, [VP]),
    "scv_personas_add": (scv_status, [VP, STR, c_size_t, STR, c_size_t, P(c_size_t)]),
    "scv_personas_assign": (scv_status, [VP, c_int64]),
    "scv_personas_count": (c_uint32, [VP]),
    "scv_personas_name": (VP, [VP, c_uint32, P(c_size_t)]),
    "scv_personas_size": (c_size_t, [VP, c_uint32]),
    "scv_personas_of": (scv_status, [VP, scv_profile_id, P(c_uint32)]),
    # lifecycle and privacy
    "scv_engine_delete": (scv_status, [VP, scv_source, STR, c_size_t]),
    "scv_engine_erase": (scv_status, [VP, scv_profile_id, P(c_size_t), P(c_size_t)]),
    "scv_engine_suppress": (scv_status, [VP, scv_kind, STR, c_size_t]),
    "scv_engine_suppress_hash": (scv_status, [VP, scv_kind, HASH]),
    "scv_engine_unsuppress_hash": (scv_status, [VP, scv_kind, HASH]),
    "scv_engine_suppressed_count": (c_size_t, [VP]),
    "scv_engine_explain": (
        scv_status,
        [VP, scv_record_ref, scv_record_ref, P(scv_record_ref), P(scv_identifier_ref), c_size_t,
         P(c_size_t), P(scv_apart)]),
    "scv_engine_sequence": (c_uint64, [VP]),
    "scv_engine_changes_since": (scv_status, [VP, c_uint64, scv_change_fn, VP]),
    # snapshots and absorb
    "scv_engine_snapshot_size": (scv_status, [VP, P(c_size_t)]),
    "scv_engine_snapshot_write": (scv_status, [VP, VP, c_size_t, P(c_size_t)]),
    "scv_engine_load": (scv_status, [VP, VP, c_size_t, P(VP)]),
    "scv_engine_absorb": (scv_status, [VP, VP]),
    "scv_engine_reserve": (scv_status, [VP, c_size_t, c_size_t]),
    "scv_engine_shrink": (scv_status, [VP]),
}

# Functions a library may lack (newer than the oldest library this package supports): they are
# bound when the loaded library exports them, and the features using them say so otherwise.
OPTIONAL = frozenset({
    "scv_engine_upsert_batch",
    "scv_engine_record_profiles",
    "scv_engine_snapshot_size",
    "scv_engine_snapshot_write",
    "scv_engine_load",
    "scv_engine_absorb",
    "scv_engine_shrink",
})


# ---- loading ----------------------------------------------------------------------------------

_NAMES = ("libscv.so", "libscv.so.0", "libscv.dylib", "scv.dll")
_PREFIXES = (
    "/usr/local/lib",
    "/usr/local/lib64",
    "/usr/local/lib/x86_64-linux-gnu",
    "/usr/local/lib/aarch64-linux-gnu",
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/opt/homebrew/lib",
    "/opt/local/lib",
)


def candidates():
    """Where load() looks, in order: (description, path or name)."""
    found = []
    env = os.environ.get("SCV_LIBRARY")
    if env:
        found.append(("$SCV_LIBRARY", env))
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _NAMES:
        path = os.path.join(here, name)
        if os.path.exists(path):
            found.append(("next to the package", path))
    name = ctypes.util.find_library("scv")
    if name:
        found.append(("ctypes.util.find_library", name))
    prefixes = []
    for var in ("CONDA_PREFIX", "VIRTUAL_ENV"):
        if os.environ.get(var):
            prefixes.append(os.path.join(os.environ[var], "lib"))
    prefixes.append(os.path.join(sys.prefix, "lib"))
    prefixes.extend(_PREFIXES)
    for prefix in prefixes:
        for name in _NAMES:
            path = os.path.join(prefix, name)
            if os.path.exists(path):
                found.append(("install prefix", path))
    return found


class Lib:
    """The loaded library: one attribute per bound function, plus ``path`` and ``missing``."""

    def __init__(self, cdll, path, missing):
        self._cdll = cdll
        self.path = path
        self.missing = frozenset(missing)

    def has(self, name):
        return name not in self.missing


def bind(cdll, path="?"):
    """Declare restype/argtypes of every FUNCTIONS entry on ``cdll``; return a Lib."""
    missing = []
    lib = Lib(cdll, path, ())
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = list(argtypes)
        setattr(lib, name, fn)
    required = [m for m in missing if m not in OPTIONAL]
    if required:
        raise ImportError(
            "scv: the library at %s lacks %s; it is older than this package (set SCV_LIBRARY "
            "to a matching libscv)" % (path, ", ".join(sorted(required))))
    lib.missing = frozenset(missing)
    return lib


def load():
    """Find and load libscv (see README: SCV_LIBRARY, find_library, install prefixes)."""
    tried = []
    for how, where in candidates():
        try:
            cdll = ctypes.CDLL(where)
        except OSError as exc:
            tried.append("%s (%s): %s" % (where, how, exc))
            continue
        return bind(cdll, where)
    if not tried:
        tried.append("no libscv found by ctypes.util.find_library('scv') or in "
                     + ", ".join(_PREFIXES))
    raise ImportError(
        "scv: cannot load the scv C library. Build it (cmake -S . -B build && cmake --build "
        "build) and set SCV_LIBRARY to the full path of libscv.so, or install it (cmake "
        "--install build). Tried:\n  " + "\n  ".join(tried))
