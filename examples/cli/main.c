/*
 * main.c — the scv program: command line, engine setup and the commands
 *   scv resolve [--region CC] [--measure NAME]... [--out FILE] [rule options] FILE...
 *   scv profiles [same options] FILE...
 *   scv segment --query EXPR [--now T] [same options] FILE...
 *   scv report --html OUT.html [--persona NAME=QUERY]... [--segment NAME=QUERY]... [--now T]
 *              [same options] FILE...
 *   scv normalize KIND [--region CC]
 *   scv --version | --help
 * Reading CSV into the engine is ingest.c (Segment events with --format segment: segment.c);
 * printing results is output.c; the HTML audit report of `scv report` is report.c; the
 * allocator the engine gets (huge pages for its large arrays) is bigalloc.c.
 *
 * Identifiers are hashed under the key in the environment variable SCV_HASH_KEY, or, when it
 * is unset or empty, under the fixed key CLI_DEFAULT_HASH_KEY below, which is public and so
 * gives no pseudonymity: the program's output never shows hashes, and profile ids do not
 * depend on the key.
 *
 * Exit status: 0 on success, 1 when nothing could be read (no file opened, no row ingested)
 * or the program failed (out of memory, output not written), 2 on a usage error (a query that
 * does not compile included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bigalloc.h"
#include "ingest.h"
#include "lifecycle.h"
#include "output.h"
#include "report.h"
#include "rules.h"
#include "scv.h"
#include "segment.h"
#include "timeparse.h"

#define CLI_DEFAULT_HASH_KEY "scv command-line program: built-in, public hash key"
#define CLI_OUTPUT_BUFFER ((size_t)1 << 20)

enum { EXIT_USAGE = 2 };

#ifdef SCV_CLI_HAVE_JANSSON
#define SEGMENT_NOTE ""
#else
#define SEGMENT_NOTE ";\n                  not available in this build (no jansson)"
#endif

static const char usage_text[] =
    "usage: scv resolve [OPTIONS] FILE...\n"
    "       scv profiles [OPTIONS] FILE...\n"
    "       scv segment --query EXPR [--now T] [OPTIONS] FILE...\n"
    "       scv explain [OPTIONS] SOURCE:RECORD_ID SOURCE:RECORD_ID FILE...\n"
    "       scv report --html OUT.html [--persona NAME=QUERY]... [--segment NAME=QUERY]...\n"
    "                  [--now T] [OPTIONS] FILE...\n"
    "       scv normalize KIND [--region CC]\n"
    "       scv --version | --help\n"
    "\n"
    "  resolve    read CSV files of records, resolve them into profiles, print\n"
    "             source,record_id,profile_id per record (first-seen order)\n"
    "  profiles   resolve the same way, print one JSON object per profile (JSON Lines:\n"
    "             records, identifiers, traits with their source, measures, consent)\n"
    "  segment    resolve the same way, print the ids of the profiles matching the\n"
    "             query EXPR, one per line ascending; the count goes to standard error\n"
    "  explain    resolve the same way, print the chain of records and identifiers\n"
    "             that joins the two records, or the rule that keeps them apart\n"
    "  normalize  normalize one value per line of standard input as identifier KIND\n"
    "             (email, phone, customer_id, ...); an empty line where it is rejected\n"
    "\n"
    "  --query EXPR    (segment) e.g. 'sum(order_total, 90d) > 100 and consent(email)\n"
    "                  and not seen(pos)'; terms: count|sum|avg|min|max(MEASURE[, Nd]),\n"
    "                  records, trait(NAME), days_since_first_seen, days_since_last_seen,\n"
    "                  rfm_r, rfm_f, rfm_m compared with = != < <= > >= to a number or\n"
    "                  \"string\"; tests has(KIND), seen(SOURCE), consent(CHANNEL);\n"
    "                  and, or, not, parentheses\n"
    "  --now T         (segment) the time the query is evaluated at, unix seconds or\n"
    "                  ISO 8601 (2025-06-30T12:00:00Z); default: the latest record\n"
    "                  timestamp in the input (0 if none is dated), not the clock, so\n"
    "                  the same input always gives the same result\n"
    "  --format F      input format: csv (the default) or segment: JSON Lines of Segment\n"
    "                  events (identify, track, page, screen, alias, group)" SEGMENT_NOTE "\n"
    "  --source NAME   (--format segment) the source of every event (default web)\n"
    "  --region CC     default phone region, ISO 3166 alpha-2 (e.g. DE)\n"
    "  --measure NAME  read column NAME (segment: property NAME) as a number (repeatable)\n"
    "  --out FILE      write to FILE instead of standard output\n"
    "  --limit KIND=N  at most N values of KIND per profile (repeatable; default none)\n"
    "  --priority KIND,KIND,...\n"
    "                  kind priority, highest first (default customer_id,loyalty_id,\n"
    "                  email,phone,device_id,anonymous_id)\n"
    "  --block KIND=VALUE\n"
    "                  never link VALUE of KIND (repeatable); placeholders such as\n"
    "                  test@test.com, -1 or null are blocked already\n"
    "  --generic-threshold N | KIND=N\n"
    "                  a value shared by more than N customers stops linking (default 10;\n"
    "                  0 turns the rule off)\n"
    "  --delete FILE   after the input, delete the records listed in FILE (CSV with a\n"
    "                  header and columns source,record_id; repeatable)\n"
    "  --erase FILE    then erase every person carrying an identifier listed in FILE (CSV\n"
    "                  kind,value): their records are deleted and their identifiers put\n"
    "                  on the suppression list, so later input cannot bring them back\n"    "  --state FILE    load the engine from FILE when it exists (its rules apply; only\n"
    "                  --block adds to them), apply this run, then write FILE back\n"
    "                  atomically: daily batches continue where the last one stopped, and\n"
    "                  the output covers every record in the state\n"
    "\n";

/* The rest of the help: the input formats (one string would pass C99's 4095 bytes). */
static const char input_text[] =
    "Input: CSV with a header row. Columns source and record_id are required, timestamp\n"
    "(unix seconds or ISO 8601) is optional; a column named after an identifier kind holds\n"
    "identifiers, several in one cell separated by '|'; a column consent_CHANNEL or\n"
    "CHANNEL_consent (e.g. email_consent) holds consent decisions for CHANNEL (granted,\n"
    "yes, true, 1, opt-in, opted_in; denied, no, false, 0, opt-out, opted_out, revoked;\n"
    "empty: none) taken at the record's time; every other column is a trait.\n"
    "Segment input (--format segment; the table is in examples/cli/SEGMENT.md), one event\n"
    "per line: messageId is the record id (required); timestamp, else sentAt, receivedAt,\n"
    "originalTimestamp the time; userId a customer_id; anonymousId and previousId (alias)\n"
    "anonymous_ids; email, phone, loyalty_id/loyaltyId in traits or context.traits are\n"
    "identifiers; context.device.id and .advertisingId device_ids; other traits are traits\n"
    "(nested: address.city; a group call's traits become group.NAME); properties revenue,\n"
    "total, value and --measure names are measures; context.consent.categoryPreferences\n"
    "gives consent per category; type, event (track), name (page, screen), groupId and\n"
    "context.channel become the traits event_type, last_event, page, screen, group_id and\n"
    "channel.\n"
    "FILE '-' is standard input. Bad rows are reported as FILE:LINE on standard error and\n"
    "skipped. Identifiers are hashed under $SCV_HASH_KEY (default: a built-in key).\n";

/* The report command (a string of its own: C99 allows 4095 bytes in one). */
static const char report_text[] =
    "  report     resolve the same way, write an audit of the result as one self-contained\n"
    "             HTML page (profile sizes, largest profiles, generic and blocked values,\n"
    "             merges refused per rule, source overlap, identifier-kind coverage)\n"
    "  --html FILE     (report) where to write the page (required)\n"
    "  --persona NAME=QUERY, --segment NAME=QUERY\n"
    "                  (report) chart persona sizes (first match wins, in the order given)\n"
    "                  and segment sizes; --now as for segment; with --out the assignment\n"
    "                  CSV is written too\n"
    "\n";

/* Print the whole help text. */
static void put_usage(FILE *out) {
    fputs(usage_text, out);
    fputs(report_text, out);
    fputs(input_text, out);
}

/* What run_resolve() prints. */
enum command { CMD_RESOLVE, CMD_PROFILES, CMD_SEGMENT, CMD_EXPLAIN, CMD_REPORT };

/* Options of resolve, profiles and segment. */
struct resolve_args {
    enum command command;
    const char *query;  /* segment: --query */
    const char *now;    /* segment: --now as given, or NULL */
    const char *region;
    const char *format;      /* --format as given, or NULL */
    const char *source;      /* --source as given, or NULL */
    ingest_format input;     /* what --format names */
    scv_source event_source; /* INGEST_SEGMENT: --source, registered */
    const char **measures;   /* points into argv */
    size_t nmeasures;
    const char *out_path;
    const char **files;
    size_t nfiles;
    rule_option *rules; /* --limit, --priority, --block, --generic-threshold in order */
    size_t nrules;
    const char **deletes; /* --delete FILE, applied after the input */
    size_t ndeletes;
    const char **erases;  /* --erase FILE, applied after the deletes */
    size_t nerases;
    const char *explain[2]; /* explain: the two SOURCE:RECORD_ID keys */
    const char *state;      /* --state FILE */
    int state_loaded;       /* the engine came from the state file */
    const char *html;        /* report: --html */
    const char **personas;   /* report: --persona NAME=QUERY, in order */
    size_t npersonas;
    const char **segments;   /* report: --segment NAME=QUERY, in order */
    size_t nsegments;
};

static int usage_error(const char *problem, const char *detail) {
    fprintf(stderr, "scv: %s%s%s\n\n", problem, detail ? " " : "", detail ? detail : "");
    put_usage(stderr);
    return EXIT_USAGE;
}

/*
 * If argv[*i] is the option --name (as "--name VALUE" or "--name=VALUE"), set *value, advance
 * *i past it and return 1; return -1 when its value is missing; 0 when it is another word.
 */
static int take_option(int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0) {
        return 0;
    }
    if (a[2 + n] == '=') {
        *value = a + 3 + n;
        return 1;
    }
    if (a[2 + n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

/* A rule option (--limit, --priority, --block, --generic-threshold) at argv[*i]. */
static int take_rule(int argc, char **argv, int *i, rule_option *rule) {
    static const char *const names[] = {"limit", "priority", "block", "generic-threshold"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *value = NULL;
        int got = take_option(argc, argv, i, names[k], &value);
        if (got == 0) continue;
        if (got > 0) {
            (void)rules_option_name(names[k], &rule->kind);
            rule->text = value;
        }
        return got;
    }
    return 0;
}

static int is_help(const char *a) {
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* parse_resolve_args() result for --help. */
#define ARGS_HELP (-1)

/* A segment-only option (--query, --now) at argv[*i]; as take_option(). */
static int take_segment_option(int argc, char **argv, int *i, struct resolve_args *args) {
    int got;
    if (args->command != CMD_SEGMENT) {
        return 0;
    }
    if ((got = take_option(argc, argv, i, "query", &args->query)) != 0) {
        return got;
    }
    return take_option(argc, argv, i, "now", &args->now);
}

/* A report-only option (--html, --persona, --segment, --now) at argv[*i]; as take_option(). */
static int take_report_option(int argc, char **argv, int *i, struct resolve_args *args) {
    const char *value = NULL;
    int got;
    if (args->command != CMD_REPORT) {
        return 0;
    }
    if ((got = take_option(argc, argv, i, "persona", &value)) > 0) {
        args->personas[args->npersonas++] = value;
    } else if (got == 0 && (got = take_option(argc, argv, i, "segment", &value)) > 0) {
        args->segments[args->nsegments++] = value;
    } else if (got == 0 && (got = take_option(argc, argv, i, "html", &value)) > 0) {
        args->html = value;
    } else if (got == 0) {
        got = take_option(argc, argv, i, "now", &args->now);
    }
    return got;
}

/* Report arguments: --html is required, each --persona/--segment is NAME=QUERY. */
static int check_report_args(const struct resolve_args *args) {
    size_t i;
    if (args->html == NULL) {
        return usage_error("report needs --html OUT.html", NULL);
    }
    for (i = 0; i < args->npersonas; i++) {
        if (!report_named_query_ok(args->personas[i])) {
            return usage_error("--persona expects NAME=QUERY, got", args->personas[i]);
        }
    }
    for (i = 0; i < args->nsegments; i++) {
        if (!report_named_query_ok(args->segments[i])) {
            return usage_error("--segment expects NAME=QUERY, got", args->segments[i]);
        }
    }
    return 0;
}

/* Arguments that go together: segment needs a query, report --html; --now must read. */
static int check_segment_args(const struct resolve_args *args) {
    int64_t t;
    if (args->command == CMD_REPORT && check_report_args(args) != 0) {
        return EXIT_USAGE;
    }
    if (args->command != CMD_SEGMENT && args->command != CMD_REPORT) {
        return 0;
    }
    if (args->command == CMD_SEGMENT && args->query == NULL) {
        return usage_error("segment needs --query EXPR", NULL);
    }
    if (args->now != NULL && !timeparse(args->now, strlen(args->now), &t)) {
        return usage_error("--now is neither unix seconds nor ISO 8601:", args->now);
    }
    return 0;
}

/* --format names a format this program reads; --source goes with --format segment. */
static int check_format_args(struct resolve_args *args) {
    args->input = INGEST_CSV;
    if (args->format != NULL && strcmp(args->format, "segment") == 0) {
        if (!segment_available()) {
            fputs("scv: --format segment is not available: this scv was built without JSON "
                  "support (jansson)\n",
                  stderr);
            return EXIT_USAGE;
        }
        args->input = INGEST_SEGMENT;
    } else if (args->format != NULL && strcmp(args->format, "csv") != 0) {
        return usage_error("unknown --format (csv or segment):", args->format);
    }
    if (args->source != NULL && args->input != INGEST_SEGMENT) {
        return usage_error("--source goes with --format segment (CSV rows name their source)",
                           NULL);
    }
    return 0;
}

/*
 * Parse resolve/profiles/segment arguments (argv[0] is the command; args->command set).
 * Options and files may mix; "--" ends the options. @return 0, ARGS_HELP, 1 when out of
 * memory or EXIT_USAGE (both reported).
 */
static int parse_resolve_args(int argc, char **argv, struct resolve_args *args) {
    int options_done = 0;
    int i;
    args->measures = calloc((size_t)argc, sizeof *args->measures);
    args->files = calloc((size_t)argc, sizeof *args->files);
    args->rules = calloc((size_t)argc, sizeof *args->rules);
    args->deletes = calloc((size_t)argc, sizeof *args->deletes);
    args->erases = calloc((size_t)argc, sizeof *args->erases);
    args->personas = calloc((size_t)argc, sizeof *args->personas);
    args->segments = calloc((size_t)argc, sizeof *args->segments);
    if (args->measures == NULL || args->files == NULL || args->rules == NULL || args->deletes == NULL ||
        args->erases == NULL || args->personas == NULL || args->segments == NULL) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        int got;
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (args->command == CMD_EXPLAIN && args->explain[1] == NULL) {
                if (!lifecycle_is_record_key(a)) return usage_error("expected SOURCE:RECORD_ID, got", a);
                args->explain[args->explain[0] == NULL ? 0 : 1] = a;
                continue;
            }
            args->files[args->nfiles++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (is_help(a)) {
            return ARGS_HELP;
        }
        if ((got = take_option(argc, argv, &i, "region", &value)) != 0) {
            args->region = value;
        } else if ((got = take_option(argc, argv, &i, "format", &value)) != 0) {
            args->format = value;
        } else if ((got = take_option(argc, argv, &i, "source", &value)) != 0) {
            args->source = value;
        } else if ((got = take_option(argc, argv, &i, "out", &value)) != 0) {
            args->out_path = value;
        } else if ((got = take_option(argc, argv, &i, "measure", &value)) != 0) {
            if (got > 0 && (value[0] == '\0' || strlen(value) > SCV_MAX_NAME_LEN)) {
                return usage_error("bad measure name:", value);
            }
            args->measures[args->nmeasures++] = value;
        } else if ((got = take_rule(argc, argv, &i, &args->rules[args->nrules])) != 0) {
            if (got > 0) args->nrules++;
        } else if ((got = take_option(argc, argv, &i, "state", &value)) != 0) {
            args->state = value;
        } else if ((got = take_option(argc, argv, &i, "delete", &value)) != 0) {
            if (got > 0) args->deletes[args->ndeletes++] = value;
        } else if ((got = take_option(argc, argv, &i, "erase", &value)) != 0) {
            if (got > 0) args->erases[args->nerases++] = value;
        } else if ((got = take_segment_option(argc, argv, &i, args)) != 0 ||
                   (got = take_report_option(argc, argv, &i, args)) != 0) {
            /* set */
        } else {
            return usage_error("unknown option", a);
        }
        if (got < 0) {
            return usage_error("missing value for", a);
        }
    }
    if (args->command == CMD_EXPLAIN && args->explain[1] == NULL) {
        return usage_error("explain needs two records, SOURCE:RECORD_ID SOURCE:RECORD_ID", NULL);
    }
    if (args->nfiles == 0 && args->state == NULL) {
        return usage_error("no input files", NULL);
    }
    if ((i = check_format_args(args)) != 0) {
        return i;
    }
    return check_segment_args(args);
}

/* An engine with the region (may be NULL) and hash key, on the program's allocator
 * (bigalloc.h: huge pages for the engine's large arrays); loaded from `state` when that names
 * a file. `lean`: it keeps no identifier values and no change feed (for output that shows
 * neither, and no state to save); else it keeps normalized values and the default feed. */
static int make_engine_from(const char *region, const char *state, int lean, int *loaded,
                            scv_engine **engine) {
    scv_options *opts = NULL;
    const char *key = getenv("SCV_HASH_KEY");
    scv_status st;
    int result = 1;
    if (key == NULL || key[0] == '\0') {
        key = CLI_DEFAULT_HASH_KEY;
    }
    if (scv_options_new(bigalloc_allocator(), &opts) != SCV_OK) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    st = scv_options_set_hash_key(opts, key, strlen(key));
    if (st != SCV_OK) {
        fprintf(stderr, "scv: SCV_HASH_KEY cannot be used: %s\n", scv_status_str(st));
        goto done;
    }
    if (region != NULL) {
        st = scv_options_set_region(opts, region, strlen(region));
        if (st != SCV_OK) {
            result = usage_error("unknown region", region);
            goto done;
        }
    }
    scv_options_set_retain(opts, lean ? SCV_RETAIN_NONE : SCV_RETAIN_NORMALIZED);
    if (lean) {
        (void)scv_options_set_change_capacity(opts, 0);
    }
    if (state != NULL) {
        int r = lifecycle_state_load(opts, state, engine);
        if (r >= 0) {
            *loaded = r == 0;
            result = r;
            goto done;
        }
    }
    st = scv_engine_new(opts, engine);
    if (st != SCV_OK) {
        fprintf(stderr, "scv: cannot create the engine: %s\n", scv_status_str(st));
        goto done;
    }
    result = 0;
done:
    scv_options_free(opts);
    return result;
}

static int make_engine(const char *region, scv_engine **engine) {
    int loaded = 0;
    return make_engine_from(region, NULL, 0, &loaded, engine);
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Open the output (stdout or --out) with a large buffer. */
static FILE *open_output(const char *path) {
    FILE *out = stdout;
    if (path != NULL) {
        out = fopen(path, "wb");
        if (out == NULL) {
            perror(path);
            return NULL;
        }
    }
    setvbuf(out, NULL, _IOFBF, CLI_OUTPUT_BUFFER);
    return out;
}

/* Flush and close the output; report a write error. */
static int close_output(FILE *out, const char *path) {
    int failed = fflush(out) != 0 || ferror(out);
    if (out != stdout && fclose(out) != 0) {
        failed = 1;
    }
    if (failed) {
        fprintf(stderr, "scv: cannot write %s\n", path != NULL ? path : "standard output");
        return 1;
    }
    return 0;
}

static void print_summary(const scv_engine *engine, const ingest_totals *t, double seconds) {
    size_t stored = scv_engine_record_count(engine);
    double rate = seconds > 0 ? (double)t->rows / seconds : 0.0;
    fprintf(stderr, "scv: %llu records", t->rows);
    if (stored != t->rows) {
        fprintf(stderr, " (%lu distinct)", (unsigned long)stored);
    }
    fprintf(stderr, ", %lu profiles, %.3f s, %.0f records/s",
            (unsigned long)scv_engine_profile_count(engine), seconds, rate);
    if (t->bad > 0) {
        fprintf(stderr, ", %llu bad rows", t->bad);
    }
    if (t->dropped > 0) {
        fprintf(stderr, ", %llu rejected values", t->dropped);
    }
    fputc('\n', stderr);
}

/*
 * The source of Segment events: --source lower-cased (default web), registered if new.
 * @return 0, 1 when out of memory, EXIT_USAGE for a name the engine does not accept.
 */
static int event_source(scv_engine *engine, const char *given, scv_source *out) {
    char name[SCV_MAX_NAME_LEN];
    size_t len = given != NULL ? strlen(given) : 0;
    size_t i;
    scv_status st;
    if (given == NULL) {
        *out = SCV_SOURCE_WEB;
        return 0;
    }
    if (len == 0 || len > sizeof name) {
        return usage_error("bad --source name:", given);
    }
    for (i = 0; i < len; i++) {
        char c = given[i];
        name[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    st = scv_engine_source(engine, name, len, out);
    if (st != SCV_OK) {
        st = scv_engine_register_source(engine, name, len, out);
    }
    if (st == SCV_ENOMEM) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    if (st != SCV_OK) {
        fprintf(stderr, "scv: --source %s: %s\n\n", given, scv_engine_errmsg(engine));
        put_usage(stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* Bytes read from the start of a file to learn its mean line length: some hundreds of
 * lines of the usual exports, and nothing next to the time the file takes to read. */
#define SAMPLE_BYTES ((size_t)64 << 10)
/* The mean line length assumed when the sample holds no whole line after the header. */
#define DEFAULT_LINE_BYTES 80
/* No record line is taken to be shorter than this (a cap on the estimate: a sample of short
 * lines followed by long ones must not reserve for millions of records that never come). */
#define MIN_LINE_BYTES 16

/*
 * About how many records the regular file `path` holds: its size divided by the mean length
 * of the lines in its first SAMPLE_BYTES after the header (a record is a line but for quoted
 * line breaks, which are rare). 0 for a file that is not regular or cannot be read.
 */
static uint64_t estimate_records(const char *path) {
    char *sample;
    struct stat st;
    FILE *fp;
    size_t got;
    const char *header_end;
    const char *last;
    const char *p;
    uint64_t lines = 0;
    uint64_t mean = DEFAULT_LINE_BYTES;
    uint64_t body;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (fp = fopen(path, "rb")) == NULL) {
        return 0;
    }
    sample = malloc(SAMPLE_BYTES);
    got = sample != NULL ? fread(sample, 1, SAMPLE_BYTES, fp) : 0;
    fclose(fp);
    header_end = got > 0 ? memchr(sample, '\n', got) : NULL;
    if (header_end == NULL) {
        free(sample);
        return got > 0 ? 1 : 0; /* one line (or a header longer than the sample) */
    }
    body = (uint64_t)st.st_size - (uint64_t)(header_end + 1 - sample);
    last = header_end;
    for (p = header_end + 1; (p = memchr(p, '\n', got - (size_t)(p - sample))) != NULL; p++) {
        lines++;
        last = p;
    }
    if (got < SAMPLE_BYTES) {
        /* The whole file: its lines, and a last one without its line feed. */
        lines += last + 1 < sample + got;
        free(sample);
        return lines;
    }
    if (lines > 0) {
        mean = (uint64_t)(last - header_end) / lines;
    }
    free(sample);
    if (mean < MIN_LINE_BYTES) {
        mean = MIN_LINE_BYTES;
    }
    return body / mean;
}

/* Records in the files, estimated (estimate_records()); 0: none known. */
static uint64_t estimate_for_files(const struct resolve_args *args) {
    uint64_t records = 0;
    for (size_t i = 0; i < args->nfiles; i++) {
        records += estimate_records(args->files[i]);
    }
    return records > SCV_MAX_RECORDS ? SCV_MAX_RECORDS : records;
}

struct reservation {
    scv_engine *engine;
    uint64_t records;
};

/*
 * Make room in the engine for the input, so that its tables are sized once instead of
 * growing (rehashing, copying) during the load. Records: estimate_records() over the files.
 * Identifiers: as many as records. Their count cannot be learnt from a file's start (the
 * values repeat across records of one person), and one per record is where real data falls:
 * the generated 1M-record benchmark holds 1.65 values per record but 0.86 distinct; a CRM
 * export with one row per person, more. The hash tables are sized for at most 3/4 full,
 * so a guess that is somewhat off mostly gives the same table; one too low costs a rehash
 * (and the arrays grow, cheaply: bigalloc.h), one too high only the table's 8 bytes a slot
 * (the arrays are reserved address space, touched only as they fill).
 * Only an estimate; failure is harmless. The worker makes it (ingest_before_upserts) while
 * the reading thread reads the first rows.
 */
static void reserve_for_records(void *ctx) {
    const struct reservation *r = ctx;
    if (r->records > 1000) {
        (void)scv_engine_reserve(r->engine, (size_t)r->records, (size_t)r->records);
    }
}

/* Rows ahead of the reading whose share of the engine's memory is populated beforehand, at
 * the least: the rows queued for the worker are far fewer. */
#define PREFAULT_AHEAD_ROWS 50000

/* Input read before the rows it took say how many the whole input holds. */
#define PREFAULT_SURE_BYTES ((unsigned long long)4 << 20)

/* What prefault_ahead() knows: the records the engine's arrays were reserved for, and the
 * bytes of input (0: not known, as for standard input). */
struct prefault_plan {
    uint64_t expected;
    unsigned long long bytes;
};

/*
 * ingest_set_idle()'s hook: populate the engine's mapped blocks (bigalloc_prefault) as far as
 * the rows read so far and half the input's rows more will fill them. The arrays were
 * reserved for `expected` records and fill about in step with the rows (some end less full,
 * and their populated rest goes unused). Half the input ahead, so that memory is taken early,
 * while a thread waits, and in large steps: the worker then never waits for the kernel, and on
 * this project's VM memory taken early costs far less system time than memory taken as the
 * run goes (tests/bench/README.md, "Machine"): 10M records, 3 runs in turn, 6.98 -> 5.14 s
 * against 50,000 rows ahead. The input's rows are projected from the bytes its rows read so
 * far took, not taken from the estimate the reservation was made with, so that an estimate
 * too high populates no more than 1.5 times what the input needs.
 */
static int prefault_ahead(void *ctx, unsigned long long rows, unsigned long long bytes) {
    const struct prefault_plan *plan = ctx;
    double upto = (double)rows + PREFAULT_AHEAD_ROWS;
    if (plan->bytes > 0 && bytes >= PREFAULT_SURE_BYTES && bytes <= plan->bytes) {
        double input_rows = (double)rows * (double)plan->bytes / (double)bytes;
        if ((double)rows + input_rows / 2 > upto) {
            upto = (double)rows + input_rows / 2;
        }
    }
    return bigalloc_prefault(upto / (double)plan->expected);
}

/* The bytes of the files, or 0 when one is not a regular file (standard input). */
static unsigned long long input_bytes(const struct resolve_args *args) {
    unsigned long long total = 0;
    for (size_t i = 0; i < args->nfiles; i++) {
        struct stat st;
        if (strcmp(args->files[i], "-") == 0 || stat(args->files[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            return 0;
        }
        total += (unsigned long long)st.st_size;
    }
    return total;
}

/* Read every file into the engine. @return 0, 1 when nothing was read or on failure. */
static int read_inputs(scv_engine *engine, const struct resolve_args *args) {
    ingest *in = ingest_new(engine, args->measures, args->nmeasures);
    ingest_totals totals;
    double start = seconds_now();
    uint64_t expected;
    struct prefault_plan plan;
    size_t i;
    if (in == NULL) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    expected = estimate_for_files(args);
    struct reservation reservation = {engine, expected};
    ingest_before_upserts(in, reserve_for_records, &reservation);
    ingest_set_format(in, args->input, args->event_source);
    if (expected > 0) {
        /* Whichever thread waits populates memory the worker will write. */
        plan.expected = expected;
        plan.bytes = input_bytes(args);
        ingest_set_idle(in, prefault_ahead, &plan);
    }
    if (args->command == CMD_RESOLVE && args->state == NULL) {
        ingest_prune_traits(in); /* nothing would read them */
    }
    for (i = 0; i < args->nfiles; i++) {
        if (ingest_file(in, args->files[i]) != 0) {
            ingest_free(in);
            return 1;
        }
    }
    totals = ingest_get_totals(in);
    ingest_free(in);
    if (totals.rows == 0) {
        fputs("scv: no records read\n", stderr);
        return 1;
    }
    print_summary(engine, &totals, seconds_now() - start);
    return 0;
}

/* Print why a query did not compile: the reason, the query's line holding the offset, and a
 * caret under the offending byte (tabs kept, UTF-8 sequences counted as one column). */
static void report_query_error(const scv_engine *engine, scv_status st, const char *query,
                               size_t offset) {
    size_t len = strlen(query);
    const char *msg = scv_engine_errmsg(engine);
    size_t start;
    size_t end;
    size_t i;
    if (offset > len) {
        offset = len;
    }
    fprintf(stderr, "scv: query error at offset %lu: %s\n", (unsigned long)offset,
            msg[0] != '\0' ? msg : scv_status_str(st));
    start = offset;
    while (start > 0 && query[start - 1] != '\n') {
        start--;
    }
    end = offset;
    while (end < len && query[end] != '\n' && query[end] != '\r') {
        end++;
    }
    fprintf(stderr, "  %.*s\n  ", (int)(end - start), query + start);
    for (i = start; i < offset; i++) {
        unsigned char c = (unsigned char)query[i];
        if (c == '\t') {
            fputc('\t', stderr);
        } else if ((c & 0xC0) != 0x80) {
            fputc(' ', stderr);
        }
    }
    fputs("^\n", stderr);
}

/*
 * Compile the segment query. With `defer_unknown`, a kind or source the engine does not know
 * yet (it may come with the data) is not an error: *out is then NULL.
 * @return 0, 1 when out of memory, EXIT_USAGE when the query does not compile (reported).
 */
static int compile_query(scv_engine *engine, const char *text, int defer_unknown,
                         scv_query **out) {
    size_t offset = 0;
    scv_status st = scv_query_compile(engine, text, strlen(text), out, &offset);
    if (st == SCV_OK) {
        return 0;
    }
    *out = NULL;
    if (st == SCV_ENOMEM) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    if (st == SCV_ENOTFOUND && defer_unknown) {
        return 0;
    }
    report_query_error(engine, st, text, offset);
    return EXIT_USAGE;
}

/* The latest record timestamp, or 0 when no record is dated: the default --now. */
static int64_t latest_timestamp(const scv_engine *engine) {
    int64_t latest = SCV_NO_TIMESTAMP;
    scv_record_ref ref = 0;
    while (scv_engine_record_next(engine, ref, &ref) == SCV_OK) {
        int64_t ts = SCV_NO_TIMESTAMP;
        if (scv_engine_record_info(engine, ref, NULL, NULL, NULL, &ts) == SCV_OK &&
            ts != SCV_NO_TIMESTAMP && (latest == SCV_NO_TIMESTAMP || ts > latest)) {
            latest = ts;
        }
    }
    return latest == SCV_NO_TIMESTAMP ? 0 : latest;
}

/* scv segment: compile, evaluate at --now (or the latest record), print the ids.
 * @return 0, 1 on failure, EXIT_USAGE when the query does not compile (all reported). */
static int output_segment(FILE *out, scv_engine *engine, const struct resolve_args *args) {
    scv_query *query = NULL;
    scv_result *result = NULL;
    int64_t now = 0;
    size_t n;
    scv_status st;
    int rc = compile_query(engine, args->query, 0, &query);
    if (rc != 0) {
        return rc;
    }
    if (args->now == NULL || !timeparse(args->now, strlen(args->now), &now)) {
        now = latest_timestamp(engine);
    }
    st = scv_query_eval(query, now, &result);
    scv_query_free(query);
    if (st != SCV_OK) {
        fprintf(stderr, "scv: the query cannot be evaluated: %s\n", scv_status_str(st));
        return 1;
    }
    n = output_result(out, result);
    scv_result_free(result);
    fprintf(stderr, "scv: %lu profiles match\n", (unsigned long)n);
    return 0;
}

/* What the report shows of the command line (the time is set once the input is read). */
static report_input report_input_of(const struct resolve_args *args) {
    report_input in;
    memset(&in, 0, sizeof in);
    in.files = args->files;
    in.nfiles = args->nfiles;
    in.measures = args->measures;
    in.nmeasures = args->nmeasures;
    in.region = args->region;
    in.rules = args->rules;
    in.nrules = args->nrules;
    in.personas = args->personas;
    in.npersonas = args->npersonas;
    in.segments = args->segments;
    in.nsegments = args->nsegments;
    return in;
}

/* scv report: the HTML page, as of --now or the latest record; with --out the assignments
 * too. @return 0, 1, EXIT_USAGE (a query that does not compile). */
static int output_report(FILE *out, scv_engine *engine, const struct resolve_args *args) {
    report_input in = report_input_of(args);
    int rc;
    in.now_given = args->now != NULL && timeparse(args->now, strlen(args->now), &in.now);
    if (!in.now_given) {
        in.now = latest_timestamp(engine);
    }
    if (args->out_path != NULL && output_assignments(out, engine) != 0) {
        return 1;
    }
    rc = report_write(args->html, engine, &in);
    if (rc == 0) {
        fprintf(stderr, "scv: report written to %s\n", args->html);
    }
    return rc;
}

/* What the command prints once the files are read. @return 0, 1, EXIT_USAGE. */
static int output_command(FILE *out, scv_engine *engine, const struct resolve_args *args) {
    switch (args->command) {
    case CMD_PROFILES:
        return output_profiles(out, engine) != 0 ? 1 : 0;
    case CMD_SEGMENT:
        return output_segment(out, engine, args);
    case CMD_REPORT:
        return output_report(out, engine, args);
    case CMD_RESOLVE:
    default:
        return output_assignments(out, engine) != 0 ? 1 : 0;
    }
}

/* Before reading anything: a segment query that cannot compile ends the program at once. */
static int precheck_query(scv_engine *engine, const struct resolve_args *args) {
    scv_query *query = NULL;
    int rc;
    if (args->command == CMD_REPORT) {
        report_input in = report_input_of(args);
        return report_check_queries(engine, &in);
    }
    if (args->command != CMD_SEGMENT) {
        return 0;
    }
    rc = compile_query(engine, args->query, 1, &query);
    scv_query_free(query);
    return rc;
}

/* scv resolve / scv profiles / scv segment */
static int run_resolve(int argc, char **argv, enum command command) {
    struct resolve_args args;
    scv_engine *engine = NULL;
    FILE *out = NULL;
    int result;
    memset(&args, 0, sizeof args);
    args.command = command;
    result = parse_resolve_args(argc, argv, &args);
    if (result == ARGS_HELP) {
        put_usage(stdout);
        result = 0;
        goto done;
    }
    if (result != 0) {
        goto done;
    }
    /* resolve prints no identifier value and reads no change feed, and without --state there
     * is nothing to keep them for: its engine holds hashes only and no feed (less to store
     * per record and identifier). Every other command shows values (profiles, explain,
     * report) or saves them for a later run that may (--state). */
    result = make_engine_from(args.region, args.state, args.command == CMD_RESOLVE && args.state == NULL,
                              &args.state_loaded, &engine);
    if (result == 0) {
        result = args.state_loaded ? rules_apply_to_state(engine, args.rules, args.nrules)
                                   : rules_apply(engine, args.rules, args.nrules);
    }
    if (result == 0 && args.input == INGEST_SEGMENT) {
        result = event_source(engine, args.source, &args.event_source);
    }
    if (result == 0) {
        result = precheck_query(engine, &args);
    }
    if (result != 0) {
        goto done;
    }
    out = open_output(args.out_path);
    if (out == NULL) {
        result = 1;
        goto done;
    }
    result = args.nfiles > 0 ? read_inputs(engine, &args) : 0;
    if (result != 0 && args.state_loaded) result = 0; /* the state alone is input enough */
    for (size_t i = 0; result == 0 && i < args.ndeletes; i++) result = lifecycle_delete(engine, args.deletes[i]);
    for (size_t i = 0; result == 0 && i < args.nerases; i++) result = lifecycle_erase(engine, args.erases[i]);
    if (result == 0 && args.state != NULL) result = lifecycle_state_save(engine, args.state);
    if (result == 0) {
        result = args.command == CMD_EXPLAIN ? lifecycle_explain(out, engine, args.explain[0], args.explain[1])
                                             : output_command(out, engine, &args);
    }
    if (close_output(out, args.out_path) != 0) {
        result = 1;
    }
done:
    scv_engine_free(engine);
    free(args.measures);
    free(args.rules);
    free(args.files);
    free(args.deletes);
    free(args.erases);
    free(args.personas);
    free(args.segments);
    return result;
}

/* Strip a trailing LF or CRLF from line[0..*len). */
static void chomp(const char *line, size_t *len) {
    if (*len > 0 && line[*len - 1] == '\n') {
        (*len)--;
        if (*len > 0 && line[*len - 1] == '\r') {
            (*len)--;
        }
    }
}

/* Print each line of standard input normalized as `kind`, or an empty line. */
static int normalize_lines(scv_engine *engine, scv_kind kind) {
    char normalized[SCV_MAX_NORMALIZED_LEN];
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    FILE *out = open_output(NULL);
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)got;
        size_t out_len = 0;
        scv_status st;
        chomp(line, &len);
        st = scv_engine_normalize(engine, kind, line, len, normalized, sizeof normalized,
                                  &out_len);
        if (st == SCV_ENOMEM) {
            free(line);
            fputs("scv: out of memory\n", stderr);
            return 1;
        }
        if (st == SCV_OK) {
            fwrite(normalized, 1, out_len, out);
        }
        fputc('\n', out);
    }
    free(line);
    return close_output(out, NULL);
}

/* scv normalize KIND [--region CC] */
static int run_normalize(int argc, char **argv) {
    const char *region = NULL;
    const char *kind_name = NULL;
    scv_engine *engine = NULL;
    scv_kind kind;
    char lname[SCV_MAX_NAME_LEN];
    size_t len;
    size_t i;
    int result;
    int k;
    for (k = 1; k < argc; k++) {
        int got;
        if (is_help(argv[k])) {
            put_usage(stdout);
            return 0;
        }
        if ((got = take_option(argc, argv, &k, "region", &region)) != 0) {
            if (got < 0) {
                return usage_error("missing value for", argv[k]);
            }
        } else if (argv[k][0] == '-' && argv[k][1] != '\0') {
            return usage_error("unknown option", argv[k]);
        } else if (kind_name != NULL) {
            return usage_error("unexpected argument", argv[k]);
        } else {
            kind_name = argv[k];
        }
    }
    if (kind_name == NULL) {
        return usage_error("normalize needs an identifier KIND", NULL);
    }
    len = strlen(kind_name);
    if (len == 0 || len > sizeof lname) {
        return usage_error("unknown identifier kind", kind_name);
    }
    for (i = 0; i < len; i++) {
        char c = kind_name[i];
        lname[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    result = make_engine(region, &engine);
    if (result != 0) {
        return result;
    }
    if (scv_engine_kind(engine, lname, len, &kind) != SCV_OK) {
        scv_engine_free(engine);
        return usage_error("unknown identifier kind", kind_name);
    }
    result = normalize_lines(engine, kind);
    scv_engine_free(engine);
    return result;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (cmd == NULL) {
        return usage_error("no command given", NULL);
    }
    if (strcmp(cmd, "resolve") == 0) {
        return run_resolve(argc - 1, argv + 1, CMD_RESOLVE);
    }
    if (strcmp(cmd, "profiles") == 0) {
        return run_resolve(argc - 1, argv + 1, CMD_PROFILES);
    }
    if (strcmp(cmd, "segment") == 0) {
        return run_resolve(argc - 1, argv + 1, CMD_SEGMENT);
    }
    if (strcmp(cmd, "explain") == 0) {
        return run_resolve(argc - 1, argv + 1, CMD_EXPLAIN);
    }
    if (strcmp(cmd, "report") == 0) {
        return run_resolve(argc - 1, argv + 1, CMD_REPORT);
    }
    if (strcmp(cmd, "normalize") == 0) {
        return run_normalize(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("scv %s (library %s)\n", SCV_VERSION_STRING, scv_version_string());
        return 0;
    }
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        put_usage(stdout);
        return 0;
    }
    return usage_error("unknown command", cmd);
}
