"""Lookups and single customer views: profile dicts, traits, measures, consent, stats."""

import pytest

import scv
from conftest import DAY, T0, rec


@pytest.fixture
def jane(engine):
    engine.upsert({"source": "crm", "record_id": "C-1", "timestamp": T0,
                   "identifiers": {"email": "jane.doe@shop.de", "customer_id": "1001"},
                   "traits": {"first_name": "Jane", "city": "Bonn"},
                   "measures": {"order_total": 100.0},
                   "consent": {"email": True}})
    pid = engine.upsert({"source": "pos", "record_id": "B-1", "timestamp": T0 + DAY,
                         "identifiers": {"customer_id": "1001", "phone": "030 1234567"},
                         "traits": {"city": "Berlin"},
                         "measures": {"order_total": 50.0},
                         "consent": {"email": (False, T0 + DAY)}})
    return pid


def test_profile_dict(engine, jane):
    profile = engine.profile(jane)
    assert profile["profile_id"] == jane
    assert profile["first_seen"] == T0
    assert profile["last_seen"] == T0 + DAY
    assert profile["sources"] == ["crm", "pos"]
    assert [(r["source"], r["record_id"], r["timestamp"]) for r in profile["records"]] == [
        ("crm", "C-1", T0), ("pos", "B-1", T0 + DAY)]
    values = {(i["kind"], i["value"], i["state"]) for i in profile["identifiers"]}
    assert values == {("email", "jane.doe@shop.de", "linked"),
                      ("customer_id", "1001", "linked"),
                      ("phone", "+49301234567", "linked")}
    assert profile["traits"]["city"] == {"value": "Berlin", "source": "pos", "record_id": "B-1"}
    assert profile["traits"]["first_name"]["value"] == "Jane"
    order = profile["measures"]["order_total"]
    assert (order["count"], order["sum"], order["min"], order["max"]) == (2, 150, 50, 100)
    assert profile["consent"]["email"] == {"granted": False, "timestamp": T0 + DAY}


def test_view_accessors(engine, jane):
    assert engine.trait(jane, "city") == "Berlin"
    assert engine.trait(jane, "nope") is None
    assert engine.trait_names() == ["first_name", "city"]
    assert engine.measure_names() == ["order_total"]
    assert engine.consent_channels() == ["email"]
    assert engine.measure(jane, "order_total") == 150
    assert engine.measure(jane, "order_total", "avg") == 75
    assert engine.measure(jane, "order_total", "count") == 2
    assert engine.measure(jane, "order_total", "sum", window_days=1, now=T0 + DAY) == 50
    assert engine.measure(jane, "order_total", "last_time") == T0 + DAY
    assert engine.measure(jane, "missing", "avg") is None
    assert engine.measure(jane, "missing", "sum") == 0
    assert engine.consent(jane, "email") == (False, T0 + DAY)
    assert engine.consent(jane, "sms") is None
    assert engine.seen(jane) == (T0, T0 + DAY)
    with pytest.raises(ValueError):
        engine.measure(jane, "order_total", "median")


def test_lookups(engine, jane):
    assert engine.profile_of("crm", "C-1") == jane
    assert engine.profile_of("crm", "nope") is None
    assert engine.profile_of("nosuchsource", "C-1") is None
    assert engine.profile_of_identifier("email", " Jane.Doe@SHOP.de ") == jane
    assert engine.profile_of_identifier("email", "other@shop.de") is None
    assert engine.profile_of_identifier("email", "not an e-mail") is None
    assert list(engine.profiles()) == [jane]
    assert list(engine.record_keys()) == [("crm", "C-1"), ("pos", "B-1")]
    assert engine.records(jane) == [("crm", "C-1"), ("pos", "B-1")]
    assert engine.canonical(jane) == jane
    assert engine.canonical(12345) is None
    assert len(engine) == 2
    assert engine.identifier_count == 3
    with pytest.raises(scv.NotFoundError):
        engine.profile(999)
    with pytest.raises(scv.NotFoundError):
        engine.records(999)
    with pytest.raises(LookupError):
        engine.seen(999)


def test_merged_away_id_resolves_to_survivor(engine):
    a = engine.upsert(rec("crm", "1", email="a@shop.de"))
    b = engine.upsert(rec("web", "2", anonymous_id="anon-9"))
    assert a != b
    c = engine.upsert(rec("web", "3", anonymous_id="anon-9", email="a@shop.de"))
    assert c == a  # the oldest id survives
    assert engine.canonical(b) == a
    assert list(engine.profiles()) == [a]
    assert engine.stats()["merges"] == 1


def test_stats(engine, jane):
    stats = engine.stats()
    assert set(stats) == {"records", "profiles", "identifiers", "merges", "splits",
                          "aside_limit", "aside_size", "blocked_values", "blocked_records",
                          "generic_values", "generic_records", "generic_decisions", "bytes"}
    assert stats["records"] == 2 and stats["profiles"] == 1 and stats["identifiers"] == 3
    assert stats["bytes"] > 0


def test_normalize_and_hash(engine):
    assert engine.normalize("phone", "030 1234567") == "+49301234567"
    assert engine.normalize("phone", b"0049 30 1234567") == "+49301234567"
    assert engine.normalize("email", " Jane@Shop.DE ") == "jane@shop.de"
    assert engine.normalize("email", "jane@") is None
    digest = engine.hash("email", "jane@shop.de")
    assert isinstance(digest, bytes) and len(digest) == scv.HASH_SIZE
    assert engine.hash("email", " JANE@shop.de") == digest
    assert engine.hash("phone", "030 1234567") != digest
    with scv.Engine(region="DE", hash_key=b"another key") as other:
        assert other.hash("email", "jane@shop.de") != digest
    with pytest.raises(scv.RejectedError) as info:
        engine.hash("email", "jane@")
    assert info.value.reason and info.value.offset >= 0


def test_email_provider_rules():
    with scv.Engine(email_provider_rules=True) as e:
        assert e.normalize("email", "Jane.Doe+news@googlemail.com") == "janedoe@gmail.com"
    with scv.Engine() as e:
        assert e.normalize("email", "Jane.Doe+news@googlemail.com") == \
            "jane.doe+news@googlemail.com"


def test_phone_without_region_needs_country_code():
    with scv.Engine() as e:
        assert e.normalize("phone", "030 1234567") is None
        assert e.normalize("phone", "+49 30 1234567") == "+49301234567"
    with scv.Engine(region="us") as e:
        assert e.normalize("phone", "(212) 555-0147") == "+12125550147"
    with pytest.raises(scv.NotFoundError) as info:
        scv.Engine(region="XQ")
    assert info.value.field == "region"
    with pytest.raises(scv.InvalidArgumentError):
        scv.Engine(region="DEU")


@pytest.mark.parametrize("retain", ["none", "normalized", "raw"])
def test_retention(retain):
    with scv.Engine(region="DE", retain=retain) as e:
        pid = e.upsert(rec("crm", "1", phone="030 1234567"))
        identifier = e.profile(pid)["identifiers"][0]
        listed = e.identifiers(pid)[0]
        assert listed["hash"] == e.hash("phone", "030 1234567")
        if retain == "none":
            assert "value" not in identifier
            assert identifier["hash"] == listed["hash"].hex()
            assert listed["value"] is None
        else:
            assert identifier["value"] == "+49301234567"
            assert listed["value"] == "+49301234567"
    with pytest.raises(ValueError):
        scv.Engine(retain="everything")


def test_unicode_round_trip(engine):
    pid = engine.upsert({"source": "crm", "record_id": "Zoë-1",
                         "identifiers": {"customer_id": "客户-7"},
                         "traits": {"name": "Jürgen Groß 🎉", "quote": 'say "hi"\n\\'}})
    assert engine.trait(pid, "name") == "Jürgen Groß 🎉"
    assert engine.profile(pid)["traits"]["quote"]["value"] == 'say "hi"\n\\'
    assert engine.records(pid) == [("crm", "Zoë-1")]
    assert engine.profile_of(b"crm", "Zoë-1".encode()) == pid
    assert engine.profile_of_identifier("customer_id", "客户-7".encode("utf-8")) == pid
    assert engine.identifiers(pid)[0]["value"] == "客户-7"


def test_large_profile_json_grows_its_buffer(engine):
    pid = None
    for i in range(60):
        pid = engine.upsert({"source": "web", "record_id": "visit-%03d" % i,
                             "identifiers": {"anonymous_id": "anon-1"},
                             "traits": {"note%d" % i: "x" * 100}})
    profile = engine.profile(pid)
    assert len(profile["records"]) == 60
    assert len(profile["traits"]) == 60


# ---- assignments(): every record's profile, many records per library call --------------------

SOURCES = ("crm", "web", "email", "pos")


def crowd(engine, n):
    """n records in four sources whose e-mails and phones link them into profiles of a few
    records each, then holes in the refs: every 7th record deleted, the first two and a run
    of 100 too. Returns how many records are left."""
    def record(i):
        identifiers = {"email": "p%d@shop.de" % (i % (n // 5))}
        if i % 10 == 0:
            identifiers["phone"] = "0151 %08d" % (i % (n // 3))
        return {"source": SOURCES[i % 4], "record_id": "R-%d" % i, "identifiers": identifiers}

    engine.upsert_many(record(i) for i in range(n))
    gone = set(range(0, n, 7)) | set(range(n // 2, n // 2 + 100)) | {1}
    for i in gone:
        assert engine.delete(SOURCES[i % 4], "R-%d" % i)
    return n - len(gone)


def one_record_at_a_time(engine):
    return [(source, record_id, engine.profile_of(source, record_id))
            for source, record_id in engine.record_keys()]


@pytest.mark.parametrize("chunk", [1, 7, None])
def test_assignments_match_record_keys_and_profile_of(engine, monkeypatch, chunk):
    if chunk is not None:
        monkeypatch.setattr(scv.engine, "ASSIGNMENTS_CHUNK", chunk)
    left = crowd(engine, 2 * scv.engine.ASSIGNMENTS_CHUNK + 1000 if chunk is None else 1500)
    got = list(engine.assignments())
    assert got == one_record_at_a_time(engine)
    assert len(got) == left == len(engine)
    assert len({profile for _, _, profile in got}) == engine.profile_count


def test_assignments_of_an_empty_engine(engine):
    assert list(engine.assignments()) == []
    engine.upsert(rec("crm", "1", email="a@shop.de"))
    engine.delete("crm", "1")
    assert list(engine.assignments()) == []


def test_assignments_read_a_chunk_at_a_time(engine, monkeypatch):
    """A chunk is read whole: changes made while iterating show from the next chunk on."""
    monkeypatch.setattr(scv.engine, "ASSIGNMENTS_CHUNK", 3)
    for i in range(9):
        engine.upsert(rec("crm", str(i), email="p%d@shop.de" % i))
    seen = []
    for source, record_id, profile in engine.assignments():
        seen.append(record_id)
        if record_id == "0":
            engine.delete("crm", "1")  # in the chunk being yielded: still yielded
            engine.delete("crm", "4")  # in a later chunk: skipped
            engine.upsert(rec("crm", "5", email="p0@shop.de"))  # merged into profile 1
        if record_id == "5":
            assert profile == engine.profile_of("crm", "0")
    assert seen == ["0", "1", "2", "3", "5", "6", "7", "8"]


def test_assignments_of_a_closed_engine(monkeypatch):
    monkeypatch.setattr(scv.engine, "ASSIGNMENTS_CHUNK", 2)
    e = scv.Engine()
    for i in range(5):
        e.upsert(rec("crm", str(i), email="p%d@shop.de" % i))
    running = e.assignments()
    assert next(running) == ("crm", "0", 1)
    e.close()
    assert next(running) == ("crm", "1", 2)  # the rest of the chunk read before closing
    with pytest.raises(ValueError, match="closed"):
        next(running)
    with pytest.raises(ValueError, match="closed"):
        list(e.assignments())


def test_assignments_without_the_bulk_call(engine, monkeypatch):
    """A library older than scv_engine_record_profiles: NotImplementedError, as shrink()."""
    monkeypatch.setattr(scv.engine, "_record_profiles", None)
    with pytest.raises(NotImplementedError, match="scv_engine_record_profiles"):
        list(engine.assignments())
