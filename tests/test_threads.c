/* test_threads.c — the thread-safety model in scv.h: separate engines in separate threads,
 * concurrent readers (calls taking a const engine) on one engine with no writer, and records
 * built on one thread while another upserts. Run under ThreadSanitizer by the `tsan` preset;
 * in other builds it checks the answers. */
#include <pthread.h>

#include "test.h"

#include "engine.h"

#include <stddef.h>

#define RECORDS 3000

static scv_engine *populated(int seed)
{
    scv_engine *e = test_engine();
    scv_record *r;
    char id[32], email[48];
    assert_ok(scv_record_new(e, &r));
    for (int i = 0; i < RECORDS; i++) {
        snprintf(id, sizeof id, "r%d", i);
        snprintf(email, sizeof email, "p%d.%d@web.de", seed, i / 3);
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(id)));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(email)));
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    scv_record_free(r);
    return e;
}

static void *own_engine(void *arg)
{
    int seed = (int)(intptr_t)arg;
    scv_engine *e = populated(seed);
    size_t *profiles = malloc(sizeof *profiles);
    *profiles = scv_engine_profile_count(e);
    scv_engine_free(e);
    return profiles;
}

static void separate_engines_in_separate_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, own_engine, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_int_equal(*(size_t *)res, RECORDS / 3);
        free(res);
    }
}

typedef struct {
    const scv_engine *e;
    size_t checked;
} reader;

static void *read_everything(void *arg)
{
    reader *rd = arg;
    const scv_engine *e = rd->e;
    scv_record_ref ref = 0;
    while (scv_engine_record_next(e, ref, &ref) == SCV_OK) {
        scv_profile_id p, canon;
        scv_record_ref members[8];
        scv_identifier_ref ids[8];
        size_t n;
        scv_apart apart;
        if (scv_engine_record_profile(e, ref, &p) != SCV_OK) continue;
        if (scv_profile_canonical(e, p, &canon) != SCV_OK || canon != p) continue;
        if (scv_profile_records(e, p, members, 8, &n) != SCV_OK || n != 3) continue;
        if (scv_profile_identifiers(e, p, ids, 8, &n) != SCV_OK || n != 1) continue;
        if (scv_engine_explain(e, members[0], members[2], members, ids, 8, &n, &apart) != SCV_OK) continue;
        rd->checked++;
    }
    return NULL;
}

static void concurrent_readers_of_one_engine(void **state)
{
    (void)state;
    scv_engine *e = populated(7);
    reader rd[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        rd[i].e = e;
        rd[i].checked = 0;
        assert_int_equal(pthread_create(&t[i], NULL, read_everything, &rd[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(rd[i].checked, RECORDS);
    }
    scv_engine_free(e);
}

/* A two-thread pipeline: the producer fills builders (normalizing and hashing) while the
 * consumer upserts the builders filled before. Builders only read the engine's kinds, sources,
 * normalizers and key, which upserts never change. Hand-over is one builder at a time under a
 * mutex, as a host's queue would do it. */
#define PIPE 8

typedef struct {
    scv_engine *e;
    scv_record *b[PIPE];
    int filled[PIPE]; /* by builder: 1 = ready to upsert, 0 = free to fill */
    pthread_mutex_t lock;
    pthread_cond_t changed;
} pipeline;

static void *produce(void *arg)
{
    pipeline *p = arg;
    char id[32], email[48], phone[32];
    for (int i = 0; i < RECORDS; i++) {
        int k = i % PIPE;
        pthread_mutex_lock(&p->lock);
        while (p->filled[k]) pthread_cond_wait(&p->changed, &p->lock);
        pthread_mutex_unlock(&p->lock);
        snprintf(id, sizeof id, "r%d", i);
        snprintf(email, sizeof email, "P%d@Web.de ", i / 3);
        snprintf(phone, sizeof phone, "030 %07d", 1000000 + i / 3);
        assert_ok(scv_record_reset(p->b[k], SCV_SOURCE_CRM, S(id)));
        assert_ok(scv_record_add_identifier(p->b[k], SCV_KIND_EMAIL, S(email)));
        assert_ok(scv_record_add_identifier(p->b[k], SCV_KIND_PHONE, S(phone)));
        assert_ok(scv_record_add_trait(p->b[k], S("city"), S("Bonn")));
        pthread_mutex_lock(&p->lock);
        p->filled[k] = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

static void records_built_on_one_thread_while_another_upserts(void **state)
{
    (void)state;
    pipeline p;
    memset(&p, 0, sizeof p);
    p.e = test_engine();
    for (int k = 0; k < PIPE; k++) assert_ok(scv_record_new(p.e, &p.b[k]));
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    for (int i = 0; i < RECORDS; i++) {
        int k = i % PIPE;
        pthread_mutex_lock(&p.lock);
        while (!p.filled[k]) pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
        assert_ok(scv_engine_upsert(p.e, p.b[k], NULL));
        pthread_mutex_lock(&p.lock);
        p.filled[k] = 0;
        pthread_cond_broadcast(&p.changed);
        pthread_mutex_unlock(&p.lock);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(scv_engine_profile_count(p.e), RECORDS / 3);
    assert_int_equal(scv_engine_record_count(p.e), RECORDS);
    for (int k = 0; k < PIPE; k++) scv_record_free(p.b[k]);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.changed);
    scv_engine_free(p.e);
}

/* Builders may be filled on one thread while another upserts (scv.h): what filling reads of
 * the engine (its allocator, key, region, retention, CPU flag, kinds, normalizers, sources)
 * lies before the fence, and what upserts write after it, so that no cache line holds both
 * (the two threads would pass such a line back and forth on every record). */
static void builder_reads_share_no_cache_line_with_upsert_writes(void **state)
{
    (void)state;
    size_t fence = offsetof(struct scv_engine, builder_fence);
    size_t read_ends = offsetof(struct scv_engine, sources) + sizeof(scv__names);
    size_t written_from = fence + sizeof(((struct scv_engine *)0)->builder_fence);
    const size_t read[] = {offsetof(struct scv_engine, mem), offsetof(struct scv_engine, hasher),
                           offsetof(struct scv_engine, region), offsetof(struct scv_engine, retain),
                           offsetof(struct scv_engine, email_flags), offsetof(struct scv_engine, write_hint),
                           offsetof(struct scv_engine, kinds), offsetof(struct scv_engine, kind_norm),
                           offsetof(struct scv_engine, sources)};
    const size_t written[] = {offsetof(struct scv_engine, trait_names), offsetof(struct scv_engine, ids),
                              offsetof(struct scv_engine, recs), offsetof(struct scv_engine, graph),
                              offsetof(struct scv_engine, prof), offsetof(struct scv_engine, feed),
                              offsetof(struct scv_engine, trigger), offsetof(struct scv_engine, generation),
                              offsetof(struct scv_engine, errmsg)};
    for (size_t i = 0; i < sizeof read / sizeof read[0]; i++) assert_true(read[i] < fence);
    for (size_t i = 0; i < sizeof written / sizeof written[0]; i++) assert_true(written[i] >= written_from);
    assert_true(read_ends <= fence);
    assert_true(written_from - read_ends >= 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(separate_engines_in_separate_threads),
        cmocka_unit_test(concurrent_readers_of_one_engine),
        cmocka_unit_test(records_built_on_one_thread_while_another_upserts),
        cmocka_unit_test(builder_reads_share_no_cache_line_with_upsert_writes),
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
