/*
 * bigalloc.h — the allocator the scv program gives its engine (scv_allocator hooks), and its
 * prefaulter.
 *
 * Why: loading a million records grows the engine's flat arrays and hash tables to tens of
 * megabytes each. From malloc those are 4 KiB pages, so the first touch of each page costs a
 * page fault (about 14% of a 1M-record run went to faults), and an array that outgrows its
 * block is copied. Here a block of BIGALLOC_THRESHOLD bytes or more is a mapping of its own,
 * advised for transparent huge pages (one fault per 2 MiB instead of one per 4 KiB), and it
 * grows with mremap(), which moves page-table entries instead of bytes. Smaller blocks come
 * from malloc, which serves them better.
 *
 * The prefaulter (opt-in: bigalloc_prefault_start/stop). Even with huge pages, the first touch
 * of a page still costs the kernel's zeroing of it, about 12% of the time of the thread that
 * upserts (the program's critical path), while the thread that reads is idle about half of
 * the time. So a background thread faults the pages in ahead of that first touch, with
 * madvise(MADV_POPULATE_WRITE) (Linux 5.14): the writer then finds them mapped. `scv resolve`
 * on 1M records (this project's 2-core VM, shared, median of 10): 1.58 → 1.33 s wall, the
 * same peak RSS.
 * How: every mapped block is in a registry (address, length, how far populated) that the
 * hooks update under a mutex as they map, move, resize and unmap blocks. The thread populates
 * one chunk (a huge page) at a time, front to back, holding that mutex so that no block is
 * unmapped or moved under it, and releases it between chunks (through a gate, so that a
 * waiting hook goes first: a hook waits for one chunk at most). It works on the block least
 * populated relative to its length, as the engine fills its arrays side by side; blocks
 * mapped or grown while it runs are picked up; with nothing left it sleeps on a condition
 * variable until a block is mapped or grows, or it is stopped. When madvise() fails on a
 * block (ENOMEM; EINVAL) it leaves that block to be faulted by its writer, as without it.
 * How far: the first three quarters of each block (rounded down to whole huge pages), never
 * the rest. The engine reserves its arrays from an estimate and grows them by half, so a
 * block's end is often never used, and a populated page counts in the resident set whether
 * used or not: populating whole blocks raised the peak RSS of a 1M-record run by 14% (27 MiB
 * of reserved tails never reached); three quarters left it unchanged (+0.1%, and +0.2% reading
 * standard input, where the arrays only grow), and still populates three quarters of the
 * pages the run touches.
 * A block the engine grew by half when full is two thirds used, so at most a twelfth of it is
 * populated ahead of use. Hash tables, filled at random, are touched whole by their writer
 * anyway.
 * Limits: it costs a thread and CPU time (the zeroing moves, it does not go away), so it pays
 * only while a core would otherwise idle; a hook may wait for one chunk's fault; a page it
 * populates that the program never uses is resident all the same: a reservation far above
 * what the input needs (an estimate much too high) has its first three quarters resident.
 *
 * On systems without mmap/mremap/MADV_HUGEPAGE (anything but Linux) every block comes from
 * malloc/realloc/free and there is no prefaulter. Every failure returns NULL and, on realloc,
 * leaves the old block as it was, as scv_allocator requires; the library then reports
 * SCV_ENOMEM.
 *
 * The hooks keep no state of their own (ctx is unused; the registry is the module's) and are
 * safe to use from several threads, also while the prefaulter runs.
 */
#ifndef SCV_CLI_BIGALLOC_H
#define SCV_CLI_BIGALLOC_H

#include "scv.h"

/** Blocks at least this large get their own huge-page mapping (where that is available).
 *  Below it a mapping costs a system call and whole pages and gains no huge page. (64 KiB,
 *  256 KiB and 1 MiB measured alike on 1M records: the large arrays are what matters.) */
#define BIGALLOC_THRESHOLD ((size_t)1 << 20)

/** The allocator, for scv_options_new(). Static: it lives as long as the program. */
const scv_allocator *bigalloc_allocator(void);

/** Start the prefaulter thread: from now on it populates the blocks mapped so far and those
 *  to come, until bigalloc_prefault_stop(). Call it and stop from one thread (the hooks may be
 *  in use on any). @return 0, also when it runs already; -1 where it is not available (no
 *  mappings; a kernel without MADV_POPULATE_WRITE) or the thread cannot be started: then
 *  nothing changes. */
int bigalloc_prefault_start(void);

/** Stop the prefaulter and wait for its thread; it may be started again. What it populated
 *  stays populated. A no-op when it is not running. */
void bigalloc_prefault_stop(void);

#endif
