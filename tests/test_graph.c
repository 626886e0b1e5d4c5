/* test_graph.c — union-find with member lists, and profile ids over it. */
#include "test.h"

#include "graph.h"
#include "profiles.h"

static size_t members(const scv__graph *g, uint32_t x)
{
    size_t n = 0;
    uint32_t m = x;
    do {
        n++;
        m = g->node[m].next;
    } while (m != x);
    return n;
}

static void unite_joins_roots_and_member_lists(void **state)
{
    (void)state;
    scv__mem m;
    scv__graph g = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__graph_reserve(&m, &g, 10));
    for (int i = 0; i < 10; i++) scv__graph_add(&g);
    uint32_t r = scv__graph_unite(&g, 0, 1);
    r = scv__graph_unite(&g, scv__graph_find(&g, 2), r);
    r = scv__graph_unite(&g, scv__graph_find(&g, 3), scv__graph_find(&g, 4));
    assert_int_equal(scv__graph_find(&g, 1), scv__graph_find(&g, 0));
    assert_int_equal(scv__graph_find(&g, 2), scv__graph_find(&g, 0));
    assert_int_not_equal(scv__graph_find(&g, 3), scv__graph_find(&g, 0));
    assert_int_equal(g.node[scv__graph_find(&g, 0)].size, 3);
    assert_int_equal(members(&g, 2), 3);
    assert_int_equal(members(&g, 4), 2);
    assert_int_equal(members(&g, 9), 1);
    scv__graph_free(&m, &g);
}

static void union_by_size_keeps_larger_root(void **state)
{
    (void)state;
    scv__mem m;
    scv__graph g = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__graph_reserve(&m, &g, 4));
    for (int i = 0; i < 4; i++) scv__graph_add(&g);
    uint32_t big = scv__graph_unite(&g, 0, 1);
    big = scv__graph_unite(&g, big, 2);
    assert_int_equal(scv__graph_unite(&g, 3, big), big);
    scv__graph_free(&m, &g);
}

static void find_halves_paths_and_root_reads_without_writing(void **state)
{
    (void)state;
    scv__mem m;
    scv__graph g = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__graph_reserve(&m, &g, 5));
    for (int i = 0; i < 5; i++) scv__graph_add(&g);
    /* A chain 4 -> 3 -> 2 -> 1 -> 0 built by hand. */
    for (uint32_t i = 1; i < 5; i++) g.node[i].parent = i - 1;
    assert_int_equal(scv__graph_root(&g, 4), 0);
    assert_int_equal(g.node[4].parent, 3);
    assert_int_equal(scv__graph_find(&g, 4), 0);
    assert_int_equal(g.node[4].parent, 2); /* halved */
    scv__graph_free(&m, &g);
}

static void isolate_resets_a_node(void **state)
{
    (void)state;
    scv__mem m;
    scv__graph g = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__graph_reserve(&m, &g, 2));
    scv__graph_add(&g);
    scv__graph_add(&g);
    scv__graph_unite(&g, 0, 1);
    scv__graph_isolate(&g, 0);
    scv__graph_isolate(&g, 1);
    assert_int_equal(scv__graph_find(&g, 1), 1);
    assert_int_equal(members(&g, 0), 1);
    scv__graph_free(&m, &g);
}

static void profile_ids_issue_merge_and_resolve(void **state)
{
    (void)state;
    scv__mem m;
    scv__profiles p = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__profiles_reserve(&m, &p, 3, 3));
    for (int i = 0; i < 3; i++) scv__profiles_add_record(&p);
    assert_int_equal(scv__profiles_issue(&p, 0), 1);
    assert_int_equal(scv__profiles_issue(&p, 1), 2);
    assert_int_equal(scv__profiles_issue(&p, 2), 3);
    scv__profiles_merge(&p, 3, 2);
    scv__profiles_merge(&p, 2, 1);
    assert_int_equal(p.live, 1);
    assert_int_equal(scv__profiles_canonical(&p, 3), 1);
    assert_int_equal(scv__profiles_canonical(&p, 1), 1);
    assert_int_equal(scv__profiles_canonical(&p, 0), 0);
    assert_int_equal(scv__profiles_canonical(&p, 4), 0);
    assert_false(scv__profiles_is_live(&p, 2));
    assert_true(scv__profiles_is_live(&p, 1));
    scv__profiles_free(&m, &p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unite_joins_roots_and_member_lists),
        cmocka_unit_test(union_by_size_keeps_larger_root),
        cmocka_unit_test(find_halves_paths_and_root_reads_without_writing),
        cmocka_unit_test(isolate_resets_a_node),
        cmocka_unit_test(profile_ids_issue_merge_and_resolve),
    };
    return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
