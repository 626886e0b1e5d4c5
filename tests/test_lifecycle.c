/* test_lifecycle.c — delete, erase and the suppression list, stable ids, and the change feed. */
#include "test.h"

static scv_status delete_rec(scv_engine *e, const char *source, const char *id)
{
    scv_source src;
    assert_ok(scv_engine_source(e, S(source), &src));
    return scv_engine_delete(e, src, S(id));
}

static int has_record(const scv_engine *e, const char *source, const char *id)
{
    scv_source src;
    scv_record_ref ref;
    assert_ok(scv_engine_source(e, S(source), &src));
    return scv_engine_record_find(e, src, S(id), &ref) == SCV_OK;
}

static void deleting_an_unknown_record_changes_nothing(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    uint64_t seq = scv_engine_sequence(e);
    assert_status(delete_rec(e, "crm", "nope"), SCV_ENOTFOUND);
    assert_status(scv_engine_delete(e, 99, S("a")), SCV_ENOTFOUND);
    assert_status(scv_engine_delete(e, SCV_SOURCE_CRM, NULL, 3), SCV_EINVAL);
    assert_int_equal(scv_engine_sequence(e), seq);
    assert_int_equal(scv_engine_record_count(e), 1);
    scv_engine_free(e);
}

static void deleting_the_bridge_splits_and_the_oldest_part_keeps_the_id(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    test_upsert(e, "pos", "b", "loyalty_id=L1", NULL);
    test_upsert(e, "web", "c", "email=a@b.de", "loyalty_id=L1", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_ok(delete_rec(e, "web", "c"));
    assert_false(has_record(e, "web", "c"));
    assert_int_equal(scv_engine_record_count(e), 2);
    assert_int_equal(scv_engine_profile_count(e), 2);
    assert_int_equal(test_profile_of(e, "crm", "a"), 1);
    assert_int_not_equal(test_profile_of(e, "pos", "b"), 1);
    /* Iteration skips the deleted record; a new record with its key is a new record. */
    scv_record_ref ref = 0;
    size_t n = 0;
    while (scv_engine_record_next(e, ref, &ref) == SCV_OK) n++;
    assert_int_equal(n, 2);
    assert_status(scv_engine_record_info(e, 3, NULL, NULL, NULL, NULL), SCV_ENOTFOUND);
    test_upsert(e, "web", "c", "email=a@b.de", NULL);
    assert_int_equal(test_profile_of(e, "web", "c"), 1);
    scv_engine_free(e);
}

static void deleting_the_last_record_deletes_the_profile_and_its_merged_ids(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id canon;
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);       /* 1 */
    test_upsert(e, "crm", "b", "phone=030 5554443", NULL);   /* 2 */
    test_upsert(e, "crm", "c", "email=a@b.de", "phone=030 5554443", NULL); /* 2 into 1 */
    assert_ok(scv_profile_canonical(e, 2, &canon));
    assert_int_equal(canon, 1);
    assert_ok(delete_rec(e, "crm", "c"));
    /* b splits off again under a new id; id 2 still resolves to 1 while 1 lives. */
    assert_ok(scv_profile_canonical(e, 2, &canon));
    assert_int_equal(canon, 1);
    assert_ok(delete_rec(e, "crm", "a"));
    assert_status(scv_profile_canonical(e, 1, &canon), SCV_ENOTFOUND);
    assert_status(scv_profile_canonical(e, 2, &canon), SCV_ENOTFOUND);
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

static void deleting_sharers_lets_a_generic_value_link_again(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], loyalty[32];
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 2));
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "t%d", i);
        snprintf(loyalty, sizeof loyalty, "loyalty_id=L%d", i);
        test_upsert(e, "pos", id, loyalty, "phone=030 9090909", NULL);
    }
    assert_int_equal(scv_engine_profile_count(e), 4);
    assert_ok(delete_rec(e, "pos", "t3"));
    assert_ok(delete_rec(e, "pos", "t2"));
    assert_int_equal(scv_engine_profile_count(e), 1);
    scv_engine_free(e);
}

/* ---- erase ------------------------------------------------------------------------------- */

/* An allocator that remembers its live blocks, to search engine memory for a value. */
#define MAX_BLOCKS 4096
static struct {
    void *p;
    size_t n;
} blocks[MAX_BLOCKS];

static void remember(void *p, size_t n)
{
    for (int i = 0; i < MAX_BLOCKS; i++)
        if (blocks[i].p == NULL) {
            blocks[i].p = p;
            blocks[i].n = n;
            return;
        }
    fail_msg("too many blocks");
}

static void forget(void *p)
{
    for (int i = 0; i < MAX_BLOCKS; i++)
        if (blocks[i].p == p) blocks[i].p = NULL;
}

/* Blocks start zeroed, so that searching their unused capacity reads defined bytes. */
static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    void *p = calloc(1, n);
    if (p) remember(p, n);
    return p;
}

static void *t_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    /* Always move, and scrub the old block, so no stale copy hides in freed memory. */
    void *q = calloc(1, n);
    if (q == NULL) return NULL;
    memcpy(q, p, o < n ? o : n);
    memset(p, 0, o);
    forget(p);
    free(p);
    remember(q, n);
    return q;
}

static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    memset(p, 0, n);
    forget(p);
    free(p);
}

static int memory_holds(const char *needle)
{
    size_t len = strlen(needle);
    for (int i = 0; i < MAX_BLOCKS; i++) {
        const char *b = blocks[i].p;
        if (b == NULL || blocks[i].n < len) continue;
        for (size_t k = 0; k + len <= blocks[i].n; k++)
            if (memcmp(b + k, needle, len) == 0) return 1;
    }
    return 0;
}

static scv_engine *tracked_engine(void)
{
    scv_allocator a = {t_alloc, t_realloc, t_free, NULL};
    scv_options *o;
    scv_engine *e;
    memset(blocks, 0, sizeof blocks);
    assert_ok(scv_options_new(&a, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_RAW));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    return e;
}

static void erase_removes_every_record_and_byte_and_suppresses_the_person(void **state)
{
    (void)state;
    scv_engine *e = tracked_engine();
    test_upsert(e, "crm", "C-JANE-1", "email=Jane.Erasable@web.de", "phone=0301239876", "trait:city=Zwickau",
                "measure:order_total=42", NULL);
    test_upsert(e, "web", "W-JANE-2", "email=jane.erasable@web.de", "anonymous_id=cookie-jane-77", NULL);
    test_upsert(e, "pos", "P-OTHER", "loyalty_id=L5", "trait:city=Ulm", NULL);
    test_upsert(e, "pos", "P-JUNK", "email=test@test.com", NULL); /* blocked: not the person's */
    test_upsert(e, "pos", "P-JANE-3", "phone=+49 30 1239876", "email=test@test.com", NULL);
    scv_profile_id jane = test_profile_of(e, "crm", "C-JANE-1");
    assert_true(memory_holds("Jane.Erasable") && memory_holds("Zwickau") && memory_holds("C-JANE-1"));
    size_t recs = 0, ids = 0;
    assert_ok(scv_engine_erase(e, jane, &recs, &ids));
    assert_int_equal(recs, 3);
    assert_int_equal(ids, 3); /* e-mail, phone, cookie; not test@test.com */
    assert_int_equal(scv_engine_suppressed_count(e), 3);
    assert_int_equal(scv_engine_record_count(e), 2);
    assert_false(memory_holds("Jane.Erasable"));
    assert_false(memory_holds("jane.erasable"));
    assert_false(memory_holds("Zwickau"));
    assert_false(memory_holds("C-JANE-1"));
    assert_false(memory_holds("cookie-jane-77"));
    assert_false(memory_holds("+49301239876"));
    assert_true(memory_holds("Ulm")); /* others are untouched */
    scv_profile_id p;
    assert_status(scv_profile_canonical(e, jane, &p), SCV_ENOTFOUND);
    /* A replay of the old data cannot rebuild her: the identifiers are dropped. */
    test_upsert(e, "crm", "C-JANE-1", "email=Jane.Erasable@web.de", "phone=0301239876", NULL);
    test_upsert(e, "web", "W-JANE-2", "email=jane.erasable@web.de", "anonymous_id=cookie-jane-77", NULL);
    assert_int_not_equal(test_profile_of(e, "crm", "C-JANE-1"), test_profile_of(e, "web", "W-JANE-2"));
    assert_false(memory_holds("Jane.Erasable"));
    assert_false(memory_holds("cookie-jane-77"));
    assert_status(scv_engine_identifier_profile(e, SCV_KIND_EMAIL, S("jane.erasable@web.de"), &p), SCV_ENOTFOUND);
    assert_status(scv_engine_erase(e, 999, NULL, NULL), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void suppression_list_add_remove_count(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    uint8_t h[16];
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    test_upsert(e, "crm", "b", "email=a@b.de", NULL);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_ok(scv_engine_suppress(e, SCV_KIND_EMAIL, S("A@b.de")));
    assert_ok(scv_engine_suppress(e, SCV_KIND_EMAIL, S("a@b.de"))); /* again: fine */
    assert_int_equal(scv_engine_suppressed_count(e), 1);
    assert_int_equal(scv_engine_profile_count(e), 2);
    assert_ok(scv_engine_hash(e, SCV_KIND_EMAIL, S("a@b.de"), h));
    assert_ok(scv_engine_unsuppress_hash(e, SCV_KIND_EMAIL, h));
    assert_int_equal(scv_engine_suppressed_count(e), 0);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_status(scv_engine_unsuppress_hash(e, SCV_KIND_EMAIL, h), SCV_ENOTFOUND);
    /* By hash, before the value is ever seen. */
    assert_ok(scv_engine_hash(e, SCV_KIND_PHONE, S("030 1112223"), h));
    assert_ok(scv_engine_suppress_hash(e, SCV_KIND_PHONE, h));
    test_upsert(e, "pos", "p1", "phone=+49301112223", NULL);
    test_upsert(e, "pos", "p2", "phone=0301112223", NULL);
    assert_int_equal(scv_engine_profile_count(e), 3);
    assert_int_equal(scv_engine_identifier_count(e), 1);
    scv_engine_free(e);
}

/* ---- change feed ------------------------------------------------------------------------- */

typedef struct {
    char log[4096];
    size_t used;
    int stop_after;
    int seen;
} feed_log;

static int collect(void *ctx, uint64_t seq, scv_change change, scv_profile_id profile, scv_profile_id other,
                   scv_source source, const char *record_id, size_t len)
{
    static const char *names[] = {"created", "merged", "split", "updated", "deleted"};
    feed_log *f = ctx;
    (void)seq;
    (void)source;
    f->used += (size_t)snprintf(f->log + f->used, sizeof f->log - f->used, "%s %u %u %.*s;", names[change],
                                profile, other, (int)len, record_id);
    return ++f->seen == f->stop_after;
}

static const char *changes(scv_engine *e, uint64_t after)
{
    static feed_log f;
    memset(&f, 0, sizeof f);
    assert_ok(scv_engine_changes_since(e, after, collect, &f));
    return f.log;
}

static void change_feed_reports_create_merge_split_update_delete(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    test_upsert(e, "crm", "b", "phone=030 5554443", NULL);
    assert_string_equal(changes(e, 0), "created 1 0 a;created 2 0 b;");
    uint64_t mark = scv_engine_sequence(e);
    test_upsert(e, "crm", "c", "email=a@b.de", "phone=030 5554443", NULL);
    assert_string_equal(changes(e, mark), "merged 1 2 c;updated 1 0 c;");
    mark = scv_engine_sequence(e);
    test_upsert(e, "crm", "c", "email=a@b.de", "phone=030 5554443", "trait:x=1", NULL);
    assert_string_equal(changes(e, mark), "updated 1 0 c;");
    mark = scv_engine_sequence(e);
    assert_ok(delete_rec(e, "crm", "c"));
    assert_string_equal(changes(e, mark), "updated 1 0 c;split 1 3 c;");
    mark = scv_engine_sequence(e);
    assert_ok(delete_rec(e, "crm", "b"));
    assert_string_equal(changes(e, mark), "deleted 3 0 b;");
    assert_int_equal(scv_engine_sequence(e), mark + 1);
    /* Nothing after the newest; a callback can stop early. */
    assert_string_equal(changes(e, scv_engine_sequence(e)), "");
    feed_log f;
    memset(&f, 0, sizeof f);
    f.stop_after = 2;
    assert_ok(scv_engine_changes_since(e, 0, collect, &f));
    assert_int_equal(f.seen, 2);
    assert_status(scv_engine_changes_since(e, 0, NULL, NULL), SCV_EINVAL);
    scv_engine_free(e);
}

static void change_feed_is_bounded_and_says_when_history_is_gone(void **state)
{
    (void)state;
    scv_options *o;
    scv_engine *e;
    char id[16];
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_change_capacity(o, 8));
    assert_status(scv_options_set_change_capacity(o, (size_t)1 << 29), SCV_EINVAL);
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "r%d", i);
        test_upsert(e, "crm", id, NULL);
    }
    assert_int_equal(scv_engine_sequence(e), 20);
    assert_status(scv_engine_changes_since(e, 0, collect, NULL), SCV_EEXPIRED);
    assert_status(scv_engine_changes_since(e, 11, collect, NULL), SCV_EEXPIRED);
    assert_string_equal(changes(e, 12), "created 13 0 r12;created 14 0 r13;created 15 0 r14;created 16 0 r15;"
                                        "created 17 0 r16;created 18 0 r17;created 19 0 r18;created 20 0 r19;");
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deleting_an_unknown_record_changes_nothing),
        cmocka_unit_test(deleting_the_bridge_splits_and_the_oldest_part_keeps_the_id),
        cmocka_unit_test(deleting_the_last_record_deletes_the_profile_and_its_merged_ids),
        cmocka_unit_test(deleting_sharers_lets_a_generic_value_link_again),
        cmocka_unit_test(erase_removes_every_record_and_byte_and_suppresses_the_person),
        cmocka_unit_test(suppression_list_add_remove_count),
        cmocka_unit_test(change_feed_reports_create_merge_split_update_delete),
        cmocka_unit_test(change_feed_is_bounded_and_says_when_history_is_gone),
    };
    return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
