#!/usr/bin/python3
"""peers.py -- scv resolve against common connected-components peers and a C floor, side by side.

    peers.py --scv SCV [--floor FLOOR] [--runs 3] [--pause S] [--big-runs N] [--only m1,m2] FILE
    peers.py --scaling --scv SCV [--floor FLOOR] --gen GEN_RECORDS [--sizes 1000000,10000000]
             [--data DIR] [--runs 3] [--scaling-only scv,scv-rules,floor]

Runs, on the same CSV file (tests/bench/gen_records.c format), each method as its own
subprocess under `/usr/bin/time -f %e,%M` and prints the machine line, then: method, records,
runs, median seconds, peak RSS MiB, records/s, ratio to scv, phase times, clusters and whether
the partition equals scv's; then the issue's two ratios, scv / floor (target <= 1.5) and
fastest peer / scv (target >= 10).  Methods:

  scv        scv resolve --region DE --generic-threshold 0 FILE: the reference.  The generic-
             value rule is off so that scv computes what the peers compute; the default
             placeholder blocklist stays on (the CLI cannot turn it off), and the peers apply it.
  scv-rules  scv resolve --region DE FILE: every rule at its default (generic threshold 10),
             as the issue's "rules on" means.  Its partition differs where the rule splits.
  floor      tests/bench/floor.c (--floor PATH): single-threaded C, whole file read at once,
             parsed in place, normalized as here, XXH3-128 keys hashed and prefetched a batch
             at a time into an open-addressing table, union-find: the least work for the same
             partition
  dict-uf    plain Python dict union-find
  scipy      pandas.factorize + scipy.sparse.csgraph.connected_components
  igraph     python-igraph connected_components
  networkx   networkx connected_components
  sqlite     SQLite label propagation: UPDATE ... SET label = MIN(...) over a record-identifier
             edge table until no row changes

Every Python peer reads the CSV with the csv module and applies the same normalization (below,
a re-implementation of the rules at the top of src/normalize.c and the default placeholder
blocklist in src/rules.c, byte-based as they are), then links records sharing a (kind,
normalized value) identifier.  Each writes source,record_id,cluster; the partition is then
compared with scv's as sets of record sets.  Median of --runs runs (default 3) for every
method at every size; the runs of scv, scv-rules and the floor are taken in turn (one of each,
--runs times), because this VM has slow spells that would otherwise fall on one method's runs
only; --big-runs N lowers the runs of the Python peers on files of more than
--big records by hand (to save minutes; the default keeps --runs).  Peak RSS is the maximum
over the runs.

--scaling times scv (both ways) and the floor on gen_records files of each --sizes count
(records-N.csv in --data, default /tmp, written with --gen when missing), compares the
floor's and scv-rules' partitions with scv's, and prints the time ratio of the largest size
to the smallest, also per record (1.00 = linear).

Worker mode (used internally): peers.py --worker METHOD --out OUT FILE
"""
import argparse
import collections
import csv
import os
import subprocess
import sys
import tempfile
import time

KINDS = ("email", "phone", "customer_id", "loyalty_id", "device_id", "anonymous_id")

# ---- normalization (mirrors src/normalize.c and the default blocklist in src/rules.c) --------

WS = " \t\r\n\v\f\u00a0"
# scv rejects an e-mail holding one of these (U+2000..200F, 2028, 2029, 202F, 205F, 2060, 3000, FEFF)
UNICODE_SPACES = set(map(chr, range(0x2000, 0x2010))) | set("\u2028\u2029\u202f\u205f\u2060\u3000\ufeff")
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
    """Only zeros and dashes, or one byte repeated 3+ times (src/rules.c compares bytes: "äää"
    is not degenerate there, so only an ASCII character counts here)."""
    if s and all(c in "0-" for c in s):
        return True
    return len(s) >= 3 and s[0] < "\x80" and s.count(s[0]) == len(s)


def norm_email(v):
    v = v.strip(WS)
    if not v or v.count("@") != 1 or len(v) > 254:
        return None
    if any(c <= " " or c == "\x7f" or c == "\u00a0" for c in v):
        return None
    if v.isascii():
        v = v.lower()
    else:  # limits are in bytes, as in scv; only ASCII letters are lower-cased
        if len(v.encode()) > 254 or any(c in UNICODE_SPACES for c in v):
            return None
        v = "".join(c.lower() if c.isascii() else c for c in v)
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
        if i > 0:  # digits follow, maybe with separators, as src/normalize.c allows ("x 1 2")
            rest = low[i + len(ext):].translate(PHONE_SEP)
            if rest.isdigit() and rest.isascii():
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
    # isascii: scv compares placeholders ignoring ASCII case only (u"UN\u212aNOWN".lower() is "unknown")
    if not v or (v.lower() in PLACEHOLDER_WORDS and v.isascii()) or degenerate(v):
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


def machine():
    """One line: cores, RAM, CPU model, load average (the bench shares its cores with others)."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
        with open("/proc/meminfo") as f:
            kib = next(int(l.split()[1]) for l in f if l.startswith("MemTotal"))
        ram = f"{kib / 1048576:.0f} GiB RAM"
    except (OSError, StopIteration):
        ram = "RAM ?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {ram}, CPU {model!r}, load average {load}"


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


def same_partition(a, b):
    """(records of a, records whose cluster is not the same set of records in b) for two
    source,record_id,cluster files, without holding the record sets (for 10M records): a record
    keeps its cluster when its (label in a, label in b) pair covers both whole clusters.  Streams
    both files when they list the records in the same order, as scv and the floor do; otherwise
    reads b into a dict."""
    def rows(path):
        with open(path, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            next(r)
            yield from r

    def count(pairs):
        n, pair, ca, cb = 0, collections.Counter(pairs), collections.Counter(), collections.Counter()
        for (la, lb), k in pair.items():
            n += k
            ca[la] += k
            cb[lb] += k
        same = sum(k for (la, lb), k in pair.items() if lb is not None and ca[la] == k and cb[lb] == k)
        return n, same, sum(k for lb, k in cb.items() if lb is not None)

    aligned = [True]

    def zipped():
        ra, rb = rows(a), rows(b)
        for x in ra:
            y = next(rb, None)
            if y is None or x[0] != y[0] or x[1] != y[1]:
                aligned[0] = False
                return
            yield x[2], y[2]
        if next(rb, None) is not None:
            aligned[0] = False

    n, same, nb = count(zipped())
    if not aligned[0]:
        lookup = {(s, i): c for s, i, c in rows(b)}
        n, same, nb = count((c, lookup.get((s, i))) for s, i, c in rows(a))
        nb = len(lookup)
    return n, n - same + abs(nb - n)


def timed(cmd, out):
    """(wall s, peak RSS KiB, phase times or None, user+system CPU s) of one run of cmd."""
    tf = out + ".time"
    with open(out + ".err", "w") as err:
        p = subprocess.run(["/usr/bin/time", "-f", "%e,%M,%U,%S", "-o", tf] + cmd,
                           stdout=subprocess.DEVNULL, stderr=err)
    if p.returncode != 0:
        sys.exit(f"{cmd} failed: see {out}.err")
    secs, kib, user, system = open(tf).read().strip().splitlines()[-1].split(",")
    phase = [l for l in open(out + ".err") if l.startswith("phase ")]
    return float(secs), int(kib), (phase[-1].split()[1:] if phase else None), float(user) + float(system)


def summarize(name, res, k):
    """Median wall seconds, peak RSS (max over the runs), the median run's phases and the median
    CPU seconds of the k runs in res.  The CPU time says how much work a run did when other
    jobs share the cores and stretch the wall time."""
    res = sorted(res, key=lambda x: x[0])
    secs, _, phase, _ = res[len(res) // 2]
    kib = max(r[1] for r in res)
    cpu = sorted(r[3] for r in res)[len(res) // 2]
    print(f"  {name}: {k} run(s), wall {[r[0] for r in res]} s, cpu {[round(r[3], 2) for r in res]} s",
          file=sys.stderr, flush=True)
    return secs, kib, phase, cpu


def measure(name, cmd, out, k):
    """summarize() of k runs of cmd, one after another."""
    return summarize(name, [timed(cmd, out) for _ in range(k)], k)


def measure_interleaved(names, cmds, outs, k, pause=0.0):
    """summarize() of k runs of each command, taken in turn (one run of each, k times): this
    VM has slow spells of tens of seconds, and a method run during one would look slower than
    one run before or after it. With `pause`, that many seconds pass before each run: enough
    for this VM to hand the memory of the run before back to its host, so that every run
    starts as a first run would (see tests/bench/README.md, "Machine"). {name: summary}."""
    res = {name: [] for name in names}
    for _ in range(k):
        for name in names:
            if pause > 0:
                time.sleep(pause)
            res[name].append(timed(cmds[name], outs[name]))
    return {name: summarize(name, res[name], k) for name in names}


def commands(a, path, tmp, methods):
    """name -> command line writing tmp/name.csv, for the methods asked for."""
    me = os.path.abspath(__file__)
    out = lambda m: os.path.join(tmp, m + ".csv")
    cmds = {}
    for m in methods:
        if m == "scv":
            cmds[m] = [a.scv, "resolve", "--region", "DE", "--generic-threshold", "0", "--out", out(m), path]
        elif m == "scv-rules":
            cmds[m] = [a.scv, "resolve", "--region", "DE", "--out", out(m), path]
        elif m == "floor":
            cmds[m] = [a.floor, "--region", "DE", path, out(m)]
        elif m in METHODS:
            cmds[m] = ["/usr/bin/python3", me, "--worker", m, "--out", out(m), path]
        else:
            sys.exit(f"unknown method {m}")
    return cmds


def ratios(rows):
    """The issue's two targets, from the rows measured: on wall time (what the issue asks) and
    on CPU time (steadier when the cores are shared)."""
    t = {r[0]: r[2] for r in rows}
    c = {r[0]: r[3] for r in rows}
    peers = [(t[m], m) for m in METHODS if m in t]
    lines = []
    for s in ("scv", "scv-rules"):
        if s not in t:
            continue
        if "floor" in t:
            f = "floor"
            lines.append(f"{s} / floor = {t[s]:.2f} / {t[f]:.2f} = {t[s] / t[f]:.2f}  "
                         f"(cpu {c[s]:.2f} / {c[f]:.2f} = {c[s] / c[f]:.2f})  target <= 1.5")
        if peers:
            best, m = min(peers)
            bc, mc = min((c[p], p) for _, p in peers)  # on CPU time the fastest may be another
            lines.append(f"fastest peer / {s} = {m} {best:.2f} / {t[s]:.2f} = {best / t[s]:.2f}  "
                         f"(cpu {mc} {bc:.2f} / {c[s]:.2f} = {bc / c[s]:.2f})  target >= 10")
    return lines


def compare(a):
    """The side-by-side table on one file."""
    tmp = a.tmp or tempfile.mkdtemp(prefix="peers-")
    os.makedirs(tmp, exist_ok=True)
    with open(a.file, "rb") as f:
        n = sum(1 for _ in f) - 1
    methods = ["scv"] + [m for m in a.only.split(",") if m and m != "scv"]
    if not a.floor:
        methods = [m for m in methods if m != "floor"]
    big_runs = a.big_runs if a.big_runs is not None else a.runs
    cmds = commands(a, a.file, tmp, methods)
    print(f"machine: {machine()}")
    print(f"file: {a.file} ({n} records, {os.path.getsize(a.file) / 1048576:.0f} MiB)")
    rows, ref = [], None
    # scv, with its rules and without, and the floor are what the ratio compares:
    # their runs are interleaved. The Python peers take seconds to minutes a run: one after
    # another.
    quick = [m for m in methods if m in ("scv", "scv-rules", "floor")]
    quick_res = measure_interleaved(quick, cmds, {m: os.path.join(tmp, m + ".csv") for m in quick}, a.runs,
                                    a.pause)
    for name in methods:
        k = a.runs if name in ("scv", "scv-rules", "floor") or n <= a.big else big_runs
        if name in quick_res:
            secs, kib, phase, cpu = quick_res[name]
        else:
            secs, kib, phase, cpu = measure(name, cmds[name], os.path.join(tmp, name + ".csv"), k)
        part = partition(os.path.join(tmp, name + ".csv"))
        nclu = len(set(part.values()))
        if ref is None:
            ref, same, agree = part, n, "ref"
        else:
            same = sum(1 for key, fs in part.items() if ref.get(key) == fs)
            agree = "yes" if same == n and len(part) == n else f"no ({n - same} records differ)"
        rows.append((name, n, secs, cpu, kib / 1024, n / secs, k, phase, nclu, same, agree))
        del part
    base = rows[0][2]
    print(f"| method | records | runs | median s | cpu s | peak RSS MiB | records/s | x scv | read+normalize s | components s | clusters | same cluster as scv | partition = scv |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, n_, secs, cpu, mib, rps, k, phase, nclu, same, agree in rows:
        rn = f"{float(phase[0]):.2f}" if phase else "-"
        cc = f"{float(phase[1]):.2f}" if phase else "-"
        print(f"| {name} | {n_} | {k} | {secs:.2f} | {cpu:.2f} | {mib:.0f} | {rps:,.0f} | {secs / base:.1f} | {rn} | {cc} | "
              f"{nclu} | {100.0 * same / n_:.3f}% | {agree} |")
    print()
    for line in ratios(rows):
        print(line)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def scaling(a):
    """scv (and the floor) at each size; time ratio of the largest to the smallest size."""
    if not a.gen:
        sys.exit("--scaling needs --gen PATH_TO_gen_records")
    data = a.data or tempfile.gettempdir()
    tmp = a.tmp or tempfile.mkdtemp(prefix="scaling-")
    os.makedirs(tmp, exist_ok=True)
    sizes = [int(x) for x in a.sizes.split(",")]
    methods = [m for m in a.scaling_only.split(",") if m and (m != "floor" or a.floor)]
    print(f"machine: {machine()}")
    res = {}
    print("| method | records | MiB | runs | median s | cpu s | peak RSS MiB | records/s | partition = scv |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        path = os.path.join(data, f"records-{n}.csv")
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            print(f"  generating {path}", file=sys.stderr, flush=True)
            subprocess.run([a.gen, "--records", str(n), "--out", path], check=True)
        cmds = commands(a, path, tmp, methods)
        got = measure_interleaved(methods, cmds, {m: os.path.join(tmp, m + ".csv") for m in methods}, a.runs,
                                  a.pause)
        for m in methods:
            secs, kib, _, cpu = got[m]
            agree = "ref"
            if m != "scv":
                ref = os.path.join(tmp, "scv.csv")
                if "scv" not in methods:
                    agree = "-"
                else:
                    recs, differ = same_partition(ref, os.path.join(tmp, m + ".csv"))
                    agree = "yes" if differ == 0 and recs == n else f"no ({differ} records differ)"
            res[(m, n)] = (secs, cpu)
            print(f"| {m} | {n} | {os.path.getsize(path) / 1048576:.0f} | {a.runs} | {secs:.2f} | {cpu:.2f} | "
                  f"{kib / 1024:.0f} | {n / secs:,.0f} | {agree} |", flush=True)
    lo, hi = min(sizes), max(sizes)
    print()
    for m in methods:
        if (m, lo) in res and (m, hi) in res and hi > lo:
            r = res[(m, hi)][0] / res[(m, lo)][0]
            rc = res[(m, hi)][1] / res[(m, lo)][1]
            print(f"{m}: {hi}/{lo} records: time x{r:.2f} for x{hi / lo:.0f} records, per record "
                  f"x{r * lo / hi:.2f} (1.00 = linear); cpu x{rc:.2f}, per record x{rc * lo / hi:.2f}")
    for m in ("scv", "scv-rules"):
        for n in sizes:
            if (m, n) in res and ("floor", n) in res:
                w, c = res[(m, n)], res[("floor", n)]
                print(f"{m} / floor at {n}: {w[0] / c[0]:.2f} (cpu {w[1] / c[1]:.2f})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scv")
    ap.add_argument("--floor", help="the floor program (tests/bench/floor.c), shown as method floor")
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--runs", type=int, default=3, help="runs per method, median taken (3)")
    ap.add_argument("--pause", type=float, default=0.0,
                    help="seconds to wait before each run of scv and the floor, so that each "
                         "starts with the memory of the run before handed back (0)")
    ap.add_argument("--big", type=int, default=500000)
    ap.add_argument("--big-runs", type=int, default=None,
                    help="runs of each Python peer on files over --big records (default: --runs)")
    ap.add_argument("--only", default=",".join(["scv-rules", "floor"] + list(METHODS)))
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--scaling", action="store_true",
                    help="time scv and the floor at --sizes instead of the peer table")
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--scaling-only", default="scv,scv-rules,floor")
    ap.add_argument("--gen", help="gen_records, to write the --scaling files that are missing")
    ap.add_argument("--data", help="directory of the --scaling files records-N.csv (default /tmp)")
    ap.add_argument("file", nargs="?")
    a = ap.parse_args()
    if a.worker:
        return worker(a.worker, a.file, a.out)
    if not a.scv:
        ap.error("--scv is required")
    if a.runs < 1 or (a.big_runs is not None and a.big_runs < 1):
        ap.error("--runs and --big-runs must be at least 1")
    if a.scaling:
        return scaling(a)
    if not a.file:
        ap.error("FILE is required")
    return compare(a)


if __name__ == "__main__":
    main()
