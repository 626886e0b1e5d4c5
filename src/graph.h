/* graph.h — union-find over records with component member lists.
 *
 * Nodes are record indexes, one 16-byte row each: the parent link (path halving, union by
 * size), the component size and identifier count (meaningful at roots), and the next member
 * of a circular list threading every component, so a component's records can be listed (and
 * the component re-resolved) without scanning all records. One row per node means one cache
 * miss per node visited. Internal. */
#ifndef SCV_GRAPH_H
#define SCV_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

typedef struct scv__node {
    uint32_t parent;
    uint32_t size;   /* at roots: records in the component */
    uint32_t next;   /* circular member list */
    uint32_t idents; /* at roots: linking identifiers anchored in the component */
} scv__node;

typedef struct scv__graph {
    scv__node *node;
    size_t len, cap;
} scv__graph;

void scv__graph_free(const scv__mem *m, scv__graph *g);
/* Room for `extra` more nodes. */
static inline scv_status scv__graph_reserve(const scv__mem *m, scv__graph *g, size_t extra)
{
    size_t need, cap;
    if (!scv__add_ok(g->len, extra, &need)) return SCV_ENOMEM;
    if (need <= g->cap) return SCV_OK;
    cap = g->cap < 64 ? 64 : g->cap + g->cap / 2;
    if (cap < need) cap = need;
    return scv__reserve(m, (void **)&g->node, &g->cap, cap, sizeof *g->node);
}

/* Make x a singleton again (no identifiers counted) (its old component must be being rebuilt as a whole). */
static inline void scv__graph_isolate(scv__graph *g, uint32_t x)
{
    scv__node n = {x, 1, x, 0};
    g->node[x] = n;
}

/* Append node len as a singleton (room reserved). Returns its index. Inline, as the other
 * calls an upsert makes per record. */
static inline uint32_t scv__graph_add(scv__graph *g)
{
    uint32_t x = (uint32_t)g->len++;
    scv__graph_isolate(g, x);
    return x;
}

/* Root of x, halving the path (mutates parent links). */
static inline uint32_t scv__graph_find(scv__graph *g, uint32_t x)
{
    scv__node *n = g->node;
    while (n[x].parent != x) {
        n[x].parent = n[n[x].parent].parent;
        x = n[x].parent;
    }
    return x;
}

/* Root of x without writing: for readers. */
static inline uint32_t scv__graph_root(const scv__graph *g, uint32_t x)
{
    while (g->node[x].parent != x) x = g->node[x].parent;
    return x;
}

/* Join the components of roots ra != rb; returns the new root (the larger; on a tie ra). */
static inline uint32_t scv__graph_unite(scv__graph *g, uint32_t ra, uint32_t rb)
{
    uint32_t t;
    if (g->node[ra].size < g->node[rb].size) {
        t = ra;
        ra = rb;
        rb = t;
    }
    g->node[rb].parent = ra;
    g->node[ra].size += g->node[rb].size;
    /* Splice the two circular member lists. */
    t = g->node[ra].next;
    g->node[ra].next = g->node[rb].next;
    g->node[rb].next = t;
    return ra;
}

#endif
