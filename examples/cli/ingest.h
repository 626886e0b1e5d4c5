/*
 * ingest.h — reading record files into an scv engine, for the scv program: CSV (here) and,
 * through segment.h, JSON Lines of Segment events. The second half of this header is what
 * readers of formats other than CSV build their records with.
 *
 * A file's header row decides what each column is: `source`, `record_id` and `timestamp`
 * (names compared case-insensitively after trimming white space), a registered identifier
 * kind (the lower-cased name is looked up with scv_engine_kind), one of the measure names
 * given (case-insensitively), a consent column (`consent_CHANNEL` or `CHANNEL_consent`, e.g.
 * `email_consent`; the channel is the lower-cased rest of the name), or else a trait named as
 * written (trimmed). Rows are then built into a batch of reused record builders and upserted
 * in file order, a batch at a time (scv_engine_upsert_batch); what gets printed, and when, is
 * as if each row were upserted as soon as it is read.
 *
 * A consent cell (trimmed, case ignored) grants with `granted`, `yes`, `true`, `1`, `opt-in`,
 * `opted_in`, denies with `denied`, `no`, `false`, `0`, `opt-out`, `opted_out`, `revoked`, and
 * makes no decision when empty; the decision is taken at the record's timestamp.
 *
 * Problems go to stderr as "FILE:LINE: reason" (at most INGEST_MAX_MESSAGES per file, then a
 * count): a bad row (CSV syntax, wrong number of fields, missing or invalid source or
 * record_id, bad timestamp, invalid UTF-8 or an over-long value) is skipped; an identifier
 * value the normalizer rejects, a measure that is not a number, or a consent cell that is
 * none of the words above, is a warning and only that value is dropped.
 */
#ifndef SCV_CLI_INGEST_H
#define SCV_CLI_INGEST_H

#include <stddef.h>

#include "scv.h"

#if defined(__GNUC__)
#define INGEST_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define INGEST_PRINTF_LIKE(fmt, args)
#endif

/** Messages printed per file before the rest are only counted. */
#define INGEST_MAX_MESSAGES 20

/** What the files given to ingest_file() hold. */
typedef enum ingest_format {
    INGEST_CSV = 0,    /**< RFC 4180 CSV with a header row (the default) */
    INGEST_SEGMENT = 1 /**< JSON Lines of Segment Tracking API events (segment.h) */
} ingest_format;

typedef struct ingest ingest;

/** What has been read so far, over all files. */
typedef struct ingest_totals {
    size_t files_read;         /**< files opened and read to the end */
    unsigned long long rows;   /**< rows upserted */
    unsigned long long bad;    /**< rows skipped */
    unsigned long long dropped; /**< values dropped with a warning (rejected identifiers,
                                     measures that are not numbers, unknown consent words) */
} ingest_totals;

/**
 * Start ingesting into `engine` (borrowed; it must outlive the ingest).
 * @param measures, nmeasures  column names to read as numeric measures (borrowed).
 * @return NULL when out of memory.
 */
ingest *ingest_new(scv_engine *engine, const char *const *measures, size_t nmeasures);

/**
 * Read the files that follow as `format`. Segment events all get the record source `source`
 * (ignored for CSV, whose rows name their own). The default is INGEST_CSV.
 */
void ingest_set_format(ingest *in, ingest_format format, scv_source source);

/**
 * Keep no traits from CSV files read from now on: for `scv resolve` without --state, whose
 * output (the profile of each record) no trait can change. Trait cells are still checked as
 * the record builder would check them (length, UTF-8), and a bad one still makes its row bad
 * with the builder's reason, so messages and counts stay the same; measures and consents are
 * read as before. A file with more than SCV_MAX_FIELDS trait, measure and consent columns
 * keeps its traits (its rows can break the builder's limit on fields). Segment events keep
 * theirs.
 */
void ingest_prune_traits(ingest *in);

/**
 * Something for a thread to do while it waits for the other (reading thread or worker): a
 * step of at most a fraction of a millisecond. `rows`: about how many rows have been read so
 * far; `bytes`: about how many bytes of the input they took (CSV: the files read and the
 * current one up to its last row handed to the worker; 0 when not known). @return nonzero
 * when it did something (it is called again), 0 when it has nothing more to do for now (the
 * thread then just waits).
 */
typedef int (*ingest_idle_fn)(void *ctx, unsigned long long rows, unsigned long long bytes);

/**
 * Call `idle` (NULL: nothing) with `ctx` while a thread waits for the other. It runs on both
 * threads, possibly at once, so it must be thread-safe. The scv program prefaults the
 * engine's memory with it (bigalloc_prefault).
 */
void ingest_set_idle(ingest *in, ingest_idle_fn idle, void *ctx);

/**
 * Run `job(ctx)` on the worker thread before it upserts anything (at once, on this thread,
 * without a worker); every upsert comes after it, the worker's and this thread's. Call it
 * before the first row; `ctx` must live until ingest_free(). The scv program reserves the
 * engine's memory with it while the first rows are read (the reservation zeroes the hash
 * tables: 5 ms for 1M records on this project's VM, ten times that when the VM is slow to
 * hand out memory).
 */
void ingest_before_upserts(ingest *in, void (*job)(void *ctx), void *ctx);

/** Free an ingest. NULL is a no-op. */
void ingest_free(ingest *in);

/**
 * Read one file ("-" = standard input) in the current format and upsert its records.
 * @return 0 when reading may go on (including when the file could not be opened, or all of
 *         its rows were bad: that was reported), -1 on a failure that should end the program
 *         (out of memory, the engine is full; reported too).
 */
int ingest_file(ingest *in, const char *path);

/** Totals so far. */
ingest_totals ingest_get_totals(const ingest *in);

/* ---------------------------------------------------------------------------------------- */
/* Building records, for readers of other formats                                            */
/*                                                                                           */
/* A reader calls ingest_begin(), then any of ingest_timestamp(), ingest_identifier(),        */
/* ingest_trait(), ingest_measure() and ingest_consent(), then ingest_commit(), stopping at   */
/* the first result that is not INGEST_OK, and finally ingest_tally() with the last result.   */
/* Every problem is reported as "FILE:LINE: ..." the way the CSV path reports it: a value the */
/* normalizer rejects is a warning (INGEST_OK, the value dropped), an invalid or over-long    */
/* value makes the record bad.                                                                */
/* ---------------------------------------------------------------------------------------- */

/** How building a record goes on. */
typedef enum ingest_status {
    INGEST_OK = 0,   /**< go on */
    INGEST_BAD = 1,  /**< the record is bad (reported): skip it */
    INGEST_FATAL = 2 /**< out of memory or the engine is full (reported): stop reading */
} ingest_status;

/** Bytes of a value a message shows before it is cut with "...". */
#define INGEST_SHOW_MAX 60

/** A value as a message shows it: control bytes and bytes that are not UTF-8 as \xNN, at most
 *  INGEST_SHOW_MAX bytes of it (then "..."). */
typedef struct ingest_shown {
    char text[INGEST_SHOW_MAX * 4 + 4];
} ingest_shown;

/** s[0..len) for a message, written into *out. */
const char *ingest_show(ingest_shown *out, const char *s, size_t len);

/** The name of the file being read, as messages give it ("<stdin>" for "-"). */
const char *ingest_path(const ingest *in);

/** Print "FILE:LINE: message" unless this file has had its share of messages. */
void ingest_message(ingest *in, unsigned long line, const char *fmt, ...)
    INGEST_PRINTF_LIKE(3, 4);

/** Count one value dropped with a warning (the caller has printed it). */
void ingest_dropped(ingest *in);

/** Start the record (source, id) of line `line`; `label` names the id in messages. */
ingest_status ingest_begin(ingest *in, unsigned long line, scv_source source, const char *label,
                           const char *id, size_t len);

/** Set the record's time from text (timeparse.h); `label` names it in messages. */
ingest_status ingest_timestamp(ingest *in, unsigned long line, const char *label,
                               const char *text, size_t len);

/** Add an identifier of `kind`; `label` names where it came from in messages. */
ingest_status ingest_identifier(ingest *in, unsigned long line, scv_kind kind, const char *label,
                                const char *value, size_t len);

/** Add a trait (an empty value is no value). */
ingest_status ingest_trait(ingest *in, unsigned long line, const char *name, size_t name_len,
                           const char *value, size_t len);

/** Add a numeric measure. */
ingest_status ingest_measure(ingest *in, unsigned long line, const char *name, size_t name_len,
                             double value);

/** Add a consent decision for `channel`, taken at the record's time. */
ingest_status ingest_consent(ingest *in, unsigned long line, const char *channel, size_t len,
                             int granted);

/**
 * Upsert the record: CSV rows are queued and upserted a batch at a time, Segment events at once.
 * A failed upsert is reported with `line` and counted as a skipped record when it happens;
 * INGEST_FATAL means the reading has stopped (reported).
 */
ingest_status ingest_commit(ingest *in, unsigned long line);

/** Count a record skipped (INGEST_BAD). Records committed are counted once upserted, so
 *  INGEST_OK counts nothing here. */
void ingest_tally(ingest *in, ingest_status status);

#endif
