/*
 * accuracy.c — how well resolution matches ground truth, with and without the rules.
 *
 *   accuracy [--region CC] DATA.csv... --truth TRUTH.csv
 *
 * DATA files follow the `scv resolve` CSV contract; TRUTH has `source,record_id,person`.
 * Every configuration resolves the same records and prints pairwise precision (of the record
 * pairs put in one profile, the share that are one person) and recall (of the record pairs
 * that are one person, the share put in one profile):
 *   no rules       plain union-find over every identifier
 *   exact ceiling  union-find over each person's own identifiers only: values the truth shows
 *                  shared by two people are blocked first (what perfect junk removal reaches)
 *   blocklist      built-in placeholder list only
 *   default        blocklist + generic values (the engine's defaults)
 *   + limits       default + customer_id and loyalty_id limited to 1 per profile
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "scv.h"

typedef struct {
    char *src, *id;
    int person;
} truth_row;

typedef struct {
    char **files;
    int n_files;
    const char *region;
    truth_row *truth;
    size_t n_truth;
    int n_persons;
} job;

static void die(const char *what)
{
    fprintf(stderr, "accuracy: %s\n", what);
    exit(1);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL) die("out of memory");
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static const char *const *g_names;
static int cmp_name(const void *a, const void *b)
{
    return strcmp(g_names[*(const size_t *)a], g_names[*(const size_t *)b]);
}

static void load_truth(job *j, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) die("cannot open the truth file");
    csv_reader *rd = csv_reader_open(fp, 0);
    csv_row row;
    size_t cap = 1024;
    char **names = malloc(cap * sizeof *names);
    j->truth = malloc(cap * sizeof *j->truth);
    int header = 1;
    while (csv_next_row(rd, &row) == CSV_OK) {
        if (header) {
            header = 0;
            continue;
        }
        if (row.count < 3) continue;
        if (j->n_truth == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            j->truth = realloc(j->truth, cap * sizeof *j->truth);
        }
        j->truth[j->n_truth].src = dup_n(row.fields[0], row.lengths[0]);
        j->truth[j->n_truth].id = dup_n(row.fields[1], row.lengths[1]);
        names[j->n_truth] = dup_n(row.fields[2], row.lengths[2]);
        j->n_truth++;
    }
    csv_reader_close(rd);
    fclose(fp);
    /* Person names to dense numbers. */
    size_t *order = malloc(j->n_truth * sizeof *order);
    for (size_t i = 0; i < j->n_truth; i++) order[i] = i;
    g_names = (const char *const *)names;
    qsort(order, j->n_truth, sizeof *order, cmp_name);
    int person = -1;
    for (size_t i = 0; i < j->n_truth; i++) {
        if (i == 0 || strcmp(names[order[i]], names[order[i - 1]]) != 0) person++;
        j->truth[order[i]].person = person;
    }
    j->n_persons = person + 1;
    for (size_t i = 0; i < j->n_truth; i++) free(names[i]);
    free(names);
    free(order);
}

/* Ingest every data file into e (the `scv resolve` column rules, minus measures). */
static void ingest(const job *j, scv_engine *e)
{
    scv_record *r;
    if (scv_record_new(e, &r) != SCV_OK) die("out of memory");
    for (int f = 0; f < j->n_files; f++) {
        FILE *fp = fopen(j->files[f], "rb");
        if (fp == NULL) die("cannot open a data file");
        csv_reader *rd = csv_reader_open(fp, 0);
        csv_row row;
        int kind_of[64];
        size_t n_cols = 0, c_src = 0, c_id = 1, c_ts = SIZE_MAX;
        int header = 1;
        csv_status cs;
        while ((cs = csv_next_row(rd, &row)) != CSV_EOF) {
            if (cs != CSV_OK) continue;
            if (header) {
                header = 0;
                n_cols = row.count < 64 ? row.count : 64;
                for (size_t c = 0; c < n_cols; c++) {
                    scv_kind k;
                    kind_of[c] = scv_engine_kind(e, row.fields[c], row.lengths[c], &k) == SCV_OK ? (int)k : -1;
                    if (strcmp(row.fields[c], "source") == 0) c_src = c;
                    if (strcmp(row.fields[c], "record_id") == 0) c_id = c;
                    if (strcmp(row.fields[c], "timestamp") == 0) c_ts = c;
                }
                continue;
            }
            if (row.count != n_cols) continue;
            scv_source src;
            if (scv_engine_source(e, row.fields[c_src], row.lengths[c_src], &src) != SCV_OK &&
                scv_engine_register_source(e, row.fields[c_src], row.lengths[c_src], &src) != SCV_OK)
                continue;
            if (scv_record_reset(r, src, row.fields[c_id], row.lengths[c_id]) != SCV_OK) continue;
            if (c_ts != SIZE_MAX && row.lengths[c_ts] > 0) scv_record_set_timestamp(r, atoll(row.fields[c_ts]));
            for (size_t c = 0; c < n_cols; c++) {
                if (kind_of[c] < 0 || row.lengths[c] == 0) continue;
                char *cell = row.fields[c], *end = cell + row.lengths[c];
                while (cell <= end) { /* values separated by | */
                    char *bar = memchr(cell, '|', (size_t)(end - cell));
                    char *stop = bar != NULL ? bar : end;
                    if (stop > cell) (void)scv_record_add_identifier(r, (scv_kind)kind_of[c], cell, (size_t)(stop - cell));
                    cell = stop + 1;
                }
            }
            (void)scv_engine_upsert(e, r, NULL);
        }
        csv_reader_close(rd);
        fclose(fp);
    }
    scv_record_free(r);
}

typedef struct {
    uint32_t profile;
    int person;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->profile != y->profile) return x->profile < y->profile ? -1 : 1;
    return (x->person > y->person) - (x->person < y->person);
}

static double choose2(double n)
{
    return n * (n - 1) / 2;
}

/* Pairwise precision and recall of e's profiles against the truth. */
static void score(const job *j, const scv_engine *e, double *precision, double *recall, size_t *profiles)
{
    pair *p = malloc(j->n_truth * sizeof *p);
    double *per_person = calloc((size_t)j->n_persons, sizeof *per_person);
    size_t n = 0;
    for (size_t i = 0; i < j->n_truth; i++) {
        scv_source src;
        scv_record_ref ref;
        if (scv_engine_source(e, j->truth[i].src, strlen(j->truth[i].src), &src) != SCV_OK) continue;
        if (scv_engine_record_find(e, src, j->truth[i].id, strlen(j->truth[i].id), &ref) != SCV_OK) continue;
        scv_engine_record_profile(e, ref, &p[n].profile);
        p[n].person = j->truth[i].person;
        per_person[p[n].person]++;
        n++;
    }
    qsort(p, n, sizeof *p, cmp_pair);
    double same_both = 0, same_profile = 0, same_person = 0, run_profile = 0, run_both = 0;
    *profiles = 0;
    for (size_t i = 0; i <= n; i++) {
        int new_profile = i == n || i == 0 || p[i].profile != p[i - 1].profile;
        int new_both = new_profile || p[i].person != p[i - 1].person;
        if (i > 0 && new_both) {
            same_both += choose2(run_both);
            run_both = 0;
        }
        if (i > 0 && new_profile) {
            same_profile += choose2(run_profile);
            run_profile = 0;
            (*profiles)++;
        }
        run_profile++;
        run_both++;
    }
    for (int k = 0; k < j->n_persons; k++) same_person += choose2(per_person[k]);
    *precision = same_profile > 0 ? same_both / same_profile : 1.0;
    *recall = same_person > 0 ? same_both / same_person : 1.0;
    free(p);
    free(per_person);
}

static scv_engine *new_engine(const job *j)
{
    scv_options *o;
    scv_engine *e;
    if (scv_options_new(NULL, &o) != SCV_OK) die("out of memory");
    if (j->region != NULL && scv_options_set_region(o, j->region, strlen(j->region)) != SCV_OK)
        die("unknown region");
    scv_options_set_retain(o, SCV_RETAIN_NORMALIZED);
    if (scv_engine_new(o, &e) != SCV_OK) die("out of memory");
    scv_options_free(o);
    return e;
}

static void rules_off(scv_engine *e)
{
    scv_engine_set_default_blocklist(e, 0);
    scv_engine_set_profile_limits(e, 0, 0);
    for (scv_kind k = 0; k < scv_engine_kind_count(e); k++) scv_engine_set_generic_threshold(e, k, 0);
}

/* Block every value the truth shows carried by two or more people. */
static void block_shared(const job *j, scv_engine *e)
{
    scv_engine *probe = new_engine(j);
    rules_off(probe);
    ingest(j, probe);
    size_t n_ids = 0;
    for (scv_identifier_ref r = 1; scv_engine_identifier_info(probe, r, NULL, NULL, NULL, NULL) == SCV_OK; r++) n_ids++;
    int *owner = malloc((n_ids + 1) * sizeof *owner);
    for (size_t i = 0; i <= n_ids; i++) owner[i] = -1;
    for (size_t i = 0; i < j->n_truth; i++) {
        scv_source src;
        scv_record_ref ref;
        scv_identifier_ref ids[64];
        size_t k;
        if (scv_engine_source(probe, j->truth[i].src, strlen(j->truth[i].src), &src) != SCV_OK) continue;
        if (scv_engine_record_find(probe, src, j->truth[i].id, strlen(j->truth[i].id), &ref) != SCV_OK) continue;
        if (scv_record_identifiers(probe, ref, ids, NULL, 64, &k) != SCV_OK) continue;
        for (size_t m = 0; m < k; m++) {
            if (owner[ids[m]] == -1) owner[ids[m]] = j->truth[i].person;
            else if (owner[ids[m]] != j->truth[i].person) owner[ids[m]] = -2;
        }
    }
    for (size_t r = 1; r <= n_ids; r++) {
        if (owner[r] != -2) continue;
        scv_kind kind;
        const char *v;
        size_t len;
        scv_engine_identifier_info(probe, (scv_identifier_ref)r, &kind, NULL, &v, &len);
        scv_engine_block(e, kind, v, len);
    }
    free(owner);
    scv_engine_free(probe);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    job j = {0};
    const char *truth = NULL;
    j.files = calloc((size_t)argc, sizeof *j.files);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) j.region = argv[++i];
        else if (strcmp(argv[i], "--truth") == 0 && i + 1 < argc) truth = argv[++i];
        else j.files[j.n_files++] = argv[i];
    }
    if (truth == NULL || j.n_files == 0) die("usage: accuracy [--region CC] DATA.csv... --truth TRUTH.csv");
    load_truth(&j, truth);
    printf("%zu records with truth, %d people\n\n", j.n_truth, j.n_persons);
    printf("%-16s %10s %10s %10s %10s\n", "rules", "profiles", "precision", "recall", "seconds");
    const char *names[] = {"no rules", "exact ceiling", "blocklist", "default", "+ limits"};
    for (int c = 0; c < 5; c++) {
        scv_engine *e = new_engine(&j);
        if (c <= 1) rules_off(e);
        if (c == 1) block_shared(&j, e);
        if (c == 2)
            for (scv_kind k = 0; k < scv_engine_kind_count(e); k++) scv_engine_set_generic_threshold(e, k, 0);
        if (c == 4) {
            scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1);
            scv_engine_set_limit(e, SCV_KIND_LOYALTY_ID, 1);
        }
        double t0 = now_s();
        ingest(&j, e);
        double t = now_s() - t0, precision, recall;
        size_t profiles;
        score(&j, e, &precision, &recall, &profiles);
        printf("%-16s %10zu %10.4f %10.4f %10.2f\n", names[c], profiles, precision, recall, t);
        scv_engine_free(e);
    }
    return 0;
}
