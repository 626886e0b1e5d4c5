/* profile_json.c — scv_profile_json(): a live profile as one compact JSON object.
 *
 * Written against the public API only; the one internal thing it uses is the engine's
 * allocator (engine_mem.h), for the profile's record and identifier lists when they do not fit
 * in a small stack buffer. The object, keys in this order:
 *
 *   {"profile_id":N,"first_seen":T,"last_seen":T,"sources":[S,...],
 *    "records":[{"source":S,"record_id":R,"timestamp":T},...],
 *    "identifiers":[{"kind":K,"value":V,"state":STATE},...],
 *    "traits":{NAME:{"value":V,"source":S,"record_id":R},...},
 *    "measures":{NAME:{"count":X,"sum":X,"avg":X,"min":X,"max":X,"first":T,"last":T},...},
 *    "consent":{CHANNEL:{"granted":true|false,"timestamp":T},...}}
 *
 * T is unix seconds or null (SCV_NO_TIMESTAMP). Sources ascend by number, records and
 * identifiers by ref; traits, measures and channels follow the engine's first-seen name order
 * and are left out where the profile has no value (a measure with count 0). An identifier
 * shows "value" when the engine retains values, else "hash" (32 lower-case hex digits); STATE
 * is "linked", "set_aside_limit", "set_aside_size", "blocked" or "generic" (the unlinked ones
 * come from scv_profile_unlinked; a value that links on one record and not on another is
 * "linked"). A number prints as an integer when it is one and below 2^53 in magnitude, else
 * with the fewest significant digits (at most 17) that read back as the same double. Strings
 * are escaped as RFC 8259 asks ('"', '\', bytes below 0x20 as \u00XX); other UTF-8 passes
 * through.
 *
 * One pass both sizes and writes: the writer counts every byte and copies only while the
 * buffer has room, so it never writes past cap; on SCV_EBUFFER the buffer holds a prefix.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scv.h"
#include "engine_mem.h"
#include "util/mem.h"

/* ---------------------------------------------------------------------------------------- */
/* Writer                                                                                    */
/* ---------------------------------------------------------------------------------------- */

typedef struct jw {
    char *buf;
    size_t cap;
    size_t len; /* bytes produced so far; may exceed cap (saturates at SIZE_MAX) */
} jw;

static void jw_put(jw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len = n > SIZE_MAX - w->len ? SIZE_MAX : w->len + n;
}

/* A C string literal or constant. */
static void jw_lit(jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

/* s[0..len) as a JSON string. */
static void jw_str(jw *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* first byte not written yet */
    size_t i;
    jw_put(w, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        jw_put(w, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jw_put(w, esc, sizeof esc);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            jw_put(w, esc, sizeof esc);
        }
    }
    jw_put(w, s + run, len - run);
    jw_put(w, "\"", 1);
}

/* An object key: "name": */
static void jw_key(jw *w, const char *s, size_t len)
{
    jw_str(w, s, len);
    jw_put(w, ":", 1);
}

static void jw_i64(jw *w, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    if (v < 0) *--p = '-';
    jw_put(w, p, (size_t)(tmp + sizeof tmp - p));
}

/* A timestamp, or null for SCV_NO_TIMESTAMP. */
static void jw_time(jw *w, int64_t t)
{
    if (t == SCV_NO_TIMESTAMP) {
        jw_lit(w, "null");
    } else {
        jw_i64(w, t);
    }
}

/* A finite double: integral values below 2^53 as integers, others with the fewest significant
 * digits (15, 16 or 17) that read back as the same double, so 208.9 rather than
 * 208.90000000000001. snprintf and strtod agree on the locale's decimal point; what snprintf
 * wrote that is not a digit, sign or exponent then becomes '.'. */
static void jw_num(jw *w, double x)
{
    char tmp[40];
    char out[40];
    size_t n = 0;
    int k;
    int got = 0;
    int prec;
    if (x != x || x > DBL_MAX || x < -DBL_MAX) {
        jw_lit(w, "null"); /* not finite: cannot come from the engine, never invalid JSON */
        return;
    }
    if (x > -9007199254740992.0 && x < 9007199254740992.0 && (double)(int64_t)x == x) {
        jw_i64(w, (int64_t)x);
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        got = snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (got > 0 && (size_t)got < sizeof tmp && strtod(tmp, NULL) == x) break;
    }
    if (got < 0) got = 0;
    if ((size_t)got >= sizeof tmp) got = (int)sizeof tmp - 1;
    for (k = 0; k < got; k++) {
        char c = tmp[k];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
            out[n++] = c;
        } else if (n == 0 || out[n - 1] != '.') {
            out[n++] = '.';
        }
    }
    jw_put(w, out, n);
}

/* ---------------------------------------------------------------------------------------- */
/* The profile's lists                                                                       */
/* ---------------------------------------------------------------------------------------- */

/* 32-bit words on the stack; larger lists go to the engine's allocator. */
#define LOCAL_WORDS 256

typedef struct lists {
    const scv__mem *mem;
    uint32_t *heap;
    size_t heap_bytes;
    scv_record_ref *recs;
    size_t n_recs;
    scv_identifier_ref *ids; /* linking identifiers */
    size_t n_ids;
    scv_identifier_ref *unl; /* identifiers that do not link, with their states */
    uint8_t *states;
    size_t n_unl;
    uint32_t *sources; /* bit set over source numbers */
    size_t n_sources;
    uint32_t local[LOCAL_WORDS];
} lists;

/* Words for n bytes. */
static size_t words_for(size_t bytes)
{
    return bytes / 4 + (bytes % 4 != 0);
}

/* The list sizes (a size query each). */
static scv_status lists_count(scv_engine *e, scv_profile_id p, lists *l)
{
    scv_status st = scv_profile_records(e, p, NULL, 0, &l->n_recs);
    if (st != SCV_EBUFFER && st != SCV_OK) return st;
    st = scv_profile_identifiers(e, p, NULL, 0, &l->n_ids);
    if (st != SCV_EBUFFER && st != SCV_OK) return st;
    st = scv_profile_unlinked(e, p, NULL, NULL, 0, &l->n_unl);
    if (st != SCV_EBUFFER && st != SCV_OK) return st;
    l->n_sources = scv_engine_source_count(e);
    return SCV_OK;
}

/* Room for the lists: the stack buffer or one block from the engine's allocator. */
static scv_status lists_place(lists *l)
{
    size_t words = l->n_recs;
    uint32_t *at;
    if (!scv__add_ok(words, l->n_ids, &words) || !scv__add_ok(words, l->n_unl, &words) ||
        !scv__add_ok(words, words_for(l->n_unl), &words) ||
        !scv__add_ok(words, l->n_sources / 32 + 1, &words)) {
        return SCV_ENOMEM;
    }
    at = l->local;
    if (words > LOCAL_WORDS) {
        if (!scv__mul_ok(words, sizeof *at, &l->heap_bytes)) return SCV_ENOMEM;
        l->heap = scv__alloc(l->mem, l->heap_bytes);
        if (l->heap == NULL) return SCV_ENOMEM;
        at = l->heap;
    }
    l->recs = at;
    l->ids = l->recs + l->n_recs;
    l->unl = l->ids + l->n_ids;
    l->sources = l->unl + l->n_unl;
    l->states = (uint8_t *)(l->sources + l->n_sources / 32 + 1);
    memset(l->sources, 0, (l->n_sources / 32 + 1) * sizeof *l->sources);
    return SCV_OK;
}

/* Fill the lists and the source set. */
static scv_status lists_fill(scv_engine *e, scv_profile_id p, lists *l)
{
    size_t n = 0;
    size_t i;
    scv_status st = scv_profile_records(e, p, l->recs, l->n_recs, &n);
    if (st != SCV_OK) return st;
    st = scv_profile_identifiers(e, p, l->ids, l->n_ids, &n);
    if (st != SCV_OK) return st;
    st = scv_profile_unlinked(e, p, l->unl, l->states, l->n_unl, &n);
    if (st != SCV_OK) return st;
    for (i = 0; i < l->n_recs; i++) {
        scv_source s = 0;
        st = scv_engine_record_info(e, l->recs[i], &s, NULL, NULL, NULL);
        if (st != SCV_OK) return st;
        if (s < l->n_sources) l->sources[s / 32] |= (uint32_t)1 << (s % 32);
    }
    return SCV_OK;
}

static void lists_free(lists *l)
{
    if (l->heap != NULL) scv__free(l->mem, l->heap, l->heap_bytes);
    l->heap = NULL;
}

static scv_status lists_load(scv_engine *e, scv_profile_id p, lists *l)
{
    scv_status st;
    l->mem = scv__engine_mem(e);
    l->heap = NULL;
    l->heap_bytes = 0;
    st = lists_count(e, p, l);
    if (st == SCV_OK) st = lists_place(l);
    if (st == SCV_OK) st = lists_fill(e, p, l);
    if (st != SCV_OK) lists_free(l);
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Sections                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Write ',' before every item but the first. */
static void jw_sep(jw *w, int *first)
{
    if (!*first) jw_put(w, ",", 1);
    *first = 0;
}

static void write_source_name(jw *w, const scv_engine *e, scv_source s)
{
    size_t len = 0;
    const char *name = scv_engine_source_name(e, s, &len);
    jw_str(w, name, name != NULL ? len : 0);
}

static scv_status write_head(jw *w, scv_engine *e, scv_profile_id p, const lists *l)
{
    int64_t first = SCV_NO_TIMESTAMP;
    int64_t last = SCV_NO_TIMESTAMP;
    int sep = 1;
    scv_source s;
    scv_status st = scv_profile_seen(e, p, &first, &last);
    if (st != SCV_OK) return st;
    jw_lit(w, "{\"profile_id\":");
    jw_i64(w, p);
    jw_lit(w, ",\"first_seen\":");
    jw_time(w, first);
    jw_lit(w, ",\"last_seen\":");
    jw_time(w, last);
    jw_lit(w, ",\"sources\":[");
    for (s = 0; s < l->n_sources; s++) {
        if (l->sources[s / 32] == 0 && s % 32 == 0) {
            s += 31; /* an empty word of the set */
            continue;
        }
        if (!(l->sources[s / 32] & ((uint32_t)1 << (s % 32)))) continue;
        jw_sep(w, &sep);
        write_source_name(w, e, s);
    }
    jw_put(w, "]", 1);
    return SCV_OK;
}

static scv_status write_records(jw *w, const scv_engine *e, const lists *l)
{
    size_t i;
    jw_lit(w, ",\"records\":[");
    for (i = 0; i < l->n_recs; i++) {
        scv_source s = 0;
        const char *id = NULL;
        size_t id_len = 0;
        int64_t ts = SCV_NO_TIMESTAMP;
        scv_status st = scv_engine_record_info(e, l->recs[i], &s, &id, &id_len, &ts);
        if (st != SCV_OK) return st;
        jw_lit(w, i > 0 ? ",{\"source\":" : "{\"source\":");
        write_source_name(w, e, s);
        jw_lit(w, ",\"record_id\":");
        jw_str(w, id, id_len);
        jw_lit(w, ",\"timestamp\":");
        jw_time(w, ts);
        jw_put(w, "}", 1);
    }
    jw_put(w, "]", 1);
    return SCV_OK;
}

static const char *state_name(uint8_t state)
{
    switch (state) {
    case SCV_LINK: return "linked";
    case SCV_LINK_ASIDE_LIMIT: return "set_aside_limit";
    case SCV_LINK_ASIDE_SIZE: return "set_aside_size";
    case SCV_LINK_BLOCKED: return "blocked";
    case SCV_LINK_GENERIC: return "generic";
    default: return "unknown";
    }
}

static scv_status write_identifier(jw *w, const scv_engine *e, scv_identifier_ref ref,
                                   uint8_t state)
{
    static const char hex[] = "0123456789abcdef";
    scv_kind kind = 0;
    uint8_t hash[SCV_HASH_SIZE];
    const char *value = NULL;
    size_t value_len = 0;
    size_t kind_len = 0;
    const char *kind_name;
    scv_status st = scv_engine_identifier_info(e, ref, &kind, hash, &value, &value_len);
    if (st != SCV_OK) return st;
    kind_name = scv_engine_kind_name(e, kind, &kind_len);
    jw_lit(w, "{\"kind\":");
    jw_str(w, kind_name, kind_name != NULL ? kind_len : 0);
    if (value != NULL) {
        jw_lit(w, ",\"value\":");
        jw_str(w, value, value_len);
    } else {
        char text[2 * SCV_HASH_SIZE];
        size_t i;
        for (i = 0; i < SCV_HASH_SIZE; i++) {
            text[2 * i] = hex[hash[i] >> 4];
            text[2 * i + 1] = hex[hash[i] & 15];
        }
        jw_lit(w, ",\"hash\":");
        jw_str(w, text, sizeof text);
    }
    jw_lit(w, ",\"state\":\"");
    jw_lit(w, state_name(state));
    jw_lit(w, "\"}");
    return SCV_OK;
}

/* Linking and unlinked identifiers merged by ref; one that is in both is written once. */
static scv_status write_identifiers(jw *w, const scv_engine *e, const lists *l)
{
    size_t i = 0;
    size_t j = 0;
    int sep = 1;
    jw_lit(w, ",\"identifiers\":[");
    while (i < l->n_ids || j < l->n_unl) {
        scv_identifier_ref ref;
        uint8_t state;
        scv_status st;
        if (j >= l->n_unl || (i < l->n_ids && l->ids[i] <= l->unl[j])) {
            ref = l->ids[i++];
            state = SCV_LINK;
            if (j < l->n_unl && l->unl[j] == ref) j++;
        } else {
            ref = l->unl[j];
            state = l->states[j++];
        }
        jw_sep(w, &sep);
        st = write_identifier(w, e, ref, state);
        if (st != SCV_OK) return st;
    }
    jw_put(w, "]", 1);
    return SCV_OK;
}

/* A name the engine lists (trait, measure, channel), copied out: the views calls made with it
 * may bring derived state up to date, and the copy does not depend on what that touches. */
typedef struct name_copy {
    char text[SCV_MAX_NAME_LEN];
    size_t len;
} name_copy;

typedef scv_status (*name_lister)(const scv_engine *, size_t, const char **, size_t *);

/* Name `index` of a list; 0 past the end. */
static int next_name(const scv_engine *e, name_lister list, size_t index, name_copy *out)
{
    const char *name = NULL;
    size_t len = 0;
    if (list(e, index, &name, &len) != SCV_OK || len > sizeof out->text) return 0;
    if (len > 0) memcpy(out->text, name, len);
    out->len = len;
    return 1;
}

static scv_status write_trait(jw *w, scv_engine *e, scv_profile_id p, const name_copy *n,
                              int *sep)
{
    const char *value = NULL;
    size_t value_len = 0;
    scv_record_ref from = 0;
    scv_source s = 0;
    const char *id = NULL;
    size_t id_len = 0;
    scv_status st = scv_profile_trait(e, p, n->text, n->len, &value, &value_len, &from);
    if (st == SCV_ENOTFOUND) return SCV_OK;
    if (st != SCV_OK) return st;
    jw_sep(w, sep);
    jw_key(w, n->text, n->len);
    jw_lit(w, "{\"value\":");
    jw_str(w, value, value_len);
    st = scv_engine_record_info(e, from, &s, &id, &id_len, NULL);
    if (st != SCV_OK) return st;
    jw_lit(w, ",\"source\":");
    write_source_name(w, e, s);
    jw_lit(w, ",\"record_id\":");
    jw_str(w, id, id_len);
    jw_put(w, "}", 1);
    return SCV_OK;
}

static const struct {
    const char *key; /* with its separator */
    scv_agg agg;
} measure_aggs[] = {
    {",\"sum\":", SCV_AGG_SUM},         {",\"avg\":", SCV_AGG_AVG},
    {",\"min\":", SCV_AGG_MIN},         {",\"max\":", SCV_AGG_MAX},
    {",\"first\":", SCV_AGG_FIRST_TIME}, {",\"last\":", SCV_AGG_LAST_TIME},
};

static scv_status write_measure(jw *w, scv_engine *e, scv_profile_id p, const name_copy *n,
                                int *sep)
{
    double count = 0;
    size_t k;
    scv_status st = scv_profile_measure(e, p, n->text, n->len, SCV_AGG_COUNT, 0, 0, &count);
    if (st == SCV_ENOTFOUND || (st == SCV_OK && count == 0)) return SCV_OK;
    if (st != SCV_OK) return st;
    jw_sep(w, sep);
    jw_key(w, n->text, n->len);
    jw_lit(w, "{\"count\":");
    jw_num(w, count);
    for (k = 0; k < sizeof measure_aggs / sizeof measure_aggs[0]; k++) {
        double v = 0;
        st = scv_profile_measure(e, p, n->text, n->len, measure_aggs[k].agg, 0, 0, &v);
        if (st != SCV_OK && st != SCV_ENOTFOUND) return st;
        jw_lit(w, measure_aggs[k].key);
        if (st == SCV_OK) {
            jw_num(w, v);
        } else {
            jw_lit(w, "null");
        }
    }
    jw_put(w, "}", 1);
    return SCV_OK;
}

static scv_status write_consent(jw *w, scv_engine *e, scv_profile_id p, const name_copy *n, int *sep)
{
    int granted = 0;
    int64_t ts = SCV_NO_TIMESTAMP;
    scv_status st = scv_profile_consent(e, p, n->text, n->len, &granted, &ts);
    if (st == SCV_ENOTFOUND) return SCV_OK;
    if (st != SCV_OK) return st;
    jw_sep(w, sep);
    jw_key(w, n->text, n->len);
    jw_lit(w, granted ? "{\"granted\":true" : "{\"granted\":false");
    jw_lit(w, ",\"timestamp\":");
    jw_time(w, ts);
    jw_put(w, "}", 1);
    return SCV_OK;
}

typedef scv_status (*item_writer)(jw *w, scv_engine *e, scv_profile_id p, const name_copy *n, int *sep);

/* `"key":{...}` with one entry per name the engine lists (traits, measures, channels); each
 * writer skips the names this profile has no value for. */
static scv_status write_named(jw *w, scv_engine *e, scv_profile_id p, const char *key, name_lister list,
                              item_writer item)
{
    name_copy n;
    int sep = 1;
    jw_lit(w, key);
    for (size_t i = 0; next_name(e, list, i, &n); i++) {
        scv_status st = item(w, e, p, &n, &sep);
        if (st != SCV_OK) return st;
    }
    jw_put(w, "}", 1);
    return SCV_OK;
}

static scv_status write_profile(jw *w, scv_engine *e, scv_profile_id p, const lists *l)
{
    scv_status st = write_head(w, e, p, l);
    if (st == SCV_OK) st = write_records(w, e, l);
    if (st == SCV_OK) st = write_identifiers(w, e, l);
    if (st == SCV_OK) st = write_named(w, e, p, ",\"traits\":{", scv_engine_trait_name, write_trait);
    if (st == SCV_OK) st = write_named(w, e, p, ",\"measures\":{", scv_engine_measure_name, write_measure);
    if (st == SCV_OK) st = write_named(w, e, p, ",\"consent\":{", scv_engine_consent_channel, write_consent);
    if (st == SCV_OK) jw_put(w, "}", 1);
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Public                                                                                    */
/* ---------------------------------------------------------------------------------------- */

scv_status scv_profile_json(scv_engine *engine, scv_profile_id profile, char *buf, size_t cap,
                            size_t *len)
{
    lists l;
    jw w;
    scv_status st;
    if (engine == NULL || len == NULL || (buf == NULL && cap > 0)) return SCV_EINVAL;
    st = lists_load(engine, profile, &l);
    if (st != SCV_OK) return st;
    w.buf = buf;
    w.cap = cap;
    w.len = 0;
    st = write_profile(&w, engine, profile, &l);
    lists_free(&l);
    if (st != SCV_OK) return st;
    *len = w.len;
    return w.len > cap ? SCV_EBUFFER : SCV_OK;
}
