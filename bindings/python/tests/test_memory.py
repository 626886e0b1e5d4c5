"""Every handle is freed exactly once: an accounting allocator must end at zero bytes in use
after the whole API has been used, whether objects are closed, left to `with`, or only
dropped and garbage-collected. (A double free shows up under AddressSanitizer, which the
sanitizer build's ctest run preloads.)"""

import gc

import scv
from conftest import T0, rec


def exercise(engine, close):
    engine.set_limit("customer_id", 1)
    for i in range(30):
        engine.upsert({"source": "crm", "record_id": "C-%d" % i, "timestamp": T0 + i,
                       "identifiers": {"email": "u%d@shop.de" % (i % 7), "customer_id": str(i),
                                       "phone": ["030 12345%02d" % (i % 5), "bad"]},
                       "traits": {"city": "Bonn" if i % 2 else "Köln"},
                       "measures": {"order_total": 10.0 * i},
                       "consent": {"email": i % 3 == 0}})
    engine.upsert(rec("web", "W-1", anonymous_id="anon-1", email="u1@shop.de"))
    # upsert_many keeps a pool of builders (more than one batch's worth here), freed with
    # the engine; a failing record leaves them as they were
    engine.upsert_many({"source": "app", "record_id": "A-%d" % i, "traits": {"n": i},
                        "identifiers": {"device_id": "dev-%d" % (i % 50)}} for i in range(300))
    try:
        engine.upsert_many([rec("app", "A-1", device_id="d"), rec("app", "")])
    except scv.InvalidArgumentError:
        pass
    for pid in list(engine.profiles()):
        engine.profile(pid)
        engine.records(pid)
        engine.identifiers(pid)
        engine.unlinked(pid)
    engine.explain(("crm", "C-1"), ("web", "W-1"))
    engine.explain(("crm", "C-1"), ("crm", "C-2"))
    engine.changes_since(0)
    engine.stats()
    query = engine.query("sum(order_total) > 50 and consent(email)")
    a = query.eval(T0)
    b = engine.query("seen(web) or trait(city) = \"Bonn\"").eval(T0)
    c, d, e = a & b, a | b, a - b
    segment = engine.segment("s", "records > 1")
    segment.refresh(T0)
    members = segment.members()
    personas = engine.personas([("one", "records = 1"), ("many", "records > 1")])
    personas.assign(T0)
    personas.sizes()
    engine.delete("crm", "C-3")
    engine.erase(engine.profile_of("crm", "C-4"))
    engine.suppress("email", "u6@shop.de")
    if scv.HAS_SNAPSHOTS:
        data = engine.snapshot()
        copy = scv.Engine.load(data, hash_key=b"k", allocator=engine._keep)
        copy.upsert(rec("pos", "P-1", phone="030 1234500"))
        engine.absorb(copy)
        if close:
            copy.close()
    for obj in (a, b, c, d, e, members):
        if close:
            obj.close()
    if close:
        query.close()
        segment.close()
        personas.close()


def test_everything_closed_explicitly():
    allocator = scv.Allocator()
    engine = scv.Engine(region="DE", hash_key=b"k", allocator=allocator)
    exercise(engine, close=True)
    assert allocator.in_use > 0
    engine.close()
    assert allocator.in_use == 0


def test_everything_left_to_the_engine_and_the_collector():
    allocator = scv.Allocator()
    with scv.Engine(region="DE", hash_key=b"k", allocator=allocator) as engine:
        exercise(engine, close=False)
    gc.collect()
    assert allocator.in_use == 0


def test_everything_dropped_without_close():
    allocator = scv.Allocator()
    engine = scv.Engine(region="DE", hash_key=b"k", allocator=allocator)
    exercise(engine, close=False)
    del engine
    gc.collect()
    assert allocator.in_use == 0


def test_repeated_failures_leak_nothing():
    allocator = scv.Allocator()
    with scv.Engine(allocator=allocator) as engine:
        engine.upsert(rec("crm", "1", email="a@shop.de"))
        for n in range(1, 60):
            allocator.fail_at = n
            try:
                engine.upsert(rec("crm", "%d" % (n + 1), email="a@shop.de",
                                  phone="+49 30 1234567"))
                engine.query("records > 1").eval(0).close()
                engine.segment("s", "records > 0").close()
            except scv.OutOfMemoryError:
                pass
            allocator.fail_at = None
    gc.collect()
    assert allocator.in_use == 0
