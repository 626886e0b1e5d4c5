"""Delete, erase, suppression, explain and the change feed."""

import pytest

import scv
from conftest import rec


def test_delete(engine):
    a = engine.upsert(rec("crm", "1", email="a@shop.de"))
    engine.upsert(rec("web", "2", email="a@shop.de", anonymous_id="anon-1"))
    engine.upsert(rec("web", "3", anonymous_id="anon-1"))
    assert engine.profile_count == 1
    # deleting the bridge splits the profile; the part with the oldest record keeps the id
    assert engine.delete("web", "2") is True
    assert engine.profile_count == 2
    assert engine.profile_of("crm", "1") == a
    assert engine.profile_of("web", "3") != a
    assert engine.delete("web", "2") is False
    assert engine.delete("nosuchsource", "2") is False
    assert len(engine) == 2
    assert engine.stats()["splits"] == 1


def test_erase_and_suppression(engine):
    pid = engine.upsert(rec("crm", "1", email="gone@shop.de", phone="030 7777777"))
    engine.upsert(rec("pos", "2", phone="030 7777777"))
    assert engine.erase(pid) == (2, 2)
    assert len(engine) == 0
    assert engine.suppressed_count == 2
    assert engine.canonical(pid) is None
    # a replay of the old data cannot rebuild the person: its identifiers are dropped
    again = engine.upsert(rec("crm", "1", email="gone@shop.de"))
    assert engine.identifiers(again) == []
    with pytest.raises(scv.NotFoundError):
        engine.erase(9999)


def test_suppress_by_value_and_hash(engine):
    a = engine.upsert(rec("crm", "1", email="x@shop.de"))
    b = engine.upsert(rec("web", "2", email="x@shop.de"))
    assert a == b
    engine.suppress("email", "X@shop.de")
    assert engine.profile_of("crm", "1") != engine.profile_of("web", "2")
    assert engine.explain(("crm", "1"), ("web", "2"))["apart"] == "suppressed"
    digest = engine.hash("email", "x@shop.de")
    assert engine.unsuppress_hash("email", digest) is True
    assert engine.unsuppress_hash("email", digest) is False
    engine.suppress_hash("email", digest)
    assert engine.suppressed_count == 1
    with pytest.raises(ValueError):
        engine.suppress_hash("email", b"short")


def test_explain(engine):
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    engine.upsert(rec("web", "2", email="a@shop.de", anonymous_id="anon-1"))
    engine.upsert(rec("pos", "3", anonymous_id="anon-1"))
    engine.upsert(rec("pos", "4", loyalty_id="L-9"))
    why = engine.explain(("crm", "1"), ("pos", "3"))
    assert why["apart"] == "none"
    chain = why["chain"]
    assert [c.get("record_id") for c in chain[::2]] == ["1", "2", "3"]
    assert [(c["kind"], c["value"]) for c in chain[1::2]] == [
        ("email", "a@shop.de"), ("anonymous_id", "anon-1")]
    assert all(len(c["hash"]) == 16 for c in chain[1::2])
    assert engine.explain(("crm", "1"), ("pos", "4")) == {"apart": "unrelated", "chain": []}
    same = engine.explain(("crm", "1"), ("crm", "1"))
    assert same["apart"] == "none" and len(same["chain"]) == 1
    with pytest.raises(scv.NotFoundError):
        engine.explain(("crm", "1"), ("crm", "nope"))


def test_explain_long_chain_grows_its_buffers(engine):
    for i in range(40):
        engine.upsert(rec("web", str(i), anonymous_id="a%d" % i, device_id="d%d" % (i + 1)))
        engine.upsert(rec("pos", str(i), device_id="d%d" % (i + 1), anonymous_id="a%d" % (i + 1)))
    why = engine.explain(("web", "0"), ("pos", "39"))
    assert why["apart"] == "none"
    assert len(why["chain"]) > 32


def test_changes_since(engine):
    assert engine.sequence == 0
    assert engine.changes_since(0) == []
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    engine.upsert(rec("web", "2", anonymous_id="anon-1"))
    mark = engine.sequence
    engine.upsert(rec("web", "3", anonymous_id="anon-1", email="a@shop.de"))
    events = engine.changes_since(0)
    assert [e["seq"] for e in events] == list(range(1, engine.sequence + 1))
    assert events[0] == {"seq": 1, "change": "created", "profile": 1, "other": None,
                         "source": "crm", "record_id": "1"}
    later = engine.changes_since(mark)
    merged = [e for e in later if e["change"] == "merged"]
    assert merged == [{"seq": merged[0]["seq"], "change": "merged", "profile": 1, "other": 2,
                       "source": "web", "record_id": "3"}]
    engine.block("email", "a@shop.de")
    blocked = engine.changes_since(engine.sequence - 1)
    assert blocked and blocked[-1]["record_id"] == ""
    assert engine.changes_since(engine.sequence) == []
    assert engine.changes_since(10 ** 6) == []
    with pytest.raises(ValueError):
        engine.changes_since(-1)


def test_changes_expire():
    with scv.Engine(change_capacity=2) as e:
        for i in range(5):
            e.upsert(rec("web", str(i), anonymous_id="a%d" % i))
        assert e.sequence == 5
        assert len(e.changes_since(3)) == 2
        with pytest.raises(scv.ExpiredError) as info:
            e.changes_since(0)
        assert info.value.name == "SCV_EEXPIRED"
    with scv.Engine(change_capacity=0) as e:
        e.upsert(rec("web", "1", anonymous_id="a"))
        with pytest.raises(scv.ExpiredError):
            e.changes_since(0)
    with pytest.raises(scv.InvalidArgumentError):
        scv.Engine(change_capacity=2 ** 29)
