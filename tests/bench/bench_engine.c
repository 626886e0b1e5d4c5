/*
 * bench_engine.c — micro-benchmarks of the library itself (records already in memory):
 *
 *   bench_engine [--records N] [--people P]   (default 1,000,000 records, N/3 people)
 *
 * Prints: upsert throughput for 3-identifier records with the default rules; memory per
 * record and per identifier (from the allocator hooks); identifier lookups per second; views
 * build time; query compile time; evaluation time of a 4-clause query over every profile.
 * Figures, not tests: run it by hand or through the `bench` target.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bigalloc.h"
#include "scv.h"

/* The allocator: the scv program's (huge pages for large blocks, see
 * examples/cli/bigalloc.h), counting the bytes the library holds. */
static size_t live_bytes;

static void *count_alloc(void *ctx, size_t size)
{
    const scv_allocator *big = ctx;
    void *p = big->alloc(big->ctx, size);
    if (p != NULL) live_bytes += size;
    return p;
}

static void *count_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    const scv_allocator *big = ctx;
    void *q = big->realloc(big->ctx, p, old_size, new_size);
    if (q != NULL) live_bytes = live_bytes - old_size + new_size;
    return q;
}

static void count_free(void *ctx, void *p, size_t size)
{
    const scv_allocator *big = ctx;
    live_bytes -= size;
    big->free(big->ctx, p, size);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 1;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct {
    char id[24], email[48], phone[32], cust[24];
    int64_t ts;
    double total;
} row;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define BATCH 256

/* Load rows[0..n) into a new engine, BATCH records at a time through
 * scv_engine_upsert_batch() (batched) or one scv_engine_upsert() call each, and return the
 * process CPU seconds it took (*in_upsert: the part spent in the upsert calls). The engine is kept in *out, or freed when out is
 * NULL. The clock covers the builders too: records are in memory, but their values are raw. */
static double ingest(const scv_options *o, const row *rows, size_t n, size_t people, int batched,
                     scv_engine **out, double *in_upsert)
{
    double upserting = 0;
    scv_engine *e;
    scv_record *b[BATCH];
    scv_engine_new(o, &e);
    size_t batch = BATCH;
    for (size_t k = 0; k < batch; k++) scv_record_new(e, &b[k]);
    double t0 = now_s();
    if (getenv("NO_RESERVE") == NULL) scv_engine_reserve(e, n, 3 * people);
    for (size_t i = 0; i < n; i += batch) {
        size_t m = n - i < batch ? n - i : batch;
        for (size_t k = 0; k < m; k++) {
            const row *w = &rows[i + k];
            scv_record *r = b[k];
            scv_record_reset(r, (scv_source)((i + k) & 3), w->id, strlen(w->id));
            scv_record_add_identifier(r, SCV_KIND_EMAIL, w->email, strlen(w->email));
            scv_record_add_identifier(r, SCV_KIND_PHONE, w->phone, strlen(w->phone));
            scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, w->cust, strlen(w->cust));
            scv_record_set_timestamp(r, w->ts);
            if (((i + k) & 3) == 3) scv_record_add_measure(r, "order_total", 11, w->total);
        }
        double t1 = now_s();
        if (batched)
            scv_engine_upsert_batch(e, (const scv_record *const *)b, m, NULL, NULL);
        else
            for (size_t k = 0; k < m; k++) scv_engine_upsert(e, b[k], NULL);
        upserting += now_s() - t1;
    }
    *in_upsert = upserting;
    double t = now_s() - t0;
    for (size_t k = 0; k < batch; k++) scv_record_free(b[k]);
    if (out != NULL) *out = e;
    else scv_engine_free(e);
    return t;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, people = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--records") == 0) n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--people") == 0) people = strtoull(argv[++i], NULL, 10);
    }
    /* By default about three records per person: each record carries the person's e-mail,
     * phone and customer id in messy spellings. */
    if (people == 0) people = n / 3 + 1;
    row *rows = malloc(n * sizeof *rows);
    if (rows == NULL) return 1;
    for (size_t i = 0; i < n; i++) {
        size_t p = rnd() % people;
        snprintf(rows[i].id, sizeof rows[i].id, "r%zu", i);
        snprintf(rows[i].email, sizeof rows[i].email, i % 2 ? " Person.%zu@Mail.DE" : "person.%zu@mail.de", p);
        snprintf(rows[i].phone, sizeof rows[i].phone, i % 3 ? "030 %08zu" : "+49 30 %08zu", 20000000 + p);
        snprintf(rows[i].cust, sizeof rows[i].cust, "C%zu", p);
        rows[i].ts = 1700000000 + (int64_t)(rnd() % (400 * 86400));
        rows[i].total = (double)(rnd() % 30000) / 100.0;
    }

    scv_allocator alc = {count_alloc, count_realloc, count_free, (void *)bigalloc_allocator()};
    scv_options *o;
    scv_engine *e;
    scv_options_new(&alc, &o);
    scv_options_set_region(o, "DE", 2);
    scv_options_set_hash_key(o, "bench", 5);

    /* One scv_engine_upsert() call per record first, on an engine thrown away afterwards;
     * then the same records through scv_engine_upsert_batch(): the figures below. */
    double single_upsert = 0, batch_upsert;
    double t_single = getenv("BATCH_ONLY") != NULL ? 0 : ingest(o, rows, n, people, 0, NULL, &single_upsert);
    size_t base = live_bytes;
    double t0 = now_s();
    t0 = ingest(o, rows, n, people, 1, &e, &batch_upsert);
    scv_options_free(o);
    scv_record *r;
    scv_record_new(e, &r);
    printf("upsert, single calls  %12.0f records/s  (%.2f s; in scv_engine_upsert %.2f s: %.0f records/s)\n",
           (double)n / t_single, t_single, single_upsert, (double)n / single_upsert);
    double t_ingest = t0;
    size_t bytes = live_bytes - base;
    uint64_t records, idents, profiles;
    scv_engine_stat(e, SCV_STAT_RECORDS, &records);
    scv_engine_stat(e, SCV_STAT_IDENTIFIERS, &idents);
    scv_engine_stat(e, SCV_STAT_PROFILES, &profiles);
    printf("records               %12llu\n", (unsigned long long)records);
    printf("profiles              %12llu\n", (unsigned long long)profiles);
    printf("identifiers           %12llu\n", (unsigned long long)idents);
    printf("upsert_batch          %12.0f records/s  (%.2f s, 3 identifiers each, default rules, batches of %d)\n",
           (double)n / t_ingest, t_ingest, BATCH);
    printf("  of which resolving  %12.0f records/s  (%.2f s in scv_engine_upsert_batch; the rest builds records)\n",
           (double)n / batch_upsert, batch_upsert);
    printf("memory after load     %12.1f bytes/record, %.1f bytes/identifier if records took 120 each\n",
           (double)bytes / (double)records, ((double)bytes - 120.0 * (double)records) / (double)idents);
    printf("memory, all           %12.1f MiB (allocator hooks)\n", (double)bytes / 1048576.0);
    scv_engine_shrink(e);
    bytes = live_bytes - base;
    printf("after scv_engine_shrink %10.1f bytes/record, %.1f bytes/identifier if records took 120 each (%.1f MiB)\n",
           (double)bytes / (double)records, ((double)bytes - 120.0 * (double)records) / (double)idents,
           (double)bytes / 1048576.0);

    /* Identifier lookups: raw value -> profile. */
    size_t lookups = n < 1000000 ? n : 1000000;
    t0 = now_s();
    size_t found = 0;
    for (size_t i = 0; i < lookups; i++) {
        scv_profile_id p;
        found += scv_engine_identifier_profile(e, SCV_KIND_EMAIL, rows[i].email, strlen(rows[i].email), &p) == SCV_OK;
    }
    double t_lookup = now_s() - t0;
    printf("lookup                %12.0f lookups/s (e-mail -> profile, %zu found)\n", (double)lookups / t_lookup, found);

    /* Views, compile, evaluate. */
    size_t before_views = live_bytes;
    t0 = now_s();
    double v;
    scv_profile_measure(e, 1, "order_total", 11, SCV_AGG_SUM, 0, 0, &v);
    double t_views = now_s() - t0;
    printf("views build           %12.1f ms (%.1f bytes/profile)\n", t_views * 1e3,
           (double)(live_bytes - before_views) / (double)profiles);
    const char *text = "sum(order_total, 90d) > 100 and records >= 2 and has(email) and not seen(web)";
    scv_query *q;
    int reps = 200;
    t0 = now_s();
    for (int i = 0; i < reps; i++) {
        scv_query_compile(e, text, strlen(text), &q, NULL);
        if (i + 1 < reps) scv_query_free(q);
    }
    printf("query compile         %12.1f us\n", (now_s() - t0) / reps * 1e6);
    double times[7];
    size_t matched = 0;
    for (int i = 0; i < 7; i++) {
        scv_result *res;
        t0 = now_s();
        scv_query_eval(q, 1700000000 + 400 * 86400, &res);
        times[i] = now_s() - t0;
        matched = scv_result_count(res);
        scv_result_free(res);
    }
    qsort(times, 7, sizeof *times, cmp_double);
    printf("query eval (4 clauses)%12.1f ms median of 7 over %llu profiles (%zu match)\n", times[3] * 1e3,
           (unsigned long long)profiles, matched);
    scv_query_free(q);

    /* Delete and re-resolve: a 50-record profile (one loyalty card) inside the big engine,
     * one record deleted and put back, 200 times. */
    char id[32];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "big-%d", i);
        scv_record_reset(r, SCV_SOURCE_POS, id, strlen(id));
        scv_record_add_identifier(r, SCV_KIND_LOYALTY_ID, "L-BIG", 5);
        scv_record_set_timestamp(r, 1700000000 + i);
        scv_engine_upsert(e, r, NULL);
    }
    double del[200];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "big-%d", i % 50);
        t0 = now_s();
        scv_engine_delete(e, SCV_SOURCE_POS, id, strlen(id));
        del[i] = now_s() - t0;
        scv_record_reset(r, SCV_SOURCE_POS, id, strlen(id));
        scv_record_add_identifier(r, SCV_KIND_LOYALTY_ID, "L-BIG", 5);
        scv_engine_upsert(e, r, NULL);
    }
    qsort(del, 200, sizeof *del, cmp_double);
    printf("delete + re-resolve  %12.1f us median, 50-record profile\n", del[100] * 1e6);
    scv_record_free(r);
    scv_engine_free(e);
    free(rows);
    return 0;
}
