"""Queries, results and their set operations, segments, personas."""

import pytest

import scv
from conftest import DAY, T0


@pytest.fixture
def shop(engine):
    """Four customers: 1 big spender with e-mail consent, 2 small, 3 big in store only,
    4 web-only visitor without orders."""
    def order(rid, email, total, when, source="crm", **more):
        record = {"source": source, "record_id": rid, "timestamp": when,
                  "identifiers": {"email": email}, "measures": {"order_total": total}}
        record.update(more)
        return engine.upsert(record)

    order("o1", "big@shop.de", 400, T0, consent={"email": True}, traits={"tier": "gold"})
    order("o2", "big@shop.de", 300, T0 - 200 * DAY)
    order("o3", "small@shop.de", 20, T0)
    order("o4", "store@shop.de", 900, T0 - 10 * DAY, source="pos")
    engine.upsert({"source": "web", "record_id": "v1", "timestamp": T0,
                   "identifiers": {"anonymous_id": "anon-4"}})
    return engine


def test_query_eval(shop):
    with shop.query("sum(order_total) > 500") as q:
        with q.eval(T0) as result:
            assert len(result) == 2
            assert list(result) == [1, 3]
            assert 1 in result and 2 not in result and "1" not in result and -1 not in result
            assert result == {1, 3}
            assert result.ids() == [1, 3]
        # compiled once, evaluated at several times
        with q.eval(T0) as again:
            assert again == {1, 3}
    assert shop.select("sum(order_total, 90d) > 500", T0) == [3]
    assert shop.select("sum(order_total, 90d) > 300", T0) == [1, 3]
    assert shop.select("consent(email) and trait(tier) = \"gold\"", T0) == [1]
    assert shop.select("seen(pos)", T0) == [3]
    assert shop.select("not has(email)", T0) == [4]
    assert shop.select("records >= 2", T0) == [1]
    assert shop.select("days_since_last_seen > 5", T0) == [3]
    assert shop.select("COUNT(order_total) = 0", T0) == [4]
    assert shop.select("avg(order_total) > 0 or seen(web)", T0) == [1, 2, 3, 4]


def test_result_set_operations(shop):
    q_big = shop.query("sum(order_total) > 100")
    q_crm = shop.query("seen(crm)")
    big, crm = q_big.eval(T0), q_crm.eval(T0)
    both = big & crm
    either = big | crm
    only_big = big - crm
    assert both == {1} and either == {1, 2, 3} and only_big == {3}
    assert isinstance(both, scv.Result)
    for r in (both, either, only_big, big, crm):
        r.close()
        r.close()  # idempotent
    with pytest.raises(ValueError):
        len(big)
    with pytest.raises(TypeError):
        big & {1}
    assert "closed" in repr(big)


def test_result_outlives_engine():
    engine = scv.Engine()
    engine.upsert({"source": "crm", "record_id": "1", "identifiers": {"customer_id": "1"}})
    result = engine.query("records = 1").eval(0)
    engine.close()
    assert list(result) == [1]
    result.close()


def test_empty_result(shop):
    with shop.query("records > 100").eval(T0) as result:
        assert len(result) == 0 and not result and list(result) == []
        assert "0 profile" in repr(result)


def test_query_errors_carry_offset(shop):
    with pytest.raises(scv.QuerySyntaxError) as info:
        shop.query("sum(order_total) >")
    error = info.value
    assert error.status == 11 and error.name == "SCV_ESYNTAX"
    assert error.offset == len("sum(order_total) >")
    assert error.reason and error.field == "query"
    assert "at byte" in str(error)
    with pytest.raises(scv.QuerySyntaxError) as info:
        shop.query("records > 1 xx")
    assert info.value.offset == len("records > 1 ")
    with pytest.raises(scv.NotFoundError) as info:
        shop.query("  seen(nosuch)")
    assert info.value.offset == 2
    with pytest.raises(ValueError):  # QuerySyntaxError is a ValueError too
        shop.query("((")
    # offsets count UTF-8 bytes, not characters
    with pytest.raises(scv.QuerySyntaxError) as info:
        shop.query('trait(city) = "Köln" andd records > 1')
    assert info.value.offset == len('trait(city) = "Köln" '.encode("utf-8"))


def test_unknown_measures_and_traits_are_not_errors(shop):
    assert shop.select("sum(not_yet) > 0", T0) == []
    assert shop.select('trait(not_yet) = "x"', T0) == []


def test_segment_reports_entered_and_left_through_a_merge(engine):
    engine.upsert({"source": "crm", "record_id": "1", "timestamp": T0,
                   "identifiers": {"email": "x@shop.de"}, "measures": {"order_total": 60}})
    engine.upsert({"source": "web", "record_id": "2", "timestamp": T0,
                   "identifiers": {"anonymous_id": "anon-1"}, "measures": {"order_total": 60}})
    big = engine.segment("big", "sum(order_total) > 100")
    small = engine.segment("small", "sum(order_total) > 50")
    assert big.name == "big"
    assert big.refresh(T0) == ([], [])
    assert small.refresh(T0) == ([1, 2], [])
    assert small.refresh(T0) == ([], [])
    # a web record joins the anonymous visitor to the customer: profile 2 merges into 1
    engine.upsert({"source": "web", "record_id": "3", "timestamp": T0,
                   "identifiers": {"anonymous_id": "anon-1", "email": "x@shop.de"}})
    assert engine.canonical(2) == 1
    assert big.refresh(T0) == ([1], [])
    assert small.refresh(T0) == ([], [2])
    with big.members() as members:
        assert members == {1}
    assert "big" in repr(big)
    big.close()
    with pytest.raises(ValueError):
        big.refresh(T0)


def test_segment_bad_query(engine):
    with pytest.raises(scv.QuerySyntaxError) as info:
        engine.segment("s", "sum(x) >>> 1")
    assert info.value.offset >= 0
    with pytest.raises(scv.InvalidArgumentError):
        engine.segment("", "records > 1")


def test_personas(shop):
    personas = shop.personas([
        ("whale", "sum(order_total) > 500"),
        ("subscriber", "consent(email)"),
        ("buyer", "count(order_total) > 0"),
    ])
    assert len(personas) == 3
    assert personas.add("visitor", "seen(web)") == 3
    personas.assign(T0)
    assert personas.persona_of(1) == "whale"  # also a subscriber: the first match wins
    assert personas.persona_of(2) == "buyer"
    assert personas.persona_of(3) == "whale"
    assert personas.persona_of(4) == "visitor"
    assert personas.persona_of(999) is None
    assert personas.sizes() == {"whale": 2, "subscriber": 0, "buyer": 1, "visitor": 1}
    assert personas.names() == ["whale", "subscriber", "buyer", "visitor"]
    with pytest.raises(scv.QuerySyntaxError):
        personas.add("bad", "sum(")
    assert len(personas) == 4
    personas.close()


def test_personas_bad_query_in_constructor_frees_the_list(shop):
    with pytest.raises(scv.QuerySyntaxError):
        shop.personas([("a", "records > 1"), ("b", "records >")])
    assert len(shop._children) == 0


def test_now_defaults_to_the_clock(shop):
    # with the current time, the April 2024 orders are far outside a 90-day window
    assert shop.select("sum(order_total, 90d) > 0") == []
    assert shop.select("sum(order_total) > 0") == [1, 2, 3]
    assert shop.select("sum(order_total, 90d) > 0", "2024-04-01T20:00:00Z") == [1, 2, 3]


def test_rfm_terms(shop):
    shop.set_rfm_measure("order_total")
    found = shop.select("rfm_m >= 1", T0)
    assert found == [1, 2, 3]
