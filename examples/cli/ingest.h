/*
 * ingest.h — reading record CSV files into an scv engine, for the scv program.
 *
 * A file's header row decides what each column is: `source`, `record_id` and `timestamp`
 * (names compared case-insensitively after trimming white space), a registered identifier
 * kind (the lower-cased name is looked up with scv_engine_kind), one of the measure names
 * given (case-insensitively), a consent column (`consent_CHANNEL` or `CHANNEL_consent`, e.g.
 * `email_consent`; the channel is the lower-cased rest of the name), or else a trait named as
 * written (trimmed). Rows are then upserted in file order through one reused record builder.
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

/** Messages printed per file before the rest are only counted. */
#define INGEST_MAX_MESSAGES 20

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

/** Free an ingest. NULL is a no-op. */
void ingest_free(ingest *in);

/**
 * Read one CSV file ("-" = standard input) and upsert its rows.
 * @return 0 when reading may go on (including when the file could not be opened, or all of
 *         its rows were bad: that was reported), -1 on a failure that should end the program
 *         (out of memory, the engine is full; reported too).
 */
int ingest_file(ingest *in, const char *path);

/** Totals so far. */
ingest_totals ingest_get_totals(const ingest *in);

#endif
