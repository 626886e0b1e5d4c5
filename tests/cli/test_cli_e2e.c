/*
 * test_cli_e2e.c — runs the built scv program (path in SCV_CLI) on small CSV and Segment
 * JSON Lines fixtures it writes into a temporary directory, and on examples/data, and checks
 * what it prints. Tests of --format segment are skipped when SCV_CLI_HAS_SEGMENT is 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "csv.h"
#include "scv.h"

#ifndef SCV_CLI
#error "SCV_CLI must name the scv program"
#endif

static char tmpdir[64];

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A path inside the temporary directory; the caller frees it. */
static char *path_in_tmp(const char *name) {
    size_t n = strlen(tmpdir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", tmpdir, name);
    return p;
}

static char *write_bytes(const char *name, const char *content, size_t len) {
    char *path = path_in_tmp(name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(content, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static char *write_file(const char *name, const char *content) {
    return write_bytes(name, content, strlen(content));
}

/* The whole file as a C string (NULL when it cannot be opened). */
static char *read_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0;
    size_t cap = 0;
    size_t got;
    if (fp == NULL) {
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            cap = cap * 2 + 4096;
            data = realloc(data, cap + 1);
            assert_non_null(data);
        }
        got = fread(data + len, 1, cap - len, fp);
        len += got;
    } while (got > 0);
    fclose(fp);
    data[len] = '\0';
    return data;
}

/* What one run of the program gave. */
struct run {
    int status; /* exit status, or -1 when it did not exit normally */
    char *out;
    char *err;
};

static void run_free(struct run *r) {
    free(r->out);
    free(r->err);
}

/*
 * Run `SCV_CLI ARGS` with the shell (args are pasted as written: quote paths with spaces),
 * standard input from `input_path` (NULL = /dev/null).
 */
static struct run run_scv(const char *input_path, const char *fmt, ...) {
    char args[4096];
    char cmd[8192];
    char *out_path = path_in_tmp("stdout.txt");
    char *err_path = path_in_tmp("stderr.txt");
    struct run r;
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s < '%s' > '%s' 2> '%s'", SCV_CLI, args,
             input_path != NULL ? input_path : "/dev/null", out_path, err_path);
    rc = system(cmd);
    r.status = (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    assert_non_null(r.out);
    assert_non_null(r.err);
    free(out_path);
    free(err_path);
    return r;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (strstr(haystack, needle) == NULL) {
        fail_msg("expected to find\n  %s\nin\n%s", needle, haystack);
    }
}

static void assert_lacks(const char *haystack, const char *needle) {
    if (strstr(haystack, needle) != NULL) {
        fail_msg("expected not to find\n  %s\nin\n%s", needle, haystack);
    }
}

static size_t count_lines(const char *s) {
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Fixtures                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Jane: e-mail in two spellings links C-1 and W-1, the phone in two formats (with region
 * DE) links P-1; Bob: "a|b" cell on C-2 links E-1 by its second address; W,2 is alone. */
static const char people_csv[] =
    "source,record_id,timestamp,email,phone,first_name,order_total\n"
    "crm,C-1,2024-01-01T10:00:00Z,Jane.Doe@Web.de,030 1234567,Jane,10.5\n"
    "web,W-1,1704103200,  jane.doe@web.de ,,,\n"
    "pos,P-1,2024-01-02,,+49 30 1234567,,20\n"
    "crm,C-2,,bob@web.de|b.smith@gmx.de,,Bob,\n"
    "email,E-1,,b.smith@gmx.de,,,\n"
    "web,\"W,2\",,nobody@posteo.de,,,\n";

/* Profile ids are issued in order of creation; a record that joins a profile gets none. */
static const char people_expected[] = "source,record_id,profile_id\n"
                                      "crm,C-1,1\n"
                                      "web,W-1,1\n"
                                      "pos,P-1,1\n"
                                      "crm,C-2,2\n"
                                      "email,E-1,2\n"
                                      "web,\"W,2\",3\n";

/* ---------------------------------------------------------------------------------------- */
/* resolve                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static void resolve_links_records_by_shared_identifiers_in_first_seen_order(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    struct run r = run_scv(NULL, "resolve --region DE --measure order_total '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, people_expected);
    assert_contains(r.err, "scv: 6 records, 3 profiles, ");
    assert_contains(r.err, " records/s");
    run_free(&r);
    free(in);
}

static void resolve_without_region_does_not_link_national_phone_numbers(void **state) {
    (void)state;
    char *in = write_file("phones.csv", "source,record_id,phone\n"
                                        "crm,A,+49 30 1234567\n"
                                        "pos,B,030 1234567\n"
                                        "pos,C,+49 (0)30 1234567\n");
    struct run r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    /* B is rejected without a region: a warning, and B stays on its own. */
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,A,1\npos,B,2\npos,C,1\n");
    assert_contains(r.err, "phones.csv:3: warning: phone '030 1234567': ");
    run_free(&r);
    free(in);
}

static void resolve_reports_bad_rows_with_file_and_line_and_skips_them(void **state) {
    (void)state;
    char *in = write_file("bad.csv", "source,record_id,email,timestamp\n"
                                     "crm,1,a@web.de,\n"
                                     "crm,2,b@web.de\n"          /* too few fields */
                                     "crm,3,\"multi\nline\"x,\n"      /* text after quote */
                                     ",4,c@web.de,\n"            /* empty source */
                                     "crm,,d@web.de,\n"          /* empty record id */
                                     "crm,7,e@web.de,yesterday\n" /* bad timestamp */
                                     "Bad Source!,8,f@web.de,\n" /* invalid source */
                                     "crm,9,a@web.de,1700000000\n");
    struct run r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,1,1\ncrm,9,1\n");
    assert_contains(r.err, "bad.csv:3: expected 4 fields, found 3");
    assert_contains(r.err, "bad.csv:4: text after a closing quote");
    assert_contains(r.err, "bad.csv:6: empty source");
    assert_contains(r.err, "bad.csv:7: empty record_id");
    assert_contains(r.err, "bad.csv:8: bad timestamp 'yesterday'");
    assert_contains(r.err, "bad.csv:9: source 'bad source!'");
    assert_contains(r.err, "6 bad rows");
    run_free(&r);
    free(in);
}

static void resolve_keeps_a_row_whose_identifier_is_rejected(void **state) {
    (void)state;
    char *in = write_file("rejected.csv", "source,record_id,email,customer_id\n"
                                          "crm,1,not-an-email,K1\n"
                                          "web,2,,K1\n");
    struct run r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,1,1\nweb,2,1\n");
    assert_contains(r.err, "rejected.csv:2: warning: email 'not-an-email': ");
    assert_contains(r.err, "1 rejected values");
    assert_lacks(r.err, "bad rows");
    run_free(&r);
    free(in);
}

static void resolve_skips_rows_with_invalid_utf8_or_overlong_values(void **state) {
    (void)state;
    char csv[2048];
    char *in;
    struct run r;
    char long_id[300];
    memset(long_id, 'X', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    snprintf(csv, sizeof csv,
             "source,record_id,email,note\n"
             "crm,1,a@web.de,ok\n"
             "crm,2,\xff@web.de,x\n"
             "crm,3,c@web.de,bad \xc3\x28\n"
             "crm,%s,d@web.de,\n"
             "crm,5,a@web.de,\n",
             long_id);
    in = write_file("utf8.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,1,1\ncrm,5,1\n");
    assert_contains(r.err, "utf8.csv:3: email '\\xff@web.de': ");
    assert_contains(r.err, "utf8.csv:4: note 'bad \\xc3(': ");
    assert_contains(r.err, "utf8.csv:5: record_id 'XXXX");
    assert_contains(r.err, "3 bad rows");
    run_free(&r);
    free(in);
}

/* Standard error without the summary line (it holds the time taken). */
static char *messages_only(const char *err) {
    char *copy = malloc(strlen(err) + 1);
    char *w = copy;
    const char *line = err;
    assert_non_null(copy);
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
        if (strncmp(line, "scv: ", 5) != 0) {
            memcpy(w, line, len);
            w += len;
        }
        line += len;
    }
    *w = '\0';
    return copy;
}

/* resolve keeps no traits (nothing it prints depends on them) but must treat every row as a
 * run that keeps them does (--state): the same rows bad, with the same messages. */
static void resolve_checks_the_traits_it_does_not_keep(void **state) {
    (void)state;
    size_t cap = 3 * (size_t)SCV_MAX_TRAIT_LEN + 1024;
    char *csv = malloc(cap);
    char *w = csv;
    char *in;
    char *state_path = path_in_tmp("traits.state");
    char *kept_msgs, *pruned_msgs;
    struct run pruned, kept;
    assert_non_null(csv);
    w += sprintf(w, "source,record_id,email,note,city\n"
                    "crm,1,a@web.de,ok,M\xc3\xbcnchen\n"      /* UTF-8: kept */
                    "crm,2,a@web.de,bad \xc3\x28,x\n"         /* broken sequence */
                    "crm,3,b@web.de,x,\xed\xa0\x80\n"         /* a surrogate */
                    "crm,4,c@web.de,\"a,\"\"quoted\"\"\xe2\x82\xac\",x\n" /* quoted, UTF-8 */
                    "crm,5,b@web.de,");
    memset(w, 'y', SCV_MAX_TRAIT_LEN + 1); /* one byte too long */
    w += SCV_MAX_TRAIT_LEN + 1;
    w += sprintf(w, ",x\ncrm,6,c@web.de,");
    memset(w, 'z', SCV_MAX_TRAIT_LEN); /* as long as a trait may be */
    w += SCV_MAX_TRAIT_LEN;
    w += sprintf(w, ",\ncrm,7,d@web.de,abcd");
    *w++ = '\0'; /* a NUL byte, in the first eight of the value's bytes */
    w += sprintf(w, "efghijklm,x\n");
    in = write_bytes("traits.csv", csv, (size_t)(w - csv));
    remove(state_path);
    pruned = run_scv(NULL, "resolve '%s'", in);
    kept = run_scv(NULL, "resolve --state '%s' '%s'", state_path, in);
    assert_int_equal(pruned.status, 0);
    assert_int_equal(kept.status, 0);
    assert_string_equal(pruned.out, "source,record_id,profile_id\ncrm,1,1\ncrm,4,2\ncrm,6,2\n");
    assert_string_equal(pruned.out, kept.out);
    assert_contains(pruned.err, "traits.csv:3: note 'bad \\xc3(': ");
    assert_contains(pruned.err, "traits.csv:4: city '\\xed\\xa0\\x80': ");
    assert_contains(pruned.err, "traits.csv:6: note 'yyyy");
    assert_contains(pruned.err, "traits.csv:8: note 'abcd\\x00efghijklm': ");
    assert_contains(pruned.err, "4 bad rows");
    kept_msgs = messages_only(kept.err);
    pruned_msgs = messages_only(pruned.err);
    assert_string_equal(pruned_msgs, kept_msgs);
    free(kept_msgs);
    free(pruned_msgs);
    run_free(&pruned);
    run_free(&kept);
    remove(state_path);
    free(state_path);
    free(in);
    free(csv);
}

/* More field columns than a builder takes: every row that fills them all is bad, pruned or
 * not (the file keeps its traits). */
static void resolve_keeps_the_field_limit_with_pruned_traits(void **state) {
    (void)state;
    size_t ncols = (size_t)SCV_MAX_FIELDS + 1;
    size_t cap = 64 + ncols * 16;
    char *csv = malloc(cap);
    char *w = csv;
    char *in;
    struct run r;
    size_t i;
    assert_non_null(csv);
    w += sprintf(w, "source,record_id,email");
    for (i = 0; i < ncols; i++) w += sprintf(w, ",t%zu", i);
    w += sprintf(w, "\ncrm,1,a@web.de");
    for (i = 0; i < ncols; i++) w += sprintf(w, ",v");
    w += sprintf(w, "\ncrm,2,a@web.de");
    for (i = 0; i < ncols; i++) w += sprintf(w, i == 0 ? ",v" : ",");
    w += sprintf(w, "\n");
    in = write_file("fields.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,2,1\n");
    assert_contains(r.err, "fields.csv:2: ");
    assert_contains(r.err, "1 bad rows");
    run_free(&r);
    free(in);
    free(csv);
}

/* resolve checks a pruned trait's cell a word at a time, short cells as overlapping halves:
 * a bad byte (NUL, a lone continuation or lead byte, 0xFF) at any place of a cell of any
 * length up to twenty bytes makes the row bad, as in a run that keeps traits; a two-byte
 * character anywhere does not. */
static void resolve_checks_every_byte_of_a_pruned_trait(void **state) {
    static const unsigned char bad_bytes[] = {0x00, 0x80, 0xC3, 0xFF};
    size_t cap = 64 * 1024;
    char *csv = malloc(cap);
    char *w = csv;
    char *in;
    char *state_path = path_in_tmp("bytes.state");
    char *kept_msgs, *pruned_msgs;
    char want[64];
    struct run pruned, kept;
    size_t bad = 0, len, at, b;
    int row = 0;
    (void)state;
    assert_non_null(csv);
    w += sprintf(w, "source,record_id,email,note\n");
    for (len = 1; len <= 20; len++) {
        for (at = 0; at < len; at++) {
            for (b = 0; b <= sizeof bad_bytes; b++) {
                if (b == sizeof bad_bytes && at + 1 == len) {
                    continue; /* no room for the two-byte character */
                }
                w += sprintf(w, "crm,%d,a@web.de,", row++);
                memset(w, 'q', len);
                if (b < sizeof bad_bytes) {
                    w[at] = (char)bad_bytes[b];
                    bad++;
                } else {
                    w[at] = '\xc3'; /* U+00FC */
                    w[at + 1] = '\xbc';
                }
                w += len;
                *w++ = '\n';
            }
        }
    }
    in = write_bytes("bytes.csv", csv, (size_t)(w - csv));
    remove(state_path);
    pruned = run_scv(NULL, "resolve '%s'", in);
    kept = run_scv(NULL, "resolve --state '%s' '%s'", state_path, in);
    assert_int_equal(pruned.status, 0);
    assert_string_equal(pruned.out, kept.out);
    assert_int_equal(count_lines(pruned.out), 1 + (size_t)row - bad);
    snprintf(want, sizeof want, "%zu bad rows", bad);
    assert_contains(pruned.err, want);
    kept_msgs = messages_only(kept.err);
    pruned_msgs = messages_only(pruned.err);
    assert_string_equal(pruned_msgs, kept_msgs);
    free(kept_msgs);
    free(pruned_msgs);
    run_free(&pruned);
    run_free(&kept);
    remove(state_path);
    free(state_path);
    free(in);
    free(csv);
}

static void resolve_warns_about_a_measure_that_is_not_a_number(void **state) {
    (void)state;
    char *in = write_file("measures.csv", "source,record_id,email,Order_Total\n"
                                          "pos,1,a@web.de, 12.50 \n"
                                          "pos,2,a@web.de,twelve\n"
                                          "pos,3,a@web.de,\n");
    struct run r = run_scv(NULL, "resolve --measure order_total '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\npos,1,1\npos,2,1\npos,3,1\n");
    assert_contains(r.err, "measures.csv:3: warning: measure order_total 'twelve' is not a number");
    assert_contains(r.err, "1 rejected values");
    assert_lacks(r.err, "measures.csv:2:");
    assert_lacks(r.err, "measures.csv:4:");
    run_free(&r);
    /* Without --measure the column is a trait. */
    r = run_scv(NULL, "profiles '%s'", in);
    assert_contains(r.out, "\"Order_Total\":{\"value\":\"twelve\",\"source\":\"pos\"");
    run_free(&r);
    free(in);
}

static void resolve_registers_new_sources_lower_cased(void **state) {
    (void)state;
    char *in = write_file("sources.csv", "Source,Record_ID,EMAIL\n"
                                         "App,1,x@web.de\n"
                                         "CallCenter,2,X@web.de\n");
    struct run r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\napp,1,1\ncallcenter,2,1\n");
    run_free(&r);
    free(in);
}

/* Sources met before are recognised by their spelling, compared a word at a time (its first
 * and last four bytes, and the rest when longer than eight): spellings alike at both ends or
 * alike but for one byte, of every short length, in both cases, more than are remembered at
 * once, each give their own source on every row. */
static void resolve_tells_apart_sources_spelled_alike(void **state) {
    static const char *const spellings[] = {
        "a", "b", "ab", "ba", "abc", "acb", "abcd", "abce", "abxde", "abyde", "abcdefgh",
        "abcdefgx", "abcdxefgh", "abcdyefgh", "source_one_x_end", "source_one_y_end", "CRM", "Crm",
    };
    size_t nsp = sizeof spellings / sizeof spellings[0];
    char csv[8192];
    char line[64];
    char *w = csv;
    char *in;
    struct run r;
    (void)state;
    w += sprintf(w, "source,record_id,email\n");
    for (size_t i = 0; i < 3 * nsp; i++) {
        w += sprintf(w, "%s,%zu,x%zu@web.de\n", spellings[i % nsp], i, i);
    }
    in = write_file("spellings.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < 3 * nsp; i++) {
        size_t k = 0;
        const char *s = spellings[i % nsp];
        line[k++] = '\n';
        for (; *s != '\0'; s++) {
            line[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
        }
        snprintf(line + k, sizeof line - k, ",%zu,", i);
        assert_contains(r.out, line);
    }
    assert_int_equal(count_lines(r.out), 1 + 3 * nsp);
    run_free(&r);
    free(in);
}

static void resolve_upserts_a_repeated_key_in_file_order(void **state) {
    (void)state;
    char *in = write_file("upsert.csv", "source,record_id,email\n"
                                        "crm,1,a@web.de\n"
                                        "crm,2,a@web.de\n"
                                        "crm,1,b@web.de\n");
    struct run r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    /* Record 1 moved to its own profile; the output has one row per key. */
    assert_int_equal(count_lines(r.out), 3);
    assert_contains(r.out, "crm,1,");
    assert_contains(r.out, "crm,2,");
    assert_contains(r.err, "scv: 3 records (2 distinct), 2 profiles");
    run_free(&r);
    free(in);
}

static void resolve_limits_messages_per_file(void **state) {
    (void)state;
    char csv[4096] = "source,record_id\n";
    char *in;
    struct run r;
    for (int i = 0; i < 25; i++) {
        strcat(csv, "crm\n"); /* one field: wrong number */
    }
    strcat(csv, "crm,ok\n");
    in = write_file("noisy.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "noisy.csv:21: expected 2 fields, found 1");
    assert_lacks(r.err, "noisy.csv:22:");
    assert_contains(r.err, "noisy.csv: 5 more messages not shown");
    assert_contains(r.err, "25 bad rows");
    run_free(&r);
    free(in);
}

/* The profile id printed for the record whose output line starts with `key` ("crm,R3,"). */
static unsigned long profile_in(const char *out, const char *key) {
    size_t n = strlen(key);
    const char *line = out;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, key, n) == 0) {
            return strtoul(line + n, NULL, 10);
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    fail_msg("no output line for %s", key);
    return 0;
}

/* The line numbers of the "FILE:LINE: " messages about `name`, in the order printed. */
static size_t message_lines(const char *err, const char *name, unsigned long *lines, size_t max) {
    size_t n = 0;
    size_t len = strlen(name);
    const char *at = err;
    while (n < max && (at = strstr(at, name)) != NULL) {
        at += len;
        if (*at == ':' && at[1] >= '0' && at[1] <= '9') {
            lines[n++] = strtoul(at + 1, NULL, 10);
        }
    }
    return n;
}

/* A '|' at any place of an identifier cell of any length (around the 8- and 16-byte steps of
 * the scan for one) splits it: the row links to the rows carrying each part alone. The parts
 * of a file are all different (letters before the '|', digits after, by their lengths). */
static void resolve_splits_identifier_cells_at_any_bar(void **state) {
    static const size_t lens[] = {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40};
    char csv[8192];
    char key[32];
    (void)state;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        char *w = csv;
        char *in;
        struct run r;
        unsigned long seen[40];
        w += sprintf(w, "source,record_id,customer_id\n");
        for (size_t p = 0; p < n; p++) {
            char cell[41];
            for (size_t i = 0; i < n; i++) {
                cell[i] = i < p ? (char)('a' + i % 26) : (char)('1' + (i - p) % 9);
            }
            cell[p] = '|';
            cell[n] = '\0';
            w += sprintf(w, "crm,a%zu,%s\n", p, cell);
            if (p > 0) {
                w += sprintf(w, "crm,l%zu,%.*s\n", p, (int)p, cell);
            }
            if (p + 1 < n) {
                w += sprintf(w, "crm,r%zu,%s\n", p, cell + p + 1);
            }
        }
        in = write_file("bars.csv", csv);
        r = run_scv(NULL, "resolve '%s'", in);
        assert_int_equal(r.status, 0);
        for (size_t p = 0; p < n; p++) {
            snprintf(key, sizeof key, "crm,a%zu,", p);
            seen[p] = profile_in(r.out, key);
            for (size_t q = 0; q < p; q++) {
                assert_int_not_equal(seen[p], seen[q]);
            }
            if (p > 0) {
                snprintf(key, sizeof key, "crm,l%zu,", p);
                assert_int_equal(profile_in(r.out, key), seen[p]);
            }
            if (p + 1 < n) {
                snprintf(key, sizeof key, "crm,r%zu,", p);
                assert_int_equal(profile_in(r.out, key), seen[p]);
            }
        }
        run_free(&r);
        free(in);
    }
}

/*
 * Rows are upserted in batches (ingest.c): over a file many batches long, with warnings, bad
 * rows, a new source, a repeated key and a second file, everything must come out as if each
 * row were upserted as soon as it was read: messages in line order (the first 20 shown), the
 * counts, and the partition (a repeated key re-resolved in file order).
 */
static void resolve_keeps_file_order_across_upsert_batches(void **state) {
    (void)state;
    enum { ROWS = 1000 };
    size_t cap = ROWS * 40 + 64;
    char *csv = malloc(cap);
    size_t len;
    char *in;
    char *in2;
    struct run r;
    unsigned long lines[64];
    size_t n;
    size_t k;
    assert_non_null(csv);
    len = (size_t)snprintf(csv, cap, "source,record_id,email\n");
    for (int i = 0; i < ROWS; i++) {
        /* Rows i of one group of three share an e-mail. Line = i + 2. */
        if (i % 50 == 7) {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R%d,bad@\n", i); /* warning */
        } else if (i % 50 == 23) {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R%d\n", i); /* bad row */
        } else if (i == 500) {
            len += (size_t)snprintf(csv + len, cap - len, "POS,P1,u0@web.de\n"); /* new source */
        } else if (i == 990) {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R4,solo@web.de\n"); /* R4 again */
        } else {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R%d,u%d@web.de\n", i, i / 3);
        }
    }
    in = write_file("batches.csv", csv);
    in2 = write_file("batches2.csv", "source,record_id,email\ncrm,X1,u100@web.de\n");
    r = run_scv(NULL, "resolve '%s' '%s'", in, in2);
    assert_int_equal(r.status, 0);

    /* 40 messages (20 warnings, 20 bad rows), the first 20 shown in line order. */
    n = message_lines(r.err, "batches.csv", lines, 64);
    assert_int_equal(n, 20);
    for (k = 0; k < n; k++) {
        unsigned long i = (k / 2) * 50 + (k % 2 == 0 ? 7 : 23);
        assert_int_equal(lines[k], i + 2);
    }
    assert_contains(r.err, "batches.csv:9: warning: email 'bad@'");
    assert_contains(r.err, "batches.csv:25: expected 3 fields, found 2");
    assert_contains(r.err, "batches.csv: 20 more messages not shown");
    assert_contains(r.err, "scv: 981 records (980 distinct)");
    assert_contains(r.err, "20 bad rows, 20 rejected values");

    /* The partition: groups of three, P1 in u0's group, the warned rows alone, R4 moved out
     * of its group by its second row, X1 (second file) in u100's group. */
    assert_int_equal(profile_in(r.out, "crm,R3,"), profile_in(r.out, "crm,R5,"));
    assert_int_not_equal(profile_in(r.out, "crm,R4,"), profile_in(r.out, "crm,R3,"));
    assert_int_equal(profile_in(r.out, "pos,P1,"), profile_in(r.out, "crm,R0,"));
    assert_int_equal(profile_in(r.out, "crm,R6,"), profile_in(r.out, "crm,R8,"));
    assert_int_not_equal(profile_in(r.out, "crm,R7,"), profile_in(r.out, "crm,R6,"));
    assert_int_equal(profile_in(r.out, "crm,X1,"), profile_in(r.out, "crm,R300,"));
    assert_int_equal(profile_in(r.out, "crm,R998,"), profile_in(r.out, "crm,R997,"));
    /* One output line per distinct record, in first-seen order: R4 keeps its place. */
    assert_int_equal(count_lines(r.out), 981);
    assert_true(strstr(r.out, "crm,R4,") < strstr(r.out, "crm,R5,"));
    run_free(&r);
    free(in);
    free(in2);
    free(csv);
}

/* The same over a file whose batches go round the ring of batches in flight several times
 * (6,000 rows; ingest.c takes 512 a batch, four in flight), with a new source half way (its
 * registration waits for the batches before it) and a key repeated near the end. */
static void resolve_keeps_file_order_around_the_batch_ring(void **state) {
    (void)state;
    enum { ROWS = 6000 };
    size_t cap = ROWS * 40 + 64;
    char *csv = malloc(cap);
    size_t len;
    char *in;
    struct run r;
    assert_non_null(csv);
    len = (size_t)snprintf(csv, cap, "source,record_id,email\n");
    for (int i = 0; i < ROWS; i++) {
        if (i == 3000) {
            len += (size_t)snprintf(csv + len, cap - len, "POS,P1,u0@web.de\n"); /* new source */
        } else if (i == 5990) {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R4,solo@web.de\n"); /* R4 again */
        } else {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R%d,u%d@web.de\n", i, i / 3);
        }
    }
    in = write_file("ring.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "scv: 6000 records (5999 distinct)");
    assert_int_equal(count_lines(r.out), 1 + 5999);
    assert_int_equal(profile_in(r.out, "crm,R3,"), profile_in(r.out, "crm,R5,"));
    assert_int_not_equal(profile_in(r.out, "crm,R4,"), profile_in(r.out, "crm,R3,"));
    assert_int_equal(profile_in(r.out, "pos,P1,"), profile_in(r.out, "crm,R0,"));
    assert_int_equal(profile_in(r.out, "crm,R3001,"), profile_in(r.out, "crm,R3002,"));
    assert_int_not_equal(profile_in(r.out, "crm,R3001,"), profile_in(r.out, "crm,R0,"));
    assert_int_equal(profile_in(r.out, "crm,R5997,"), profile_in(r.out, "crm,R5999,"));
    assert_true(strstr(r.out, "crm,R4,") < strstr(r.out, "crm,R5,"));
    assert_true(strstr(r.out, "crm,R2999,") < strstr(r.out, "pos,P1,"));
    assert_true(strstr(r.out, "pos,P1,") < strstr(r.out, "crm,R3001,"));
    run_free(&r);
    free(in);
    free(csv);
}

/* The engine's memory is reserved on the worker thread while the first rows are read
 * (ingest_before_upserts). A file estimated at thousands of records whose rows are nearly all
 * bad queues fewer rows than a batch: they are upserted on the reading thread, after the
 * reservation (test_ingest checks that order itself). */
static void resolve_upserts_after_the_reservation_on_any_thread(void **state) {
    (void)state;
    enum { ROWS = 5000 };
    size_t cap = ROWS * 40 + 64;
    char *csv = malloc(cap);
    size_t len;
    char *in;
    struct run r;
    assert_non_null(csv);
    len = (size_t)snprintf(csv, cap, "source,record_id,email\n");
    for (int i = 0; i < ROWS; i++) {
        if (i % 1000 == 999) {
            len += (size_t)snprintf(csv + len, cap - len, "crm,R%d,same@web.de\n", i);
        } else {
            len += (size_t)snprintf(csv + len, cap - len, "crm,,u%d@web.de\n", i); /* no id: bad */
        }
    }
    in = write_file("mostly-bad.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "scv: 5 records");
    assert_int_equal(count_lines(r.out), 1 + 5);
    assert_int_equal(profile_in(r.out, "crm,R999,"), profile_in(r.out, "crm,R4999,"));
    run_free(&r);
    free(in);
    free(csv);
}

/* Record ids are written quoted when they hold ',' or '"' (checked eight bytes at a time,
 * short ids as two halves: output.c): such a byte at any place of ids of 1 to 20 bytes gets
 * them quoted, '"' doubled; a space or '-' (near those bytes) does not. */
static void resolve_quotes_record_ids_wherever_they_need_it(void **state) {
    static const char marks[] = {',', '"', ' ', '-', '+'};
    size_t cap = 256 * 1024;
    char *csv = malloc(cap), *want = malloc(cap);
    char *w = csv, *x = want;
    char *in;
    struct run r;
    int row = 0;
    (void)state;
    assert_non_null(csv);
    assert_non_null(want);
    w += sprintf(w, "source,record_id,customer_id\n");
    x += sprintf(x, "source,record_id,profile_id\n");
    for (size_t len = 1; len <= 20; len++) {
        for (size_t at = 0; at < len; at++) {
            for (size_t m = 0; m < sizeof marks; m++) {
                char id[24];
                int quoted = marks[m] == ',' || marks[m] == '"';
                for (size_t i = 0; i < len; i++) {
                    id[i] = (char)('a' + (i + (size_t)row) % 26);
                }
                id[at] = marks[m];
                row++;
                /* In the input: quoted, '"' doubled, when it must be. */
                w += sprintf(w, "crm,");
                x += sprintf(x, "crm,");
                if (quoted) {
                    *w++ = '"';
                    *x++ = '"';
                }
                for (size_t i = 0; i < len; i++) {
                    if (id[i] == '"') {
                        *w++ = '"';
                        *x++ = '"';
                    }
                    *w++ = id[i];
                    *x++ = id[i];
                }
                if (quoted) {
                    *w++ = '"';
                    *x++ = '"';
                }
                w += sprintf(w, ",%d\n", row);
                x += sprintf(x, ",%d\n", row);
            }
        }
    }
    *w = '\0';
    *x = '\0';
    in = write_file("quotes.csv", csv);
    r = run_scv(NULL, "resolve '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    run_free(&r);
    free(in);
    free(csv);
    free(want);
}

/* The assignment is written in blocks of 16384 refs made by two threads: many blocks, one of
 * them all deleted and others with gaps, still give every live record once, in order, with
 * its profile id (one to six digits) right. */
static void resolve_writes_every_record_across_output_blocks(void **state) {
    (void)state;
    const size_t n = 7 * 16384 + 100; /* profile ids of up to six digits */
    size_t cap = 64 + n * 48;
    char *csv = malloc(cap), *dels = malloc(cap), *want = malloc(cap);
    char *w = csv, *d = dels, *x = want;
    char *in, *del;
    struct run r;
    assert_non_null(csv);
    assert_non_null(dels);
    assert_non_null(want);
    w += sprintf(w, "source,record_id,email\n");
    d += sprintf(d, "source,record_id\n");
    x += sprintf(x, "source,record_id,profile_id\n");
    for (size_t i = 1; i <= n; i++) {
        /* Gone: record 1, every record of the second block, and one in the third. */
        int gone = i == 1 || (i > 16384 && i <= 2 * 16384) || i == 40000;
        w += sprintf(w, "crm,R%zu,u%zu@web.de\n", i, i);
        if (gone) {
            d += sprintf(d, "crm,R%zu\n", i);
        } else {
            x += sprintf(x, "crm,R%zu,%zu\n", i, i);
        }
    }
    in = write_file("blocks.csv", csv);
    del = write_file("blocks_delete.csv", dels);
    r = run_scv(NULL, "resolve --delete '%s' '%s'", del, in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    run_free(&r);
    free(in);
    free(del);
    free(csv);
    free(dels);
    free(want);
}

static void resolve_fails_when_the_only_file_does_not_exist(void **state) {
    (void)state;
    char *missing = path_in_tmp("does-not-exist.csv");
    struct run r = run_scv(NULL, "resolve '%s'", missing);
    assert_int_not_equal(r.status, 0);
    assert_contains(r.err, "does-not-exist.csv");
    run_free(&r);
    free(missing);
}

static void resolve_succeeds_when_one_of_several_files_is_missing(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    char *missing = path_in_tmp("missing.csv");
    struct run r = run_scv(NULL, "resolve --region DE '%s' '%s'", missing, in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, people_expected);
    assert_contains(r.err, "missing.csv");
    run_free(&r);
    free(in);
    free(missing);
}

static void resolve_fails_when_no_row_could_be_read(void **state) {
    (void)state;
    char *in = write_file("header-only.csv", "source,record_id\n");
    char *nocol = write_file("no-source.csv", "record_id,email\n1,a@web.de\n");
    struct run r = run_scv(NULL, "resolve '%s' '%s'", in, nocol);
    assert_int_not_equal(r.status, 0);
    assert_contains(r.err, "no-source.csv:1: no 'source' column");
    run_free(&r);
    free(in);
    free(nocol);
}

static void resolve_out_writes_the_file(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    char *out = path_in_tmp("assignments.csv");
    struct run r = run_scv(NULL, "resolve --region=DE --out '%s' '%s'", out, in);
    char *written = read_file(out);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_non_null(written);
    assert_string_equal(written, people_expected);
    free(written);
    run_free(&r);
    free(in);
    free(out);
}

static void resolve_reads_standard_input_for_a_dash(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    struct run r = run_scv(in, "resolve --region DE -");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, people_expected);
    run_free(&r);
    free(in);
}

static void resolve_usage_errors_exit_2(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    struct run r = run_scv(NULL, "resolve");
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "usage: scv resolve");
    run_free(&r);
    r = run_scv(NULL, "resolve --frobnicate '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown option --frobnicate");
    run_free(&r);
    r = run_scv(NULL, "resolve --limit bogus=1 '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--limit bogus=1: unknown kind");
    run_free(&r);
    r = run_scv(NULL, "resolve --limit email=x '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve --priority email,email '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve --block email '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve --generic-threshold -3 '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve --region XX '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve '%s' --out", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "frobnicate");
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "");
    assert_int_equal(r.status, 2);
    run_free(&r);
    free(in);
}

/* Two customer numbers sharing a phone (one person entered twice, or two people: only a
 * limit can say), and a third record through C-1's e-mail. */
static const char household_csv[] =
    "source,record_id,customer_id,phone,email\n"
    "crm,C-1,100,030 4455667,anna@web.de\n"
    "crm,C-2,200,+49 30 4455667,\n"
    "pos,P-1,,,anna@web.de\n";

static void resolve_limit_keeps_two_customers_apart(void **state) {
    (void)state;
    char *in = write_file("household.csv", household_csv);
    struct run r = run_scv(NULL, "resolve --region DE '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "crm,C-1,1\ncrm,C-2,1\npos,P-1,1\n");
    run_free(&r);
    r = run_scv(NULL, "resolve --region DE --limit customer_id=1 '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "crm,C-1,1\ncrm,C-2,2\npos,P-1,1\n");
    run_free(&r);
    free(in);
}

static void resolve_block_and_priority_options_apply(void **state) {
    (void)state;
    char *in = write_file("household.csv", household_csv);
    struct run r = run_scv(NULL, "resolve --region DE --block 'phone=030 4455667' '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "crm,C-1,1\ncrm,C-2,2\npos,P-1,1\n");
    run_free(&r);
    r = run_scv(NULL, "resolve --region DE --limit customer_id=1 --priority phone,email,customer_id '%s'", in);
    assert_int_equal(r.status, 0);
    /* customer_id now ranks lowest: C-2 gives up its customer_id and joins through the phone. */
    assert_contains(r.out, "crm,C-1,1\ncrm,C-2,1\npos,P-1,1\n");
    run_free(&r);
    free(in);
}

static void resolve_generic_threshold_option_sets_the_rule(void **state) {
    (void)state;
    char csv[4096] = "source,record_id,loyalty_id,phone\n";
    for (int i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "pos,T-%d,L%d,030 23125100\n", i, i);
        strcat(csv, line);
    }
    char *in = write_file("store.csv", csv);
    struct run r = run_scv(NULL, "resolve --region DE '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "pos,T-3,1\n"); /* 4 customers: below the default threshold */
    run_free(&r);
    r = run_scv(NULL, "resolve --region DE --generic-threshold phone=3 '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "pos,T-3,4\n"); /* more than 3: the phone stops linking */
    run_free(&r);
    free(in);
}

static const char chain_csv[] =
    "source,record_id,email,loyalty_id,phone\n"
    "crm,C-1,ann@web.de,,\n"
    "web,W-1,ann@web.de,L7,\n"
    "pos,P-1,,L7,030 5556677\n"
    "pos,P-2,,,030 5556677\n";

static void delete_option_removes_records_and_splits(void **state) {
    (void)state;
    char *in = write_file("chain.csv", chain_csv);
    char *del = write_file("delete.csv", "source,record_id\nweb,W-1\nweb,nope\n");
    struct run r = run_scv(NULL, "resolve --region DE --delete '%s' '%s'", del, in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,C-1,1\npos,P-1,2\npos,P-2,2\n");
    assert_contains(r.err, "no record web:nope");
    assert_contains(r.err, "1 records deleted, 1 not found");
    run_free(&r);
    free(in);
    free(del);
}

static void erase_option_removes_the_person_and_suppresses_replays(void **state) {
    (void)state;
    char *in = write_file("chain.csv", chain_csv);
    char *er = write_file("erase.csv", "kind,value\nemail,ANN@web.de\n");
    /* The whole chain is one person: every record goes. */
    struct run r = run_scv(NULL, "profiles --region DE --erase '%s' '%s'", er, in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "4 records erased");
    run_free(&r);
    free(in);
    free(er);
}

/* resolve without --state runs an engine of hashes only; with --state one that keeps values.
 * Every option that acts on identifiers must give the same partition in both. */
static void resolve_needs_no_identifier_values(void **state) {
    (void)state;
    char *in = write_file("chain.csv", chain_csv);
    char *er = write_file("erase.csv", "kind,value\nphone,+49 30 5556677\n");
    char *del = write_file("delete.csv", "source,record_id\nweb,W-1\n");
    char *state_path = path_in_tmp("values.state");
    static const char *const options[] = {
        "", "--erase '%s'", "--delete '%s'", "--block email=ann@web.de", "--limit phone=1",
        "--generic-threshold 1"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        char opt[1024];
        struct run hashes, values;
        snprintf(opt, sizeof opt, options[i], i == 1 ? er : del);
        remove(state_path);
        hashes = run_scv(NULL, "resolve --region DE %s '%s'", opt, in);
        values = run_scv(NULL, "resolve --region DE --state '%s' %s '%s'", state_path, opt, in);
        assert_int_equal(hashes.status, 0);
        assert_int_equal(values.status, 0);
        assert_string_equal(hashes.out, values.out);
        run_free(&hashes);
        run_free(&values);
    }
    remove(state_path);
    free(state_path);
    free(in);
    free(er);
    free(del);
}

static void explain_prints_the_chain_or_the_reason(void **state) {
    (void)state;
    char *in = write_file("chain.csv", chain_csv);
    struct run r = run_scv(NULL, "explain --region DE crm:C-1 pos:P-2 '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "crm:C-1 and pos:P-2 are in profile 1, joined by:\n  crm:C-1\n    -- email ann@web.de (links) -->\n"
                           "  web:W-1\n    -- loyalty_id l7 (links) -->\n  pos:P-1\n    -- phone +49305556677 (links) -->\n  pos:P-2\n");
    run_free(&r);
    r = run_scv(NULL, "explain --region DE --block phone=0305556677 pos:P-1 pos:P-2 '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "are not in one profile: the chain goes through a blocked value:");
    run_free(&r);
    r = run_scv(NULL, "explain --region DE crm:C-1 pos:nope '%s'", in);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "no record pos:nope");
    run_free(&r);
    r = run_scv(NULL, "explain --region DE crm:C-1 '%s'", in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    free(in);
}

static void state_file_carries_the_engine_between_runs(void **state) {
    (void)state;
    char *day1 = write_file("day1.csv", "source,record_id,email,phone\ncrm,C-1,ann@web.de,\npos,P-1,,030 5556677\n");
    char *day2 = write_file("day2.csv", "source,record_id,email,phone\nweb,W-1,ann@web.de,030 5556677\n");
    char *st = path_in_tmp("engine.state");
    remove(st);
    struct run r = run_scv(NULL, "resolve --region DE --state '%s' '%s'", st, day1);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,C-1,1\npos,P-1,2\n");
    run_free(&r);
    /* Day two: the bridge arrives; the output covers every record in the state. */
    r = run_scv(NULL, "resolve --state '%s' '%s'", st, day2);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,C-1,1\npos,P-1,1\nweb,W-1,1\n");
    assert_contains(r.err, "state");
    run_free(&r);
    /* No input at all: the state is printed as it is; rule options other than --block are ignored. */
    r = run_scv(NULL, "resolve --limit email=1 --state '%s'", st);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\ncrm,C-1,1\npos,P-1,1\nweb,W-1,1\n");
    assert_contains(r.err, "ignored");
    run_free(&r);
    /* Erase, then replay day one: she does not come back. */
    char *er = write_file("erase.csv", "kind,value\nemail,ann@web.de\n");
    r = run_scv(NULL, "resolve --state '%s' --erase '%s'", st, er);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "source,record_id,profile_id\n");
    run_free(&r);
    r = run_scv(NULL, "resolve --region DE --state '%s' '%s' '%s'", st, day1, day2);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "crm,C-1,");
    assert_lacks(r.out, "crm,C-1,1\n"); /* a new profile, joined with nobody by her e-mail */
    run_free(&r);
    char *junk = write_file("junk.state", "not a snapshot");
    r = run_scv(NULL, "resolve --state '%s' '%s'", junk, day1);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "not a usable state");
    run_free(&r);
    free(day1);
    free(day2);
    free(st);
    free(er);
    free(junk);
}

static void version_and_help_exit_0(void **state) {
    (void)state;
    struct run r = run_scv(NULL, "--version");
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "scv 0.");
    run_free(&r);
    r = run_scv(NULL, "--help");
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "usage: scv resolve");
    run_free(&r);
    r = run_scv(NULL, "resolve --help");
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "--measure NAME");
    run_free(&r);
    r = run_scv(NULL, "segment --help");
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "scv segment --query EXPR [--now T]");
    assert_contains(r.out, "default: the latest record");
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* normalize                                                                                 */
/* ---------------------------------------------------------------------------------------- */

static void normalize_email_prints_one_line_per_value(void **state) {
    (void)state;
    char *in = write_file("emails.txt", "  Jane.Doe@WEB.DE \n"
                                        "not-an-email\r\n"
                                        "\n"
                                        "bob@gmx.de");
    struct run r = run_scv(in, "normalize email");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "jane.doe@web.de\n\n\nbob@gmx.de\n");
    run_free(&r);
    free(in);
}

static void normalize_phone_uses_the_region(void **state) {
    (void)state;
    char *in = write_file("phones.txt", "030 1234567\n+49 (0)30 1234567\n");
    struct run r = run_scv(in, "normalize phone --region DE");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "+49301234567\n+49301234567\n");
    run_free(&r);
    free(in);
}

static void normalize_unknown_kind_exits_2(void **state) {
    (void)state;
    struct run r = run_scv(NULL, "normalize shoe_size");
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown identifier kind shoe_size");
    run_free(&r);
    r = run_scv(NULL, "normalize");
    assert_int_equal(r.status, 2);
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* profiles                                                                                  */
/* ---------------------------------------------------------------------------------------- */

static void profiles_prints_one_json_object_per_profile(void **state) {
    (void)state;
    char *in = write_file("people.csv", people_csv);
    struct run r = run_scv(NULL, "profiles --region DE --measure order_total '%s'", in);
    char *line;
    char *save = NULL;
    int n = 0;
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 3);
    for (line = strtok_r(r.out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        n++;
        assert_true(strncmp(line, "{\"profile_id\":", 14) == 0);
        assert_int_equal(line[strlen(line) - 1], '}');
        assert_contains(line, ",\"records\":[{\"source\":");
        assert_contains(line, ",\"identifiers\":[");
        assert_contains(line, ",\"traits\":{");
        assert_contains(line, ",\"measures\":{");
        assert_contains(line, ",\"consent\":{");
    }
    assert_int_equal(n, 3);
    run_free(&r);
    r = run_scv(NULL, "profiles --region DE --measure order_total '%s'", in);
    assert_contains(r.out, "{\"profile_id\":1,\"first_seen\":1704103200,\"last_seen\":1704153600,"
                           "\"sources\":[\"crm\",\"web\",\"pos\"],"
                           "\"records\":[{\"source\":\"crm\",\"record_id\":\"C-1\","
                           "\"timestamp\":1704103200},{\"source\":\"web\",\"record_id\":\"W-1\",");
    assert_contains(r.out,
                    "{\"kind\":\"email\",\"value\":\"jane.doe@web.de\",\"state\":\"linked\"}");
    assert_contains(r.out, "{\"kind\":\"phone\",\"value\":\"+49301234567\",\"state\":\"linked\"}");
    /* traits carry the record they came from */
    assert_contains(r.out, "\"traits\":{\"first_name\":{\"value\":\"Jane\",\"source\":\"crm\","
                           "\"record_id\":\"C-1\"}}");
    assert_contains(r.out, "{\"source\":\"web\",\"record_id\":\"W,2\",\"timestamp\":null}");
    /* order_total is a measure, not a trait: 10.5 on C-1 and 20 on P-1 */
    assert_contains(r.out, "\"measures\":{\"order_total\":{\"count\":2,\"sum\":30.5,\"avg\":15.25,"
                           "\"min\":10.5,\"max\":20,\"first\":1704103200,\"last\":1704153600}}");
    assert_lacks(r.out, "\"order_total\":{\"value\"");
    run_free(&r);
    free(in);
}

static void profiles_escapes_json_strings(void **state) {
    (void)state;
    char *in = write_file("escape.csv", "source,record_id,note\n"
                                        "crm,\"q\"\"1\",\"back\\slash\ttab\nnewline \xC3\xBC\"\n");
    struct run r = run_scv(NULL, "profiles '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "\"record_id\":\"q\\\"1\"");
    assert_contains(r.out,
                    "\"note\":{\"value\":\"back\\\\slash\\u0009tab\\u000anewline \xC3\xBC\"");
    run_free(&r);
    free(in);
}

/* ---------------------------------------------------------------------------------------- */
/* segment and consent columns                                                               */
/* ---------------------------------------------------------------------------------------- */

/* Four customers (profiles 1..4 in this order: a, b, c, d). Consent in two column spellings;
 * the latest timestamp is 2025-03-01T00:00:00Z = 1740787200. */
static const char shop_csv[] =
    "source,record_id,timestamp,email,order_total,email_consent,city,Consent_SMS\n"
    "crm,C-1,2025-01-01T00:00:00Z,a@web.de,,granted,Berlin, Opted_In \n"
    "pos,P-1,2025-01-10T00:00:00Z,a@web.de,120,,,\n"
    "pos,P-2,2025-03-01T00:00:00Z,a@web.de,30,,,\n"
    "crm,C-2,2025-01-05T00:00:00Z,b@web.de,,denied,Hamburg,maybe\n"
    "pos,P-3,2025-02-20T00:00:00Z,b@web.de,200,,,\n"
    "web,W-1,1740787200,c@web.de,,YES,,\n"
    "pos,P-4,2024-06-01T00:00:00Z,c@web.de,500,,,\n"
    "email,E-1,2025-02-01T00:00:00Z,d@web.de,,opt-out,,\n";

/* `scv segment --measure order_total --query 'QUERY' EXTRA shop.csv` */
static struct run run_segment(const char *in, const char *query, const char *extra) {
    return run_scv(NULL, "segment --measure order_total --query '%s' %s '%s'", query, extra, in);
}

static void segment_prints_matching_profile_ids_ascending(void **state) {
    (void)state;
    char *in = write_file("shop.csv", shop_csv);
    struct run r = run_segment(in, "sum(order_total) > 100", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n2\n3\n");
    assert_contains(r.err, "scv: 8 records, 4 profiles, ");
    assert_contains(r.err, "scv: 3 profiles match\n");
    run_free(&r);
    r = run_segment(in, "sum(order_total) > 100 AND not seen(web) and trait(city) != \"Hamburg\"",
                    "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    assert_contains(r.err, "scv: 1 profiles match\n");
    run_free(&r);
    r = run_segment(in,
                    "records >= 2 and (max(order_total) >= 500 or has(email) and "
                    "count(order_total) = 2)",
                    "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n3\n");
    run_free(&r);
    /* nothing matches: no lines, still success */
    r = run_segment(in, "sum(order_total) > 100000", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "scv: 0 profiles match\n");
    run_free(&r);
    free(in);
}

static void segment_now_accepts_unix_seconds_and_iso_8601(void **state) {
    (void)state;
    char *in = write_file("shop.csv", shop_csv);
    /* default now = the latest record (2025-03-01): P-2 and P-3 are within 30 days */
    struct run r = run_segment(in, "sum(order_total, 30d) > 0", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n2\n");
    run_free(&r);
    /* 2025-01-15: only P-1 (2025-01-10) is within 30 days */
    r = run_segment(in, "sum(order_total, 30d) > 0", "--now 2025-01-15");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    run_free(&r);
    r = run_segment(in, "sum(order_total, 30d) > 0", "--now=1736899200");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    run_free(&r);
    r = run_segment(in, "days_since_last_seen > 300", "--now 2026-01-01T00:00:00+01:00");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n2\n3\n4\n");
    run_free(&r);
    r = run_segment(in, "days_since_last_seen < 1", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n3\n");
    run_free(&r);
    r = run_segment(in, "records > 0", "--now yesterday");
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--now is neither unix seconds nor ISO 8601: yesterday");
    run_free(&r);
    free(in);
}

static void segment_query_errors_exit_2_with_the_offset(void **state) {
    (void)state;
    char *in = write_file("shop.csv", shop_csv);
    struct run r = run_segment(in, "sum(order_total > 100", "");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "scv: query error at offset 16: ");
    assert_contains(r.err, "\n  sum(order_total > 100\n                  ^\n");
    /* a syntax error is found before any file is read */
    assert_lacks(r.err, "records,");
    run_free(&r);
    r = run_segment(in, "records >> 1", "");
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "scv: query error at offset 9: ");
    run_free(&r);
    /* a source is known only once the data is read: checked then */
    r = run_segment(in, "seen(shop)", "");
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "scv: query error at offset ");
    assert_contains(r.err, "\n  seen(shop)\n  ");
    assert_contains(r.err, "scv: 8 records, 4 profiles, ");
    run_free(&r);
    r = run_segment(in, "seen(pos) and not seen(crm)", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "3\n");
    run_free(&r);
    r = run_scv(NULL, "segment '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "segment needs --query EXPR");
    run_free(&r);
    r = run_scv(NULL, "resolve --query 'records > 1' '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown option --query");
    run_free(&r);
    free(in);
}

static void consent_columns_give_consent_per_channel(void **state) {
    (void)state;
    char *in = write_file("shop.csv", shop_csv);
    struct run r = run_segment(in, "consent(email)", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n3\n"); /* granted, YES; denied and opt-out are not */
    assert_contains(r.err, "shop.csv:5: warning: consent sms 'maybe' is neither granted nor "
                           "denied; ignored");
    assert_contains(r.err, "1 rejected values");
    run_free(&r);
    r = run_segment(in, "consent(sms) or not consent(email) and seen(email)", "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n4\n");
    run_free(&r);
    r = run_scv(NULL, "profiles --measure order_total '%s'", in);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 4);
    assert_contains(r.out, "\"consent\":{\"email\":{\"granted\":true,\"timestamp\":1735689600},"
                           "\"sms\":{\"granted\":true,\"timestamp\":1735689600}}}\n");
    assert_contains(r.out,
                    "\"consent\":{\"email\":{\"granted\":false,\"timestamp\":1736035200}}}\n");
    /* consent columns are not traits */
    assert_lacks(r.out, "\"email_consent\"");
    assert_lacks(r.out, "\"Consent_SMS\"");
    assert_contains(r.out, "\"measures\":{\"order_total\":{\"count\":2,\"sum\":150,\"avg\":75,"
                           "\"min\":30,\"max\":120,\"first\":1736467200,\"last\":1740787200}}");
    run_free(&r);
    free(in);
}

static void consent_values_are_read_in_every_spelling(void **state) {
    (void)state;
    static const char *const granted[] = {"granted", "YES", " true ", "1", "Opt-In", "opted_in"};
    static const char *const denied[] = {"denied", "no", "FALSE", "0", "opt-out", "Opted_Out",
                                         "revoked"};
    char csv[2048] = "source,record_id,consent_push\n";
    char line[64];
    int n = 0;
    for (size_t i = 0; i < sizeof granted / sizeof *granted; i++) {
        snprintf(line, sizeof line, "app,G%zu,%s\n", i, granted[i]);
        strcat(csv, line);
    }
    for (size_t i = 0; i < sizeof denied / sizeof *denied; i++) {
        snprintf(line, sizeof line, "app,D%zu,%s\n", i, denied[i]);
        strcat(csv, line);
    }
    strcat(csv, "app,N0,\napp,N1,perhaps\n");
    char *in = write_file("push.csv", csv);
    struct run r = run_scv(NULL, "segment --query 'consent(push)' '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n2\n3\n4\n5\n6\n");
    assert_contains(r.err, "push.csv:16: warning: consent push 'perhaps'");
    run_free(&r);
    r = run_scv(NULL, "profiles '%s'", in);
    for (const char *p = r.out; (p = strstr(p, "\"push\":{\"granted\":false")) != NULL; p++) {
        n++;
    }
    assert_int_equal(n, 7);
    run_free(&r);
    free(in);
}

/* ---------------------------------------------------------------------------------------- */
/* --format segment                                                                          */
/* ---------------------------------------------------------------------------------------- */

#ifndef SCV_CLI_HAS_SEGMENT
#error "SCV_CLI_HAS_SEGMENT must say whether the program reads --format segment (0 or 1)"
#endif

/* A test of --format segment is skipped when the program was built without jansson. */
#define REQUIRE_SEGMENT()                                                                      \
    do {                                                                                       \
        if (!SCV_CLI_HAS_SEGMENT) {                                                            \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* Jane: m1 (identify: userId u-1, anonymousId anon-1, traits.email, consent), m2 (an
 * anonymous order, alone until) m3 (alias anon-2 -> u-1), m4 (context.traits.email in
 * another spelling). Bob: m5 (screen with device DEV-1) and m6 (device dev-1, userId u-2,
 * dated by sentAt), m7 (group: the group's e-mail is Jane's, and must not link). m10: the
 * rejected e-mail is a warning, the all-zero advertising id is blocked. Lines 8, 9, 12 and 13
 * are bad; line 11 is blank. */
static const char events_jsonl[] =
    "{\"type\":\"identify\",\"messageId\":\"m1\",\"timestamp\":\"2025-03-01T10:00:00Z\","
    "\"anonymousId\":\"anon-1\",\"userId\":\"u-1\",\"traits\":{\"email\":\"Jane.Doe@Web.de\","
    "\"firstName\":\"Jane\",\"address\":{\"city\":\"K\xC3\xB6ln\",\"zip\":50667},"
    "\"tags\":[\"a\",\"b\"]},\"context\":{\"channel\":\"browser\",\"consent\":"
    "{\"categoryPreferences\":{\"Email\":true,\"Advertising\":false}}}}\n"
    "{\"type\":\"track\",\"messageId\":\"m2\",\"timestamp\":\"2025-03-02T10:00:00Z\","
    "\"anonymousId\":\"anon-2\",\"event\":\"Order Completed\",\"properties\":{\"revenue\":120.5,"
    "\"total\":\"130\",\"items\":2,\"currency\":\"EUR\"}}\n"
    "{\"type\":\"alias\",\"messageId\":\"m3\",\"timestamp\":\"2025-03-03T10:00:00Z\","
    "\"previousId\":\"anon-2\",\"userId\":\"u-1\"}\n"
    "{\"type\":\"page\",\"messageId\":\"m4\",\"timestamp\":\"2025-03-04T10:00:00Z\","
    "\"anonymousId\":\"anon-3\",\"name\":\"Home\",\"context\":{\"traits\":"
    "{\"email\":\"jane.doe@web.de\"}}}\n"
    "{\"type\":\"screen\",\"messageId\":\"m5\",\"timestamp\":\"2025-03-04T11:00:00Z\","
    "\"anonymousId\":\"anon-4\",\"name\":\"Cart\",\"context\":{\"device\":{\"id\":\"DEV-1\","
    "\"advertisingId\":\"00000000-0000-0000-0000-000000000000\"}}}\n"
    "{\"type\":\"track\",\"messageId\":\"m6\",\"sentAt\":\"2025-03-05T10:00:00Z\","
    "\"userId\":\"u-2\",\"event\":\"Order Completed\",\"properties\":{\"revenue\":40},"
    "\"context\":{\"device\":{\"id\":\"dev-1\"}}}\n"
    "{\"type\":\"group\",\"messageId\":\"m7\",\"timestamp\":\"2025-03-05T11:00:00Z\","
    "\"userId\":\"u-2\",\"groupId\":\"g-1\",\"traits\":{\"name\":\"ACME\","
    "\"email\":\"jane.doe@web.de\"}}\n"
    "{\"type\":\"track\",\"messageId\":\"m8\",\"event\":\n"
    "{\"type\":\"identify\",\"anonymousId\":\"anon-1\",\"traits\":{\"email\":\"x@web.de\"}}\n"
    "{\"type\":\"identify\",\"messageId\":\"m10\",\"timestamp\":\"2025-03-06T10:00:00Z\","
    "\"anonymousId\":\"anon-5\",\"traits\":{\"email\":\"jane@\"},\"context\":{\"device\":"
    "{\"advertisingId\":\"00000000-0000-0000-0000-000000000000\"}}}\n"
    "  \n"
    "{\"type\":\"batch\",\"messageId\":\"m12\"}\n"
    "[1,2]\n";

static const char events_expected[] = "source,record_id,profile_id\n"
                                      "web,m1,1\n"
                                      "web,m2,1\n"
                                      "web,m3,1\n"
                                      "web,m4,1\n"
                                      "web,m5,3\n"
                                      "web,m6,3\n"
                                      "web,m7,3\n"
                                      "web,m10,4\n";

static void segment_format_joins_aliases_emails_and_devices(void **state) {
    (void)state;
    char *in;
    struct run r;
    REQUIRE_SEGMENT();
    in = write_file("events.jsonl", events_jsonl);
    r = run_scv(NULL, "resolve --format segment '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, events_expected);
    assert_contains(r.err, "scv: 8 records, 3 profiles, ");
    assert_contains(r.err, "events.jsonl:8: invalid JSON: ");
    assert_contains(r.err, "events.jsonl:9: no messageId\n");
    assert_contains(r.err, "events.jsonl:10: warning: traits.email 'jane@': ");
    assert_contains(r.err, "events.jsonl:12: unknown type 'batch'");
    assert_contains(r.err, "events.jsonl:13: not a JSON object\n");
    assert_lacks(r.err, "events.jsonl:11:");
    assert_contains(r.err, ", 4 bad rows, 1 rejected values\n");
    run_free(&r);
    /* the same from standard input, and with --format=segment */
    r = run_scv(in, "resolve --format=segment -");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, events_expected);
    assert_contains(r.err, "<stdin>:9: no messageId\n");
    run_free(&r);
    free(in);
}

static void segment_format_profiles_show_traits_measures_and_consent(void **state) {
    (void)state;
    char *in;
    struct run r;
    REQUIRE_SEGMENT();
    in = write_file("events.jsonl", events_jsonl);
    r = run_scv(NULL, "profiles --format segment --measure items '%s'", in);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 3);
    /* Jane: revenue, total (a numeric string) and --measure items from m2 */
    assert_contains(r.out, "\"revenue\":{\"count\":1,\"sum\":120.5,");
    assert_contains(r.out, "\"total\":{\"count\":1,\"sum\":130,");
    assert_contains(r.out, "\"items\":{\"count\":1,\"sum\":2,");
    assert_lacks(r.out, "\"currency\"");
    /* consent per category, lower-cased, at m1's time (2025-03-01T10:00:00Z) */
    assert_contains(r.out, "\"email\":{\"granted\":true,\"timestamp\":1740823200}");
    assert_contains(r.out, "\"advertising\":{\"granted\":false,\"timestamp\":1740823200}");
    /* traits: nested names dotted, numbers as text, arrays skipped, identifiers not traits */
    assert_contains(r.out, "\"address.city\":{\"value\":\"K\xC3\xB6ln\",\"source\":\"web\","
                           "\"record_id\":\"m1\"}");
    assert_contains(r.out, "\"address.zip\":{\"value\":\"50667\"");
    assert_contains(r.out, "\"firstName\":{\"value\":\"Jane\"");
    assert_contains(r.out, "\"channel\":{\"value\":\"browser\"");
    assert_contains(r.out, "\"last_event\":{\"value\":\"Order Completed\"");
    assert_contains(r.out, "\"page\":{\"value\":\"Home\"");
    assert_contains(r.out, "\"event_type\":{\"value\":\"page\",\"source\":\"web\","
                           "\"record_id\":\"m4\"}");
    assert_lacks(r.out, "\"tags");
    assert_lacks(r.out, "\"email\":{\"value\"");
    assert_contains(r.out, "{\"kind\":\"anonymous_id\",\"value\":\"anon-2\",\"state\":\"linked\"}");
    /* Bob: the device id case-folded, the group's traits under group., no group e-mail */
    assert_contains(r.out, "{\"kind\":\"device_id\",\"value\":\"dev-1\",\"state\":\"linked\"}");
    assert_contains(r.out, "{\"kind\":\"device_id\",\"value\":\"00000000-0000-0000-0000-"
                           "000000000000\",\"state\":\"blocked\"}");
    assert_contains(r.out, "\"group.name\":{\"value\":\"ACME\"");
    assert_contains(r.out, "\"group_id\":{\"value\":\"g-1\"");
    assert_contains(r.out, "\"screen\":{\"value\":\"Cart\"");
    /* the group's e-mail is a trait of the group, not an identifier of Bob */
    assert_contains(r.out, "\"group.email\":{\"value\":\"jane.doe@web.de\"");
    /* m6 is dated by sentAt (2025-03-05T10:00:00Z) */
    assert_contains(r.out, "{\"source\":\"web\",\"record_id\":\"m6\",\"timestamp\":1741168800}");
    run_free(&r);
    free(in);
}

static void segment_format_segment_query_over_revenue(void **state) {
    (void)state;
    char *in;
    struct run r;
    REQUIRE_SEGMENT();
    in = write_file("events.jsonl", events_jsonl);
    r = run_scv(NULL, "segment --format segment --query 'sum(revenue) > 100' '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    assert_contains(r.err, "scv: 1 profiles match\n");
    run_free(&r);
    r = run_scv(NULL, "segment --format segment --query 'sum(revenue) >= 40' '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n3\n");
    run_free(&r);
    r = run_scv(NULL,
                "segment --format segment --query 'sum(revenue, 7d) > 0 and consent(email) and "
                "not consent(advertising)' --now 2025-03-08 '%s'",
                in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    run_free(&r);
    r = run_scv(NULL,
                "segment --format segment --query 'trait(group_id) = \"g-1\" and has(device_id)' "
                "'%s'",
                in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "3\n");
    run_free(&r);
    free(in);
}

static void segment_format_bad_values_behave_as_in_csv(void **state) {
    (void)state;
    char jsonl[4096];
    char long_id[300];
    char long_email[1100];
    char *in;
    struct run r;
    REQUIRE_SEGMENT();
    memset(long_id, 'X', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    memset(long_email, 'y', sizeof long_email - 1);
    long_email[sizeof long_email - 1] = '\0';
    snprintf(jsonl, sizeof jsonl,
             "\xEF\xBB\xBF{\"type\":\"identify\",\"messageId\":\"b1\",\"userId\":\"k1\"}\r\n"
             "{\"type\":\"identify\",\"messageId\":\"b2\",\"userId\":\"k1\",\"traits\":"
             "{\"note\":\"bad \xff\"}}\n"
             "{\"type\":\"identify\",\"messageId\":\"%s\",\"userId\":\"k1\"}\n"
             "{\"type\":\"identify\",\"messageId\":\"b4\",\"traits\":{\"email\":\"%s@web.de\"}}\n"
             "{\"type\":\"identify\",\"messageId\":\"b5\",\"traits\":{\"note\":\"a\\u0000b\"}}\n"
             "{\"type\":\"track\",\"messageId\":\"b6\",\"userId\":\"k1\",\"timestamp\":"
             "\"yesterday\"}\n"
             "{\"type\":\"track\",\"messageId\":\"b7\",\"userId\":\"k1\",\"properties\":"
             "{\"revenue\":\"lots\"},\"context\":{\"consent\":{\"categoryPreferences\":"
             "{\"Email\":\"yes\"}}}}\n"
             "{\"type\":\"track\",\"messageId\":\"b8\",\"userId\":\"k1\",\"timestamp\":1740823200,"
             "\"properties\":{\"Revenue\":\"12.5\"}}\n"
             "{\"type\":\"identify\",\"messageId\":\"b1\",\"userId\":\"k1\",\"traits\":"
             "{\"plan\":\"gold\"}}\n",
             long_id, long_email);
    in = write_file("bad.jsonl", jsonl);
    r = run_scv(NULL, "profiles --format segment '%s'", in);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    /* b1 came twice (a retry replaces it): 4 records, 3 distinct */
    assert_contains(r.err, "scv: 4 records (3 distinct), 1 profiles, ");
    assert_contains(r.err, "bad.jsonl:2: invalid JSON: unable to decode byte 0xff");
    assert_contains(r.err, "bad.jsonl:3: messageId 'XXXX");
    assert_contains(r.err, "bad.jsonl:4: traits.email 'yyyy");
    assert_contains(r.err, "bad.jsonl:5: invalid JSON: ");
    assert_contains(r.err, "bad.jsonl:6: bad timestamp 'yesterday'\n");
    assert_contains(r.err, "bad.jsonl:7: warning: measure revenue 'lots' is not a number; "
                           "ignored\n");
    assert_contains(r.err, "bad.jsonl:7: warning: consent email 'yes' is neither true nor "
                           "false; ignored\n");
    assert_contains(r.err, ", 5 bad rows, 2 rejected values\n");
    assert_lacks(r.err, "bad.jsonl:1:");
    assert_lacks(r.err, "bad.jsonl:8:");
    assert_contains(r.out, "\"revenue\":{\"count\":1,\"sum\":12.5,");
    assert_contains(r.out, "\"plan\":{\"value\":\"gold\"");
    run_free(&r);
    free(in);
}

static void segment_format_source_option(void **state) {
    (void)state;
    char *in;
    char *csv;
    struct run r;
    REQUIRE_SEGMENT();
    in = write_file("events.jsonl", events_jsonl);
    csv = write_file("people.csv", people_csv);
    r = run_scv(NULL, "resolve --format segment --source App '%s'", in);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "source,record_id,profile_id\napp,m1,1\napp,m2,1\n");
    run_free(&r);
    r = run_scv(NULL, "segment --format segment --source email --query 'seen(email)' '%s'", in);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n3\n4\n");
    run_free(&r);
    r = run_scv(NULL, "resolve --format segment --source 'Bad Name!' '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "scv: --source Bad Name!: ");
    run_free(&r);
    r = run_scv(NULL, "resolve --source app '%s'", csv);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--source goes with --format segment");
    run_free(&r);
    free(in);
    free(csv);
}

static void format_option_rejects_unknown_values(void **state) {
    (void)state;
    char *csv = write_file("people.csv", people_csv);
    struct run r = run_scv(NULL, "resolve --format xml '%s'", csv);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "scv: unknown --format (csv or segment): xml\n");
    assert_string_equal(r.out, "");
    run_free(&r);
    r = run_scv(NULL, "profiles --format JSON '%s'", csv);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve '%s' --format", csv);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "missing value for --format");
    run_free(&r);
    /* csv is the default, and may be named */
    r = run_scv(NULL, "resolve --region DE --format csv '%s'", csv);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, people_expected);
    run_free(&r);
    r = run_scv(NULL, "resolve --help");
    assert_contains(r.out, "--format F");
    assert_contains(r.out, "context.consent.categoryPreferences");
    run_free(&r);
    free(csv);
}

static void segment_format_without_json_support_exits_2(void **state) {
    (void)state;
    char *in;
    struct run r;
    if (SCV_CLI_HAS_SEGMENT) {
        skip();
    }
    in = write_file("events.jsonl", events_jsonl);
    r = run_scv(NULL, "resolve --format segment '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--format segment is not available: this scv was built without "
                           "JSON support (jansson)");
    assert_string_equal(r.out, "");
    run_free(&r);
    free(in);
}

/* examples/data/segment/events.jsonl: 61 lines, two of them bad, one event sent twice; 12
 * people (examples/data/segment/README.md). */
static void segment_sample_data_resolves(void **state) {
    (void)state;
    const char *path = SCV_SOURCE_DIR "/examples/data/segment/events.jsonl";
    FILE *fp = fopen(path, "rb");
    struct run r;
    REQUIRE_SEGMENT();
    if (fp == NULL) {
        skip();
    }
    fclose(fp);
    r = run_scv(NULL, "resolve --format segment --region DE '%s'", path);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1 + 58);
    assert_contains(r.err, "scv: 59 records (58 distinct), 12 profiles, ");
    assert_contains(r.err, "events.jsonl:34: invalid JSON: ");
    assert_contains(r.err, "events.jsonl:50: no messageId\n");
    assert_contains(r.err, ", 2 bad rows, 1 rejected values\n");
    run_free(&r);
    /* the hotel's two buyers share the group's e-mail, which is not theirs: two profiles */
    r = run_scv(NULL,
                "segment --format segment --region DE --query 'trait(group_id) = "
                "\"grp_hotel_alster\"' '%s'",
                path);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2);
    run_free(&r);
    /* net buyers in the last 90 days (to 2025-06-14) with e-mail consent: Lukas only. Mira
     * has consent but never bought, Charlotte revoked it in May, Emre's order was refunded */
    r = run_scv(NULL,
                "segment --format segment --region DE --query 'sum(revenue, 90d) > 0 and "
                "consent(email)' '%s'",
                path);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* examples/data                                                                             */
/* ---------------------------------------------------------------------------------------- */

static const char *const sample_files[] = {"crm.csv", "web.csv", "email.csv", "pos.csv"};
#define NSAMPLES (sizeof sample_files / sizeof sample_files[0])
#define SAMPLE_OPTIONS                                                                        \
    "--region DE --measure order_total --measure opens --measure clicks --measure page_views"
/* The segment the `demo` target shows (examples/CMakeLists.txt): 5 profiles. */
#define EXAMPLES_QUERY                                                                        \
    "sum(order_total, 90d) > 150 and consent(email) and (count(opens) >= 3 or not seen(web))"

static char *sample_path(size_t i) {
    const char *dir = SCV_SOURCE_DIR "/examples/data/";
    size_t n = strlen(dir) + strlen(sample_files[i]) + 1;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s%s", dir, sample_files[i]);
    return p;
}

static int samples_present(void) {
    for (size_t i = 0; i < NSAMPLES; i++) {
        char *p = sample_path(i);
        FILE *fp = fopen(p, "rb");
        free(p);
        if (fp == NULL) {
            return 0;
        }
        fclose(fp);
    }
    return 1;
}

/* A CSV row kept as text: its key ("source\x1frecord_id", source lower-cased) and the row
 * written back as CSV. */
struct row_text {
    char *key;
    char *line;
    size_t file;
    size_t index;
};

struct table {
    struct row_text *rows;
    size_t n;
    size_t cap;
    char *headers[NSAMPLES];
};

/* Room for `more` bytes and a NUL after buf[0..len). */
static void reserve(char **buf, size_t len, size_t *cap, size_t more) {
    if (len + more + 1 > *cap) {
        *cap = (len + more + 1) * 2;
        *buf = realloc(*buf, *cap);
        assert_non_null(*buf);
    }
}

/* A row written back as one CSV line (without the line end). */
static char *row_to_csv(const csv_row *row) {
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    reserve(&buf, len, &cap, 0);
    for (size_t i = 0; i < row->count; i++) {
        const char *f = row->fields[i];
        size_t n = row->lengths[i];
        int quote = 0;
        for (size_t k = 0; k < n; k++) {
            quote |= f[k] == ',' || f[k] == '"' || f[k] == '\n' || f[k] == '\r';
        }
        reserve(&buf, len, &cap, 2 * n + 3);
        if (i > 0) {
            buf[len++] = ',';
        }
        if (quote) {
            buf[len++] = '"';
        }
        for (size_t k = 0; k < n; k++) {
            if (f[k] == '"') {
                buf[len++] = '"';
            }
            buf[len++] = f[k];
        }
        if (quote) {
            buf[len++] = '"';
        }
    }
    buf[len] = '\0';
    return buf;
}

static size_t column_index(const csv_row *header, const char *name) {
    for (size_t i = 0; i < header->count; i++) {
        if (strcmp(header->fields[i], name) == 0) {
            return i;
        }
    }
    fail_msg("no column %s", name);
    return 0;
}

static char *make_key(const char *source, size_t slen, const char *id, size_t idlen) {
    char *key = malloc(slen + idlen + 2);
    assert_non_null(key);
    for (size_t i = 0; i < slen; i++) {
        char c = source[i];
        key[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    key[slen] = '\x1f';
    memcpy(key + slen + 1, id, idlen);
    key[slen + 1 + idlen] = '\0';
    return key;
}

/* Every row of the sample files, with its key. */
static void load_samples(struct table *t) {
    memset(t, 0, sizeof *t);
    for (size_t f = 0; f < NSAMPLES; f++) {
        char *path = sample_path(f);
        FILE *fp = fopen(path, "rb");
        csv_reader *r;
        csv_row row;
        size_t src_col;
        size_t id_col;
        size_t index = 0;
        assert_non_null(fp);
        r = csv_reader_open(fp, 0);
        assert_non_null(r);
        assert_int_equal(csv_next_row(r, &row), CSV_OK);
        t->headers[f] = row_to_csv(&row);
        src_col = column_index(&row, "source");
        id_col = column_index(&row, "record_id");
        while (csv_next_row(r, &row) == CSV_OK) {
            struct row_text *rt;
            if (t->n == t->cap) {
                t->cap = t->cap * 2 + 64;
                t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
                assert_non_null(t->rows);
            }
            rt = &t->rows[t->n++];
            rt->key = make_key(row.fields[src_col], row.lengths[src_col], row.fields[id_col],
                               row.lengths[id_col]);
            rt->line = row_to_csv(&row);
            rt->file = f;
            rt->index = index++;
        }
        csv_reader_close(r);
        fclose(fp);
        free(path);
    }
}

static void free_table(struct table *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].key);
        free(t->rows[i].line);
    }
    for (size_t f = 0; f < NSAMPLES; f++) {
        free(t->headers[f]);
    }
    free(t->rows);
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t distinct_keys(const struct table *t) {
    char **keys = malloc((t->n + 1) * sizeof *keys);
    size_t distinct = 0;
    assert_non_null(keys);
    for (size_t i = 0; i < t->n; i++) {
        keys[i] = t->rows[i].key;
    }
    qsort(keys, t->n, sizeof *keys, compare_strings);
    for (size_t i = 0; i < t->n; i++) {
        distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
    }
    free(keys);
    return distinct;
}

/* One line of `scv resolve` output. */
struct assignment {
    char *key;
    unsigned long profile;
    const char *label; /* the smallest key of its profile */
};

static int by_profile_then_key(const void *a, const void *b) {
    const struct assignment *x = a;
    const struct assignment *y = b;
    if (x->profile != y->profile) {
        return x->profile < y->profile ? -1 : 1;
    }
    return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b) {
    return strcmp(((const struct assignment *)a)->key, ((const struct assignment *)b)->key);
}

/* Parse resolve output into assignments sorted by key, each labelled with its profile's
 * smallest key: two outputs describe the same partition iff keys and labels agree. */
static struct assignment *parse_partition(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    csv_reader *r;
    csv_row row;
    struct assignment *a = NULL;
    size_t cap = 0;
    *n = 0;
    assert_non_null(fp);
    r = csv_reader_open(fp, 0);
    assert_int_equal(csv_next_row(r, &row), CSV_OK);
    assert_int_equal(row.count, 3);
    assert_string_equal(row.fields[0], "source");
    while (csv_next_row(r, &row) == CSV_OK) {
        assert_int_equal(row.count, 3);
        if (*n == cap) {
            cap = cap * 2 + 64;
            a = realloc(a, cap * sizeof *a);
            assert_non_null(a);
        }
        a[*n].key = make_key(row.fields[0], row.lengths[0], row.fields[1], row.lengths[1]);
        a[*n].profile = strtoul(row.fields[2], NULL, 10);
        (*n)++;
    }
    csv_reader_close(r);
    fclose(fp);
    qsort(a, *n, sizeof *a, by_profile_then_key);
    for (size_t i = 0; i < *n; i++) {
        a[i].label = (i > 0 && a[i - 1].profile == a[i].profile) ? a[i - 1].label : a[i].key;
    }
    qsort(a, *n, sizeof *a, by_key);
    return a;
}

static void free_partition(struct assignment *a, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(a[i].key);
    }
    free(a);
}

/* A row and the place it got in the shuffled file. */
struct placed {
    struct row_text *row;
    size_t slot;
};

static int by_key_then_input_order(const void *a, const void *b) {
    const struct row_text *x = ((const struct placed *)a)->row;
    const struct row_text *y = ((const struct placed *)b)->row;
    int c = strcmp(x->key, y->key);
    if (c != 0) {
        return c;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Write file f's rows in a deterministic shuffled order to tmpdir/shuffled-NAME. Rows that
 * share a key keep their relative order (the last one wins an upsert, on purpose), so only
 * the order of distinct records changes.
 */
static char *write_shuffled(const struct table *t, size_t f, uint64_t *seed) {
    struct row_text **order = malloc((t->n + 1) * sizeof *order);
    struct placed *placed = malloc((t->n + 1) * sizeof *placed);
    size_t m = 0;
    char name[64];
    char *path;
    FILE *fp;
    assert_non_null(order);
    assert_non_null(placed);
    for (size_t i = 0; i < t->n; i++) {
        if (t->rows[i].file == f) {
            order[m++] = &t->rows[i];
        }
    }
    for (size_t i = m; i > 1; i--) { /* Fisher-Yates with a 64-bit LCG */
        size_t j;
        struct row_text *tmp;
        *seed = *seed * 6364136223846793005u + 1442695040888963407u;
        j = (size_t)((*seed >> 33) % i);
        tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    /* Rows with one key: give their slots back to them in input order. */
    for (size_t i = 0; i < m; i++) {
        placed[i].row = order[i];
        placed[i].slot = i;
    }
    qsort(placed, m, sizeof *placed, by_key_then_input_order);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && strcmp(placed[j].row->key, placed[i].row->key) == 0) {
            j++;
        }
        for (size_t a = i + 1; a < j; a++) { /* sort the group's slots (groups are tiny) */
            for (size_t b = a; b > i && placed[b - 1].slot > placed[b].slot; b--) {
                size_t tmp = placed[b - 1].slot;
                placed[b - 1].slot = placed[b].slot;
                placed[b].slot = tmp;
            }
        }
        for (size_t a = i; a < j; a++) {
            order[placed[a].slot] = placed[a].row;
        }
        i = j;
    }
    snprintf(name, sizeof name, "shuffled-%s", sample_files[f]);
    path = path_in_tmp(name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fprintf(fp, "%s\n", t->headers[f]);
    for (size_t i = 0; i < m; i++) {
        fprintf(fp, "%s\n", order[i]->line);
    }
    assert_int_equal(fclose(fp), 0);
    free(order);
    free(placed);
    return path;
}

static void examples_output_has_one_row_per_distinct_record(void **state) {
    (void)state;
    struct table t;
    char *p[NSAMPLES];
    char *out = path_in_tmp("examples.csv");
    struct run r;
    char *written;
    if (!samples_present()) {
        skip();
    }
    load_samples(&t);
    for (size_t i = 0; i < NSAMPLES; i++) {
        p[i] = sample_path(i);
    }
    r = run_scv(NULL, "resolve " SAMPLE_OPTIONS " --out '%s' '%s' '%s' '%s' '%s'", out, p[0],
                p[1], p[2], p[3]);
    assert_int_equal(r.status, 0);
    written = read_file(out);
    assert_non_null(written);
    /* header + one line per distinct (source, record_id) (no id in the samples holds a line
     * break) */
    assert_int_equal(count_lines(written), distinct_keys(&t) + 1);
    free(written);
    run_free(&r);
    for (size_t i = 0; i < NSAMPLES; i++) {
        free(p[i]);
    }
    free(out);
    free_table(&t);
}

static void examples_partition_does_not_depend_on_row_order(void **state) {
    (void)state;
    struct table t;
    char *p[NSAMPLES];
    char *s[NSAMPLES];
    char *out1 = path_in_tmp("partition-original.csv");
    char *out2 = path_in_tmp("partition-shuffled.csv");
    uint64_t seed = 20240601u;
    struct assignment *a1;
    struct assignment *a2;
    size_t n1;
    size_t n2;
    struct run r;
    if (!samples_present()) {
        skip();
    }
    load_samples(&t);
    for (size_t i = 0; i < NSAMPLES; i++) {
        p[i] = sample_path(i);
        s[i] = write_shuffled(&t, i, &seed);
    }
    r = run_scv(NULL, "resolve " SAMPLE_OPTIONS " --out '%s' '%s' '%s' '%s' '%s'", out1, p[0],
                p[1], p[2], p[3]);
    assert_int_equal(r.status, 0);
    run_free(&r);
    /* shuffled rows, and the files in reverse order */
    r = run_scv(NULL, "resolve " SAMPLE_OPTIONS " --out '%s' '%s' '%s' '%s' '%s'", out2, s[3],
                s[2], s[1], s[0]);
    assert_int_equal(r.status, 0);
    run_free(&r);
    a1 = parse_partition(out1, &n1);
    a2 = parse_partition(out2, &n2);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        assert_string_equal(a1[i].key, a2[i].key);
        if (strcmp(a1[i].label, a2[i].label) != 0) {
            fail_msg("record %s is with %s in input order but with %s shuffled", a1[i].key,
                     a1[i].label, a2[i].label);
        }
    }
    free_partition(a1, n1);
    free_partition(a2, n2);
    for (size_t i = 0; i < NSAMPLES; i++) {
        free(p[i]);
        free(s[i]);
    }
    free(out1);
    free(out2);
    free_table(&t);
}

static void examples_segment_finds_some_profiles(void **state) {
    (void)state;
    char *p[NSAMPLES];
    struct run r;
    if (!samples_present()) {
        skip();
    }
    for (size_t i = 0; i < NSAMPLES; i++) {
        p[i] = sample_path(i);
    }
    r = run_scv(NULL, "segment " SAMPLE_OPTIONS " --query '" EXAMPLES_QUERY "' '%s' '%s' '%s' '%s'",
                p[0], p[1], p[2], p[3]);
    assert_int_equal(r.status, 0);
    assert_true(count_lines(r.out) >= 2);
    assert_true(count_lines(r.out) <= 20);
    assert_contains(r.err, " profiles match\n");
    /* the e-mail consent comes from the email_consent columns of crm.csv and email.csv */
    assert_lacks(r.err, "consent email");
    run_free(&r);
    for (size_t i = 0; i < NSAMPLES; i++) {
        free(p[i]);
    }
}


/* ---------------------------------------------------------------------------------------- */
/* scv report                                                                                */
/* ---------------------------------------------------------------------------------------- */

#define REPORT_AUDIENCES                                                                      \
    "--persona 'Big spender=sum(order_total) > 300' --persona 'Newsletter=consent(email)' "   \
    "--segment 'Store only=seen(pos) and not seen(web)' --segment 'Web=seen(web)'"

/* The text between the first `from` and the next `to` after it (a copy; "" if absent). */
static char *slice(const char *s, const char *from, const char *to) {
    const char *a = strstr(s, from);
    const char *b = a != NULL ? strstr(a, to) : NULL;
    size_t n = b != NULL ? (size_t)(b - a) : 0;
    char *out = malloc(n + 1);
    assert_non_null(out);
    memcpy(out, a != NULL ? a : "", n);
    out[n] = '\0';
    return out;
}

/* Whether s holds `needle` in any letter case. */
static int contains_nocase(const char *s, const char *needle) {
    size_t n = strlen(needle);
    for (; *s != '\0'; s++) {
        size_t i = 0;
        while (i < n && s[i] != '\0' &&
               (s[i] | 0x20) == (needle[i] | 0x20)) {
            i++;
        }
        if (i == n) {
            return 1;
        }
    }
    return 0;
}

/* Records and profiles `scv resolve` gives for the samples. */
static void examples_counts(char **p, size_t *records, size_t *profiles) {
    char *out = path_in_tmp("report-resolve.csv");
    struct run r = run_scv(NULL, "resolve " SAMPLE_OPTIONS " --out '%s' '%s' '%s' '%s' '%s'", out,
                           p[0], p[1], p[2], p[3]);
    struct assignment *a;
    size_t n;
    assert_int_equal(r.status, 0);
    a = parse_partition(out, &n);
    *records = n;
    *profiles = 0;
    for (size_t i = 0; i < n; i++) {
        *profiles += a[i].label == a[i].key; /* each profile's smallest key labels itself */
    }
    free_partition(a, n);
    run_free(&r);
    free(out);
}

/* Run `scv report` on the samples into `name` in the temporary directory; the page. */
static char *examples_report(char **p, const char *name, const char *extra) {
    char *html = path_in_tmp(name);
    struct run r = run_scv(NULL, "report " SAMPLE_OPTIONS " %s --html '%s' '%s' '%s' '%s' '%s'",
                           extra, html, p[0], p[1], p[2], p[3]);
    char *page;
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "scv: report written to ");
    page = read_file(html);
    assert_non_null(page);
    run_free(&r);
    free(html);
    return page;
}

static void report_on_examples_has_every_section_and_the_counts(void **state) {
    static const char *const headings[] = {
        "<h1>Identity-resolution report</h1>", ">Profile sizes</h2>", ">Largest profiles</h2>",
        ">Generic and blocked values</h2>", ">Merges refused per rule</h2>",
        ">Source overlap</h2>", ">Identifier-kind coverage</h2>", ">Personas and segments</h2>",
        "<h3>Persona sizes</h3>", "<h3>Segment sizes</h3>"};
    char *p[NSAMPLES];
    char expect[128];
    size_t records, profiles;
    char *page, *generic;
    (void)state;
    if (!samples_present()) {
        skip();
    }
    for (size_t i = 0; i < NSAMPLES; i++) {
        p[i] = sample_path(i);
    }
    examples_counts(p, &records, &profiles);
    page = examples_report(p, "report.html", REPORT_AUDIENCES);
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    for (size_t i = 0; i < sizeof headings / sizeof headings[0]; i++) {
        assert_contains(page, headings[i]);
    }
    assert_contains(page, "<svg");
    assert_contains(page, "<title id=\"c1t\">Histogram of profile sizes</title>");
    assert_contains(page, ">Source overlap heat map</title>");
    snprintf(expect, sizeof expect, "id=\"stat-records\" data-value=\"%lu\"",
             (unsigned long)records);
    assert_contains(page, expect);
    snprintf(expect, sizeof expect, "id=\"stat-profiles\" data-value=\"%lu\"",
             (unsigned long)profiles);
    assert_contains(page, expect);
    /* the Berlin store phone is listed among the generic values, not the blocked ones */
    generic = slice(page, "id=\"generic-values\"", "</table>");
    assert_contains(generic, ">+493023125100</span>");
    free(generic);
    assert_contains(page, "p50 = ");
    assert_contains(page, ">Big spender</text>");
    assert_contains(page, ">no persona</text>");
    /* self-contained: no script, no reference to anything on a network */
    assert_false(contains_nocase(page, "<script"));
    assert_false(contains_nocase(page, "http"));
    assert_false(contains_nocase(page, "url("));
    assert_false(contains_nocase(page, "src="));
    free(page);
    for (size_t i = 0; i < NSAMPLES; i++) {
        free(p[i]);
    }
}

static void report_is_the_same_for_the_same_input(void **state) {
    char *p[NSAMPLES];
    char *a, *b;
    (void)state;
    if (!samples_present()) {
        skip();
    }
    for (size_t i = 0; i < NSAMPLES; i++) {
        p[i] = sample_path(i);
    }
    a = examples_report(p, "report-a.html", REPORT_AUDIENCES);
    b = examples_report(p, "report-b.html", REPORT_AUDIENCES);
    assert_string_equal(a, b);
    /* no persona or segment given: no such section; --now shows as the report time */
    free(b);
    b = examples_report(p, "report-c.html", "--now 2025-07-01T12:00:00Z --limit customer_id=1");
    assert_lacks(b, "Personas and segments");
    assert_contains(b, "<time datetime=\"2025-07-01T12:00:00Z\">2025-07-01 12:00:00 UTC</time>");
    assert_contains(b, "given with --now");
    assert_contains(b, "<code>customer_id</code> &#8804; 1 per profile");
    assert_contains(a, "the latest record timestamp");
    free(a);
    free(b);
    for (size_t i = 0; i < NSAMPLES; i++) {
        free(p[i]);
    }
}

/* Record ids and values come from customer data: everything is escaped. */
static const char markup_csv[] =
    "source,record_id,timestamp,customer_id,email,note\n"
    "crm,<b>O'Neil</b>,1700000000,\"<b>x&\"\"y</b>\",o@neil.ie,<b>bold</b>\n"
    "web,W-2,1700000100,\"<b>x&\"\"y</b>\",o@neil.ie,\n"
    "crm,C-3,1700000200,,p@q.de,\n";

static void report_escapes_customer_data(void **state) {
    char *in = write_file("markup.csv", markup_csv);
    char *html = path_in_tmp("markup.html");
    char *page;
    struct run r;
    (void)state;
    r = run_scv(NULL, "report --block 'customer_id=<b>x&\"y</b>' --html '%s' '%s' "
                      "--segment '<i>s</i>=records >= 1'",
                html, in);
    assert_int_equal(r.status, 0);
    page = read_file(html);
    assert_non_null(page);
    assert_contains(page, "crm:&lt;b&gt;O&#39;Neil&lt;/b&gt;");
    assert_contains(page, ">&lt;b&gt;x&amp;&quot;y&lt;/b&gt;</span>");
    assert_contains(page, "&lt;i&gt;s&lt;/i&gt;");
    assert_lacks(page, "<b>");
    assert_lacks(page, "<i>s");
    assert_lacks(page, "O'Neil");
    assert_contains(page, "id=\"stat-records\" data-value=\"3\"");
    assert_contains(page, "id=\"stat-profiles\" data-value=\"2\"");
    free(page);
    run_free(&r);
    free(html);
    free(in);
}

static void report_usage_errors_exit_2(void **state) {
    char *in = write_file("people.csv", people_csv);
    char *html = path_in_tmp("never.html");
    struct run r;
    (void)state;
    r = run_scv(NULL, "report '%s'", in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "report needs --html");
    run_free(&r);
    r = run_scv(NULL, "report --html '%s' --persona nameonly '%s'", html, in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--persona expects NAME=QUERY");
    run_free(&r);
    r = run_scv(NULL, "report --html '%s' --segment 'x=records >' '%s'", html, in);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--segment x=records >: query error at offset");
    run_free(&r);
    r = run_scv(NULL, "report --html '%s' --now yesterday '%s'", html, in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run_scv(NULL, "resolve --html '%s' '%s'", html, in);
    assert_int_equal(r.status, 2);
    run_free(&r);
    assert_null(read_file(html));
    r = run_scv(NULL, "report --html '%s' --out '%s.csv' '%s'", html, html, in);
    assert_int_equal(r.status, 0);
    run_free(&r);
    r = run_scv(NULL, "report --html /nonexistent-dir/x.html '%s'", in);
    assert_int_equal(r.status, 1);
    run_free(&r);
    free(html);
    free(in);
}

/* ---------------------------------------------------------------------------------------- */

static int make_tmpdir(void **state) {
    (void)state;
    strcpy(tmpdir, "/tmp/scv_cli_e2e_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state) {
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolve_links_records_by_shared_identifiers_in_first_seen_order),
        cmocka_unit_test(resolve_without_region_does_not_link_national_phone_numbers),
        cmocka_unit_test(resolve_reports_bad_rows_with_file_and_line_and_skips_them),
        cmocka_unit_test(resolve_keeps_a_row_whose_identifier_is_rejected),
        cmocka_unit_test(resolve_skips_rows_with_invalid_utf8_or_overlong_values),
        cmocka_unit_test(resolve_checks_the_traits_it_does_not_keep),
        cmocka_unit_test(resolve_keeps_the_field_limit_with_pruned_traits),
        cmocka_unit_test(resolve_checks_every_byte_of_a_pruned_trait),
        cmocka_unit_test(resolve_splits_identifier_cells_at_any_bar),
        cmocka_unit_test(resolve_warns_about_a_measure_that_is_not_a_number),
        cmocka_unit_test(resolve_registers_new_sources_lower_cased),
        cmocka_unit_test(resolve_tells_apart_sources_spelled_alike),
        cmocka_unit_test(resolve_upserts_a_repeated_key_in_file_order),
        cmocka_unit_test(resolve_limits_messages_per_file),
        cmocka_unit_test(resolve_keeps_file_order_across_upsert_batches),
        cmocka_unit_test(resolve_keeps_file_order_around_the_batch_ring),
        cmocka_unit_test(resolve_upserts_after_the_reservation_on_any_thread),
        cmocka_unit_test(resolve_writes_every_record_across_output_blocks),
        cmocka_unit_test(resolve_quotes_record_ids_wherever_they_need_it),
        cmocka_unit_test(resolve_fails_when_the_only_file_does_not_exist),
        cmocka_unit_test(resolve_succeeds_when_one_of_several_files_is_missing),
        cmocka_unit_test(resolve_fails_when_no_row_could_be_read),
        cmocka_unit_test(resolve_out_writes_the_file),
        cmocka_unit_test(resolve_reads_standard_input_for_a_dash),
        cmocka_unit_test(resolve_usage_errors_exit_2),
        cmocka_unit_test(resolve_limit_keeps_two_customers_apart),
        cmocka_unit_test(resolve_block_and_priority_options_apply),
        cmocka_unit_test(resolve_generic_threshold_option_sets_the_rule),
        cmocka_unit_test(delete_option_removes_records_and_splits),
        cmocka_unit_test(erase_option_removes_the_person_and_suppresses_replays),
        cmocka_unit_test(resolve_needs_no_identifier_values),
        cmocka_unit_test(explain_prints_the_chain_or_the_reason),
        cmocka_unit_test(state_file_carries_the_engine_between_runs),
        cmocka_unit_test(version_and_help_exit_0),
        cmocka_unit_test(normalize_email_prints_one_line_per_value),
        cmocka_unit_test(normalize_phone_uses_the_region),
        cmocka_unit_test(normalize_unknown_kind_exits_2),
        cmocka_unit_test(profiles_prints_one_json_object_per_profile),
        cmocka_unit_test(profiles_escapes_json_strings),
        cmocka_unit_test(segment_prints_matching_profile_ids_ascending),
        cmocka_unit_test(segment_now_accepts_unix_seconds_and_iso_8601),
        cmocka_unit_test(segment_query_errors_exit_2_with_the_offset),
        cmocka_unit_test(consent_columns_give_consent_per_channel),
        cmocka_unit_test(consent_values_are_read_in_every_spelling),
        cmocka_unit_test(segment_format_joins_aliases_emails_and_devices),
        cmocka_unit_test(segment_format_profiles_show_traits_measures_and_consent),
        cmocka_unit_test(segment_format_segment_query_over_revenue),
        cmocka_unit_test(segment_format_bad_values_behave_as_in_csv),
        cmocka_unit_test(segment_format_source_option),
        cmocka_unit_test(format_option_rejects_unknown_values),
        cmocka_unit_test(segment_format_without_json_support_exits_2),
        cmocka_unit_test(segment_sample_data_resolves),
        cmocka_unit_test(examples_output_has_one_row_per_distinct_record),
        cmocka_unit_test(examples_partition_does_not_depend_on_row_order),
        cmocka_unit_test(examples_segment_finds_some_profiles),
        cmocka_unit_test(report_on_examples_has_every_section_and_the_counts),
        cmocka_unit_test(report_is_the_same_for_the_same_input),
        cmocka_unit_test(report_escapes_customer_data),
        cmocka_unit_test(report_usage_errors_exit_2),
    };
    return cmocka_run_group_tests_name("cli_e2e", tests, make_tmpdir, remove_tmpdir);
}
