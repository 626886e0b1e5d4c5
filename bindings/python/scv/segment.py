"""Segment Tracking API events (identify, track, page, screen, alias, group) as records.

The mapping is the one of the ``scv`` program's ``--format segment``; see
examples/cli/SEGMENT.md. An event that the program reports as a bad row raises ValueError
here; a value it drops with a warning is left out silently.
"""

import collections.abc
import json
import math
import numbers
import re

from ._native import to_timestamp

EVENT_TYPES = ("identify", "track", "page", "screen", "alias", "group")
TIME_FIELDS = ("timestamp", "sentAt", "receivedAt", "originalTimestamp")
ID_FIELDS = (("userId", "customer_id"), ("anonymousId", "anonymous_id"),
             ("previousId", "anonymous_id"), ("context.device.id", "device_id"),
             ("context.device.advertisingId", "device_id"))
TRAIT_IDS = {"email": "email", "phone": "phone", "loyalty_id": "loyalty_id",
             "loyaltyId": "loyalty_id"}
BUILTIN_MEASURES = ("revenue", "total", "value")
MAX_NAME_LEN = 64

_NUMBER = re.compile(r"[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? *\Z")


def _member(obj, path):
    for key in path.split("."):
        if not isinstance(obj, collections.abc.Mapping):
            return None
        obj = obj.get(key)
    return obj


def _format_real(d):
    text = "%.15g" % d
    if float(text) != d:
        text = "%.17g" % d
    return text


def _scalar(v):
    """v as text when it is a string, number or boolean; None otherwise."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _format_real(v)
    return None


def _lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _name_len(text):
    return len(text.encode("utf-8", "surrogatepass"))


def _record_id(event):
    v = event.get("messageId")
    if v is None:
        raise ValueError("no messageId")
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise ValueError("messageId is not a string")
    text = _scalar(v)
    if text == "":
        raise ValueError("messageId is empty")
    return text


def _type(event):
    v = event.get("type")
    if v is None and "type" not in event:
        raise ValueError("no type")
    if not isinstance(v, str):
        raise ValueError("type is not a string")
    if v not in EVENT_TYPES:
        raise ValueError("unknown type %r (not identify, track, page, screen, alias or group)"
                         % v)
    return v


def _time(event):
    for field in TIME_FIELDS:
        v = event.get(field)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ValueError("%s is neither a string nor a number" % field)
        if v == "":
            continue
        try:
            return to_timestamp(v, field)
        except (ValueError, TypeError):
            raise ValueError("bad %s %r" % (field, v)) from None
    return None


def _add_identifier(identifiers, kind, v):
    if v is None or isinstance(v, bool):
        return
    text = _scalar(v)
    if text:                            # objects and arrays are dropped, "" adds nothing
        identifiers.append((kind, text))


def _flatten(obj, prefix, ids, identifiers, traits):
    for key, v in obj.items():
        if ids and key in TRAIT_IDS:
            _add_identifier(identifiers, TRAIT_IDS[key], v)
            continue
        is_object = isinstance(v, collections.abc.Mapping)
        text = None if is_object else _scalar(v)
        if not is_object and text is None:
            continue                    # arrays and nulls are skipped
        name = prefix + key
        n = _name_len(name)
        if n == 0 or n + (1 if is_object else 0) > MAX_NAME_LEN:
            continue                    # the program warns and drops it
        if is_object:
            _flatten(v, name + ".", False, identifiers, traits)
        else:
            traits[name] = text


def _number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Real):
        d = float(v)
    elif isinstance(v, str) and _NUMBER.match(v):
        d = float(v)
    else:
        return None
    return d if math.isfinite(d) else None


def _measure_name(key, extra):
    low = _lower(key)
    for name in BUILTIN_MEASURES:
        if low == name:
            return name
    for name in extra:
        if low == _lower(name):
            return name
    return None


def segment_event_to_record(event, source="web", measures=()):
    """The record (a dict for ``Engine.upsert``) that a Segment event becomes.

    ``event`` is a dict as ``json.loads`` gives it, ``source`` the record's source and
    ``measures`` the names of extra numeric ``properties`` to read as measures (besides
    revenue, total and value). Raises ValueError for an event the ``scv`` program reports as
    a bad row: no messageId, no or an unknown type, a timestamp that does not parse.
    """
    if not isinstance(event, collections.abc.Mapping):
        raise ValueError("not a JSON object")
    if isinstance(measures, str):
        measures = (measures,)
    record_id = _record_id(event)
    kind = _type(event)
    timestamp = _time(event)

    identifiers = []
    for path, id_kind in ID_FIELDS:
        _add_identifier(identifiers, id_kind, _member(event, path))

    traits = {}
    group = kind == "group"
    for where, prefix, ids in (("context.traits", "", True),
                               ("traits", "group." if group else "", not group)):
        obj = _member(event, where)
        if isinstance(obj, collections.abc.Mapping):
            _flatten(obj, prefix, ids, identifiers, traits)

    found = {}
    props = event.get("properties")
    if isinstance(props, collections.abc.Mapping):
        for key, v in props.items():
            name = _measure_name(key, measures)
            if name is None or v is None or v == "":
                continue
            d = _number(v)
            if d is not None:
                found[name] = d

    consent = {}
    prefs = _member(event, "context.consent.categoryPreferences")
    if isinstance(prefs, collections.abc.Mapping):
        for key, v in prefs.items():
            if v is None or not isinstance(v, bool):
                continue
            if not key or _name_len(key) > MAX_NAME_LEN:
                continue
            consent[_lower(key)] = v

    def copy(name, v):
        text = _scalar(v)
        if text is not None:
            traits[name] = text

    copy("event_type", kind)
    if kind == "track":
        copy("last_event", event.get("event"))
    if kind == "page":
        name = event.get("name")
        copy("page", name if isinstance(name, str) else _member(event, "properties.path"))
    if kind == "screen":
        copy("screen", event.get("name"))
    copy("group_id", event.get("groupId"))
    copy("channel", _member(event, "context.channel"))

    return {"source": source, "record_id": record_id, "timestamp": timestamp,
            "identifiers": identifiers, "traits": traits, "measures": found,
            "consent": consent}


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate object key %r" % key)
        obj[key] = value
    return obj


def _no_constant(name):
    raise ValueError("invalid JSON value %s" % name)


def _int64(text):
    value = int(text)
    if not -2 ** 63 <= value < 2 ** 63:
        raise ValueError("integer %s out of the 64-bit range" % text)
    return value


def parse_event(text):
    """One JSON line as an event dict, as strictly as the program reads it (ValueError)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    if "\0" in text:
        raise ValueError("invalid JSON: a NUL byte")
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                      parse_int=_int64)


def iter_events(events):
    """(number, event or text) for each item: lines of JSONL text, or items of an iterable."""
    if isinstance(events, (bytes, bytearray)):
        events = bytes(events).decode("utf-8")
    if isinstance(events, str):
        if events.startswith("\ufeff"):
            events = events[1:]
        for number, line in enumerate(events.split("\n"), 1):
            if line.strip(" \t\r"):
                yield number, line
        return
    for number, item in enumerate(events, 1):
        if isinstance(item, (str, bytes, bytearray)) and not bytes(item if isinstance(
                item, (bytes, bytearray)) else item.encode("utf-8", "surrogatepass")).strip(
                b" \t\r\n"):
            continue
        yield number, item
