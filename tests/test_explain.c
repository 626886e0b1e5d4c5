/* test_explain.c — the chain that joins two records, or the rule that keeps them apart. */
#include "test.h"

static scv_record_ref ref_of(const scv_engine *e, const char *source, const char *id)
{
    scv_source src;
    scv_record_ref ref;
    assert_ok(scv_engine_source(e, S(source), &src));
    assert_ok(scv_engine_record_find(e, src, S(id), &ref));
    return ref;
}

/* "crm:a -email-> web:b -loyalty_id-> pos:c" style text of an explanation. */
static const char *explain(scv_engine *e, const char *sa, const char *ia, const char *sb, const char *ib,
                           scv_apart *apart)
{
    static char out[1024];
    scv_record_ref recs[16];
    scv_identifier_ref ids[16];
    size_t n, used = 0;
    assert_ok(scv_engine_explain(e, ref_of(e, sa, ia), ref_of(e, sb, ib), recs, ids, 16, &n, apart));
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        scv_source src;
        const char *id;
        size_t len, klen;
        assert_ok(scv_engine_record_info(e, recs[i], &src, &id, &len, NULL));
        const char *sn = scv_engine_source_name(e, src, &klen);
        used += (size_t)snprintf(out + used, sizeof out - used, "%.*s:%.*s", (int)klen, sn, (int)len, id);
        if (i + 1 < n) {
            scv_kind kind;
            assert_ok(scv_engine_identifier_info(e, ids[i], &kind, NULL, NULL, NULL));
            const char *kn = scv_engine_kind_name(e, kind, &klen);
            used += (size_t)snprintf(out + used, sizeof out - used, " -%.*s-> ", (int)klen, kn);
        }
    }
    return out;
}

static void chain_through_shared_identifiers_is_shortest(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_apart apart;
    test_upsert(e, "crm", "a", "email=a@b.de", "customer_id=7", NULL);
    test_upsert(e, "web", "b", "email=a@b.de", "anonymous_id=k1", NULL);
    test_upsert(e, "pos", "c", "loyalty_id=L1", "anonymous_id=k1", NULL);
    test_upsert(e, "pos", "d", "loyalty_id=L1", "phone=030 7778889", NULL);
    test_upsert(e, "crm", "e", "customer_id=7", "phone=030 7778889", NULL); /* a shortcut */
    assert_string_equal(explain(e, "crm", "a", "pos", "d", &apart), "crm:a -customer_id-> crm:e -phone-> pos:d");
    assert_int_equal(apart, SCV_APART_NONE);
    assert_string_equal(explain(e, "crm", "a", "web", "b", &apart), "crm:a -email-> web:b");
    assert_string_equal(explain(e, "crm", "a", "crm", "a", &apart), "crm:a");
    scv_engine_free(e);
}

static void apart_by_limit_blocked_generic_suppressed_or_unrelated(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_apart apart;
    char id[16], lo[32];
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    test_upsert(e, "crm", "c1", "customer_id=1", "phone=030 4455667", NULL);
    test_upsert(e, "crm", "c2", "customer_id=2", "phone=030 4455667", NULL);
    assert_string_equal(explain(e, "crm", "c1", "crm", "c2", &apart), "crm:c1 -phone-> crm:c2");
    assert_int_equal(apart, SCV_APART_LIMIT);

    test_upsert(e, "web", "w1", "email=test@test.com", NULL);
    test_upsert(e, "web", "w2", "email=test@test.com", NULL);
    explain(e, "web", "w1", "web", "w2", &apart);
    assert_int_equal(apart, SCV_APART_BLOCKED);

    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(lo, sizeof lo, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, lo, "phone=040 23125100", NULL);
    }
    explain(e, "pos", "s0", "pos", "s5", &apart);
    assert_int_equal(apart, SCV_APART_GENERIC);

    test_upsert(e, "web", "x1", "anonymous_id=zz", NULL);
    test_upsert(e, "web", "x2", "anonymous_id=zz", NULL);
    assert_ok(scv_engine_suppress(e, SCV_KIND_ANONYMOUS_ID, S("zz")));
    explain(e, "web", "x1", "web", "x2", &apart);
    assert_int_equal(apart, SCV_APART_SUPPRESSED);

    assert_string_equal(explain(e, "crm", "c1", "web", "x1", &apart), "");
    assert_int_equal(apart, SCV_APART_UNRELATED);
    scv_engine_free(e);
}

static void size_query_and_bad_arguments(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_apart apart;
    size_t n;
    scv_record_ref recs[1];
    scv_identifier_ref ids[1];
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    test_upsert(e, "crm", "b", "email=a@b.de", NULL);
    assert_status(scv_engine_explain(e, 1, 2, NULL, NULL, 0, &n, &apart), SCV_EBUFFER);
    assert_int_equal(n, 2);
    assert_status(scv_engine_explain(e, 1, 2, recs, ids, 1, &n, &apart), SCV_EBUFFER);
    assert_status(scv_engine_explain(e, 1, 9, recs, ids, 1, &n, &apart), SCV_ENOTFOUND);
    assert_status(scv_engine_explain(e, 1, 2, NULL, ids, 1, &n, &apart), SCV_EINVAL);
    assert_status(scv_engine_explain(e, 1, 2, recs, ids, 1, NULL, &apart), SCV_EINVAL);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_through_shared_identifiers_is_shortest),
        cmocka_unit_test(apart_by_limit_blocked_generic_suppressed_or_unrelated),
        cmocka_unit_test(size_query_and_bad_arguments),
    };
    return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
