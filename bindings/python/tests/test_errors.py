"""Error objects, bad input that must never crash, handles and their lifetimes."""

import gc
import pickle
import threading

import pytest

import scv
from conftest import rec


def test_error_object_fields(engine):
    with pytest.raises(scv.ScvError) as info:
        engine.hash("email", "jane@")
    error = info.value
    assert isinstance(error, scv.RejectedError) and isinstance(error, ValueError)
    assert error.status == 5
    assert error.name == "SCV_EREJECTED"
    assert error.reason == "e-mail has an empty domain"
    assert error.offset == 4
    assert error.field == "value"
    assert str(error) == "SCV_EREJECTED (value): e-mail has an empty domain at byte 4"
    assert "RejectedError" in repr(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is scv.RejectedError and copy.offset == 4 and copy.reason == error.reason


def test_error_classes_cover_every_status():
    from scv.errors import ERROR_CLASSES, error
    from scv import _lib
    for name, number in _lib.ENUMS["scv_status"].items():
        if number == 0:
            continue
        instance = error(number, "why")
        assert type(instance) is ERROR_CLASSES[number]
        assert instance.name == name and isinstance(instance, scv.ScvError)
    assert isinstance(error(2), MemoryError)
    assert isinstance(error(6), LookupError)
    assert error(99).name == "SCV_E99"


def test_record_errors_have_reason_and_offset(engine):
    with pytest.raises(scv.Utf8Error) as info:
        engine.upsert(rec("crm", b"ok\xffbad", email="a@shop.de"))
    assert info.value.field == "record_id"
    assert info.value.status == 3 and info.value.reason
    assert info.value.offset == 2
    with pytest.raises(scv.Utf8Error) as info:
        engine.upsert(rec("crm", "1", email=b"a\xc3@shop.de"))
    assert info.value.field == "identifier email" and info.value.offset == 1
    assert len(engine) == 0


BAD_TEXT = [
    b"\xff\xfe",  # not UTF-8
    b"abc\x00def",  # NUL byte
    "caf\udce9",  # a lone surrogate in a str
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # over-long encoding
    "x" * 100000,  # far past every maximum
]


@pytest.mark.parametrize("value", BAD_TEXT, ids=range(len(BAD_TEXT)))
def test_bad_text_never_crashes(engine, value):
    calls = [
        lambda: engine.upsert(rec("crm", value, email="a@shop.de")),
        lambda: engine.upsert(rec("crm", "1", email=value)),
        lambda: engine.upsert(rec("crm", "1", phone=value)),
        lambda: engine.upsert({"source": "crm", "record_id": "1", "traits": {"t": value}}),
        lambda: engine.upsert({"source": "crm", "record_id": "1", "traits": {value: "v"}}),
        lambda: engine.upsert({"source": "crm", "record_id": "1", "measures": {value: 1}}),
        lambda: engine.upsert({"source": "crm", "record_id": "1", "consent": {value: True}}),
        lambda: engine.upsert(rec(value, "1")),
        lambda: engine.normalize("email", value),
        lambda: engine.hash("phone", value),
        lambda: engine.block("customer_id", value),
        lambda: engine.suppress("customer_id", value),
        lambda: engine.profile_of("crm", value),
        lambda: engine.profile_of_identifier("email", value),
        lambda: engine.query(value),
        lambda: engine.segment(value, "records > 1"),
        lambda: engine.register_kind(value),
        lambda: engine.register_source(value),
        lambda: engine.trait(1, value),
        lambda: engine.delete("crm", value),
        lambda: engine.set_rfm_measure(value),
        lambda: scv.Engine(region=value),
    ]
    for call in calls:
        try:
            result = call()
        except (scv.ScvError, ValueError, LookupError):
            continue
        # the few calls that succeed must give ordinary values
        assert result is None or isinstance(result, (int, str, bytes, bool, scv.Query,
                                                     scv.Segment, scv.Engine))
        if isinstance(result, (scv.Query, scv.Segment, scv.Engine)):
            result.close()
    # nothing partial was stored by the failed upserts, except those that were accepted
    for source, record_id in engine.record_keys():
        assert isinstance(record_id, str)


def test_huge_values_report_too_long(engine):
    with pytest.raises(scv.TooLongError):
        engine.upsert(rec("crm", "x" * (scv.MAX_RECORD_ID_LEN + 1)))
    engine.upsert(rec("crm", "x" * scv.MAX_RECORD_ID_LEN))
    with pytest.raises(scv.TooLongError):
        engine.upsert(rec("crm", "2", customer_id="7" * (scv.MAX_VALUE_LEN + 1)))
    with pytest.raises(scv.TooLongError):
        engine.upsert({"source": "crm", "record_id": "3",
                       "traits": {"bio": "b" * (scv.MAX_TRAIT_LEN + 1)}})
    pid = engine.upsert({"source": "crm", "record_id": "3",
                         "traits": {"bio": "b" * scv.MAX_TRAIT_LEN}})
    assert len(engine.trait(pid, "bio")) == scv.MAX_TRAIT_LEN
    with pytest.raises(scv.TooLongError):
        engine.query("records > 1 and " * 5000 + "records > 1")
    with pytest.raises(scv.LimitError):
        engine.upsert({"source": "crm", "record_id": "4",
                       "identifiers": {"customer_id": [str(i) for i in range(100)]}})
    with pytest.raises(scv.ScvError):
        engine.upsert({"source": "crm", "record_id": "5",
                       "traits": {"t%d" % i: "v" for i in range(300)}})


def test_not_finite_measure(engine):
    with pytest.raises(scv.InvalidArgumentError) as info:
        engine.upsert({"source": "crm", "record_id": "1", "measures": {"x": float("nan")}})
    assert info.value.field == "measure x"


def test_bad_argument_types(engine):
    with pytest.raises(TypeError):
        engine.profile_of("crm", ["1"])
    with pytest.raises(TypeError):
        engine.normalize("email", None)
    with pytest.raises(TypeError):
        engine.profile("1")
    with pytest.raises(ValueError):
        engine.profile(-1)
    with pytest.raises(TypeError):
        engine.set_limit(True, 1)
    with pytest.raises(TypeError):
        scv.Engine(hash_key=123)
    with pytest.raises(TypeError):
        engine.absorb("engine")


def test_str_and_bytes_are_interchangeable(engine):
    a = engine.upsert({"source": b"crm", "record_id": b"C-1",
                       "identifiers": {b"email": b"A@Shop.de"},
                       "traits": {b"city": b"K\xc3\xb6ln"}})
    assert engine.profile_of("crm", "C-1") == a
    assert engine.trait(a, "city") == "Köln"
    assert engine.trait(a, b"city") == "Köln"
    assert engine.normalize(b"email", bytearray(b"A@Shop.de")) == "a@shop.de"
    assert engine.normalize("email", memoryview(b"A@Shop.de")) == "a@shop.de"
    assert engine.hash("email", "a@shop.de") == engine.hash(b"email", b"A@SHOP.DE")
    with scv.Engine(hash_key="key") as e1, scv.Engine(hash_key=b"key") as e2:
        assert e1.hash("email", "a@shop.de") == e2.hash("email", "a@shop.de")


def test_context_managers_and_close():
    with scv.Engine() as engine:
        engine.upsert(rec("crm", "1", email="a@shop.de"))
        query = engine.query("records > 0")
        segment = engine.segment("s", "records > 0")
        personas = engine.personas([("p", "records > 0")])
        result = query.eval(0)
        assert "Engine records=1" in repr(engine)
    assert engine.closed and query.closed and segment.closed and personas.closed
    assert not result.closed and list(result) == [1]
    result.close()
    with pytest.raises(ValueError, match="closed"):
        len(engine)
    with pytest.raises(ValueError, match="closed"):
        engine.upsert(rec("crm", "2"))
    with pytest.raises(ValueError, match="closed"):
        query.eval(0)
    with pytest.raises(ValueError, match="closed"):
        segment.refresh(0)
    with pytest.raises(ValueError, match="closed"):
        personas.assign(0)
    engine.close()
    query.close()
    assert repr(engine) == "<scv.Engine closed>"
    assert bool(engine)


def test_children_closed_before_engine_and_garbage_collection():
    engine = scv.Engine()
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    for _ in range(50):
        q = engine.query("records > 0")
        r = q.eval(0)
        del q, r
    seg = engine.segment("s", "records > 0")
    del seg
    gc.collect()
    assert len(engine._children) == 0
    # a child keeps its engine alive
    q = scv.Engine().query("records > 0")
    gc.collect()
    with q.eval(0) as r:
        assert len(r) == 0
    q.close()
    del engine
    gc.collect()


def test_close_inside_with_block():
    with scv.Engine() as engine:
        engine.close()
    assert engine.closed


def test_allocator_accounts_and_frees_everything():
    allocator = scv.Allocator()
    with scv.Engine(allocator=allocator) as engine:
        engine.upsert(rec("crm", "1", email="a@shop.de"))
        assert allocator.in_use > 0 and allocator.calls > 0
        with engine.query("records > 0").eval(0) as result:
            assert list(result) == [1]
        assert engine.profile(1)["profile_id"] == 1
    assert allocator.in_use == 0
    assert allocator.peak > 0
    assert "Allocator" in repr(allocator)


def test_allocation_failure_leaves_the_engine_unchanged():
    allocator = scv.Allocator()
    with scv.Engine(allocator=allocator) as engine:
        engine.upsert(rec("crm", "1", email="a@shop.de"))
        before = (len(engine), engine.profile_count, engine.sequence)
        failures = 0
        for n in range(1, 40):
            allocator.fail_at = n
            try:
                engine.upsert(rec("crm", "2", email="b@shop.de", phone="+49 30 1234567"))
            except scv.OutOfMemoryError as error:
                assert isinstance(error, MemoryError)
                assert (len(engine), engine.profile_count, engine.sequence) == before
                failures += 1
                continue
            allocator.fail_at = None
            break
        assert failures > 0
        assert len(engine) == 2
    assert allocator.in_use == 0


def test_allocator_limit():
    allocator = scv.Allocator(limit=1)
    with pytest.raises(scv.OutOfMemoryError):
        scv.Engine(allocator=allocator)
    assert allocator.in_use == 0
    with pytest.raises(TypeError):
        scv.Engine(allocator=object())


def test_engine_shared_between_threads():
    errors = []
    with scv.Engine() as engine:
        def work(t):
            try:
                for i in range(200):
                    engine.upsert(rec("web", "%d-%d" % (t, i), anonymous_id="a%d" % (i % 20)))
                    if i % 50 == 0:
                        engine.select("records > 1", 0)
                        engine.stats()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(engine) == 800
        assert engine.profile_count == 20


def test_callback_exceptions_do_not_cross_into_c(engine, monkeypatch):
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    import ctypes

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(ctypes, "string_at", broken)  # what the callback copies with
    with pytest.raises(RuntimeError, match="boom"):
        engine.changes_since(0)
