/* engine.h — the engine and record-builder structures shared by the modules that implement
 * the public API (engine.c, record.c, resolve.c, lookup.c). Internal. */
#ifndef SCV_ENGINE_H
#define SCV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"
#include "graph.h"
#include "hash.h"
#include "idtable.h"
#include "names.h"
#include "normalize.h"
#include "profiles.h"
#include "feed.h"
#include "util/utf8.h"
#include "records.h"
#include "rules.h"
#include "util/mem.h"

struct scv_options {
    scv__mem mem;
    scv_progress_fn progress;
    void *progress_ctx;
    size_t change_capacity;
    unsigned char *key;
    size_t key_len;
    const scv__region *region;
    scv_retain retain;
    int email_rules;
};

struct scv_engine {
    scv__mem mem;
    scv__hasher hasher;
    const scv__region *region;
    scv_retain retain;
    unsigned email_flags;
    int write_hint; /* the CPU has PREFETCHW (scv_record_prefetch) */

    scv__names kinds;
    uint8_t kind_norm[SCV_MAX_KINDS];
    scv__names sources;

    /* The members above are what filling a record builder reads (scv_record_*), which the
     * threading rules of scv.h allow on another thread while this engine upserts; the members
     * below are what upserts write. A cache line holding both would go from one thread's core
     * to the other's and back on every record: the builder once read ids.retain, next to
     * ids.live, and the scv program's worker took a quarter longer on two cores than with both
     * threads on one (1M rows: 0.34 s against 0.27). 64 bytes apart, no line holds both,
     * wherever the engine starts. */
    char builder_fence[64];

    scv__names trait_names;
    scv__names measure_names;
    scv__names channel_names; /* consent channels */

    scv__idtable ids;
    scv__records recs;
    scv__graph graph;
    scv__profiles prof;

    scv__rules rules;
    SCV__VEC(uint32_t) kcount; /* by root record x limited kind: linking values of the kind */
    uint32_t epoch;            /* stamp for the identifier rows' mark */

    SCV__VEC(uint32_t) scratch;  /* component members during re-resolution */
    SCV__VEC(uint32_t) scratch2; /* (profile id, oldest record) pairs during re-resolution */

    uint64_t merges, splits, generic_decisions;
    int content_reserved; /* inside scv_engine_upsert_batch(): room for its records' content is
                           * checked already (scv__room_for_upserts) */

    scv__feed feed;
    scv_progress_fn progress; /* for long operations; NULL = none */
    void *progress_ctx;
    uint32_t trigger;     /* record causing the changes being made, or SCV__NONE */
    size_t live_records;  /* records not deleted */

    /* Single customer views: derived, rebuilt lazily when `generation` moved on. */
    uint64_t generation; /* advances with every change a view could see */
    SCV__VEC(uint8_t) trait_rule;       /* by trait name id; default_trait_rule beyond */
    uint8_t default_trait_rule;
    SCV__VEC(uint32_t) source_rank;     /* by source: priority rank for survivorship */
    char rfm_measure[SCV_MAX_NAME_LEN];
    size_t rfm_measure_len;
    struct scv__views *views; /* NULL until first needed */

    const char *errmsg;
    int64_t erroff;
};

/* Set or clear the engine's error detail; returns st for `return fail(...)` chains. */
static inline scv_status scv__engine_error(scv_engine *e, scv_status st, const char *msg, int64_t off)
{
    e->errmsg = msg;
    e->erroff = off;
    return st;
}

/* One identifier on a builder. */
typedef struct scv__rec_ident {
    scv__h128 hash;
    uint32_t kind;
    uint32_t placeholder; /* matches the built-in placeholder list */
    uint32_t norm_off, norm_len; /* normalized value in buf */
    uint32_t raw_off, raw_len;   /* raw value in buf */
} scv__rec_ident;

/* What a builder field is. */
enum { SCV__FIELD_TRAIT, SCV__FIELD_MEASURE, SCV__FIELD_CONSENT };

/* One trait, measure or consent decision on a builder. */
typedef struct scv__rec_field {
    uint32_t name_off, name_len; /* in buf */
    uint32_t val_off, val_len;   /* trait value in buf */
    double num;                  /* measure */
    int64_t ts;                  /* consent: when decided (SCV_NO_TIMESTAMP: the record's) */
    int kind;                    /* SCV__FIELD_* */
    int granted;                 /* consent */
} scv__rec_field;

/* Identifiers and id bytes a builder holds in itself; more go to blocks of SCV_MAX_IDENTIFIERS
 * and SCV_MAX_RECORD_ID_LEN allocated once, when a record first needs them, and kept. */
#define SCV__BUILDER_IDENTS 4
#define SCV__BUILDER_ID 64

/* The members an upsert reads come first and together: a host may fill builders on one
 * thread and upsert them on another (the scv program does), and then each cache line of the
 * builder that the upsert reads has to come over from the other core. A record with up to
 * four identifiers and an id of up to 64 bytes is read from the builder's six lines, and
 * nothing else. The builder is small (360 bytes) because hosts keep many: the scv program
 * fills 2,048 at a time. With room for the most a record may hold (2.9 KiB a builder) they
 * took 1,500 page faults and the worker read each id 2.6 KiB from its counts; this layout
 * took the program's input phase on 1M rows from 0.436 to 0.416 s (median of 9, in turn). */
struct scv_record {
    scv__h128 key;
    int64_t ts;
    scv_engine *engine;
    size_t id_len;
    size_t n_idents;
    scv_source source;
    int has_key;
    SCV__VEC(scv__rec_field) fields;
    SCV__VEC(char) buf;
    scv__rec_ident *idents; /* few, or a block of SCV_MAX_IDENTIFIERS */
    char *id;               /* short_id, or a block of SCV_MAX_RECORD_ID_LEN bytes */
    scv__rec_ident few[SCV__BUILDER_IDENTS];
    char short_id[SCV__BUILDER_ID];
    const char *errmsg;
    int64_t erroff;
};

/* How the identifier in record slot `slot` takes part in linking (scv_link): the value's own
 * state when it does not link, else the slot's set-aside mark. */
static inline uint8_t scv__slot_state(const scv_engine *e, uint32_t slot)
{
    uint8_t value_state = e->ids.row.data[SCV__SLOT_ID(slot)].state;
    return value_state != SCV_LINK ? value_state : (uint8_t)SCV__SLOT_ASIDE(slot);
}

/* Report progress; returns non-zero when the host asked to stop. */
static inline int scv__progress(const scv_engine *e, uint64_t done, uint64_t total)
{
    return e->progress != NULL && e->progress(e->progress_ctx, done, total) != 0;
}

/* A kind or source name: 1..SCV_MAX_NAME_LEN bytes of [a-z0-9_], starting with a letter. */
int scv__valid_name(const char *s, size_t len);

/* Check a (pointer, length) string: SCV_EINVAL for NULL with len > 0, SCV_ETOOLONG over max,
 * SCV_EUTF8 for bad UTF-8 or NUL (offset in *bad). Inline: every builder call checks one or
 * two strings, nearly all short ASCII, which scv__utf8_check_fast() settles without a call. */
static inline scv_status scv__check_text(const char *s, size_t len, size_t max, int64_t *bad)
{
    size_t at;
    *bad = -1;
    if (s == NULL && len > 0) return SCV_EINVAL;
    if (len > max) {
        *bad = (int64_t)max;
        return SCV_ETOOLONG;
    }
    at = scv__utf8_check_fast(s, len);
    if (at != len) {
        *bad = (int64_t)at;
        return SCV_EUTF8;
    }
    return SCV_OK;
}

/* Normalize `value` for `kind` into out (SCV_MAX_NORMALIZED_LEN bytes). On SCV_EREJECTED,
 * *reason and *off say why. */
scv_status scv__engine_normalize(const scv_engine *e, scv_kind kind, const char *value,
                                 size_t len, char *out, size_t *out_len, const char **reason,
                                 int64_t *off);

/* Write what an identifier hash starts with — the kind's name and a 0x00 byte — to tmp and
 * return its length; the normalized value follows it in the hashed bytes. */
size_t scv__engine_ident_prefix(const scv_engine *e, scv_kind kind, char *tmp);

/* Hash of a normalized value of `kind`: XXH3-128(kind name, 0x00, value). `tmp` has room
 * for SCV_MAX_NAME_LEN + 1 + len bytes. */
scv__h128 scv__engine_ident_hash(const scv_engine *e, scv_kind kind, const char *norm, size_t len,
                                 char *tmp);

/* Key of a record: XXH3-128(source name, 0x00, record id) — by name, so that engines that
 * registered sources in another order still agree on keys. */
scv__h128 scv__engine_record_key(const scv_engine *e, scv_source source, const char *id, size_t len);

/* Bytes of memory the engine holds (by the sizes it asked its allocator for). */
size_t scv__engine_bytes(const scv_engine *e);

/* Validate, normalize and hash a raw value as ingest would; failures set the engine's error
 * detail. Used by lookups and scv_engine_hash(). */
scv_status scv__engine_lookup_hash(scv_engine *e, scv_kind kind, const char *value, size_t len,
                                   scv__h128 *out);

/* Block the identifier of `kind` with hash h, as scv_engine_block() does once it has
 * normalized and hashed the value. norm[0..n) is the normalized value when known (kept when
 * values are retained); n may be 0. Used by absorb, which has hashes, not raw values. */
scv_status scv__engine_block_hash(scv_engine *e, scv_kind kind, scv__h128 h, const char *norm,
                                  size_t n);

/* Add an identifier whose hash is already known (absorbing another engine's records): as
 * scv_record_add_identifier() without normalizing or hashing. A hash already on the builder
 * is accepted and ignored; SCV_MAX_IDENTIFIERS holds; the buffer is reserved before anything
 * changes. norm/raw (either may be empty) are kept as the builder keeps them; `placeholder`
 * marks a value the default blocklist blocks. */
scv_status scv__record_add_hashed(scv_record *rec, scv_kind kind, scv__h128 hash, const char *norm,
                                  size_t norm_len, const char *raw, size_t raw_len, int placeholder);

#endif
