/* resolve.c — upsert, and resolution of records into profiles under the rules.
 *
 * Every linking identifier has an anchor: one record that carries it and links through it.
 * Linking a record unites its component with the components of its identifiers' anchors,
 * unless the union would break a kind limit or a size guard: then the record's
 * lowest-priority identifier is set aside and the union retried (link_record).
 *
 * When links must be undone — a replacement dropped identifiers, a value became generic or
 * blocked — the affected components are rebuilt from their records, oldest first
 * (rebuild); the part holding a component's oldest record keeps its profile id.
 *
 * scv_engine_upsert() first reserves every byte it may need (tables, pools, profile ids,
 * scratch) and only then mutates, so an allocation failure leaves the engine untouched. */
#include "resolve.h"

#include "feed.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Components: counts and unions                                                              */

static uint32_t *kcounts(scv_engine *e, uint32_t root)
{
    return e->kcount.data + (size_t)root * e->rules.n_limited;
}

/* Join roots a and b; the profile id becomes the older of theirs (0 = none yet). */
static uint32_t unite(scv_engine *e, uint32_t ra, uint32_t rb)
{
    uint32_t pa = scv__profiles_of(&e->prof, ra), pb = scv__profiles_of(&e->prof, rb);
    uint32_t root = scv__graph_unite(&e->graph, ra, rb), other = root == ra ? rb : ra;
    e->graph.node[root].idents += e->graph.node[other].idents;
    for (uint32_t s = 0; s < e->rules.n_limited; s++) kcounts(e, root)[s] += kcounts(e, other)[s];
    if (pa != 0 && pb != 0) {
        uint32_t survivor = pa < pb ? pa : pb, gone = pa < pb ? pb : pa;
        scv__profiles_merge(&e->prof, gone, survivor);
        scv__profiles_attach(&e->prof, survivor, root);
        e->merges++;
        scv__feed_emit(&e->feed, SCV_CHANGE_MERGED, survivor, gone, e->trigger);
    } else if (pa != 0 || pb != 0) {
        scv__profiles_attach(&e->prof, pa != 0 ? pa : pb, root);
    } else {
        e->prof.of_root.data[root] = 0;
    }
    return root;
}

/* What linking x through some candidates would do: the root of x's component, the other
 * components' roots in the order the candidates reach them, and how many candidates have
 * no anchor yet (they will be anchored at x). */
typedef struct link_plan {
    uint32_t rx;
    uint32_t roots[SCV_MAX_IDENTIFIERS];
    size_t n_roots;
    size_t fresh;
} link_plan;

/* Would the union planned in p, anchoring its fresh candidates among cand[0..n), break a
 * kind limit? Only asked when some kind is limited. */
static int breaks_limit(scv_engine *e, const uint32_t *cand, size_t n, const link_plan *p)
{
    const scv__rules *r = &e->rules;
    uint64_t kinds[SCV_MAX_KINDS]; /* by limited-kind slot */
    for (uint32_t s = 0; s < r->n_limited; s++) kinds[s] = kcounts(e, p->rx)[s];
    for (size_t i = 0; i < n; i++) {
        const scv__ident *row = &e->ids.row.data[cand[i]];
        if (row->anchor == SCV__NONE && r->slot[row->kind] != SCV__NO_SLOT) kinds[r->slot[row->kind]]++;
    }
    for (size_t k = 0; k < p->n_roots; k++)
        for (uint32_t s = 0; s < r->n_limited; s++) kinds[s] += kcounts(e, p->roots[k])[s];
    for (uint32_t s = 0; s < r->n_limited; s++)
        if (kinds[s] > r->slot_limit[s]) return 1;
    return 0;
}

/* Plan linking x through cand[0..n) and check the rules. Returns 0 if the union keeps them,
 * else the set-aside reason (SCV_LINK_ASIDE_LIMIT or SCV_LINK_ASIDE_SIZE). Inline: its one
 * caller runs it once per link, nearly always without a retry. The kind counts are left to
 * breaks_limit(), so that engines without limits (the default) skip their loops. */
static inline int plan_link(scv_engine *e, uint32_t x, const uint32_t *cand, size_t n, link_plan *p)
{
    const scv__rules *r = &e->rules;
    uint64_t records, idents;
    p->rx = scv__graph_find(&e->graph, x);
    p->n_roots = p->fresh = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = e->ids.row.data[cand[i]].anchor;
        if (a == SCV__NONE) {
            p->fresh++;
            continue;
        }
        uint32_t ra = scv__graph_find(&e->graph, a);
        size_t k = 0;
        while (k < p->n_roots && p->roots[k] != ra) k++;
        if (ra != p->rx && k == p->n_roots) p->roots[p->n_roots++] = ra;
    }
    if (p->n_roots == 0 && p->fresh == 0) return 0; /* nothing changes */
    records = e->graph.node[p->rx].size;
    idents = p->fresh + e->graph.node[p->rx].idents;
    for (size_t k = 0; k < p->n_roots; k++) {
        records += e->graph.node[p->roots[k]].size;
        idents += e->graph.node[p->roots[k]].idents;
    }
    if (r->n_limited != 0 && breaks_limit(e, cand, n, p)) return SCV_LINK_ASIDE_LIMIT;
    if ((r->max_records != 0 && records > r->max_records) ||
        (r->max_identifiers != 0 && idents > r->max_identifiers))
        return SCV_LINK_ASIDE_SIZE;
    return 0;
}

/* Mark identifier id on record x as set aside for `why`. */
static void set_aside(scv_engine *e, uint32_t x, uint32_t id, int why)
{
    scv__rec *rec = &e->recs.rec.data[x];
    uint32_t *slots = e->recs.ids.data + rec->ids_off;
    for (size_t i = 0; i < rec->ids_n; i++)
        if (SCV__SLOT_ID(slots[i]) == id) slots[i] = SCV__SLOT_MAKE(id, why);
}

/* Link x through cand[0..n), given highest priority first, setting aside from the end until
 * the union keeps every rule: the components the candidates reach join x's, in candidate
 * order, and candidates without an anchor are anchored at x. Inline: a new record links
 * through it on every upsert. */
static inline void link_through(scv_engine *e, uint32_t x, const uint32_t *cand, size_t n)
{
    link_plan p;
    int why;
    while (n > 0 && (why = plan_link(e, x, cand, n, &p)) != 0) set_aside(e, x, cand[--n], why);
    if (n == 0) return;
    uint32_t rx = p.rx;
    for (size_t k = 0; k < p.n_roots; k++) rx = unite(e, rx, p.roots[k]);
    if (p.fresh == 0) return;
    /* The candidates without an anchor are exactly the p.fresh the plan counted. */
    e->graph.node[rx].idents += (uint32_t)p.fresh;
    for (size_t i = 0; i < n; i++) {
        scv__ident *row = &e->ids.row.data[cand[i]];
        if (row->anchor != SCV__NONE) continue;
        uint8_t slot = e->rules.slot[row->kind];
        row->anchor = x;
        if (slot != SCV__NO_SLOT) kcounts(e, rx)[slot]++;
    }
}

/* Add identifier id of rank `rank` to the n candidates cand[] (ranks[] theirs), by priority:
 * equal ranks keep the order they are added in. */
static void add_candidate(uint32_t *cand, uint8_t *ranks, size_t n, uint32_t id, uint8_t rank)
{
    size_t k = n;
    while (k > 0 && ranks[k - 1] > rank) {
        cand[k] = cand[k - 1];
        ranks[k] = ranks[k - 1];
        k--;
    }
    cand[k] = id;
    ranks[k] = rank;
}

/* Link record x through every identifier it carries that may link. */
static void link_record(scv_engine *e, uint32_t x)
{
    uint32_t cand[SCV_MAX_IDENTIFIERS];
    uint8_t ranks[SCV_MAX_IDENTIFIERS];
    size_t n = 0, n_slots;
    const uint32_t *slots = scv__records_ids(&e->recs, x, &n_slots);
    for (size_t i = 0; i < n_slots; i++) {
        uint32_t id = SCV__SLOT_ID(slots[i]);
        if (scv__slot_state(e, slots[i]) != SCV_LINK) continue;
        add_candidate(cand, ranks, n++, id, e->rules.rank[e->ids.row.data[id].kind]);
    }
    link_through(e, x, cand, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Rebuilding components                                                                      */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_pair(const void *a, const void *b)
{
    return cmp_u32(a, b); /* pairs sort by their first element */
}

/* Give the component rooted at r the profile id `pid`, merging with the id it has. */
static void give_id(scv_engine *e, uint32_t r, uint32_t pid)
{
    uint32_t cur = scv__profiles_of(&e->prof, r);
    if (cur == 0) {
        scv__profiles_attach(&e->prof, pid, r);
    } else if (pid < cur) {
        scv__profiles_merge(&e->prof, cur, pid);
        scv__profiles_attach(&e->prof, pid, r);
        e->merges++;
        scv__feed_emit(&e->feed, SCV_CHANGE_MERGED, pid, cur, e->trigger);
    } else if (pid != cur) {
        scv__profiles_merge(&e->prof, pid, cur);
        e->merges++;
        scv__feed_emit(&e->feed, SCV_CHANGE_MERGED, cur, pid, e->trigger);
    }
}

void scv__rebuild(scv_engine *e, uint32_t *roots, size_t n_roots, uint32_t x, const uint32_t *old,
                  size_t n_old)
{
    scv__graph *g = &e->graph;
    scv__ident *row = e->ids.row.data;
    uint32_t *members = e->scratch.data, *pairs = e->scratch2.data;
    size_t n = 0, n_pairs = 0;

    /* Members of the distinct components as (record, the profile id it had), and each
     * component's id with its oldest live record. A component's of_root is cleared once
     * listed: that both de-duplicates roots and marks the anchors to forget below. */
    for (size_t i = 0; i < n_roots; i++) {
        uint32_t r = scv__graph_find(g, roots[i]);
        uint32_t pid = scv__profiles_of(&e->prof, r);
        if (pid == 0 && r != x) continue; /* listed already */
        uint32_t m = r, oldest = SCV__NONE;
        do {
            members[2 * n] = m;
            members[2 * n + 1] = pid;
            n++;
            if (!e->recs.rec.data[m].dead && m < oldest) oldest = m;
            m = g->node[m].next;
        } while (m != r);
        if (pid == 0) continue;
        e->prof.of_root.data[r] = 0;
        if (oldest == SCV__NONE) { /* no record left: the profile is gone */
            scv__profiles_kill(&e->prof, pid);
            scv__feed_emit(&e->feed, SCV_CHANGE_DELETED, pid, 0, e->trigger);
            continue;
        }
        pairs[2 * n_pairs] = pid;
        pairs[2 * n_pairs + 1] = oldest;
        n_pairs++;
    }
    qsort(members, n, 2 * sizeof *members, cmp_pair);
    qsort(pairs, n_pairs, 2 * sizeof *pairs, cmp_pair);

    /* Forget the links made inside these components. */
    for (size_t i = 0; i < n; i++) {
        uint32_t m = members[2 * i];
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, m, &k);
        if (m == x && old != NULL) {
            slots = old;
            k = n_old;
        }
        for (size_t j = 0; j < k; j++) {
            uint32_t id = SCV__SLOT_ID(slots[j]), a = row[id].anchor;
            if (a != SCV__NONE && scv__profiles_of(&e->prof, scv__graph_find(g, a)) == 0)
                row[id].anchor = SCV__NONE;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t m = members[2 * i];
        size_t k;
        uint32_t *slots = e->recs.ids.data + e->recs.rec.data[m].ids_off;
        k = e->recs.rec.data[m].ids_n;
        for (size_t j = 0; j < k; j++) slots[j] = SCV__SLOT_ID(slots[j]);
        scv__graph_isolate(g, m);
        e->prof.of_root.data[m] = 0;
        for (uint32_t s = 0; s < e->rules.n_limited; s++) kcounts(e, m)[s] = 0;
    }

    /* Link again, oldest record first. */
    for (size_t i = 0; i < n; i++)
        if (!e->recs.rec.data[members[2 * i]].dead) link_record(e, members[2 * i]);

    /* Old ids go to the parts holding their oldest records; other parts get new ids. */
    for (size_t i = 0; i < n_pairs; i++) {
        uint32_t r = scv__graph_find(g, pairs[2 * i + 1]);
        give_id(e, r, pairs[2 * i]);
        scv__feed_emit(&e->feed, SCV_CHANGE_UPDATED, scv__profiles_of(&e->prof, r), 0, e->trigger);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t m = members[2 * i], had = members[2 * i + 1];
        if (e->recs.rec.data[m].dead) continue;
        uint32_t r = scv__graph_find(g, m);
        if (scv__profiles_of(&e->prof, r) != 0) continue;
        uint32_t pid = scv__profiles_issue(&e->prof, r);
        if (had != 0) {
            e->splits++;
            scv__feed_emit(&e->feed, SCV_CHANGE_SPLIT, had, pid, e->trigger);
        } else {
            scv__feed_emit(&e->feed, SCV_CHANGE_CREATED, pid, 0, e->trigger);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Postings and the generic rule                                                              */

static void postings_remove(scv_engine *e, uint32_t x)
{
    const scv__rec *rec = &e->recs.rec.data[x];
    for (uint32_t i = 0; i < rec->ids_n; i++) {
        uint32_t s = rec->ids_off + i, id = SCV__SLOT_ID(e->recs.ids.data[s]);
        uint32_t *link = &e->ids.row.data[id].head;
        while (*link != x) link = &e->recs.slot_next.data[scv__records_slot_of(&e->recs, *link, id)];
        *link = e->recs.slot_next.data[s];
        if (--e->ids.row.data[id].refs == 0) e->ids.live--;
    }
}

/* A fresh stamp for the rows' mark (16 bits: every 65535 stamps all marks are cleared, a
 * cost spread over that many exact recounts). */
static uint16_t next_epoch(scv_engine *e)
{
    if (++e->epoch > UINT16_MAX) {
        for (size_t v = 0; v < e->ids.row.len; v++) e->ids.row.data[v].mark = 0;
        e->epoch = 1;
    }
    return (uint16_t)e->epoch;
}

/* Does w count as a partner of a value of rank `rank` (generic rule)? */
static int is_partner(const scv_engine *e, uint32_t w, uint8_t rank)
{
    return e->ids.row.data[w].state != SCV_LINK_BLOCKED &&
           e->rules.rank[e->ids.row.data[w].kind] <= rank;
}

/* Does record c (SCV__NONE: none) carry identifier v? */
static int carries(const scv_engine *e, uint32_t c, uint32_t v)
{
    size_t k;
    if (c == SCV__NONE) return 0;
    const uint32_t *slots = scv__records_ids(&e->recs, c, &k);
    for (size_t i = 0; i < k; i++)
        if (SCV__SLOT_ID(slots[i]) == v) return 1;
    return 0;
}

/* Has w been seen with v on a record other than x? Scans the carriers of the rarer value. */
static int seen_together(const scv_engine *e, uint32_t x, uint32_t v, uint32_t w)
{
    uint32_t scan = e->ids.row.data[v].refs <= e->ids.row.data[w].refs ? v : w, other = scan == v ? w : v;
    for (uint32_t c = e->ids.row.data[scan].head; c != SCV__NONE;) {
        size_t k, at = 0;
        const uint32_t *slots = scv__records_ids(&e->recs, c, &k);
        int found = 0;
        for (size_t i = 0; i < k; i++) {
            uint32_t id = SCV__SLOT_ID(slots[i]);
            if (id == scan) at = i;
            found |= id == other;
        }
        if (found && c != x) return 1;
        c = e->recs.slot_next.data[e->recs.rec.data[c].ids_off + at];
    }
    return 0;
}

/* Partners of v on record x (v excluded). */
static uint32_t partners_on(const scv_engine *e, uint32_t x, uint32_t v)
{
    uint8_t rank = e->rules.rank[e->ids.row.data[v].kind];
    uint32_t n = 0;
    size_t k;
    const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
    for (size_t i = 0; i < k; i++) {
        uint32_t w = SCV__SLOT_ID(slots[i]);
        if (w != v && is_partner(e, w, rank)) n++;
    }
    return n;
}

/* The generic rule keeps, per value v, upper bounds of its distinct partner counts per kind
 * (a partner: a value of a kind at least as strong as v's, not blocked, on a record carrying
 * v). With a lead kind L: `bound` bounds L's count and `second` every other kind's; so the
 * largest count is at most max(bound, second) and the second largest at most `second`. A
 * store phone whose partners are all customer numbers then never raises `second`, and needs
 * no recount until its lead count nears the threshold. Without a lead (new, loaded or
 * unsuppressed values), `bound` bounds the largest count and `second` the second largest.
 * `solo` bounds the carriers with no partner. An exact count sets all three and the lead. */
typedef struct partner_counts {
    uint64_t best, second, solo; /* largest and second largest per-kind counts; solo records */
    uint8_t lead;                /* the kind of `best` (exact counts), or SCV__NO_LEAD */
} partner_counts;

/* Record x's identifiers as the generic rule reads them, looked up once per upsert (by
 * store_ids): slot i holds id[i], of kind kind[i]; prank[i] is its kind's rank, or
 * NOT_PARTNER when it is blocked (a blocked value is nobody's partner, and blocking cannot
 * happen mid-upsert). */
#define NOT_PARTNER 255
typedef struct slot_view {
    size_t n;
    uint32_t id[SCV_MAX_IDENTIFIERS];
    uint32_t before[SCV_MAX_IDENTIFIERS]; /* the carrier of id[i] before x, or SCV__NONE */
    uint8_t kind[SCV_MAX_IDENTIFIERS];
    uint8_t prank[SCV_MAX_IDENTIFIERS];
} slot_view;

/* What record x, newly carrying v = sv->id[at], adds to v's partners: *any says whether x
 * carries a partner of v at all; in_lead and in_other are the new partners x brings in the
 * lead kind and, at most, in any other one kind (without a lead: both the most in any one
 * kind). New means no other record carried them with v: values seen together before (one
 * person's phone, e-mail and customer number, again and again) add nothing. */
static void new_partners(const scv_engine *e, uint32_t x, const slot_view *sv, size_t at, int *any,
                         uint32_t *in_lead, uint32_t *in_other)
{
    uint32_t v = sv->id[at];
    uint8_t rank = e->rules.rank[sv->kind[at]], lead = e->ids.row.data[v].lead;
    uint8_t kinds[SCV_MAX_IDENTIFIERS];
    size_t n = 0, k_prev = 0;
    const uint32_t *prev = NULL;
    /* The carrier of v before x (x went to the front of v's list): a person's records repeat
     * their values, so most partners are found there without a search. A value no other
     * record carries has no partner seen before at all. */
    uint32_t before = sv->before[at];
    if (before != SCV__NONE) prev = scv__records_ids(&e->recs, before, &k_prev);
    *any = 0;
    *in_lead = *in_other = 0;
    for (size_t i = 0; i < sv->n; i++) {
        if (i == at || sv->prank[i] > rank) continue;
        uint32_t w = sv->id[i];
        *any = 1;
        if (before != SCV__NONE) {
            size_t on_prev = 0;
            while (on_prev < k_prev && SCV__SLOT_ID(prev[on_prev]) != w) on_prev++;
            /* Not on v's carrier before x: maybe on w's (also fetched ahead by a batch),
             * else the search through the rarer value's carriers, one miss after another. */
            if (on_prev < k_prev || carries(e, sv->before[i], v) || seen_together(e, x, v, w)) continue;
        }
        uint8_t kind = sv->kind[i];
        uint32_t same = 1;
        for (size_t j = n; j-- > 0;)
            if (kinds[j] == kind) same++;
        kinds[n++] = kind;
        if (lead == SCV__NO_LEAD) {
            if (same > *in_lead) *in_lead = *in_other = same;
        } else if (kind == lead) {
            *in_lead = same;
        } else if (same > *in_other) {
            *in_other = same;
        }
    }
}

static partner_counts partner_count(scv_engine *e, uint32_t v)
{
    uint32_t per_kind[SCV_MAX_KINDS] = {0};
    uint16_t stamp = next_epoch(e);
    uint8_t rank = e->rules.rank[e->ids.row.data[v].kind];
    partner_counts c = {0, 0, 0, SCV__NO_LEAD};
    e->ids.row.data[v].mark = stamp;
    for (uint32_t x = e->ids.row.data[v].head; x != SCV__NONE; x = scv__records_next_carrier(&e->recs, x, v)) {
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
        if (partners_on(e, x, v) == 0) c.solo++;
        for (size_t i = 0; i < k; i++) {
            uint32_t w = SCV__SLOT_ID(slots[i]);
            if (e->ids.row.data[w].mark == stamp) continue;
            e->ids.row.data[w].mark = stamp;
            if (is_partner(e, w, rank)) per_kind[e->ids.row.data[w].kind]++;
        }
    }
    for (uint32_t k = 0; k < SCV_MAX_KINDS; k++) {
        if (per_kind[k] > c.best) {
            c.second = c.best;
            c.best = per_kind[k];
            c.lead = (uint8_t)k;
        } else if (per_kind[k] > c.second) {
            c.second = per_kind[k];
        }
    }
    return c;
}

static uint32_t threshold(const scv_engine *e, uint32_t v)
{
    return e->rules.generic[e->ids.row.data[v].kind];
}

/* The rule itself, with G the kind's threshold (0: off). A value is generic when
 * - more than G distinct partner values of one kind share it (a store phone typed for 200
 *   loyalty customers), or
 * - at least two partner values of one kind share it and it stands alone on more than G
 *   records (a store phone typed for walk-in customers too), or
 * - two kinds each show two or more partner values (a household's landline or tablet: two
 *   customer numbers and two e-mails) — one person's duplicate customer number, or changed
 *   e-mail, moves only one kind. */
static int over_threshold(uint32_t g, partner_counts c)
{
    return g != 0 && (c.best > g || (c.best >= 2 && c.solo > g) || c.second >= 2);
}

/* A stored bound as a number: SCV__BOUND_UNKNOWN reads as more than any threshold. */
static uint64_t widen(uint16_t b)
{
    return b == SCV__BOUND_UNKNOWN ? (uint64_t)1 << 40 : b;
}

static uint16_t narrow(uint64_t v)
{
    return v >= SCV__BOUND_UNKNOWN ? SCV__BOUND_UNKNOWN : (uint16_t)v;
}

/* v's bounds as the rule reads them, after a carrier bringing in_lead and in_other new
 * partners (see new_partners) and, when `solo`, no partner at all. The stored form keeps the
 * lead's own bound in `best`; store_bounds() takes it back from `lead_bound`. */
typedef struct raised {
    partner_counts c;    /* best = max(lead bound, others' bound), second = others' bound */
    uint64_t lead_bound; /* what to store as `bound` */
} raised;

static raised bounds_plus(const scv_engine *e, uint32_t v, uint32_t in_lead, uint32_t in_other, int solo)
{
    const scv__ident *row = &e->ids.row.data[v];
    raised r;
    r.lead_bound = widen(row->bound) + in_lead;
    r.c.second = widen(row->second) + in_other;
    r.c.best = r.lead_bound > r.c.second ? r.lead_bound : r.c.second;
    r.c.solo = widen(row->solo) + (solo != 0);
    r.c.lead = row->lead;
    return r;
}

/* Store bounds: exact counts (lead known from the count) or raised ones. */
static void store_bounds(scv_engine *e, uint32_t v, uint64_t bound, uint64_t second, uint64_t solo,
                         uint8_t lead)
{
    scv__ident *row = &e->ids.row.data[v];
    row->bound = narrow(bound);
    row->second = narrow(second);
    row->solo = narrow(solo);
    row->lead = lead;
}

static void store_exact(scv_engine *e, uint32_t v, partner_counts c)
{
    store_bounds(e, v, c.best, c.second, c.solo, c.lead);
}

/* v's exact counts when record x, seen in sv with v at sv->id[at], is its only carrier: as
 * partner_count() would find them (the lead is the lowest kind of the largest count, as its
 * scan in kind order makes it), from x's identifiers alone. */
static partner_counts first_carrier_counts(const slot_view *sv, size_t at, uint8_t rank)
{
    uint8_t kinds[SCV_MAX_IDENTIFIERS];
    uint32_t counts[SCV_MAX_IDENTIFIERS];
    size_t n = 0;
    partner_counts c = {0, 0, 0, SCV__NO_LEAD};
    for (size_t i = 0; i < sv->n; i++) {
        if (i == at || sv->prank[i] > rank) continue;
        size_t k = 0;
        while (k < n && kinds[k] != sv->kind[i]) k++;
        if (k == n) {
            kinds[n] = sv->kind[i];
            counts[n++] = 0;
        }
        counts[k]++;
    }
    if (n == 0) {
        c.solo = 1;
        return c;
    }
    for (size_t k = 0; k < n; k++)
        if (counts[k] > c.best || (counts[k] == c.best && kinds[k] < c.lead)) {
            c.best = counts[k];
            c.lead = kinds[k];
        }
    for (size_t k = 0; k < n; k++)
        if (kinds[k] != c.lead && counts[k] > c.second) c.second = counts[k];
    return c;
}

int scv__may_turn_generic(const scv_engine *e, uint32_t v, uint32_t added_partners)
{
    /* A bound of what check_generic_gain() can see: every partner new, and a solo record. */
    return e->ids.row.data[v].state == SCV_LINK &&
           over_threshold(threshold(e, v), bounds_plus(e, v, added_partners, added_partners, 1).c);
}

/* x now carries v = sv->id[at]: raise v's bounds and decide. Returns 1 when v became
 * generic. */
static int check_generic_gain(scv_engine *e, uint32_t x, const slot_view *sv, size_t at)
{
    uint32_t v = sv->id[at];
    uint32_t g = threshold(e, v);
    if (g == 0 || e->ids.row.data[v].state != SCV_LINK) return 0;
    partner_counts c;
    if (sv->before[at] == SCV__NONE) {
        /* x alone carries v: the counts are x's, exact, and give the later bounds a lead
         * (raising lead-less bounds soon calls for a recount through every carrier). */
        c = first_carrier_counts(sv, at, e->rules.rank[sv->kind[at]]);
    } else {
        int any;
        uint32_t in_lead, in_other;
        new_partners(e, x, sv, at, &any, &in_lead, &in_other);
        raised r = bounds_plus(e, v, in_lead, in_other, !any);
        store_bounds(e, v, r.lead_bound, r.c.second, r.c.solo, r.c.lead);
        if (!over_threshold(g, r.c)) return 0;
        c = partner_count(e, v);
    }
    store_exact(e, v, c);
    if (!over_threshold(g, c)) return 0;
    e->ids.row.data[v].state = SCV_LINK_GENERIC;
    e->generic_decisions++;
    return 1;
}

/* A carrier of v left: a generic v may link again. Returns 1 when it does. */
static int check_generic_loss(scv_engine *e, uint32_t v)
{
    if (e->ids.row.data[v].state != SCV_LINK_GENERIC) return 0;
    partner_counts c = partner_count(e, v);
    store_exact(e, v, c);
    if (over_threshold(threshold(e, v), c)) return 0;
    e->ids.row.data[v].state = SCV_LINK;
    return 1;
}

/* v links again: link each of its carriers through it. */
static void relink_value(scv_engine *e, uint32_t v)
{
    for (uint32_t c = e->ids.row.data[v].head; c != SCV__NONE; c = scv__records_next_carrier(&e->recs, c, v)) {
        if (SCV__SLOT_ASIDE(e->recs.ids.data[scv__records_slot_of(&e->recs, c, v)]) != 0) continue;
        link_through(e, c, &v, 1);
    }
}

void scv__recheck_generic_partners(scv_engine *e, uint32_t w)
{
    /* Values seen with w: a generic one's count may have fallen now that w no longer counts;
     * a linking one's solo count may have risen (a carrier whose only partner was w has none
     * now), past its stored bound: its bounds become unknown, so that its next carrier
     * recounts. */
    for (uint32_t c = e->ids.row.data[w].head; c != SCV__NONE; c = scv__records_next_carrier(&e->recs, c, w)) {
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, c, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t v = SCV__SLOT_ID(slots[i]);
            if (v == w) continue;
            if (e->ids.row.data[v].state == SCV_LINK) {
                e->ids.row.data[v].bound = e->ids.row.data[v].second = SCV__BOUND_UNKNOWN;
                e->ids.row.data[v].lead = SCV__NO_LEAD;
            } else if (check_generic_loss(e, v)) {
                relink_value(e, v);
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Upsert                                                                                     */

/* Store the builder's timestamp and fields on record x (room reserved). */
static void store_fields(scv_engine *e, uint32_t x, const scv_record *rec)
{
    scv__records *rs = &e->recs;
    rs->rec.data[x].ts = rec->ts;
    scv__field *f = scv__records_fields_slot(rs, x, rec->fields.len);
    for (size_t i = 0; i < rec->fields.len; i++) {
        const scv__rec_field *src = &rec->fields.data[i];
        const char *name = rec->buf.data + src->name_off;
        if (src->kind == SCV__FIELD_MEASURE) {
            f[i].name = scv__names_intern(&e->measure_names, name, src->name_len);
            f[i].len = SCV__MEASURE;
            f[i].v.num = src->num;
        } else if (src->kind == SCV__FIELD_CONSENT) {
            f[i].name = scv__names_intern(&e->channel_names, name, src->name_len);
            f[i].len = src->granted ? SCV__GRANTED : SCV__DENIED;
            f[i].v.off = (uint64_t)(src->ts == SCV_NO_TIMESTAMP ? rec->ts : src->ts);
        } else {
            f[i].name = scv__names_intern(&e->trait_names, name, src->name_len);
            f[i].len = src->val_len;
            f[i].v.off = scv__records_put_bytes(rs, rec->buf.data + src->val_off, src->val_len);
        }
    }
}

/* Store identifier slots on record x (room reserved) and put x at the front of each value's
 * postings list; slot i is the builder's identifier from[i], whose raw value is kept when
 * raw values are. Fills sv, the view of x's identifiers the generic rule reads, from the
 * rows this touches anyway: one pass over them instead of three. */
static void store_ids(scv_engine *e, uint32_t x, const scv_record *rec, const uint32_t *slots_in,
                      const uint8_t *from, size_t n, slot_view *sv)
{
    scv__records *rs = &e->recs;
    uint32_t *slots = scv__records_ids_slot(rs, x, n);
    uint32_t *next = rs->slot_next.data + rs->rec.data[x].ids_off;
    sv->n = n;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = SCV__SLOT_ID(slots_in[i]);
        scv__ident *row = &e->ids.row.data[id];
        slots[i] = slots_in[i];
        next[i] = row->head;
        sv->before[i] = row->head;
        row->head = x;
        if (row->refs++ == 0) e->ids.live++;
        sv->id[i] = id;
        sv->kind[i] = row->kind;
        sv->prank[i] = row->state == SCV_LINK_BLOCKED ? NOT_PARTNER : e->rules.rank[row->kind];
    }
    if (rs->keep_raw) {
        scv__span *raw = rs->raw.data + rs->rec.data[x].ids_off;
        for (size_t i = 0; i < n; i++) {
            const scv__rec_ident *id = &rec->idents[from[i]];
            raw[i].off = scv__records_put_bytes(rs, rec->buf.data + id->raw_off, id->raw_len);
            raw[i].len = id->raw_len;
        }
    }
}

static int has_id(const uint32_t *slots, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (SCV__SLOT_ID(slots[i]) == id) return 1;
    return 0;
}

/* Partners of a builder identifier on the builder's record (an upper bound: values not yet
 * known to be blocked count). */
static uint32_t builder_partners(const scv_engine *e, const scv_record *rec, size_t i)
{
    uint8_t rank = e->rules.rank[rec->idents[i].kind];
    uint32_t n = 0;
    for (size_t j = 0; j < rec->n_idents; j++)
        if (j != i && !rec->idents[j].placeholder && e->rules.rank[rec->idents[j].kind] <= rank) n++;
    return n;
}

/* What upserting records stores: the sizes reserve_content() makes room for. */
typedef struct content_size {
    size_t records, idents, fields, norm_bytes, rec_bytes;
} content_size;

/* Add what upserting rec stores to c; a record already held (is_new 0) adds no record. */
static void add_content(const scv_engine *e, const scv_record *rec, int is_new, content_size *c)
{
    if (is_new) {
        c->records++;
        c->rec_bytes += rec->id_len;
    }
    c->idents += rec->n_idents;
    c->fields += rec->fields.len;
    for (size_t i = 0; i < rec->fields.len; i++) c->rec_bytes += rec->fields.data[i].val_len;
    for (size_t i = 0; i < rec->n_idents; i++) {
        c->norm_bytes += rec->idents[i].norm_len;
        if (e->recs.keep_raw) c->rec_bytes += rec->idents[i].raw_len;
    }
}

/* Room, from m, for storing records of size c: identifier table, record pools, graph nodes,
 * profile slots and kind counts (not the field names, nor the scratch and profile ids a
 * rebuild needs). */
static scv_status reserve_content(scv_engine *e, const scv__mem *m, const content_size *c)
{
    scv_status st;
    if ((st = scv__idtable_reserve(m, &e->ids, c->idents, c->norm_bytes)) != SCV_OK) return st;
    if ((st = scv__records_reserve(m, &e->recs, c->records, c->idents, c->fields, c->rec_bytes)) != SCV_OK)
        return st;
    if ((st = scv__graph_reserve(m, &e->graph, c->records)) != SCV_OK) return st;
    if ((st = scv__profiles_reserve(m, &e->prof, 0, c->records)) != SCV_OK) return st;
    return SCV__VEC_RESERVE(m, e->kcount, c->records * e->rules.n_limited);
}

int scv__room_for_upserts(scv_engine *e, const scv_record *const *recs, size_t n)
{
    content_size c = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const scv_record *rec = recs[i];
        if (rec == NULL || rec->engine != e) continue;
        /* The builder's buffer holds every value and name it stores: a bound on its bytes
         * that costs no loop over its identifiers and fields. */
        c.records++;
        c.idents += rec->n_idents;
        c.fields += rec->fields.len;
        c.norm_bytes += rec->buf.len;
        c.rec_bytes += rec->id_len + rec->buf.len;
    }
    return reserve_content(e, &scv__mem_none, &c) == SCV_OK;
}

/* Room for the names of rec's fields, each in the table of its kind (names met before take
 * none, but finding that out would cost a lookup per field). */
static scv_status reserve_names(scv_engine *e, const scv_record *rec)
{
    size_t count[3] = {0, 0, 0}, bytes[3] = {0, 0, 0};
    scv__names *table[3] = {&e->trait_names, &e->measure_names, &e->channel_names};
    scv_status st;
    for (size_t i = 0; i < rec->fields.len; i++) {
        int k = rec->fields.data[i].kind; /* SCV__FIELD_TRAIT, _MEASURE or _CONSENT: 0, 1, 2 */
        count[k]++;
        bytes[k] += rec->fields.data[i].name_len;
    }
    for (int k = 0; k < 3; k++)
        if (count[k] > 0 && (st = scv__names_reserve(&e->mem, table[k], count[k], bytes[k])) != SCV_OK)
            return st;
    return SCV_OK;
}

/* Room for a rebuild of up to `members` records (scv__reserve_rebuild). Inline: every
 * upsert asks, and nearly always finds the room there. */
static inline scv_status reserve_rebuild(scv_engine *e, size_t members)
{
    scv_status st;
    if ((st = scv__profiles_reserve(&e->mem, &e->prof, members, 0)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(&e->mem, e->scratch, 2 * members)) != SCV_OK) return st;
    return SCV__VEC_RESERVE(&e->mem, e->scratch2, 2 * members);
}

/* Reserve everything an upsert of rec may need (the content only when a batch has not);
 * `members` counts the records of the components a value of rec turning generic would
 * rebuild, plus one (the caller finds them while it looks the identifiers up). */
static scv_status reserve_for(scv_engine *e, const scv_record *rec, uint32_t x, size_t members)
{
    scv_status st;
    if (rec->fields.len > 0 && (st = reserve_names(e, rec)) != SCV_OK) return st;
    if (!e->content_reserved) {
        content_size c = {0, 0, 0, 0, 0};
        add_content(e, rec, x == SCV__NONE, &c);
        if ((st = reserve_content(e, &e->mem, &c)) != SCV_OK) return st;
    }
    if (x != SCV__NONE) members += e->graph.node[scv__graph_root(&e->graph, x)].size;
    return reserve_rebuild(e, members);
}

scv_status scv__reserve_rebuild(scv_engine *e, size_t members)
{
    return reserve_rebuild(e, members);
}

scv_status scv__reserve_resolution(scv_engine *e, size_t new_records, size_t members)
{
    scv_status st;
    if ((st = scv__graph_reserve(&e->mem, &e->graph, new_records)) != SCV_OK) return st;
    if ((st = scv__profiles_reserve(&e->mem, &e->prof, 0, new_records)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(&e->mem, e->kcount, new_records * e->rules.n_limited)) != SCV_OK) return st;
    return scv__reserve_rebuild(e, members);
}

scv_status scv_engine_upsert(scv_engine *e, const scv_record *rec, scv_profile_id *profile)
{
    uint32_t slots[SCV_MAX_IDENTIFIERS], old[SCV_MAX_IDENTIFIERS];
    uint32_t lost[SCV_MAX_IDENTIFIERS];
    uint32_t roots[SCV_MAX_IDENTIFIERS + 1];
    size_t n_old = 0, n_lost = 0, n_roots = 0;
    int same = 0; /* a record held before, with the same identifiers */
    scv_status st;
    if (e == NULL || rec == NULL) return SCV_EINVAL;
    if (rec->engine != e)
        return scv__engine_error(e, SCV_ESTATE, "record builder belongs to another engine", -1);
    if (!rec->has_key)
        return scv__engine_error(e, SCV_ESTATE, "record builder has no key: call scv_record_reset()", -1);

    uint32_t x = scv__records_find(&e->recs, rec->key, (uint16_t)rec->source, rec->id, rec->id_len);
    int is_new = x == SCV__NONE;
    uint32_t found[SCV_MAX_IDENTIFIERS]; /* one probe per identifier, here */
    size_t members = 1;
    for (size_t i = 0; i < rec->n_idents; i++) {
        uint32_t v = found[i] = scv__idtable_find(&e->ids, rec->idents[i].hash);
        /* Components a value turning generic would make us rebuild (ids stay valid when the
         * tables grow). */
        if (v != SCV__NONE && e->ids.row.data[v].anchor != SCV__NONE &&
            scv__may_turn_generic(e, v, builder_partners(e, rec, i)))
            members += e->graph.node[scv__graph_root(&e->graph, e->ids.row.data[v].anchor)].size;
    }
    st = reserve_for(e, rec, x, members);
    if (st == SCV_ELIMIT) return scv__engine_error(e, st, "the engine is full (records or identifiers)", -1);
    if (st != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);

    /* Nothing below can fail. Suppressed identifiers are dropped: not stored at all. */
    uint8_t from[SCV_MAX_IDENTIFIERS];
    size_t n_ids = 0;
    e->trigger = x;
    for (size_t i = 0; i < rec->n_idents; i++) {
        const scv__rec_ident *id = &rec->idents[i];
        uint8_t state = id->placeholder && e->rules.default_blocklist ? SCV_LINK_BLOCKED : SCV_LINK;
        uint32_t v = found[i];
        if (v != SCV__NONE && e->ids.row.data[v].state == SCV_LINK_SUPPRESSED) continue;
        if (v == SCV__NONE)
            /* An engine that keeps no values gets none from the builder (no buffer at all). */
            v = scv__idtable_add(&e->ids, id->hash, (uint8_t)id->kind, state,
                                 id->norm_len > 0 ? rec->buf.data + id->norm_off : NULL, id->norm_len);
        from[n_ids] = (uint8_t)i;
        slots[n_ids++] = v;
    }

    if (is_new) {
        x = scv__records_append(&e->recs, rec->key, (uint16_t)rec->source, rec->id, rec->id_len);
        e->trigger = x;
        e->live_records++;
        (void)scv__graph_add(&e->graph);
        scv__profiles_add_record(&e->prof);
        for (uint32_t s = 0; s < e->rules.n_limited; s++) e->kcount.data[e->kcount.len++] = 0;
    } else {
        const uint32_t *cur = scv__records_ids(&e->recs, x, &n_old);
        memcpy(old, cur, n_old * sizeof *old);
        postings_remove(e, x);
        same = n_old == n_ids;
        for (size_t i = 0; same && i < n_ids; i++) same = has_id(old, n_old, slots[i]);
        if (same) {
            /* Same identifiers: links and set-aside decisions stay as they are. */
            for (size_t i = 0; i < n_ids; i++)
                for (size_t j = 0; j < n_old; j++)
                    if (SCV__SLOT_ID(old[j]) == slots[i]) slots[i] = old[j];
        }
    }
    store_fields(e, x, rec);

    slot_view sv;
    store_ids(e, x, rec, slots, from, n_ids, &sv);
    if (same) {
        scv__feed_emit(&e->feed, SCV_CHANGE_UPDATED, scv__profiles_of(&e->prof, scv__graph_find(&e->graph, x)),
                       0, x);
        goto done;
    }

    /* The generic rule, for values this record dropped and values it carries. */
    for (size_t i = 0; i < n_old; i++) {
        uint32_t v = SCV__SLOT_ID(old[i]);
        if (!has_id(slots, n_ids, v) && check_generic_loss(e, v)) lost[n_lost++] = v;
    }
    /* A new record links through its values as link_record() would: the candidates are
     * collected here, where each value's state is final once the rule has looked at it (its
     * slots carry no set-aside mark yet). */
    uint32_t cand[SCV_MAX_IDENTIFIERS];
    uint8_t ranks[SCV_MAX_IDENTIFIERS];
    size_t n_cand = 0;
    for (size_t i = 0; i < sv.n; i++) {
        const scv__ident *row = &e->ids.row.data[sv.id[i]];
        uint32_t a = row->anchor;
        if (check_generic_gain(e, x, &sv, i) && a != SCV__NONE) roots[n_roots++] = a;
        if (is_new && row->state == SCV_LINK) add_candidate(cand, ranks, n_cand++, sv.id[i], sv.prank[i]);
    }

    if (is_new && n_roots == 0) {
        link_through(e, x, cand, n_cand);
        uint32_t r = scv__graph_find(&e->graph, x), pid = scv__profiles_of(&e->prof, r);
        if (pid == 0)
            scv__feed_emit(&e->feed, SCV_CHANGE_CREATED, scv__profiles_issue(&e->prof, r), 0, x);
        else
            scv__feed_emit(&e->feed, SCV_CHANGE_UPDATED, pid, 0, x);
    } else {
        roots[n_roots++] = x;
        scv__rebuild(e, roots, n_roots, x, is_new ? NULL : old, n_old);
    }
    for (size_t i = 0; i < n_lost; i++) relink_value(e, lost[i]);

done:
    e->trigger = SCV__NONE;
    e->generation++;
    if (profile != NULL) *profile = scv__profiles_of(&e->prof, scv__graph_find(&e->graph, x));
    return scv__engine_error(e, SCV_OK, "", -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Delete                                                                                     */

scv_status scv__reserve_delete(scv_engine *e, uint32_t x)
{
    return scv__reserve_resolution(e, 0, e->graph.node[scv__graph_root(&e->graph, x)].size);
}

/* Overwrite the bytes record x keeps: record id, trait values, raw values. */
static void wipe_record(scv_engine *e, uint32_t x)
{
    scv__records *rs = &e->recs;
    scv__rec *r = &rs->rec.data[x];
    memset(rs->bytes.data + r->id_off, 0, r->id_len);
    r->id_len = 0;
    scv__field *f = rs->fields.data + r->fields_off;
    for (size_t i = 0; i < r->fields_n; i++) {
        if (SCV__IS_TRAIT(f[i].len)) memset(rs->bytes.data + f[i].v.off, 0, f[i].len);
        memset(&f[i], 0, sizeof f[i]);
    }
    if (rs->keep_raw) {
        scv__span *raw = rs->raw.data + r->ids_off;
        for (size_t i = 0; i < r->ids_n; i++) memset(rs->bytes.data + raw[i].off, 0, raw[i].len);
    }
    r->ts = 0;
}

void scv__delete_record(scv_engine *e, uint32_t x, int wipe)
{
    uint32_t old[SCV_MAX_IDENTIFIERS], lost[SCV_MAX_IDENTIFIERS];
    size_t n_old, n_lost = 0;
    scv__rec *r = &e->recs.rec.data[x];
    const uint32_t *cur = scv__records_ids(&e->recs, x, &n_old);
    memcpy(old, cur, n_old * sizeof *old);
    e->trigger = x;
    postings_remove(e, x);
    scv__htab_remove(&e->recs.index,
                     scv__engine_record_key(e, r->source, e->recs.bytes.data + r->id_off, r->id_len), x);
    if (wipe) wipe_record(e, x);
    r->ids_n = 0;
    r->fields_n = 0;
    r->dead = 1;
    e->live_records--;
    for (size_t i = 0; i < n_old; i++)
        if (check_generic_loss(e, SCV__SLOT_ID(old[i]))) lost[n_lost++] = SCV__SLOT_ID(old[i]);
    scv__rebuild(e, &x, 1, x, old, n_old);
    for (size_t i = 0; i < n_lost; i++) relink_value(e, lost[i]);
    e->trigger = SCV__NONE;
    e->generation++;
}

void scv__relink_value(scv_engine *e, uint32_t v)
{
    relink_value(e, v);
}

scv_status scv_engine_reserve(scv_engine *e, size_t records, size_t identifiers)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    /* Per record: about two identifier slots, one field and 24 bytes of id and values (a guess:
     * what is wrong only costs growth later; far too much would hold memory for nothing). */
    if ((st = scv__idtable_reserve(&e->mem, &e->ids, identifiers, e->ids.retain ? identifiers * 16 : 0)) != SCV_OK ||
        (st = scv__records_reserve(&e->mem, &e->recs, records, 2 * records, records, 24 * records)) != SCV_OK ||
        (st = scv__reserve_resolution(e, records, 1)) != SCV_OK ||
        (st = scv__profiles_reserve(&e->mem, &e->prof, records, 0)) != SCV_OK)
        return scv__engine_error(e, st, st == SCV_ELIMIT ? "more than the engine can hold" : "out of memory", -1);
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_shrink(scv_engine *e)
{
    if (e == NULL) return SCV_EINVAL;
    const scv__mem *m = &e->mem;
    scv__records *rs = &e->recs;
    scv__idtable *t = &e->ids;
    /* The record pools keep one spare element (never NULL once a record exists). A failure
     * stops here: what was trimmed stays trimmed, which is as valid as before. */
    scv_status st;
    if ((st = SCV__VEC_TRIM(m, rs->rec, 0)) != SCV_OK || (st = SCV__VEC_TRIM(m, rs->ids, 1)) != SCV_OK ||
        (st = SCV__VEC_TRIM(m, rs->slot_next, 1)) != SCV_OK ||
        (rs->keep_raw && (st = SCV__VEC_TRIM(m, rs->raw, 1)) != SCV_OK) ||
        (st = SCV__VEC_TRIM(m, rs->fields, 1)) != SCV_OK || (st = SCV__VEC_TRIM(m, rs->bytes, 1)) != SCV_OK ||
        (st = SCV__VEC_TRIM(m, t->keys, 0)) != SCV_OK || (st = SCV__VEC_TRIM(m, t->row, 0)) != SCV_OK ||
        (t->retain && ((st = SCV__VEC_TRIM(m, t->value, 0)) != SCV_OK ||
                       (st = SCV__VEC_TRIM(m, t->bytes, 1)) != SCV_OK)) ||
        (st = scv__trim(m, (void **)&e->graph.node, &e->graph.cap, e->graph.len, sizeof *e->graph.node)) != SCV_OK ||
        (st = SCV__VEC_TRIM(m, e->prof.root, 0)) != SCV_OK || (st = SCV__VEC_TRIM(m, e->prof.merged, 0)) != SCV_OK ||
        (st = SCV__VEC_TRIM(m, e->prof.of_root, 0)) != SCV_OK || (st = SCV__VEC_TRIM(m, e->kcount, 0)) != SCV_OK)
        return scv__engine_error(e, st, "out of memory", -1);
    /* Scratch space is reserved again by the next call that needs it. */
    (void)SCV__VEC_TRIM(m, e->scratch, 0);
    (void)SCV__VEC_TRIM(m, e->scratch2, 0);
    return scv__engine_error(e, SCV_OK, "", -1);
}
