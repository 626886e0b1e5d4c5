"""Engine: one scv_engine, with records in, rules, lookups, queries and the lifecycle calls."""

import ctypes
import json
import threading
import weakref
from ctypes import (
    byref,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

from . import _lib
from ._native import (
    I64_MAX,
    I64_MIN,
    Closable,
    EBUFFER,
    EEXISTS,
    ENOTFOUND,
    EREJECTED,
    OK,
    fail,
    from_timestamp,
    lib,
    show,
    to_bytes,
    to_now,
    to_size,
    to_str,
    to_timestamp,
    to_u32,
)
from .allocator import Allocator
from .errors import NotFoundError
from .query import Personas, Query, Segment
from .record import Record

RETAIN = {"none": 0, "normalized": 1, "raw": 2}
NORMALIZERS = {"email": 0, "phone": 1, "exact": 2, "casefold": 3}
SURVIVORSHIP = {"most_recent": 0, "source_priority": 1, "most_frequent": 2, "first_seen": 3}
AGGREGATES = {"count": 0, "sum": 1, "avg": 2, "min": 3, "max": 4, "first_time": 5,
              "last_time": 6}
LINK_STATES = ("linked", "set_aside_limit", "set_aside_size", "blocked", "generic",
               "suppressed")
APART = ("none", "unrelated", "limit", "size", "blocked", "generic", "suppressed")
CHANGES = ("created", "merged", "split", "updated", "deleted")
STATS = tuple(name[len("SCV_STAT_"):].lower()
              for name, _ in sorted(_lib.ENUMS["scv_stat"].items(), key=lambda kv: kv[1]))

_HashArray = c_uint8 * _lib.HASH_SIZE


class Rejected(tuple):
    """An identifier value the library refused on upsert: (kind, value, reason, offset)."""

    __slots__ = ()
    _fields = ("kind", "value", "reason", "offset")

    def __new__(cls, kind, value, reason, offset):
        return tuple.__new__(cls, (kind, value, reason, offset))

    kind = property(lambda self: self[0])
    value = property(lambda self: self[1])
    reason = property(lambda self: self[2])
    offset = property(lambda self: self[3])

    def __repr__(self):
        return "Rejected(kind=%r, value=%r, reason=%r, offset=%d)" % self


class Upserted(int):
    """What Engine.upsert returns: the record's profile id (an int), plus ``rejected``, the
    list of identifier values the normalizers refused (they were left off the record)."""

    def __new__(cls, profile, rejected=()):
        obj = int.__new__(cls, profile)
        if rejected:
            obj.rejected = list(rejected)
        return obj

    # The list is made when first asked for: most records have no rejected value, and a bulk
    # load returns many Upserted (objects the garbage collector then need not visit).
    @property
    def rejected(self):
        attrs = self.__dict__
        found = attrs.get("rejected")
        if found is None:
            found = attrs["rejected"] = []
        return found

    @rejected.setter
    def rejected(self, value):
        self.__dict__["rejected"] = value

    @property
    def profile(self):
        return int(self)

    def __repr__(self):
        return "Upserted(%d, rejected=%r)" % (int(self), self.rejected)


# ---- records in: conversion and the builder pool ----------------------------------------------

# The builder calls an upsert makes per record, looked up once.
_reset = lib.scv_record_reset
_set_timestamp = lib.scv_record_set_timestamp
_add_identifier = lib.scv_record_add_identifier
_add_trait = lib.scv_record_add_trait
_add_measure = lib.scv_record_add_measure
_upsert_batch = getattr(lib, "scv_engine_upsert_batch", None)  # None: an older library
_record_profiles = getattr(lib, "scv_engine_record_profiles", None)  # None: an older library

#: How many records Engine.upsert_many hands to the library per scv_engine_upsert_batch() call
#: (and how many record builders an engine keeps for it).
POOL_SIZE = 256

#: How many records Engine.assignments() asks scv_engine_record_profiles() for per call.
ASSIGNMENTS_CHUNK = 4096

_RECORD_KEYS = frozenset(("source", "record_id", "timestamp", "identifiers", "traits",
                          "measures", "consent"))


def _prepare(record):
    """A record (dict or Record) converted for the builder calls, without touching the
    engine: (source as given, record_id bytes, timestamp or None, ((kind as given, value
    bytes, value as given), ...), ((trait name bytes, value bytes), ...), ((measure name
    bytes, float), ...), ((channel bytes, granted, timestamp), ...)). Raises what upsert()
    raises for input that is bad in itself (TypeError, ValueError). Tuples, not lists: the
    garbage collector stops visiting them once it sees they hold no containers, which
    matters while upsert_many holds a batch of them."""
    if type(record) is dict:
        prepared = _prepare_plain(record)
        if prepared is not None:
            return prepared
    rec = Record.from_dict(record)
    record_id = to_bytes(rec.record_id, "record_id", numbers=int)
    timestamp = to_timestamp(rec.timestamp)
    identifiers = [
        (kind, to_bytes(value, "identifier %s" % show(kind), numbers=int), value)
        for kind, value in rec.identifiers]
    traits = [
        (to_bytes(n, "trait name"), to_bytes(v, "trait %s" % show(n), numbers=(int, float)))
        for n, v in rec.traits.items()]
    measures = [(to_bytes(n, "measure name"), float(v)) for n, v in rec.measures.items()]
    consent = [(to_bytes(c, "consent channel"), g,
                _lib.NO_TIMESTAMP if t is None else to_timestamp(t, "consent timestamp"))
               for c, (g, t) in rec.consent.items()]
    return (rec.source, record_id, timestamp, tuple(identifiers), tuple(traits),
            tuple(measures), tuple(consent))


def _prepare_plain(record):
    """_prepare() of a plain dict whose fields have the common types (str record id, values
    and names; int timestamp or any a single to_timestamp() takes; no consent), without
    making a Record: the same result, faster. None for any other dict; the general path
    then converts it (and raises its errors in its order)."""
    if not record.keys() <= _RECORD_KEYS or "source" not in record:
        return None
    record_id = record.get("record_id")
    if type(record_id) is not str:
        return None
    identifiers = []
    given = record.get("identifiers")
    if given is not None:
        if type(given) is not dict:
            return None
        for kind, values in given.items():
            if type(values) is str:
                if values:
                    identifiers.append((kind, values.encode("utf-8", "surrogatepass"), values))
            elif type(values) is list:
                for value in values:
                    if type(value) is str:
                        if value:
                            identifiers.append(
                                (kind, value.encode("utf-8", "surrogatepass"), value))
                    elif value is not None:
                        return None
            elif values is not None:
                return None
    traits = []
    given = record.get("traits")
    if given is not None:
        if type(given) is not dict:
            return None
        for name, value in given.items():
            if type(name) is not str:
                return None
            if type(value) is str:
                raw = value.encode("utf-8", "surrogatepass")
            elif value is None:
                raw = b""
            elif type(value) is int or type(value) is float:
                raw = str(value).encode("ascii")
            else:
                return None
            traits.append((name.encode("utf-8", "surrogatepass"), raw))
    measures = []
    given = record.get("measures")
    if given is not None:
        if type(given) is not dict:
            return None
        for name, value in given.items():
            if type(name) is not str:
                return None
            if type(value) is float or type(value) is int:
                measures.append((name.encode("utf-8", "surrogatepass"), float(value)))
            elif value is not None:
                return None
    given = record.get("consent")
    if given is not None and (type(given) is not dict or given):
        return None
    # Last, as in _prepare: nothing above can fail on what it accepts, so a bad timestamp
    # is the first error here as there.
    timestamp = record.get("timestamp")
    if timestamp is not None and (type(timestamp) is not int
                                  or not I64_MIN <= timestamp <= I64_MAX):
        timestamp = to_timestamp(timestamp)
    return (record["source"], record_id.encode("utf-8", "surrogatepass"), timestamp,
            tuple(identifiers), tuple(traits), tuple(measures), ())


def _stopped_at(exc, index, upserted):
    """Tag an exception that stopped Engine.upsert_many with where it stopped."""
    exc.index = index
    exc.upserted = upserted
    return exc


class _BuilderPool:
    """The record builders Engine.upsert_many fills before each scv_engine_upsert_batch()
    call, with that call's arrays. Builders are made as the first batches need them and kept
    until the engine is closed."""

    __slots__ = ("builders", "handles", "profiles", "done")

    def __init__(self):
        self.builders = []
        self.handles = None  # const scv_record *[POOL_SIZE], as the batch call reads them
        self.profiles = None  # scv_profile_id[POOL_SIZE], as the batch call writes them
        self.done = None

    def builder(self, engine, slot):
        """Slot `slot`'s builder; slots are first asked for in order 0, 1, 2..."""
        if slot < len(self.builders):
            return self.builders[slot]
        if self.handles is None:
            self.handles = (c_void_p * POOL_SIZE)()
            self.profiles = (c_uint32 * POOL_SIZE)()
            self.done = c_size_t(0)
        out = c_void_p()
        status = lib.scv_record_new(engine._handle(), byref(out))
        if status != OK:
            raise fail(status, "cannot create a record builder")
        self.handles[slot] = out.value
        self.builders.append(out.value)
        return out.value

    def free(self):
        for builder in self.builders:
            lib.scv_record_free(builder)
        self.builders.clear()
        self.handles = self.profiles = self.done = None


def _options(region, hash_key, retain, email_provider_rules, change_capacity, allocator):
    """Make an scv_options handle from keyword arguments; the caller frees it."""
    out = c_void_p()
    alloc_ptr = byref(allocator._as_struct()) if allocator is not None else None
    status = lib.scv_options_new(alloc_ptr, byref(out))
    if status != OK:
        raise fail(status, "cannot create engine options")
    opts = out.value
    try:
        if hash_key is not None:
            key = to_bytes(hash_key, "hash_key")
            status = lib.scv_options_set_hash_key(opts, key, len(key))
            if status != OK:
                raise fail(status, "hash_key must be at most 4096 bytes", field="hash_key")
        if region is not None:
            code = to_bytes(region, "region")
            status = lib.scv_options_set_region(opts, code, len(code))
            if status != OK:
                raise fail(status, "unknown phone region %r (an ISO 3166 alpha-2 code such "
                                   "as 'DE')" % show(region), field="region")
        if retain is not None:
            if isinstance(retain, str):
                if retain not in RETAIN:
                    raise ValueError("retain must be one of %s, not %r"
                                     % (", ".join(RETAIN), retain))
                retain = RETAIN[retain]
            status = lib.scv_options_set_retain(opts, to_u32(retain, "retain"))
            if status != OK:
                raise fail(status, "bad retain value", field="retain")
        status = lib.scv_options_set_email_provider_rules(opts, 1 if email_provider_rules else 0)
        if status != OK:
            raise fail(status)
        if change_capacity is not None:
            status = lib.scv_options_set_change_capacity(
                opts, to_size(change_capacity, "change_capacity"))
            if status != OK:
                raise fail(status, "change_capacity must be at most 2^28",
                           field="change_capacity")
    except BaseException:
        lib.scv_options_free(opts)
        raise
    return opts


def _check_allocator(allocator):
    if allocator is not None and not isinstance(allocator, Allocator):
        raise TypeError("allocator must be a scv.Allocator, not %s" % type(allocator).__name__)


class Engine(Closable):
    """An identity-resolution engine (one scv_engine).

    Engine(region=None, hash_key=None, retain="normalized", email_provider_rules=False,
           change_capacity=None, allocator=None)

    region                default phone region, ISO 3166 alpha-2 ("DE"); None: numbers must
                          carry their country code.
    hash_key              str or bytes: the secret identifiers are hashed under. None (the
                          library's default) uses XXH3's public default secret: fine for
                          tests, not for pseudonymisation.
    retain                "normalized" (keep normalized identifier values: profiles show
                          them), "raw" (also the raw values) or "none" (hashes only).
    email_provider_rules  fold Gmail dots and +tags.
    change_capacity       how many change events to keep (default 65536).
    allocator             a scv.Allocator to allocate with (default: libc).

    Use it as a context manager or call close(); every query, segment and persona list made
    from it is closed with it. Calls on one engine are serialised by a lock, so an engine
    may be shared between threads.
    """

    def __init__(self, region=None, hash_key=None, retain="normalized",
                 email_provider_rules=False, change_capacity=None, allocator=None):
        self._h = None
        self._init_state(allocator)
        opts = _options(region, hash_key, retain, email_provider_rules, change_capacity,
                        allocator)
        try:
            out = c_void_p()
            status = lib.scv_engine_new(opts, byref(out))
            if status != OK:
                raise fail(status, "cannot create the engine")
            self._h = out.value
        finally:
            lib.scv_options_free(opts)

    def _init_state(self, allocator):
        _check_allocator(allocator)
        self._lock = threading.RLock()
        self._children = weakref.WeakSet()
        self._builder_h = None
        self._profile_out = c_uint32(0)  # upsert()'s output, reused under the lock
        self._pool = _BuilderPool()
        self._keep = allocator
        self._kinds = {}
        self._sources = {}
        # The same numbers keyed by the str the caller gave (upserts look them up per record)
        self._kind_of_str = {}
        self._source_of_str = {}

    @classmethod
    def _adopt(cls, handle, allocator):
        engine = cls.__new__(cls)
        engine._h = None
        engine._init_state(allocator)
        engine._h = handle
        return engine

    # ---- lifetime ------------------------------------------------------------------------

    def close(self):
        """Free the engine and everything made from it (queries, segments, personas; results
        stay usable). Idempotent; also done on garbage collection."""
        lock = getattr(self, "_lock", None)
        if lock is None or self._h is None:
            return
        with lock:
            if self._h is None:
                return
            for child in list(self._children):
                child._release()
            self._children.clear()
            if self._builder_h is not None:
                lib.scv_record_free(self._builder_h)
                self._builder_h = None
            self._pool.free()
            handle, self._h = self._h, None
            lib.scv_engine_free(handle)

    def _handle(self):
        if self._h is None:
            raise ValueError("this scv.Engine is closed")
        return self._h

    def _errmsg(self):
        if self._h is None:
            return ""
        raw = lib.scv_engine_errmsg(self._h)
        return raw.decode("utf-8", "replace") if raw else ""

    def _erroffset(self):
        return -1 if self._h is None else lib.scv_engine_erroffset(self._h)

    def _error(self, status, field=None):
        """The error of a failed non-const call, with the engine's reason and offset."""
        return fail(status, self._errmsg(), self._erroffset(), field)

    def _builder(self):
        if self._builder_h is None:
            out = c_void_p()
            status = lib.scv_record_new(self._handle(), byref(out))
            if status != OK:
                raise fail(status, "cannot create a record builder")
            self._builder_h = out.value
        return self._builder_h

    def _record_error(self, builder, status, field):
        raw = lib.scv_record_errmsg(builder)
        reason = raw.decode("utf-8", "replace") if raw else ""
        return fail(status, reason, lib.scv_record_erroffset(builder), field)

    def __len__(self):
        """The number of stored records."""
        with self._lock:
            return lib.scv_engine_record_count(self._handle())

    def __bool__(self):
        return True

    def __repr__(self):
        if self._h is None:
            return "<scv.Engine closed>"
        return "<scv.Engine records=%d profiles=%d>" % (len(self), self.profile_count)

    @property
    def profile_count(self):
        """Live profiles."""
        with self._lock:
            return lib.scv_engine_profile_count(self._handle())

    @property
    def identifier_count(self):
        """Distinct identifiers held."""
        with self._lock:
            return lib.scv_engine_identifier_count(self._handle())

    # ---- names: kinds and sources --------------------------------------------------------

    def _name_of(self, fn, number):
        length = c_size_t(0)
        pointer = fn(self._handle(), number, byref(length))
        return None if not pointer else to_str(pointer, length.value)

    def _lookup(self, cache, what, find, count, name, register=None):
        """A kind or source number from a name (str/bytes, matched exactly, then trimmed and
        lower-cased) or a number."""
        if isinstance(name, int) and not isinstance(name, bool):
            if 0 <= name < count(self._handle()):
                return name
            raise NotFoundError(6, "no %s number %d" % (what, name), field=what)
        raw = to_bytes(name, what)
        number = cache.get(raw)
        if number is not None:
            return number
        out = c_uint32(0)
        handle = self._handle()
        status = find(handle, raw, len(raw), byref(out))
        if status != OK:
            folded = raw.strip().lower()
            if folded != raw:
                status = find(handle, folded, len(folded), byref(out))
            if status != OK and register is not None:
                status = register(handle, folded, len(folded), byref(out))
                if status == EEXISTS:
                    status = OK
                if status != OK:
                    raise self._error(status, what)
        if status == ENOTFOUND:
            raise NotFoundError(status, "unknown %s %r" % (what, show(name)), field=what)
        if status != OK:
            raise fail(status, field=what)
        cache[raw] = out.value
        return out.value

    def _kind(self, kind):
        return self._lookup(self._kinds, "kind", lib.scv_engine_kind, lib.scv_engine_kind_count,
                            kind)

    def _source(self, source, register=False):
        return self._lookup(self._sources, "source", lib.scv_engine_source,
                            lib.scv_engine_source_count, source,
                            lib.scv_engine_register_source if register else None)

    def _source_or_none(self, source):
        try:
            return self._source(source)
        except NotFoundError:
            return None

    def kinds(self):
        """Registered identifier kinds, by number."""
        with self._lock:
            handle = self._handle()
            return [self._name_of(lib.scv_engine_kind_name, k)
                    for k in range(lib.scv_engine_kind_count(handle))]

    def sources(self):
        """Registered sources, by number."""
        with self._lock:
            handle = self._handle()
            return [self._name_of(lib.scv_engine_source_name, s)
                    for s in range(lib.scv_engine_source_count(handle))]

    def kind_name(self, kind):
        with self._lock:
            return self._name_of(lib.scv_engine_kind_name, self._kind(kind))

    def source_name(self, source):
        with self._lock:
            return self._name_of(lib.scv_engine_source_name, self._source(source))

    def register_kind(self, name, normalizer="exact", exist_ok=False):
        """Register an identifier kind with a normalizer ("email", "phone", "exact",
        "casefold"); returns its number. With exist_ok, an existing kind's number is
        returned instead of raising ExistsError."""
        if isinstance(normalizer, str):
            if normalizer not in NORMALIZERS:
                raise ValueError("normalizer must be one of %s, not %r"
                                 % (", ".join(NORMALIZERS), normalizer))
            normalizer = NORMALIZERS[normalizer]
        normalizer = to_u32(normalizer, "normalizer")
        raw = to_bytes(name, "kind name")
        out = c_uint32(0)
        with self._lock:
            status = lib.scv_engine_register_kind(self._handle(), raw, len(raw), normalizer,
                                                  byref(out))
            if status == EEXISTS and exist_ok:
                return out.value
            if status != OK:
                raise self._error(status, "kind name")
            return out.value

    def register_source(self, name, exist_ok=False):
        """Register a source (upsert does this by itself for unknown sources); returns its
        number."""
        raw = to_bytes(name, "source name")
        out = c_uint32(0)
        with self._lock:
            status = lib.scv_engine_register_source(self._handle(), raw, len(raw), byref(out))
            if status == EEXISTS and exist_ok:
                return out.value
            if status != OK:
                raise self._error(status, "source name")
            return out.value

    # ---- rules ----------------------------------------------------------------------------

    def _call(self, fn, *args, field=None):
        status = fn(self._handle(), *args)
        if status != OK:
            raise self._error(status, field)

    def reserve(self, records, identifiers=None):
        """Make room ahead of a bulk load of about `records` records carrying `identifiers`
        distinct identifiers (default: as many as records). Only saves the tables' growing."""
        if identifiers is None:
            identifiers = records
        for n, what in ((records, "records"), (identifiers, "identifiers")):
            if type(n) is not int or n < 0:
                raise TypeError(f"reserve() takes non-negative integers ({what})")
        with self._lock:
            self._call(lib.scv_engine_reserve, records, identifiers)

    def shrink(self):
        """Give back spare capacity after a bulk load; nothing observable changes."""
        if getattr(lib, "scv_engine_shrink", None) is None:
            raise NotImplementedError("the loaded libscv has no scv_engine_shrink")
        with self._lock:
            self._call(lib.scv_engine_shrink)

    def set_limit(self, kind, max_values):
        """At most max_values distinct linking values of a kind per profile (0: no limit).
        Rules may only be set before the first record (StateError afterwards)."""
        with self._lock:
            self._call(lib.scv_engine_set_limit, self._kind(kind),
                       to_u32(max_values, "max_values"))

    def set_priority(self, kinds):
        """Kind priority, highest first (kinds not listed follow)."""
        with self._lock:
            numbers = [self._kind(k) for k in kinds]
            array = (c_uint32 * max(len(numbers), 1))(*numbers)
            self._call(lib.scv_engine_set_priority, array, len(numbers))

    def set_generic_threshold(self, kind, threshold):
        """The generic-value threshold G for a kind (0 turns the rule off for it)."""
        with self._lock:
            self._call(lib.scv_engine_set_generic_threshold, self._kind(kind),
                       to_u32(threshold, "threshold"))

    def set_profile_limits(self, max_records=0, max_identifiers=0):
        """Size guards per profile (0 = unlimited)."""
        with self._lock:
            self._call(lib.scv_engine_set_profile_limits, to_u32(max_records, "max_records"),
                       to_u32(max_identifiers, "max_identifiers"))

    def set_default_blocklist(self, on):
        """Use the built-in placeholder list (the default) or not."""
        with self._lock:
            self._call(lib.scv_engine_set_default_blocklist, 1 if on else 0)

    def block(self, kind, value):
        """Block a value (normalized as on ingest): it stops linking at once."""
        raw = to_bytes(value, "value", numbers=int)
        with self._lock:
            self._call(lib.scv_engine_block, self._kind(kind), raw, len(raw), field="value")

    def set_trait_rule(self, name, rule):
        """Survivorship rule ("most_recent", "source_priority", "most_frequent",
        "first_seen") for a trait, or the default for all traits when name is None."""
        if isinstance(rule, str):
            if rule not in SURVIVORSHIP:
                raise ValueError("rule must be one of %s, not %r"
                                 % (", ".join(SURVIVORSHIP), rule))
            rule = SURVIVORSHIP[rule]
        raw = b"" if name is None else to_bytes(name, "trait name")
        with self._lock:
            self._call(lib.scv_engine_set_trait_rule, raw if raw else None, len(raw),
                       to_u32(rule, "rule"), field="trait name")

    def set_source_priority(self, sources):
        """Source priority for the "source_priority" survivorship rule, highest first."""
        with self._lock:
            numbers = [self._source(s) for s in sources]
            array = (c_uint32 * max(len(numbers), 1))(*numbers)
            self._call(lib.scv_engine_set_source_priority, array, len(numbers))

    def set_rfm_measure(self, name):
        """The measure rfm_r/rfm_f/rfm_m use (default "order_total")."""
        raw = to_bytes(name, "measure name")
        with self._lock:
            self._call(lib.scv_engine_set_rfm_measure, raw, len(raw), field="measure name")

    # ---- normalization and hashing -------------------------------------------------------

    def normalize(self, kind, value):
        """The value as the engine normalizes it for a kind, or None when it is rejected."""
        raw = to_bytes(value, "value", numbers=int)
        buf = ctypes.create_string_buffer(_lib.MAX_NORMALIZED_LEN)
        length = c_size_t(0)
        with self._lock:
            status = lib.scv_engine_normalize(self._handle(), self._kind(kind), raw, len(raw),
                                              buf, len(buf), byref(length))
            if status == EREJECTED:
                return None
            if status != OK:
                raise self._error(status, "value")
        return buf.raw[:length.value].decode("utf-8", "surrogateescape")

    def hash(self, kind, value):
        """The 16-byte hash of (kind, normalized value) under the engine's key."""
        raw = to_bytes(value, "value", numbers=int)
        out = _HashArray()
        with self._lock:
            status = lib.scv_engine_hash(self._handle(), self._kind(kind), raw, len(raw), out)
            if status != OK:
                raise self._error(status, "value")
        return bytes(out)

    # ---- records in -----------------------------------------------------------------------

    def _kind_number(self, kind):
        """_kind() with a second cache, keyed by the str a record names the kind with."""
        if type(kind) is str:
            number = self._kind_of_str.get(kind)
            if number is None:
                number = self._kind(kind)
                self._kind_of_str[kind] = number
            return number
        return self._kind(kind)

    def _source_number(self, source):
        """_source(source, register=True) with a second cache, keyed by the str given."""
        if type(source) is str:
            number = self._source_of_str.get(source)
            if number is None:
                number = self._source(source, register=True)
                self._source_of_str[source] = number
            return number
        return self._source(source, register=True)

    def _fill(self, slot, source, prepared):
        """Put a prepared record (see _prepare) into a builder: the engine's own (slot None)
        or the pool's slot `slot`. Returns the builder and the rejected values (a list, or
        None when there are none). Raises as upsert() documents, leaving the builder half
        filled (the next reset clears it). Call with the lock held."""
        _, record_id, timestamp, identifiers, traits, measures, consent = prepared
        kind_of_str = self._kind_of_str
        kinds = []
        for kind, _, _ in identifiers:
            number = kind_of_str.get(kind) if type(kind) is str else None
            kinds.append(self._kind_number(kind) if number is None else number)
        builder = self._builder() if slot is None else self._pool.builder(self, slot)
        status = _reset(builder, source, record_id, len(record_id))
        if status != OK:
            raise self._record_error(builder, status, "record_id")
        if timestamp is not None:
            status = _set_timestamp(builder, timestamp)
            if status != OK:
                raise self._record_error(builder, status, "timestamp")
        rejected = None  # a list once there is one
        for number, (kind, raw, original) in zip(kinds, identifiers):
            status = _add_identifier(builder, number, raw, len(raw))
            if status != OK:
                if status != EREJECTED:
                    raise self._record_error(builder, status, "identifier %s" % show(kind))
                if rejected is None:
                    rejected = []
                message = lib.scv_record_errmsg(builder)
                rejected.append(Rejected(self._name_of(lib.scv_engine_kind_name, number),
                                         show(original),
                                         message.decode("utf-8", "replace") if message
                                         else "", lib.scv_record_erroffset(builder)))
        for name, value in traits:
            status = _add_trait(builder, name, len(name), value, len(value))
            if status != OK:
                raise self._record_error(builder, status, "trait %s" % show(name))
        for name, value in measures:
            status = _add_measure(builder, name, len(name), value)
            if status != OK:
                raise self._record_error(builder, status, "measure %s" % show(name))
        for channel, granted, when in consent:
            status = lib.scv_record_add_consent(builder, channel, len(channel),
                                                1 if granted else 0, when)
            if status != OK:
                raise self._record_error(builder, status, "consent %s" % show(channel))
        return builder, rejected

    def upsert(self, record):
        """Insert or replace a record (a dict or a scv.Record; see README) and resolve it.

        Returns an Upserted: the record's profile id as an int, with ``.rejected`` listing
        identifier values the normalizers refused (not an e-mail, not a phone number...).
        Those are left off the record; the upsert itself goes ahead. Any other bad input
        (unknown kind, invalid UTF-8, over-long value, bad source name) raises ScvError and
        stores nothing. Unknown sources are registered (names are trimmed and lower-cased).
        """
        prepared = _prepare(record)
        with self._lock:
            handle = self._handle()
            source = self._source_number(prepared[0])
            builder, rejected = self._fill(None, source, prepared)
            profile = self._profile_out
            status = lib.scv_engine_upsert(handle, builder, profile)
            if status != OK:
                raise self._error(status)
            return Upserted(profile.value, rejected)

    def upsert_many(self, records):
        """Upsert each record of an iterable in order; returns the list of Upserted, each
        the record's profile id right after its own upsert (a later record may merge that
        profile away; profile_of() gives the final one).

        Stops at the first record that fails, raising what upsert() raises for it; the
        records before it stay upserted. That exception carries ``index``, the failing
        record's position (so also how many were upserted), and ``upserted``, their list of
        Upserted. An exception from the iterable itself passes through unchanged, after the
        records before it are upserted.

        The results are those of one upsert() per record, but the records reach the library
        in batches of up to POOL_SIZE (256), one scv_engine_upsert_batch() call each, which
        is faster. So the iterable is read up to 255 records ahead of what is stored; it
        should not change the engine itself.
        """
        results = []
        if _upsert_batch is None:  # a library older than scv_engine_upsert_batch()
            for record in records:
                try:
                    results.append(self.upsert(record))
                except BaseException as exc:
                    raise _stopped_at(exc, len(results), results)
            return results
        pending = []  # prepared records, not yet upserted
        failure = None
        tag = False
        iterator = iter(records)
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                break
            except BaseException as exc:  # the iterable's own: passed on untagged
                failure = exc
                break
            try:
                pending.append(_prepare(record))
            except BaseException as exc:
                failure, tag = exc, True
                break
            if len(pending) == POOL_SIZE:
                self._upsert_prepared(pending, results)
                pending.clear()
        # What was read before a failure goes in first; if one of those records fails, its
        # error is the one to raise, as one upsert() per record would have.
        self._upsert_prepared(pending, results)
        if failure is not None:
            raise _stopped_at(failure, len(results), results) if tag else failure
        return results

    def _upsert_prepared(self, pending, results):
        """Upsert prepared records in order through the builder pool; append an Upserted per
        record to results. Raises, tagged, at the first record that fails."""
        if not pending:
            return
        with self._lock:
            try:
                handle = self._handle()
            except ValueError as exc:
                raise _stopped_at(exc, len(results), results)
            filled = 0  # slots 0..filled-1 hold records not yet upserted
            rejected = []  # their rejected values, by slot
            failure = None
            for prepared in pending:
                given = prepared[0]
                if type(given) is str:
                    source = self._source_of_str.get(given)
                elif type(given) is bytes:
                    source = self._sources.get(given)
                else:
                    source = None
                if source is None and not isinstance(given, int):
                    # A source seen for the first time may be registered, which changes the
                    # engine: the records before this one go in first.
                    self._commit(handle, filled, rejected, results)
                    filled = 0
                try:
                    if source is None:
                        source = self._source_number(given)
                    rejected.append(self._fill(filled, source, prepared)[1])
                except BaseException as exc:
                    failure = exc
                    break
                filled += 1
            self._commit(handle, filled, rejected, results)
            if failure is not None:
                raise _stopped_at(failure, len(results), results)

    def _commit(self, handle, filled, rejected, results):
        """Upsert the records in pool slots 0..filled-1 with one scv_engine_upsert_batch()."""
        if not filled:
            return
        pool = self._pool
        status = _upsert_batch(handle, pool.handles, filled, pool.profiles, pool.done)
        profiles = pool.profiles
        for slot in range(pool.done.value):
            upserted = int.__new__(Upserted, profiles[slot])
            if rejected[slot] is not None:
                upserted.rejected = rejected[slot]
            results.append(upserted)
        del rejected[:]
        if status != OK:
            raise _stopped_at(self._error(status), len(results), results)

    def upsert_segment_event(self, event, source="web", measures=()):
        """Upsert one Segment event (a dict, or its JSON text) as the record
        ``scv.segment_event_to_record`` makes of it. Returns an Upserted; raises ValueError
        for an event that is not valid (no messageId, unknown type, bad timestamp)."""
        from .segment import parse_event, segment_event_to_record
        if isinstance(event, (str, bytes, bytearray)):
            event = parse_event(event)
        return self.upsert(segment_event_to_record(event, source, measures))

    def upsert_segment_events(self, events, source="web", measures=()):
        """Upsert Segment events: JSON Lines text (str or bytes) or an iterable of event
        dicts or JSON strings. Bad events are skipped and counted, as the ``scv`` program
        does. Returns ``{"upserted", "bad", "rejected", "errors"}``: errors lists
        ``(number, reason)`` with the line (text) or the 1-based position (iterable)."""
        from .segment import iter_events
        counts = {"upserted": 0, "bad": 0, "rejected": 0, "errors": []}
        for number, event in iter_events(events):
            try:
                upserted = self.upsert_segment_event(event, source, measures)
            except ValueError as err:
                counts["bad"] += 1
                counts["errors"].append((number, str(err)))
                continue
            counts["upserted"] += 1
            counts["rejected"] += len(upserted.rejected)
        return counts

    # ---- lookups --------------------------------------------------------------------------

    def _record_ref(self, source, record_id):
        """The ref of a stored record, or 0."""
        number = self._source_or_none(source)
        if number is None:
            return 0
        raw = to_bytes(record_id, "record_id", numbers=int)
        ref = c_uint32(0)
        status = lib.scv_engine_record_find(self._handle(), number, raw, len(raw), byref(ref))
        if status == OK:
            return ref.value
        if status == ENOTFOUND:
            return 0
        raise fail(status, field="record_id")

    def _record_key(self, ref):
        source = c_uint32(0)
        pointer = c_void_p()
        length = c_size_t(0)
        timestamp = c_int64(0)
        status = lib.scv_engine_record_info(self._handle(), ref, byref(source), byref(pointer),
                                            byref(length), byref(timestamp))
        if status != OK:
            raise fail(status)
        return (self._name_of(lib.scv_engine_source_name, source.value),
                to_str(pointer.value, length.value), from_timestamp(timestamp.value))

    def profile_of(self, source, record_id):
        """The profile of a stored record, or None when there is no such record."""
        with self._lock:
            ref = self._record_ref(source, record_id)
            if not ref:
                return None
            profile = c_uint32(0)
            status = lib.scv_engine_record_profile(self._handle(), ref, byref(profile))
            if status != OK:
                raise fail(status)
            return profile.value

    def profile_of_identifier(self, kind, value):
        """The profile holding an identifier (raw value, normalized as on ingest), or None
        when no record carries it or the value is rejected."""
        raw = to_bytes(value, "value", numbers=int)
        profile = c_uint32(0)
        with self._lock:
            status = lib.scv_engine_identifier_profile(self._handle(), self._kind(kind), raw,
                                                       len(raw), byref(profile))
            if status in (ENOTFOUND, EREJECTED):
                return None
            if status != OK:
                raise self._error(status, "value")
            return profile.value

    def canonical(self, profile):
        """The live profile an id stands for now (following merges), or None when the id
        was never issued or its profile is gone."""
        pid = to_u32(profile, "profile id")
        out = c_uint32(0)
        with self._lock:
            status = lib.scv_profile_canonical(self._handle(), pid, byref(out))
            if status == ENOTFOUND:
                return None
            if status != OK:
                raise fail(status)
            return out.value or None

    def profiles(self):
        """Iterate live profile ids, ascending."""
        current = 0
        out = c_uint32(0)
        while True:
            with self._lock:
                status = lib.scv_engine_profile_next(self._handle(), current, byref(out))
            if status == ENOTFOUND:
                return
            if status != OK:
                raise fail(status)
            current = out.value
            yield current

    def record_keys(self):
        """Iterate stored records as (source, record_id), in first-seen order."""
        current = 0
        out = c_uint32(0)
        while True:
            with self._lock:
                status = lib.scv_engine_record_next(self._handle(), current, byref(out))
                if status == ENOTFOUND:
                    return
                if status != OK:
                    raise fail(status)
                current = out.value
                source, record_id, _ = self._record_key(current)
            yield source, record_id

    def assignments(self):
        """Iterate stored records as (source, record_id, profile_id), in first-seen order: what
        record_keys() and profile_of() give, but read ASSIGNMENTS_CHUNK (4096) records at a
        time with one scv_engine_record_profiles() call, which is much faster for exporting
        every record's profile. Each chunk is read whole under the lock; changes made while
        iterating show from the next chunk on. Raises NotImplementedError when the loaded
        library predates scv_engine_record_profiles()."""
        if _record_profiles is None:
            raise NotImplementedError("the loaded libscv (%s) has no "
                                      "scv_engine_record_profiles" % lib.path)
        cap = ASSIGNMENTS_CHUNK
        refs = (c_uint32 * cap)()
        profiles = (c_uint32 * cap)()
        count = c_size_t(0)
        current = 0
        while True:
            with self._lock:
                status = _record_profiles(self._handle(), current, refs, profiles, cap,
                                          byref(count))
                if status == ENOTFOUND:
                    return
                if status != OK:
                    raise fail(status)
                n = count.value
                current = refs[n - 1]
                chunk = [self._record_key(ref)[:2] + (profile,)
                         for ref, profile in zip(refs[:n], profiles[:n])]
            yield from chunk

    def _ids(self, fn, profile, states=False):
        """Size-query then fill one of the (engine, id, out, [states,] cap, count) calls."""
        count = c_size_t(0)
        handle = self._handle()
        args = (None,) if states else ()
        status = fn(handle, profile, None, *args, 0, byref(count))
        while status == EBUFFER or (status == OK and count.value):
            cap = count.value
            out = (c_uint32 * max(cap, 1))()
            extra = ((c_uint8 * max(cap, 1))(),) if states else ()
            status = fn(handle, profile, out, *extra, cap, byref(count))
            if status == OK:
                items = list(out[:count.value])
                return (items, list(extra[0][:count.value])) if states else items
        if status == OK:
            return ([], []) if states else []
        if status == ENOTFOUND:
            raise NotFoundError(status, "no live profile or record %d" % profile)
        raise fail(status)

    def records(self, profile):
        """The records of a live profile as (source, record_id) pairs, oldest ref first."""
        pid = to_u32(profile, "profile id")
        with self._lock:
            refs = self._ids(lib.scv_profile_records, pid)
            return [self._record_key(ref)[:2] for ref in refs]

    def _identifier(self, ref):
        kind = c_uint32(0)
        digest = _HashArray()
        pointer = c_void_p()
        length = c_size_t(0)
        status = lib.scv_engine_identifier_info(self._handle(), ref, byref(kind), digest,
                                                byref(pointer), byref(length))
        if status != OK:
            raise fail(status)
        return {
            "kind": self._name_of(lib.scv_engine_kind_name, kind.value),
            "value": to_str(pointer.value, length.value) if pointer.value else None,
            "hash": bytes(digest),
        }

    def identifiers(self, profile):
        """The distinct identifiers of a live profile: dicts with kind, value (None when
        values are not retained) and hash (bytes)."""
        pid = to_u32(profile, "profile id")
        with self._lock:
            return [self._identifier(ref) for ref in self._ids(lib.scv_profile_identifiers, pid)]

    def unlinked(self, profile):
        """Identifiers on a live profile's records that do not link, with their "state"
        ("set_aside_limit", "set_aside_size", "blocked", "generic", "suppressed")."""
        pid = to_u32(profile, "profile id")
        with self._lock:
            refs, states = self._ids(lib.scv_profile_unlinked, pid, states=True)
            result = []
            for ref, state in zip(refs, states):
                item = self._identifier(ref)
                item["state"] = LINK_STATES[state] if state < len(LINK_STATES) else state
                result.append(item)
            return result

    def record(self, source, record_id):
        """A stored record: dict with source, record_id, timestamp, profile and identifiers
        (each with its linking state), or None when there is no such record."""
        with self._lock:
            ref = self._record_ref(source, record_id)
            if not ref:
                return None
            src, rid, timestamp = self._record_key(ref)
            profile = c_uint32(0)
            status = lib.scv_engine_record_profile(self._handle(), ref, byref(profile))
            if status != OK:
                raise fail(status)
            refs, states = self._ids(lib.scv_record_identifiers, ref, states=True)
            identifiers = []
            for iref, state in zip(refs, states):
                item = self._identifier(iref)
                item["state"] = LINK_STATES[state] if state < len(LINK_STATES) else state
                identifiers.append(item)
            return {"source": src, "record_id": rid, "timestamp": timestamp,
                    "profile": profile.value, "identifiers": identifiers}

    def profile(self, profile):
        """A live profile as a dict (the library's JSON single customer view: profile_id,
        first_seen, last_seen, sources, records, identifiers, traits, measures, consent)."""
        pid = to_u32(profile, "profile id")
        length = c_size_t(0)
        with self._lock:
            handle = self._handle()
            buf = ctypes.create_string_buffer(4096)
            status = lib.scv_profile_json(handle, pid, buf, len(buf), byref(length))
            if status == EBUFFER:
                buf = ctypes.create_string_buffer(length.value)
                status = lib.scv_profile_json(handle, pid, buf, len(buf), byref(length))
            if status == ENOTFOUND:
                raise NotFoundError(status, "no live profile %d" % pid)
            if status != OK:
                raise self._error(status)
        return json.loads(buf.raw[:length.value].decode("utf-8", "surrogateescape"))

    def _names(self, fn):
        result = []
        pointer = c_void_p()
        length = c_size_t(0)
        handle = self._handle()
        index = 0
        while fn(handle, index, byref(pointer), byref(length)) == OK:
            result.append(to_str(pointer.value, length.value))
            index += 1
        return result

    def trait_names(self):
        with self._lock:
            return self._names(lib.scv_engine_trait_name)

    def measure_names(self):
        with self._lock:
            return self._names(lib.scv_engine_measure_name)

    def consent_channels(self):
        with self._lock:
            return self._names(lib.scv_engine_consent_channel)

    def trait(self, profile, name):
        """A live profile's surviving value of a trait, or None."""
        pid = to_u32(profile, "profile id")
        raw = to_bytes(name, "trait name")
        pointer = c_void_p()
        length = c_size_t(0)
        with self._lock:
            status = lib.scv_profile_trait(self._handle(), pid, raw, len(raw), byref(pointer),
                                           byref(length), None)
            if status == ENOTFOUND:
                return None
            if status != OK:
                raise self._error(status, "trait name")
            return to_str(pointer.value, length.value)

    def measure(self, profile, name, agg="sum", window_days=0, now=None):
        """A measure aggregated over a live profile's records ("count", "sum", "avg",
        "min", "max", "first_time", "last_time"); None when missing. With window_days, only
        records dated in (now - window_days, now] count."""
        pid = to_u32(profile, "profile id")
        raw = to_bytes(name, "measure name")
        if isinstance(agg, str):
            if agg not in AGGREGATES:
                raise ValueError("agg must be one of %s" % ", ".join(AGGREGATES))
            agg = AGGREGATES[agg]
        when = to_now(now) if window_days else (to_timestamp(now) or 0)
        value = c_double(0)
        with self._lock:
            status = lib.scv_profile_measure(self._handle(), pid, raw, len(raw),
                                             to_u32(agg, "agg"), to_u32(window_days, "window"),
                                             when, byref(value))
            if status == ENOTFOUND:
                return None
            if status != OK:
                raise self._error(status, "measure name")
            return value.value

    def consent(self, profile, channel):
        """A live profile's consent for a channel: (granted, timestamp or None), or None when
        it has no decision."""
        pid = to_u32(profile, "profile id")
        raw = to_bytes(channel, "channel")
        granted = c_int(0)
        when = c_int64(0)
        with self._lock:
            status = lib.scv_profile_consent(self._handle(), pid, raw, len(raw), byref(granted),
                                             byref(when))
            if status == ENOTFOUND:
                return None
            if status != OK:
                raise self._error(status, "channel")
            return bool(granted.value), from_timestamp(when.value)

    def seen(self, profile):
        """(first_seen, last_seen) of a live profile in unix seconds (None when undated)."""
        pid = to_u32(profile, "profile id")
        first = c_int64(0)
        last = c_int64(0)
        with self._lock:
            status = lib.scv_profile_seen(self._handle(), pid, byref(first), byref(last))
            if status == ENOTFOUND:
                raise NotFoundError(status, "no live profile %d" % pid)
            if status != OK:
                raise self._error(status)
            return from_timestamp(first.value), from_timestamp(last.value)

    def stats(self):
        """Every engine statistic as a dict (records, profiles, identifiers, merges, splits,
        aside_limit, aside_size, blocked_values, ..., bytes)."""
        value = c_uint64(0)
        result = {}
        with self._lock:
            handle = self._handle()
            for number, name in enumerate(STATS):
                status = lib.scv_engine_stat(handle, number, byref(value))
                if status != OK:
                    raise fail(status, field=name)
                result[name] = value.value
        return result

    # ---- queries ---------------------------------------------------------------------------

    def query(self, text):
        """Compile a query (see the query language in README); returns a Query."""
        return Query(self, text)

    def segment(self, name, query):
        """A saved segment; ``refresh(now)`` reports who entered and who left."""
        return Segment(self, name, query)

    def personas(self, personas=()):
        """A persona list from (name, query) pairs, first match wins."""
        return Personas(self, personas)

    def select(self, text, now=None):
        """Shortcut: the profile ids matching a query at ``now``, as a list."""
        with self.query(text) as q, q.eval(now) as result:
            return result.ids()

    # ---- lifecycle and privacy -------------------------------------------------------------

    def delete(self, source, record_id):
        """Delete a stored record; False when there is no such record."""
        number = None
        raw = to_bytes(record_id, "record_id", numbers=int)
        with self._lock:
            number = self._source_or_none(source)
            if number is None:
                return False
            status = lib.scv_engine_delete(self._handle(), number, raw, len(raw))
            if status == ENOTFOUND:
                return False
            if status != OK:
                raise self._error(status, "record_id")
            return True

    def erase(self, profile):
        """Erase a person (GDPR art. 17): delete every record of the profile, wipe their
        bytes and suppress their identifiers. Returns (records deleted, identifiers
        suppressed)."""
        pid = to_u32(profile, "profile id")
        records = c_size_t(0)
        identifiers = c_size_t(0)
        with self._lock:
            status = lib.scv_engine_erase(self._handle(), pid, byref(records),
                                          byref(identifiers))
            if status != OK:
                raise self._error(status, "profile")
            return records.value, identifiers.value

    def suppress(self, kind, value):
        """Put an identifier (raw value) on the suppression list."""
        raw = to_bytes(value, "value", numbers=int)
        with self._lock:
            self._call(lib.scv_engine_suppress, self._kind(kind), raw, len(raw), field="value")

    def _hash_arg(self, digest):
        digest = bytes(digest)
        if len(digest) != _lib.HASH_SIZE:
            raise ValueError("a hash is %d bytes, not %d" % (_lib.HASH_SIZE, len(digest)))
        return _HashArray(*digest)

    def suppress_hash(self, kind, digest):
        """Suppress by the 16-byte hash Engine.hash gives."""
        array = self._hash_arg(digest)
        with self._lock:
            self._call(lib.scv_engine_suppress_hash, self._kind(kind), array)

    def unsuppress_hash(self, kind, digest):
        """Take a hash off the suppression list; False when it was not on it."""
        array = self._hash_arg(digest)
        with self._lock:
            status = lib.scv_engine_unsuppress_hash(self._handle(), self._kind(kind), array)
            if status == ENOTFOUND:
                return False
            if status != OK:
                raise self._error(status)
            return True

    @property
    def suppressed_count(self):
        with self._lock:
            return lib.scv_engine_suppressed_count(self._handle())

    def explain(self, a, b):
        """How two stored records, each given as (source, record_id), relate.

        Returns {"apart": "none" | "unrelated" | "limit" | "size" | "blocked" | "generic" |
        "suppressed", "chain": [...]}: the chain alternates records ({"source",
        "record_id"}) and the identifiers joining them ({"kind", "value", "hash"}), a first
        and b last. "none" means they share a profile; otherwise "apart" names the rule that
        cut the shortest chain ("unrelated" with an empty chain when nothing connects them).
        """
        with self._lock:
            refs = []
            for key in (a, b):
                source, record_id = key
                ref = self._record_ref(source, record_id)
                if not ref:
                    raise NotFoundError(ENOTFOUND, "no record (%s, %s)"
                                        % (show(source), show(record_id)))
                refs.append(ref)
            handle = self._handle()
            cap = 16
            while True:
                records = (c_uint32 * cap)()
                idents = (c_uint32 * cap)()
                length = c_size_t(0)
                apart = c_int(0)
                status = lib.scv_engine_explain(handle, refs[0], refs[1], records, idents, cap,
                                                byref(length), byref(apart))
                if status == EBUFFER and length.value > cap:
                    cap = length.value
                    continue
                if status != OK:
                    raise fail(status)
                break
            chain = []
            n = length.value
            for i in range(n):
                source, record_id, _ = self._record_key(records[i])
                chain.append({"source": source, "record_id": record_id})
                if i + 1 < n:
                    chain.append(self._identifier(idents[i]))
            name = APART[apart.value] if apart.value < len(APART) else apart.value
            return {"apart": name, "chain": chain}

    @property
    def sequence(self):
        """The sequence number of the newest change (0 before any)."""
        with self._lock:
            return lib.scv_engine_sequence(self._handle())

    def changes_since(self, seq=0):
        """Every change with a sequence number above ``seq``, oldest first, as dicts: seq,
        change ("created", "merged", "split", "updated", "deleted"), profile, other (or None),
        source and record_id (the record that caused it; record_id "" when none). Raises
        ExpiredError when the engine no longer holds them all."""
        after = int(seq)
        if after < 0 or after >= 2 ** 64:
            raise ValueError("seq out of the uint64 range: %d" % after)
        raw = []
        problem = []

        def receive(_ctx, number, change, profile, other, source, pointer, length):
            # The callback must not call into the engine: copy now, name sources later.
            try:
                record_id = ctypes.string_at(pointer, length) if pointer and length else b""
                raw.append((number, change, profile, other, source, record_id))
                return 0
            except BaseException as exc:  # never let an exception cross into C
                problem.append(exc)
                return 1

        callback = _lib.scv_change_fn(receive)
        with self._lock:
            status = lib.scv_engine_changes_since(self._handle(), after, callback, None)
            if status != OK:
                raise self._error(status)
            if problem:
                raise problem[0]
            names = {}
            events = []
            for number, change, profile, other, source, record_id in raw:
                if source not in names:
                    names[source] = self._name_of(lib.scv_engine_source_name, source)
                events.append({
                    "seq": number,
                    "change": CHANGES[change] if 0 <= change < len(CHANGES) else change,
                    "profile": profile,
                    "other": other or None,
                    "source": names[source],
                    "record_id": record_id.decode("utf-8", "surrogateescape"),
                })
        return events

    # ---- snapshots and absorb (when the library has them) ---------------------------------

    def snapshot(self):
        """The whole engine serialised as bytes (versioned, checksummed; see Engine.load).
        It holds no hash key and no change events."""
        _need_snapshots()
        size = c_size_t(0)
        with self._lock:
            handle = self._handle()
            status = lib.scv_engine_snapshot_size(handle, byref(size))
            if status != OK:
                raise fail(status)
            buf = bytearray(size.value)
            view = (ctypes.c_char * len(buf)).from_buffer(buf) if buf else None
            written = c_size_t(0)
            status = lib.scv_engine_snapshot_write(handle, view, len(buf), byref(written))
            del view
            if status != OK:
                raise fail(status)
        return bytes(buf[:written.value])

    @classmethod
    def load(cls, data, hash_key=None, change_capacity=None, allocator=None):
        """An engine rebuilt from Engine.snapshot() bytes. hash_key must be the key the
        snapshot was made under (InvalidArgumentError otherwise); everything else (region,
        retention, rules, kinds, sources) comes from the snapshot. A damaged snapshot raises
        CorruptError, one of an unknown format version VersionError."""
        _need_snapshots()
        _check_allocator(allocator)
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            raise TypeError("a snapshot is bytes, not %s" % type(data).__name__)
        opts = _options(None, hash_key, None, False, change_capacity, allocator)
        try:
            out = c_void_p()
            status = lib.scv_engine_load(opts, data if data else None, len(data), byref(out))
        finally:
            lib.scv_options_free(opts)
        if status != OK:
            reason = {
                _lib.ENUMS["scv_status"]["SCV_EINVAL"]:
                    "the snapshot was made under another hash key",
                _lib.ENUMS["scv_status"]["SCV_ECORRUPT"]:
                    "the snapshot is truncated, corrupted or not a snapshot",
                _lib.ENUMS["scv_status"]["SCV_EVERSION"]:
                    "the snapshot's format version is not one this library reads",
            }.get(status)
            raise fail(status, reason, field="snapshot")
        return cls._adopt(out.value, allocator)

    def absorb(self, other):
        """Add every live record of another engine (same hash key; same region and e-mail
        rules advised) as if upserted here, in its record order. Not atomic: a failure
        part-way leaves the records absorbed so far (calling again is safe)."""
        _need_snapshots()
        if not isinstance(other, Engine):
            raise TypeError("absorb takes a scv.Engine, not %s" % type(other).__name__)
        first, second = sorted((self, other), key=id)
        with first._lock, second._lock:
            status = lib.scv_engine_absorb(self._handle(), other._handle())
            if status != OK:
                raise self._error(status)
            self._kinds.clear()
            self._sources.clear()
            self._kind_of_str.clear()
            self._source_of_str.clear()


HAS_SNAPSHOTS = all(lib.has(name) for name in (
    "scv_engine_snapshot_size", "scv_engine_snapshot_write", "scv_engine_load",
    "scv_engine_absorb"))


def _need_snapshots():
    if not HAS_SNAPSHOTS:
        raise NotImplementedError("the loaded libscv (%s) has no snapshot functions" % lib.path)
