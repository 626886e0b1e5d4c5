/* test_progress.c — progress reports and cancellation of long operations (load, absorb). */
#include "test.h"

typedef struct {
    int calls, stop_at;
    uint64_t last_done, last_total;
    int monotonic;
} tracker;

static int track(void *ctx, uint64_t done, uint64_t total)
{
    tracker *t = ctx;
    if (done < t->last_done || done > total) t->monotonic = 0;
    t->last_done = done;
    t->last_total = total;
    return ++t->calls == t->stop_at;
}

static scv_engine *filled(int n)
{
    scv_engine *e = test_engine();
    char id[16], email[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "r%d", i);
        snprintf(email, sizeof email, "email=p%d@web.de", i / 2);
        test_upsert(e, "crm", id, email, NULL);
    }
    return e;
}

static void load_reports_progress_and_can_be_cancelled(void **state)
{
    (void)state;
    scv_engine *src = filled(500), *e = NULL;
    size_t size, written;
    assert_ok(scv_engine_snapshot_size(src, &size));
    void *buf = malloc(size);
    assert_ok(scv_engine_snapshot_write(src, buf, size, &written));
    scv_options *o;
    tracker t = {0, 0, 0, 0, 1};
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_hash_key(o, S("test key")));
    assert_ok(scv_options_set_progress(o, track, &t));
    assert_ok(scv_engine_load(o, buf, written, &e));
    assert_true(t.calls >= 2);
    assert_true(t.monotonic);
    assert_true(t.last_done == t.last_total && t.last_total > 0);
    scv_engine_free(e);
    for (int stop = 1; stop <= t.calls; stop++) {
        tracker c = {0, stop, 0, 0, 1};
        assert_ok(scv_options_set_progress(o, track, &c));
        e = (scv_engine *)1;
        assert_status(scv_engine_load(o, buf, written, &e), SCV_ECANCELED);
        assert_null(e);
    }
    scv_options_free(o);
    free(buf);
    scv_engine_free(src);
}

static void absorb_reports_progress_and_keeps_what_it_added_when_cancelled(void **state)
{
    (void)state;
    scv_engine *src = filled(10000), *dst = test_engine();
    tracker t = {0, 0, 0, 0, 1};
    assert_ok(scv_engine_set_progress(dst, track, &t));
    assert_ok(scv_engine_absorb(dst, src));
    assert_true(t.monotonic);
    assert_int_equal(t.last_done, 10000);
    assert_int_equal(scv_engine_record_count(dst), 10000);
    scv_engine_free(dst);
    dst = test_engine();
    tracker c = {0, 2, 0, 0, 1}; /* stop at the first report after the start */
    assert_ok(scv_engine_set_progress(dst, track, &c));
    assert_status(scv_engine_absorb(dst, src), SCV_ECANCELED);
    assert_int_equal(scv_engine_record_count(dst), 4095);
    assert_ok(scv_engine_set_progress(dst, NULL, NULL));
    assert_ok(scv_engine_absorb(dst, src)); /* again: idempotent, completes */
    assert_int_equal(scv_engine_record_count(dst), 10000);
    scv_engine_free(dst);
    scv_engine_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_reports_progress_and_can_be_cancelled),
        cmocka_unit_test(absorb_reports_progress_and_keeps_what_it_added_when_cancelled),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
