/* fuzz_batch.c — libFuzzer target, differential: the same records go into one engine by
 * scv_engine_upsert(), one at a time, and into another by scv_engine_upsert_batch(), in
 * batches the input cuts; both must report the same status and profile for every record and
 * end as the same engine (byte-identical snapshots).
 *
 * The engines are made with rules that rebuild often (at most one customer_id per profile,
 * generic threshold 2 for every kind, at most 6 records per profile), so that batches go
 * through limits, generic values and rebuilds, with the look-ahead's guesses going stale.
 * Bytecode (a missing byte reads as 0):
 *   op % 8 == 0       end the batch being collected: upsert it into the batched engine.
 *   op % 8 == 1       BLOCK: kind byte, value (as below), into both engines (after the batch).
 *   else              a record: b: source = b & 3, record id "r" + (b >> 2 & 15) (ids repeat:
 *                     replacements, sometimes within one batch); n = (next & 7) + 1
 *                     identifiers of (kind byte % 6, value); a flags byte: bit 0 a trait,
 *                     bit 1 a measure, bits 4-7 the timestamp day. A batch ends by itself
 *                     at 64 records.
 * A value is a length byte L: with bit 7 set, table[L & 15]; otherwise the next L & 15 input
 * bytes as they are. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scv.h"
#include "bytecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok) abort();
}

#define BATCH 64
#define NOW INT64_C(1700000000)

static const char *const table[16] = {
    "a@shop.de", "A@Shop.DE ", "b@shop.de", "+49 151 12345678", "0151 12345678", "030 1234567",
    "C-1", "C-2", " C-1", "dev-1", "DEV-1", "test@test.com", "null", "c@shop.de", "L-7", "x"};

static const char *value(reader *r, size_t *len)
{
    return read_value(r, table, 15, len);
}

/* One record as read from the input, to be put in both engines' builders. */
typedef struct {
    scv_source source;
    char id[3];
    unsigned n;
    scv_kind kind[8];
    const char *v[8];
    size_t len[8];
    uint8_t flags, measure;
    const char *trait;
    size_t trait_len;
} record;

static void read_record(reader *r, record *out)
{
    uint8_t b = next(r);
    out->source = b & 3u;
    out->id[0] = 'r';
    out->id[1] = (char)('a' + (b >> 2 & 15));
    out->id[2] = '\0';
    out->n = (next(r) & 7u) + 1;
    for (unsigned i = 0; i < out->n; i++) {
        out->kind[i] = next(r) % 6u;
        out->v[i] = value(r, &out->len[i]);
    }
    out->flags = next(r);
    out->trait = NULL;
    if (out->flags & 1) out->trait = value(r, &out->trait_len);
    out->measure = out->flags & 2 ? next(r) : 0;
}

static void fill(scv_record *rec, const record *w)
{
    check(scv_record_reset(rec, w->source, w->id, 2) == SCV_OK);
    for (unsigned i = 0; i < w->n; i++) {
        scv_status st = scv_record_add_identifier(rec, w->kind[i], w->v[i], w->len[i]);
        check(st == SCV_OK || st == SCV_EUTF8 || st == SCV_ETOOLONG || st == SCV_EREJECTED);
    }
    if (w->trait != NULL) {
        scv_status st = scv_record_add_trait(rec, "city", 4, w->trait, w->trait_len);
        check(st == SCV_OK || st == SCV_EUTF8 || st == SCV_ETOOLONG);
    }
    if (w->flags & 2) check(scv_record_add_measure(rec, "order_total", 11, w->measure) == SCV_OK);
    if (w->flags >> 4) check(scv_record_set_timestamp(rec, NOW - (int64_t)(w->flags >> 4) * 86400) == SCV_OK);
}

static scv_engine *new_engine(void)
{
    scv_options *o = NULL;
    scv_engine *e = NULL;
    check(scv_options_new(NULL, &o) == SCV_OK);
    check(scv_options_set_region(o, "DE", 2) == SCV_OK);
    check(scv_options_set_retain(o, SCV_RETAIN_RAW) == SCV_OK);
    check(scv_engine_new(o, &e) == SCV_OK);
    scv_options_free(o);
    check(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1) == SCV_OK);
    for (scv_kind k = 0; k < 6; k++) check(scv_engine_set_generic_threshold(e, k, 2) == SCV_OK);
    check(scv_engine_set_profile_limits(e, 6, 20) == SCV_OK);
    return e;
}

/* The batch collected so far, with what single upserts gave for each of its records. */
typedef struct {
    scv_record *rec[BATCH];
    scv_status status[BATCH];
    scv_profile_id profile[BATCH];
    size_t n;
} batch;

/* Upsert the batch into e, going on after a failed record as a host would; each record must
 * get the status and profile single upserts gave it. */
static void flush(scv_engine *e, batch *b)
{
    scv_profile_id got[BATCH];
    size_t start = 0;
    while (start < b->n) {
        size_t done = 0;
        scv_status st = scv_engine_upsert_batch(e, (const scv_record *const *)b->rec + start, b->n - start,
                                                got + start, &done);
        check(start + done <= b->n);
        for (size_t i = start; i < start + done; i++) check(b->status[i] == SCV_OK && got[i] == b->profile[i]);
        if (st == SCV_OK) {
            check(start + done == b->n);
            break;
        }
        check(start + done < b->n && b->status[start + done] == st);
        start += done + 1;
    }
    b->n = 0;
}

static unsigned char *snapshot(const scv_engine *e, size_t *size)
{
    size_t written = 0;
    check(scv_engine_snapshot_size(e, size) == SCV_OK);
    unsigned char *buf = malloc(*size);
    check(buf != NULL);
    check(scv_engine_snapshot_write(e, buf, *size, &written) == SCV_OK && written == *size);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    scv_engine *single = new_engine(), *batched = new_engine();
    scv_record *one = NULL;
    batch b;
    unsigned steps = 0;
    check(scv_record_new(single, &one) == SCV_OK);
    for (size_t k = 0; k < BATCH; k++) check(scv_record_new(batched, &b.rec[k]) == SCV_OK);
    b.n = 0;

    while (r.n > 0 && steps++ < 512) {
        uint8_t op = next(&r) % 8;
        if (op == 0) {
            flush(batched, &b);
        } else if (op == 1) {
            size_t len;
            scv_kind kind = next(&r) % 6u;
            const char *v = value(&r, &len);
            flush(batched, &b);
            scv_status st = scv_engine_block(single, kind, v, len);
            check(scv_engine_block(batched, kind, v, len) == st);
        } else {
            record w;
            read_record(&r, &w);
            fill(one, &w);
            fill(b.rec[b.n], &w);
            b.profile[b.n] = 0;
            b.status[b.n] = scv_engine_upsert(single, one, &b.profile[b.n]);
            if (++b.n == BATCH) flush(batched, &b);
        }
    }
    flush(batched, &b);

    size_t ns, nb;
    unsigned char *ss = snapshot(single, &ns), *sb = snapshot(batched, &nb);
    check(ns == nb && memcmp(ss, sb, ns) == 0);
    free(ss);
    free(sb);
    scv_record_free(one);
    for (size_t k = 0; k < BATCH; k++) scv_record_free(b.rec[k]);
    scv_engine_free(single);
    scv_engine_free(batched);
    return 0;
}
