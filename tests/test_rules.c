/* test_rules.c — limits, priority, blocked and generic values, size guards: no blob profiles. */
#include "test.h"

#include "snapshot.h"

static scv_identifier_ref ident_ref(scv_engine *e, scv_kind kind, const char *value)
{
    /* The ref of a stored identifier, found through a record that carries it. */
    uint8_t want[16], got[16];
    assert_ok(scv_engine_hash(e, kind, S(value), want));
    for (scv_identifier_ref r = 1;; r++) {
        assert_ok(scv_engine_identifier_info(e, r, NULL, got, NULL, NULL));
        if (memcmp(want, got, 16) == 0) return r;
    }
}

/* State of `value` on a record. */
static uint8_t state_on(scv_engine *e, const char *source, const char *id, scv_kind kind, const char *value)
{
    scv_source src;
    scv_record_ref ref;
    scv_identifier_ref ids[64];
    uint8_t states[64];
    size_t n;
    scv_identifier_ref want = ident_ref(e, kind, value);
    assert_ok(scv_engine_source(e, S(source), &src));
    assert_ok(scv_engine_record_find(e, src, S(id), &ref));
    assert_ok(scv_record_identifiers(e, ref, ids, states, 64, &n));
    for (size_t i = 0; i < n; i++)
        if (ids[i] == want) return states[i];
    fail_msg("%s:%s does not carry %s", source, id, value);
    return 255;
}

static uint64_t stat(const scv_engine *e, scv_stat which)
{
    uint64_t v;
    assert_ok(scv_engine_stat(e, which, &v));
    return v;
}

/* Segment's documented case: customer_id limit 1, a second customer_id with the same e-mail
 * gives a second profile, the first unchanged. */
static void limit_one_customer_id_keeps_second_customer_apart(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    scv_profile_id p1 = test_upsert(e, "crm", "r1", "customer_id=abc123", "email=jane@example1.com", NULL);
    scv_profile_id p2 = test_upsert(e, "crm", "r2", "customer_id=abc456", "email=jane@example1.com", NULL);
    assert_int_not_equal(p1, p2);
    size_t n;
    scv_record_ref refs[4];
    assert_ok(scv_profile_records(e, p1, refs, 4, &n));
    assert_int_equal(n, 1);
    assert_int_equal(state_on(e, "crm", "r2", SCV_KIND_EMAIL, "jane@example1.com"), SCV_LINK_ASIDE_LIMIT);
    assert_int_equal(state_on(e, "crm", "r2", SCV_KIND_CUSTOMER_ID, "abc456"), SCV_LINK);
    assert_int_equal(stat(e, SCV_STAT_ASIDE_LIMIT), 1);
    /* The set-aside e-mail shows on the second profile as not linking. */
    scv_identifier_ref un[4];
    uint8_t st[4];
    assert_ok(scv_profile_unlinked(e, p2, un, st, 4, &n));
    assert_int_equal(n, 1);
    assert_int_equal(un[0], ident_ref(e, SCV_KIND_EMAIL, "jane@example1.com"));
    assert_int_equal(st[0], SCV_LINK_ASIDE_LIMIT);
    scv_engine_free(e);
}

/* Segment's shared-browser case: {a1,u1}, {a1}, {a1,u2} gives {r1,r2} and {r3}. */
static void shared_browser_cookie_does_not_join_two_customers(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    test_upsert(e, "web", "r1", "anonymous_id=a1", "customer_id=u1", NULL);
    test_upsert(e, "web", "r2", "anonymous_id=a1", NULL);
    test_upsert(e, "web", "r3", "anonymous_id=a1", "customer_id=u2", NULL);
    assert_int_equal(test_profile_of(e, "web", "r1"), test_profile_of(e, "web", "r2"));
    assert_int_not_equal(test_profile_of(e, "web", "r1"), test_profile_of(e, "web", "r3"));
    assert_int_equal(state_on(e, "web", "r3", SCV_KIND_ANONYMOUS_ID, "a1"), SCV_LINK_ASIDE_LIMIT);
    scv_engine_free(e);
}

/* Two customers (two customer numbers, two e-mails) on one landline: a household. The
 * generic rule sees two kinds with two values each and stops the landline linking — with or
 * without a customer_id limit. */
static void household_landline_does_not_merge_two_crm_customers(void **state)
{
    (void)state;
    for (int limited = 0; limited < 2; limited++) {
        scv_engine *e = test_engine();
        if (limited) assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
        test_upsert(e, "crm", "c1", "customer_id=C-1", "email=anna@mueller.de", "phone=030 4455667", NULL);
        test_upsert(e, "crm", "c2", "customer_id=C-2", "email=ben@mueller.de", "phone=+49 30 4455667", NULL);
        assert_int_not_equal(test_profile_of(e, "crm", "c1"), test_profile_of(e, "crm", "c2"));
        assert_int_equal(state_on(e, "crm", "c2", SCV_KIND_PHONE, "0304455667"), SCV_LINK_GENERIC);
        scv_engine_free(e);
    }
}

/* One person entered twice in the CRM (two customer numbers, the same e-mail and phone), who
 * later changed e-mail on one entry: still one profile, since each shared value moves only
 * one kind. */
static void duplicate_crm_entries_of_one_person_still_link(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "c1", "customer_id=C-1", "email=max@web.de", "phone=030 4455667", NULL);
    test_upsert(e, "crm", "c2", "customer_id=C-9", "email=max@web.de", "phone=030 4455667", NULL);
    test_upsert(e, "crm", "c3", "customer_id=C-1", "email=max.neu@web.de", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 0);
    scv_engine_free(e);
}

/* Under a limit, a second customer id sharing a value of another kind is set aside. */
static void limit_sets_aside_a_shared_phone_between_duplicate_customers(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    test_upsert(e, "crm", "c1", "customer_id=C-1", "phone=030 4455667", NULL);
    test_upsert(e, "crm", "c2", "customer_id=C-2", "phone=+49 30 4455667", NULL);
    assert_int_not_equal(test_profile_of(e, "crm", "c1"), test_profile_of(e, "crm", "c2"));
    assert_int_equal(state_on(e, "crm", "c2", SCV_KIND_PHONE, "0304455667"), SCV_LINK_ASIDE_LIMIT);
    scv_engine_free(e);
}

static void priority_decides_which_identifier_is_set_aside(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_kind order[] = {SCV_KIND_CUSTOMER_ID, SCV_KIND_PHONE, SCV_KIND_EMAIL};
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    assert_ok(scv_engine_set_priority(e, order, 3));
    test_upsert(e, "crm", "c1", "customer_id=1", "email=a@b.de", NULL);
    test_upsert(e, "crm", "c2", "customer_id=2", "phone=030 1112233", NULL);
    /* Links both customers: the lowest-priority identifier, now the e-mail, goes first. */
    test_upsert(e, "pos", "p1", "email=a@b.de", "phone=030 1112233", NULL);
    assert_int_equal(state_on(e, "pos", "p1", SCV_KIND_EMAIL, "a@b.de"), SCV_LINK_ASIDE_LIMIT);
    assert_int_equal(state_on(e, "pos", "p1", SCV_KIND_PHONE, "0301112233"), SCV_LINK);
    assert_int_equal(test_profile_of(e, "pos", "p1"), test_profile_of(e, "crm", "c2"));
    scv_engine_free(e);
}

static void a_record_breaking_a_limit_alone_keeps_its_first_value(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_limit(e, SCV_KIND_EMAIL, 2));
    test_upsert(e, "crm", "c1", "email=a@b.de", "email=c@b.de", "email=d@b.de", NULL);
    assert_int_equal(state_on(e, "crm", "c1", SCV_KIND_EMAIL, "a@b.de"), SCV_LINK);
    assert_int_equal(state_on(e, "crm", "c1", SCV_KIND_EMAIL, "c@b.de"), SCV_LINK);
    assert_int_equal(state_on(e, "crm", "c1", SCV_KIND_EMAIL, "d@b.de"), SCV_LINK_ASIDE_LIMIT);
    scv_engine_free(e);
}

static void placeholders_are_blocked_and_kept_as_data(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *junk[][2] = {
        {"email", "test@test.com"}, {"email", "noemail@gmx.de"}, {"email", "x@example.com"},
        {"email", "no-reply@shop.test"}, {"customer_id", "-1"}, {"customer_id", "NULL"},
        {"customer_id", "n/a"}, {"anonymous_id", "anonymous"}, {"anonymous_id", "undefined"},
        {"loyalty_id", "0000000"}, {"loyalty_id", "----"}, {"device_id", "xxxx"},
    };
    char field[64], id[16];
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        for (int k = 0; k < 3; k++) {
            snprintf(field, sizeof field, "%s=%s", junk[i][0], junk[i][1]);
            snprintf(id, sizeof id, "j%zu-%d", i, k);
            test_upsert(e, "web", id, field, NULL);
        }
    }
    assert_int_equal(scv_engine_profile_count(e), scv_engine_record_count(e));
    assert_int_equal(stat(e, SCV_STAT_BLOCKED_VALUES), sizeof junk / sizeof junk[0]);
    assert_int_equal(stat(e, SCV_STAT_BLOCKED_RECORDS), 3 * sizeof junk / sizeof junk[0]);
    assert_int_equal(state_on(e, "web", "j0-0", SCV_KIND_EMAIL, "test@test.com"), SCV_LINK_BLOCKED);
    uint8_t st;
    uint32_t carriers;
    assert_ok(scv_engine_identifier_state(e, ident_ref(e, SCV_KIND_EMAIL, "test@test.com"), &st, &carriers));
    assert_int_equal(st, SCV_LINK_BLOCKED);
    assert_int_equal(carriers, 3);
    /* Real values that look a little like junk still link. */
    test_upsert(e, "crm", "a", "customer_id=100", "email=testa@web.de", NULL);
    test_upsert(e, "crm", "b", "customer_id=100", NULL);
    assert_int_equal(test_profile_of(e, "crm", "a"), test_profile_of(e, "crm", "b"));
    scv_engine_free(e);
}

static void default_blocklist_can_be_turned_off(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_default_blocklist(e, 0));
    test_upsert(e, "web", "a", "email=test@test.com", NULL);
    test_upsert(e, "web", "b", "email=test@test.com", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

static void host_block_splits_what_the_value_joined(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "c1", "customer_id=1", "phone=030 9998887", NULL);
    test_upsert(e, "crm", "c2", "customer_id=2", "phone=030 9998887", NULL);
    test_upsert(e, "crm", "c3", "customer_id=2", "email=b@c.de", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_ok(scv_engine_block(e, SCV_KIND_PHONE, S("+49 30 9998887")));
    assert_int_equal(scv_engine_profile_count(e), 2);
    assert_int_equal(test_profile_of(e, "crm", "c1"), 1); /* the oldest record keeps the id */
    assert_int_equal(test_profile_of(e, "crm", "c2"), test_profile_of(e, "crm", "c3"));
    assert_int_equal(state_on(e, "crm", "c1", SCV_KIND_PHONE, "0309998887"), SCV_LINK_BLOCKED);
    /* Later records with the value do not link through it either. */
    test_upsert(e, "pos", "p1", "phone=0309998887", NULL);
    assert_int_equal(scv_engine_profile_count(e), 3);
    assert_ok(scv_engine_block(e, SCV_KIND_PHONE, S("0309998887"))); /* again: fine */
    assert_ok(scv_engine_block(e, SCV_KIND_EMAIL, S("never@seen.de"))); /* before it arrives */
    test_upsert(e, "pos", "p2", "email=never@seen.de", NULL);
    test_upsert(e, "pos", "p3", "email=never@seen.de", NULL);
    assert_int_equal(scv_engine_profile_count(e), 5);
    uint64_t splits;
    assert_ok(scv_engine_stat(e, SCV_STAT_SPLITS, &splits));
    assert_int_equal(splits, 1);
    scv_engine_free(e);
}

/* 200 loyalty customers who each gave the store's phone at the till. */
static void store_phone_shared_by_200_customers_is_generic(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], loyalty[32];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "t%d", i);
        snprintf(loyalty, sizeof loyalty, "loyalty_id=L%05d", i);
        test_upsert(e, "pos", id, loyalty, "phone=030 23125100", NULL);
    }
    assert_int_equal(scv_engine_profile_count(e), 200);
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 1);
    assert_int_equal(stat(e, SCV_STAT_GENERIC_RECORDS), 200);
    assert_int_equal(stat(e, SCV_STAT_GENERIC_DECISIONS), 1);
    assert_int_equal(state_on(e, "pos", "t0", SCV_KIND_PHONE, "03023125100"), SCV_LINK_GENERIC);
    /* The merges it made before it was known to be generic were undone. */
    assert_int_equal(stat(e, SCV_STAT_SPLITS), 9); /* 10 merged customers became 10 again */
    scv_engine_free(e);
}

/* Three loyalty customers and twenty walk-in receipts typed with the store's number. */
static void store_phone_on_walk_in_receipts_is_generic(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], loyalty[32];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "l%d", i);
        snprintf(loyalty, sizeof loyalty, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, loyalty, "phone=030 23125100", NULL);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "w%d", i);
        test_upsert(e, "pos", id, "phone=+49 30 2312 5100", NULL);
    }
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 1);
    assert_int_not_equal(test_profile_of(e, "pos", "l0"), test_profile_of(e, "pos", "l1"));
    assert_int_equal(scv_engine_profile_count(e), 23);
    scv_engine_free(e);
}

/* A family landline: two customers, a few receipts with the phone alone: still links. */
static void family_landline_with_few_walk_ins_still_links(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16];
    test_upsert(e, "crm", "c1", "customer_id=1", "phone=030 4455667", NULL);
    test_upsert(e, "crm", "c2", "customer_id=2", "phone=030 4455667", NULL);
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "p%d", i);
        test_upsert(e, "pos", id, "phone=030 4455667", NULL);
    }
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 0);
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

static void repeat_visits_with_one_phone_are_not_generic(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16];
    test_upsert(e, "crm", "c1", "customer_id=9", "email=regular@web.de", "phone=0176 12345678", NULL);
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "t%d", i);
        test_upsert(e, "pos", id, "phone=0176 12345678", i % 2 ? "loyalty_id=L9" : NULL, NULL);
    }
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 0);
    scv_engine_free(e);
}

static void generic_value_links_again_when_its_sharers_leave(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], loyalty[32];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "t%d", i);
        snprintf(loyalty, sizeof loyalty, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, loyalty, "phone=030 5556667", NULL);
    }
    assert_int_equal(scv_engine_profile_count(e), 12);
    /* Receipts corrected: 10 of them drop the phone; 2 customers share it, not generic. */
    for (int i = 2; i < 12; i++) {
        snprintf(id, sizeof id, "t%d", i);
        snprintf(loyalty, sizeof loyalty, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, loyalty, NULL);
    }
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 0);
    assert_int_equal(test_profile_of(e, "pos", "t0"), test_profile_of(e, "pos", "t1"));
    assert_int_equal(scv_engine_profile_count(e), 11);
    scv_engine_free(e);
}

/* ---- order independence of the generic rule ---------------------------------------------- */

#define POP 120

typedef struct {
    char id[16];
    char f[3][48];
} rrow;

static uint64_t rng;
static uint64_t next_rand(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t make_rows(rrow *rows)
{
    size_t n = 0;
    for (int p = 0; p < POP; p++) {
        /* CRM: customer with e-mail and (sometimes) a household phone shared by pairs. */
        snprintf(rows[n].id, 16, "c%d", p);
        snprintf(rows[n].f[0], 48, "customer_id=C%d", p);
        snprintf(rows[n].f[1], 48, "email=p%d@mail.de", p);
        if (p % 7 == 0) snprintf(rows[n].f[2], 48, "phone=030 77%05d", p / 14);
        n++;
        /* POS: loyalty + e-mail, and the store phone on a third of the receipts. */
        snprintf(rows[n].id, 16, "r%d", p);
        snprintf(rows[n].f[0], 48, "loyalty_id=L%d", p);
        snprintf(rows[n].f[1], 48, "email=p%d@mail.de", p);
        if (p % 3 == 0) snprintf(rows[n].f[2], 48, "phone=030 23125100");
        n++;
        /* Web: a cookie with the e-mail; a shared-tablet cookie for every 10th pair. */
        snprintf(rows[n].id, 16, "w%d", p);
        snprintf(rows[n].f[0], 48, "anonymous_id=anon-%d", p % 10 == 1 ? p - 1 : p);
        snprintf(rows[n].f[1], 48, "email=p%d@mail.de", p);
        n++;
    }
    /* test@test.com typed for 30 customers. */
    for (int p = 0; p < 30; p++) {
        snprintf(rows[n].id, 16, "j%d", p);
        snprintf(rows[n].f[0], 48, "customer_id=C%d", p * 4);
        snprintf(rows[n].f[1], 48, "email=test@test.com");
        n++;
    }
    return n;
}

static void labels_for(const rrow *rows, size_t n, const size_t *order, int *label)
{
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    for (size_t i = 0; i < n; i++) {
        const rrow *w = &rows[order[i]];
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(w->id)));
        for (int k = 0; k < 3; k++) {
            if (w->f[k][0] == '\0') continue;
            const char *eq = strchr(w->f[k], '=');
            scv_kind kind;
            assert_ok(scv_engine_kind(e, w->f[k], (size_t)(eq - w->f[k]), &kind));
            assert_ok(scv_record_add_identifier(r, kind, S(eq + 1)));
        }
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    static scv_profile_id pid[4 * POP];
    for (size_t i = 0; i < n; i++) pid[i] = test_profile_of(e, "crm", rows[i].id);
    for (size_t i = 0; i < n; i++) {
        label[i] = (int)i;
        for (size_t j = 0; j < i; j++)
            if (pid[j] == pid[i]) {
                label[i] = (int)j;
                break;
            }
    }
    uint64_t generic;
    assert_ok(scv_engine_stat(e, SCV_STAT_GENERIC_VALUES, &generic));
    assert_int_equal(generic, 10); /* the store phone and the nine household landlines */
    scv_record_free(r);
    scv_engine_free(e);
}

static void generic_rule_partition_does_not_depend_on_order(void **state)
{
    (void)state;
    static rrow rows[4 * POP];
    static size_t order[4 * POP];
    static int base[4 * POP], label[4 * POP];
    memset(rows, 0, sizeof rows);
    size_t n = make_rows(rows);
    for (size_t i = 0; i < n; i++) order[i] = i;
    labels_for(rows, n, order, base);
    /* Each person is one profile: CRM, POS and web rows of p together, nobody else. */
    for (int p = 0; p < POP; p++) {
        assert_int_equal(base[3 * p + 1], base[3 * p]);
        assert_int_equal(base[3 * p + 2], base[3 * p]);
    }
    rng = 2024;
    for (int round = 0; round < 5; round++) {
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(next_rand() % (i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        labels_for(rows, n, order, label);
        assert_memory_equal(label, base, n * sizeof *label);
    }
    /* Junk first and junk last. */
    for (size_t i = 0; i < n; i++) order[i] = n - 1 - i;
    labels_for(rows, n, order, label);
    assert_memory_equal(label, base, n * sizeof *label);
}

/* The rule keeps its partner bounds in 16 bits; past that a bound reads as unknown and the
 * rule counts exactly instead. A threshold beyond that range still decides at the exact
 * count: a phone shared by G customer numbers links, by G + 1 it is generic. */
static void generic_threshold_beyond_the_stored_bound_range_is_exact(void **state)
{
    (void)state;
    const uint32_t g = 65600;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, g));
    assert_ok(scv_engine_set_profile_limits(e, 0, 0));
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    char id[32];
    for (uint32_t i = 0; i <= g; i++) {
        int n = snprintf(id, sizeof id, "c%u", (unsigned)i);
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, id, (size_t)n));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, id, (size_t)n));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S("030 4455667")));
        assert_ok(scv_engine_upsert(e, r, NULL));
        if (i + 1 == g) {
            assert_int_equal(scv_engine_profile_count(e), 1);
            assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 0);
        }
    }
    assert_int_equal(stat(e, SCV_STAT_GENERIC_VALUES), 1);
    assert_int_equal(scv_engine_profile_count(e), g + 1);
    scv_record_free(r);
    scv_engine_free(e);
}

/* The rule decides on exact counts, recounting only when stored upper bounds of them say a
 * value may be over its threshold: a bound below its count would let a generic value go on
 * linking. Random records over small pools of values (so that values meet many partners, of
 * one kind and of several), replaced, deleted, blocked, with low thresholds: after every
 * change each linking value's bounds are at least its exact counts. */
static void generic_bounds_stay_above_exact_counts(void **state)
{
    (void)state;
    static const scv_kind kinds[] = {SCV_KIND_EMAIL, SCV_KIND_PHONE, SCV_KIND_CUSTOMER_ID, SCV_KIND_LOYALTY_ID};
    static const int pool[] = {40, 12, 60, 30};
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_EMAIL, 3));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 2));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_CUSTOMER_ID, 2));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_LOYALTY_ID, 4));
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    rng = 77;
    char id[16], v[32];
    const char *why = NULL;
    for (int step = 0; step < 3000; step++) {
        int n = snprintf(id, sizeof id, "r%d", (int)(next_rand() % 400));
        uint64_t op = next_rand() % 20;
        if (op == 0) {
            scv_status st = scv_engine_delete(e, SCV_SOURCE_CRM, id, (size_t)n);
            assert_true(st == SCV_OK || st == SCV_ENOTFOUND);
        } else if (op == 1 && step % 5 == 0) {
            int k = (int)(next_rand() % 4);
            snprintf(v, sizeof v, k == 1 ? "030 55%05d" : k == 0 ? "v%d@x.de" : "V%d", (int)(next_rand() % (uint64_t)pool[k]));
            assert_ok(scv_engine_block(e, kinds[k], S(v)));
        } else {
            assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, id, (size_t)n));
            int count = 1 + (int)(next_rand() % 4);
            for (int i = 0; i < count; i++) {
                int k = (int)(next_rand() % 4);
                snprintf(v, sizeof v, k == 1 ? "030 55%05d" : k == 0 ? "v%d@x.de" : "V%d", (int)(next_rand() % (uint64_t)pool[k]));
                assert_ok(scv_record_add_identifier(r, kinds[k], S(v)));
            }
            assert_ok(scv_engine_upsert(e, r, NULL));
        }
        if (scv__engine_check_bounds(e, &why) != SCV_OK) fail_msg("step %d: %s", step, why);
        if (step % 100 == 0 && scv__engine_check(e, &why) != SCV_OK) fail_msg("step %d: %s", step, why);
    }
    assert_true(stat(e, SCV_STAT_GENERIC_VALUES) > 0);
    scv_record_free(r);
    scv_engine_free(e);
}

static void size_guard_refuses_merges_beyond_the_maximum(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16];
    assert_ok(scv_engine_set_profile_limits(e, 3, 0));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_EMAIL, 0));
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "r%d", i);
        test_upsert(e, "web", id, "email=big@feed.de", NULL);
    }
    assert_int_equal(scv_engine_profile_count(e), 3);
    assert_int_equal(stat(e, SCV_STAT_ASIDE_SIZE), 2);
    assert_int_equal(state_on(e, "web", "r4", SCV_KIND_EMAIL, "big@feed.de"), SCV_LINK_ASIDE_SIZE);
    scv_engine_free(e);
}

static void rules_are_fixed_once_records_exist(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_kind dup[] = {SCV_KIND_EMAIL, SCV_KIND_EMAIL};
    assert_status(scv_engine_set_limit(e, 99, 1), SCV_ENOTFOUND);
    assert_status(scv_engine_set_priority(e, dup, 2), SCV_EINVAL);
    assert_status(scv_engine_set_priority(e, NULL, 1), SCV_EINVAL);
    assert_ok(scv_engine_set_priority(e, NULL, 0));
    test_upsert(e, "crm", "c1", "email=a@b.de", NULL);
    assert_status(scv_engine_set_limit(e, SCV_KIND_EMAIL, 1), SCV_ESTATE);
    assert_status(scv_engine_set_generic_threshold(e, SCV_KIND_EMAIL, 1), SCV_ESTATE);
    assert_status(scv_engine_set_profile_limits(e, 1, 1), SCV_ESTATE);
    assert_status(scv_engine_set_default_blocklist(e, 0), SCV_ESTATE);
    assert_string_not_equal(scv_engine_errmsg(e), "");
    scv_engine_free(e);
}

static void registered_kinds_rank_below_built_ins(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_kind ig;
    assert_ok(scv_engine_register_kind(e, S("instagram"), SCV_NORM_CASEFOLD, &ig));
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    test_upsert(e, "web", "a", "customer_id=1", "instagram=@ann", NULL);
    test_upsert(e, "web", "b", "customer_id=2", "instagram=@ann", "anonymous_id=zz1", NULL);
    /* Both the cookie and the handle go before customer_id; the handle (registered) first. */
    assert_int_equal(state_on(e, "web", "b", ig, "@ann"), SCV_LINK_ASIDE_LIMIT);
    scv_engine_free(e);
}

static void stats_count_merges(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    test_upsert(e, "crm", "b", "phone=030 1234321", NULL);
    test_upsert(e, "crm", "c", "email=a@b.de", "phone=030 1234321", NULL);
    assert_int_equal(stat(e, SCV_STAT_MERGES), 1);
    assert_int_equal(stat(e, SCV_STAT_RECORDS), 3);
    assert_int_equal(stat(e, SCV_STAT_PROFILES), 1);
    assert_int_equal(stat(e, SCV_STAT_IDENTIFIERS), 2);
    assert_true(stat(e, SCV_STAT_BYTES) > 1000);
    uint64_t v;
    assert_status(scv_engine_stat(e, (scv_stat)99, &v), SCV_EINVAL);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_one_customer_id_keeps_second_customer_apart),
        cmocka_unit_test(shared_browser_cookie_does_not_join_two_customers),
        cmocka_unit_test(household_landline_does_not_merge_two_crm_customers),
        cmocka_unit_test(duplicate_crm_entries_of_one_person_still_link),
        cmocka_unit_test(limit_sets_aside_a_shared_phone_between_duplicate_customers),
        cmocka_unit_test(priority_decides_which_identifier_is_set_aside),
        cmocka_unit_test(a_record_breaking_a_limit_alone_keeps_its_first_value),
        cmocka_unit_test(placeholders_are_blocked_and_kept_as_data),
        cmocka_unit_test(default_blocklist_can_be_turned_off),
        cmocka_unit_test(host_block_splits_what_the_value_joined),
        cmocka_unit_test(store_phone_shared_by_200_customers_is_generic),
        cmocka_unit_test(store_phone_on_walk_in_receipts_is_generic),
        cmocka_unit_test(family_landline_with_few_walk_ins_still_links),
        cmocka_unit_test(repeat_visits_with_one_phone_are_not_generic),
        cmocka_unit_test(generic_value_links_again_when_its_sharers_leave),
        cmocka_unit_test(generic_rule_partition_does_not_depend_on_order),
        cmocka_unit_test(generic_threshold_beyond_the_stored_bound_range_is_exact),
        cmocka_unit_test(generic_bounds_stay_above_exact_counts),
        cmocka_unit_test(size_guard_refuses_merges_beyond_the_maximum),
        cmocka_unit_test(rules_are_fixed_once_records_exist),
        cmocka_unit_test(registered_kinds_rank_below_built_ins),
        cmocka_unit_test(stats_count_merges),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
