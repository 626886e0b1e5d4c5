#!/usr/bin/env python3
"""resolve_dask.py: resolve CSV record files into profiles, with one scv engine per partition
on Dask workers. The driver then combines the partitions with snapshot + absorb.

    resolve_dask.py [--scheduler ADDRESS | --workers N] [--partitions P] [--region CC]
                    [--hash-key KEY] [--out FILE] FILE...

The input is CSV in the contract of `scv resolve` (see ../../README.md): a header row,
`source` and `record_id` columns, an optional `timestamp` (unix seconds or ISO 8601), columns
named after an identifier kind (email, phone, customer_id, ...) holding `|`-separated values,
and every other column a trait. The output is `source,record_id,profile_id`, one row per
distinct (source, record_id), in first-seen order, as `scv resolve` writes it. Profile ids
can differ from a single-process run, but the partition (who is with whom) does not.

How it works:
  1. partition  The driver reads the files and sends every row to partition
                crc32(source, record_id) mod P. A record sent again lands in the partition
                that already holds it, so the upsert replaces it there.
  2. scatter    Each partition's rows go to a worker (client.scatter).
  3. resolve    One task per partition builds an engine, upserts its rows in input order and
                returns engine.snapshot() bytes.
  4. gather     The snapshots come back to the driver.
  5. absorb     The driver loads the first snapshot and absorbs the others into it.
  6. write      It writes the final assignment in input order.
Timings per phase go to stderr.

Needs: Dask (Debian: python3-distributed python3-dask), the `scv` Python package
(bindings/python on PYTHONPATH) and libscv (SCV_LIBRARY) on the driver and on every worker.
"""

import argparse
import array
import csv
import itertools
import os
import resource
import sys
import tempfile
import time
import zlib

# The built-in kinds (scv.h). A column named after one of them holds identifiers.
KINDS = frozenset(("email", "phone", "customer_id", "anonymous_id", "device_id", "loyalty_id"))
SPECIAL = frozenset(("source", "record_id", "timestamp"))
MAX_MESSAGES = 20  # per partition and for the driver, as `scv resolve` limits them per file


# ---- CSV row -> record dict (shared with the tests) -------------------------------------

WHITE = " \t\r\n\v\f"  # what `scv resolve` trims (ASCII white space)


class Layout:
    """What the columns of one file's header mean, as `scv resolve` reads them: `source`,
    `record_id` and `timestamp` (names trimmed, case ignored), a column named after an
    identifier kind holds `|`-separated identifiers, any other named column is a trait.
    ValueError when source or record_id is missing or a special column appears twice."""

    def __init__(self, header):
        self.width = len(header)
        self.identifiers = []  # (column, kind)
        self.traits = []       # (column, name)
        special = {}
        for i, raw in enumerate(header):
            name = raw.strip(WHITE)
            lname = name.lower()
            if lname in SPECIAL:
                if lname in special:
                    raise ValueError("column '%s' appears twice" % lname)
                special[lname] = i
            elif lname in KINDS:
                self.identifiers.append((i, lname))
            elif name:
                self.traits.append((i, name))
        for needed in ("source", "record_id"):
            if needed not in special:
                raise ValueError("no '%s' column" % needed)
        self.source = special["source"]
        self.record_id = special["record_id"]
        self.timestamp = special.get("timestamp")

    def record(self, fields):
        """One row (a list of len(header) cells) as a record dict for Engine.upsert."""
        identifiers = {}
        for i, kind in self.identifiers:
            cell = fields[i]
            if cell:
                for value in cell.split("|"):
                    value = value.strip(WHITE)
                    if value:
                        identifiers.setdefault(kind, []).append(value)
        record = {"source": fields[self.source],  # the engine trims and lower-cases it
                  "record_id": fields[self.record_id],
                  "identifiers": identifiers,
                  "traits": {name: fields[i] for i, name in self.traits if fields[i]}}
        if self.timestamp is not None:
            cell = fields[self.timestamp].strip(WHITE)
            if cell:
                # unix seconds as an int (the binding's fast path), ISO 8601 as text
                record["timestamp"] = int(cell) if cell.isascii() and cell.isdigit() else cell
        return record


def source_key(source):
    """A source name as the engine knows it: UTF-8, ASCII white space trimmed, ASCII
    lower-cased (bytes.strip and bytes.lower do exactly that)."""
    return source.encode("utf-8", "surrogatepass").strip().lower()


def partition_of(source, record_id, partitions):
    """The partition of a record: a hash of its key (source as the engine names it,
    record_id as it is) that is the same in every process, on every machine and in every run.
    Python's hash() of a str would not do: it is salted per process."""
    return _partition_of(source_key(source), record_id, partitions)


def _partition_of(source, record_id, partitions):
    return zlib.crc32(record_id.encode("utf-8", "surrogatepass"),
                      zlib.crc32(source + b"\x00")) % partitions


def make_engine(region, hash_key):
    """The engine every partition starts from: no kind limits (with limits the result
    would depend on which records met first, and partitions could not be combined
    exactly); the default blocklist and generic-value rule are on."""
    import scv
    return scv.Engine(region=region, hash_key=hash_key)


# ---- the Dask task ------------------------------------------------------------------------

def resolve_partition(part, region, hash_key):
    """Build an engine from one partition's rows and return its snapshot.

    part: see new_partition(); rows in input order. Returns a dict with the snapshot bytes
    and `order`: the input row number of each record's first successful upsert, in the
    engine's record order (8 bytes per record), which the driver uses to write the output in
    input order."""
    import scv  # on the worker

    started = time.perf_counter()
    layouts = [Layout(header) for _, header in part["headers"]]
    paths = [path for path, _ in part["headers"]]
    engine = make_engine(region, hash_key)
    records = 0
    order = array.array("q")
    bad = rejected = 0
    messages = []

    def complain(text):
        nonlocal unshown
        if len(messages) < MAX_MESSAGES:
            messages.append(text)
        else:
            unshown += 1
    unshown = 0
    text = part["text"]
    offsets = array.array("Q", itertools.accumulate(part["lengths"], initial=0))
    widths = [layout.width for layout in layouts]
    cell = 0
    for row_no, file_no, line in zip(part["row_no"], part["file_no"], part["line"]):
        end = cell + widths[file_no]
        fields = [text[offsets[c]:offsets[c + 1]] for c in range(cell, end)]
        cell = end
        try:
            record = layouts[file_no].record(fields)
            upserted = engine.upsert(record)
        except (scv.OutOfMemoryError, scv.LimitError):
            raise  # the engine is full: stop, as `scv resolve` does
        except (scv.ScvError, ValueError, TypeError) as err:
            # a bad row (bad timestamp, invalid UTF-8, over-long value...): skip it
            bad += 1
            complain("%s:%d: %s" % (paths[file_no], line, err))
            continue
        for r in upserted.rejected:
            # a value the normalizer refused: left off, the record goes in
            rejected += 1
            complain("%s:%d: warning: %s '%s': %s"
                     % (paths[file_no], line, r.kind, r.value, r.reason))
        if len(engine) > records:  # a new (source, record_id), not a replacement
            records += 1
            order.append(row_no)
    resolved = time.perf_counter()
    snapshot = engine.snapshot()
    result = {
        "index": part["index"],
        "snapshot": snapshot,
        "order": order.tobytes(),
        "records": len(engine),
        "profiles": engine.profile_count,
        "rows": len(part["row_no"]),
        "bad": bad,
        "rejected": rejected,
        "messages": messages,
        "unshown": unshown,
        "resolve_seconds": resolved - started,
        "snapshot_seconds": time.perf_counter() - resolved,
        "pid": os.getpid(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    engine.close()
    return result


# ---- the driver ----------------------------------------------------------------------------

class Timer:
    """Wall time per phase, printed to stderr as it ends."""

    def __init__(self, quiet=False):
        self.start = self.mark = time.perf_counter()
        self.phases = []
        self.quiet = quiet

    def done(self, phase, detail=""):
        now = time.perf_counter()
        self.phases.append((phase, now - self.mark))
        if not self.quiet:
            print("phase %-10s %8.3f s%s" % (phase, now - self.mark, detail and "  " + detail),
                  file=sys.stderr)
        self.mark = now

    def total(self):
        return time.perf_counter() - self.start


def new_partition(index):
    """A partition's rows, in input order, kept compact for the trip to a worker: the cells
    of all rows concatenated into one str `text` with each cell's length in `lengths` (a row
    has as many cells as its file's header), and per row its number among the good input
    rows, its file (an index into headers) and its line, in arrays. Millions of small lists
    or strings would make the driver's pickling (serial) and the garbage collector slow; one
    string and a few arrays are cheap to move. `pending` collects cells until they are
    joined into the next piece of text."""
    return {"index": index, "headers": [], "text": [], "pending": [],
            "lengths": array.array("I"), "row_no": array.array("q"),
            "file_no": array.array("i"), "line": array.array("q")}


def _flush(part, final=False):
    if part["pending"]:
        part["text"].append("".join(part["pending"]))
        part["pending"].clear()
    if final:
        part["text"] = "".join(part["text"])
        del part["pending"]


def read_partitions(paths, partitions, say):
    """Read every file and split its rows into partitions by key. Returns (parts, files
    read, rows, bad rows). A row number counts good rows across all files in input order."""
    parts = [new_partition(i) for i in range(partitions)]
    files_read = row_no = bad = 0
    messages = 0

    def complain(path, line, text):
        nonlocal messages
        messages += 1
        if messages <= MAX_MESSAGES:
            say("%s:%d: %s" % (path, line, text))

    for path in paths:
        try:
            handle = open(path, newline="", encoding="utf-8-sig", errors="surrogateescape")
        except OSError as err:
            say("resolve_dask: %s: %s" % (path, err.strerror))
            continue
        with handle:
            reader = csv.reader(handle, strict=False)
            try:
                header = next(reader)
            except StopIteration:
                complain(path, 1, "empty file: no header row")
                continue
            try:
                layout = Layout(header)
            except ValueError as err:
                complain(path, reader.line_num, "%s; file skipped" % err)
                continue
            file_no = len(parts[0]["headers"])
            for p in parts:
                p["headers"].append((path, header))
            width, src_col, id_col = layout.width, layout.source, layout.record_id
            line = reader.line_num + 1  # the line a row starts on
            for fields in reader:
                if len(fields) != width:
                    if fields:  # csv.reader gives [] for a blank line; `scv` skips those too
                        complain(path, line, "expected %d fields, found %d" % (width, len(fields)))
                        bad += 1
                elif not fields[id_col]:
                    complain(path, line, "empty record_id")
                    bad += 1
                elif not (source := source_key(fields[src_col])):
                    complain(path, line, "empty source")
                    bad += 1
                else:
                    part = parts[_partition_of(source, fields[id_col], partitions)]
                    part["pending"] += fields
                    part["lengths"].extend(map(len, fields))
                    if len(part["pending"]) > 65536:
                        _flush(part)
                    part["row_no"].append(row_no)
                    part["file_no"].append(file_no)
                    part["line"].append(line)
                    row_no += 1
                line = reader.line_num + 1
            files_read += 1
    for part in parts:
        _flush(part, final=True)
    if messages > MAX_MESSAGES:
        say("resolve_dask: %d more messages not shown" % (messages - MAX_MESSAGES))
    return parts, files_read, row_no, bad


def open_client(scheduler, workers):
    from dask.distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler), None
    # No dashboard (it needs bokeh, and port 8787 may be taken); the workers' scratch space
    # goes to the temporary directory, not into the current one.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, local_directory=tempfile.gettempdir())
    return Client(cluster), cluster


def resolve(paths, out, scheduler=None, workers=2, partitions=None, region=None,
            hash_key=None, quiet=False):
    """The whole pipeline. partitions defaults to the number of workers. Returns a summary
    dict (counts and phase timings)."""
    import scv
    from dask.distributed import wait

    say = (lambda text: None) if quiet else (lambda text: print(text, file=sys.stderr))
    timer = Timer(quiet)
    client, cluster = open_client(scheduler, workers)
    try:
        nworkers = len(client.scheduler_info()["workers"])
        timer.done("cluster", "%d workers (%s)" % (nworkers, scheduler or "LocalCluster"))
        partitions = partitions or max(nworkers, 1)

        parts, files_read, rows, bad = read_partitions(paths, partitions, say)
        if files_read == 0:
            raise SystemExit("resolve_dask: nothing could be read")
        timer.done("partition", "%d rows into %d partitions (%s)"
                   % (rows, partitions, ", ".join(str(len(p["row_no"])) for p in parts)))

        # hash=False: no tokenising of the rows; each partition becomes one piece of data.
        data = client.scatter(parts, hash=False)
        del parts
        timer.done("scatter")

        futures = [client.submit(resolve_partition, d, region, hash_key, pure=False)
                   for d in data]
        wait(futures)
        timer.done("resolve", "tasks finished on the workers")

        results = sorted(client.gather(futures), key=lambda r: r["index"])
        del futures, data
        total_bytes = sum(len(r["snapshot"]) for r in results)
        rejected = upserts = 0
        timer.done("gather", "%d snapshots, %.1f MB" % (len(results), total_bytes / 1e6))
        for r in results:
            bad += r["bad"]
            for m in r["messages"]:
                say(m)
            if r["unshown"]:
                say("partition %d: %d more messages not shown" % (r["index"], r["unshown"]))
            rejected += r["rejected"]
            upserts += r["rows"] - r["bad"]
            say("  partition %d (pid %d): %d rows -> %d records, %d profiles; "
                "resolve %.3f s, snapshot %.3f s; worker peak RSS %.0f MB"
                % (r["index"], r["pid"], r["rows"], r["records"], r["profiles"],
                   r["resolve_seconds"], r["snapshot_seconds"], r["peak_rss_mb"]))

        # Load the first snapshot (it brings the configuration), absorb the others. absorb
        # appends each source engine's records in its record order, so the final record order
        # is partition 0's, then partition 1's, ...
        loading = time.perf_counter()
        final = scv.Engine.load(results[0]["snapshot"], hash_key=hash_key)
        order = array.array("q", results[0]["order"])
        results[0]["snapshot"] = None
        absorbing = 0.0
        for r in results[1:]:
            part = scv.Engine.load(r["snapshot"], hash_key=hash_key)
            r["snapshot"] = None
            started = time.perf_counter()
            final.absorb(part)
            absorbing += time.perf_counter() - started
            part.close()
            order.frombytes(r["order"])
        records, profiles = len(final), final.profile_count
        if records != len(order):
            raise RuntimeError("absorbed %d records, expected %d" % (records, len(order)))
        timer.done("absorb", "%d records, %d profiles (load %.3f s, absorb %.3f s)"
                   % (records, profiles, time.perf_counter() - loading - absorbing, absorbing))

        write_assignment(final, order, out)
        final.close()
        timer.done("write")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    total = timer.total()
    say("resolve_dask: %d records (%d distinct), %d profiles, %d partitions, %.3f s, "
        "%.0f records/s, %d bad rows, %d rejected values"
        % (upserts, records, profiles, partitions, total, upserts / total if total else 0,
           bad, rejected))
    return {"records": records, "profiles": profiles, "bad": bad, "rejected": rejected,
            "seconds": total, "phases": dict(timer.phases)}


def write_assignment(engine, order, out):
    """source,record_id,profile_id for every record, in input (first-seen) order. order[i]
    is the input row number of the engine's i-th record."""
    assignment = [(row, source, record_id, engine.profile_of(source, record_id))
                  for row, (source, record_id) in zip(order, engine.record_keys())]
    assignment.sort()  # P ascending runs: a merge
    handle = sys.stdout if out in (None, "-") else open(
        out, "w", newline="", encoding="utf-8", errors="surrogateescape")
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("source", "record_id", "profile_id"))
        writer.writerows(a[1:] for a in assignment)
    finally:
        if handle is not sys.stdout:
            handle.close()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Resolve CSV record files into profiles on Dask workers (one scv engine "
                    "per partition, combined with snapshot + absorb).")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--workers", type=int, default=2, metavar="N",
                       help="workers of the LocalCluster started otherwise (default 2)")
    ap.add_argument("--partitions", type=int, default=None, metavar="P",
                    help="partitions (default: the number of workers)")
    ap.add_argument("--region", metavar="CC", help="default phone region (ISO 3166 alpha-2)")
    ap.add_argument("--hash-key", metavar="KEY",
                    help="secret identifiers are hashed under (default $SCV_HASH_KEY, else "
                         "the public default key)")
    ap.add_argument("--out", metavar="FILE", help="output file (default stdout)")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    if args.partitions is not None and args.partitions < 1:
        ap.error("--partitions must be at least 1")
    hash_key = args.hash_key if args.hash_key is not None else os.environ.get("SCV_HASH_KEY")
    resolve(args.files, args.out, scheduler=args.scheduler, workers=args.workers,
            partitions=args.partitions, region=args.region,
            hash_key=hash_key.encode("utf-8") if hash_key else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
