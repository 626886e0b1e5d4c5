/* test_report.c — audit statistics: size histogram and percentiles, largest profiles,
 * non-linking values, source overlap, kind coverage. */
#include "test.h"

static scv_engine *sample(void)
{
    scv_engine *e = test_engine();
    char id[16], lo[32];
    /* Profile 1: 5 records (crm + pos); 2: 2 records (web + email); 3..: singles (pos). */
    test_upsert(e, "crm", "c1", "customer_id=1", "email=a@web.de", NULL);
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "p%d", i);
        test_upsert(e, "pos", id, "customer_id=1", NULL);
    }
    test_upsert(e, "web", "w1", "anonymous_id=k1", "email=b@web.de", NULL);
    test_upsert(e, "email", "e1", "email=b@web.de", NULL);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(lo, sizeof lo, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, lo, "email=test@test.com", NULL);
    }
    return e;
}

static void size_histogram_and_percentiles(void **state)
{
    (void)state;
    scv_engine *e = sample();
    uint64_t h[4];
    uint32_t r;
    assert_ok(scv_engine_profile_size_histogram(e, h, 4));
    assert_int_equal(h[0], 3); /* size 1 */
    assert_int_equal(h[1], 1); /* 2..3 */
    assert_int_equal(h[2], 1); /* 4..7 */
    assert_int_equal(h[3], 0);
    assert_ok(scv_engine_profile_size_histogram(e, h, 1));
    assert_int_equal(h[0], 5);
    assert_ok(scv_engine_profile_size_percentile(e, 50, &r));
    assert_int_equal(r, 1);
    assert_ok(scv_engine_profile_size_percentile(e, 100, &r));
    assert_int_equal(r, 5);
    assert_ok(scv_engine_profile_size_percentile(e, 0, &r));
    assert_int_equal(r, 1);
    assert_status(scv_engine_profile_size_percentile(e, 101, &r), SCV_EINVAL);
    assert_status(scv_engine_profile_size_histogram(e, h, 0), SCV_EINVAL);
    scv_engine_free(e);
}

static void largest_profiles_first(void **state)
{
    (void)state;
    scv_engine *e = sample();
    scv_profile_id top[3];
    size_t n;
    assert_ok(scv_engine_largest_profiles(e, top, 3, &n));
    assert_int_equal(n, 3);
    assert_int_equal(top[0], 1);
    assert_int_equal(top[1], 2);
    assert_ok(scv_engine_largest_profiles(e, top, 0, &n));
    assert_int_equal(n, 0);
    scv_engine_free(e);
}

static void non_linking_values_iterate_by_state(void **state)
{
    (void)state;
    scv_engine *e = sample();
    scv_identifier_ref v;
    uint32_t carriers;
    assert_ok(scv_engine_identifier_next(e, 0, SCV_LINK_BLOCKED, &v));
    assert_ok(scv_engine_identifier_state(e, v, NULL, &carriers));
    assert_int_equal(carriers, 3);
    assert_status(scv_engine_identifier_next(e, v, SCV_LINK_BLOCKED, &v), SCV_ENOTFOUND);
    assert_status(scv_engine_identifier_next(e, 0, SCV_LINK_GENERIC, &v), SCV_ENOTFOUND);
    size_t linking = 0;
    v = 0;
    while (scv_engine_identifier_next(e, v, SCV_LINK, &v) == SCV_OK) linking++;
    assert_int_equal(linking, 7);
    scv_engine_free(e);
}

static void source_overlap_and_kind_coverage(void **state)
{
    (void)state;
    scv_engine *e = sample();
    uint64_t m[16], k[6];
    assert_ok(scv_engine_source_overlap(e, m, 4));
    assert_int_equal(m[SCV_SOURCE_CRM * 4 + SCV_SOURCE_CRM], 1);
    assert_int_equal(m[SCV_SOURCE_CRM * 4 + SCV_SOURCE_POS], 1);
    assert_int_equal(m[SCV_SOURCE_POS * 4 + SCV_SOURCE_POS], 4);
    assert_int_equal(m[SCV_SOURCE_WEB * 4 + SCV_SOURCE_EMAIL], 1);
    assert_int_equal(m[SCV_SOURCE_WEB * 4 + SCV_SOURCE_POS], 0);
    assert_ok(scv_engine_kind_coverage(e, k, 6));
    assert_int_equal(k[SCV_KIND_EMAIL], 2);
    assert_int_equal(k[SCV_KIND_CUSTOMER_ID], 1);
    assert_int_equal(k[SCV_KIND_LOYALTY_ID], 3);
    assert_int_equal(k[SCV_KIND_PHONE], 0);
    assert_status(scv_engine_source_overlap(e, m, 65), SCV_EINVAL);
    assert_status(scv_engine_kind_coverage(e, NULL, 6), SCV_EINVAL);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(size_histogram_and_percentiles),
        cmocka_unit_test(largest_profiles_first),
        cmocka_unit_test(non_linking_values_iterate_by_state),
        cmocka_unit_test(source_overlap_and_kind_coverage),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
