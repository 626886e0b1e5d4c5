/* fuzz_ingest.c — libFuzzer target: a small bytecode driving one engine through the public
 * API (upsert, replace, delete, erase, block, suppress), with an invariant check after every
 * step.
 *
 * The engine is made fresh per input with scv_engine_set_limit(customer_id, 1). Bytecode (a
 * missing byte reads as 0, so every input is a program):
 *   op % 7 == 0  UPSERT   b: source = b & 3, record id = "r" + (b >> 2 & 7); n = next & 3 + 1
 *                         identifiers of (kind byte % 6, value); then one flags byte: bit 0 a
 *                         trait "city" (value), bit 1 a measure "order_total" (next byte),
 *                         bit 2 a consent "email" (granted = bit 3), bits 4-7 the timestamp
 *                         day.
 *   op % 7 == 1  REPLACE  the (next % stored)-th stored record is upserted again with new
 *                         identifiers (as UPSERT, same source and id).
 *   op % 7 == 2  DELETE   b as in UPSERT: scv_engine_delete of that (source, id).
 *   op % 7 == 3  ERASE    the (next % live)-th live profile, or (when the byte's top bit is
 *                         set) the raw id next & 0x7f, which may be merged away or unknown.
 *   op % 7 == 4  BLOCK    kind byte, value: scv_engine_block.
 *   op % 7 == 5  SUPPRESS kind byte, value: scv_engine_suppress.
 *   op % 7 == 6  UPSERT with identifiers only from the value table (denser collisions).
 * A value is a length byte L: with bit 7 set, table[L & 15]; otherwise the next L & 31 input
 * bytes as they are (invalid UTF-8 and rejections are fine: the status is only checked to be
 * documented).
 *
 * Invariants (public API only; abort on violation): every stored record's profile is live and
 * its scv_profile_records contains the record; the records of the live profiles add up to
 * scv_engine_record_count and each live profile has at least one; the live profiles counted
 * agree with scv_engine_profile_count; no profile holds more than one distinct linking
 * customer_id. */
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

#define CUSTOMER_ID_LIMIT 1u
#define NOW INT64_C(1700000000)

static const char *const table[16] = {
    "a@shop.de", "A@Shop.DE ", "b@shop.de", "+49 151 12345678", "0151 12345678", "+1 212 555 0100",
    "C-1", "C-2", " C-1", "dev-1", "DEV-1", "test@test.com", "null", "0000", "L-7", "x"};

static const char *value(reader *r, size_t *len)
{
    return read_value(r, table, 31, len);
}

static int status_of_value(scv_status st)
{
    return st == SCV_OK || st == SCV_EUTF8 || st == SCV_ETOOLONG || st == SCV_EREJECTED;
}

static void record_id(uint8_t b, char id[3])
{
    id[0] = 'r';
    id[1] = (char)('0' + (b >> 2 & 7));
    id[2] = '\0';
}

/* Fill the builder (already reset) with identifiers, and maybe a trait, measure, consent. */
static void fill(scv_record *rec, reader *r, int table_only)
{
    unsigned n = (next(r) & 3u) + 1;
    size_t len;
    for (unsigned i = 0; i < n; i++) {
        scv_kind kind = next(r) % 6u;
        const char *v;
        if (table_only) {
            v = table[next(r) & 15];
            len = strlen(v);
        } else {
            v = value(r, &len);
        }
        scv_status st = scv_record_add_identifier(rec, kind, v, len);
        check(status_of_value(st));
    }
    if (table_only) return;
    uint8_t flags = next(r);
    if (flags & 1) {
        const char *v = value(r, &len);
        scv_status st = scv_record_add_trait(rec, "city", 4, v, len);
        check(st == SCV_OK || st == SCV_EUTF8 || st == SCV_ETOOLONG);
    }
    if (flags & 2) check(scv_record_add_measure(rec, "order_total", 11, next(r)) == SCV_OK);
    if (flags & 4)
        check(scv_record_add_consent(rec, "email", 5, flags >> 3 & 1, SCV_NO_TIMESTAMP) ==
              SCV_OK);
    if (flags >> 4) check(scv_record_set_timestamp(rec, NOW - (int64_t)(flags >> 4) * 86400) ==
                          SCV_OK);
}

static void upsert(scv_engine *e, scv_record *rec, scv_source source, const char *id, size_t len)
{
    scv_profile_id p = 0, q = 0;
    scv_record_ref ref = 0;
    check(scv_engine_upsert(e, rec, &p) == SCV_OK);
    /* The profile reported is the stored record's. */
    check(scv_engine_record_find(e, source, id, len, &ref) == SCV_OK);
    check(scv_engine_record_profile(e, ref, &q) == SCV_OK && p == q && p != 0);
}

/* The n-th (mod count) stored record, 0 if none. */
static scv_record_ref nth_record(const scv_engine *e, unsigned n)
{
    size_t count = scv_engine_record_count(e);
    scv_record_ref ref = 0;
    if (count == 0) return 0;
    n %= (unsigned)count;
    for (unsigned i = 0; i <= n; i++) check(scv_engine_record_next(e, ref, &ref) == SCV_OK);
    return ref;
}

static scv_profile_id nth_profile(const scv_engine *e, unsigned n)
{
    size_t count = scv_engine_profile_count(e);
    scv_profile_id p = 0;
    if (count == 0) return 0;
    n %= (unsigned)count;
    for (unsigned i = 0; i <= n; i++) check(scv_engine_profile_next(e, p, &p) == SCV_OK);
    return p;
}

static int contains(const scv_record_ref *refs, size_t n, scv_record_ref ref)
{
    for (size_t i = 0; i < n; i++)
        if (refs[i] == ref) return 1;
    return 0;
}

/* Growable scratch, kept across runs. */
static scv_record_ref *refs_buf;
static size_t refs_cap;
static scv_identifier_ref ids_buf[SCV_MAX_IDENTIFIERS], linking[64 * SCV_MAX_IDENTIFIERS];
static uint8_t states_buf[SCV_MAX_IDENTIFIERS];

static size_t profile_records(const scv_engine *e, scv_profile_id p)
{
    size_t count = 0;
    scv_status st = scv_profile_records(e, p, refs_buf, refs_cap, &count);
    if (st == SCV_EBUFFER) {
        refs_cap = count * 2;
        refs_buf = realloc(refs_buf, refs_cap * sizeof *refs_buf);
        check(refs_buf != NULL);
        st = scv_profile_records(e, p, refs_buf, refs_cap, &count);
    }
    check(st == SCV_OK);
    return count;
}

static void invariants(const scv_engine *e)
{
    scv_record_ref ref = 0;
    scv_profile_id p = 0;
    size_t records = 0, profiles = 0, sum = 0;
    scv_status st;

    /* Every stored record sits in a live profile that lists it. */
    while ((st = scv_engine_record_next(e, ref, &ref)) == SCV_OK) {
        check(scv_engine_record_profile(e, ref, &p) == SCV_OK);
        size_t n = profile_records(e, p);
        check(contains(refs_buf, n, ref));
        records++;
    }
    check(st == SCV_ENOTFOUND);
    check(records == scv_engine_record_count(e));

    p = 0;
    while ((st = scv_engine_profile_next(e, p, &p)) == SCV_OK) {
        size_t n = profile_records(e, p), nlinking = 0;
        check(n > 0);
        sum += n;
        profiles++;
        /* Distinct linking customer_id values over the profile's records. */
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            scv_profile_id owner;
            check(scv_engine_record_profile(e, refs_buf[i], &owner) == SCV_OK && owner == p);
            check(scv_record_identifiers(e, refs_buf[i], ids_buf, states_buf, SCV_MAX_IDENTIFIERS,
                                         &k) == SCV_OK);
            for (size_t j = 0; j < k; j++) {
                scv_kind kind;
                uint8_t hash[SCV_HASH_SIZE];
                if (states_buf[j] != SCV_LINK) continue;
                check(scv_engine_identifier_info(e, ids_buf[j], &kind, hash, NULL, NULL) ==
                      SCV_OK);
                if (kind != SCV_KIND_CUSTOMER_ID) continue;
                int dup = 0;
                for (size_t m = 0; m < nlinking; m++) dup |= linking[m] == ids_buf[j];
                if (!dup) {
                    check(nlinking < sizeof linking / sizeof linking[0]);
                    linking[nlinking++] = ids_buf[j];
                }
            }
        }
        check(nlinking <= CUSTOMER_ID_LIMIT);
    }
    check(st == SCV_ENOTFOUND);
    check(profiles == scv_engine_profile_count(e));
    check(sum == scv_engine_record_count(e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scv_options *o = NULL;
    scv_engine *e = NULL;
    scv_record *rec = NULL;
    reader r = {data, size};
    char id[3];
    size_t len;
    unsigned steps = 0;

    check(scv_options_new(NULL, &o) == SCV_OK);
    check(scv_options_set_change_capacity(o, 16) == SCV_OK);
    check(scv_options_set_region(o, "DE", 2) == SCV_OK);
    check(scv_engine_new(o, &e) == SCV_OK);
    scv_options_free(o);
    check(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, CUSTOMER_ID_LIMIT) == SCV_OK);
    check(scv_record_new(e, &rec) == SCV_OK);

    while (r.n > 0 && steps++ < 256) {
        uint8_t op = next(&r) % 7;
        switch (op) {
        case 0:
        case 6: {
            uint8_t b = next(&r);
            record_id(b, id);
            check(scv_record_reset(rec, b & 3u, id, 2) == SCV_OK);
            fill(rec, &r, op == 6);
            upsert(e, rec, b & 3u, id, 2);
            break;
        }
        case 1: {
            scv_record_ref ref = nth_record(e, next(&r));
            scv_source source;
            const char *rid;
            char copy[SCV_MAX_RECORD_ID_LEN];
            if (ref == 0) break;
            check(scv_engine_record_info(e, ref, &source, &rid, &len, NULL) == SCV_OK);
            check(len <= sizeof copy);
            memcpy(copy, rid, len);
            check(scv_record_reset(rec, source, copy, len) == SCV_OK);
            fill(rec, &r, 0);
            upsert(e, rec, source, copy, len);
            scv_record_ref again = 0;
            check(scv_engine_record_find(e, source, copy, len, &again) == SCV_OK && again == ref);
            break;
        }
        case 2: {
            uint8_t b = next(&r);
            scv_record_ref ref = 0;
            record_id(b, id);
            scv_status found = scv_engine_record_find(e, b & 3u, id, 2, &ref);
            scv_status st = scv_engine_delete(e, b & 3u, id, 2);
            check(found == SCV_OK ? st == SCV_OK : st == SCV_ENOTFOUND);
            check(scv_engine_record_find(e, b & 3u, id, 2, &ref) == SCV_ENOTFOUND);
            break;
        }
        case 3: {
            uint8_t b = next(&r);
            scv_profile_id p = (b & 0x80) ? (scv_profile_id)(b & 0x7f) : nth_profile(e, b);
            size_t before = scv_engine_record_count(e), nrec = 0, nid = 0;
            if (p == 0 && !(b & 0x80)) break;
            scv_status st = scv_engine_erase(e, p, &nrec, &nid);
            check(st == SCV_OK || st == SCV_ENOTFOUND || (p == 0 && st == SCV_EINVAL));
            if (st == SCV_OK) check(nrec > 0 && scv_engine_record_count(e) == before - nrec);
            else check(scv_engine_record_count(e) == before);
            break;
        }
        case 4:
        case 5: {
            scv_kind kind = next(&r) % 6u;
            const char *v = value(&r, &len);
            scv_status st = op == 4 ? scv_engine_block(e, kind, v, len)
                                    : scv_engine_suppress(e, kind, v, len);
            check(status_of_value(st));
            break;
        }
        default:
            break;
        }
        invariants(e);
    }
    scv_record_free(rec);
    scv_engine_free(e);
    return 0;
}
