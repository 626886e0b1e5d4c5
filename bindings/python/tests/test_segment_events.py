"""Segment events in: scv.segment_event_to_record and Engine.upsert_segment_event(s), with
the mapping of examples/cli/SEGMENT.md."""

import collections
import csv
import io
import json
import os
import subprocess

import pytest

import scv
from conftest import REPO_ROOT

EVENTS = os.path.join(REPO_ROOT, "examples", "data", "segment", "events.jsonl")
T = "2025-03-01T10:00:00.250Z"


def ev(type_, message_id, **fields):
    return dict({"type": type_, "messageId": message_id, "timestamp": T}, **fields)


def test_alias_joins_anonymous_session_to_user(engine):
    anon = engine.upsert_segment_event(ev("page", "m1", anonymousId="anon-77", name="Home"))
    user = engine.upsert_segment_event(ev("track", "m2", userId="u-1", event="Login"))
    assert anon != user
    joined = engine.upsert_segment_event(ev("alias", "m3", userId="u-1", previousId="anon-77"))
    assert engine.profile_of("web", "m1") == engine.profile_of("web", "m2") == joined
    assert engine.profile_count == 1
    rec = scv.segment_event_to_record(ev("alias", "m3", userId="u-1", previousId="anon-77"))
    assert rec["identifiers"] == [("customer_id", "u-1"), ("anonymous_id", "anon-77")]
    assert rec["traits"] == {"event_type": "alias"}
    assert rec["timestamp"] == 1740823200          # fractions of a second dropped


def test_traits_email_links_and_traits_are_flattened(engine):
    a = engine.upsert_segment_event(ev("identify", "i1", userId=12345, traits={
        "email": " Jane.Doe@Shop.de", "firstName": "Jane", "age": 41, "vip": True,
        "score": 19.5, "tags": ["a"], "nothing": None,
        "address": {"city": "Berlin", "geo": {"lat": 52.5}}}))
    b = engine.upsert_segment_event(ev("track", "t1", anonymousId="x-9", event="Viewed",
                                       context={"traits": {"email": "jane.doe@shop.de",
                                                           "firstName": "J."}}))
    assert a == b
    rec = scv.segment_event_to_record(ev("identify", "i1", userId=12345, traits={
        "firstName": "Jane", "age": 41, "vip": True, "score": 19.5, "tags": ["a"],
        "address": {"city": "Berlin", "geo": {"lat": 52.5}}},
        context={"traits": {"firstName": "ctx", "loyaltyId": "L-1"}}))
    assert rec["traits"] == {"firstName": "Jane", "age": "41", "vip": "true", "score": "19.5",
                             "address.city": "Berlin", "address.geo.lat": "52.5",
                             "event_type": "identify"}
    assert ("customer_id", "12345") in rec["identifiers"]
    assert ("loyalty_id", "L-1") in rec["identifiers"]
    assert engine.trait(a, "event_type") == "track"
    assert engine.trait(a, "last_event") == "Viewed"


def test_context_device_id_links(engine):
    a = engine.upsert_segment_event(ev("screen", "s1", anonymousId="app-1", name="Home",
                                       context={"device": {"id": "A3F9C2E1"}}))
    b = engine.upsert_segment_event(ev("track", "s2", userId="u-5", event="Order Completed",
                                       context={"device": {"id": "a3f9c2e1"}}))
    assert a == b
    # the all-zero advertisingId is a blocked placeholder: it links nothing
    zero = {"device": {"advertisingId": "00000000-0000-0000-0000-000000000000"}}
    c = engine.upsert_segment_event(ev("track", "s3", anonymousId="p", context=zero))
    d = engine.upsert_segment_event(ev("track", "s4", anonymousId="q", context=zero))
    assert c != d and c != a
    assert engine.trait(a, "screen") == "Home"


def test_revenue_is_a_measure_and_extra_measures(engine):
    props = {"Revenue": 83.99, "total": "99.95", "value": None, "price": 12.5,
             "quantity": 2, "order_id": "NM-1"}
    rec = scv.segment_event_to_record(ev("track", "o1", userId="u", event="Order Completed",
                                         properties=props))
    assert rec["measures"] == {"revenue": 83.99, "total": 99.95}
    rec = scv.segment_event_to_record(ev("track", "o1", userId="u", properties=props),
                                      measures=["PRICE", "quantity"])
    assert rec["measures"] == {"revenue": 83.99, "total": 99.95, "PRICE": 12.5, "quantity": 2.0}
    pid = engine.upsert_segment_event(ev("track", "o1", userId="u", properties=props))
    engine.upsert_segment_event(ev("track", "o2", userId="u", properties={"revenue": 16.01}))
    assert engine.measure(pid, "revenue") == pytest.approx(100.0)
    assert "price" not in engine.measure_names()


def test_consent_categories(engine):
    prefs = {"Email": True, "Advertising": False, "Analytics": None, "Functional": "yes"}
    pid = engine.upsert_segment_event(ev("page", "c1", anonymousId="a", name="Start",
                                         context={"consent": {"categoryPreferences": prefs}}))
    assert engine.consent(pid, "email") == (True, 1740823200)
    assert engine.consent(pid, "advertising")[0] is False
    assert engine.consent(pid, "analytics") is None
    assert engine.consent(pid, "functional") is None
    assert engine.select("consent(email)", now=1740823200) == [pid]


def test_group_traits_are_group_traits(engine):
    rec = scv.segment_event_to_record(ev("group", "g1", userId="u", groupId="acme",
                                         traits={"name": "Acme", "email": "info@acme.de"}))
    assert rec["traits"] == {"group.name": "Acme", "group.email": "info@acme.de",
                             "event_type": "group", "group_id": "acme"}
    assert rec["identifiers"] == [("customer_id", "u")]


def test_bad_events_raise_value_error(engine):
    with pytest.raises(ValueError, match="messageId"):
        scv.segment_event_to_record({"type": "track", "userId": "u"})
    with pytest.raises(ValueError, match="unknown type"):
        engine.upsert_segment_event({"type": "purchase", "messageId": "m"})
    with pytest.raises(ValueError, match="no type"):
        engine.upsert_segment_event({"messageId": "m"})
    with pytest.raises(ValueError, match="timestamp"):
        engine.upsert_segment_event({"type": "track", "messageId": "m",
                                     "timestamp": "yesterday"})
    assert len(engine) == 0
    counts = engine.upsert_segment_events(
        '{"type":"track","messageId":"a","userId":"1"}\n\n{"type":"track"}\n{bad json\n'
        '{"type":"identify","messageId":"b","traits":{"email":"x@"}}\n')
    assert counts["upserted"] == 2 and counts["bad"] == 2 and counts["rejected"] == 1
    assert [n for n, _ in counts["errors"]] == [3, 4]


def _load_example(engine):
    with open(EVENTS, encoding="utf-8") as f:
        return engine.upsert_segment_events(f.read())


def test_example_file_counts(engine):
    counts = _load_example(engine)
    assert (counts["upserted"], counts["bad"], counts["rejected"]) == (59, 2, 1)
    assert len(engine) == 58


def test_same_partition_as_the_scv_program(engine):
    cli = os.environ.get("SCV_CLI")
    if not cli or not os.path.exists(cli):
        pytest.skip("set SCV_CLI to the scv program to compare with it")
    out = subprocess.run([cli, "resolve", "--format", "segment", "--region", "DE", EVENTS],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0 and "not available" in out.stderr:
        pytest.skip("the scv program was built without jansson")
    assert out.returncode == 0, out.stderr
    expected = collections.defaultdict(set)
    for row in csv.DictReader(io.StringIO(out.stdout)):
        expected[row["profile_id"]].add((row["source"], row["record_id"]))
    _load_example(engine)
    got = collections.defaultdict(set)
    for source, record_id in engine.record_keys():
        got[engine.profile_of(source, record_id)].add((source, record_id))
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, expected.values()))
    assert engine.profile_count == len(expected)
