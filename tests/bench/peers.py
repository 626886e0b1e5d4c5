#!/usr/bin/python3
"""peers.py -- scv resolve against common connected-components peers, side by side.

    peers.py --scv PATH_TO_SCV [--runs N] [--big-runs N] [--big 500000] [--only m1,m2] FILE

Runs, on the same CSV file (tests/bench/gen_records.c format), each method as its own
subprocess under `/usr/bin/time -f %e,%M` and prints: method, records, median seconds, peak
RSS MiB, records/s, ratio to scv.  Methods:

  scv       scv resolve --region DE --generic-threshold 0 FILE   (default blocklist still on;
            a floor with every rule off -- blocklist off as well -- cannot be asked for from
            the CLI, so none is measured)
  dict-uf   plain Python dict union-find
  scipy     pandas.factorize + scipy.sparse.csgraph.connected_components
  igraph    python-igraph connected_components
  networkx  networkx connected_components
  sqlite    SQLite label propagation: UPDATE ... SET label = MIN(...) over a record-identifier
            edge table until no row changes

Every Python peer reads the CSV with the csv module and applies the same normalization (below,
a re-implementation of the rules at the top of src/normalize.c and the default placeholder
blocklist in src/rules.c), then links records sharing a (kind, normalized value) identifier.
Each writes source,record_id,cluster; the partition is then compared with scv's as sets of
record sets.  Median of --runs runs (default 3); files with more than --big records get
--big-runs runs (default 1) for the Python peers (scv always gets --runs).

Worker mode (used internally): peers.py --worker METHOD --out OUT FILE
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

KINDS = ("email", "phone", "customer_id", "loyalty_id", "device_id", "anonymous_id")

# ---- normalization (mirrors src/normalize.c and the default blocklist in src/rules.c) --------

WS = " \t\r\n\v\f\u00a0"
PLACEHOLDER_WORDS = {"-1", "0", "null", "none", "n/a", "na", "nan", "nil", "undefined", "unknown",
                     "anonymous", "test", "xxx", "not set", "(not set)", "empty", "blank", "#n/a"}
PLACEHOLDER_LOCALS = {"noemail", "no-email", "no_email", "nomail", "no-mail", "noreply", "no-reply",
                      "donotreply", "do-not-reply", "none", "null", "nobody", "unknown", "na", "n/a",
                      "invalid"}
PLACEHOLDER_EMAILS = {"test@test.com", "test@test.de", "a@a.com", "a@b.com", "x@x.com", "xx@xx.com",
                      "email@email.com", "mail@mail.com", "none@none.com", "no@no.com",
                      "asdf@asdf.com", "test@gmail.com", "abc@abc.com", "user@domain.com",
                      "name@domain.com"}
RESERVED_DOMAINS = {"example.com", "example.net", "example.org"}
RESERVED_TLDS = (".test", ".invalid", ".localhost", ".example")
# calling code -> (trunk prefix, NSN min, NSN max); the codes the generator writes plus a few.
REGIONS = {"1": ("1", 10, 10), "44": ("0", 7, 10), "49": ("0", 5, 13), "33": ("0", 9, 9),
           "43": ("0", 4, 13), "41": ("0", 9, 9), "31": ("0", 9, 9), "39": ("", 6, 11)}
DEFAULT_CC = "49"
PHONE_SEP = str.maketrans("", "", " -.()/\u00a0")
DOMAIN_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def degenerate(s):
    """Only zeros and dashes, or one character repeated 3+ times."""
    if s and all(c in "0-" for c in s):
        return True
    return len(s) >= 3 and s.count(s[0]) == len(s)


def norm_email(v):
    v = v.strip(WS)
    if not v or v.count("@") != 1 or len(v) > 254:
        return None
    if any(c <= " " or c == "\x7f" or c == "\u00a0" for c in v):
        return None
    v = v.lower() if v.isascii() else "".join(c.lower() if c.isascii() else c for c in v)
    local, domain = v.split("@")
    if not local or len(local.encode()) > 64:
        return None
    labels = domain.split(".")
    if len(labels) < 2:
        return None
    for lab in labels:
        if not lab or any(c.isascii() and c not in DOMAIN_OK for c in lab):
            return None
    # default blocklist
    if v in PLACEHOLDER_EMAILS or local in PLACEHOLDER_LOCALS or degenerate(local):
        return None
    if domain in RESERVED_DOMAINS or domain.endswith(RESERVED_TLDS):
        return None
    return v


def norm_phone(v):
    v = v.strip(WS)
    if not v:
        return None
    low = v.lower()
    for ext in ("ext", "x", "#"):  # an extension is cut off
        i = low.find(ext)
        if i > 0 and low[i + len(ext):].strip(" .").isdigit():
            v = v[:i]
            break
    s = v.translate(PHONE_SEP)
    intl = False
    if s.startswith("+"):
        s, intl = s[1:], True
    elif s.startswith("00"):
        s, intl = s[2:], True
    if not s.isdigit() or not s.isascii():
        return None
    if intl:
        for n in (3, 2, 1):
            cc = s[:n]
            if cc in REGIONS:
                break
        else:
            cc = None
        if cc is None:
            return "+" + s if 8 <= len(s) <= 15 else None
        trunk, lo, hi = REGIONS[cc]
        nsn = s[len(cc):]
        if trunk == "0" and nsn.startswith("0"):
            nsn = nsn[1:]
    else:
        cc = DEFAULT_CC
        trunk, lo, hi = REGIONS[cc]
        nsn = s[len(trunk):] if trunk and s.startswith(trunk) else s
    if not (lo <= len(nsn) <= hi) or not (8 <= len(cc) + len(nsn) <= 15):
        return None
    if nsn.count(nsn[0]) == len(nsn):
        return None
    if len(nsn) >= 7:
        core = nsn.strip("0") if nsn[0] == "0" or nsn[-1] == "0" else nsn
        for t in (core, nsn):
            if len(t) >= 7 and (t in "01234567890" or t in "98765432109" or t in "0123456789" or t in "9876543210"):
                return None
    return "+" + cc + nsn


def norm_exact(v):
    v = v.strip(WS)
    if not v or v.lower() in PLACEHOLDER_WORDS or degenerate(v):
        return None
    return v


def norm_casefold(v):
    v = norm_exact(v)
    return v if v is None else v.translate(ASCII_LOWER)


ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# as src/engine.c: customer_id and anonymous_id exact, device_id and loyalty_id ASCII case-folded
NORM = {"email": norm_email, "phone": norm_phone, "device_id": norm_casefold, "loyalty_id": norm_casefold}


def read_edges(path):
    """Records as (source, record_id) list and edges as (record index, "kind\\x1fvalue") list."""
    recs, erec, ekey = [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        head = next(r)
        isrc, iid = head.index("source"), head.index("record_id")
        cols = [(i, k, NORM.get(k, norm_exact)) for i, k in enumerate(head) if k in KINDS]
        for row in r:
            n = len(recs)
            recs.append((row[isrc], row[iid]))
            for i, k, fn in cols:
                cell = row[i]
                if not cell:
                    continue
                for part in cell.split("|") if "|" in cell else (cell,):
                    v = fn(part)
                    if v is not None:
                        erec.append(n)
                        ekey.append(k + "\x1f" + v)
    return recs, erec, ekey


def intern(ekey):
    ids, out = {}, []
    for k in ekey:
        j = ids.get(k)
        if j is None:
            j = ids[k] = len(ids)
        out.append(j)
    return out, len(ids)

# ---- the peers: each returns a list, record index -> cluster label ---------------------------


def m_dict_uf(recs, erec, ekey):
    parent = {}

    def find(x):
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            nxt = parent[x]
            parent[x] = root
            x = nxt
        return root

    first = {}
    for r, k in zip(erec, ekey):
        o = first.setdefault(k, r)
        if o != r:
            a, b = find(r), find(o)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(recs))]


def m_scipy(recs, erec, ekey):
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    n = len(recs)
    codes, uniq = pd.factorize(pd.Series(ekey, dtype=object))
    m = len(uniq)
    rows = np.asarray(erec, dtype=np.int64)
    cols = codes.astype(np.int64) + n  # bipartite graph: records 0..n-1, identifiers n..n+m-1
    g = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + m, n + m)).tocsr()
    _, labels = connected_components(g, directed=False)
    return labels[:n].tolist()


def m_igraph(recs, erec, ekey):
    import igraph
    n = len(recs)
    codes, m = intern(ekey)
    g = igraph.Graph(n=n + m, edges=list(zip(erec, (c + n for c in codes))))
    return g.connected_components().membership[:n]


def m_networkx(recs, erec, ekey):
    import networkx as nx
    n = len(recs)
    codes, m = intern(ekey)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(erec, (c + n for c in codes)))
    label = [0] * n
    for ci, comp in enumerate(nx.connected_components(g)):
        for x in comp:
            if x < n:
                label[x] = ci
    return label


def m_sqlite(recs, erec, ekey):
    import sqlite3
    n = len(recs)
    codes, _ = intern(ekey)
    db = sqlite3.connect(":memory:")
    db.executescript("""
        CREATE TABLE edge(rec INTEGER, ident INTEGER);
        CREATE TABLE rl(rec INTEGER PRIMARY KEY, label INTEGER);
        CREATE TABLE il(ident INTEGER PRIMARY KEY, label INTEGER);
    """)
    db.executemany("INSERT INTO edge VALUES (?, ?)", zip(erec, codes))
    db.executemany("INSERT INTO rl VALUES (?, ?)", ((i, i) for i in range(n)))
    db.executescript("""
        CREATE INDEX edge_rec ON edge(rec, ident);
        CREATE INDEX edge_ident ON edge(ident, rec);
        INSERT INTO il SELECT e.ident, MIN(r.label) FROM edge e JOIN rl r ON r.rec = e.rec
            GROUP BY e.ident;
    """)
    rounds = 0
    while True:
        rounds += 1
        # records take the smallest label of their identifiers, identifiers of their records
        c1 = db.execute("""UPDATE rl SET label = m FROM
                             (SELECT e.rec AS r, MIN(i.label) AS m FROM edge e
                              JOIN il i ON i.ident = e.ident GROUP BY e.rec) AS t
                           WHERE rl.rec = t.r AND t.m < rl.label""").rowcount
        c2 = db.execute("""UPDATE il SET label = m FROM
                             (SELECT e.ident AS d, MIN(r.label) AS m FROM edge e
                              JOIN rl r ON r.rec = e.rec GROUP BY e.ident) AS t
                           WHERE il.ident = t.d AND t.m < il.label""").rowcount
        if c1 == 0 and c2 == 0:
            break
    print(f"sqlite: {rounds} rounds", file=sys.stderr)
    return [lab for (lab,) in db.execute("SELECT label FROM rl ORDER BY rec")]


METHODS = {"dict-uf": m_dict_uf, "scipy": m_scipy, "igraph": m_igraph,
           "networkx": m_networkx, "sqlite": m_sqlite}


def worker(method, path, out):
    t0 = time.perf_counter()
    recs, erec, ekey = read_edges(path)
    t1 = time.perf_counter()
    labels = METHODS[method](recs, erec, ekey)
    t2 = time.perf_counter()
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("source", "record_id", "cluster"))
        w.writerows((s, i, l) for (s, i), l in zip(recs, labels))
    t3 = time.perf_counter()
    print(f"phase {t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f}", file=sys.stderr)

# ---- driver -----------------------------------------------------------------------------------


def partition(path):
    """record key -> frozenset of record keys in its cluster."""
    groups = {}
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        for s, i, c in r:
            groups.setdefault(c, []).append(s + "\0" + i)
    out = {}
    for members in groups.values():
        fs = frozenset(members)
        for m in members:
            out[m] = fs
    return out


def timed(cmd, out):
    tf = out + ".time"
    with open(out + ".err", "w") as err:
        p = subprocess.run(["/usr/bin/time", "-f", "%e,%M", "-o", tf] + cmd,
                           stdout=subprocess.DEVNULL, stderr=err)
    if p.returncode != 0:
        sys.exit(f"{cmd} failed: see {out}.err")
    secs, kib = open(tf).read().strip().splitlines()[-1].split(",")
    phase = [l for l in open(out + ".err") if l.startswith("phase ")]
    return float(secs), int(kib), (phase[-1].split()[1:] if phase else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scv")
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big", type=int, default=500000)
    ap.add_argument("--big-runs", type=int, default=1)
    ap.add_argument("--only", default=",".join(METHODS))
    ap.add_argument("--tmp", default=None)
    ap.add_argument("file")
    a = ap.parse_args()
    if a.worker:
        return worker(a.worker, a.file, a.out)
    if not a.scv:
        ap.error("--scv is required")
    tmp = a.tmp or tempfile.mkdtemp(prefix="peers-")
    os.makedirs(tmp, exist_ok=True)
    with open(a.file, "rb") as f:
        n = sum(1 for _ in f) - 1
    me = os.path.abspath(__file__)
    runs = [("scv", [a.scv, "resolve", "--region", "DE", "--generic-threshold", "0",
                     "--out", os.path.join(tmp, "scv.csv"), a.file], a.runs)]
    for m in a.only.split(","):
        runs.append((m, ["/usr/bin/python3", me, "--worker", m, "--out", os.path.join(tmp, m + ".csv"),
                         a.file], a.big_runs if n > a.big else a.runs))
    rows, ref = [], None
    for name, cmd, k in runs:
        res = sorted((timed(cmd, os.path.join(tmp, name + ".csv")) for _ in range(k)), key=lambda x: x[0])
        secs, kib, phase = res[len(res) // 2]
        kib = max(r[1] for r in res)
        part = partition(os.path.join(tmp, name + ".csv"))
        if ref is None:
            ref, same, agree = part, n, "ref"
            nclu = len(set(part.values()))
        else:
            same = sum(1 for key, fs in part.items() if ref.get(key) == fs)
            agree = "yes" if same == n and len(part) == n else f"no ({n - same} records differ)"
            nclu = len(set(part.values()))
        rows.append((name, n, secs, kib / 1024, n / secs, k, phase, nclu, same, agree))
        print(f"  {name}: {k} run(s), {[r[0] for r in res]} s", file=sys.stderr, flush=True)
    base = rows[0][2]
    print(f"| method | records | runs | median s | peak RSS MiB | records/s | x scv | read+normalize s | components s | clusters | same cluster as scv | partition = scv |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, n_, secs, mib, rps, k, phase, nclu, same, agree in rows:
        rn = f"{float(phase[0]):.2f}" if phase else "-"
        cc = f"{float(phase[1]):.2f}" if phase else "-"
        print(f"| {name} | {n_} | {k} | {secs:.2f} | {mib:.0f} | {rps:,.0f} | {secs / base:.1f} | {rn} | {cc} | "
              f"{nclu} | {100.0 * same / n_:.3f}% | {agree} |")


if __name__ == "__main__":
    main()
