/* test_resolve.c — records, upsert and resolution into profiles: merges, splits on replace,
 * profile id stability, lookups, and order independence of the partition. */
#include "test.h"

static void new_records_get_dense_profile_ids_from_one(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_int_equal(test_upsert(e, "crm", "r1", "email=a@x.de", NULL), 1);
    assert_int_equal(test_upsert(e, "crm", "r2", "email=b@x.de", NULL), 2);
    assert_int_equal(test_upsert(e, "web", "r3", NULL), 3);
    assert_int_equal(scv_engine_profile_count(e), 3);
    assert_int_equal(scv_engine_record_count(e), 3);
    scv_engine_free(e);
}

static void shared_email_in_other_case_and_spacing_links(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p1 = test_upsert(e, "crm", "r1", "email=Jane.Doe@Nordlicht.de", NULL);
    scv_profile_id p2 = test_upsert(e, "email", "e7", "email=  jane.doe@nordlicht.DE ", NULL);
    assert_int_equal(p1, p2);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_int_equal(scv_engine_identifier_count(e), 1);
    scv_engine_free(e);
}

static void shared_phone_in_national_and_international_format_links(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p1 = test_upsert(e, "pos", "t1", "phone=030 1234567", NULL);
    scv_profile_id p2 = test_upsert(e, "crm", "c1", "phone=+49 (0)30 123-45-67", NULL);
    assert_int_equal(p1, p2);
    scv_engine_free(e);
}

static void same_value_of_different_kinds_does_not_link(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p1 = test_upsert(e, "crm", "r1", "customer_id=12345", NULL);
    scv_profile_id p2 = test_upsert(e, "pos", "r2", "loyalty_id=12345", NULL);
    assert_int_not_equal(p1, p2);
    scv_engine_free(e);
}

static void bridging_record_merges_and_oldest_id_survives(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id canon;
    assert_int_equal(test_upsert(e, "crm", "r1", "email=a@x.de", NULL), 1);
    assert_int_equal(test_upsert(e, "pos", "r2", "phone=+4930555123", NULL), 2);
    assert_int_equal(test_upsert(e, "web", "r3", "email=a@x.de", "phone=+4930555123", NULL), 1);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_int_equal(test_profile_of(e, "pos", "r2"), 1);
    assert_ok(scv_profile_canonical(e, 2, &canon));
    assert_int_equal(canon, 1);
    assert_ok(scv_profile_canonical(e, 1, &canon));
    assert_int_equal(canon, 1);
    assert_status(scv_profile_canonical(e, 99, &canon), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void merged_away_ids_resolve_through_chains(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id canon;
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL);      /* 1 */
    test_upsert(e, "crm", "r2", "email=b@x.de", NULL);      /* 2 */
    test_upsert(e, "crm", "r3", "email=c@x.de", NULL);      /* 3 */
    test_upsert(e, "crm", "r4", "email=b@x.de", "email=c@x.de", NULL); /* 3 into 2 */
    test_upsert(e, "crm", "r5", "email=a@x.de", "email=c@x.de", NULL); /* 2 into 1 */
    assert_ok(scv_profile_canonical(e, 3, &canon));
    assert_int_equal(canon, 1);
    assert_ok(scv_profile_canonical(e, 2, &canon));
    assert_int_equal(canon, 1);
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

static void upsert_with_same_key_replaces_not_adds(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = test_upsert(e, "crm", "r1", "email=a@x.de", "trait:city=Berlin", NULL);
    assert_int_equal(test_upsert(e, "crm", "r1", "email=a@x.de", "trait:city=Hamburg", NULL), p);
    assert_int_equal(scv_engine_record_count(e), 1);
    const char *v;
    size_t n;
    assert_ok(scv_profile_trait(e, p, S("city"), &v, &n, NULL));
    assert_int_equal(n, 7);
    assert_memory_equal(v, "Hamburg", 7);
    scv_engine_free(e);
}

static void same_record_id_in_two_sources_is_two_records(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "42", NULL);
    test_upsert(e, "pos", "42", NULL);
    assert_int_equal(scv_engine_record_count(e), 2);
    scv_engine_free(e);
}

static void replace_dropping_the_bridge_splits_and_oldest_part_keeps_id(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL);
    test_upsert(e, "pos", "r2", "loyalty_id=L1", NULL);
    test_upsert(e, "web", "r3", "email=a@x.de", "loyalty_id=L1", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    /* r3 no longer carries the loyalty card: r2 leaves profile 1. */
    assert_int_equal(test_upsert(e, "web", "r3", "email=a@x.de", NULL), 1);
    assert_int_equal(scv_engine_profile_count(e), 2);
    assert_int_equal(test_profile_of(e, "crm", "r1"), 1);
    scv_profile_id p2 = test_profile_of(e, "pos", "r2");
    assert_int_not_equal(p2, 1);
    assert_int_equal(p2, 3); /* a new id: 1 and 2 were issued before (r3 merged at once) */
    scv_profile_id via;
    assert_ok(scv_engine_identifier_profile(e, SCV_KIND_LOYALTY_ID, S("l1"), &via));
    assert_int_equal(via, p2);
    scv_engine_free(e);
}


static void replace_moving_record_joins_target_and_keeps_oldest_ids(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL); /* profile 1 */
    test_upsert(e, "crm", "r2", "email=a@x.de", NULL); /* joins 1 */
    assert_int_equal(test_upsert(e, "crm", "r3", "email=b@x.de", NULL), 2);
    /* r2 switches to b: profile 1 keeps r1 (its oldest record); r2 joins profile 2 without
     * a new id being issued for it on the way. */
    scv_profile_id p = test_upsert(e, "crm", "r2", "email=b@x.de", NULL);
    assert_int_equal(p, 2);
    assert_int_equal(test_profile_of(e, "crm", "r1"), 1);
    assert_int_equal(test_profile_of(e, "crm", "r3"), 2);
    scv_profile_id next;
    assert_status(scv_engine_profile_next(e, 2, &next), SCV_ENOTFOUND);
    assert_int_equal(scv_engine_profile_count(e), 2);
    scv_engine_free(e);
}

static void replace_adding_an_identifier_merges(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL);
    test_upsert(e, "crm", "r2", "email=b@x.de", NULL);
    assert_int_equal(test_upsert(e, "crm", "r2", "email=b@x.de", "email=a@x.de", NULL), 1);
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

static void replace_removing_all_identifiers_isolates_record(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL);
    test_upsert(e, "crm", "r2", "email=a@x.de", NULL);
    test_upsert(e, "crm", "r3", "email=a@x.de", NULL);
    scv_profile_id p = test_upsert(e, "crm", "r1", NULL);
    /* r1 is the oldest record: it keeps id 1, the others form a new profile. */
    assert_int_equal(p, 1);
    assert_int_equal(test_profile_of(e, "crm", "r2"), test_profile_of(e, "crm", "r3"));
    assert_int_not_equal(test_profile_of(e, "crm", "r2"), 1);
    assert_int_equal(scv_engine_identifier_count(e), 1);
    scv_engine_free(e);
}

static void dropped_identifier_no_longer_found(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p;
    test_upsert(e, "crm", "r1", "email=a@x.de", "phone=0301234567", NULL);
    test_upsert(e, "crm", "r1", "email=a@x.de", NULL);
    assert_status(scv_engine_identifier_profile(e, SCV_KIND_PHONE, S("0301234567"), &p), SCV_ENOTFOUND);
    assert_int_equal(scv_engine_identifier_count(e), 1);
    scv_engine_free(e);
}

static void profile_records_and_identifiers_with_size_query(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record_ref refs[8];
    scv_identifier_ref ids[8];
    size_t n = 0;
    test_upsert(e, "crm", "r1", "email=a@x.de", "customer_id=C1", NULL);
    test_upsert(e, "web", "r2", "customer_id=C1", "anonymous_id=anon-1", NULL);
    test_upsert(e, "web", "r3", "anonymous_id=anon-1", "email=a@x.de", NULL);
    assert_status(scv_profile_records(e, 1, NULL, 0, &n), SCV_EBUFFER);
    assert_int_equal(n, 3);
    assert_ok(scv_profile_records(e, 1, refs, 8, &n));
    assert_int_equal(refs[0], 1);
    assert_int_equal(refs[1], 2);
    assert_int_equal(refs[2], 3);
    assert_status(scv_profile_identifiers(e, 1, ids, 2, &n), SCV_EBUFFER);
    assert_int_equal(n, 3);
    assert_ok(scv_profile_identifiers(e, 1, ids, 8, &n));
    assert_int_equal(n, 3);
    const char *v;
    size_t len;
    scv_kind k;
    assert_ok(scv_engine_identifier_info(e, ids[0], &k, NULL, &v, &len));
    assert_int_equal(k, SCV_KIND_EMAIL);
    assert_int_equal(len, 6);
    assert_memory_equal(v, "a@x.de", 6);
    assert_status(scv_profile_records(e, 2, refs, 8, &n), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void trait_is_most_recent_non_empty_value(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *v;
    size_t n;
    scv_record_ref from;
    test_upsert(e, "crm", "r1", "email=a@x.de", "ts=200", "trait:city=Berlin", NULL);
    test_upsert(e, "web", "r2", "email=a@x.de", "ts=100", "trait:city=Bonn", NULL);
    test_upsert(e, "pos", "r3", "email=a@x.de", "ts=300", "trait:city=", NULL);
    test_upsert(e, "pos", "r4", "email=a@x.de", "trait:city=Köln", NULL); /* no timestamp */
    assert_ok(scv_profile_trait(e, 1, S("city"), &v, &n, &from));
    assert_int_equal(n, 6);
    assert_memory_equal(v, "Berlin", 6);
    assert_int_equal(from, 1);
    assert_status(scv_profile_trait(e, 1, S("zip"), &v, &n, NULL), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void trait_tie_on_timestamp_goes_to_later_record(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *v;
    size_t n;
    test_upsert(e, "crm", "r1", "email=a@x.de", "ts=100", "trait:name=Ann", NULL);
    test_upsert(e, "crm", "r2", "email=a@x.de", "ts=100", "trait:name=Anne", NULL);
    assert_ok(scv_profile_trait(e, 1, S("name"), &v, &n, NULL));
    assert_int_equal(n, 4);
    scv_engine_free(e);
}

static void trait_names_enumerate_first_seen_order(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *name;
    size_t n;
    test_upsert(e, "crm", "r1", "trait:first_name=A", "trait:city=B", "measure:order_total=3", NULL);
    assert_ok(scv_engine_trait_name(e, 0, &name, &n));
    assert_memory_equal(name, "first_name", n);
    assert_ok(scv_engine_trait_name(e, 1, &name, &n));
    assert_memory_equal(name, "city", n);
    assert_status(scv_engine_trait_name(e, 2, &name, &n), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void iteration_visits_records_in_first_seen_order_and_live_profiles(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "b", "email=a@x.de", NULL);
    test_upsert(e, "crm", "a", "email=z@x.de", NULL);
    test_upsert(e, "crm", "c", "email=a@x.de", "email=z@x.de", NULL);
    test_upsert(e, "crm", "b", "email=a@x.de", NULL); /* replace keeps position */
    scv_record_ref ref = 0;
    const char *expect[] = {"b", "a", "c"};
    for (int i = 0; i < 3; i++) {
        const char *id;
        size_t len;
        assert_ok(scv_engine_record_next(e, ref, &ref));
        assert_ok(scv_engine_record_info(e, ref, NULL, &id, &len, NULL));
        assert_int_equal(len, 1);
        assert_memory_equal(id, expect[i], 1);
    }
    assert_status(scv_engine_record_next(e, ref, &ref), SCV_ENOTFOUND);
    scv_profile_id p = 0;
    assert_ok(scv_engine_profile_next(e, 0, &p));
    assert_int_equal(p, 1);
    assert_status(scv_engine_profile_next(e, p, &p), SCV_ENOTFOUND);
    scv_engine_free(e);
}

/* ---- order independence ------------------------------------------------------------------ */

#define N_REC 400

typedef struct {
    char id[16];
    char ident[3][32];
    int n;
} gen_rec;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* For every record (by index in recs), the smallest record index in its profile. */
static void partition(const gen_rec *recs, const int *order, int *label)
{
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    for (int i = 0; i < N_REC; i++) {
        const gen_rec *g = &recs[order[i]];
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(g->id)));
        for (int k = 0; k < g->n; k++) {
            scv_kind kind = g->ident[k][0] == 'e' ? SCV_KIND_EMAIL : SCV_KIND_CUSTOMER_ID;
            assert_ok(scv_record_add_identifier(r, kind, S(g->ident[k] + 2)));
        }
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    /* Replay a quarter of the records with their same content: replaces must not change it. */
    for (int i = 0; i < N_REC; i += 4) {
        const gen_rec *g = &recs[order[i]];
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(g->id)));
        for (int k = 0; k < g->n; k++) {
            scv_kind kind = g->ident[k][0] == 'e' ? SCV_KIND_EMAIL : SCV_KIND_CUSTOMER_ID;
            assert_ok(scv_record_add_identifier(r, kind, S(g->ident[k] + 2)));
        }
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    scv_profile_id pid[N_REC];
    for (int i = 0; i < N_REC; i++) pid[i] = test_profile_of(e, "crm", recs[i].id);
    for (int i = 0; i < N_REC; i++) {
        label[i] = i;
        for (int j = 0; j < i; j++)
            if (pid[j] == pid[i]) {
                label[i] = j;
                break;
            }
    }
    scv_record_free(r);
    scv_engine_free(e);
}

static void partition_does_not_depend_on_record_order(void **state)
{
    (void)state;
    static gen_rec recs[N_REC];
    int order[N_REC], base[N_REC], label[N_REC];
    rng_state = 7;
    for (int i = 0; i < N_REC; i++) {
        snprintf(recs[i].id, sizeof recs[i].id, "r%d", i);
        recs[i].n = (int)(rnd() % 3);
        for (int k = 0; k < recs[i].n; k++) {
            if (rnd() % 2)
                snprintf(recs[i].ident[k], 32, "e:u%d@x.de", (int)(rnd() % 300));
            else
                snprintf(recs[i].ident[k], 32, "c:C%d", (int)(rnd() % 300));
        }
        order[i] = i;
    }
    partition(recs, order, base);
    int merged = 0;
    for (int i = 0; i < N_REC; i++) merged += base[i] != i;
    assert_true(merged > 20); /* the data does link records */
    for (int round = 0; round < 5; round++) {
        for (int i = N_REC - 1; i > 0; i--) {
            int j = (int)(rnd() % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        partition(recs, order, label);
        assert_memory_equal(label, base, sizeof base);
    }
}

/* Random upserts that replace records many times end in the same partition as a fresh engine
 * fed only each record's final content: splits and merges on replace are exact. */
static void replaces_end_in_same_partition_as_fresh_ingest(void **state)
{
    (void)state;
    enum { KEYS = 150, OPS = 1500 };
    static gen_rec final[KEYS];
    int present[KEYS] = {0};
    scv_engine *e = test_engine(), *fresh = test_engine();
    scv_record *r, *rf;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_new(fresh, &rf));
    rng_state = 99;
    for (int op = 0; op < OPS; op++) {
        int k = (int)(rnd() % KEYS);
        gen_rec *g = &final[k];
        snprintf(g->id, sizeof g->id, "k%d", k);
        g->n = (int)(rnd() % 4);
        for (int i = 0; i < g->n; i++) snprintf(g->ident[i], 32, "e:v%d@x.de", (int)(rnd() % 120));
        present[k] = 1;
        assert_ok(scv_record_reset(r, SCV_SOURCE_WEB, S(g->id)));
        for (int i = 0; i < g->n; i++) assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(g->ident[i] + 2)));
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    for (int k = 0; k < KEYS; k++) {
        if (!present[k]) continue;
        assert_ok(scv_record_reset(rf, SCV_SOURCE_WEB, S(final[k].id)));
        for (int i = 0; i < final[k].n; i++)
            assert_ok(scv_record_add_identifier(rf, SCV_KIND_EMAIL, S(final[k].ident[i] + 2)));
        assert_ok(scv_engine_upsert(fresh, rf, NULL));
    }
    assert_int_equal(scv_engine_profile_count(e), scv_engine_profile_count(fresh));
    assert_int_equal(scv_engine_identifier_count(e), scv_engine_identifier_count(fresh));
    for (int a = 0; a < KEYS; a++) {
        if (!present[a]) continue;
        for (int b = a + 1; b < KEYS; b++) {
            if (!present[b]) continue;
            int same = test_profile_of(e, "web", final[a].id) == test_profile_of(e, "web", final[b].id);
            int same_fresh = test_profile_of(fresh, "web", final[a].id) == test_profile_of(fresh, "web", final[b].id);
            if (same != same_fresh) fail_msg("records %s and %s: together=%d, fresh together=%d", final[a].id, final[b].id, same, same_fresh);
        }
    }
    /* Every live profile's records point back at it. */
    scv_profile_id p = 0;
    size_t total = 0;
    while (scv_engine_profile_next(e, p, &p) == SCV_OK) {
        scv_record_ref refs[KEYS];
        size_t n;
        scv_profile_id back;
        assert_ok(scv_profile_records(e, p, refs, KEYS, &n));
        for (size_t i = 0; i < n; i++) {
            assert_ok(scv_engine_record_profile(e, refs[i], &back));
            assert_int_equal(back, p);
        }
        total += n;
    }
    assert_int_equal(total, scv_engine_record_count(e));
    scv_record_free(r);
    scv_record_free(rf);
    scv_engine_free(e);
    scv_engine_free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_records_get_dense_profile_ids_from_one),
        cmocka_unit_test(shared_email_in_other_case_and_spacing_links),
        cmocka_unit_test(shared_phone_in_national_and_international_format_links),
        cmocka_unit_test(same_value_of_different_kinds_does_not_link),
        cmocka_unit_test(bridging_record_merges_and_oldest_id_survives),
        cmocka_unit_test(merged_away_ids_resolve_through_chains),
        cmocka_unit_test(upsert_with_same_key_replaces_not_adds),
        cmocka_unit_test(same_record_id_in_two_sources_is_two_records),
        cmocka_unit_test(replace_dropping_the_bridge_splits_and_oldest_part_keeps_id),
        cmocka_unit_test(replace_moving_record_joins_target_and_keeps_oldest_ids),
        cmocka_unit_test(replace_adding_an_identifier_merges),
        cmocka_unit_test(replace_removing_all_identifiers_isolates_record),
        cmocka_unit_test(dropped_identifier_no_longer_found),
        cmocka_unit_test(profile_records_and_identifiers_with_size_query),
        cmocka_unit_test(trait_is_most_recent_non_empty_value),
        cmocka_unit_test(trait_tie_on_timestamp_goes_to_later_record),
        cmocka_unit_test(trait_names_enumerate_first_seen_order),
        cmocka_unit_test(iteration_visits_records_in_first_seen_order_and_live_profiles),
        cmocka_unit_test(partition_does_not_depend_on_record_order),
        cmocka_unit_test(replaces_end_in_same_partition_as_fresh_ingest),
    };
    return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
