"""Records in: dicts and Record objects, timestamps, rejected values, sources, replacement."""

import datetime

import pytest

import scv
from conftest import T0, rec


def test_upsert_dict_returns_profile_id(engine):
    pid = engine.upsert({
        "source": "crm", "record_id": "C-1", "timestamp": T0,
        "identifiers": {"email": ["jane.doe@shop.de"], "phone": "030 1234567"},
        "traits": {"city": "Berlin"}, "measures": {"order_total": 12.5},
        "consent": {"email": True},
    })
    assert isinstance(pid, int) and isinstance(pid, scv.Upserted)
    assert pid == 1 and pid.profile == 1
    assert pid.rejected == []
    assert len(engine) == 1
    assert engine.profile_count == 1
    assert engine.profile_of("crm", "C-1") == pid


def test_record_builder_object(engine):
    record = (scv.Record("pos", "B-7", timestamp=T0)
              .add_identifier("phone", "+49 30 1234567")
              .add_identifier("loyalty_id", "L-1")
              .add_trait("store", "Mitte")
              .add_measure("order_total", 40)
              .add_consent("sms", False, T0 - 10))
    pid = engine.upsert(record)
    profile = engine.profile(pid)
    assert profile["traits"]["store"]["value"] == "Mitte"
    assert profile["measures"]["order_total"]["sum"] == 40
    assert profile["consent"]["sms"] == {"granted": False, "timestamp": T0 - 10}
    assert {i["kind"] for i in profile["identifiers"]} == {"phone", "loyalty_id"}
    assert scv.Record.from_dict(record.to_dict()) == record


def test_same_phone_written_two_ways_links(engine):
    a = engine.upsert(rec("crm", "C-1001", phone="030 1234567", customer_id="1001"))
    b = engine.upsert(rec("pos", "B01-0042", phone="+49 (0)30 123 45 67"))
    assert a == b
    assert engine.records(a) == [("crm", "C-1001"), ("pos", "B01-0042")]


def test_rejected_identifiers_do_not_fail_the_upsert(engine):
    pid = engine.upsert(rec("crm", "C-2", email=["jane@", "ok@shop.de"], phone="12"))
    assert pid > 0
    kinds = sorted(r.kind for r in pid.rejected)
    assert kinds == ["email", "phone"]
    bad_email = [r for r in pid.rejected if r.kind == "email"][0]
    assert bad_email.value == "jane@"
    assert bad_email.reason  # the library's sentence
    assert bad_email.offset >= 0
    assert "Rejected(" in repr(bad_email)
    # the good value was kept and links
    assert engine.profile_of_identifier("email", "OK@shop.de") == pid
    record = engine.record("crm", "C-2")
    assert [i["kind"] for i in record["identifiers"]] == ["email"]


def test_unknown_sources_are_registered(engine):
    assert "callcenter" not in engine.sources()
    pid = engine.upsert(rec("callcenter", "T-1", phone="030 5550001"))
    assert "callcenter" in engine.sources()
    assert engine.profile_of("callcenter", "T-1") == pid
    # names are matched trimmed and case-insensitively, like the scv program does
    assert engine.profile_of(" CallCenter ", "T-1") == pid
    assert engine.upsert(rec("CALLCENTER", "T-2", phone="030 5550001")) == pid
    assert engine.sources().count("callcenter") == 1


def test_bad_source_name_raises(engine):
    with pytest.raises(scv.InvalidArgumentError) as info:
        engine.upsert(rec("not a name!", "X-1", email="a@shop.de"))
    assert info.value.field == "source"
    assert len(engine) == 0


def test_register_source_and_kind(engine):
    app = engine.register_source("app")
    assert engine.sources()[app] == "app"
    with pytest.raises(scv.ExistsError):
        engine.register_source("app")
    assert engine.register_source("app", exist_ok=True) == app
    insta = engine.register_kind("instagram", "casefold")
    assert engine.kinds()[insta] == "instagram"
    a = engine.upsert(rec("app", "1", instagram=" Jane.Doe "))
    b = engine.upsert(rec("web", "2", instagram="jane.doe"))
    assert a == b
    assert engine.normalize("instagram", "  ABC ") == "abc"
    with pytest.raises(ValueError):
        engine.register_kind("x", "sideways")


def test_timestamps_in_several_forms(engine):
    forms = [T0, float(T0) + 0.75, str(T0), "2024-04-01T19:33:20Z", "2024-04-01T21:33:20+02:00",
             datetime.datetime(2024, 4, 1, 19, 33, 20),
             datetime.datetime(2024, 4, 1, 21, 33, 20,
                               tzinfo=datetime.timezone(datetime.timedelta(hours=2)))]
    for i, when in enumerate(forms):
        engine.upsert({"source": "web", "record_id": "t%d" % i, "timestamp": when,
                       "identifiers": {"anonymous_id": "anon-%d" % i}})
        assert engine.profile(engine.profile_of("web", "t%d" % i))["first_seen"] == T0, when
    engine.upsert({"source": "web", "record_id": "undated", "identifiers": {}})
    assert engine.profile(engine.profile_of("web", "undated"))["first_seen"] is None
    with pytest.raises(ValueError):
        engine.upsert({"source": "web", "record_id": "x", "timestamp": "yesterday"})
    with pytest.raises(TypeError):
        engine.upsert({"source": "web", "record_id": "x", "timestamp": True})
    with pytest.raises(ValueError):
        engine.upsert({"source": "web", "record_id": "x", "timestamp": 2 ** 70})


def test_upsert_many(engine):
    rows = [rec("crm", "C-%d" % i, email="user%d@shop.de" % (i % 3)) for i in range(9)]
    results = engine.upsert_many(rows)
    assert len(results) == 9
    assert len(engine) == 9
    assert engine.profile_count == 3
    assert results[0] == results[3] == results[6]


def test_replacing_a_record_re_resolves(engine):
    a = engine.upsert(rec("crm", "C-1", email="jane@shop.de"))
    b = engine.upsert(rec("web", "W-1", email="jane@shop.de", anonymous_id="anon-1"))
    assert a == b and engine.profile_count == 1
    # the web record no longer carries the e-mail: it leaves the profile
    c = engine.upsert(rec("web", "W-1", anonymous_id="anon-1"))
    assert c != a
    assert engine.profile_count == 2
    assert len(engine) == 2
    assert engine.profile_of("crm", "C-1") == a


def test_identifier_values_of_other_types(engine):
    pid = engine.upsert({"source": "crm", "record_id": 1001,
                         "identifiers": {"customer_id": 1001, "email": None, "phone": ""},
                         "traits": {"age": 42, "vip": None}})
    assert engine.profile_of("crm", "1001") == pid
    assert engine.profile_of_identifier("customer_id", "1001") == pid
    assert engine.trait(pid, "age") == "42"
    assert engine.trait(pid, "vip") is None
    with pytest.raises(TypeError):
        engine.upsert({"source": "crm", "record_id": "x", "identifiers": {"email": 1.5j}})
    with pytest.raises(TypeError):
        engine.upsert({"source": "crm", "record_id": "x", "measures": {"n": "12"}})


def test_identifiers_as_pairs_and_kind_numbers(engine):
    pid = engine.upsert({"source": 0, "record_id": "x",
                         "identifiers": [("email", "a@shop.de"), (1, "030 1111111")]})
    kinds = sorted(i["kind"] for i in engine.identifiers(pid))
    assert kinds == ["email", "phone"]
    assert engine.profile_of("crm", "x") == pid


def test_malformed_record_dicts(engine):
    with pytest.raises(ValueError, match="identifier"):
        engine.upsert({"source": "crm", "record_id": "1", "identifier": {"email": "a@b.de"}})
    with pytest.raises(ValueError, match="record_id"):
        engine.upsert({"source": "crm"})
    with pytest.raises(TypeError):
        engine.upsert(["crm", "1"])
    with pytest.raises(scv.NotFoundError) as info:
        engine.upsert(rec("crm", "1", instagram="x"))
    assert info.value.field == "kind"
    assert len(engine) == 0


def test_reserve_and_shrink_change_nothing_observable(engine):
    engine.reserve(10000)
    engine.upsert_many(rec("web", f"r{i}", anonymous_id=f"a{i % 30}") for i in range(300))
    before = (len(engine), engine.profile_count, engine.profile_of("web", "r7"))
    engine.shrink()
    assert (len(engine), engine.profile_count, engine.profile_of("web", "r7")) == before
    engine.upsert(rec("web", "x", anonymous_id="a7"))
    assert engine.profile_of("web", "x") == engine.profile_of("web", "r7")
    with pytest.raises(TypeError):
        engine.reserve(-1)
