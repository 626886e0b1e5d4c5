/* fuzz_normalize.c — libFuzzer target: identifier values into scv_engine_normalize() and
 * scv_engine_hash().
 *
 * Input: byte 0 picks the kind (bits 0-1: email, phone, customer_id, device_id), the default
 * phone region (bits 2-4, modulo the list below; "none" first) and the e-mail provider rules
 * (bit 5); the rest is the value. One engine per (region, rules) is made once and kept.
 *
 * Promises checked (abort on a broken one):
 * - normalize returns a documented status; on success the output is at most
 *   SCV_MAX_NORMALIZED_LEN bytes and normalizing it again gives exactly the same bytes;
 * - a phone output is '+' and 8..15 ASCII digits;
 * - hash agrees with normalize: same status, and hash(value) == hash(normalized value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok) abort();
}

static const char *const regions[] = {NULL, "DE", "US", "GB", "FR", "IN"};
#define NREGIONS (sizeof regions / sizeof regions[0])
static const scv_kind kinds[4] = {SCV_KIND_EMAIL, SCV_KIND_PHONE, SCV_KIND_CUSTOMER_ID,
                                  SCV_KIND_DEVICE_ID};

static scv_engine *engines[NREGIONS][2];

static scv_engine *engine_for(size_t region, int rules)
{
    if (engines[region][rules] == NULL) {
        scv_options *o = NULL;
        check(scv_options_new(NULL, &o) == SCV_OK);
        check(scv_options_set_change_capacity(o, 0) == SCV_OK);
        if (regions[region] != NULL) check(scv_options_set_region(o, regions[region], 2) == SCV_OK);
        check(scv_options_set_email_provider_rules(o, rules) == SCV_OK);
        check(scv_engine_new(o, &engines[region][rules]) == SCV_OK);
        scv_options_free(o);
    }
    return engines[region][rules];
}

static int status_ok(scv_status st)
{
    return st == SCV_OK || st == SCV_EUTF8 || st == SCV_ETOOLONG || st == SCV_EREJECTED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[SCV_MAX_NORMALIZED_LEN], again[SCV_MAX_NORMALIZED_LEN];
    uint8_t h1[SCV_HASH_SIZE], h2[SCV_HASH_SIZE];
    size_t out_len = 0, again_len = 0;
    if (size == 0) return 0;
    scv_kind kind = kinds[data[0] & 3];
    scv_engine *e = engine_for((size_t)(data[0] >> 2 & 7) % NREGIONS, data[0] >> 5 & 1);
    const char *value = (const char *)data + 1;
    size_t len = size - 1;

    scv_status st = scv_engine_normalize(e, kind, value, len, out, sizeof out, &out_len);
    check(status_ok(st));
    scv_status hst = scv_engine_hash(e, kind, value, len, h1);
    check(hst == st);
    if (st != SCV_OK) return 0;

    check(out_len <= SCV_MAX_NORMALIZED_LEN);
    if (kind == SCV_KIND_PHONE) {
        check(out_len >= 9 && out_len <= 16 && out[0] == '+');
        for (size_t i = 1; i < out_len; i++) check(out[i] >= '0' && out[i] <= '9');
    }
    /* Idempotent: the normalized value is its own normal form. */
    st = scv_engine_normalize(e, kind, out, out_len, again, sizeof again, &again_len);
    check(st == SCV_OK);
    check(again_len == out_len && memcmp(again, out, out_len) == 0);
    /* The hash is taken over the normalized value. */
    check(scv_engine_hash(e, kind, out, out_len, h2) == SCV_OK);
    check(memcmp(h1, h2, sizeof h1) == 0);
    /* The reported length is exact: a buffer one byte short is SCV_EBUFFER. */
    if (out_len > 0) {
        size_t short_len = 0;
        check(scv_engine_normalize(e, kind, value, len, again, out_len - 1, &short_len) ==
              SCV_EBUFFER);
        check(short_len == out_len);
    }
    return 0;
}
