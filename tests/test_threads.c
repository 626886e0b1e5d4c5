/* test_threads.c — the thread-safety model in scv.h: separate engines in separate threads,
 * and concurrent readers (calls taking a const engine) on one engine with no writer. Run
 * under ThreadSanitizer by the `tsan` preset; in other builds it checks the answers. */
#include <pthread.h>

#include "test.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(separate_engines_in_separate_threads),
        cmocka_unit_test(concurrent_readers_of_one_engine),
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
