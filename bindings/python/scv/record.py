"""Record: one record to upsert, as a plain Python object (no C memory behind it)."""

import collections.abc
import numbers

_KEYS = ("source", "record_id", "timestamp", "identifiers", "traits", "measures", "consent")


class Record:
    """A record keyed by (source, record_id), built up before ``Engine.upsert``.

    >>> r = Record("crm", "C-1", timestamp=1712000000)
    >>> r = r.add_identifier("email", "jane@example.org").add_trait("city", "Berlin")

    Values may be str or bytes. ``identifiers`` keeps (kind, value) pairs in the order given;
    ``traits``, ``measures`` and ``consent`` are dicts (a name given twice keeps the last
    value, as the library does).
    """

    __slots__ = ("source", "record_id", "timestamp", "identifiers", "traits", "measures",
                 "consent")

    def __init__(self, source, record_id, timestamp=None, identifiers=None, traits=None,
                 measures=None, consent=None):
        self.source = source
        self.record_id = record_id
        self.timestamp = timestamp
        self.identifiers = []
        self.traits = {}
        self.measures = {}
        self.consent = {}
        if identifiers:
            self.add_identifiers(identifiers)
        for name, value in _items(traits, "traits"):
            self.add_trait(name, value)
        for name, value in _items(measures, "measures"):
            self.add_measure(name, value)
        for channel, decision in _items(consent, "consent"):
            self._add_consent_decision(channel, decision)

    # ---- builders (each returns self) ----------------------------------------------------

    def add_identifier(self, kind, value):
        """Add one identifier value of a kind (name or number). None and "" are skipped."""
        if value is None or (isinstance(value, (str, bytes)) and len(value) == 0):
            return self
        self.identifiers.append((kind, value))
        return self

    def add_identifiers(self, identifiers):
        """Add from a dict kind -> value or list of values, or from (kind, value) pairs."""
        if isinstance(identifiers, collections.abc.Mapping):
            pairs = identifiers.items()
        else:
            pairs = identifiers
        for pair in pairs:
            kind, values = pair
            if isinstance(values, (str, bytes, bytearray, memoryview, int)) or values is None:
                self.add_identifier(kind, values)
            else:
                for value in values:
                    self.add_identifier(kind, value)
        return self

    def add_trait(self, name, value):
        """Set a trait; None (or "") means "no value" on this record."""
        self.traits[name] = "" if value is None else value
        return self

    def add_measure(self, name, value):
        """Set a numeric measure (int or float; None is skipped)."""
        if value is None:
            return self
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError("measure %r must be a number, not %s" % (name, type(value).__name__))
        self.measures[name] = float(value)
        return self

    def add_consent(self, channel, granted, timestamp=None):
        """Record a consent decision for a channel: granted (True) or denied (False), taken
        at ``timestamp`` (default: the record's time)."""
        if not isinstance(granted, (bool, int)):
            raise TypeError("consent %r must be a bool, not %s" % (channel,
                                                                  type(granted).__name__))
        self.consent[channel] = (bool(granted), timestamp)
        return self

    def _add_consent_decision(self, channel, decision):
        if isinstance(decision, collections.abc.Mapping):
            self.add_consent(channel, decision.get("granted"), decision.get("timestamp"))
        elif isinstance(decision, (tuple, list)):
            if len(decision) != 2:
                raise ValueError("consent %r: expected (granted, timestamp)" % (channel,))
            self.add_consent(channel, decision[0], decision[1])
        else:
            self.add_consent(channel, decision)

    # ---- conversions ---------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data):
        """A Record from a dict with the keys source, record_id and optionally timestamp,
        identifiers, traits, measures, consent. Unknown keys are an error (they are
        usually typos)."""
        if isinstance(data, Record):
            return data
        if not isinstance(data, collections.abc.Mapping):
            raise TypeError("a record is a dict or a scv.Record, not %s" % type(data).__name__)
        unknown = [k for k in data if k not in _KEYS]
        if unknown:
            raise ValueError("unknown record key(s) %s; expected %s"
                             % (", ".join(map(repr, unknown)), ", ".join(_KEYS)))
        for key in ("source", "record_id"):
            if key not in data:
                raise ValueError("a record needs %r" % key)
        return cls(data["source"], data["record_id"], data.get("timestamp"),
                   data.get("identifiers"), data.get("traits"), data.get("measures"),
                   data.get("consent"))

    def to_dict(self):
        identifiers = {}
        for kind, value in self.identifiers:
            identifiers.setdefault(kind, []).append(value)
        return {
            "source": self.source,
            "record_id": self.record_id,
            "timestamp": self.timestamp,
            "identifiers": identifiers,
            "traits": dict(self.traits),
            "measures": dict(self.measures),
            "consent": {c: {"granted": g, "timestamp": t} for c, (g, t) in self.consent.items()},
        }

    def __eq__(self, other):
        if not isinstance(other, Record):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None

    def __repr__(self):
        return "Record(%r, %r, timestamp=%r, identifiers=%r, traits=%r, measures=%r, " \
               "consent=%r)" % (self.source, self.record_id, self.timestamp, self.identifiers,
                                self.traits, self.measures, self.consent)


def _items(mapping, what):
    if mapping is None:
        return ()
    if isinstance(mapping, collections.abc.Mapping):
        return mapping.items()
    raise TypeError("%s must be a dict, not %s" % (what, type(mapping).__name__))
