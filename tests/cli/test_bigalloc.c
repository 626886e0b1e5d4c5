/*
 * test_bigalloc.c — the scv program's allocator (examples/cli/bigalloc.c): blocks keep their
 * bytes through every kind of resize (within malloc, within a mapping, from one to the other,
 * growing in place and moving), and a request that cannot be met returns NULL with the old
 * block as it was. Two threads mapping, growing, moving, shrinking and freeing blocks at once
 * keep their bytes (under the tsan preset this suite checks the hooks for races).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* mincore() */
#endif

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bigalloc.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

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

/* The two-thread test writes every STRIDE-th byte only (bytes are lost or moved a page at a
 * time, and a page is 4096 bytes), so that it stays quick under ThreadSanitizer. */
#define STRIDE 61

/* Write a pattern of `seed` to every STRIDE-th byte of p[0..n). */
static void mark(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += STRIDE) {
        p[i] = (unsigned char)((i * 131u + seed) >> 3);
    }
}

/* Does p[0..n) hold mark(seed)'s pattern? (A plain test, not an assertion: cmocka may only
 * fail a test on the test's own thread.) */
static int marked(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += STRIDE) {
        if (p[i] != (unsigned char)((i * 131u + seed) >> 3)) {
            return 0;
        }
    }
    return 1;
}

/* What one thread does with blocks while another does the same: maps blocks of several sizes,
 * writes their first part only (as an array being filled), grows them in place and by moving,
 * shrinks them, moves them to malloc and back, and frees them, checking the bytes after each
 * step. `seed` keeps two threads' patterns apart.
 * @return 0, or the line of the step that failed. */
static int churn_blocks(unsigned seed) {
    enum { NBLOCKS = 5 };
    const scv_allocator *a = bigalloc_allocator();
    unsigned char *p[NBLOCKS];
    size_t size[NBLOCKS];
    size_t used[NBLOCKS];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NBLOCKS; i++) {
            size[i] = (size_t)(i + 1) * 3 * MIB + (size_t)round * 4096 + 5;
            used[i] = size[i] / 3;
            p[i] = a->alloc(a->ctx, size[i]);
            if (p[i] == NULL) {
                return __LINE__;
            }
            mark(p[i], used[i], seed + (unsigned)i);
        }
        /* Grow each by half (neighbours force some to move), then fill the old part whole. */
        for (int i = 0; i < NBLOCKS; i++) {
            size_t grown = size[i] + size[i] / 2;
            unsigned char *q = a->realloc(a->ctx, p[i], size[i], grown);
            if (q == NULL || !marked(q, used[i], seed + (unsigned)i)) {
                return __LINE__;
            }
            p[i] = q;
            used[i] = size[i];
            size[i] = grown;
            mark(p[i], used[i], seed + (unsigned)i + 100);
        }
        /* Shrink the even ones within their mappings, move the odd ones to malloc and back. */
        for (int i = 0; i < NBLOCKS; i++) {
            size_t to = i % 2 == 0 ? size[i] - 2 * MIB : 4096;
            size_t kept = used[i] < to ? used[i] : to;
            unsigned char *q = a->realloc(a->ctx, p[i], size[i], to);
            if (q == NULL || !marked(q, kept, seed + (unsigned)i + 100)) {
                return __LINE__;
            }
            p[i] = q;
            size[i] = to;
            if (i % 2 == 1) {
                q = a->realloc(a->ctx, p[i], size[i], 5 * MIB);
                if (q == NULL || !marked(q, kept, seed + (unsigned)i + 100)) {
                    return __LINE__;
                }
                p[i] = q;
                size[i] = 5 * MIB;
            }
            mark(p[i], size[i], seed + (unsigned)i + 200); /* the whole block is writable */
        }
        for (int i = 0; i < NBLOCKS; i++) {
            if (!marked(p[i], size[i], seed + (unsigned)i + 200)) {
                return __LINE__;
            }
            a->free(a->ctx, p[i], size[i]);
        }
    }
    return 0;
}

/* The second thread of the test below: churn_blocks(1000), its result in *arg. */
static void *churn_thread(void *arg) {
    *(int *)arg = churn_blocks(1000);
    return NULL;
}

#if defined(__linux__)
/* Is the page holding p in memory? */
static int resident(const void *p) {
    unsigned char v = 0;
    uintptr_t page = (uintptr_t)p & ~(uintptr_t)4095;
    assert_int_equal(mincore((void *)page, 1, &v), 0);
    return v & 1;
}

static void prefault_populates_blocks_in_use_up_to_the_fraction(void **state) {
    const scv_allocator *a = bigalloc_allocator();
    const size_t size = 16 * MIB;
    unsigned char *used = a->alloc(a->ctx, size);
    unsigned char *untouched = a->alloc(a->ctx, size);
    (void)state;
    assert_non_null(used);
    assert_non_null(untouched);
    fill(used, MIB, 7); /* being written from its start, as an engine's array is */
    if (!bigalloc_prefault(0.5)) {
        a->free(a->ctx, used, size);
        a->free(a->ctx, untouched, size);
        skip(); /* a kernel without MADV_POPULATE_WRITE (Linux < 5.14): nothing to test */
    }
    while (bigalloc_prefault(0.5)) {
    }
    assert_true(resident(used + size / 2 - 1));
    assert_false(resident(used + size / 2));
    assert_false(resident(used + size - 1));
    assert_false(resident(untouched));
    assert_false(resident(untouched + size - 1));
    assert_filled(used, MIB, 7);
    while (bigalloc_prefault(1)) {
    }
    assert_true(resident(used + size - 1));
    assert_false(resident(untouched + size / 2));
    assert_filled(used, MIB, 7);
    a->free(a->ctx, used, size);
    a->free(a->ctx, untouched, size);
    /* Freed blocks are forgotten: nothing is left to populate. */
    assert_int_equal(bigalloc_prefault(1), 0);
}
#endif

/* Populates whatever it can until *arg (the churn's result) is set. */
static void *prefault_thread(void *arg) {
    volatile int *done = arg;
    while (__atomic_load_n(done, __ATOMIC_ACQUIRE) == 0) {
        if (!bigalloc_prefault(1)) {
            sched_yield();
        }
    }
    return NULL;
}

static void prefaulting_beside_moving_blocks_keeps_their_bytes(void **state) {
    pthread_t other;
    int done = 0;
    int failed;
    (void)state;
    assert_int_equal(pthread_create(&other, NULL, prefault_thread, &done), 0);
    failed = churn_blocks(3000);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_int_equal(failed, 0);
}

static void two_threads_use_the_hooks_at_once(void **state) {
    pthread_t other;
    int other_failed = -1;
    (void)state;
    assert_int_equal(pthread_create(&other, NULL, churn_thread, &other_failed), 0);
    assert_int_equal(churn_blocks(2000), 0);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_int_equal(other_failed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_keep_their_bytes_through_every_resize),
        cmocka_unit_test(a_block_that_cannot_grow_in_place_moves_with_its_bytes),
#if defined(__linux__)
        cmocka_unit_test(large_blocks_start_on_a_huge_page_boundary),
#endif
        cmocka_unit_test(impossible_requests_return_null_and_keep_the_old_block),
        cmocka_unit_test(two_threads_use_the_hooks_at_once),
#if defined(__linux__)
        cmocka_unit_test(prefault_populates_blocks_in_use_up_to_the_fraction),
#endif
        cmocka_unit_test(prefaulting_beside_moving_blocks_keeps_their_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
