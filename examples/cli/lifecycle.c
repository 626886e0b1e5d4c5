/* lifecycle.c — see lifecycle.h. */
#include "lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

/* Call fn(engine, fields, lengths, line) for each data row of a two-column CSV. */
typedef int (*row_fn)(scv_engine *engine, char **fields, const size_t *lengths, const char *path,
                      unsigned long line);

static int each_row(scv_engine *engine, const char *path, row_fn fn)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        perror(path);
        return 1;
    }
    csv_reader *rd = csv_reader_open(fp, 0);
    if (rd == NULL) {
        fclose(fp);
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    csv_row row;
    csv_status st;
    int header = 1, result = 0;
    while ((st = csv_next_row(rd, &row)) != CSV_EOF) {
        if (st == CSV_FATAL) {
            fprintf(stderr, "%s: %s\n", path, row.error);
            result = 1;
            break;
        }
        if (st == CSV_ERROR) {
            fprintf(stderr, "%s:%lu: %s\n", path, row.line, row.error);
            continue;
        }
        if (header) {
            header = 0;
            continue;
        }
        if (row.count < 2) {
            fprintf(stderr, "%s:%lu: expected two columns\n", path, row.line);
            continue;
        }
        fn(engine, row.fields, row.lengths, path, row.line);
    }
    csv_reader_close(rd);
    fclose(fp);
    return result;
}

static unsigned long n_done, n_missing;

static int delete_row(scv_engine *engine, char **f, const size_t *len, const char *path, unsigned long line)
{
    scv_source source;
    if (scv_engine_source(engine, f[0], len[0], &source) != SCV_OK ||
        scv_engine_delete(engine, source, f[1], len[1]) == SCV_ENOTFOUND) {
        fprintf(stderr, "%s:%lu: no record %.*s:%.*s\n", path, line, (int)len[0], f[0], (int)len[1], f[1]);
        n_missing++;
        return 0;
    }
    n_done++;
    return 0;
}

int lifecycle_delete(scv_engine *engine, const char *path)
{
    n_done = n_missing = 0;
    int r = each_row(engine, path, delete_row);
    fprintf(stderr, "scv: %lu records deleted, %lu not found\n", n_done, n_missing);
    return r;
}

static unsigned long n_records, n_suppressed;

static int erase_row(scv_engine *engine, char **f, const size_t *len, const char *path, unsigned long line)
{
    scv_kind kind;
    scv_profile_id profile;
    size_t records = 0, ids = 0;
    if (scv_engine_kind(engine, f[0], len[0], &kind) != SCV_OK) {
        fprintf(stderr, "%s:%lu: unknown kind %.*s\n", path, line, (int)len[0], f[0]);
        return 0;
    }
    if (scv_engine_identifier_profile(engine, kind, f[1], len[1], &profile) == SCV_OK &&
        scv_engine_erase(engine, profile, &records, &ids) == SCV_OK) {
        n_records += records;
        n_suppressed += ids;
    }
    /* The value itself goes on the list even when no profile carries it (any more). */
    scv_status st = scv_engine_suppress(engine, kind, f[1], len[1]);
    if (st != SCV_OK)
        fprintf(stderr, "%s:%lu: cannot suppress: %s\n", path, line, scv_engine_errmsg(engine));
    n_done++;
    return 0;
}

int lifecycle_erase(scv_engine *engine, const char *path)
{
    n_done = n_records = n_suppressed = 0;
    int r = each_row(engine, path, erase_row);
    fprintf(stderr, "scv: %lu erasure requests: %lu records erased, %zu identifiers suppressed in all\n",
            n_done, n_records, scv_engine_suppressed_count(engine));
    return r;
}

int lifecycle_is_record_key(const char *s)
{
    const char *colon = strchr(s, ':');
    return colon != NULL && colon > s && colon[1] != '\0';
}

/* Find the record "SOURCE:RECORD_ID". */
static int find_key(scv_engine *engine, const char *key, scv_record_ref *ref)
{
    const char *colon = strchr(key, ':');
    scv_source source;
    if (colon == NULL || scv_engine_source(engine, key, (size_t)(colon - key), &source) != SCV_OK ||
        scv_engine_record_find(engine, source, colon + 1, strlen(colon + 1), ref) != SCV_OK) {
        fprintf(stderr, "scv: no record %s\n", key);
        return 1;
    }
    return 0;
}

static void print_record(FILE *out, const scv_engine *engine, scv_record_ref ref)
{
    scv_source source;
    const char *id;
    size_t len, slen;
    scv_engine_record_info(engine, ref, &source, &id, &len, NULL);
    const char *sname = scv_engine_source_name(engine, source, &slen);
    fprintf(out, "  %.*s:%.*s\n", (int)slen, sname, (int)len, id);
}

static const char *link_name(uint8_t state)
{
    static const char *names[] = {"links", "set aside by a limit", "set aside by a size guard",
                                  "blocked", "generic", "suppressed"};
    return state < 6 ? names[state] : "?";
}

static void print_identifier(FILE *out, const scv_engine *engine, scv_identifier_ref ident)
{
    scv_kind kind;
    uint8_t hash[SCV_HASH_SIZE], state = 0;
    const char *value;
    size_t len, klen;
    scv_engine_identifier_info(engine, ident, &kind, hash, &value, &len);
    scv_engine_identifier_state(engine, ident, &state, NULL);
    const char *kname = scv_engine_kind_name(engine, kind, &klen);
    fprintf(out, "    -- %.*s ", (int)klen, kname);
    if (value != NULL) {
        fprintf(out, "%.*s", (int)len, value);
    } else {
        for (int i = 0; i < SCV_HASH_SIZE; i++) fprintf(out, "%02x", hash[i]);
    }
    fprintf(out, " (%s) -->\n", link_name(state));
}

int lifecycle_explain(FILE *out, scv_engine *engine, const char *a, const char *b)
{
    static const char *why[] = {"", "nothing connects them",
                                "an identifier on the chain was set aside by a kind limit",
                                "an identifier on the chain was set aside by a size guard",
                                "the chain goes through a blocked value",
                                "the chain goes through a generic value (shared by too many customers)",
                                "the chain goes through a suppressed value"};
    scv_record_ref ra, rb;
    if (!lifecycle_is_record_key(a) || !lifecycle_is_record_key(b)) return 2;
    if (find_key(engine, a, &ra) != 0 || find_key(engine, b, &rb) != 0) return 1;
    size_t n = 0;
    scv_apart apart;
    scv_status st = scv_engine_explain(engine, ra, rb, NULL, NULL, 0, &n, &apart);
    scv_record_ref *recs = malloc((n + 1) * sizeof *recs);
    scv_identifier_ref *ids = malloc((n + 1) * sizeof *ids);
    if (recs == NULL || ids == NULL || (st != SCV_OK && st != SCV_EBUFFER) ||
        scv_engine_explain(engine, ra, rb, recs, ids, n + 1, &n, &apart) != SCV_OK) {
        free(recs);
        free(ids);
        fputs("scv: cannot explain (out of memory)\n", stderr);
        return 1;
    }
    if (apart == SCV_APART_NONE) {
        scv_profile_id p = 0;
        scv_engine_record_profile(engine, ra, &p);
        fprintf(out, "%s and %s are in profile %u, joined by:\n", a, b, p);
    } else {
        fprintf(out, "%s and %s are not in one profile: %s%s\n", a, b, why[apart], n > 0 ? ":" : ".");
    }
    for (size_t i = 0; i < n; i++) {
        print_record(out, engine, recs[i]);
        if (i + 1 < n) print_identifier(out, engine, ids[i]);
    }
    free(recs);
    free(ids);
    return 0;
}

int lifecycle_state_load(const scv_options *opts, const char *path, scv_engine **engine)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        if (errno == ENOENT) return -1;
        perror(path);
        return 1;
    }
    size_t cap = 1 << 20, len = 0, got;
    char *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            char *more = realloc(buf, cap * 2);
            if (more == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    int failed = buf == NULL || ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        fprintf(stderr, "%s: cannot read the state\n", path);
        return 1;
    }
    scv_status st = scv_engine_load(opts, buf, len, engine);
    free(buf);
    if (st != SCV_OK) {
        fprintf(stderr, "%s: not a usable state: %s%s\n", path, scv_status_str(st),
                st == SCV_EINVAL ? " (made under another SCV_HASH_KEY?)" : "");
        return 1;
    }
    fprintf(stderr, "scv: state %s: %zu records, %zu profiles\n", path, scv_engine_record_count(*engine),
            scv_engine_profile_count(*engine));
    return 0;
}

int lifecycle_state_save(const scv_engine *engine, const char *path)
{
    size_t size = 0, written = 0;
    if (scv_engine_snapshot_size(engine, &size) != SCV_OK) {
        fputs("scv: cannot size the state\n", stderr);
        return 1;
    }
    char *buf = malloc(size == 0 ? 1 : size);
    if (buf == NULL || scv_engine_snapshot_write(engine, buf, size, &written) != SCV_OK) {
        free(buf);
        fputs("scv: cannot write the state (out of memory)\n", stderr);
        return 1;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (tmp == NULL) {
        free(buf);
        return 1;
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    int failed = fp == NULL || fwrite(buf, 1, written, fp) != written || fflush(fp) != 0 ||
                 fsync(fileno(fp)) != 0;
    if (fp != NULL && fclose(fp) != 0) failed = 1;
    if (!failed && rename(tmp, path) != 0) failed = 1;
    if (failed) {
        perror(tmp);
        remove(tmp);
    }
    free(tmp);
    free(buf);
    return failed;
}
