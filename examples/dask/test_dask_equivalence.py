"""The Dask pipeline (resolve_dask.py) gives the partition one engine fed every row gives.

Runs the program itself, with a LocalCluster of 2 worker processes, on ~5,000 generated
records: people who share e-mails, phones, customer ids, loyalty cards and cookies written in
messy ways, a store phone typed at the tills for many different customers (a generic value
that must stop linking even though each partition sees only part of it), placeholders,
rejected values, records sent twice with other contents (upserts), ISO and unix timestamps,
and a row with a wrong number of fields. Needs Debian's python3-distributed and the scv
package with SCV_LIBRARY set (ctest sets both).
"""

import csv
import os
import random
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

pytest.importorskip("distributed", reason="Dask (python3-distributed) is not installed")
scv = pytest.importorskip("scv", reason="the scv package or libscv cannot be loaded")

import resolve_dask  # noqa: E402  (after the skips)

HEADER = ["source", "record_id", "timestamp", "email", "phone", "customer_id", "anonymous_id",
          "loyalty_id", "first_name", "city"]
STORE_PHONE = ["030 99887766", "+49 30 99887766", "(030) 998-87766", "0049 30 99887766"]
# A kiosk's phone on the receipts of 14 customers: over the generic threshold (10) in all,
# under it in every partition, so each partition links through it and the absorb must undo it.
KIOSK_PHONE = ["0341 2468013", "+49 341 2468013"]
KIOSK_CUSTOMERS = 14
REGION = "DE"
KEY = "test-key"


def phone_forms(n):
    """Ways tills, web forms and CRMs write one German mobile number."""
    digits = "%08d" % (20000000 + n * 7919 % 70000000)
    return ["0151 " + digits, "+49 151 " + digits, "+49 (0)151 " + digits[:4] + " " + digits[4:],
            "0049151" + digits, "(0151) " + digits[:3] + "-" + digits[3:]]


def generate(path, people=1700, seed=7):
    """Write the test file; returns the number of data rows."""
    rnd = random.Random(seed)
    cities = ["Berlin", "Köln", "München", "Hamburg, Altona", "Leipzig"]
    rows = []
    for p in range(people):
        email = "Person.%d@Example-Shop.de" % p
        emails = [email, "  " + email.upper() + " ", email.lower()]
        phones = phone_forms(p)
        cid = str(100000 + p)
        loyalty = "L%08d" % (p * 37 % 99999989)
        cookies = ["anon-%d-%d" % (p, k) for k in range(3)]
        for k in range(rnd.randint(1, 5)):
            source = rnd.choice(["crm", "web", "email", "pos", "CRM "])
            ts = 1700000000 + rnd.randrange(10 ** 7)
            row = {"source": source, "record_id": "%s-%d-%d" % (source.strip()[0].upper(), p, k),
                   "timestamp": str(ts) if rnd.random() < 0.7 else
                   "2024-%02d-%02dT10:%02d:00Z" % (rnd.randint(1, 12), rnd.randint(1, 28),
                                                   rnd.randint(0, 59)),
                   "first_name": rnd.choice(["Anna", "Jürgen", "Zoë", ""]),
                   "city": rnd.choice(cities)}
            pool = [("email", rnd.choice(emails)), ("phone", rnd.choice(phones)),
                    ("customer_id", cid), ("anonymous_id", rnd.choice(cookies)),
                    ("loyalty_id", loyalty)]
            for kind, value in rnd.sample(pool, rnd.randint(1, 3)):
                row[kind] = value
            if rnd.random() < 0.15:  # two e-mails in one cell
                row["email"] = "|".join(filter(None, [row.get("email"), rnd.choice(emails)]))
            if source == "pos" and rnd.random() < 0.3:  # the store's own phone
                row["phone"] = "|".join(filter(None, [row.get("phone"),
                                                      rnd.choice(STORE_PHONE)]))
            if rnd.random() < 0.01:
                row[rnd.choice(["email", "phone"])] = rnd.choice(
                    ["n/a", "test@test.com", "-1", "null", "0000000"])
            if rnd.random() < 0.01:
                row["email"] = "person.%d@" % p  # rejected: no domain
            rows.append(row)
    for n in range(KIOSK_CUSTOMERS):
        p = n * (people // KIOSK_CUSTOMERS)
        rows.append({"source": "pos", "record_id": "K-%d" % n, "timestamp": "1710000000",
                     "customer_id": str(100000 + p), "phone": KIOSK_PHONE[n % 2]})
    rnd.shuffle(rows)
    # Records sent again later with other contents: the last version must win, wherever
    # the first one went.
    for row in rnd.sample(rows, 150):
        again = dict(row)
        other = rnd.randrange(people)
        again.pop("email", None)
        again["phone"] = phone_forms(other)[0]
        again["timestamp"] = str(1720000000 + rnd.randrange(10 ** 6))
        rows.insert(rnd.randrange(len(rows) + 1), again)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for i, row in enumerate(rows):
            writer.writerow([row.get(c, "") for c in HEADER])
            if i == len(rows) // 2:
                handle.write("web,broken-row,1700000000\n")  # too few fields: skipped
    return len(rows) + 1


def single_process(path):
    """One engine fed every row in file order: [(source, record_id, profile), ...] in
    first-seen order."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        layout = resolve_dask.Layout(header)
        with scv.Engine(region=REGION, hash_key=KEY.encode()) as engine:
            for fields in reader:
                if len(fields) == len(header):
                    engine.upsert(layout.record(fields))
            return [(s, r, engine.profile_of(s, r)) for s, r in engine.record_keys()]


def run_dask(path, out, partitions, cwd):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "resolve_dask.py"), "--workers", "2",
         "--partitions", str(partitions), "--region", REGION, "--hash-key", KEY,
         "--out", str(out), str(path)],
        cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=240)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def read_output(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source", "record_id", "profile_id"]
    return [(s, r, int(p)) for s, r, p in rows[1:]]


def partition(assignment):
    """Profiles as a set of record sets: ids do not matter, who is with whom does."""
    groups = {}
    for source, record_id, profile in assignment:
        groups.setdefault(profile, set()).add((source, record_id))
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dask")
    path = directory / "records.csv"
    rows = generate(path)
    assert 4500 <= rows <= 6500
    return directory, path, single_process(path)


@pytest.mark.parametrize("partitions", [2, 3])
def test_dask_partition_equals_single_engine(data, partitions):
    directory, path, expected = data
    out = directory / ("out-%d.csv" % partitions)
    log = run_dask(path, out, partitions, directory)
    got = read_output(out)

    keys = [(s, r) for s, r, _ in got]
    assert len(keys) == len(set(keys)), "one row per distinct (source, record_id)"
    # The same records, in the same first-seen order as the single engine (= `scv resolve`).
    assert keys == [(s, r) for s, r, _ in expected]
    assert partition(got) == partition(expected)

    assert "%d partitions" % partitions in log
    assert "1 bad rows" in log  # the short row, reported and skipped
    for phase in ("partition", "scatter", "resolve", "gather", "absorb", "write"):
        assert "phase " + phase in log
    # The store phone and the kiosk phone glue no customers together.
    assert max(len(g) for g in partition(got)) < 40
    kiosk = {p for s, r, p in got if s == "pos" and r.startswith("K-")}
    assert len(kiosk) >= KIOSK_CUSTOMERS - 2


@pytest.mark.parametrize("partitions", [2, 3])
def test_each_partition_alone_links_through_the_kiosk_phone(data, partitions):
    """What makes the test above meaningful: resolved alone, every partition sees the
    kiosk phone on at most 10 customers and links them through it; only the absorb sees
    all 14 and must undo those merges. (resolve_partition runs in-process here.)"""
    _, path, _ = data
    parts, files, rows, bad = resolve_dask.read_partitions([str(path)], partitions,
                                                           lambda text: None)
    assert (files, bad) == (1, 1)
    assert sorted(n for p in parts for n in p["row_no"]) == list(range(rows))
    for part in parts:
        result = resolve_dask.resolve_partition(part, REGION, KEY.encode())
        with scv.Engine.load(result["snapshot"], hash_key=KEY.encode()) as engine:
            kiosk = [k for k in engine.record_keys() if k[0] == "pos" and k[1].startswith("K-")]
            assert 2 <= len(kiosk) <= 10
            assert len({engine.profile_of(*k) for k in kiosk}) == 1


def test_partition_of_is_stable_and_follows_the_engine_key():
    # crc32 is the same in every process and run (Python's salted hash() is not); the
    # source is keyed as the engine names it (trimmed, ASCII lower-cased).
    assert resolve_dask.partition_of("crm", "C-1", 1 << 30) == 55771004  # zlib.crc32(b"crm\x00C-1")
    assert resolve_dask.partition_of(" CRM\t", "C-1", 7) == resolve_dask.partition_of(
        "crm", "C-1", 7)
    assert resolve_dask.partition_of("crm", "C-1 ", 1 << 30) != resolve_dask.partition_of(
        "crm", "C-1", 1 << 30)
