"""Engine.upsert_many: records go to the library in batches (scv_engine_upsert_batch, up to
POOL_SIZE records per call), and the results must be exactly those of one upsert() per
record: the same profile ids, the same rejected values, the same exception for a bad record
(and the records before it stored), the same engine afterwards."""

import threading

import pytest

import scv
from scv.engine import POOL_SIZE
from conftest import T0


def new_engine(allocator=None):
    return scv.Engine(region="DE", hash_key=b"test-key", allocator=allocator)


def people_records(n, start=0):
    """n records of customers written in messy ways: e-mails in several spellings, phones
    with and without country code, customer ids with spaces. Records of one person lie far
    apart (so merges happen inside a batch and across batch boundaries), some records bridge
    two people's profiles, some values are rejected, and some records come again with other
    contents (replacements; a bridge replaced splits its profile)."""
    records = []
    for i in range(start, start + n):
        p = i % 97
        email = ["person.%d@example-shop.de" % p, "  PERSON.%d@Example-Shop.DE " % p][i % 2]
        phone = ["0151 %08d" % (2000000 + p), "+49 151 %08d" % (2000000 + p)][i // 3 % 2]
        identifiers = {"email": email}
        if i % 3 == 0:
            identifiers["phone"] = phone
        if i % 5 == 0:
            identifiers["customer_id"] = [" C%05d" % p, None, ""]
        if i % 41 == 7:
            identifiers["email"] = [email, "person.%d@example-shop.de" % ((p + 1) % 97)]  # a bridge
        if i % 29 == 3:
            identifiers["phone"] = "12"  # rejected: too short
        if i % 31 == 5:
            identifiers["email"] = "not-an-e-mail"  # rejected
        key = i  # the record's key: some records come again with other contents
        if (i - 250) % 41 == 7 and i - 250 >= start:
            key = i - 250  # a bridge without its bridge: its profile splits
        elif i % 50 == 49 and i - 150 >= start:
            key = i - 150
        record = {"source": ["crm", "web", "email", "pos"][key % 4], "record_id": "R-%d" % key,
                  "timestamp": T0 + i, "identifiers": identifiers}
        if i % 7 == 0:
            record["traits"] = {"city": ["Köln", "Berlin"][i % 2], "zip": 50667 + i % 3}
        if i % 11 == 0:
            record["measures"] = {"order_total": 10.5 * (i % 13)}
        if i % 13 == 0:
            record["consent"] = {"email": i % 2 == 0}
        records.append(record)
    return records


def one_by_one(engine, records):
    """What one upsert() per record does: (results, exception or None)."""
    results = []
    for record in records:
        try:
            results.append(engine.upsert(record))
        except Exception as exc:  # noqa: BLE001 (compared with what upsert_many raises)
            return results, exc
    return results, None


def batched(engine, records):
    try:
        return engine.upsert_many(records), None
    except Exception as exc:  # noqa: BLE001
        return getattr(exc, "upserted", None), exc


def state(engine):
    """Everything observable of an engine's contents (not its memory use)."""
    keys = list(engine.record_keys())
    stats = engine.stats()
    del stats["bytes"]
    return {
        "snapshot": engine.snapshot() if scv.HAS_SNAPSHOTS else None,
        "records": [(key, engine.profile_of(*key)) for key in keys],
        "profiles": {pid: engine.profile(pid) for pid in engine.profiles()},
        "sources": engine.sources(),
        "kinds": engine.kinds(),
        "changes": engine.changes_since(0),
        "stats": stats,
    }


def results_of(upserted):
    return [(int(u), list(u.rejected)) for u in upserted]


def assert_same_as_one_by_one(records):
    """upsert_many on a fresh engine against one upsert() per record on another; returns
    the exception both raised (or None)."""
    with new_engine() as single, new_engine() as bulk:
        expected, expected_exc = one_by_one(single, records)
        got, got_exc = batched(bulk, records)
        if expected_exc is None:
            assert got_exc is None, "upsert_many raised %r" % got_exc
        else:
            assert type(got_exc) is type(expected_exc)
            assert str(got_exc) == str(expected_exc)
            assert got_exc.index == len(expected), "index of the failing record"
        assert results_of(got) == results_of(expected)
        assert state(bulk) == state(single)
        return got_exc


def test_results_equal_one_by_one_across_batches():
    records = people_records(600)  # more than two batches
    assert len(records) > 2 * POOL_SIZE
    with new_engine() as single, new_engine() as bulk:
        expected, _ = one_by_one(single, records)
        got = bulk.upsert_many(records)
        assert len(got) == 600
        assert [int(u) for u in got] == [int(u) for u in expected]
        assert results_of(got) == results_of(expected)
        assert state(bulk) == state(single)
        # the data really merges: inside batches, across their boundaries, and by bridges
        stats = bulk.stats()
        assert stats["merges"] > 0 and stats["splits"] > 0
        assert len(bulk) < 600  # replacements
        assert any(u.rejected for u in got)
        # person 0: records 0 and 97 (one batch), 291 and 485 (later batches)
        assert len({bulk.canonical(got[i]) for i in (0, 97, 291, 485)}) == 1


@pytest.mark.parametrize("n", [1, POOL_SIZE - 1, POOL_SIZE, POOL_SIZE + 1, 2 * POOL_SIZE])
def test_batch_boundaries(n):
    assert_same_as_one_by_one(people_records(n))


def test_empty_input():
    with new_engine() as engine:
        assert engine.upsert_many([]) == []
        assert engine.upsert_many(iter(())) == []
        assert len(engine) == 0
        assert engine.changes_since(0) == []


def test_generators_and_other_iterables():
    records = people_records(300)
    with new_engine() as a, new_engine() as b:
        via_list = a.upsert_many(records)
        via_generator = b.upsert_many(r for r in records)
        assert results_of(via_generator) == results_of(via_list)
        assert state(a) == state(b)


def test_records_as_record_objects_and_mixed_types():
    records = []
    for i, record in enumerate(people_records(300)):
        if i % 3 == 0:
            record = scv.Record.from_dict(record)
        elif i % 3 == 1:
            record = dict(record, record_id=1000 + i, source=record["source"].encode(),
                          timestamp="2024-04-%02dT10:00:00Z" % (1 + i % 28))
        records.append(record)
    records.append({"source": 0, "record_id": b"bytes-id",
                    "identifiers": [("email", b"person.1@example-shop.de"), (1, 4915120000001)]})
    assert_same_as_one_by_one(records)


# Bad records in the middle of a batch: each position is inside the first batch, the first
# record of the second batch, and one in the middle of the third.
POSITIONS = [0, 100, POOL_SIZE, 2 * POOL_SIZE + 44]

BAD_RECORDS = {
    # refused by the binding before the library sees it
    "not a dict": lambda i: ["crm", "x"],
    "unknown key": lambda i: {"source": "crm", "record_id": "b%d" % i, "identifier": {}},
    "value of a wrong type": lambda i: {"source": "crm", "record_id": "b%d" % i,
                                        "identifiers": {"email": 1.5}},
    "bad timestamp": lambda i: {"source": "crm", "record_id": "b%d" % i,
                                "timestamp": "yesterday"},
    "bad measure": lambda i: {"source": "crm", "record_id": "b%d" % i,
                              "measures": {"order_total": "ten"}},
    # refused by the library while the builder is filled
    "empty record id": lambda i: {"source": "crm", "record_id": "",
                                  "identifiers": {"email": "a@shop.de"}},
    "invalid UTF-8": lambda i: {"source": "crm", "record_id": b"b\xff%d" % i},
    "over-long value": lambda i: {"source": "crm", "record_id": "b%d" % i,
                                  "identifiers": {"customer_id": "9" * 2000}},
    "unknown kind": lambda i: {"source": "crm", "record_id": "b%d" % i,
                               "identifiers": {"instagram": "jane"}},
    "bad source name": lambda i: {"source": "no such source!", "record_id": "b%d" % i},
    "trait name too long": lambda i: {"source": "crm", "record_id": "b%d" % i,
                                      "traits": {"t" * 100: "x"}},
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("bad", sorted(BAD_RECORDS))
def test_a_bad_record_stops_where_one_by_one_stops(bad, position):
    records = people_records(600)
    records.insert(position, BAD_RECORDS[bad](position))
    exc = assert_same_as_one_by_one(records)
    assert exc is not None and exc.index == position
    assert len(exc.upserted) == position


def test_the_exception_carries_what_was_upserted():
    records = people_records(400)
    records.insert(300, {"source": "crm", "record_id": "", "identifiers": {}})
    with new_engine() as engine:
        with pytest.raises(scv.InvalidArgumentError) as caught:
            engine.upsert_many(records)
        err = caught.value
        assert err.index == 300 and err.field == "record_id"
        assert len(err.upserted) == 300
        assert len(engine) == len({(r["source"], r["record_id"]) for r in records[:300]}) < 300
        assert all(isinstance(u, scv.Upserted) for u in err.upserted)
        # the caller can skip the bad record and go on
        rest = engine.upsert_many(records[301:])
    with new_engine() as reference:
        expected = [reference.upsert(r) for r in records[:300] + records[301:]]
    assert results_of(err.upserted + rest) == results_of(expected)


def test_a_new_source_in_a_batch_is_registered_in_order():
    records = people_records(200)
    records.insert(150, {"source": " App ", "record_id": "a1",
                         "identifiers": {"email": "person.3@example-shop.de"}})
    records.insert(170, {"source": "kiosk", "record_id": "k1", "identifiers": {"email": 5.5}})
    exc = assert_same_as_one_by_one(records)
    assert isinstance(exc, TypeError) and exc.index == 170
    with new_engine() as engine:
        with pytest.raises(TypeError):
            engine.upsert_many(records)
        assert engine.sources() == ["crm", "web", "email", "pos", "app"]  # no "kiosk"


def test_a_source_registered_then_a_failing_record():
    # one-by-one, the record registers its source and then fails: the source stays
    records = people_records(20) + [{"source": "callcenter", "record_id": "",
                                     "identifiers": {}}]
    exc = assert_same_as_one_by_one(records)
    assert isinstance(exc, scv.InvalidArgumentError)
    with new_engine() as engine:
        with pytest.raises(scv.InvalidArgumentError):
            engine.upsert_many(records)
        assert "callcenter" in engine.sources()


def test_an_error_of_the_iterable_passes_through_after_the_records_before_it():
    records = people_records(300)

    def feed():
        yield from records[:270]
        raise RuntimeError("the feed broke")

    with new_engine() as single, new_engine() as bulk:
        for record in records[:270]:
            single.upsert(record)
        with pytest.raises(RuntimeError, match="the feed broke") as caught:
            bulk.upsert_many(feed())
        assert not hasattr(caught.value, "index")
        assert state(bulk) == state(single)


def test_the_upsert_itself_failing_in_a_batch():
    """An allocation failure inside scv_engine_upsert_batch stops the batch at that record:
    the same record, with the same error, as one upsert() per record. The allocator fails
    the n-th allocation from some point on; both engines make the same allocations there,
    as long as filling a builder allocates nothing: so every builder first holds a record
    larger than any that follows (a builder keeps its buffer's size), and the records carry
    identifiers only (traits would need room of their own). New sources come in between:
    they are registered in the same order, so with the same allocations, too."""
    def identifiers_only(records):
        return [{k: v for k, v in r.items() if k not in ("traits", "measures", "consent")}
                for r in records]

    def big(n):
        return {"source": "web", "record_id": "big-%d" % n,
                "identifiers": {"anonymous_id": ["%d-%d-%s" % (n, k, "x" * 900)
                                                 for k in range(16)]}}

    rest = identifiers_only(people_records(600))
    for i in range(20, 600, 37):
        rest[i]["source"] = "shop%d" % i  # registered in the same order as upsert() would
    failed_upserts = 0
    for fail_at in (1, 2, 3, 4, 6, 9, 13, 20):
        engines = []
        for _ in range(2):
            allocator = scv.Allocator()
            engine = new_engine(allocator)
            engine.upsert_many([big(n) for n in range(POOL_SIZE)])  # every pool builder
            engine.upsert(big(POOL_SIZE))  # upsert()'s own builder
            allocator.fail_at = fail_at
            engines.append(engine)
        single, bulk = engines
        expected, expected_exc = one_by_one(single, rest)
        got, got_exc = batched(bulk, rest)
        assert type(got_exc) is type(expected_exc)
        if expected_exc is not None:
            assert isinstance(expected_exc, scv.OutOfMemoryError)
            # the upsert failed (no field), or registering a new source did
            assert expected_exc.field in (None, "source")
            assert str(got_exc) == str(expected_exc)
            assert got_exc.index == len(expected)
            failed_upserts += expected_exc.field is None
        assert results_of(got) == results_of(expected)
        assert state(bulk) == state(single)
        single.close()
        bulk.close()
    assert failed_upserts >= 3, "the allocator failed too few upserts"


def test_closed_engine():
    engine = new_engine()
    engine.close()
    with pytest.raises(ValueError, match="closed") as caught:
        engine.upsert_many(people_records(3))
    assert caught.value.index == 0


def test_two_threads_share_one_engine():
    """Each batch holds the engine's lock from the first builder filled to the batch call,
    so two threads' batches do not mix their builders."""
    loads = [people_records(700), people_records(700, start=10000)]
    for load in loads[1:]:
        for record in load:
            record["record_id"] = "T2-" + record["record_id"]
    with new_engine() as engine:
        threads = [threading.Thread(target=engine.upsert_many, args=(load,)) for load in loads]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with new_engine() as reference:
            for load in loads:
                reference.upsert_many(load)
            assert len(engine) == len(reference)
            for load in loads:
                for record in load:
                    key = (record["source"], record["record_id"])
                    mine = engine.record(*key)
                    theirs = reference.record(*key)
                    assert [i["hash"] for i in mine["identifiers"]] == \
                        [i["hash"] for i in theirs["identifiers"]]
                    assert mine["timestamp"] == theirs["timestamp"]


def test_without_the_batch_call(monkeypatch):
    """A library older than scv_engine_upsert_batch: one upsert() per record, same results
    and the same tagged exception."""
    records = people_records(300)
    records.insert(200, {"source": "crm", "record_id": "", "identifiers": {}})
    with new_engine() as bulk:
        expected, _ = batched(bulk, records)
    monkeypatch.setattr(scv.engine, "_upsert_batch", None)
    with new_engine() as engine:
        got, exc = batched(engine, records)
        assert isinstance(exc, scv.InvalidArgumentError) and exc.index == 200
        assert results_of(got) == results_of(expected)


def test_upserted_rejected_is_one_list():
    with new_engine() as engine:
        clean, dirty = engine.upsert_many([
            {"source": "crm", "record_id": "1", "identifiers": {"email": "a@shop.de"}},
            {"source": "crm", "record_id": "2", "identifiers": {"email": "nope"}}])
    assert clean.rejected == [] and clean.rejected is clean.rejected
    clean.rejected.append("x")
    assert clean.rejected == ["x"]
    assert [r.kind for r in dirty.rejected] == ["email"]
    assert scv.Upserted(7).rejected == [] and scv.Upserted(7, dirty.rejected).rejected == \
        dirty.rejected
    import pickle
    again = pickle.loads(pickle.dumps(clean))
    assert again == clean and again.rejected == ["x"]
    assert repr(again) == repr(clean)
