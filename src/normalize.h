/* normalize.h — identifier normalizers: e-mail, phone (E.164), exact, case-folded.
 * Internal. Callers have already checked the input is valid UTF-8 without NUL bytes and at
 * most SCV_MAX_VALUE_LEN bytes long. Every normalizer writes at most SCV_MAX_NORMALIZED_LEN
 * bytes into `out` (which must have that much room) and never reads past in[len). */
#ifndef SCV_NORMALIZE_H
#define SCV_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scv.h"
#include "util/mem.h"

/* Why a value was rejected: a static sentence and the byte offset in the input it refers to
 * (-1 when it is about the value as a whole). */
typedef struct scv__norm_err {
    const char *reason;
    int64_t offset;
} scv__norm_err;

/* Flags for scv__normalize_email. */
#define SCV__EMAIL_PROVIDER_RULES 1u /* gmail.com/googlemail.com: drop dots and +tag */

/* A phone region: ISO alpha-2 code, calling code, national trunk prefix and the length range
 * of national significant numbers. */
typedef struct scv__region {
    char iso[3];           /* "DE" */
    uint16_t calling_code; /* 49 */
    const char *trunk;     /* "0"; "" when the region has none */
    uint8_t min_len;       /* shortest national significant number, digits */
    uint8_t max_len;       /* longest */
} scv__region;

/* Region by ISO alpha-2 code (case-insensitive, exactly 2 bytes), or NULL. */
const scv__region *scv__region_by_iso(const char *code, size_t len);

/* Lengths for a calling code (the first region with that code), or NULL if unknown. */
const scv__region *scv__region_by_calling_code(uint16_t calling_code);

/* The first region with r's calling code, as scv__region_by_calling_code() finds it, without
 * a search. r must come from the table (scv__region_by_iso() or the lookup above). */
const scv__region *scv__region_main(const scv__region *r);

/* Each returns SCV_OK with *out_len set, or SCV_EREJECTED with *err set. */
scv_status scv__normalize_email(const char *in, size_t len, unsigned flags, char *out,
                                size_t *out_len, scv__norm_err *err);
/* The same, and *at is the offset of the '@' in the output (for scv__rules_placeholder_email(),
 * which then need not look for it). */
scv_status scv__normalize_email_at(const char *in, size_t len, unsigned flags, char *out,
                                   size_t *out_len, size_t *at, scv__norm_err *err);
/* `region` is the default region for numbers without a country code; NULL = none (such
 * numbers are then rejected). Output: '+' then digits, E.164 (at most 15 digits). */
scv_status scv__normalize_phone(const char *in, size_t len, const scv__region *region, char *out,
                                size_t *out_len, scv__norm_err *err);
scv_status scv__normalize_exact(const char *in, size_t len, char *out, size_t *out_len,
                                scv__norm_err *err);
scv_status scv__normalize_casefold(const char *in, size_t len, char *out, size_t *out_len,
                                   scv__norm_err *err);

/* scv__normalize_exact() with its common case inline: a value with printable ASCII at both
 * ends needs no trimming (see trim() in normalize.c) and is copied as it is. */
static inline scv_status scv__normalize_exact_fast(const char *in, size_t len, char *out,
                                                   size_t *out_len, scv__norm_err *err)
{
    if (len > 0 && len <= SCV_MAX_NORMALIZED_LEN && (unsigned char)(in[0] - 0x21) < 0x5E &&
        (unsigned char)(in[len - 1] - 0x21) < 0x5E) {
        scv__copy_short(out, in, len);
        *out_len = len;
        return SCV_OK;
    }
    return scv__normalize_exact(in, len, out, out_len, err);
}

#endif
