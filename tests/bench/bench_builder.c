/*
 * bench_builder.c — the cost of the record builder alone, without upserting:
 *
 *   bench_builder [--records N] [--repeat R]   (default 1,000,000 records, 5 repetitions)
 *
 * The values have the shapes bench_engine sends (an e-mail, a phone and a customer id per
 * record, in messy spellings) plus a share of messier ones: "+49 (0)30 ...", "0049 30 ...",
 * upper-case e-mails, "n/a" customer ids and placeholder e-mails. They are made before the
 * clock starts, lengths included, so only the library is timed.
 *
 * Prints the median over R repetitions (CPU time) of:
 *   - a whole record: reset + 3 x add_identifier + set_timestamp;
 *   - reset + set_timestamp alone (the frame every record pays);
 *   - per kind: reset + one add_identifier + set_timestamp, less that frame.
 * Figures, not tests: run it by hand.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scv.h"

/* CPU time of the process (one thread), not wall time: on a machine shared with other work,
 * time spent waiting for a core is not the builder's cost. */
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

/* One record's values, with their lengths measured once. */
typedef struct {
    char id[24], email[48], phone[32], cust[24];
    uint8_t id_len, email_len, phone_len, cust_len;
    int64_t ts;
} row;

/* Print one value into dst; returns its length. Formats take one size_t (or none). */
static uint8_t fmt(char *dst, size_t cap, const char *format, size_t value)
{
    int n = snprintf(dst, cap, format, value);
    return (uint8_t)(n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1);
}

static void make_row(row *r, size_t i, size_t people)
{
    size_t p = (size_t)(rnd() % people), phone = 20000000 + p;
    uint64_t m = rnd();
    const char *f;
    r->id_len = fmt(r->id, sizeof r->id, "r%zu", i);
    /* E-mail: bench_engine's two spellings; 1/16 upper-case, 1/64 a placeholder. */
    if (m % 64 == 0) f = "noreply@mail.de";
    else if (m % 16 == 1) f = "PERSON.%zu@MAIL.DE ";
    else f = i % 2 ? " Person.%zu@Mail.DE" : "person.%zu@mail.de";
    r->email_len = fmt(r->email, sizeof r->email, f, p);
    /* Phone: bench_engine's two spellings; 1/8 "+49 (0)30 ...", 1/16 "0049 30 ...". */
    m >>= 8;
    if (m % 8 == 0) f = "+49 (0)30 %08zu";
    else if (m % 16 == 1) f = "0049 30 %08zu";
    else f = i % 3 ? "030 %08zu" : "+49 30 %08zu";
    r->phone_len = fmt(r->phone, sizeof r->phone, f, phone);
    /* Customer id: "C<n>"; 1/32 "n/a". */
    m >>= 8;
    r->cust_len = fmt(r->cust, sizeof r->cust, m % 32 == 0 ? "n/a" : "C%zu", p);
    r->ts = 1700000000 + (int64_t)(rnd() % (400 * 86400));
}

/* What one pass adds after reset. */
enum pass { FRAME, FULL, EMAIL, PHONE, CUST, NPASSES };
static const char *const pass_name[NPASSES] = {"reset+timestamp", "record", "email", "phone",
                                               "customer_id"};

/* Time one pass over all rows; returns seconds. `sum` collects the statuses so that the
 * results are used. */
static double run_pass(scv_record *r, const row *rows, size_t n, enum pass what, unsigned long *sum)
{
    unsigned long s = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const row *w = &rows[i];
        s += (unsigned)scv_record_reset(r, (scv_source)(i & 3), w->id, w->id_len);
        if (what == FULL || what == EMAIL)
            s += (unsigned)scv_record_add_identifier(r, SCV_KIND_EMAIL, w->email, w->email_len);
        if (what == FULL || what == PHONE)
            s += (unsigned)scv_record_add_identifier(r, SCV_KIND_PHONE, w->phone, w->phone_len);
        if (what == FULL || what == CUST)
            s += (unsigned)scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, w->cust, w->cust_len);
        s += (unsigned)scv_record_set_timestamp(r, w->ts);
    }
    double t = now_s() - t0;
    *sum += s;
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = 1000000, reps = 5;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--records") == 0) n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0) reps = strtoull(argv[++i], NULL, 10);
    }
    if (n == 0 || reps == 0) return 2;
    size_t people = n / 3 + 1;
    row *rows = malloc(n * sizeof *rows);
    double *times = malloc(reps * NPASSES * sizeof *times);
    if (rows == NULL || times == NULL) return 1;
    for (size_t i = 0; i < n; i++) make_row(&rows[i], i, people);

    scv_options *o;
    scv_engine *e;
    scv_record *r;
    if (scv_options_new(NULL, &o) != SCV_OK) return 1;
    scv_options_set_region(o, "DE", 2);
    scv_options_set_hash_key(o, "bench", 5);
    if (scv_engine_new(o, &e) != SCV_OK) return 1;
    scv_options_free(o);
    if (scv_record_new(e, &r) != SCV_OK) return 1;

    /* Passes interleaved within each repetition, so that a busy neighbour on the machine
     * disturbs all of them alike; one warm-up pass first. */
    unsigned long sum = 0;
    run_pass(r, rows, n, FULL, &sum);
    for (size_t k = 0; k < reps; k++)
        for (int p = 0; p < NPASSES; p++) times[p * reps + k] = run_pass(r, rows, n, (enum pass)p, &sum);
    double med[NPASSES];
    for (int p = 0; p < NPASSES; p++) {
        qsort(times + p * reps, reps, sizeof *times, cmp_double);
        med[p] = times[p * reps + reps / 2] * 1e9 / (double)n;
    }

    printf("records               %12zu  (median of %zu passes each; statuses sum %lu)\n", n, reps, sum);
    printf("%-21s %12.1f ns/record  (%.0f records/s)\n", "builder, whole record", med[FULL],
           1e9 / med[FULL]);
    printf("%-21s %12.1f ns/record\n", pass_name[FRAME], med[FRAME]);
    for (int p = EMAIL; p < NPASSES; p++)
        printf("%-21s %12.1f ns/identifier (pass %.1f ns/record less the frame)\n", pass_name[p],
               med[p] - med[FRAME], med[p]);
    printf("%-21s %12.1f ns/identifier (whole record less the frame, / 3)\n", "mean identifier",
           (med[FULL] - med[FRAME]) / 3.0);
    scv_record_free(r);
    scv_engine_free(e);
    free(times);
    free(rows);
    return 0;
}
