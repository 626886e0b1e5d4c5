"""Resolution rules from Python: limits, priority, blocked and generic values, size guards."""

import pytest

import scv
from conftest import rec


def test_limit_sets_aside_the_weaker_identifier(engine):
    engine.set_limit("customer_id", 1)
    a = engine.upsert(rec("crm", "1", customer_id="1", phone="030 1111111"))
    b = engine.upsert(rec("crm", "2", customer_id="2", phone="030 1111111"))
    assert a != b
    states = {i["kind"]: i["state"] for i in engine.record("crm", "2")["identifiers"]}
    assert states == {"customer_id": "linked", "phone": "set_aside_limit"}
    assert engine.stats()["aside_limit"] == 1
    assert [u["state"] for u in engine.unlinked(b)] == ["set_aside_limit"]


def test_without_limit_the_phone_links(engine):
    a = engine.upsert(rec("crm", "1", customer_id="1", phone="030 1111111"))
    b = engine.upsert(rec("crm", "2", customer_id="2", phone="030 1111111"))
    assert a == b


def test_priority_decides_what_is_set_aside(engine):
    engine.set_limit("customer_id", 1)
    engine.set_limit("phone", 1)
    # phone above customer_id: customer_id is now given up first
    engine.set_priority(["phone", "customer_id"])
    engine.upsert(rec("crm", "1", customer_id="1", phone="030 1111111"))
    engine.upsert(rec("crm", "2", customer_id="1", phone="030 2222222"))
    states = {i["kind"]: i["state"] for i in engine.record("crm", "2")["identifiers"]}
    assert states["customer_id"] == "set_aside_limit"
    assert states["phone"] == "linked"


def test_rules_are_fixed_after_the_first_record(engine):
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    with pytest.raises(scv.StateError) as info:
        engine.set_limit("email", 1)
    assert info.value.status == 10
    assert info.value.name == "SCV_ESTATE"
    assert info.value.reason
    with pytest.raises(scv.StateError):
        engine.set_generic_threshold("phone", 3)
    with pytest.raises(scv.StateError):
        engine.set_priority(["email"])
    with pytest.raises(scv.StateError):
        engine.set_profile_limits(10, 10)
    with pytest.raises(scv.StateError):
        engine.set_default_blocklist(False)


def test_block_stops_linking_at_any_time(engine):
    a = engine.upsert(rec("pos", "1", phone="030 9999999", loyalty_id="L1"))
    b = engine.upsert(rec("pos", "2", phone="030 9999999", loyalty_id="L2"))
    assert a == b
    engine.block("phone", "+49 30 9999999")
    assert engine.profile_of("pos", "1") != engine.profile_of("pos", "2")
    assert engine.explain(("pos", "1"), ("pos", "2"))["apart"] == "blocked"


def test_default_blocklist(engine):
    a = engine.upsert(rec("crm", "1", email="test@test.com"))
    b = engine.upsert(rec("crm", "2", email="test@test.com"))
    assert a != b


def test_default_blocklist_off():
    with scv.Engine(hash_key=b"k") as e:
        e.set_default_blocklist(False)
        a = e.upsert(rec("crm", "1", email="test@test.com"))
        b = e.upsert(rec("crm", "2", email="test@test.com"))
        assert a == b


def test_generic_values_stop_linking(engine):
    engine.set_generic_threshold("phone", 2)
    for i in range(5):
        engine.upsert(rec("pos", str(i), loyalty_id="L%d" % i, phone="030 5555555"))
    assert engine.profile_count == 5
    stats = engine.stats()
    assert stats["generic_values"] == 1
    assert stats["generic_decisions"] >= 1
    assert engine.explain(("pos", "0"), ("pos", "4"))["apart"] == "generic"


def test_generic_threshold_zero_turns_the_rule_off(engine):
    engine.set_generic_threshold("phone", 0)
    for i in range(15):
        engine.upsert(rec("pos", str(i), loyalty_id="L%d" % i, phone="030 5555555"))
    assert engine.profile_count == 1


def test_size_guard(engine):
    engine.set_profile_limits(max_records=3)
    pids = {engine.upsert(rec("web", str(i), anonymous_id="a")) for i in range(5)}
    assert len(pids) > 1
    assert engine.stats()["aside_size"] > 0


def test_rule_arguments_are_checked(engine):
    with pytest.raises(scv.NotFoundError):
        engine.set_limit("no_such_kind", 1)
    with pytest.raises(scv.NotFoundError):
        engine.set_limit(63, 1)
    with pytest.raises(ValueError):
        engine.set_limit("email", -1)
    with pytest.raises(ValueError):
        engine.set_limit("email", 2 ** 32)
    with pytest.raises(TypeError):
        engine.set_limit("email", "1")
    with pytest.raises(scv.InvalidArgumentError):
        engine.set_priority(["email", "email"])
    with pytest.raises(scv.RejectedError) as info:
        engine.block("email", "not-an-email")
    assert info.value.reason


def test_survivorship_rules(engine):
    engine.set_trait_rule("city", "first_seen")
    engine.upsert({"source": "crm", "record_id": "1", "timestamp": 100,
                   "identifiers": {"email": "a@shop.de"}, "traits": {"city": "Bonn", "tier": "b"}})
    pid = engine.upsert({"source": "web", "record_id": "2", "timestamp": 200,
                         "identifiers": {"email": "a@shop.de"},
                         "traits": {"city": "Köln", "tier": "a"}})
    assert engine.trait(pid, "city") == "Bonn"
    assert engine.trait(pid, "tier") == "a"
    engine.set_source_priority(["crm"])
    engine.set_trait_rule(None, "source_priority")
    assert engine.trait(pid, "tier") == "b"
    with pytest.raises(ValueError):
        engine.set_trait_rule("city", "loudest")
