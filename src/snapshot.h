/* snapshot.h — what snapshot.c shares with absorb.c and the test suites: the hash-key
 * fingerprint both compare, and a consistency check of an engine's internal structures.
 * Internal. */
#ifndef SCV_SNAPSHOT_H
#define SCV_SNAPSHOT_H

#include <stdint.h>

#include "engine.h"

/* XXH3-64 of the 192-byte secret derived from the hash key; 0 when the engine has no key
 * (XXH3's default secret). Two engines hash identifiers alike iff their fingerprints match
 * (up to a 2^-64 collision). The key itself is never written anywhere. */
uint64_t scv__key_fingerprint(const scv__hasher *h);

/*
 * Check every invariant a resolved engine keeps: union-find roots and member lists, profile
 * id tables, postings lists and reference counts, anchors (each linking identifier anchored
 * at a record in the one component all its linking carriers are in), per-component counts.
 * Returns SCV_OK, SCV_ECORRUPT with *why set to the broken invariant, or SCV_ENOMEM.
 * O(records + identifier slots). For tests and fuzzing; the engine never calls it.
 */
scv_status scv__engine_check(const scv_engine *e, const char **why);

/* The generic rule's stored bounds against exact recounts: every linking value's bounds are
 * at least its partner counts. Apart from scv__engine_check(): a snapshot may carry any
 * bounds (they only steer when the rule recounts), so a loaded one need not pass.
 * SCV_OK, SCV_ECORRUPT with *why, SCV_ENOMEM. */
scv_status scv__engine_check_bounds(const scv_engine *e, const char **why);

#endif
