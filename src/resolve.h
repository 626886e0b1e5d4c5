/* resolve.h — resolution entry points shared with other mutating calls (block; later delete
 * and erase). Internal. */
#ifndef SCV_RESOLVE_H
#define SCV_RESOLVE_H

#include "engine.h"

/* Room for `new_records` records and a rebuild of up to `members` records. */
scv_status scv__reserve_resolution(scv_engine *e, size_t new_records, size_t members);

/* Room for a rebuild of up to `members` records: scratch and new profile ids. */
scv_status scv__reserve_rebuild(scv_engine *e, size_t members);

/* Is there room already (nothing is allocated) for storing recs[0..n), as if all were new?
 * NULL entries and builders of other engines are skipped. While e->content_reserved is set
 * on that answer, upserts of these records skip reserving it: they would not have grown
 * anything, so the allocations, and what a failing allocator fails, stay those of single
 * upserts. */
int scv__room_for_upserts(scv_engine *e, const scv_record *const *recs, size_t n);

/*
 * Rebuild the components holding roots[0..n_roots) (any member record of each; duplicates
 * allowed) from their records. x is a record among them whose identifier slots changed from
 * old[0..n_old) (old NULL: x is new or unchanged). Scratch room for every member was reserved.
 */
void scv__rebuild(scv_engine *e, uint32_t *roots, size_t n_roots, uint32_t x, const uint32_t *old,
                  size_t n_old);

/* Might v turn generic if a record with `added_partners` partners of it arrived? */
int scv__may_turn_generic(const scv_engine *e, uint32_t v, uint32_t added_partners);

/* w stopped counting as a partner (blocked): re-decide the generic values seen with it. */
void scv__recheck_generic_partners(scv_engine *e, uint32_t w);

/* Room for deleting record x. */
scv_status scv__reserve_delete(scv_engine *e, uint32_t x);

/* Delete live record x (room reserved): out of its postings and the key index, its profile
 * rebuilt; with `wipe` its bytes are overwritten too (erasure). */
void scv__delete_record(scv_engine *e, uint32_t x, int wipe);

/* Value v links again (no longer suppressed, blocked or generic): link its carriers. */
void scv__relink_value(scv_engine *e, uint32_t v);

#endif
