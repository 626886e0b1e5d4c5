/* graph.h — union-find over records with component member lists.
 *
 * Nodes are record indexes. parent[] with path halving and union by size; next[] threads
 * every component into a circular list so a component's records can be listed (and the
 * component re-resolved) without scanning all records. Internal. */
#ifndef SCV_GRAPH_H
#define SCV_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

typedef struct scv__graph {
    uint32_t *parent;
    uint32_t *size; /* meaningful at roots */
    uint32_t *next; /* circular member list */
    size_t len, cap;
} scv__graph;

void scv__graph_free(const scv__mem *m, scv__graph *g);
scv_status scv__graph_reserve(const scv__mem *m, scv__graph *g, size_t extra);

/* Append node len as a singleton (room reserved). Returns its index. */
uint32_t scv__graph_add(scv__graph *g);

/* Make x a singleton again (its old component must be being rebuilt as a whole). */
void scv__graph_isolate(scv__graph *g, uint32_t x);

/* Root of x, halving the path (mutates parent[]). */
static inline uint32_t scv__graph_find(scv__graph *g, uint32_t x)
{
    uint32_t *p = g->parent;
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* Root of x without writing: for readers. */
static inline uint32_t scv__graph_root(const scv__graph *g, uint32_t x)
{
    while (g->parent[x] != x) x = g->parent[x];
    return x;
}

/* Join the components of roots ra != rb; returns the new root (the larger; on a tie ra). */
uint32_t scv__graph_unite(scv__graph *g, uint32_t ra, uint32_t rb);

#endif
