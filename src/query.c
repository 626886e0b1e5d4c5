/* query.c — compiled segment queries, their evaluation over the views, result sets, saved
 * segments and personas.
 *
 * Evaluation is column-at-a-time: every test produces a bit set over profile ids from one
 * pass over a view column, and 'and', 'or', 'not' combine bit sets a word at a time. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query_ast.h"
#include "views.h"

struct scv_query {
    scv_engine *engine;
    scv__qast ast;
};

struct scv_result {
    scv__mem mem;
    uint64_t *bits;
    size_t words;
    size_t count;
};

/* ------------------------------------------------------------------------------------------ */
/* Compiling                                                                                  */

static const char *pool_str(const scv__qast *ast, scv__qstr s)
{
    return ast->pool.data + s.off;
}

scv_status scv_query_compile(scv_engine *e, const char *text, size_t len, scv_query **out,
                             size_t *err_offset)
{
    const char *reason = "";
    size_t off = 0;
    scv_query *q;
    scv_status st;
    if (out != NULL) *out = NULL;
    if (e == NULL || out == NULL || (text == NULL && len > 0)) return SCV_EINVAL;
    int64_t bad;
    if (scv__check_text(text, len, SIZE_MAX, &bad) == SCV_EUTF8) {
        if (err_offset != NULL) *err_offset = (size_t)bad;
        return scv__engine_error(e, SCV_EUTF8, "query is not valid UTF-8 or holds a NUL byte", bad);
    }
    q = scv__alloc(&e->mem, sizeof *q);
    if (q == NULL) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    memset(q, 0, sizeof *q);
    q->engine = e;
    st = scv__query_parse(&e->mem, text, len, &q->ast, &reason, &off);
    /* Kinds and sources must exist now; measures, traits and channels may come later. Kind
     * and source names are lower case by definition, so Has(Email) means has(email). */
    for (size_t i = 0; st == SCV_OK && i < q->ast.nodes.len; i++) {
        const scv__qnode *n = &q->ast.nodes.data[i];
        const scv__names *names = n->type == SCV__Q_HAS ? &e->kinds : n->type == SCV__Q_SEEN ? &e->sources : NULL;
        if (names == NULL) continue;
        char *name = q->ast.pool.data + n->name.off;
        for (uint32_t k = 0; k < n->name.len; k++)
            if (name[k] >= 'A' && name[k] <= 'Z') name[k] = (char)(name[k] - 'A' + 'a');
        if (scv__names_find(names, name, n->name.len) != SCV__NONE) continue;
        st = SCV_ENOTFOUND;
        reason = n->type == SCV__Q_HAS ? "unknown identifier kind" : "unknown source";
        off = n->at;
    }
    if (st != SCV_OK) {
        if (err_offset != NULL) *err_offset = off;
        scv_query_free(q);
        return scv__engine_error(e, st, st == SCV_ENOMEM ? "out of memory" : reason, (int64_t)off);
    }
    *out = q;
    return scv__engine_error(e, SCV_OK, "", -1);
}

void scv_query_free(scv_query *q)
{
    if (q == NULL) return;
    scv__mem mem = q->engine->mem;
    scv__qast_free(&mem, &q->ast);
    scv__free(&mem, q, sizeof *q);
}

/* ------------------------------------------------------------------------------------------ */
/* Bit sets                                                                                   */

static uint64_t *bits_new(const scv__mem *m, size_t words)
{
    return scv__calloc(m, words == 0 ? 1 : words, sizeof(uint64_t));
}

static void bits_free(const scv__mem *m, uint64_t *b, size_t words)
{
    scv__free(m, b, (words == 0 ? 1 : words) * sizeof *b);
}

static void set_bit(uint64_t *b, size_t i)
{
    b[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int get_bit(const uint64_t *b, size_t words, size_t i)
{
    return (i >> 6) < words && (b[i >> 6] >> (i & 63) & 1);
}

static size_t popcount(uint64_t x)
{
    size_t n = 0;
    while (x != 0) {
        x &= x - 1;
        n++;
    }
    return n;
}

static scv_result *result_wrap(const scv__mem *m, uint64_t *bits, size_t words)
{
    scv_result *r = scv__alloc(m, sizeof *r);
    if (r == NULL) return NULL;
    r->mem = *m;
    r->bits = bits;
    r->words = words;
    r->count = 0;
    for (size_t i = 0; i < words; i++) r->count += popcount(bits[i]);
    return r;
}

void scv_result_free(scv_result *r)
{
    if (r == NULL) return;
    scv__mem mem = r->mem;
    bits_free(&mem, r->bits, r->words);
    scv__free(&mem, r, sizeof *r);
}

size_t scv_result_count(const scv_result *r)
{
    return r == NULL ? 0 : r->count;
}

int scv_result_contains(const scv_result *r, scv_profile_id p)
{
    return r != NULL && get_bit(r->bits, r->words, p);
}

scv_status scv_result_next(const scv_result *r, scv_profile_id after, scv_profile_id *next)
{
    if (r == NULL || next == NULL) return SCV_EINVAL;
    for (size_t i = (size_t)after + 1; (i >> 6) < r->words;) {
        uint64_t w = r->bits[i >> 6] >> (i & 63);
        if (w == 0) {
            i = (i | 63) + 1;
            continue;
        }
        while ((w & 1) == 0) {
            w >>= 1;
            i++;
        }
        *next = (scv_profile_id)i;
        return SCV_OK;
    }
    return SCV_ENOTFOUND;
}

/* a op b over the longer of the two; words past a set's end are zero. */
static uint64_t *combine(const scv__mem *m, const uint64_t *a, size_t aw, const uint64_t *b, size_t bw,
                         scv_setop op, size_t *words)
{
    size_t n = aw > bw ? aw : bw;
    uint64_t *out = bits_new(m, n);
    if (out == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = i < aw ? a[i] : 0, y = i < bw ? b[i] : 0;
        out[i] = op == SCV_SET_AND ? x & y : op == SCV_SET_OR ? x | y : x & ~y;
    }
    *words = n;
    return out;
}

scv_status scv_result_combine(const scv_result *a, const scv_result *b, scv_setop op, scv_result **out)
{
    size_t words;
    if (out != NULL) *out = NULL;
    if (a == NULL || b == NULL || out == NULL || (int)op < SCV_SET_AND || (int)op > SCV_SET_ANDNOT)
        return SCV_EINVAL;
    uint64_t *bits = combine(&a->mem, a->bits, a->words, b->bits, b->words, op, &words);
    if (bits == NULL) return SCV_ENOMEM;
    *out = result_wrap(&a->mem, bits, words);
    if (*out == NULL) {
        bits_free(&a->mem, bits, words);
        return SCV_ENOMEM;
    }
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                 */

typedef struct evaluator {
    scv_engine *e;
    const scv__views *v;
    const scv__qast *ast;
    int64_t now;
    size_t words;
    uint8_t *rfm; /* 3 x n scores (R, F, M), 0 = missing; computed on first use */
} evaluator;

static int compare(double x, scv__qop op, double y)
{
    switch (op) {
    case SCV__OP_EQ: return x == y;
    case SCV__OP_NE: return x != y;
    case SCV__OP_LT: return x < y;
    case SCV__OP_LE: return x <= y;
    case SCV__OP_GT: return x > y;
    case SCV__OP_GE: return x >= y;
    }
    return 0;
}

static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen, scv__qop op)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c == 0) c = (alen > blen) - (alen < blen);
    return compare((double)c, op, 0.0);
}

/* A trait value as a number, if the whole of it is one. */
static int as_number(const char *s, size_t len, double *out)
{
    char buf[64];
    char *end;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, &end);
    return end == buf + len && isfinite(*out);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Values strictly below v in the sorted array s[0..n). */
static size_t below(const double *s, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Quintile scores 1..5 of raw[p] among the profiles where has[p]; higher_is_better says
 * whether a large value scores high. */
static scv_status quintiles(evaluator *ev, const double *raw, const uint8_t *has, int higher_is_better,
                            uint8_t *score)
{
    size_t n = ev->v->n, k = 0;
    for (size_t p = 0; p < n; p++) k += has[p];
    if (k == 0) return SCV_OK;
    double *sorted = scv__alloc(&ev->e->mem, k * sizeof *sorted);
    if (sorted == NULL) return SCV_ENOMEM;
    k = 0;
    for (size_t p = 0; p < n; p++)
        if (has[p]) sorted[k++] = raw[p];
    qsort(sorted, k, sizeof *sorted, cmp_double);
    for (size_t p = 0; p < n; p++) {
        if (!has[p]) continue;
        /* How many other profiles this one beats: values below it, or above it when a small
         * value is the better one. Equal values score alike. */
        size_t beaten = higher_is_better ? below(sorted, k, raw[p])
                                         : k - below(sorted, k, nextafter(raw[p], INFINITY));
        score[p] = (uint8_t)(1 + beaten * 5 / k);
    }
    scv__free(&ev->e->mem, sorted, k * sizeof *sorted);
    return SCV_OK;
}

/* RFM scores from the RFM measure: recency (days since its last dated event), frequency
 * (events), monetary (sum). */
static scv_status compute_rfm(evaluator *ev)
{
    size_t n = ev->v->n;
    scv__mem *m = &ev->e->mem;
    ev->rfm = scv__calloc(m, 3 * n + 1, 1);
    double *raw = scv__alloc(m, 3 * n * sizeof *raw + 1);
    uint8_t *has = scv__alloc(m, 2 * n + 1);
    scv_status st = SCV_ENOMEM;
    if (ev->rfm == NULL || raw == NULL || has == NULL) goto done;
    uint32_t mi = scv__names_find(&ev->e->measure_names, ev->e->rfm_measure, ev->e->rfm_measure_len);
    st = SCV_OK;
    if (mi == SCV__NONE || mi >= ev->v->n_measures) goto done;
    const scv__measure_col *c = &ev->v->measure[mi];
    for (size_t p = 0; p < n; p++) {
        double last = 0;
        has[p] = ev->v->live[p] && c->off[p + 1] > c->off[p];
        has[n + p] = has[p] && scv__views_aggregate(c, (uint32_t)p, SCV_AGG_LAST_TIME, 0, 0, &last);
        raw[p] = (double)(ev->now - (int64_t)last) / 86400.0;
        scv__views_aggregate(c, (uint32_t)p, SCV_AGG_COUNT, 0, 0, &raw[n + p]);
        scv__views_aggregate(c, (uint32_t)p, SCV_AGG_SUM, 0, 0, &raw[2 * n + p]);
    }
    if ((st = quintiles(ev, raw, has + n, 0, ev->rfm)) != SCV_OK) goto done;
    if ((st = quintiles(ev, raw + n, has, 1, ev->rfm + n)) != SCV_OK) goto done;
    st = quintiles(ev, raw + 2 * n, has, 1, ev->rfm + 2 * n);
done:
    scv__free(m, raw, 3 * n * sizeof *raw + 1);
    scv__free(m, has, 2 * n + 1);
    return st;
}

/* The numeric value of a term for profile p; 0 when missing. */
static int term_value(evaluator *ev, const scv__qnode *node, uint32_t measure, uint32_t p, double *out)
{
    const scv__views *v = ev->v;
    switch (node->term) {
    case SCV__T_COUNT:
    case SCV__T_SUM:
    case SCV__T_AVG:
    case SCV__T_MIN:
    case SCV__T_MAX: {
        static const scv_agg aggs[] = {SCV_AGG_COUNT, SCV_AGG_SUM, SCV_AGG_AVG, SCV_AGG_MIN, SCV_AGG_MAX};
        scv_agg agg = aggs[node->term - SCV__T_COUNT];
        if (measure == SCV__NONE) {
            *out = 0;
            return agg == SCV_AGG_COUNT || agg == SCV_AGG_SUM;
        }
        return scv__views_aggregate(&v->measure[measure], p, agg, (uint32_t)node->window_days, ev->now, out);
    }
    case SCV__T_RECORDS: *out = v->records[p]; return 1;
    case SCV__T_DAYS_FIRST:
    case SCV__T_DAYS_LAST: {
        int64_t ts = node->term == SCV__T_DAYS_FIRST ? v->first[p] : v->last[p];
        if (ts == SCV_NO_TIMESTAMP) return 0;
        *out = (double)(ev->now - ts) / 86400.0;
        return 1;
    }
    case SCV__T_RFM_R:
    case SCV__T_RFM_F:
    case SCV__T_RFM_M: {
        uint8_t s = ev->rfm[(size_t)(node->term - SCV__T_RFM_R) * v->n + p];
        *out = s;
        return s != 0;
    }
    case SCV__T_TRAIT: break;
    }
    return 0;
}

static scv_status eval_cmp(evaluator *ev, const scv__qnode *node, uint64_t *out)
{
    const scv__views *v = ev->v;
    const char *name = pool_str(ev->ast, node->name);
    if (node->term >= SCV__T_RFM_R && ev->rfm == NULL) {
        scv_status st = compute_rfm(ev);
        if (st != SCV_OK) return st;
    }
    if (node->term == SCV__T_TRAIT) {
        uint32_t t = scv__names_find(&ev->e->trait_names, name, node->name.len);
        if (t == SCV__NONE || t >= v->n_traits) return SCV_OK;
        const char *lit = pool_str(ev->ast, node->lit_str);
        for (uint32_t p = 1; p < v->n; p++) {
            uint32_t x = v->trait_rec[t][p];
            size_t len;
            double num;
            if (!v->live[p] || x == SCV__NONE) continue;
            const char *val = scv__views_trait_value(ev->e, x, t, &len);
            int hit = node->lit_is_string ? compare_bytes(val, len, lit, node->lit_str.len, node->op)
                                          : as_number(val, len, &num) && compare(num, node->op, node->lit_num);
            if (hit) set_bit(out, p);
        }
        return SCV_OK;
    }
    if (node->lit_is_string) return SCV_OK; /* a number term against a string: false */
    uint32_t m = SCV__NONE;
    if (node->term <= SCV__T_MAX) {
        m = scv__names_find(&ev->e->measure_names, name, node->name.len);
        if (m != SCV__NONE && m >= v->n_measures) m = SCV__NONE;
    }
    for (uint32_t p = 1; p < v->n; p++) {
        double x;
        if (v->live[p] && term_value(ev, node, m, p, &x) && compare(x, node->op, node->lit_num))
            set_bit(out, p);
    }
    return SCV_OK;
}

/* has(KIND) and seen(SOURCE): bit sets of the views, or a scan past bit 63. */
static void eval_membership(evaluator *ev, const scv__qnode *node, uint64_t *out)
{
    const scv__views *v = ev->v;
    int has = node->type == SCV__Q_HAS;
    const scv__names *names = has ? &ev->e->kinds : &ev->e->sources;
    uint32_t id = scv__names_find(names, pool_str(ev->ast, node->name), node->name.len);
    const uint64_t *col = has ? v->kinds : v->sources;
    if (id < 63) {
        for (uint32_t p = 1; p < v->n; p++)
            if (v->live[p] && (col[p] >> id & 1)) set_bit(out, p);
        return;
    }
    /* Rare: the 64th kind or source onwards shares bit 63; check the records. */
    scv_engine *e = ev->e;
    for (uint32_t x = 0; x < e->recs.rec.len; x++) {
        uint32_t p = scv__profiles_of(&e->prof, scv__graph_root(&e->graph, x));
        int hit = 0;
        if (!has) {
            hit = e->recs.rec.data[x].source == id;
        } else {
            size_t k;
            const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
            for (size_t i = 0; i < k && !hit; i++) {
                uint32_t ident = SCV__SLOT_ID(slots[i]);
                hit = scv__slot_state(e, slots[i]) == SCV_LINK &&
                      e->ids.row.data[ident].kind == id;
            }
        }
        if (hit) set_bit(out, p);
    }
}

static scv_status eval_node(evaluator *ev, uint32_t i, uint64_t **out)
{
    const scv__qnode *node = &ev->ast->nodes.data[i];
    const scv__mem *m = &ev->e->mem;
    const scv__views *v = ev->v;
    uint64_t *a = NULL, *b = NULL;
    scv_status st;
    switch (node->type) {
    case SCV__Q_OR:
    case SCV__Q_AND:
        if ((st = eval_node(ev, node->a, &a)) != SCV_OK) return st;
        if ((st = eval_node(ev, node->b, &b)) != SCV_OK) {
            bits_free(m, a, ev->words);
            return st;
        }
        for (size_t w = 0; w < ev->words; w++) a[w] = node->type == SCV__Q_OR ? a[w] | b[w] : a[w] & b[w];
        bits_free(m, b, ev->words);
        *out = a;
        return SCV_OK;
    case SCV__Q_NOT:
        if ((st = eval_node(ev, node->a, &a)) != SCV_OK) return st;
        for (size_t w = 0; w < ev->words; w++) a[w] = ~a[w];
        for (uint32_t p = 0; p < ev->words * 64; p++) /* keep live profiles only */
            if (p >= v->n || !v->live[p]) a[p >> 6] &= ~((uint64_t)1 << (p & 63));
        *out = a;
        return SCV_OK;
    default: break;
    }
    a = bits_new(m, ev->words);
    if (a == NULL) return SCV_ENOMEM;
    st = SCV_OK;
    if (node->type == SCV__Q_CMP) {
        st = eval_cmp(ev, node, a);
    } else if (node->type == SCV__Q_CONSENT) {
        uint32_t c = scv__names_find(&ev->e->channel_names, pool_str(ev->ast, node->name), node->name.len);
        if (c != SCV__NONE && c < v->n_channels)
            for (uint32_t p = 1; p < v->n; p++)
                if (v->live[p] && v->consent[c].state[p] == 1) set_bit(a, p);
    } else {
        eval_membership(ev, node, a);
    }
    if (st != SCV_OK) {
        bits_free(m, a, ev->words);
        return st;
    }
    *out = a;
    return SCV_OK;
}

/* Evaluate into a bare bit set of `*words` words. */
static scv_status eval_bits(scv_query *q, int64_t now, uint64_t **bits, size_t *words)
{
    scv_engine *e = q->engine;
    if (scv__views_update(e) != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    evaluator ev = {e, e->views, &q->ast, now, (e->views->n + 63) / 64, NULL};
    scv_status st = eval_node(&ev, q->ast.root, bits);
    if (ev.rfm != NULL) scv__free(&e->mem, ev.rfm, 3 * ev.v->n + 1);
    if (st != SCV_OK) return scv__engine_error(e, st, "out of memory", -1);
    *words = ev.words;
    return SCV_OK;
}

scv_status scv_query_eval(scv_query *q, int64_t now, scv_result **out)
{
    uint64_t *bits;
    size_t words;
    scv_status st;
    if (out != NULL) *out = NULL;
    if (q == NULL || out == NULL) return SCV_EINVAL;
    if ((st = eval_bits(q, now, &bits, &words)) != SCV_OK) return st;
    *out = result_wrap(&q->engine->mem, bits, words);
    if (*out == NULL) {
        bits_free(&q->engine->mem, bits, words);
        return scv__engine_error(q->engine, SCV_ENOMEM, "out of memory", -1);
    }
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Saved segments                                                                             */

struct scv_segment {
    scv_query *query;
    char name[SCV_MAX_NAME_LEN];
    size_t name_len;
    uint64_t *members;
    size_t words;
};

/* A name of 1..SCV_MAX_NAME_LEN bytes of UTF-8. */
static scv_status check_name(scv_engine *e, const char *name, size_t len)
{
    int64_t bad;
    if (len == 0 || scv__check_text(name, len, SCV_MAX_NAME_LEN, &bad) != SCV_OK)
        return scv__engine_error(e, SCV_EINVAL, "a name is 1-64 bytes of UTF-8", -1);
    return SCV_OK;
}

scv_status scv_segment_new(scv_engine *e, const char *name, size_t name_len, const char *query,
                           size_t query_len, scv_segment **out, size_t *err_offset)
{
    scv_segment *s;
    scv_status st;
    if (out != NULL) *out = NULL;
    if (e == NULL || out == NULL) return SCV_EINVAL;
    if ((st = check_name(e, name, name_len)) != SCV_OK) return st;
    s = scv__alloc(&e->mem, sizeof *s);
    if (s == NULL) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    memset(s, 0, sizeof *s);
    if ((st = scv_query_compile(e, query, query_len, &s->query, err_offset)) != SCV_OK) {
        scv__free(&e->mem, s, sizeof *s);
        return st;
    }
    memcpy(s->name, name, name_len);
    s->name_len = name_len;
    *out = s;
    return SCV_OK;
}

void scv_segment_free(scv_segment *s)
{
    if (s == NULL) return;
    scv__mem mem = s->query->engine->mem;
    if (s->members != NULL) bits_free(&mem, s->members, s->words);
    scv_query_free(s->query);
    scv__free(&mem, s, sizeof *s);
}

const char *scv_segment_name(const scv_segment *s, size_t *len)
{
    if (s == NULL) return NULL;
    if (len != NULL) *len = s->name_len;
    return s->name;
}

scv_status scv_segment_refresh(scv_segment *s, int64_t now, scv_result **entered, scv_result **left)
{
    uint64_t *now_bits, *in_bits = NULL, *out_bits = NULL;
    size_t words, in_words = 0, out_words = 0;
    scv_result *in = NULL, *gone = NULL;
    scv_status st;
    if (entered != NULL) *entered = NULL;
    if (left != NULL) *left = NULL;
    if (s == NULL) return SCV_EINVAL;
    const scv__mem *m = &s->query->engine->mem;
    static const uint64_t none = 0;
    const uint64_t *old = s->members != NULL ? s->members : &none;
    size_t old_words = s->members != NULL ? s->words : 1;
    if ((st = eval_bits(s->query, now, &now_bits, &words)) != SCV_OK) return st;
    if (entered != NULL &&
        ((in_bits = combine(m, now_bits, words, old, old_words, SCV_SET_ANDNOT, &in_words)) == NULL ||
         (in = result_wrap(m, in_bits, in_words)) == NULL))
        goto oom;
    in_bits = NULL;
    if (left != NULL &&
        ((out_bits = combine(m, old, old_words, now_bits, words, SCV_SET_ANDNOT, &out_words)) == NULL ||
         (gone = result_wrap(m, out_bits, out_words)) == NULL))
        goto oom;
    if (s->members != NULL) bits_free(m, s->members, s->words);
    s->members = now_bits;
    s->words = words;
    if (entered != NULL) *entered = in;
    if (left != NULL) *left = gone;
    return SCV_OK;
oom:
    if (in_bits != NULL) bits_free(m, in_bits, in_words);
    if (out_bits != NULL) bits_free(m, out_bits, out_words);
    scv_result_free(in);
    bits_free(m, now_bits, words);
    return scv__engine_error(s->query->engine, SCV_ENOMEM, "out of memory", -1);
}

scv_status scv_segment_members(const scv_segment *s, scv_result **out)
{
    static const uint64_t none = 0;
    size_t words;
    if (out != NULL) *out = NULL;
    if (s == NULL || out == NULL) return SCV_EINVAL;
    const scv__mem *m = &s->query->engine->mem;
    uint64_t *bits = combine(m, s->members != NULL ? s->members : &none, s->members != NULL ? s->words : 1,
                             &none, 1, SCV_SET_OR, &words);
    if (bits == NULL) return SCV_ENOMEM;
    *out = result_wrap(m, bits, words);
    if (*out == NULL) {
        bits_free(m, bits, words);
        return SCV_ENOMEM;
    }
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Personas                                                                                   */

struct scv_personas {
    scv_engine *engine;
    SCV__VEC(scv_segment *) list;
    uint32_t *of;    /* by profile id: persona index, UINT32_MAX = none */
    size_t of_len;
    SCV__VEC(size_t) sizes;
};

scv_status scv_personas_new(scv_engine *e, scv_personas **out)
{
    scv_personas *p;
    if (out != NULL) *out = NULL;
    if (e == NULL || out == NULL) return SCV_EINVAL;
    p = scv__alloc(&e->mem, sizeof *p);
    if (p == NULL) return SCV_ENOMEM;
    memset(p, 0, sizeof *p);
    p->engine = e;
    *out = p;
    return SCV_OK;
}

void scv_personas_free(scv_personas *p)
{
    if (p == NULL) return;
    scv__mem mem = p->engine->mem;
    for (size_t i = 0; i < p->list.len; i++) scv_segment_free(p->list.data[i]);
    SCV__VEC_FREE(&mem, p->list);
    SCV__VEC_FREE(&mem, p->sizes);
    if (p->of != NULL) scv__free(&mem, p->of, p->of_len * sizeof *p->of);
    scv__free(&mem, p, sizeof *p);
}

scv_status scv_personas_add(scv_personas *p, const char *name, size_t name_len, const char *query,
                            size_t query_len, size_t *err_offset)
{
    scv_segment *s;
    scv_status st;
    if (p == NULL) return SCV_EINVAL;
    if (SCV__VEC_RESERVE(&p->engine->mem, p->list, 1) != SCV_OK ||
        SCV__VEC_RESERVE(&p->engine->mem, p->sizes, 1) != SCV_OK)
        return scv__engine_error(p->engine, SCV_ENOMEM, "out of memory", -1);
    if ((st = scv_segment_new(p->engine, name, name_len, query, query_len, &s, err_offset)) != SCV_OK)
        return st;
    p->list.data[p->list.len++] = s;
    p->sizes.data[p->sizes.len++] = 0;
    return SCV_OK;
}

scv_status scv_personas_assign(scv_personas *p, int64_t now)
{
    if (p == NULL) return SCV_EINVAL;
    scv_engine *e = p->engine;
    const scv__mem *m = &e->mem;
    if (scv__views_update(e) != SCV_OK) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    size_t n = e->views->n;
    uint32_t *of = scv__alloc(m, (n == 0 ? 1 : n) * sizeof *of);
    if (of == NULL) return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    for (size_t i = 0; i < n; i++) of[i] = UINT32_MAX;
    for (size_t k = 0; k < p->list.len; k++) {
        uint64_t *bits;
        size_t words;
        if (eval_bits(p->list.data[k]->query, now, &bits, &words) != SCV_OK) {
            scv__free(m, of, (n == 0 ? 1 : n) * sizeof *of);
            return SCV_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            if (of[i] == UINT32_MAX && get_bit(bits, words, i)) of[i] = (uint32_t)k;
        bits_free(m, bits, words);
    }
    for (size_t k = 0; k < p->list.len; k++) p->sizes.data[k] = 0;
    for (size_t i = 0; i < n; i++)
        if (of[i] != UINT32_MAX) p->sizes.data[of[i]]++;
    if (p->of != NULL) scv__free(m, p->of, p->of_len * sizeof *p->of);
    p->of = of;
    p->of_len = n == 0 ? 1 : n;
    return SCV_OK;
}

uint32_t scv_personas_count(const scv_personas *p)
{
    return p == NULL ? 0 : (uint32_t)p->list.len;
}

const char *scv_personas_name(const scv_personas *p, uint32_t index, size_t *len)
{
    if (p == NULL || index >= p->list.len) return NULL;
    return scv_segment_name(p->list.data[index], len);
}

size_t scv_personas_size(const scv_personas *p, uint32_t index)
{
    return p == NULL || index >= p->sizes.len ? 0 : p->sizes.data[index];
}

scv_status scv_personas_of(const scv_personas *p, scv_profile_id profile, uint32_t *index)
{
    if (p == NULL || index == NULL) return SCV_EINVAL;
    if (p->of == NULL || profile >= p->of_len || p->of[profile] == UINT32_MAX) return SCV_ENOTFOUND;
    *index = p->of[profile];
    return SCV_OK;
}
