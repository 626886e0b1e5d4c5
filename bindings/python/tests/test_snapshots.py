"""Snapshots and absorb (scv_engine_snapshot_*, scv_engine_load, scv_engine_absorb)."""

import os

import pytest

import scv
from conftest import REPO_ROOT, T0, rec

HEADER = os.path.join(REPO_ROOT, "include", "scv.h")


def header_declares_snapshots():
    try:
        with open(HEADER, encoding="utf-8") as f:
            return "scv_engine_snapshot_write" in f.read()
    except OSError:
        return False


def test_library_has_what_the_header_declares():
    if header_declares_snapshots():
        assert scv.HAS_SNAPSHOTS, "scv.h declares snapshots but %s lacks them" % scv.LIBRARY


needs = pytest.mark.skipif(not scv.HAS_SNAPSHOTS, reason="libscv has no snapshot functions")


def fill(engine):
    engine.set_limit("customer_id", 1)
    engine.upsert({"source": "crm", "record_id": "C-1", "timestamp": T0,
                   "identifiers": {"email": "jane@shop.de", "customer_id": "1"},
                   "traits": {"city": "Bonn"}, "measures": {"order_total": 120},
                   "consent": {"email": True}})
    engine.upsert(rec("pos", "B-1", T0 + 5, phone="030 1234567", customer_id="1"))
    engine.upsert(rec("app", "A-1", T0 + 9, email="jane@shop.de", anonymous_id="anon-1"))
    engine.upsert(rec("web", "W-9", T0, anonymous_id="someone-else"))
    engine.block("anonymous_id", "someone-else")


def view(engine):
    return [engine.profile(pid) for pid in engine.profiles()]


@needs
def test_round_trip():
    with scv.Engine(region="DE", hash_key=b"k1") as original:
        fill(original)
        data = original.snapshot()
        assert isinstance(data, bytes) and len(data) > 0
        with scv.Engine.load(data, hash_key=b"k1") as copy:
            assert view(copy) == view(original)
            assert len(copy) == len(original)
            assert copy.sources() == original.sources()
            assert copy.sequence == original.sequence
            assert copy.select("sum(order_total) > 100", T0) == [1]
            # both resolve later records the same way (region and rules came along)
            for engine in (original, copy):
                engine.upsert(rec("pos", "B-2", T0 + 20, phone="+49 30 1234567"))
            assert view(copy) == view(original)
            assert copy.snapshot() == original.snapshot()


@needs
def test_changes_from_before_a_load_are_expired():
    """scv.h: the change events do not travel; asking for changes from before the load
    gives SCV_EEXPIRED, and the sequence continues from the original's."""
    with scv.Engine(hash_key=b"k1") as original:
        fill(original)
        data = original.snapshot()
        sequence = original.sequence
    with scv.Engine.load(data, hash_key=b"k1") as copy:
        assert copy.sequence == sequence
        assert copy.changes_since(sequence) == []
        with pytest.raises(scv.ExpiredError):
            copy.changes_since(0)
        copy.upsert(rec("crm", "new", email="new@shop.de"))
        events = copy.changes_since(sequence)
        assert [e["seq"] for e in events] == [sequence + 1]
        assert events[0]["record_id"] == "new"


@needs
def test_load_checks_key_and_input():
    with scv.Engine(hash_key="k1") as original:
        fill(original)
        data = original.snapshot()
    with pytest.raises(scv.InvalidArgumentError) as info:
        scv.Engine.load(data, hash_key="another")
    assert info.value.reason and info.value.field == "snapshot"
    for broken in (b"", b"not a snapshot", data[:-1], data[:len(data) // 2],
                   data[:20] + bytes([data[20] ^ 0xFF]) + data[21:], b"\x00" * 4096):
        with pytest.raises((scv.CorruptError, scv.VersionError)) as info:
            scv.Engine.load(broken, hash_key="k1")
        assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError):
        scv.Engine.load("text", hash_key="k1")
    with scv.Engine.load(bytearray(data), hash_key="k1", change_capacity=8) as copy:
        assert len(copy) == 4


@needs
def test_every_flipped_byte_is_caught_or_harmless():
    with scv.Engine(hash_key="k") as original:
        original.upsert(rec("crm", "1", email="a@shop.de"))
        data = original.snapshot()
    for i in range(0, len(data), max(1, len(data) // 64)):
        broken = data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1:]
        try:
            engine = scv.Engine.load(broken, hash_key="k")
        except scv.ScvError:
            continue
        engine.close()


@needs
def test_empty_engine_snapshot():
    with scv.Engine() as empty:
        data = empty.snapshot()
    with scv.Engine.load(data) as copy:
        assert len(copy) == 0 and list(copy.profiles()) == []


@needs
def test_snapshot_with_allocator():
    allocator = scv.Allocator()
    with scv.Engine(hash_key="k") as original:
        fill(original)
        data = original.snapshot()
    with scv.Engine.load(data, hash_key="k", allocator=allocator) as copy:
        assert allocator.in_use > 0
        assert len(copy) == 4
    assert allocator.in_use == 0


@needs
def test_absorb_partitions():
    rows = [rec("crm", "1", email="a@shop.de"),
            rec("web", "2", email="a@shop.de", anonymous_id="anon-1"),
            rec("pos", "3", anonymous_id="anon-1", phone="030 1234567"),
            rec("pos", "4", phone="030 7654321")]
    with scv.Engine(region="DE", hash_key="k") as whole, \
            scv.Engine(region="DE", hash_key="k") as left, \
            scv.Engine(region="DE", hash_key="k") as right:
        whole.upsert_many(rows)
        left.upsert_many(rows[::2])
        right.upsert_many(rows[1::2])
        assert left.profile_count == 2 and right.profile_count == 2
        left.absorb(right)
        assert len(left) == 4

        def partition(engine):
            groups = {}
            for key in engine.record_keys():
                groups.setdefault(engine.profile_of(*key), set()).add(key)
            return sorted(sorted(g) for g in groups.values())

        assert partition(left) == partition(whole)
        left.absorb(right)  # again: upserts replace, nothing changes
        assert partition(left) == partition(whole)
        with pytest.raises(scv.InvalidArgumentError):
            left.absorb(left)
        with scv.Engine(hash_key="other") as stranger:
            with pytest.raises(scv.InvalidArgumentError) as info:
                left.absorb(stranger)
            assert info.value.reason
