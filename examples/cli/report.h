/*
 * report.h — `scv report`: an identity-resolution audit of a resolved engine as one
 * self-contained HTML page (inline CSS, inline SVG charts; no script, font, image or network
 * reference), so it can be mailed, archived or opened offline:
 *
 *   1. header: input files, record/profile/identifier counts, the rules in force, the time
 *      the report is "as of" (--now, default the latest record timestamp: never the clock,
 *      so the same input always gives the same bytes)
 *   2. profile sizes: log2-bucket histogram on a log-scaled axis, p50 / p99 / max marked
 *   3. the 20 largest profiles: records, linking identifiers per kind, unlinked ones, sources
 *   4. generic and blocked values (top 50 each by records) and the suppressed count
 *   5. merges refused per rule, merges and splits (scv_engine_stat)
 *   6. source overlap as a heat map with the numbers in the cells
 *   7. identifier-kind coverage as a bar chart (profiles and % of profiles)
 *   8. persona and segment sizes (--persona NAME=QUERY, --segment NAME=QUERY), when given
 *
 * Every piece of customer data (values, record ids, file names, names) is HTML-escaped.
 */
#ifndef SCV_CLI_REPORT_H
#define SCV_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "scv.h"

/** Number of rows in the largest-profiles table and in each value table. */
#define REPORT_TOP_PROFILES 20
#define REPORT_TOP_VALUES 50

/** What the report shows besides the engine: the command line that produced it. */
typedef struct report_input {
    const char *const *files; /* input files as given */
    size_t nfiles;
    const char *const *measures; /* --measure names */
    size_t nmeasures;
    const char *region;         /* --region, or NULL */
    const rule_option *rules;   /* rule options in order (already applied) */
    size_t nrules;
    const char *const *personas; /* --persona NAME=QUERY, in order */
    size_t npersonas;
    const char *const *segments; /* --segment NAME=QUERY, in order */
    size_t nsegments;
    int64_t now;        /* the time queries are evaluated at, shown as "as of" */
    int now_given;      /* 1 when --now gave it, 0 when it is the latest record timestamp */
} report_input;

/**
 * Whether `text` is NAME=QUERY with a name of 1..SCV_MAX_NAME_LEN bytes and no empty query.
 */
int report_named_query_ok(const char *text);

/**
 * Compile every persona and segment query before any record is read, so a typo ends the
 * program at once. A kind or source the engine does not know yet is not an error here (it
 * may come with the data). @return 0, 1 when out of memory, 2 when a query does not compile
 * (reported on stderr).
 */
int report_check_queries(scv_engine *engine, const report_input *in);

/**
 * Write the report to `path`. Takes a non-const engine because queries are evaluated and
 * profile views brought up to date. @return 0, 1 on failure (out of memory, write error),
 * 2 when a query does not compile (all reported on stderr).
 */
int report_write(const char *path, scv_engine *engine, const report_input *in);

#endif
