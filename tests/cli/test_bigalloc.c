/*
 * test_bigalloc.c — the scv program's allocator (examples/cli/bigalloc.c): blocks keep their
 * bytes through every kind of resize (within malloc, within a mapping, from one to the other,
 * growing in place and moving), and a request that cannot be met returns NULL with the old
 * block as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bigalloc.h"

#define MIB ((size_t)1 << 20)

/* Fill p[0..n) with a pattern that depends on the position and `seed`. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)((i * 131u + seed) >> 3);
    }
}

/* Check p[0..n) still holds fill(seed)'s pattern. */
static void assert_filled(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)((i * 131u + seed) >> 3)) {
            fail_msg("byte %zu of %zu changed", i, n);
        }
    }
}

static void blocks_keep_their_bytes_through_every_resize(void **state) {
    static const size_t sizes[] = {100,     3 * MIB,      5 * MIB + 7, 2 * MIB, 1000,
                                   MIB,     MIB - 1,      12 * MIB,    1,       BIGALLOC_THRESHOLD,
                                   64 * MIB, 40 * MIB + 3, 4096};
    const scv_allocator *a = bigalloc_allocator();
    size_t size = 10;
    unsigned char *p = a->alloc(a->ctx, size);
    (void)state;
    assert_non_null(p);
    fill(p, size, 1);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t kept = size < sizes[k] ? size : sizes[k];
        p = a->realloc(a->ctx, p, size, sizes[k]);
        assert_non_null(p);
        assert_filled(p, kept, (unsigned)k + 1);
        size = sizes[k];
        fill(p, size, (unsigned)k + 2); /* the whole block is writable */
    }
    a->free(a->ctx, p, size);
}

/* Two large blocks side by side: the first cannot grow in place, so it moves. */
static void a_block_that_cannot_grow_in_place_moves_with_its_bytes(void **state) {
    const scv_allocator *a = bigalloc_allocator();
    unsigned char *blocks[8];
    (void)state;
    for (int i = 0; i < 8; i++) {
        blocks[i] = a->alloc(a->ctx, 2 * MIB);
        assert_non_null(blocks[i]);
        fill(blocks[i], 2 * MIB, (unsigned)i);
    }
    for (int i = 0; i < 8; i++) {
        blocks[i] = a->realloc(a->ctx, blocks[i], 2 * MIB, 6 * MIB);
        assert_non_null(blocks[i]);
    }
    for (int i = 0; i < 8; i++) {
        assert_filled(blocks[i], 2 * MIB, (unsigned)i);
        a->free(a->ctx, blocks[i], 6 * MIB);
    }
}

#if defined(__linux__)
/* Blocks of a huge page or more start on a huge-page boundary (bigalloc.c). */
static void large_blocks_start_on_a_huge_page_boundary(void **state) {
    const scv_allocator *a = bigalloc_allocator();
    void *p = a->alloc(a->ctx, 4 * MIB + 5);
    (void)state;
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % (2 * MIB), 0);
    a->free(a->ctx, p, 4 * MIB + 5);
}
#endif

static void impossible_requests_return_null_and_keep_the_old_block(void **state) {
    const scv_allocator *a = bigalloc_allocator();
    size_t huge = SIZE_MAX / 2;
    unsigned char *big = a->alloc(a->ctx, 3 * MIB);
    (void)state;
    assert_null(a->alloc(a->ctx, huge));
    assert_null(a->alloc(a->ctx, SIZE_MAX - 10)); /* rounding up to pages overflows */
    assert_non_null(big);
    fill(big, 3 * MIB, 7);
    assert_null(a->realloc(a->ctx, big, 3 * MIB, huge));
    assert_null(a->realloc(a->ctx, big, 3 * MIB, SIZE_MAX - 10));
    assert_filled(big, 3 * MIB, 7);
    a->free(a->ctx, big, 3 * MIB);
    a->free(a->ctx, NULL, 0); /* NULL is a no-op */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_keep_their_bytes_through_every_resize),
        cmocka_unit_test(a_block_that_cannot_grow_in_place_moves_with_its_bytes),
#if defined(__linux__)
        cmocka_unit_test(large_blocks_start_on_a_huge_page_boundary),
#endif
        cmocka_unit_test(impossible_requests_return_null_and_keep_the_old_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
