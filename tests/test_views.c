/* test_views.c — single customer views: survivorship rules, measures and windows, consent,
 * first/last seen, and views staying exact through merges and splits. */
#include "test.h"

static scv_record *builder(scv_engine *e, const char *source, const char *id)
{
    scv_record *r;
    scv_source src;
    assert_ok(scv_record_new(e, &r));
    if (scv_engine_source(e, S(source), &src) != SCV_OK) assert_ok(scv_engine_register_source(e, S(source), &src));
    assert_ok(scv_record_reset(r, src, S(id)));
    return r;
}

static void upsert_free(scv_engine *e, scv_record *r)
{
    assert_ok(scv_engine_upsert(e, r, NULL));
    scv_record_free(r);
}

static const char *trait(scv_engine *e, scv_profile_id p, const char *name)
{
    static char buf[128];
    const char *v;
    size_t n;
    if (scv_profile_trait(e, p, S(name), &v, &n, NULL) != SCV_OK) return "(none)";
    snprintf(buf, sizeof buf, "%.*s", (int)n, v);
    return buf;
}

static double measure(scv_engine *e, scv_profile_id p, const char *name, scv_agg agg, uint32_t window, int64_t now)
{
    double v = -12345;
    if (scv_profile_measure(e, p, S(name), agg, window, now, &v) != SCV_OK) return -999;
    return v;
}

static void most_recent_is_the_default_rule(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", "ts=100", "trait:city=Bonn", NULL);
    test_upsert(e, "web", "b", "email=a@b.de", "ts=300", "trait:city=Köln", NULL);
    test_upsert(e, "pos", "c", "email=a@b.de", "ts=200", "trait:city=Kiel", NULL);
    assert_string_equal(trait(e, 1, "city"), "Köln");
    scv_record_ref from;
    const char *v;
    size_t n;
    assert_ok(scv_profile_trait(e, 1, S("city"), &v, &n, &from));
    assert_int_equal(from, 2);
    scv_engine_free(e);
}

static void source_priority_rule_prefers_crm(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_source order[] = {SCV_SOURCE_CRM, SCV_SOURCE_POS};
    assert_ok(scv_engine_set_trait_rule(e, S("last_name"), SCV_SURVIVE_SOURCE_PRIORITY));
    assert_ok(scv_engine_set_source_priority(e, order, 2));
    test_upsert(e, "web", "w", "email=a@b.de", "ts=500", "trait:last_name=Mueler", NULL);
    test_upsert(e, "crm", "c1", "email=a@b.de", "ts=100", "trait:last_name=Müller", NULL);
    test_upsert(e, "crm", "c2", "email=a@b.de", "ts=50", "trait:last_name=Mueller", NULL);
    test_upsert(e, "pos", "p", "email=a@b.de", "ts=900", "trait:last_name=M.", NULL);
    /* crm first; among crm rows the most recent. */
    assert_string_equal(trait(e, 1, "last_name"), "Müller");
    /* Other traits keep the default rule. */
    test_upsert(e, "web", "w2", "email=a@b.de", "ts=1000", "trait:first_name=Jo", NULL);
    test_upsert(e, "crm", "c3", "email=a@b.de", "ts=10", "trait:first_name=Johanna", NULL);
    assert_string_equal(trait(e, 1, "first_name"), "Jo");
    scv_engine_free(e);
}

static void most_frequent_rule_takes_the_commonest_value(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_trait_rule(e, S("city"), SCV_SURVIVE_MOST_FREQUENT));
    test_upsert(e, "pos", "1", "loyalty_id=L1", "ts=1", "trait:city=Berlin", NULL);
    test_upsert(e, "pos", "2", "loyalty_id=L1", "ts=2", "trait:city=Berlin", NULL);
    test_upsert(e, "pos", "3", "loyalty_id=L1", "ts=9", "trait:city=Hamburg", NULL);
    test_upsert(e, "pos", "4", "loyalty_id=L1", "ts=3", "trait:city=", NULL); /* empty: ignored */
    assert_string_equal(trait(e, 1, "city"), "Berlin");
    /* A tie goes to the value seen most recently. */
    test_upsert(e, "pos", "5", "loyalty_id=L1", "ts=4", "trait:city=Hamburg", NULL);
    assert_string_equal(trait(e, 1, "city"), "Hamburg");
    scv_engine_free(e);
}

static void first_seen_rule_keeps_the_earliest(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_trait_rule(e, NULL, 0, SCV_SURVIVE_FIRST_SEEN)); /* the default */
    test_upsert(e, "crm", "a", "email=a@b.de", "ts=300", "trait:signup=web", NULL);
    test_upsert(e, "crm", "b", "email=a@b.de", "ts=100", "trait:signup=store", NULL);
    assert_string_equal(trait(e, 1, "signup"), "store");
    assert_status(scv_engine_set_trait_rule(e, S("x"), (scv_survivorship)9), SCV_EINVAL);
    scv_engine_free(e);
}

static void measures_aggregate_with_missing_values(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "pos", "1", "loyalty_id=L1", "ts=1000", "measure:order_total=10", NULL);
    test_upsert(e, "pos", "2", "loyalty_id=L1", "ts=2000", "measure:order_total=30.5", NULL);
    test_upsert(e, "pos", "3", "loyalty_id=L1", "measure:order_total=-0.5", NULL); /* undated */
    test_upsert(e, "crm", "c", "customer_id=9", NULL);
    assert_true(measure(e, 1, "order_total", SCV_AGG_COUNT, 0, 0) == 3);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 0, 0) == 40);
    assert_true(measure(e, 1, "order_total", SCV_AGG_AVG, 0, 0) == 40.0 / 3);
    assert_true(measure(e, 1, "order_total", SCV_AGG_MIN, 0, 0) == -0.5);
    assert_true(measure(e, 1, "order_total", SCV_AGG_MAX, 0, 0) == 30.5);
    assert_true(measure(e, 1, "order_total", SCV_AGG_FIRST_TIME, 0, 0) == 1000);
    assert_true(measure(e, 1, "order_total", SCV_AGG_LAST_TIME, 0, 0) == 2000);
    /* Profile 2 has no order: count and sum 0, the rest missing. */
    assert_true(measure(e, 2, "order_total", SCV_AGG_COUNT, 0, 0) == 0);
    assert_true(measure(e, 2, "order_total", SCV_AGG_SUM, 0, 0) == 0);
    assert_true(measure(e, 2, "order_total", SCV_AGG_AVG, 0, 0) == -999);
    assert_true(measure(e, 2, "nonexistent", SCV_AGG_SUM, 0, 0) == 0);
    assert_true(measure(e, 2, "nonexistent", SCV_AGG_MAX, 0, 0) == -999);
    scv_engine_free(e);
}

static void windows_count_records_in_now_minus_days_to_now(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const int64_t day = 86400, now = 100 * day;
    test_upsert(e, "pos", "old", "loyalty_id=L1", "ts=864000", "measure:order_total=100", NULL);   /* day 10 */
    test_upsert(e, "pos", "edge", "loyalty_id=L1", "ts=2592000", "measure:order_total=7", NULL);   /* day 30: now-70d exactly */
    test_upsert(e, "pos", "in", "loyalty_id=L1", "ts=7776000", "measure:order_total=5", NULL);     /* day 90 */
    test_upsert(e, "pos", "now", "loyalty_id=L1", "ts=8640000", "measure:order_total=1", NULL);    /* day 100 = now */
    test_upsert(e, "pos", "future", "loyalty_id=L1", "ts=8640001", "measure:order_total=1000", NULL);
    test_upsert(e, "pos", "undated", "loyalty_id=L1", "measure:order_total=50", NULL);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 70, now) == 6);  /* (day 30, day 100] */
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 71, now) == 13);
    assert_true(measure(e, 1, "order_total", SCV_AGG_COUNT, 90, now) == 3);
    assert_true(measure(e, 1, "order_total", SCV_AGG_MAX, 1, now) == 1);
    assert_true(measure(e, 1, "order_total", SCV_AGG_AVG, 1, 50 * day) == -999);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 0, now) == 1163);
    scv_engine_free(e);
}

static void consent_latest_decision_wins_and_denial_survives_merge(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r = builder(e, "crm", "c");
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("a@b.de")));
    assert_ok(scv_record_set_timestamp(r, 500));
    assert_ok(scv_record_add_consent(r, S("email"), 0, SCV_NO_TIMESTAMP)); /* denied at 500 */
    upsert_free(e, r);
    r = builder(e, "web", "w");
    assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S("030 7654321")));
    assert_ok(scv_record_set_timestamp(r, 900));
    assert_ok(scv_record_add_consent(r, S("email"), 1, 300)); /* an older grant, sent later */
    assert_ok(scv_record_add_consent(r, S("sms"), 1, 300));
    upsert_free(e, r);
    int granted;
    int64_t ts;
    assert_ok(scv_profile_consent(e, 2, S("email"), &granted, &ts));
    assert_int_equal(granted, 1);
    /* Merge: the denial (500) is more recent than the grant (300). */
    test_upsert(e, "pos", "p", "email=a@b.de", "phone=030 7654321", NULL);
    assert_ok(scv_profile_consent(e, 1, S("email"), &granted, &ts));
    assert_int_equal(granted, 0);
    assert_int_equal(ts, 500);
    assert_ok(scv_profile_consent(e, 1, S("sms"), &granted, NULL));
    assert_int_equal(granted, 1);
    assert_status(scv_profile_consent(e, 1, S("ads"), &granted, NULL), SCV_ENOTFOUND);
    /* Equal times: the denial wins. */
    r = builder(e, "crm", "c2");
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("a@b.de")));
    assert_ok(scv_record_add_consent(r, S("sms"), 0, 300));
    upsert_free(e, r);
    assert_ok(scv_profile_consent(e, 1, S("sms"), &granted, NULL));
    assert_int_equal(granted, 0);
    const char *name;
    size_t len;
    assert_ok(scv_engine_consent_channel(e, 1, &name, &len));
    assert_memory_equal(name, "sms", 3);
    scv_engine_free(e);
}

static void views_follow_splits_exactly(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", "ts=100", "measure:order_total=10", "trait:city=Bonn", NULL);
    test_upsert(e, "pos", "b", "loyalty_id=L9", "ts=200", "measure:order_total=5", "trait:city=Kiel", NULL);
    test_upsert(e, "web", "c", "email=a@b.de", "loyalty_id=L9", "ts=50", NULL);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 0, 0) == 15);
    assert_string_equal(trait(e, 1, "city"), "Kiel");
    int64_t first, last;
    assert_ok(scv_profile_seen(e, 1, &first, &last));
    assert_int_equal(first, 50);
    assert_int_equal(last, 200);
    /* c drops the card: b splits off with its order and its city. */
    test_upsert(e, "web", "c", "email=a@b.de", "ts=50", NULL);
    scv_profile_id pb = test_profile_of(e, "pos", "b");
    assert_int_not_equal(pb, 1);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 0, 0) == 10);
    assert_true(measure(e, pb, "order_total", SCV_AGG_SUM, 0, 0) == 5);
    assert_string_equal(trait(e, 1, "city"), "Bonn");
    assert_string_equal(trait(e, pb, "city"), "Kiel");
    /* A merged-away id has no view. */
    double v;
    test_upsert(e, "web", "c", "email=a@b.de", "loyalty_id=L9", "ts=50", NULL);
    assert_status(scv_profile_measure(e, pb, S("order_total"), SCV_AGG_SUM, 0, 0, &v), SCV_ENOTFOUND);
    assert_true(measure(e, 1, "order_total", SCV_AGG_SUM, 0, 0) == 15);
    scv_engine_free(e);
}

static void profile_without_dated_records_has_no_seen_times(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    int64_t first = 0, last = 0;
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    assert_ok(scv_profile_seen(e, 1, &first, &last));
    assert_true(first == SCV_NO_TIMESTAMP && last == SCV_NO_TIMESTAMP);
    assert_status(scv_profile_seen(e, 7, &first, &last), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void measure_and_trait_names_enumerate(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *name;
    size_t n;
    test_upsert(e, "pos", "a", "measure:order_total=1", "measure:items=2", "trait:store=B", NULL);
    assert_ok(scv_engine_measure_name(e, 1, &name, &n));
    assert_memory_equal(name, "items", n);
    assert_status(scv_engine_measure_name(e, 2, &name, &n), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void a_trait_and_a_measure_may_share_a_name(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "pos", "a", "measure:items=2", "trait:items=two", NULL);
    assert_string_equal(trait(e, 1, "items"), "two");
    assert_true(measure(e, 1, "items", SCV_AGG_SUM, 0, 0) == 2);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(most_recent_is_the_default_rule),
        cmocka_unit_test(source_priority_rule_prefers_crm),
        cmocka_unit_test(most_frequent_rule_takes_the_commonest_value),
        cmocka_unit_test(first_seen_rule_keeps_the_earliest),
        cmocka_unit_test(measures_aggregate_with_missing_values),
        cmocka_unit_test(windows_count_records_in_now_minus_days_to_now),
        cmocka_unit_test(consent_latest_decision_wins_and_denial_survives_merge),
        cmocka_unit_test(views_follow_splits_exactly),
        cmocka_unit_test(profile_without_dated_records_has_no_seen_times),
        cmocka_unit_test(measure_and_trait_names_enumerate),
        cmocka_unit_test(a_trait_and_a_measure_may_share_a_name),
    };
    return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
