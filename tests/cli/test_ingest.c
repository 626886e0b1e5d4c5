/* test_ingest.c — the scv program's ingest (examples/cli/ingest.c) beyond what the end-to-end
 * suite sees: what runs before the first upsert. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ingest.h"
#include "scv.h"

/* A job that takes its time, then looks at how many records the engine holds. */
struct slow_job {
    scv_engine *engine;
    int ran;
    size_t records_at_end;
};

static void slow_job_run(void *ctx) {
    struct slow_job *j = ctx;
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    j->records_at_end = scv_engine_record_count(j->engine);
    j->ran = 1;
}

static char *csv_file(const char *name, int rows) {
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    FILE *f;
    assert_non_null(path);
    snprintf(path, 4096, "%s/scv-test-ingest-%ld-%s", dir != NULL ? dir : "/tmp", (long)rows, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("source,record_id,email\n", f);
    for (int i = 0; i < rows; i++) {
        fprintf(f, "crm,R%d,u%d@web.de\n", i, i / 2);
    }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ingest_before_upserts(): no record goes in before the job is done, whether the rows go to
 * the worker in batches (rows > a batch) or, fewer than a batch, are upserted by the reading
 * thread when the file ends. */
static void job_comes_before_every_upsert(int rows) {
    scv_engine *e;
    ingest *in;
    struct slow_job job = {NULL, 0, 0};
    char *path = csv_file("job.csv", rows);
    assert_int_equal(scv_engine_new(NULL, &e), SCV_OK);
    job.engine = e;
    in = ingest_new(e, NULL, 0);
    assert_non_null(in);
    ingest_before_upserts(in, slow_job_run, &job);
    assert_int_equal(ingest_file(in, path), 0);
    ingest_free(in);
    assert_int_equal(job.ran, 1);
    assert_int_equal(job.records_at_end, 0);
    assert_int_equal(scv_engine_record_count(e), (size_t)rows);
    assert_int_equal(scv_engine_profile_count(e), (size_t)(rows + 1) / 2);
    scv_engine_free(e);
    remove(path);
    free(path);
}

static void job_comes_before_upserts_on_the_reading_thread(void **state) {
    (void)state;
    job_comes_before_every_upsert(10);
}

static void job_comes_before_the_workers_batches(void **state) {
    (void)state;
    job_comes_before_every_upsert(5000);
}

/* What the idle hook is told: rows read, and the bytes they took (the offset of the last row
 * handed on). Every row of the test file is at least MIN_ROW bytes long. */
#define MIN_ROW 17
struct idle_log {
    int calls;
    unsigned long long max_bytes;
    int bytes_behind_rows; /* a call whose bytes are fewer than its rows can take */
};

static int idle_record(void *ctx, unsigned long long rows, unsigned long long bytes) {
    struct idle_log *log = ctx;
    log->calls++;
    if (bytes > log->max_bytes) {
        log->max_bytes = bytes;
    }
    if (rows > 0 && bytes < (rows - 1) * MIN_ROW) {
        log->bytes_behind_rows = 1;
    }
    return 0;
}

/* The reading thread waits (the slow job holds the worker) with batches handed on: the idle
 * hook hears of their rows and of the bytes they took, within the file. */
static void idle_hook_hears_rows_and_bytes(void **state) {
    (void)state;
    scv_engine *e;
    ingest *in;
    struct slow_job job = {NULL, 0, 0};
    struct idle_log log = {0, 0, 0};
    char *path = csv_file("idle.csv", 5000);
    FILE *f = fopen(path, "rb");
    long size;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    fclose(f);
    assert_int_equal(scv_engine_new(NULL, &e), SCV_OK);
    job.engine = e;
    in = ingest_new(e, NULL, 0);
    assert_non_null(in);
    ingest_set_idle(in, idle_record, &log);
    ingest_before_upserts(in, slow_job_run, &job);
    assert_int_equal(ingest_file(in, path), 0);
    ingest_free(in);
    assert_true(log.calls > 0);
    assert_true(log.max_bytes > 0);
    assert_true(log.max_bytes < (unsigned long long)size);
    assert_int_equal(log.bytes_behind_rows, 0);
    assert_int_equal(scv_engine_record_count(e), 5000);
    scv_engine_free(e);
    remove(path);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_comes_before_upserts_on_the_reading_thread),
        cmocka_unit_test(job_comes_before_the_workers_batches),
        cmocka_unit_test(idle_hook_hears_rows_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
