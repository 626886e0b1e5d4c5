/*
 * main.c — the scv program: command line, engine setup and the commands
 *   scv resolve [--region CC] [--measure NAME]... [--out FILE] [rule options] FILE...
 *   scv profiles [same options] FILE...
 *   scv normalize KIND [--region CC]
 *   scv --version | --help
 * Reading CSV into the engine is ingest.c; printing results is output.c.
 *
 * Identifiers are hashed under the key in the environment variable SCV_HASH_KEY, or, when it
 * is unset or empty, under the fixed key CLI_DEFAULT_HASH_KEY below, which is public and so
 * gives no pseudonymity: the program's output never shows hashes, and profile ids do not
 * depend on the key.
 *
 * Exit status: 0 on success, 1 when nothing could be read (no file opened, no row ingested)
 * or the program failed (out of memory, output not written), 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "output.h"
#include "rules.h"
#include "scv.h"

#define CLI_DEFAULT_HASH_KEY "scv command-line program: built-in, public hash key"
#define CLI_OUTPUT_BUFFER ((size_t)1 << 20)

enum { EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: scv resolve [OPTIONS] FILE...\n"
    "       scv profiles [OPTIONS] FILE...\n"
    "       scv normalize KIND [--region CC]\n"
    "       scv --version | --help\n"
    "\n"
    "  resolve    read CSV files of records, resolve them into profiles, print\n"
    "             source,record_id,profile_id per record (first-seen order)\n"
    "  profiles   resolve the same way, print one JSON object per profile\n"
    "  normalize  normalize one value per line of standard input as identifier KIND\n"
    "             (email, phone, customer_id, ...); an empty line where it is rejected\n"
    "\n"
    "  --region CC     default phone region, ISO 3166 alpha-2 (e.g. DE)\n"
    "  --measure NAME  read column NAME as a number (repeatable)\n"
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
    "\n"
    "Input: CSV with a header row. Columns source and record_id are required, timestamp\n"
    "(unix seconds or ISO 8601) is optional; a column named after an identifier kind holds\n"
    "identifiers, several in one cell separated by '|'; every other column is a trait.\n"
    "FILE '-' is standard input. Bad rows are reported as FILE:LINE on standard error and\n"
    "skipped. Identifiers are hashed under $SCV_HASH_KEY (default: a built-in key).\n";

/* Options of resolve and profiles. */
struct resolve_args {
    const char *region;
    const char **measures; /* points into argv */
    size_t nmeasures;
    const char *out_path;
    const char **files;
    size_t nfiles;
    rule_option *rules; /* --limit, --priority, --block, --generic-threshold in order */
    size_t nrules;
};

static int usage_error(const char *problem, const char *detail) {
    fprintf(stderr, "scv: %s%s%s\n\n%s", problem, detail ? " " : "", detail ? detail : "",
            usage_text);
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

/*
 * Parse resolve/profiles arguments (argv[0] is the command). Options and files may mix;
 * "--" ends the options. @return 0, ARGS_HELP, 1 when out of memory or EXIT_USAGE (both
 * reported).
 */
static int parse_resolve_args(int argc, char **argv, struct resolve_args *args) {
    int options_done = 0;
    int i;
    args->measures = calloc((size_t)argc, sizeof *args->measures);
    args->files = calloc((size_t)argc, sizeof *args->files);
    args->rules = calloc((size_t)argc, sizeof *args->rules);
    if (args->measures == NULL || args->files == NULL || args->rules == NULL) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        int got;
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
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
        } else if ((got = take_option(argc, argv, &i, "out", &value)) != 0) {
            args->out_path = value;
        } else if ((got = take_option(argc, argv, &i, "measure", &value)) != 0) {
            if (got > 0 && (value[0] == '\0' || strlen(value) > SCV_MAX_NAME_LEN)) {
                return usage_error("bad measure name:", value);
            }
            args->measures[args->nmeasures++] = value;
        } else if ((got = take_rule(argc, argv, &i, &args->rules[args->nrules])) != 0) {
            if (got > 0) args->nrules++;
        } else {
            return usage_error("unknown option", a);
        }
        if (got < 0) {
            return usage_error("missing value for", a);
        }
    }
    if (args->nfiles == 0) {
        return usage_error("no input files", NULL);
    }
    return 0;
}

/* An engine that keeps normalized values, with the region (may be NULL) and hash key. */
static int make_engine(const char *region, scv_engine **engine) {
    scv_options *opts = NULL;
    const char *key = getenv("SCV_HASH_KEY");
    scv_status st;
    int result = 1;
    if (key == NULL || key[0] == '\0') {
        key = CLI_DEFAULT_HASH_KEY;
    }
    if (scv_options_new(NULL, &opts) != SCV_OK) {
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
    scv_options_set_retain(opts, SCV_RETAIN_NORMALIZED);
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

/* Read every file into the engine. @return 0, 1 when nothing was read or on failure. */
static int read_inputs(scv_engine *engine, const struct resolve_args *args) {
    ingest *in = ingest_new(engine, args->measures, args->nmeasures);
    ingest_totals totals;
    double start = seconds_now();
    size_t i;
    if (in == NULL) {
        fputs("scv: out of memory\n", stderr);
        return 1;
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

/* scv resolve / scv profiles */
static int run_resolve(int argc, char **argv, int profiles) {
    struct resolve_args args;
    scv_engine *engine = NULL;
    FILE *out = NULL;
    int result;
    memset(&args, 0, sizeof args);
    result = parse_resolve_args(argc, argv, &args);
    if (result == ARGS_HELP) {
        fputs(usage_text, stdout);
        result = 0;
        goto done;
    }
    if (result != 0) {
        goto done;
    }
    result = make_engine(args.region, &engine);
    if (result != 0) {
        goto done;
    }
    result = rules_apply(engine, args.rules, args.nrules);
    if (result != 0) {
        goto done;
    }
    out = open_output(args.out_path);
    if (out == NULL) {
        result = 1;
        goto done;
    }
    result = read_inputs(engine, &args);
    if (result == 0) {
        result = profiles ? output_profiles(out, engine) : output_assignments(out, engine);
        result = result != 0 ? 1 : 0;
    }
    if (close_output(out, args.out_path) != 0) {
        result = 1;
    }
done:
    scv_engine_free(engine);
    free(args.measures);
    free(args.rules);
    free(args.files);
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
            fputs(usage_text, stdout);
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
        return run_resolve(argc - 1, argv + 1, 0);
    }
    if (strcmp(cmd, "profiles") == 0) {
        return run_resolve(argc - 1, argv + 1, 1);
    }
    if (strcmp(cmd, "normalize") == 0) {
        return run_normalize(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("scv %s (library %s)\n", SCV_VERSION_STRING, scv_version_string());
        return 0;
    }
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    return usage_error("unknown command", cmd);
}
