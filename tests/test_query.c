/* test_query.c — segment queries: every term, operator and function, missing values, result
 * sets, saved segments through merges and splits, personas, RFM, and a differential test
 * against a straightforward reference evaluation. */
#include "test.h"

#define DAY 86400
#define NOW (1000 * DAY)

/* Ids of the profiles a query matches at NOW, as "1,4,7". */
static const char *run(scv_engine *e, const char *query)
{
    static char out[4096];
    scv_query *q;
    scv_result *r;
    size_t off = 0, used = 0, listed = 0;
    scv_status st = scv_query_compile(e, S(query), &q, &off);
    if (st != SCV_OK) fail_msg("query %s: %s at %zu: %s", query, scv_status_str(st), off, scv_engine_errmsg(e));
    assert_ok(scv_query_eval(q, NOW, &r));
    out[0] = '\0';
    scv_profile_id p = 0;
    while (scv_result_next(r, p, &p) == SCV_OK) {
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%u", used ? "," : "", p);
        assert_true(scv_result_contains(r, p));
        listed++;
    }
    assert_int_equal(scv_result_count(r), listed);
    scv_result_free(r);
    scv_query_free(q);
    return out;
}

/* Three customers:
 * 1 Ann: crm+pos, Berlin, orders 120 (day 995) and 80 (day 900), e-mail consent granted.
 * 2 Bob: web only, Hamburg, no orders, an anonymous id only.
 * 3 Cem: crm+pos+email, city "Köln", one order of 600 (day 10), opens 3, consent denied. */
static scv_engine *population(void)
{
    scv_engine *e = test_engine();
    scv_record *r;
    test_upsert(e, "crm", "c1", "customer_id=1", "email=ann@web.de", "ts=86400000", "trait:city=Berlin",
                "trait:age=34", NULL);
    test_upsert(e, "pos", "p1", "customer_id=1", "ts=85968000", "measure:order_total=120", NULL);
    test_upsert(e, "pos", "p2", "customer_id=1", "ts=77760000", "measure:order_total=80", NULL);
    test_upsert(e, "web", "w1", "anonymous_id=a-bob", "ts=86000000", "trait:city=Hamburg", NULL);
    test_upsert(e, "crm", "c3", "customer_id=3", "ts=864000", "trait:city=Köln", "trait:age=n/a", NULL);
    test_upsert(e, "pos", "p3", "customer_id=3", "ts=864000", "measure:order_total=600", NULL);
    test_upsert(e, "email", "e3", "customer_id=3", "ts=8640000", "measure:opens=3", NULL);
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("c1")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("1")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("ann@web.de")));
    assert_ok(scv_record_set_timestamp(r, 86400000));
    assert_ok(scv_record_add_trait(r, S("city"), S("Berlin")));
    assert_ok(scv_record_add_trait(r, S("age"), S("34")));
    assert_ok(scv_record_add_consent(r, S("email"), 1, SCV_NO_TIMESTAMP));
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("c3")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("3")));
    assert_ok(scv_record_set_timestamp(r, 864000));
    assert_ok(scv_record_add_trait(r, S("city"), S("Köln")));
    assert_ok(scv_record_add_trait(r, S("age"), S("n/a")));
    assert_ok(scv_record_add_consent(r, S("email"), 0, SCV_NO_TIMESTAMP));
    assert_ok(scv_engine_upsert(e, r, NULL));
    scv_record_free(r);
    assert_int_equal(scv_engine_profile_count(e), 3);
    return e;
}

static void aggregates_with_and_without_windows(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "sum(order_total) > 150"), "1,3");
    assert_string_equal(run(e, "sum(order_total, 90d) > 150"), "");
    assert_string_equal(run(e, "sum(order_total, 150d) >= 200"), "1");
    assert_string_equal(run(e, "count(order_total) = 2"), "1");
    assert_string_equal(run(e, "count(order_total) = 0"), "2");
    assert_string_equal(run(e, "sum(order_total) = 0"), "2");
    assert_string_equal(run(e, "avg(order_total) = 100"), "1");
    assert_string_equal(run(e, "min(order_total) < 100"), "1");
    assert_string_equal(run(e, "max(order_total) >= 600"), "3");
    /* A missing avg/min/max is false whatever the operator, != included. */
    assert_string_equal(run(e, "avg(order_total) != 1"), "1,3");
    assert_string_equal(run(e, "max(unknown_measure) < 1"), "");
    assert_string_equal(run(e, "count(unknown_measure) = 0"), "1,2,3");
    scv_engine_free(e);
}

static void every_comparison_operator(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "records = 3"), "1,3");
    assert_string_equal(run(e, "records != 3"), "2");
    assert_string_equal(run(e, "records < 3"), "2");
    assert_string_equal(run(e, "records <= 3"), "1,2,3");
    assert_string_equal(run(e, "records > 1"), "1,3");
    assert_string_equal(run(e, "records >= 1"), "1,2,3");
    scv_engine_free(e);
}

static void days_since_first_and_last_seen(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "days_since_last_seen < 10"), "1,2");
    assert_string_equal(run(e, "days_since_last_seen > 800"), "3");
    assert_string_equal(run(e, "days_since_first_seen >= 100"), "1,3");
    assert_string_equal(run(e, "days_since_first_seen > 4.6 and days_since_first_seen < 4.7"), "2");
    scv_engine_free(e);
}

static void traits_compare_as_strings_or_numbers(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "trait(city) = \"Berlin\""), "1");
    assert_string_equal(run(e, "trait(city) != \"Berlin\""), "2,3");
    assert_string_equal(run(e, "trait(\"city\") = \"Köln\""), "3");
    assert_string_equal(run(e, "trait(city) < \"C\""), "1");
    assert_string_equal(run(e, "trait(age) > 30"), "1");       /* numeric */
    assert_string_equal(run(e, "trait(age) != 30"), "1");      /* "n/a" is not a number */
    assert_string_equal(run(e, "trait(age) = \"34\""), "1");
    assert_string_equal(run(e, "trait(zip) = \"x\""), "");
    assert_string_equal(run(e, "records = \"3\""), "");        /* number term vs string */
    scv_engine_free(e);
}

static void has_seen_and_consent(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "has(email)"), "1");
    assert_string_equal(run(e, "has(customer_id)"), "1,3");
    assert_string_equal(run(e, "has(phone)"), "");
    assert_string_equal(run(e, "seen(pos)"), "1,3");
    assert_string_equal(run(e, "seen(email)"), "3");
    assert_string_equal(run(e, "consent(email)"), "1");
    assert_string_equal(run(e, "not consent(email)"), "2,3");
    assert_string_equal(run(e, "consent(sms)"), "");
    scv_engine_free(e);
}

static void boolean_logic_and_precedence(void **state)
{
    (void)state;
    scv_engine *e = population();
    assert_string_equal(run(e, "seen(pos) and not seen(email)"), "1");
    assert_string_equal(run(e, "seen(web) or seen(email)"), "2,3");
    assert_string_equal(run(e, "seen(web) or seen(pos) and records > 2"), "1,2,3");
    assert_string_equal(run(e, "(seen(web) or seen(pos)) and records = 2"), "");
    assert_string_equal(run(e, "not not seen(web)"), "2");
    assert_string_equal(run(e, "NOT Seen(web) AND Has(Email)"), "1");
    /* The DESIGN.md example: big spenders with e-mail consent who never bought in a store —
     * here nobody. */
    assert_string_equal(run(e, "sum(order_total, 90d) > 100 and consent(email) and not seen(pos)"), "");
    scv_engine_free(e);
}

static void compile_errors_report_offsets(void **state)
{
    (void)state;
    scv_engine *e = population();
    scv_query *q = (scv_query *)1;
    size_t off = 99;
    assert_status(scv_query_compile(e, S("records >"), &q, &off), SCV_ESYNTAX);
    assert_null(q);
    assert_int_equal(off, 9);
    assert_string_not_equal(scv_engine_errmsg(e), "");
    assert_status(scv_query_compile(e, S("has(fax)"), &q, &off), SCV_ENOTFOUND);
    assert_int_equal(off, 0);
    assert_status(scv_query_compile(e, S("records > 1 and seen(shop)"), &q, &off), SCV_ENOTFOUND);
    assert_int_equal(off, 16);
    assert_status(scv_query_compile(e, NULL, 3, &q, &off), SCV_EINVAL);
    assert_status(scv_query_compile(e, "trait(\"\xff\") = \"x\"", 16, &q, &off), SCV_EUTF8);
    assert_int_equal(off, 7);
    scv_engine_free(e);
}

static void results_combine(void **state)
{
    (void)state;
    scv_engine *e = population();
    scv_query *qa, *qb;
    scv_result *a, *b, *c;
    assert_ok(scv_query_compile(e, S("seen(pos)"), &qa, NULL));
    assert_ok(scv_query_compile(e, S("seen(web) or seen(email)"), &qb, NULL));
    assert_ok(scv_query_eval(qa, NOW, &a));
    assert_ok(scv_query_eval(qb, NOW, &b));
    assert_ok(scv_result_combine(a, b, SCV_SET_AND, &c));
    assert_int_equal(scv_result_count(c), 1);
    assert_true(scv_result_contains(c, 3));
    scv_result_free(c);
    assert_ok(scv_result_combine(a, b, SCV_SET_OR, &c));
    assert_int_equal(scv_result_count(c), 3);
    scv_result_free(c);
    assert_ok(scv_result_combine(a, b, SCV_SET_ANDNOT, &c));
    assert_int_equal(scv_result_count(c), 1);
    assert_true(scv_result_contains(c, 1));
    assert_false(scv_result_contains(c, 100000));
    scv_result_free(c);
    assert_status(scv_result_combine(a, NULL, SCV_SET_OR, &c), SCV_EINVAL);
    assert_status(scv_result_combine(a, b, (scv_setop)7, &c), SCV_EINVAL);
    scv_result_free(a);
    scv_result_free(b);
    scv_query_free(qa);
    scv_query_free(qb);
    scv_result_free(NULL);
    scv_engine_free(e);
}

static size_t result_size_and_free(scv_result *r, scv_profile_id *first)
{
    size_t n = scv_result_count(r);
    *first = 0;
    if (n > 0) assert_ok(scv_result_next(r, 0, first));
    scv_result_free(r);
    return n;
}

static void saved_segment_reports_entered_and_left_through_merge_and_split(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_segment *s;
    scv_result *in, *out;
    scv_profile_id p;
    assert_ok(scv_segment_new(e, S("big spenders"), S("sum(order_total) >= 100"), &s, NULL));
    test_upsert(e, "pos", "a", "loyalty_id=L1", "measure:order_total=60", NULL);   /* profile 1 */
    test_upsert(e, "crm", "b", "email=b@web.de", "measure:order_total=70", NULL);  /* profile 2 */
    test_upsert(e, "pos", "c", "loyalty_id=L3", "measure:order_total=150", NULL);  /* profile 3 */
    assert_ok(scv_segment_refresh(s, NOW, &in, &out));
    assert_int_equal(result_size_and_free(in, &p), 1);
    assert_int_equal(p, 3);
    assert_int_equal(result_size_and_free(out, &p), 0);
    /* 1 and 2 merge (130): profile 1 enters. */
    test_upsert(e, "web", "d", "loyalty_id=L1", "email=b@web.de", NULL);
    assert_ok(scv_segment_refresh(s, NOW, &in, &out));
    assert_int_equal(result_size_and_free(in, &p), 1);
    assert_int_equal(p, 1);
    assert_int_equal(result_size_and_free(out, &p), 0);
    /* 3 merges into 1: profile 3 leaves (merged away), 1 stays. */
    test_upsert(e, "web", "f", "loyalty_id=L1", "loyalty_id=L3", NULL);
    assert_ok(scv_segment_refresh(s, NOW, &in, &out));
    assert_int_equal(result_size_and_free(in, &p), 0);
    assert_int_equal(result_size_and_free(out, &p), 1);
    assert_int_equal(p, 3);
    /* The bridge goes: the split-off part with 150 enters under a new id; 1 (130) stays. */
    test_upsert(e, "web", "f", "loyalty_id=L1", NULL);
    assert_ok(scv_segment_refresh(s, NOW, &in, NULL));
    assert_int_equal(result_size_and_free(in, &p), 1);
    assert_int_equal(p, test_profile_of(e, "pos", "c"));
    scv_result *members;
    assert_ok(scv_segment_members(s, &members));
    assert_int_equal(scv_result_count(members), 2);
    scv_result_free(members);
    size_t len;
    assert_memory_equal(scv_segment_name(s, &len), "big spenders", 12);
    scv_segment_free(s);
    scv_segment_free(NULL);
    scv_engine_free(e);
}

static void personas_take_the_first_match(void **state)
{
    (void)state;
    scv_engine *e = population();
    scv_personas *p;
    uint32_t idx;
    assert_ok(scv_personas_new(e, &p));
    assert_ok(scv_personas_add(p, S("big spender"), S("sum(order_total) > 500"), NULL));
    assert_ok(scv_personas_add(p, S("loyal"), S("count(order_total) >= 2"), NULL));
    assert_ok(scv_personas_add(p, S("buyer"), S("count(order_total) >= 1"), NULL));
    size_t off;
    assert_status(scv_personas_add(p, S("bad"), S("records >"), &off), SCV_ESYNTAX);
    assert_int_equal(scv_personas_count(p), 3);
    assert_ok(scv_personas_assign(p, NOW));
    assert_ok(scv_personas_of(p, 3, &idx));
    assert_int_equal(idx, 0);
    assert_ok(scv_personas_of(p, 1, &idx));
    assert_int_equal(idx, 1);
    assert_status(scv_personas_of(p, 2, &idx), SCV_ENOTFOUND);
    assert_int_equal(scv_personas_size(p, 0), 1);
    assert_int_equal(scv_personas_size(p, 1), 1);
    assert_int_equal(scv_personas_size(p, 2), 0);
    size_t len;
    assert_memory_equal(scv_personas_name(p, 1, &len), "loyal", 5);
    assert_null(scv_personas_name(p, 3, &len));
    scv_personas_free(p);
    scv_engine_free(e);
}

static void rfm_scores_are_quintiles(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], lo[32], ts[32], total[48];
    /* Ten customers: customer i bought i times, i * 10 each, last on day 990 - 10 * i. */
    for (int i = 1; i <= 10; i++) {
        for (int k = 0; k < i; k++) {
            snprintf(id, sizeof id, "r%d-%d", i, k);
            snprintf(lo, sizeof lo, "loyalty_id=L%d", i);
            snprintf(ts, sizeof ts, "ts=%d", (990 - 10 * i - k) * DAY);
            snprintf(total, sizeof total, "measure:order_total=%d", i * 10);
            test_upsert(e, "pos", id, lo, ts, total, NULL);
        }
    }
    test_upsert(e, "crm", "nobuy", "customer_id=77", NULL);
    assert_string_equal(run(e, "rfm_f = 5"), "9,10");
    assert_string_equal(run(e, "rfm_f = 1"), "1,2");
    assert_string_equal(run(e, "rfm_m >= 4"), "7,8,9,10");
    assert_string_equal(run(e, "rfm_r = 5"), "1,2");   /* most recent buyers */
    assert_string_equal(run(e, "rfm_r >= 1"), "1,2,3,4,5,6,7,8,9,10"); /* 11 has no orders */
    assert_ok(scv_engine_set_rfm_measure(e, S("missing")));
    assert_string_equal(run(e, "rfm_r >= 1"), "");
    scv_engine_free(e);
}

/* ---- differential test ------------------------------------------------------------------- */

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One person per profile (no shared identifiers), so the reference knows each profile's
 * records directly. */
#define PEOPLE 300
typedef struct {
    int n;
    int64_t ts[6];
    double total[6];
    int has_total[6];
    int source[6];
    int city;
} person;

static const char *cities[] = {"Berlin", "Bonn", "Kiel", "Köln"};

static int ref_match(const person *p, int clause, int64_t now)
{
    double sum90 = 0;
    int count = 0, seen_pos = 0, seen_web = 0;
    int64_t last = INT64_MIN;
    for (int i = 0; i < p->n; i++) {
        if (p->ts[i] > last) last = p->ts[i];
        seen_pos |= p->source[i] == 3;
        seen_web |= p->source[i] == 1;
        if (!p->has_total[i]) continue;
        count++;
        if (p->ts[i] > now - 90 * DAY && p->ts[i] <= now) sum90 += p->total[i];
    }
    switch (clause) {
    case 0: return sum90 > 100;
    case 1: return !seen_pos;
    case 2: return count >= 2 || seen_web;
    case 3: return (double)(now - last) / DAY < 30;
    case 4: return strcmp(cities[p->city], "Kiel") >= 0;
    default: return p->n > 3;
    }
}

static void compiled_queries_agree_with_a_naive_reference(void **state)
{
    (void)state;
    static person people[PEOPLE];
    const char *clauses[] = {"sum(order_total, 90d) > 100", "not seen(pos)",
                             "(count(order_total) >= 2 or seen(web))", "days_since_last_seen < 30",
                             "trait(city) >= \"Kiel\"", "records > 3"};
    scv_engine *e = test_engine();
    scv_record *r;
    char id[32], key[32];
    rng = 42;
    assert_ok(scv_record_new(e, &r));
    for (int k = 0; k < PEOPLE; k++) {
        person *p = &people[k];
        p->n = 1 + (int)(rnd() % 6);
        p->city = (int)(rnd() % 4);
        snprintf(key, sizeof key, "K%d", k);
        for (int i = 0; i < p->n; i++) {
            p->ts[i] = NOW - (int64_t)(rnd() % (200 * DAY));
            p->source[i] = (int)(rnd() % 4);
            p->has_total[i] = rnd() % 2;
            p->total[i] = (double)(rnd() % 200);
            snprintf(id, sizeof id, "%d-%d", k, i);
            assert_ok(scv_record_reset(r, (scv_source)p->source[i], S(id)));
            assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(key)));
            assert_ok(scv_record_set_timestamp(r, p->ts[i]));
            assert_ok(scv_record_add_trait(r, S("city"), S(cities[p->city])));
            if (p->has_total[i]) assert_ok(scv_record_add_measure(r, S("order_total"), p->total[i]));
            assert_ok(scv_engine_upsert(e, r, NULL));
        }
    }
    scv_record_free(r);
    /* Every conjunction and disjunction of two clauses, and each clause negated. */
    char query[512];
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            for (int form = 0; form < 3; form++) {
                if (form == 0) snprintf(query, sizeof query, "%s and %s", clauses[a], clauses[b]);
                if (form == 1) snprintf(query, sizeof query, "%s or %s", clauses[a], clauses[b]);
                if (form == 2) snprintf(query, sizeof query, "not (%s) and %s", clauses[a], clauses[b]);
                scv_query *q;
                scv_result *res;
                assert_ok(scv_query_compile(e, S(query), &q, NULL));
                assert_ok(scv_query_eval(q, NOW, &res));
                size_t expect = 0;
                for (int k = 0; k < PEOPLE; k++) {
                    int x = ref_match(&people[k], a, NOW), y = ref_match(&people[k], b, NOW);
                    int want = form == 0 ? x && y : form == 1 ? x || y : !x && y;
                    scv_profile_id pid = (scv_profile_id)k + 1;
                    if (want != scv_result_contains(res, pid))
                        fail_msg("%s: profile %u expected %d", query, pid, want);
                    expect += (size_t)want;
                }
                assert_int_equal(scv_result_count(res), expect);
                scv_result_free(res);
                scv_query_free(q);
            }
        }
    }
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aggregates_with_and_without_windows),
        cmocka_unit_test(every_comparison_operator),
        cmocka_unit_test(days_since_first_and_last_seen),
        cmocka_unit_test(traits_compare_as_strings_or_numbers),
        cmocka_unit_test(has_seen_and_consent),
        cmocka_unit_test(boolean_logic_and_precedence),
        cmocka_unit_test(compile_errors_report_offsets),
        cmocka_unit_test(results_combine),
        cmocka_unit_test(saved_segment_reports_entered_and_left_through_merge_and_split),
        cmocka_unit_test(personas_take_the_first_match),
        cmocka_unit_test(rfm_scores_are_quintiles),
        cmocka_unit_test(compiled_queries_agree_with_a_naive_reference),
    };
    return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
