/* profiles.h — profile ids: issuing, merging, and following merges.
 *
 * A profile id is issued when a component is created (a new record, or a part split off a
 * component) and is dense from 1. Each live id maps to the root record of its component
 * (root[]) and each root record maps back (of_root[], indexed by record). When two profiles
 * merge, the smaller (older) id survives and the other records its survivor in merged[], so
 * it keeps resolving. Internal. */
#ifndef SCV_PROFILES_H
#define SCV_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "util/mem.h"

typedef struct scv__profiles {
    SCV__VEC(uint32_t) root;    /* by id (index 0 unused): root record, SCV__NONE if not live */
    SCV__VEC(uint32_t) merged;  /* by id: the id it was merged into, 0 if none */
    SCV__VEC(uint32_t) of_root; /* by record: its profile id when it is a root */
    size_t live;
} scv__profiles;

void scv__profiles_free(const scv__mem *m, scv__profiles *p);

/* Room for `ids` new ids and `records` new records. */
static inline scv_status scv__profiles_reserve(const scv__mem *m, scv__profiles *p, size_t ids, size_t records)
{
    scv_status st;
    /* Id 0 is never issued: keep a placeholder so ids index the arrays directly. */
    size_t extra = ids + (p->root.len == 0 ? 1 : 0);
    if (p->root.len + extra > (size_t)UINT32_MAX - 1) return SCV_ELIMIT;
    if ((st = SCV__VEC_RESERVE(m, p->root, extra)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, p->merged, extra)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, p->of_root, records)) != SCV_OK) return st;
    if (p->root.len == 0) {
        p->root.data[p->root.len++] = SCV__NONE;
        p->merged.data[p->merged.len++] = 0;
    }
    return SCV_OK;
}

/* Add a record slot (room reserved); its of_root is 0 until a profile is attached. */
static inline void scv__profiles_add_record(scv__profiles *p)
{
    p->of_root.data[p->of_root.len++] = 0;
}

/* Attach live id to a (new) root record. */
static inline void scv__profiles_attach(scv__profiles *p, uint32_t id, uint32_t root)
{
    p->root.data[id] = root;
    p->of_root.data[root] = id;
}

/* Issue a new id for the component rooted at `root` (room reserved). */
static inline uint32_t scv__profiles_issue(scv__profiles *p, uint32_t root)
{
    uint32_t id = (uint32_t)p->root.len;
    p->root.len++;
    p->merged.data[p->merged.len++] = 0;
    scv__profiles_attach(p, id, root);
    p->live++;
    return id;
}

/* Id of the component whose root is `root`. */
static inline uint32_t scv__profiles_of(const scv__profiles *p, uint32_t root)
{
    return p->of_root.data[root];
}

/* Record that `gone` merged into `survivor`; `gone` stops being live. */
void scv__profiles_merge(scv__profiles *p, uint32_t gone, uint32_t survivor);

/* A live id loses its last record: it stops being live and resolves to nothing. */
void scv__profiles_kill(scv__profiles *p, uint32_t id);

/* The live id that `id` resolves to; 0 when id was never issued or resolves to nothing. */
uint32_t scv__profiles_canonical(const scv__profiles *p, uint32_t id);

static inline int scv__profiles_is_live(const scv__profiles *p, uint32_t id)
{
    return id > 0 && id < p->root.len && p->root.data[id] != SCV__NONE;
}

#endif
