/*
 * scv.h — single customer view: customer identity resolution as an embeddable C99 library.
 *
 * This header is the manual. Everything a host may call is declared here; nothing else is
 * exported from the shared library.
 *
 * Conventions (they hold for every function unless its comment says otherwise)
 * ---------------------------------------------------------------------------
 * - Names: scv_<object>_<verb>; constants SCV_*.
 * - Strings are (pointer, length) pairs of UTF-8 bytes; they need not be NUL-terminated.
 *   A NULL pointer with length 0 is the empty string; a NULL pointer with a non-zero length is
 *   SCV_EINVAL. Identifier values, record ids, names and trait values must be valid UTF-8 and
 *   contain no NUL byte (SCV_EUTF8 otherwise).
 * - Errors are values. Every fallible call returns scv_status. Calls on an engine or a record
 *   builder that fail leave a reason (a static English sentence) and, where one exists, a byte
 *   offset into the offending input: scv_engine_errmsg()/scv_engine_erroffset(),
 *   scv_record_errmsg()/scv_record_erroffset(). There is no process-global error state.
 * - A failed call changes nothing: in particular, when the allocator fails (SCV_ENOMEM) the
 *   engine is exactly as it was before the call.
 * - Ownership: what the library allocates, only the library frees, through the matching
 *   scv_*_free(). Every scv_*_free(NULL) is a no-op. Pointers the library returns into its own
 *   memory (names, record ids, values) stay valid until the next call that mutates the engine
 *   (register, upsert) or until the engine is freed.
 * - Threads: the library has no global mutable state; separate engines may be used from separate
 *   threads freely. One engine is not internally locked: calls that take a `const scv_engine *`
 *   only read and may run concurrently with each other, but not with any call that takes a
 *   non-const `scv_engine *` (which the host must serialise). A record builder belongs to one
 *   thread at a time. Filling a builder (scv_record_reset(), the scv_record_add_ calls,
 *   scv_record_set_timestamp()) only reads its engine's kinds, sources, normalizers, key and
 *   retention (which raw values it keeps), which nothing but scv_engine_register_kind() and
 *   scv_engine_register_source() changes:
 *   so builders may be filled, and kinds and sources looked up (scv_engine_kind(),
 *   scv_engine_source() and their name lookups), on other threads while the engine upserts (a
 *   parse-and-build thread feeding an upsert thread), as long as no kind or source is
 *   registered meanwhile and the engine's allocator is thread-safe (the default, malloc, is).
 * - The library does no I/O, reads no clock and never ends the process.
 *
 * Stability: status numbers, built-in kind and source numbers, and enum values are pinned
 * forever; new ones are only ever added.
 */
#ifndef SCV_H
#define SCV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Export macro                                                                              */
/* ---------------------------------------------------------------------------------------- */

#if defined(SCV_STATIC)
#define SCV_API
#elif defined(_WIN32)
#if defined(SCV_BUILDING)
#define SCV_API __declspec(dllexport)
#else
#define SCV_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define SCV_API __attribute__((visibility("default")))
#else
#define SCV_API
#endif

/* ---------------------------------------------------------------------------------------- */
/* Version                                                                                   */
/* ---------------------------------------------------------------------------------------- */

#define SCV_VERSION_MAJOR 0
#define SCV_VERSION_MINOR 1
#define SCV_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100 for 0.1.0. */
#define SCV_VERSION_NUMBER (SCV_VERSION_MAJOR * 10000 + SCV_VERSION_MINOR * 100 + SCV_VERSION_PATCH)
#define SCV_VERSION_STRING "0.1.0"

/**
 * The version of the library actually linked, as SCV_VERSION_NUMBER computes it.
 * Compare with SCV_VERSION_NUMBER to detect a header/library mismatch. Thread-safe.
 */
SCV_API unsigned scv_version_number(void);

/** The version of the library actually linked, e.g. "0.1.0": a static string. Thread-safe. */
SCV_API const char *scv_version_string(void);

/* ---------------------------------------------------------------------------------------- */
/* Status                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Result of every fallible call. Numbers are pinned and never reused. */
typedef enum scv_status {
    SCV_OK = 0,        /**< success */
    SCV_EINVAL = 1,    /**< invalid argument: required pointer NULL, NULL with non-zero length,
                            value out of range, malformed name */
    SCV_ENOMEM = 2,    /**< the allocator failed; nothing was changed */
    SCV_EUTF8 = 3,     /**< input is not valid UTF-8 or contains a NUL byte */
    SCV_ETOOLONG = 4,  /**< input longer than the documented maximum (SCV_MAX_*) */
    SCV_EREJECTED = 5, /**< an identifier value was rejected by its normalizer (not an e-mail,
                            not a phone number, empty); the reason says why */
    SCV_ENOTFOUND = 6, /**< no such record, identifier, profile, kind or source; also the end of
                            an iteration */
    SCV_EEXISTS = 7,   /**< a kind or source with that name is already registered */
    SCV_ELIMIT = 8,    /**< a documented capacity was reached (identifiers per record, fields per
                            record, kinds, sources, records) */
    SCV_EBUFFER = 9,   /**< the caller's buffer is too small; the size needed was reported */
    SCV_ESTATE = 10,   /**< the call is not valid in the object's state (e.g. upsert of a record
                            builder that has no source/record id yet) */
    SCV_ESYNTAX = 11,  /**< a query does not parse; the reason and byte offset say where */
    SCV_EEXPIRED = 12, /**< the change history asked for is no longer held */
    SCV_ECORRUPT = 13, /**< a snapshot is truncated, corrupted or not a snapshot */
    SCV_EVERSION = 14, /**< a snapshot of a format version this library cannot read */
    SCV_ECANCELED = 15 /**< the progress callback asked to stop */
} scv_status;

/**
 * A static, never-NULL English name for a status, e.g. "SCV_EREJECTED: identifier rejected".
 * Unknown numbers give "unknown status". Thread-safe.
 */
SCV_API const char *scv_status_str(scv_status status);

/* ---------------------------------------------------------------------------------------- */
/* Documented maxima                                                                         */
/* ---------------------------------------------------------------------------------------- */

#define SCV_MAX_NAME_LEN 64            /**< kind, source, trait and measure names, bytes */
#define SCV_MAX_RECORD_ID_LEN 256      /**< record ids, bytes */
#define SCV_MAX_VALUE_LEN 1024         /**< identifier values before normalization, bytes */
#define SCV_MAX_TRAIT_LEN 65536        /**< trait values, bytes */
#define SCV_MAX_IDENTIFIERS 64         /**< identifiers on one record (after de-duplication) */
#define SCV_MAX_FIELDS 256             /**< traits plus measures on one record */
#define SCV_MAX_KINDS 64               /**< identifier kinds, built-in included */
#define SCV_MAX_SOURCES 65535          /**< sources, built-in included */
#define SCV_MAX_RECORDS 0x7FFFFFFFu    /**< records in one engine */
#define SCV_HASH_SIZE 16               /**< bytes of an identifier hash (XXH3-128) */
/** Longest normalized value scv_engine_normalize() can produce: size a buffer with it. */
#define SCV_MAX_NORMALIZED_LEN (SCV_MAX_VALUE_LEN + 8)

/* ---------------------------------------------------------------------------------------- */
/* Allocator                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/**
 * A per-engine allocator. Every function receives `ctx` and the sizes involved, so a host can
 * account for memory exactly. `alloc` and `realloc` return NULL on failure (the library then
 * returns SCV_ENOMEM and leaves everything as it was); `realloc` must leave the old block
 * intact when it fails. Sizes given to `realloc` and `free` are the sizes last requested for
 * that block. All three must be set. Passing a NULL allocator anywhere means libc
 * malloc/realloc/free. The allocator must stay usable for as long as any object created with
 * it lives; the library copies the struct, not what ctx points to.
 */
typedef struct scv_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} scv_allocator;

/* ---------------------------------------------------------------------------------------- */
/* Options                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** Engine configuration, read once by scv_engine_new(). Opaque. */
typedef struct scv_options scv_options;

/** What the engine keeps of identifier values besides their hashes. */
typedef enum scv_retain {
    SCV_RETAIN_NONE = 0,       /**< hashes only: a pseudonymised engine holds no identifier value */
    SCV_RETAIN_NORMALIZED = 1, /**< also the normalized value of every identifier */
    SCV_RETAIN_RAW = 2         /**< also the raw value as each record gave it */
} scv_retain;

/**
 * Create an options object with defaults: empty hash key (see scv_options_set_hash_key),
 * default phone region none (numbers must then carry their country code), retention
 * SCV_RETAIN_NONE, e-mail provider rules off.
 * @param alc  allocator for the options and for every engine created from them; NULL = libc.
 *             Copied.
 * @param out  receives the new object; set to NULL on failure. Must not be NULL.
 * @return SCV_OK, SCV_EINVAL (out NULL or allocator incomplete), SCV_ENOMEM.
 * Free with scv_options_free(). Thread-safe (touches no shared state).
 */
SCV_API scv_status scv_options_new(const scv_allocator *alc, scv_options **out);

/** Free an options object. NULL is a no-op. Engines created from it are not affected. */
SCV_API void scv_options_free(scv_options *opts);

/**
 * Set the secret key under which identifiers are hashed (XXH3-128 with a secret derived from
 * this key by XXH3_generateSecret). Two engines link and exchange hashes only when their keys
 * are equal. Keep the key secret: with it, hashes of guessed values can be recomputed.
 * @param key, len  any bytes, copied; len 0 (key may then be NULL) selects XXH3's default
 *                  secret, which is fine for tests and not for pseudonymisation.
 * @return SCV_OK, SCV_EINVAL (opts NULL, key NULL with len > 0, len > 4096), SCV_ENOMEM.
 */
SCV_API scv_status scv_options_set_hash_key(scv_options *opts, const void *key, size_t len);

/**
 * Set the default phone region: an ISO 3166-1 alpha-2 code ("DE", "us"; case-insensitive)
 * used for phone numbers written without a country code.
 * @return SCV_OK, SCV_EINVAL (opts NULL, code not 2 letters), SCV_ENOTFOUND (region not in
 *         the built-in table).
 */
SCV_API scv_status scv_options_set_region(scv_options *opts, const char *code, size_t len);

/**
 * How many change events (scv_engine_changes_since) the engine keeps: a ring of `events`
 * entries (24 bytes each) allocated with the engine; 0 keeps none. Default 65536.
 * @return SCV_OK, SCV_EINVAL (opts NULL, events > 2^28).
 */
SCV_API scv_status scv_options_set_change_capacity(scv_options *opts, size_t events);

/**
 * Progress of a long operation (scv_engine_load, scv_engine_absorb): `done` of `total` units
 * (bytes for a load, records for an absorb); called now and then from the calling thread,
 * at least at the start and at the end. Return 0 to go on, non-zero to stop: the operation
 * then returns SCV_ECANCELED (a load creates no engine; an absorb keeps the records it has
 * added so far, each complete). The callback must not call into the engine.
 */
typedef int (*scv_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/**
 * Report progress of scv_engine_load() with these options, and of absorbs into engines created
 * from them. fn NULL turns it off. @return SCV_OK, SCV_EINVAL (opts NULL).
 */
SCV_API scv_status scv_options_set_progress(scv_options *opts, scv_progress_fn fn, void *ctx);

/** Set what is kept besides hashes (scv_retain). @return SCV_OK, SCV_EINVAL. */
SCV_API scv_status scv_options_set_retain(scv_options *opts, scv_retain retain);

/**
 * Turn provider-specific e-mail rules on (non-zero) or off (0, the default): for gmail.com and
 * googlemail.com, dots in the local part are removed, a "+tag" suffix is dropped and the
 * domain becomes gmail.com. @return SCV_OK, SCV_EINVAL (opts NULL).
 */
SCV_API scv_status scv_options_set_email_provider_rules(scv_options *opts, int on);

/* ---------------------------------------------------------------------------------------- */
/* Engine                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** An identity-resolution engine: records, identifiers and the profiles they form. Opaque. */
typedef struct scv_engine scv_engine;

/** A stored record: a dense number from 1, in the order records were first seen. 0 = none. */
typedef uint32_t scv_record_ref;
/** A profile: a dense number from 1, in the order profiles were created. 0 = none. */
typedef uint32_t scv_profile_id;
/** A stored identifier: a dense number from 1. 0 = none. */
typedef uint32_t scv_identifier_ref;

/**
 * Create an engine.
 * @param opts  configuration, read now and not kept; NULL = defaults (as scv_options_new()).
 * @param out   receives the engine; NULL on failure. Must not be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_new(const scv_options *opts, scv_engine **out);

/** Free an engine and everything it holds. NULL is a no-op. Record builders made from it
 *  must be freed first (or at least never used again). */
SCV_API void scv_engine_free(scv_engine *engine);

/**
 * Reason for the last failed call that took this engine non-const (a static string), or ""
 * when the last such call succeeded. Never NULL; engine NULL gives "".
 */
SCV_API const char *scv_engine_errmsg(const scv_engine *engine);

/**
 * Byte offset, within the input value named by the last failure, of the byte that caused it;
 * -1 when the failure has no position (or there was none). Engine NULL gives -1.
 */
SCV_API int64_t scv_engine_erroffset(const scv_engine *engine);

/** Report progress of absorbs into this engine (scv_progress_fn); fn NULL turns it off.
 *  @return SCV_OK, SCV_EINVAL. */
SCV_API scv_status scv_engine_set_progress(scv_engine *engine, scv_progress_fn fn, void *ctx);

/* ---------------------------------------------------------------------------------------- */
/* Identifier kinds and sources                                                              */
/* ---------------------------------------------------------------------------------------- */

/** An identifier kind, a small dense number. Built-in kinds have pinned numbers. */
typedef uint32_t scv_kind;
#define SCV_KIND_EMAIL 0u        /**< "email", e-mail normalizer */
#define SCV_KIND_PHONE 1u        /**< "phone", phone normalizer */
#define SCV_KIND_CUSTOMER_ID 2u  /**< "customer_id", trimmed exact */
#define SCV_KIND_ANONYMOUS_ID 3u /**< "anonymous_id", trimmed exact */
#define SCV_KIND_DEVICE_ID 4u    /**< "device_id", trimmed case-folded */
#define SCV_KIND_LOYALTY_ID 5u   /**< "loyalty_id", trimmed case-folded */

/** How a kind's values are normalized before hashing. */
typedef enum scv_normalizer {
    SCV_NORM_EMAIL = 0,   /**< trim, lower-case, validate; provider rules if enabled */
    SCV_NORM_PHONE = 1,   /**< to E.164 with the default region */
    SCV_NORM_EXACT = 2,   /**< trim surrounding white space; otherwise byte-exact */
    SCV_NORM_CASEFOLD = 3 /**< trim, then ASCII letters lower-cased */
} scv_normalizer;

/**
 * Register an identifier kind (e.g. "instagram") with its normalizer.
 * @param name, len  1..SCV_MAX_NAME_LEN bytes of [a-z0-9_], starting with a letter.
 * @param out        receives the new kind's number; may be NULL.
 * @return SCV_OK, SCV_EINVAL (bad name or normalizer), SCV_EEXISTS (name taken; *out is then
 *         the existing kind), SCV_ELIMIT (SCV_MAX_KINDS reached), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_register_kind(scv_engine *engine, const char *name, size_t len,
                                            scv_normalizer normalizer, scv_kind *out);

/** Look a kind up by exact name. @return SCV_OK, SCV_EINVAL (NULL args), SCV_ENOTFOUND. */
SCV_API scv_status scv_engine_kind(const scv_engine *engine, const char *name, size_t len,
                                   scv_kind *out);

/** Number of registered kinds (built-ins included); kinds are numbered 0..count-1. */
SCV_API uint32_t scv_engine_kind_count(const scv_engine *engine);

/** Name of a kind (not NUL-terminated; *len receives its length), or NULL if unknown. */
SCV_API const char *scv_engine_kind_name(const scv_engine *engine, scv_kind kind, size_t *len);

/** A record source, a small dense number. Built-in sources have pinned numbers. */
typedef uint32_t scv_source;
#define SCV_SOURCE_CRM 0u   /**< "crm" */
#define SCV_SOURCE_WEB 1u   /**< "web" */
#define SCV_SOURCE_EMAIL 2u /**< "email" */
#define SCV_SOURCE_POS 3u   /**< "pos" */

/**
 * Register a source (e.g. "app", "callcenter"). Name rules as for kinds.
 * @return SCV_OK, SCV_EINVAL, SCV_EEXISTS (*out is then the existing source), SCV_ELIMIT,
 *         SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_register_source(scv_engine *engine, const char *name, size_t len,
                                              scv_source *out);

/** Look a source up by exact name. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND. */
SCV_API scv_status scv_engine_source(const scv_engine *engine, const char *name, size_t len,
                                     scv_source *out);

/** Number of registered sources; sources are numbered 0..count-1. */
SCV_API uint32_t scv_engine_source_count(const scv_engine *engine);

/** Name of a source (not NUL-terminated; *len receives its length), or NULL if unknown. */
SCV_API const char *scv_engine_source_name(const scv_engine *engine, scv_source source,
                                           size_t *len);

/* ---------------------------------------------------------------------------------------- */
/* Resolution rules                                                                          */
/* ---------------------------------------------------------------------------------------- */

/*
 * Plain union-find over shared identifiers joins a store's phone, `test@test.com` or a shared
 * tablet's cookie into "blob" profiles. These rules keep profiles to one person:
 *
 * - Limits: at most N distinct linking values of a kind in one profile. When a record would
 *   break a limit (or a size guard), its lowest-priority identifier is set aside (it stays on
 *   the record, links nothing: SCV_LINK_ASIDE_LIMIT/SIZE) and resolution is retried until it
 *   fits. This makes resolution depend on record order, as in Segment Unify.
 * - Priority: the order in which identifiers are given up, and which kinds count as "at least
 *   as strong" for the generic rule. Default: customer_id > loyalty_id > email > phone >
 *   device_id > anonymous_id > registered kinds in registration order.
 * - Blocked values never link (SCV_LINK_BLOCKED) and stay on the record as data: by default
 *   `-1`, `0`, `null`, `none`, `n/a`, `na`, `nan`, `nil`, `undefined`, `unknown`, `anonymous`,
 *   `test`, `xxx`, values made only of zeros and dashes, of one repeated character (3 or more),
 *   placeholder e-mails (`test@test.com`, `noemail@…`, `noreply@…`, any address at
 *   example.com/.net/.org or a .test/.invalid/.localhost/.example domain), plus the host's own
 *   values (scv_engine_block()).
 * - Generic values: a value v of kind K is generic when the records carrying it hold more than
 *   G distinct values of one kind at least as strong as K (other than v) — a store phone seen
 *   with 200 loyalty cards, an e-mail typed for 50 customer ids — or when it is shared by at
 *   least two such values and also stands alone (no such other value) on more than G records
 *   — a store phone typed for walk-in customers. Alone on many records but with at most one
 *   partner, a value is one customer's repeat visits and keeps linking.
 *   A generic value stops linking (SCV_LINK_GENERIC) and the merges it caused are undone by
 *   re-resolving its profile; it links again if records leave and the count falls back to G.
 *   The count depends only on the records held, so with no limits hit the partition does
 *   not depend on record order. Default G = 10 for every kind.
 * - Size guards: a merge that would give a profile more than `max_records` records or
 *   `max_identifiers` linking identifiers is refused the same way as a limit. Defaults 50000
 *   and 5000.
 *
 * The setters below (all but scv_engine_block) may only be called while the engine holds no
 * record (SCV_ESTATE otherwise): changing rules would mean re-resolving everything.
 */

/** How an identifier occurrence on a record takes part in linking. */
typedef enum scv_link {
    SCV_LINK = 0,             /**< links its records */
    SCV_LINK_ASIDE_LIMIT = 1, /**< set aside on this record: linking would break a kind limit */
    SCV_LINK_ASIDE_SIZE = 2,  /**< set aside on this record: linking would break a size guard */
    SCV_LINK_BLOCKED = 3,     /**< the value is blocked (default list or scv_engine_block()) */
    SCV_LINK_GENERIC = 4,     /**< the value is generic (shared by too many customers) */
    SCV_LINK_SUPPRESSED = 5   /**< the value is on the suppression list (erased person) */
} scv_link;

/**
 * At most `max_values` distinct linking values of `kind` per profile; 0 removes the limit
 * (the default for every kind). @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (kind), SCV_ESTATE
 * (records present), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_set_limit(scv_engine *engine, scv_kind kind, uint32_t max_values);

/**
 * Set kind priority, highest first. Kinds not listed follow, in their current relative order.
 * @param kinds, n  distinct kinds; n may be 0 (kinds may then be NULL) to keep the order.
 * @return SCV_OK, SCV_EINVAL (NULL with n > 0, duplicates), SCV_ENOTFOUND, SCV_ESTATE.
 */
SCV_API scv_status scv_engine_set_priority(scv_engine *engine, const scv_kind *kinds, size_t n);

/**
 * Generic-value threshold G for values of `kind` (see above); 0 turns the rule off for that
 * kind. Default 10. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND, SCV_ESTATE.
 */
SCV_API scv_status scv_engine_set_generic_threshold(scv_engine *engine, scv_kind kind,
                                                    uint32_t threshold);

/**
 * Size guards per profile; 0 = unlimited. Defaults 50000 records, 5000 identifiers.
 * @return SCV_OK, SCV_EINVAL, SCV_ESTATE.
 */
SCV_API scv_status scv_engine_set_profile_limits(scv_engine *engine, uint32_t max_records,
                                                 uint32_t max_identifiers);

/** Use the built-in list of placeholder values (non-zero, the default) or not (0).
 *  @return SCV_OK, SCV_EINVAL, SCV_ESTATE. */
SCV_API scv_status scv_engine_set_default_blocklist(scv_engine *engine, int on);

/**
 * Block a value of a kind (given raw, normalized as on ingest): it stops linking at once;
 * profiles it joined are re-resolved. Allowed at any time. Blocking a blocked value is SCV_OK.
 * @return SCV_OK, SCV_EINVAL, SCV_EUTF8, SCV_ETOOLONG, SCV_EREJECTED, SCV_ENOTFOUND (kind),
 *         SCV_ENOMEM (nothing changed).
 */
SCV_API scv_status scv_engine_block(scv_engine *engine, scv_kind kind, const char *value,
                                    size_t len);

/**
 * The identifiers of a stored record with how each takes part in linking (scv_link values as
 * bytes). Size query as scv_profile_records(); states may be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND, SCV_EBUFFER.
 */
SCV_API scv_status scv_record_identifiers(const scv_engine *engine, scv_record_ref ref,
                                          scv_identifier_ref *out, uint8_t *states, size_t cap,
                                          size_t *count);

/**
 * A value's own state (SCV_LINK, SCV_LINK_BLOCKED or SCV_LINK_GENERIC) and how many stored
 * records carry it. Either output may be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_engine_identifier_state(const scv_engine *engine, scv_identifier_ref ref,
                                               uint8_t *state, uint32_t *records);

/**
 * Identifiers on a live profile's records that do not link (set aside, blocked, generic or
 * suppressed), each once with its state (for a value set aside on several records: its state
 * on the oldest of them), ascending by ref. Size query as scv_profile_records(); states may be
 * NULL; on SCV_EBUFFER the arrays hold the first cap entries. SCV_ENOMEM possible (scratch).
 */
SCV_API scv_status scv_profile_unlinked(const scv_engine *engine, scv_profile_id profile,
                                        scv_identifier_ref *out, uint8_t *states, size_t cap,
                                        size_t *count);

/** Engine statistics for scv_engine_stat(). Numbers are pinned. */
typedef enum scv_stat {
    SCV_STAT_RECORDS = 0,          /**< records held */
    SCV_STAT_PROFILES = 1,         /**< live profiles */
    SCV_STAT_IDENTIFIERS = 2,      /**< distinct identifiers carried by at least one record */
    SCV_STAT_MERGES = 3,           /**< profile merges so far */
    SCV_STAT_SPLITS = 4,           /**< profiles created by splitting one, so far */
    SCV_STAT_ASIDE_LIMIT = 5,      /**< identifiers set aside now because of a kind limit */
    SCV_STAT_ASIDE_SIZE = 6,       /**< identifiers set aside now because of a size guard */
    SCV_STAT_BLOCKED_VALUES = 7,   /**< blocked values carried by at least one record now */
    SCV_STAT_BLOCKED_RECORDS = 8,  /**< record-identifier pairs with a blocked value now */
    SCV_STAT_GENERIC_VALUES = 9,   /**< generic values now */
    SCV_STAT_GENERIC_RECORDS = 10, /**< record-identifier pairs with a generic value now */
    SCV_STAT_GENERIC_DECISIONS = 11, /**< times a value became generic, so far */
    SCV_STAT_BYTES = 12            /**< bytes of memory the engine holds */
} scv_stat;

/** Read one statistic. @return SCV_OK, SCV_EINVAL (NULL, unknown stat). O(1) except
 *  the "now" counts of set-aside, blocked and generic pairs, which scan the records. */
SCV_API scv_status scv_engine_stat(const scv_engine *engine, scv_stat which, uint64_t *value);

/* ---------------------------------------------------------------------------------------- */
/* Audit statistics                                                                          */
/* ---------------------------------------------------------------------------------------- */

/*
 * What a data team looks at before trusting resolution (the scv program renders them as an
 * HTML report). All take a const engine, allocate only scratch memory, and cost one pass
 * over the records.
 */

/**
 * Profile sizes (records per live profile) as a log2 histogram: counts[i] = profiles with
 * 2^i .. 2^(i+1)-1 records for i < n - 1; counts[n - 1] = all larger ones.
 * @return SCV_OK, SCV_EINVAL (NULL, n 0), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_profile_size_histogram(const scv_engine *engine, uint64_t *counts,
                                                     size_t n);

/**
 * The profile size (records) at percentile p (0..100, nearest rank) over live profiles;
 * 0 when there is none. @return SCV_OK, SCV_EINVAL, SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_profile_size_percentile(const scv_engine *engine, double p,
                                                      uint32_t *records);

/**
 * The largest live profiles by records, largest first (equal sizes: lower id first).
 * Fills up to cap ids; *count receives how many were written.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_largest_profiles(const scv_engine *engine, scv_profile_id *out,
                                               size_t cap, size_t *count);

/**
 * Iterate the identifiers whose own state is `state` (SCV_LINK, SCV_LINK_BLOCKED,
 * SCV_LINK_GENERIC or SCV_LINK_SUPPRESSED) and that at least one record carries, ascending:
 * pass 0 first, then the previous ref. scv_engine_identifier_state() gives the number of
 * records carrying each. @return SCV_OK, SCV_ENOTFOUND at the end, SCV_EINVAL.
 */
SCV_API scv_status scv_engine_identifier_next(const scv_engine *engine, scv_identifier_ref after,
                                              uint8_t state, scv_identifier_ref *next);

/**
 * Source overlap: matrix[i * n + j] = live profiles with records from both source i and
 * source j (the diagonal: profiles seen in source i). n is the matrix side, usually
 * scv_engine_source_count(); sources from the 64th on are not counted.
 * @return SCV_OK, SCV_EINVAL (NULL, n 0 or over 64), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_source_overlap(const scv_engine *engine, uint64_t *matrix, size_t n);

/**
 * Identifier-kind coverage: counts[k] = live profiles holding a linking identifier of kind k,
 * for k < n (n usually scv_engine_kind_count()).
 * @return SCV_OK, SCV_EINVAL (NULL, n 0 or over SCV_MAX_KINDS), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_kind_coverage(const scv_engine *engine, uint64_t *counts, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* Normalization and hashing                                                                 */
/* ---------------------------------------------------------------------------------------- */

/**
 * Normalize a value as the engine would for `kind`.
 * @param out, cap  caller buffer; SCV_MAX_NORMALIZED_LEN bytes always suffice. Not
 *                  NUL-terminated. out may be NULL only when cap is 0.
 * @param out_len   receives the normalized length (also when SCV_EBUFFER). Must not be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_EUTF8, SCV_ETOOLONG, SCV_EREJECTED (reason and offset in
 *         scv_engine_errmsg()/erroffset()), SCV_ENOTFOUND (unknown kind), SCV_EBUFFER.
 */
SCV_API scv_status scv_engine_normalize(scv_engine *engine, scv_kind kind, const char *value,
                                        size_t len, char *out, size_t cap, size_t *out_len);

/**
 * The 16-byte hash the engine uses for (kind, value): value is normalized first, then
 * XXH3-128 is taken over kind name, one 0x00 byte and the normalized value, under the
 * engine's secret; written big-endian (high 64 bits first).
 * @return as scv_engine_normalize(), without SCV_EBUFFER.
 */
SCV_API scv_status scv_engine_hash(scv_engine *engine, scv_kind kind, const char *value,
                                   size_t len, uint8_t out[SCV_HASH_SIZE]);

/* ---------------------------------------------------------------------------------------- */
/* Records                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** A record builder: collect one record's fields, then scv_engine_upsert(). Opaque. */
typedef struct scv_record scv_record;

/** Marks a record without a timestamp. Such records count as older than any dated record. */
#define SCV_NO_TIMESTAMP INT64_MIN

/**
 * Create a record builder for `engine` (it reads the engine's kinds, normalizers and secret).
 * The builder must not outlive the engine.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM.
 */
SCV_API scv_status scv_record_new(scv_engine *engine, scv_record **out);

/** Free a record builder. NULL is a no-op. */
SCV_API void scv_record_free(scv_record *rec);

/**
 * Clear the builder and start a new record keyed by (source, record_id).
 * @param record_id, len  1..SCV_MAX_RECORD_ID_LEN bytes of UTF-8, copied; used as given
 *                        (no trimming).
 * @return SCV_OK, SCV_EINVAL (NULL args, empty id), SCV_ENOTFOUND (unknown source), SCV_EUTF8,
 *         SCV_ETOOLONG, SCV_ENOMEM. On failure the builder is left empty.
 */
SCV_API scv_status scv_record_reset(scv_record *rec, scv_source source, const char *record_id,
                                    size_t len);

/**
 * A hint, for hosts that fill builders on one thread and upsert them on another (the `scv`
 * program does): bring the memory that filling `rec` writes into the calling thread's cache,
 * for writing, a little before the thread fills it. Call it a few records ahead, on a builder
 * the other thread is done with. Without it, each first write to such a builder waits for
 * its cache lines to come back from the other core, and a thread that fills builders spends
 * much of its time waiting (the `scv` program's reading thread: about a third).
 * Changes nothing the library or the host can observe; NULL is a no-op. Reads a few of the
 * builder's pointers and writes nothing: a read, as far as the threading rules go.
 */
SCV_API void scv_record_prefetch(scv_record *rec);

/** Set the record's time in unix seconds (SCV_NO_TIMESTAMP = none, the default after reset). */
SCV_API scv_status scv_record_set_timestamp(scv_record *rec, int64_t unix_seconds);

/**
 * Add an identifier. The value is normalized and hashed now; a value equal (after
 * normalization) to one already on the record is accepted and ignored.
 * @return SCV_OK, SCV_EINVAL, SCV_ESTATE (no reset yet), SCV_ENOTFOUND (unknown kind),
 *         SCV_EUTF8, SCV_ETOOLONG, SCV_EREJECTED (reason and offset in scv_record_errmsg()/
 *         scv_record_erroffset()), SCV_ELIMIT (SCV_MAX_IDENTIFIERS), SCV_ENOMEM.
 *         On failure the builder is as before the call.
 */
SCV_API scv_status scv_record_add_identifier(scv_record *rec, scv_kind kind, const char *value,
                                             size_t len);

/**
 * Add a trait (a descriptive value such as first_name or city). An empty value is allowed and
 * means "no value". A name given twice keeps the last value.
 * @param name, name_len    1..SCV_MAX_NAME_LEN bytes of UTF-8.
 * @param value, value_len  0..SCV_MAX_TRAIT_LEN bytes of UTF-8.
 * @return SCV_OK, SCV_EINVAL, SCV_ESTATE, SCV_EUTF8, SCV_ETOOLONG, SCV_ELIMIT (SCV_MAX_FIELDS),
 *         SCV_ENOMEM. On failure the builder is as before the call.
 */
SCV_API scv_status scv_record_add_trait(scv_record *rec, const char *name, size_t name_len,
                                        const char *value, size_t value_len);

/**
 * Add a numeric measure (e.g. order_total). A name given twice keeps the last value.
 * @return SCV_OK, SCV_EINVAL (bad name, value not finite), SCV_ESTATE, SCV_EUTF8,
 *         SCV_ETOOLONG, SCV_ELIMIT, SCV_ENOMEM.
 */
SCV_API scv_status scv_record_add_measure(scv_record *rec, const char *name, size_t name_len,
                                          double value);

/**
 * Add a consent decision for a channel (e.g. "email", "sms", "ads"): granted (non-zero) or
 * denied (0), taken at `timestamp` (unix seconds; SCV_NO_TIMESTAMP = the record's timestamp).
 * A profile's consent for a channel is its most recent decision; on equal times a denial
 * wins, so a merge never lets an older grant override a denial. A channel given twice keeps
 * the last decision.
 * @return SCV_OK, SCV_EINVAL (bad name), SCV_ESTATE, SCV_EUTF8, SCV_ETOOLONG, SCV_ELIMIT
 *         (shares SCV_MAX_FIELDS with traits and measures), SCV_ENOMEM.
 */
SCV_API scv_status scv_record_add_consent(scv_record *rec, const char *channel, size_t len,
                                          int granted, int64_t timestamp);

/** Reason for the builder's last failed call (static string), "" after a success. */
SCV_API const char *scv_record_errmsg(const scv_record *rec);

/** Byte offset into the value of the builder's last failure, or -1. */
SCV_API int64_t scv_record_erroffset(const scv_record *rec);


/**
 * Insert the builder's record, or replace the stored record with the same (source, record_id)
 * ("upsert"). The record is then resolved: it joins every profile it shares a linking
 * identifier with (profiles merge; the oldest profile id survives). A replacement that drops
 * identifiers re-resolves the profile it was in from its remaining records, so a record that no
 * longer shares an identifier leaves it (the part holding the profile's oldest record keeps the
 * id; other parts get new ids). The builder is not changed and can be reset for the next record.
 * @param profile  receives the record's profile id afterwards; may be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ESTATE (builder not reset, or made for another engine),
 *         SCV_ELIMIT (SCV_MAX_RECORDS), SCV_ENOMEM. On failure nothing changed.
 */
SCV_API scv_status scv_engine_upsert(scv_engine *engine, const scv_record *rec,
                                     scv_profile_id *profile);

/**
 * Upsert several records: exactly as scv_engine_upsert() on recs[0], recs[1], ... in order,
 * and with the same results, but faster for bulk loads: while one record is resolved, the
 * engine already fetches the memory the next ones will need.
 * @param recs      n builders made for this engine; the same builder may appear more than
 *                  once (it is only read). May be NULL when n is 0.
 * @param n         number of records; 0 does nothing and returns SCV_OK.
 * @param profiles  NULL, or n entries: entry i receives record i's profile id right after its
 *                  own upsert (a later record of the batch may merge that profile away, as it
 *                  would with single calls).
 * @param done      NULL, or receives how many records were upserted: n on SCV_OK; on failure
 *                  the index of the record that failed.
 * @return SCV_OK, or the first failure as scv_engine_upsert() reports it. Records before the
 *         failing one stay upserted; the failing record and those after it change nothing;
 *         scv_engine_errmsg() describes the failure.
 * Thread-safety: as scv_engine_upsert(): the engine and the builders in `recs` must not be
 * used by another thread during the call; other builders may be filled meanwhile (see the
 * notes on threads at the top of this header).
 */
SCV_API scv_status scv_engine_upsert_batch(scv_engine *engine, const scv_record *const *recs,
                                           size_t n, scv_profile_id *profiles, size_t *done);

/**
 * Make room ahead of a bulk load: for `records` more records carrying `identifiers` more
 * distinct identifiers (estimates are fine). Nothing observable changes; it only saves the
 * repeated growth of tables and arrays (rehashing, copying, page faults) during the load.
 * @return SCV_OK, SCV_EINVAL, SCV_ELIMIT (more than the engine can hold), SCV_ENOMEM (nothing
 *         reserved beyond what succeeded; the engine works as before).
 */
SCV_API scv_status scv_engine_reserve(scv_engine *engine, size_t records, size_t identifiers);

/**
 * Give back spare capacity, typically after a bulk load: the engine's arrays and pools are
 * trimmed to what they hold (hash tables keep room for their load factor). Nothing
 * observable changes; later calls grow the arrays again as needed. Costs a reallocation of
 * each array (with the default allocator, large blocks are remapped rather than copied).
 * @return SCV_OK, SCV_EINVAL (NULL), SCV_ENOMEM (some arrays trimmed, the others not; the
 *         engine works as before either way).
 */
SCV_API scv_status scv_engine_shrink(scv_engine *engine);

/* ---------------------------------------------------------------------------------------- */
/* Lookups and iteration                                                                     */
/* ---------------------------------------------------------------------------------------- */

/** Number of stored records. */
SCV_API size_t scv_engine_record_count(const scv_engine *engine);
/** Number of live profiles (not counting merged-away ids). */
SCV_API size_t scv_engine_profile_count(const scv_engine *engine);
/** Number of distinct identifiers (kind, normalized value) held. */
SCV_API size_t scv_engine_identifier_count(const scv_engine *engine);

/**
 * Find a record by key. @param ref receives its reference; may be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_engine_record_find(const scv_engine *engine, scv_source source,
                                          const char *record_id, size_t len,
                                          scv_record_ref *ref);

/**
 * Iterate records in first-seen order: pass 0 to get the first, then the previous ref.
 * @return SCV_OK with *next set, SCV_ENOTFOUND after the last, SCV_EINVAL.
 */
SCV_API scv_status scv_engine_record_next(const scv_engine *engine, scv_record_ref after,
                                          scv_record_ref *next);

/**
 * A stored record's key and time. Any output pointer may be NULL. *record_id points into the
 * engine (not NUL-terminated), valid until the next mutating call.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no such ref).
 */
SCV_API scv_status scv_engine_record_info(const scv_engine *engine, scv_record_ref ref,
                                          scv_source *source, const char **record_id,
                                          size_t *len, int64_t *timestamp);

/** The profile a stored record belongs to. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND. */
SCV_API scv_status scv_engine_record_profile(const scv_engine *engine, scv_record_ref ref,
                                             scv_profile_id *profile);

/**
 * The profiles of many stored records at once: the records after `after`, in first-seen order,
 * as scv_engine_record_next() visits them, each with its profile as scv_engine_record_profile()
 * gives it. For exporting every record's profile: one call per thousand records instead of two
 * per record, and faster (the memory of a group of records is fetched together).
 * @param after     0 to start with the first record, else the last ref a previous call gave.
 * @param refs      receives the records' refs, refs[0..*n).
 * @param profiles  receives their profiles, profiles[0..*n).
 * @param cap       room in both arrays, at least 1.
 * @param n         receives how many were filled: 1..cap on SCV_OK, 0 otherwise.
 * @return SCV_OK; SCV_ENOTFOUND when no record comes after `after`; SCV_EINVAL (engine, refs,
 *         profiles or n NULL, or cap 0).
 * Loop: `after = 0; while (scv_engine_record_profiles(e, after, refs, ids, cap, &n) == SCV_OK)
 * { use them; after = refs[n - 1]; }`. Thread-safety: a read-only call, as the lookups above.
 */
SCV_API scv_status scv_engine_record_profiles(const scv_engine *engine, scv_record_ref after,
                                              scv_record_ref *refs, scv_profile_id *profiles,
                                              size_t cap, size_t *n);

/**
 * The profile holding an identifier, given as a raw value normalized as on ingest.
 * @return SCV_OK, SCV_EINVAL, SCV_EUTF8, SCV_ETOOLONG, SCV_EREJECTED, SCV_ENOTFOUND (unknown
 *         kind, or no record carries it).
 */
SCV_API scv_status scv_engine_identifier_profile(scv_engine *engine, scv_kind kind,
                                                 const char *value, size_t len,
                                                 scv_profile_id *profile);

/**
 * Follow merges: the live profile an id now stands for (itself when live). A merged-away id
 * resolves to the profile it was merged into (transitively).
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (id never issued).
 */
SCV_API scv_status scv_profile_canonical(const scv_engine *engine, scv_profile_id id,
                                         scv_profile_id *canonical);

/**
 * Iterate live profiles in ascending id: pass 0 first, then the previous id.
 * @return SCV_OK with *next set, SCV_ENOTFOUND after the last, SCV_EINVAL.
 */
SCV_API scv_status scv_engine_profile_next(const scv_engine *engine, scv_profile_id after,
                                           scv_profile_id *next);

/**
 * The records of a live profile, ascending. Call with cap 0 to learn the count.
 * @param out, cap  caller array (may be NULL when cap is 0).
 * @param count     receives the number of records (also on SCV_EBUFFER). Must not be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (not a live profile id), SCV_EBUFFER.
 */
SCV_API scv_status scv_profile_records(const scv_engine *engine, scv_profile_id profile,
                                       scv_record_ref *out, size_t cap, size_t *count);


/**
 * The distinct identifiers of a live profile, ascending by ref. Size query as
 * scv_profile_records().
 */
SCV_API scv_status scv_profile_identifiers(const scv_engine *engine, scv_profile_id profile,
                                           scv_identifier_ref *out, size_t cap, size_t *count);

/**
 * An identifier's kind, hash and (if retained) normalized value. Any output may be NULL;
 * *value is NULL when values are not retained. Pointers valid until the next mutating call.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_engine_identifier_info(const scv_engine *engine, scv_identifier_ref ref,
                                              scv_kind *kind, uint8_t hash[SCV_HASH_SIZE],
                                              const char **value, size_t *len);

/**
 * A live profile's surviving value of a trait, chosen among its records' non-empty values by
 * the trait's survivorship rule (default: the most recent; see scv_engine_set_trait_rule()).
 * *value points into the engine, valid until the next mutating call. from may be NULL; it
 * receives the record the value came from. May bring the views up to date (see "Single
 * customer views" below).
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no live profile, or no value for that trait),
 *         SCV_ENOMEM.
 */
SCV_API scv_status scv_profile_trait(scv_engine *engine, scv_profile_id profile,
                                     const char *name, size_t name_len, const char **value,
                                     size_t *value_len, scv_record_ref *from);

/**
 * Trait names the engine has seen, by index 0..n-1 in first-seen order: iterate until
 * SCV_ENOTFOUND and ask scv_profile_trait() for each. *name is not NUL-terminated.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (index past the last name).
 */
SCV_API scv_status scv_engine_trait_name(const scv_engine *engine, size_t index,
                                         const char **name, size_t *name_len);


/* ---------------------------------------------------------------------------------------- */
/* Single customer views                                                                     */
/* ---------------------------------------------------------------------------------------- */

/*
 * A profile's view — surviving traits, measure aggregates, consent, sources, first and last
 * seen — is derived from its records. The engine keeps these views in columns (one array per
 * attribute, indexed by profile id) and brings them up to date lazily, on the first call that
 * needs them after a change. That is why the calls below take a non-const engine: they may
 * write derived state, so they must not run concurrently with any other call on the engine.
 */

/** How a trait's surviving value is chosen among a profile's records (non-empty values). */
typedef enum scv_survivorship {
    SCV_SURVIVE_MOST_RECENT = 0,     /**< latest timestamp (the default); ties: later ingested */
    SCV_SURVIVE_SOURCE_PRIORITY = 1, /**< highest-priority source (see
                                          scv_engine_set_source_priority), then most recent */
    SCV_SURVIVE_MOST_FREQUENT = 2,   /**< the value most records carry; ties: most recent */
    SCV_SURVIVE_FIRST_SEEN = 3       /**< earliest timestamp; ties: earlier ingested */
} scv_survivorship;

/**
 * Set the survivorship rule for a trait name, or the default rule for every trait without
 * one (name NULL and len 0). Allowed at any time.
 * @return SCV_OK, SCV_EINVAL (unknown rule, bad name), SCV_EUTF8, SCV_ETOOLONG, SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_set_trait_rule(scv_engine *engine, const char *name, size_t len,
                                             scv_survivorship rule);

/**
 * Source priority for SCV_SURVIVE_SOURCE_PRIORITY, highest first; sources not listed rank
 * below, in their number order. n 0 clears it. Allowed at any time.
 * @return SCV_OK, SCV_EINVAL (NULL with n > 0, duplicates), SCV_ENOTFOUND (source).
 */
SCV_API scv_status scv_engine_set_source_priority(scv_engine *engine, const scv_source *sources,
                                                  size_t n);

/**
 * Measure names the engine has seen, by index 0..n-1 in first-seen order (iterate until
 * SCV_ENOTFOUND). *name is not NUL-terminated. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_engine_measure_name(const scv_engine *engine, size_t index,
                                           const char **name, size_t *name_len);

/**
 * Consent channels the engine has seen, by index 0..n-1 in first-seen order (iterate until
 * SCV_ENOTFOUND). *name is not NUL-terminated. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_engine_consent_channel(const scv_engine *engine, size_t index,
                                              const char **name, size_t *name_len);

/** Aggregates of a numeric measure, for scv_profile_measure(). Numbers are pinned. */
typedef enum scv_agg {
    SCV_AGG_COUNT = 0, /**< records carrying the measure */
    SCV_AGG_SUM = 1,
    SCV_AGG_AVG = 2,
    SCV_AGG_MIN = 3,
    SCV_AGG_MAX = 4,
    SCV_AGG_FIRST_TIME = 5, /**< earliest timestamp of a record carrying it */
    SCV_AGG_LAST_TIME = 6   /**< latest timestamp of a record carrying it */
} scv_agg;

/**
 * A measure aggregated over a live profile's records. With window_days > 0 only records with
 * a timestamp in (now - window_days * 86400, now] count (undated records never do).
 * COUNT and SUM of a profile without the measure are 0; AVG, MIN, MAX and the times are
 * missing: SCV_ENOTFOUND.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (profile not live, or the value is missing).
 */
SCV_API scv_status scv_profile_measure(scv_engine *engine, scv_profile_id profile,
                                       const char *name, size_t len, scv_agg agg,
                                       uint32_t window_days, int64_t now, double *value);

/**
 * A live profile's consent for a channel: *granted 1 or 0, *timestamp when decided (either
 * output may be NULL). @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no decision, or no live
 * profile).
 */
SCV_API scv_status scv_profile_consent(scv_engine *engine, scv_profile_id profile,
                                       const char *channel, size_t len, int *granted,
                                       int64_t *timestamp);

/**
 * First and last record timestamps of a live profile (SCV_NO_TIMESTAMP when it has no dated
 * record). Either output may be NULL. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND.
 */
SCV_API scv_status scv_profile_seen(scv_engine *engine, scv_profile_id profile,
                                    int64_t *first_seen, int64_t *last_seen);

/**
 * A live profile as one JSON object (UTF-8, no trailing newline) in the caller's buffer:
 * profile_id; first_seen and last_seen (unix seconds or null); sources; records (source,
 * record_id, timestamp); identifiers (kind, state, and the normalized value when values are
 * retained, else the hex hash); traits (value with the source and record_id it came from);
 * measures (count, sum, avg, min, max, first, last); consent (granted, timestamp).
 * Call with cap 0 to learn the size.
 * @param buf, cap  caller buffer (buf may be NULL when cap is 0); not NUL-terminated.
 * @param len       receives the JSON's length (also on SCV_EBUFFER). Must not be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (not live), SCV_EBUFFER, SCV_ENOMEM.
 */
SCV_API scv_status scv_profile_json(scv_engine *engine, scv_profile_id profile, char *buf,
                                    size_t cap, size_t *len);

/* ---------------------------------------------------------------------------------------- */
/* Segment queries                                                                           */
/* ---------------------------------------------------------------------------------------- */

/*
 * The query language (DESIGN.md), extended by consent(CHANNEL) and the RFM terms:
 *
 *   expr   := expr 'or' expr | expr 'and' expr | 'not' expr | '(' expr ')' | test
 *   test   := term OP literal | 'has' '(' KIND ')' | 'seen' '(' SOURCE ')'
 *           | 'consent' '(' CHANNEL ')'
 *   term   := AGG '(' MEASURE [',' DURATION] ')' | 'records' | 'trait' '(' NAME ')'
 *           | 'days_since_first_seen' | 'days_since_last_seen' | 'rfm_r' | 'rfm_f' | 'rfm_m'
 *   AGG    := 'count' | 'sum' | 'avg' | 'min' | 'max'
 *   OP     := '=' | '!=' | '<' | '<=' | '>' | '>='
 *   literal:= number | "string"            DURATION := integer 'd'   (e.g. 90d)
 *
 * 'not' binds tightest, then 'and', then 'or'. Keywords are case-insensitive; names are bare
 * words or "quoted". Semantics, for each live profile and a caller-given `now`:
 * - AGG(m, Nd) aggregates measure m over records dated in (now - N days, now]; without a
 *   window over all records. A profile without the measure has count 0 and sum 0 and no
 *   avg/min/max: a comparison with a missing value is false (also for '!=').
 * - records: the number of records; days_since_first_seen/last_seen: (now - first/last
 *   record timestamp) / 86400 as a real number (missing when no record is dated).
 * - trait(NAME): the surviving value. Against a string literal it compares bytes; against a
 *   number it compares numerically when the value parses as a number, else it is missing.
 * - has(KIND): a linking identifier of that kind is present; seen(SOURCE): a record came from
 *   that source; consent(CHANNEL): the profile's latest decision for the channel is a grant.
 * - rfm_r, rfm_f, rfm_m: quintile scores 1..5 of recency (days since the last record with the
 *   RFM measure; recent scores high), frequency (records with it) and monetary value (its
 *   sum), among the live profiles that have it; missing for those that do not. The measure
 *   is "order_total" unless scv_engine_set_rfm_measure() says otherwise.
 * - A number literal compared with a string term (or the reverse) is false.
 * Unknown kinds and sources are compile errors; unknown measures, traits and channels are not
 * (they may arrive later) and evaluate as missing.
 */

/** A compiled query, bound to the engine it was compiled for. Opaque. */
typedef struct scv_query scv_query;
/** A set of profile ids: the result of an evaluation. Opaque. */
typedef struct scv_result scv_result;

/**
 * Compile a query for `engine`. The query must be freed before the engine.
 * @param text, len   the query (UTF-8, at most 64 KiB).
 * @param out         receives the query; NULL on failure. Must not be NULL.
 * @param err_offset  receives the byte offset of a syntax error (may be NULL); the reason is
 *                    in scv_engine_errmsg().
 * @return SCV_OK, SCV_EINVAL, SCV_EUTF8 (offset of the bad byte), SCV_ESYNTAX, SCV_ENOTFOUND
 *         (unknown kind or source; the offset is that of the has()/seen() test), SCV_ETOOLONG,
 *         SCV_ENOMEM.
 */
SCV_API scv_status scv_query_compile(scv_engine *engine, const char *text, size_t len,
                                     scv_query **out, size_t *err_offset);

/** Free a query. NULL is a no-op. */
SCV_API void scv_query_free(scv_query *query);

/**
 * Evaluate over every live profile at time `now` (unix seconds). Brings the engine's views up
 * to date first (see above: not concurrent with other calls on the engine).
 * @param out  receives a new result the caller frees with scv_result_free(). Must not be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM.
 */
SCV_API scv_status scv_query_eval(scv_query *query, int64_t now, scv_result **out);

/** Free a result. NULL is a no-op. */
SCV_API void scv_result_free(scv_result *result);

/** Number of profiles in a result (0 for NULL). */
SCV_API size_t scv_result_count(const scv_result *result);

/** Whether a result holds a profile id (0 or 1). */
SCV_API int scv_result_contains(const scv_result *result, scv_profile_id profile);

/**
 * Iterate a result in ascending id: pass 0 first, then the previous id.
 * @return SCV_OK with *next set, SCV_ENOTFOUND after the last, SCV_EINVAL.
 */
SCV_API scv_status scv_result_next(const scv_result *result, scv_profile_id after,
                                   scv_profile_id *next);

/** Set operations for scv_result_combine(). */
typedef enum scv_setop {
    SCV_SET_AND = 0,    /**< in both */
    SCV_SET_OR = 1,     /**< in either */
    SCV_SET_ANDNOT = 2  /**< in the first, not in the second */
} scv_setop;

/**
 * Combine two results (of the same engine or not) into a new one.
 * @return SCV_OK, SCV_EINVAL (NULL, unknown op), SCV_ENOMEM.
 */
SCV_API scv_status scv_result_combine(const scv_result *a, const scv_result *b, scv_setop op,
                                      scv_result **out);

/**
 * The measure the RFM terms use (default "order_total"). Allowed at any time.
 * @return SCV_OK, SCV_EINVAL, SCV_EUTF8, SCV_ETOOLONG, SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_set_rfm_measure(scv_engine *engine, const char *name, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Saved segments and personas                                                               */
/* ---------------------------------------------------------------------------------------- */

/** A saved segment: a named query with the membership of its last refresh. Opaque. */
typedef struct scv_segment scv_segment;

/**
 * Define a segment. Its membership starts empty; the first refresh reports every match as
 * entered. Must be freed before the engine.
 * @return as scv_query_compile(), plus SCV_EINVAL for a bad name (1..SCV_MAX_NAME_LEN bytes
 *         of UTF-8).
 */
SCV_API scv_status scv_segment_new(scv_engine *engine, const char *name, size_t name_len,
                                   const char *query, size_t query_len, scv_segment **out,
                                   size_t *err_offset);

/** Free a segment. NULL is a no-op. */
SCV_API void scv_segment_free(scv_segment *segment);

/** The segment's name (not NUL-terminated; *len its length). */
SCV_API const char *scv_segment_name(const scv_segment *segment, size_t *len);

/**
 * Re-evaluate at `now` and report who entered and who left since the last refresh — what an
 * audience sync needs. A profile merged away since then has left (its id is no longer live);
 * the profile it merged into is evaluated like any other. Either output may be NULL; the
 * caller frees what it gets.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM (membership unchanged).
 */
SCV_API scv_status scv_segment_refresh(scv_segment *segment, int64_t now, scv_result **entered,
                                       scv_result **left);

/** A copy of the membership as of the last refresh. @return SCV_OK, SCV_EINVAL, SCV_ENOMEM. */
SCV_API scv_status scv_segment_members(const scv_segment *segment, scv_result **out);

/** An ordered list of named segments; each profile gets the first it matches. Opaque. */
typedef struct scv_personas scv_personas;

/** Create an empty persona list for `engine` (free it before the engine).
 *  @return SCV_OK, SCV_EINVAL, SCV_ENOMEM. */
SCV_API scv_status scv_personas_new(scv_engine *engine, scv_personas **out);

/** Free a persona list. NULL is a no-op. */
SCV_API void scv_personas_free(scv_personas *personas);

/**
 * Append a persona (name and query); its index is the number of personas before it.
 * @return as scv_segment_new().
 */
SCV_API scv_status scv_personas_add(scv_personas *personas, const char *name, size_t name_len,
                                    const char *query, size_t query_len, size_t *err_offset);

/**
 * Assign every live profile the first persona whose query it matches at `now`.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOMEM (previous assignment kept).
 */
SCV_API scv_status scv_personas_assign(scv_personas *personas, int64_t now);

/** Number of personas. */
SCV_API uint32_t scv_personas_count(const scv_personas *personas);

/** A persona's name (not NUL-terminated), or NULL for a bad index. */
SCV_API const char *scv_personas_name(const scv_personas *personas, uint32_t index,
                                      size_t *len);

/** How many profiles the last assignment gave persona `index` (0 for a bad index). */
SCV_API size_t scv_personas_size(const scv_personas *personas, uint32_t index);

/**
 * The persona the last assignment gave a profile.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no persona matched, or not assigned).
 */
SCV_API scv_status scv_personas_of(const scv_personas *personas, scv_profile_id profile,
                                   uint32_t *index);


/* ---------------------------------------------------------------------------------------- */
/* Lifecycle and privacy: delete, erase, suppression, change feed                            */
/* ---------------------------------------------------------------------------------------- */

/**
 * Delete a stored record. Its profile is re-resolved from the remaining records and may
 * split (the part holding the oldest record keeps the id); a profile left without records
 * is deleted (its id, and ids merged into it, stop resolving).
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no such record: nothing changed), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_delete(scv_engine *engine, scv_source source,
                                     const char *record_id, size_t len);

/**
 * Erase a person (GDPR art. 17): every record of the live profile `profile` (a merged-away id
 * is followed to its survivor) is deleted, the bytes of its record ids, traits, raw and
 * normalized values are overwritten in engine memory, and its identifiers' hashes go on the
 * suppression list — except blocked and generic values, which are not the person's. A later
 * record carrying a suppressed identifier has it dropped (not stored, links nothing), so a
 * replay of old data cannot rebuild the person.
 * @param records, identifiers  receive how many records were deleted and identifiers
 *                              suppressed; may be NULL.
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (no such profile), SCV_ENOMEM (nothing changed).
 */
SCV_API scv_status scv_engine_erase(scv_engine *engine, scv_profile_id profile, size_t *records,
                                    size_t *identifiers);

/**
 * Put an identifier (raw value, normalized as on ingest) on the suppression list. Records
 * that already carry it keep it as a non-linking value (SCV_LINK_SUPPRESSED) and their
 * profiles are re-resolved; later records drop it.
 * @return SCV_OK (also when already suppressed), SCV_EINVAL, SCV_EUTF8, SCV_ETOOLONG,
 *         SCV_EREJECTED, SCV_ENOTFOUND (kind), SCV_ENOMEM.
 */
SCV_API scv_status scv_engine_suppress(scv_engine *engine, scv_kind kind, const char *value,
                                       size_t len);

/** Suppress by hash (as scv_engine_hash() gives), for hosts that keep only hashes. */
SCV_API scv_status scv_engine_suppress_hash(scv_engine *engine, scv_kind kind,
                                            const uint8_t hash[SCV_HASH_SIZE]);

/**
 * Take an identifier off the suppression list (by hash); it links again for records that
 * arrive later. @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (not suppressed).
 */
SCV_API scv_status scv_engine_unsuppress_hash(scv_engine *engine, scv_kind kind,
                                              const uint8_t hash[SCV_HASH_SIZE]);

/** Number of identifiers on the suppression list. */
SCV_API size_t scv_engine_suppressed_count(const scv_engine *engine);

/** Why two records are not in one profile, from scv_engine_explain(). Numbers are pinned. */
typedef enum scv_apart {
    SCV_APART_NONE = 0,       /**< they are in one profile: the path shows why */
    SCV_APART_UNRELATED = 1,  /**< no chain of shared identifiers connects them at all */
    SCV_APART_LIMIT = 2,      /**< the chain needs an identifier set aside by a kind limit */
    SCV_APART_SIZE = 3,       /**< ... set aside by a size guard */
    SCV_APART_BLOCKED = 4,    /**< ... a blocked value */
    SCV_APART_GENERIC = 5,    /**< ... a generic value */
    SCV_APART_SUPPRESSED = 6  /**< ... a suppressed value */
} scv_apart;

/**
 * Explain how two stored records relate: the shortest chain record, identifier, record, ...
 * from `a` to `b`. When they share a profile the chain uses linking identifiers only and
 * *apart is SCV_APART_NONE. Otherwise the shortest chain over every identifier they carry is
 * given, and *apart names the rule that cut it (for the first non-linking step on it), or
 * SCV_APART_UNRELATED with *len 0 when nothing connects them.
 * @param records      receives the chain's records, a first and b last (len entries).
 * @param identifiers  receives identifiers[i], which joins records[i] and records[i + 1]
 *                     (len - 1 entries). Either array may be NULL only when cap is 0.
 * @param len          receives the number of records on the chain (also on SCV_EBUFFER).
 * @return SCV_OK, SCV_EINVAL, SCV_ENOTFOUND (a or b not stored), SCV_EBUFFER, SCV_ENOMEM.
 * Cost: a breadth-first search, O(records + identifiers) memory in the worst case.
 */
SCV_API scv_status scv_engine_explain(const scv_engine *engine, scv_record_ref a, scv_record_ref b,
                                      scv_record_ref *records, scv_identifier_ref *identifiers,
                                      size_t cap, size_t *len, scv_apart *apart);

/** What happened to a profile, in the change feed. Numbers are pinned. */
typedef enum scv_change {
    SCV_CHANGE_CREATED = 0, /**< a new profile (profile) */
    SCV_CHANGE_MERGED = 1,  /**< `other` merged into `profile`, which survives */
    SCV_CHANGE_SPLIT = 2,   /**< `other` was split off `profile` under a new id */
    SCV_CHANGE_UPDATED = 3, /**< `profile` gained, lost or changed records */
    SCV_CHANGE_DELETED = 4  /**< `profile` lost its last record */
} scv_change;

/**
 * Receives one change: its sequence number, what happened, the profiles, and the record that
 * caused it (source and record id; the id is empty (len 0) when the change came from a call
 * without a record, such as scv_engine_block, or the record has been erased since). Return
 * 0 to continue, non-zero to stop. The callback must not call into the engine.
 */
typedef int (*scv_change_fn)(void *ctx, uint64_t seq, scv_change change, scv_profile_id profile,
                             scv_profile_id other, scv_source source, const char *record_id,
                             size_t len);

/** The sequence number of the newest change (0 before any). Every mutation adds changes. */
SCV_API uint64_t scv_engine_sequence(const scv_engine *engine);

/**
 * Report, in order, every change with a sequence number greater than `after`. The engine
 * keeps the newest changes only (scv_options_set_change_capacity): when changes after `after`
 * have been dropped, nothing is reported and SCV_EEXPIRED is returned — resynchronise from a
 * full export (e.g. iterate the profiles) and continue from scv_engine_sequence().
 * @return SCV_OK, SCV_EINVAL (NULL engine or fn), SCV_EEXPIRED.
 */
SCV_API scv_status scv_engine_changes_since(const scv_engine *engine, uint64_t after,
                                            scv_change_fn fn, void *ctx);

/* ---------------------------------------------------------------------------------------- */
/* Snapshots and absorb                                                                      */
/* ---------------------------------------------------------------------------------------- */

/*
 * A snapshot is the whole engine serialised into a caller buffer: its configuration (region,
 * retention, e-mail rules, kinds, sources, resolution and survivorship rules, source priority,
 * RFM measure), records (deleted ones as empty slots, so record refs stay valid), identifiers,
 * profile ids with their merge history, the suppression list, counters and the change-feed
 * sequence number. It is logical, versioned and checksummed (docs/snapshot-format.md): the
 * same engine can be loaded by any build of this library that reads its format version, on
 * any platform. Every public query answers the same on the loaded engine as on the original,
 * and both resolve later records identically.
 *
 * What a snapshot does not hold: the hash key (only a 64-bit fingerprint of the secret derived
 * from it, to refuse a load under another key; with the fingerprint a weak key can be guessed
 * offline, as it can from any hash of a known value, so keep snapshots as secret as the data),
 * the change events (after a load the sequence continues from scv_engine_sequence() of the
 * original, and asking for changes from before the load gives SCV_EEXPIRED), the bytes of
 * erased persons and deleted records, and the derived views (rebuilt on first use).
 */

/**
 * The exact size in bytes scv_engine_snapshot_write() needs for the engine as it is now.
 * O(records + identifiers): it walks the engine without writing.
 * @param size  receives the size. Must not be NULL.
 * @return SCV_OK, SCV_EINVAL (NULL argument).
 * Reads only: may run concurrently with other calls taking a const engine.
 */
SCV_API scv_status scv_engine_snapshot_size(const scv_engine *engine, size_t *size);

/**
 * Serialise the whole engine into buf[0..cap). Exactly the size scv_engine_snapshot_size()
 * reports is written. The engine is not changed; the call allocates 12 bytes per record of
 * scratch (with the engine's allocator) and frees it before returning.
 * @param buf, cap  caller buffer; buf may be NULL only when cap is 0 (a size query).
 * @param written   receives the snapshot's size, also on SCV_EBUFFER. Must not be NULL.
 * @return SCV_OK, SCV_EINVAL (engine or written NULL, buf NULL with cap > 0), SCV_EBUFFER
 *         (cap too small: nothing written), SCV_ENOMEM (scratch: nothing written).
 */
SCV_API scv_status scv_engine_snapshot_write(const scv_engine *engine, void *buf, size_t cap,
                                             size_t *written);

/**
 * Create an engine from a snapshot. From `opts` only the allocator, the hash key and the
 * change-feed capacity are used; everything else comes from the snapshot. The hash key must
 * be the key the snapshot was made under. The input is never trusted: it is fully validated
 * (lengths, counts, indexes, names, UTF-8, checksums, and that its profiles agree with its
 * identifiers) in O(len) time, and memory is only allocated in proportion to len, so a
 * corrupt or hostile buffer gets a status, never a crash or a huge allocation. buf is not
 * kept.
 * @param opts      allocator, hash key, change capacity; NULL = defaults (no key).
 * @param buf, len  the snapshot.
 * @param out       receives the engine (free it with scv_engine_free()); NULL on failure.
 *                  Must not be NULL.
 * @return SCV_OK, SCV_EINVAL (out NULL, buf NULL with len > 0, or a different hash key),
 *         SCV_ECORRUPT (truncated, corrupted or not a snapshot), SCV_EVERSION (a format
 *         version this library cannot read), SCV_ENOMEM. On failure nothing is left allocated.
 * Thread-safe (touches no shared state).
 */
SCV_API scv_status scv_engine_load(const scv_options *opts, const void *buf, size_t len,
                                   scv_engine **out);

/**
 * Add every live record of `src` to `dst` as if it were upserted there, in src's record order
 * (a record whose (source name, record id) dst already holds is replaced). Use it to combine
 * partitions resolved on separate engines: without kind limits, absorbing engines fed parts of
 * a data set gives the partition one engine fed all of it would.
 * - Both engines must use the same hash key: identifiers travel as hashes, with the
 *   normalized and raw values src kept (dst keeps what its own retention asks for, of what
 *   src kept). Values are taken as src normalized them: give both engines the same region and
 *   e-mail rules.
 * - Kinds and sources are matched by name; those missing in dst are registered (same names
 *   and normalizers). A kind with another normalizer in dst is SCV_EINVAL.
 * - dst's own rules (limits, priority, thresholds, survivorship) govern; src's are not copied.
 * - src's suppression list, and the values src's host blocked (scv_engine_block), are added
 *   to dst's first, so the absorbed records never link through them (identifiers on the
 *   suppression list are dropped from the absorbed records, as on any upsert). dst's default
 *   blocklist judges the rest as on ingest: by the value when src kept it; a value src's
 *   default list blocked counts as a placeholder. When src keeps no values it cannot tell
 *   its host's blocks from its default list's: its blocked values still carried by records
 *   are then all blocked in dst.
 * - Not atomic: each record is one upsert and is either fully absorbed or not at all, but a
 *   failure part-way (SCV_ENOMEM, SCV_ELIMIT) leaves dst with the lists and the records
 *   absorbed so far. Calling it again is safe: upserts replace, so the result is the same
 *   as one successful call.
 * src is only read; it must not be used concurrently with a call that changes it.
 * @return SCV_OK, SCV_EINVAL (NULL, dst == src, different hash keys, normalizer mismatch),
 *         SCV_ELIMIT (kinds, sources or records), SCV_ENOMEM. The reason is in
 *         scv_engine_errmsg(dst).
 */
SCV_API scv_status scv_engine_absorb(scv_engine *dst, const scv_engine *src);

#ifdef __cplusplus
}
#endif

#endif /* SCV_H */
