/* fuzz_snapshot_load.c — libFuzzer target: any bytes into scv_engine_load().
 *
 * Each input is loaded twice: as it is, and "resealed" — its total length, section checksums
 * and whole-file hash recomputed wherever its framing can be followed — so that mutations
 * reach the loader's validation instead of stopping at a checksum.
 *
 * Whatever the input, the load must return a status and leave nothing behind. When it loads,
 * the engine must pass its own consistency check, write a snapshot of exactly the size it
 * reports, load that again and write the very same bytes (the format has one encoding per
 * engine), and keep resolving: an upsert, a delete, the profile views. Any broken promise
 * aborts, which libFuzzer (and the corpus replay under ctest) reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scv.h"
#include "hash.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok) abort();
}

static scv_options *fuzz_options(void)
{
    scv_options *o = NULL;
    if (scv_options_new(NULL, &o) != SCV_OK) return NULL;
    check(scv_options_set_change_capacity(o, 16) == SCV_OK); /* keep each run's memory small */
    return o;
}

/* The engine's snapshot, written into a new buffer of the reported size. */
static uint8_t *snapshot_of(const scv_engine *e, size_t *len)
{
    size_t written = 0;
    check(scv_engine_snapshot_size(e, len) == SCV_OK);
    uint8_t *buf = malloc(*len);
    check(buf != NULL);
    check(scv_engine_snapshot_write(e, buf, *len, &written) == SCV_OK && written == *len);
    return buf;
}

/* A loaded engine keeps working: views of the first profile, an upsert, a delete. */
static void exercise(scv_engine *e)
{
    scv_profile_id p;
    scv_record_ref ref;
    scv_record *rec = NULL;
    char json[256];
    size_t len;
    if (scv_engine_profile_next(e, 0, &p) == SCV_OK) {
        scv_status st = scv_profile_json(e, p, json, sizeof json, &len);
        check(st == SCV_OK || st == SCV_EBUFFER);
    }
    check(scv_record_new(e, &rec) == SCV_OK);
    check(scv_record_reset(rec, SCV_SOURCE_CRM, "fuzz", 4) == SCV_OK);
    (void)scv_record_add_identifier(rec, SCV_KIND_EMAIL, "a@b.de", 6);
    (void)scv_record_add_identifier(rec, SCV_KIND_CUSTOMER_ID, "1", 1);
    scv_status st = scv_engine_upsert(e, rec, NULL);
    check(st == SCV_OK || st == SCV_ELIMIT);
    scv_record_free(rec);
    if (scv_engine_record_next(e, 0, &ref) == SCV_OK) {
        scv_source source;
        const char *id;
        char copy[SCV_MAX_RECORD_ID_LEN];
        check(scv_engine_record_info(e, ref, &source, &id, &len, NULL) == SCV_OK);
        memcpy(copy, id, len);
        check(scv_engine_delete(e, source, copy, len) == SCV_OK);
    }
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Fix the total length and every checksum the framing lets us find (format version 1). */
static void reseal(uint8_t *p, size_t len)
{
    size_t at = 24;
    if (len < at) return;
    wr64(p + 16, len);
    while (len - at >= 20) {
        uint64_t n = rd64(p + at + 4);
        if (n > len - at - 20) return;
        if (memcmp(p + at, "END", 4) == 0 && n == 8) wr64(p + at + 12, scv__hash64(p, at));
        wr64(p + at + 12 + n, scv__hash64(p + at + 12, (size_t)n));
        at += 20 + (size_t)n;
    }
}

static void load_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size > 0 ? size : 1);
    check(copy != NULL);
    if (size > 0) memcpy(copy, data, size);
    load_one(data, size);
    reseal(copy, size);
    load_one(copy, size);
    free(copy);
    return 0;
}

static void load_one(const uint8_t *data, size_t size)
{
    scv_options *o = fuzz_options();
    scv_engine *e = (scv_engine *)&o, *again = NULL;
    const char *why;
    if (o == NULL) return;
    scv_status st = scv_engine_load(o, data, size, &e);
    check(st == SCV_OK || st == SCV_ECORRUPT || st == SCV_EVERSION || st == SCV_EINVAL ||
          st == SCV_ENOMEM);
    check((st == SCV_OK) == (e != NULL));
    if (st == SCV_OK) {
        check(scv__engine_check(e, &why) == SCV_OK);
        size_t len, len2;
        uint8_t *buf = snapshot_of(e, &len);
        check(scv_engine_load(o, buf, len, &again) == SCV_OK);
        uint8_t *buf2 = snapshot_of(again, &len2);
        check(len2 == len && memcmp(buf, buf2, len) == 0);
        exercise(e);
        check(scv__engine_check(e, &why) == SCV_OK);
        free(buf);
        free(buf2);
        scv_engine_free(again);
        scv_engine_free(e);
    }
    scv_options_free(o);
}
