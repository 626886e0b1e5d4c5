/* snapshot.c — serialise an engine to a caller buffer and load it back.
 *
 * The snapshot holds the engine's logical content, never a memory image: everything derived
 * (hash indexes, union-find parents, postings lists, anchors, per-component counts, views) is
 * rebuilt on load, and every byte read is checked first. docs/snapshot-format.md is the same
 * description with examples.
 *
 * Format version 2 (version 1 is read too: it lacks the lead kind). Integers are little-endian, written byte by byte; i64 is two's
 * complement; a double is its IEEE 754 binary64 bits as a u64. str8 = u8 length + bytes.
 *
 *   header   8  magic "SCVSNAP\0"
 *            u32 format version (2)      u32 flags (0: none defined)
 *            u64 total length of the snapshot in bytes
 *   sections, each exactly once and in this order:
 *            u32 tag (4 ASCII bytes), u64 payload length, payload,
 *            u64 XXH3-64 of the payload (default secret, seed 0)
 *     CONF   u64 hash-key fingerprint: XXH3-64 of the 192-byte secret derived from the key,
 *                0 when no key is set (never the key)
 *            2   default phone region, ISO alpha-2 ("\0\0" = none)
 *            u8 retention (scv_retain)   u8 e-mail provider rules (0/1)
 *            u8 default blocklist (0/1)  u8 default survivorship rule (scv_survivorship)
 *            u32 max records per profile u32 max identifiers per profile
 *            u64 change-feed sequence    u64 merges  u64 splits  u64 generic decisions
 *            str8 RFM measure name
 *     KIND   u32 n (6..64), n x { str8 name, u8 normalizer, u32 limit,
 *                                 u32 generic threshold, u8 priority rank }
 *     SRCS   u32 n (4..65535), n x str8 name;
 *            u32 m (0..n), m x u32 survivorship rank of sources 0..m-1
 *     NAME   u32 n, n x str8 trait name;   u32 m (0..n), m x u8 survivorship rule of trait i;
 *            u32 n, n x str8 measure name; u32 n, n x str8 consent channel name
 *     IDEN   u32 n, n x { u64 hash high half, u64 hash low half, u8 kind, u8 state,
 *                         u32 partner bound, u32 second-kind partner bound, u32 solo bound
 *                         (the generic rule's upper bounds; 65535 or more: unknown),
 *                         u8 lead kind of the bounds (255: none; not in version 1),
 *                         [u16 length + normalized value, when values are retained] }
 *            in identifier order: identifier ref i + 1 is entry i
 *     RECS   u32 n, n x record in record order (ref i + 1 is entry i):
 *              u8 flags: bit 0 = deleted (nothing follows); other bits 0
 *              u16 source, u16 id length + record id, i64 timestamp,
 *              u32 posting order (below), u8 identifier count,
 *              count x { u32 slot: identifier index | set-aside reason << 30,
 *                        [u16 length + raw value, when raw values are kept] },
 *              u16 field count, count x { u8 type, u32 name index, then
 *                 type 0 trait: u32 length + value | 1 measure: u64 bits |
 *                 2 consent denied, 3 consent granted: i64 time of the decision }
 *     PROF   u32 n = profile ids issued (1..n), per id: u8 live; live: u32 count and count
 *            record indexes, the component's root first, then its member-list order;
 *            not live: u32 the id it merged into (0 = none; always smaller than the id)
 *     END    u64 XXH3-64 of every byte before the END section
 *
 * Posting order: each identifier lists the slots carrying it newest first, and explain and
 * re-linking walk these lists. A record's identifiers are added to the lists together, so
 * the lists are fixed by one order of the live records; the writer recovers such an order
 * (a topological sort of the lists) and stores each live record's position, 0..live-1.
 *
 * Not stored: change events (after a load the sequence continues from the stored number, and
 * older history is reported as expired), deleted records' ids and content, erased bytes,
 * views (rebuilt on first use), scratch. Loading checks every length against the bytes left,
 * bounds every count by the bytes left before allocating for it, range-checks every index,
 * validates names and UTF-8 as registration and ingest do, and rejects a snapshot whose
 * profiles contradict its identifiers. */
#include "snapshot.h"

#include <math.h>
#include <string.h>

#include "util/utf8.h"

#define SNAP_VERSION 2u
#define SNAP_OLDEST_VERSION 1u /* the oldest version loads still read */
#define HEADER_SIZE 24u
#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

enum { SEC_CONF, SEC_KIND, SEC_SRCS, SEC_NAME, SEC_IDEN, SEC_RECS, SEC_PROF, SEC_END, N_SECTIONS };

static const uint32_t section_tag[N_SECTIONS] = {
    TAG('C', 'O', 'N', 'F'), TAG('K', 'I', 'N', 'D'), TAG('S', 'R', 'C', 'S'), TAG('N', 'A', 'M', 'E'),
    TAG('I', 'D', 'E', 'N'), TAG('R', 'E', 'C', 'S'), TAG('P', 'R', 'O', 'F'), TAG('E', 'N', 'D', 0)};

static const char magic[8] = {'S', 'C', 'V', 'S', 'N', 'A', 'P', 0};

enum { FIELD_TRAIT = 0, FIELD_MEASURE = 1, FIELD_DENIED = 2, FIELD_GRANTED = 3 };

#define N_BUILTIN_KINDS 6u
#define N_BUILTIN_SOURCES 4u

uint64_t scv__key_fingerprint(const scv__hasher *h)
{
    return h->keyed ? scv__hash64(h->secret, sizeof h->secret) : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing: one walk both sizes (p NULL) and writes                                           */

typedef struct wbuf {
    unsigned char *p;
    size_t n;
} wbuf;

static void put_bytes(wbuf *w, const void *s, size_t len)
{
    if (w->p != NULL && len > 0) memcpy(w->p + w->n, s, len);
    w->n += len;
}

static void put_le(wbuf *w, uint64_t v, unsigned bytes)
{
    if (w->p != NULL)
        for (unsigned i = 0; i < bytes; i++) w->p[w->n + i] = (unsigned char)(v >> (8 * i));
    w->n += bytes;
}

static void put_u8(wbuf *w, uint32_t v) { put_le(w, v, 1); }
static void put_u16(wbuf *w, uint32_t v) { put_le(w, v, 2); }
static void put_u32(wbuf *w, uint32_t v) { put_le(w, v, 4); }
static void put_u64(wbuf *w, uint64_t v) { put_le(w, v, 8); }

static void put_str8(wbuf *w, const char *s, size_t len)
{
    put_u8(w, (uint32_t)len);
    put_bytes(w, s, len);
}

/* Start a section; returns where its length goes. */
static size_t section_begin(wbuf *w, uint32_t tag)
{
    put_u32(w, tag);
    size_t at = w->n;
    put_u64(w, 0);
    return at;
}

/* Patch the length in and append the payload's checksum. */
static void section_end(wbuf *w, size_t at)
{
    size_t start = at + 8, len = w->n - start;
    uint64_t sum = 0;
    if (w->p != NULL) {
        for (unsigned i = 0; i < 8; i++) w->p[at + i] = (unsigned char)((uint64_t)len >> (8 * i));
        sum = scv__hash64(w->p + start, len);
    }
    put_u64(w, sum);
}

static void put_names(wbuf *w, const scv__names *names)
{
    size_t n = scv__names_count(names), len;
    put_u32(w, (uint32_t)n);
    for (uint32_t i = 0; i < n; i++) {
        const char *s = scv__names_get(names, i, &len);
        put_str8(w, s, len);
    }
}

static void write_conf(wbuf *w, const scv_engine *e)
{
    put_u64(w, scv__key_fingerprint(&e->hasher));
    put_bytes(w, e->region != NULL ? e->region->iso : "\0", 2);
    put_u8(w, (uint32_t)e->retain);
    put_u8(w, (e->email_flags & SCV__EMAIL_PROVIDER_RULES) ? 1 : 0);
    put_u8(w, e->rules.default_blocklist ? 1 : 0);
    put_u8(w, e->default_trait_rule);
    put_u32(w, e->rules.max_records);
    put_u32(w, e->rules.max_identifiers);
    put_u64(w, e->feed.last_seq);
    put_u64(w, e->merges);
    put_u64(w, e->splits);
    put_u64(w, e->generic_decisions);
    put_str8(w, e->rfm_measure, e->rfm_measure_len);
}

static void write_kinds(wbuf *w, const scv_engine *e)
{
    size_t n = scv__names_count(&e->kinds), len;
    put_u32(w, (uint32_t)n);
    for (uint32_t k = 0; k < n; k++) {
        const char *s = scv__names_get(&e->kinds, k, &len);
        put_str8(w, s, len);
        put_u8(w, e->kind_norm[k]);
        put_u32(w, e->rules.limit[k]);
        put_u32(w, e->rules.generic[k]);
        put_u8(w, e->rules.rank[k]);
    }
}

static void write_sources(wbuf *w, const scv_engine *e)
{
    put_names(w, &e->sources);
    put_u32(w, (uint32_t)e->source_rank.len);
    for (size_t i = 0; i < e->source_rank.len; i++) put_u32(w, e->source_rank.data[i]);
}

static void write_names(wbuf *w, const scv_engine *e)
{
    put_names(w, &e->trait_names);
    put_u32(w, (uint32_t)e->trait_rule.len);
    for (size_t i = 0; i < e->trait_rule.len; i++) put_u8(w, e->trait_rule.data[i]);
    put_names(w, &e->measure_names);
    put_names(w, &e->channel_names);
}

static void write_idents(wbuf *w, const scv_engine *e)
{
    const scv__idtable *t = &e->ids;
    put_u32(w, (uint32_t)t->keys.len);
    for (size_t v = 0; v < t->keys.len; v++) {
        put_u64(w, t->keys.data[v].hi);
        put_u64(w, t->keys.data[v].lo);
        put_u8(w, t->row.data[v].kind);
        put_u8(w, t->row.data[v].state);
        put_u32(w, t->row.data[v].bound);
        put_u32(w, t->row.data[v].second);
        put_u32(w, t->row.data[v].solo);
        put_u8(w, t->row.data[v].lead);
        if (t->retain) {
            const scv__span *sp = &t->value.data[v];
            put_u16(w, sp->len);
            if (sp->len > 0) put_bytes(w, t->bytes.data + sp->off, sp->len);
        }
    }
}

static void write_fields(wbuf *w, const scv__records *rs, const scv__rec *r)
{
    const scv__field *f = rs->fields.data + r->fields_off;
    put_u16(w, r->fields_n);
    for (size_t i = 0; i < r->fields_n; i++) {
        uint64_t bits;
        if (f[i].len == SCV__MEASURE) {
            put_u8(w, FIELD_MEASURE);
            put_u32(w, f[i].name);
            memcpy(&bits, &f[i].v.num, sizeof bits);
            put_u64(w, bits);
        } else if (f[i].len == SCV__GRANTED || f[i].len == SCV__DENIED) {
            put_u8(w, f[i].len == SCV__GRANTED ? FIELD_GRANTED : FIELD_DENIED);
            put_u32(w, f[i].name);
            put_u64(w, f[i].v.off);
        } else {
            put_u8(w, FIELD_TRAIT);
            put_u32(w, f[i].name);
            put_u32(w, f[i].len);
            put_bytes(w, rs->bytes.data + f[i].v.off, f[i].len);
        }
    }
}

static void write_record(wbuf *w, const scv__records *rs, uint32_t x, uint32_t rank)
{
    const scv__rec *r = &rs->rec.data[x];
    if (r->dead) {
        put_u8(w, 1);
        return;
    }
    put_u8(w, 0);
    put_u16(w, r->source);
    put_u16(w, r->id_len);
    put_bytes(w, rs->bytes.data + r->id_off, r->id_len);
    put_u64(w, (uint64_t)r->ts);
    put_u32(w, rank);
    put_u8(w, r->ids_n);
    for (size_t i = 0; i < r->ids_n; i++) {
        put_u32(w, rs->ids.data[r->ids_off + i]);
        if (rs->keep_raw) {
            const scv__span *raw = &rs->raw.data[r->ids_off + i];
            put_u16(w, raw->len);
            put_bytes(w, rs->bytes.data + raw->off, raw->len);
        }
    }
    write_fields(w, rs, r);
}

static void write_records(wbuf *w, const scv_engine *e, const uint32_t *rank)
{
    put_u32(w, (uint32_t)e->recs.rec.len);
    for (uint32_t x = 0; x < e->recs.rec.len; x++)
        write_record(w, &e->recs, x, rank != NULL ? rank[x] : 0);
}

static void write_profiles(wbuf *w, const scv_engine *e)
{
    const scv__profiles *p = &e->prof;
    uint32_t n = p->root.len > 0 ? (uint32_t)p->root.len - 1 : 0;
    put_u32(w, n);
    for (uint32_t id = 1; id <= n; id++) {
        if (p->root.data[id] == SCV__NONE) {
            put_u8(w, 0);
            put_u32(w, p->merged.data[id]);
            continue;
        }
        uint32_t r = scv__graph_root(&e->graph, p->root.data[id]), m = r;
        put_u8(w, 1);
        put_u32(w, e->graph.node[r].size);
        do {
            put_u32(w, m);
            m = e->graph.node[m].next;
        } while (m != r);
    }
}

typedef void (*section_writer)(wbuf *w, const scv_engine *e);

static void write_all(wbuf *w, const scv_engine *e, const uint32_t *rank, uint64_t total)
{
    static const section_writer body[] = {write_conf, write_kinds, write_sources, write_names,
                                          write_idents};
    size_t at;
    put_bytes(w, magic, sizeof magic);
    put_u32(w, SNAP_VERSION);
    put_u32(w, 0);
    put_u64(w, total);
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
        at = section_begin(w, section_tag[i]);
        body[i](w, e);
        section_end(w, at);
    }
    at = section_begin(w, section_tag[SEC_RECS]);
    write_records(w, e, rank);
    section_end(w, at);
    at = section_begin(w, section_tag[SEC_PROF]);
    write_profiles(w, e);
    section_end(w, at);
    at = section_begin(w, section_tag[SEC_END]);
    put_u64(w, w->p != NULL ? scv__hash64(w->p, at - 4) : 0);
    section_end(w, at);
}

static size_t snapshot_bytes(const scv_engine *e)
{
    wbuf w = {NULL, 0};
    write_all(&w, e, NULL, 0);
    return w.n;
}

/* Each live record's position in an order that rebuilds every postings list as it is: a
 * topological sort, newest first, of "x's slot precedes y's slot in some list". Records the
 * lists do not order (there are none unless the lists are inconsistent) follow in index
 * order. *out has 3 words per record; the first n are the ranks. */
static scv_status posting_ranks(const scv_engine *e, uint32_t **out, size_t *bytes)
{
    const scv__records *rs = &e->recs;
    size_t n = rs->rec.len, head = 0, tail = 0;
    uint32_t next_rank = (uint32_t)e->live_records;
    if (!scv__mul_ok(n > 0 ? n : 1, 3 * sizeof(uint32_t), bytes)) return SCV_ENOMEM;
    uint32_t *rank = scv__alloc(&e->mem, *bytes);
    if (rank == NULL) return SCV_ENOMEM;
    uint32_t *indeg = rank + n, *queue = indeg + n;
    memset(rank, 0, 2 * n * sizeof *rank);
    for (uint32_t x = 0; x < n; x++) {
        const scv__rec *r = &rs->rec.data[x];
        for (uint32_t s = r->ids_off; s < r->ids_off + r->ids_n; s++)
            if (rs->slot_next.data[s] != SCV__NONE) indeg[rs->slot_next.data[s]]++;
    }
    for (uint32_t x = 0; x < n; x++)
        if (!rs->rec.data[x].dead && indeg[x] == 0) queue[tail++] = x;
    while (head < tail) {
        const scv__rec *r = &rs->rec.data[queue[head]];
        rank[queue[head++]] = --next_rank;
        for (uint32_t s = r->ids_off; s < r->ids_off + r->ids_n; s++) {
            uint32_t y = rs->slot_next.data[s];
            if (y != SCV__NONE && --indeg[y] == 0) queue[tail++] = y;
        }
    }
    for (uint32_t x = 0; x < n && next_rank > 0; x++)
        if (!rs->rec.data[x].dead && indeg[x] != 0) rank[x] = --next_rank;
    *out = rank;
    return SCV_OK;
}

scv_status scv_engine_snapshot_size(const scv_engine *engine, size_t *size)
{
    if (engine == NULL || size == NULL) return SCV_EINVAL;
    *size = snapshot_bytes(engine);
    return SCV_OK;
}

scv_status scv_engine_snapshot_write(const scv_engine *engine, void *buf, size_t cap, size_t *written)
{
    uint32_t *rank;
    size_t total, rank_bytes;
    scv_status st;
    if (engine == NULL || written == NULL || (buf == NULL && cap > 0)) return SCV_EINVAL;
    total = snapshot_bytes(engine);
    *written = total;
    if (total > cap) return SCV_EBUFFER;
    if ((st = posting_ranks(engine, &rank, &rank_bytes)) != SCV_OK) return st;
    wbuf w = {buf, 0};
    write_all(&w, engine, rank, total);
    scv__free(&engine->mem, rank, rank_bytes);
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading: a bounds-checked cursor with a sticky failure flag                                */

typedef struct rd {
    const unsigned char *p;
    size_t len, at;
    int bad;
    uint32_t version; /* of the snapshot being read */
} rd;

static int need(rd *r, size_t n)
{
    if (r->bad || r->len - r->at < n) r->bad = 1;
    return !r->bad;
}

static uint64_t get_le(rd *r, unsigned bytes)
{
    uint64_t v = 0;
    if (!need(r, bytes)) return 0;
    for (unsigned i = bytes; i-- > 0;) v = v << 8 | r->p[r->at + i];
    r->at += bytes;
    return v;
}

static uint32_t get_u8(rd *r) { return (uint32_t)get_le(r, 1); }
static uint32_t get_u16(rd *r) { return (uint32_t)get_le(r, 2); }
static uint32_t get_u32(rd *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(rd *r) { return get_le(r, 8); }

static const char *get_bytes(rd *r, size_t n)
{
    if (!need(r, n)) return NULL;
    const char *s = (const char *)r->p + r->at;
    r->at += n;
    return s;
}

static const char *get_str8(rd *r, size_t *len)
{
    *len = get_u8(r);
    return get_bytes(r, *len);
}

/* Could the bytes left hold n items of at least `each` bytes? Marks the cursor bad if not,
 * so a hostile count is refused before anything is allocated for it. */
static int room_for(rd *r, uint64_t n, size_t each)
{
    if (r->bad || n > (r->len - r->at) / each) r->bad = 1;
    return !r->bad;
}

/* Valid UTF-8 without NUL, min..max bytes. */
static int text_ok(const char *s, size_t len, size_t min, size_t max)
{
    return s != NULL && len >= min && len <= max && scv__utf8_check(s, len) == len;
}

/* The registration rule for kind and source names: [a-z][a-z0-9_]*, 1..SCV_MAX_NAME_LEN. */
/* A corrupt-input status; the one place to put a breakpoint when a snapshot is refused. */
static scv_status corrupt(void)
{
    return SCV_ECORRUPT;
}

/* A reservation's status: limits cannot be hit after the count checks, so only ENOMEM. */
static scv_status oom(scv_status st)
{
    return st == SCV_OK || st == SCV_ENOMEM ? st : corrupt();
}

typedef struct span {
    const unsigned char *p;
    size_t len;
} span;

/* Header, section framing, checksums and the whole-file checksum; nothing is allocated. */
static scv_status check_frame(const unsigned char *b, size_t len, span sec[N_SECTIONS], uint32_t *version)
{
    rd r = {b, len, sizeof magic, 0, 0};
    if (len < HEADER_SIZE || memcmp(b, magic, sizeof magic) != 0) return corrupt();
    *version = get_u32(&r);
    if (*version < SNAP_OLDEST_VERSION || *version > SNAP_VERSION) return SCV_EVERSION;
    if (get_u32(&r) != 0 || get_u64(&r) != len) return corrupt();
    for (int i = 0; i < N_SECTIONS; i++) {
        size_t start = r.at;
        if (get_u32(&r) != section_tag[i]) return corrupt();
        uint64_t n = get_u64(&r);
        if (r.bad || n > r.len - r.at) return corrupt();
        sec[i].p = b + r.at;
        sec[i].len = (size_t)n;
        r.at += (size_t)n;
        if (get_u64(&r) != scv__hash64(sec[i].p, sec[i].len) || r.bad) return corrupt();
        if (i == SEC_END) {
            rd end = {sec[i].p, sec[i].len, 0, 0, *version};
            if (get_u64(&end) != scv__hash64(b, start) || end.bad || end.at != end.len) return corrupt();
        }
    }
    return r.at == len ? SCV_OK : corrupt();
}

/* ------------------------------------------------------------------------------------------ */
/* Loading the sections                                                                       */

static scv_status load_conf(scv_engine *e, rd *r)
{
    uint64_t fingerprint = get_u64(r);
    const char *iso = get_bytes(r, 2);
    uint32_t retain = get_u8(r), email = get_u8(r), blocklist = get_u8(r), rule = get_u8(r);
    uint32_t max_records = get_u32(r), max_identifiers = get_u32(r);
    uint64_t seq = get_u64(r), merges = get_u64(r), splits = get_u64(r), generic = get_u64(r);
    size_t rfm_len;
    const char *rfm = get_str8(r, &rfm_len);
    if (r->bad || retain > SCV_RETAIN_RAW || email > 1 || blocklist > 1 ||
        rule > SCV_SURVIVE_FIRST_SEEN || !text_ok(rfm, rfm_len, 1, SCV_MAX_NAME_LEN))
        return corrupt();
    const scv__region *region = NULL;
    if (iso[0] != 0 || iso[1] != 0) {
        region = scv__region_by_iso(iso, 2);
        if (region == NULL || memcmp(region->iso, iso, 2) != 0) return corrupt();
    }
    if (fingerprint != scv__key_fingerprint(&e->hasher)) return SCV_EINVAL;
    e->region = region;
    e->retain = (scv_retain)retain;
    e->ids.retain = retain >= SCV_RETAIN_NORMALIZED;
    e->recs.keep_raw = retain >= SCV_RETAIN_RAW;
    e->email_flags = email ? SCV__EMAIL_PROVIDER_RULES : 0u;
    e->rules.default_blocklist = (int)blocklist;
    e->default_trait_rule = (uint8_t)rule;
    e->rules.max_records = max_records;
    e->rules.max_identifiers = max_identifiers;
    scv__feed_restart(&e->feed, seq); /* the original's events are not in the snapshot */
    e->merges = merges;
    e->splits = splits;
    e->generic_decisions = generic;
    memcpy(e->rfm_measure, rfm, rfm_len);
    e->rfm_measure_len = rfm_len;
    return SCV_OK;
}

/* Entry i of a name table: a built-in one must be as the engine has it; a new one must be
 * valid and not a duplicate, and is added. */
static scv_status load_name(scv_engine *e, scv__names *names, uint32_t i, const char *s, size_t len,
                            int registered)
{
    size_t have_len;
    uint32_t id;
    if (registered ? !scv__valid_name(s, len) : !text_ok(s, len, 1, SCV_MAX_NAME_LEN)) return corrupt();
    if (i < scv__names_count(names)) {
        const char *have = scv__names_get(names, i, &have_len);
        return have_len == len && memcmp(have, s, len) == 0 ? SCV_OK : corrupt();
    }
    if (scv__names_find(names, s, len) != SCV__NONE) return corrupt();
    return oom(scv__names_add(&e->mem, names, s, len, &id));
}

static scv_status load_kinds(scv_engine *e, rd *r)
{
    uint8_t rank_seen[SCV_MAX_KINDS] = {0};
    uint32_t n = get_u32(r);
    scv_status st;
    if (!room_for(r, n, 12) || n < N_BUILTIN_KINDS || n > SCV_MAX_KINDS) return corrupt();
    for (uint32_t k = 0; k < n; k++) {
        size_t len;
        const char *s = get_str8(r, &len);
        uint32_t norm = get_u8(r), limit = get_u32(r), generic = get_u32(r), rank = get_u8(r);
        if (r->bad || norm > SCV_NORM_CASEFOLD || rank >= n || rank_seen[rank]++) return corrupt();
        if (k < N_BUILTIN_KINDS && e->kind_norm[k] != norm) return corrupt();
        if ((st = load_name(e, &e->kinds, k, s, len, 1)) != SCV_OK) return st;
        e->kind_norm[k] = (uint8_t)norm;
        e->rules.limit[k] = limit;
        e->rules.generic[k] = generic;
        e->rules.rank[k] = (uint8_t)rank;
    }
    scv__rules_set_limit(&e->rules, 0, e->rules.limit[0], n); /* renumbers every limited kind */
    return SCV_OK;
}

static scv_status load_sources(scv_engine *e, rd *r)
{
    uint32_t n = get_u32(r), m;
    scv_status st;
    if (!room_for(r, n, 2) || n < N_BUILTIN_SOURCES || n > SCV_MAX_SOURCES) return corrupt();
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *s = get_str8(r, &len);
        if (r->bad) return corrupt();
        if ((st = load_name(e, &e->sources, i, s, len, 1)) != SCV_OK) return st;
    }
    m = get_u32(r);
    if (!room_for(r, m, 4) || m > n) return corrupt();
    if ((st = SCV__VEC_RESERVE(&e->mem, e->source_rank, m)) != SCV_OK) return st;
    for (uint32_t i = 0; i < m; i++) e->source_rank.data[i] = get_u32(r);
    e->source_rank.len = m;
    return SCV_OK;
}

static scv_status load_name_table(scv_engine *e, rd *r, scv__names *names)
{
    uint32_t n = get_u32(r);
    scv_status st;
    if (!room_for(r, n, 2)) return corrupt();
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *s = get_str8(r, &len);
        if (r->bad) return corrupt();
        if ((st = load_name(e, names, i, s, len, 0)) != SCV_OK) return st;
    }
    return SCV_OK;
}

static scv_status load_names(scv_engine *e, rd *r)
{
    scv_status st;
    if ((st = load_name_table(e, r, &e->trait_names)) != SCV_OK) return st;
    uint32_t m = get_u32(r);
    if (!room_for(r, m, 1) || m > scv__names_count(&e->trait_names)) return corrupt();
    if ((st = SCV__VEC_RESERVE(&e->mem, e->trait_rule, m)) != SCV_OK) return st;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t rule = get_u8(r);
        if (rule > SCV_SURVIVE_FIRST_SEEN) return corrupt();
        e->trait_rule.data[i] = (uint8_t)rule;
    }
    e->trait_rule.len = m;
    if ((st = load_name_table(e, r, &e->measure_names)) != SCV_OK) return st;
    return load_name_table(e, r, &e->channel_names);
}

static int value_state_ok(uint32_t state)
{
    return state == SCV_LINK || state == SCV_LINK_BLOCKED || state == SCV_LINK_GENERIC ||
           state == SCV_LINK_SUPPRESSED;
}

static scv_status load_ident(scv_engine *e, rd *r)
{
    scv__idtable *t = &e->ids;
    scv__h128 h;
    size_t len = 0;
    const char *value = NULL;
    int added;
    h.hi = get_u64(r);
    h.lo = get_u64(r);
    uint32_t kind = get_u8(r), state = get_u8(r);
    uint32_t bound = get_u32(r), second = get_u32(r), solo = get_u32(r);
    uint32_t lead = r->version >= 2 ? get_u8(r) : SCV__NO_LEAD;
    if (t->retain) {
        len = get_u16(r);
        value = get_bytes(r, len);
        if (!r->bad && (len > SCV_MAX_NORMALIZED_LEN || !text_ok(value, len, 0, len))) return corrupt();
    }
    if (r->bad || kind >= scv__names_count(&e->kinds) || !value_state_ok(state) ||
        (lead != SCV__NO_LEAD && lead >= scv__names_count(&e->kinds)))
        return corrupt();
    if (t->retain && SCV__VEC_RESERVE(&e->mem, t->bytes, len) != SCV_OK) return SCV_ENOMEM;
    uint32_t v = scv__idtable_intern(t, h, (uint8_t)kind, (uint8_t)state, value, len, &added);
    if (!added) return corrupt(); /* the same hash twice */
    t->row.data[v].bound = (uint16_t)(bound < SCV__BOUND_UNKNOWN ? bound : SCV__BOUND_UNKNOWN);
    t->row.data[v].second = (uint16_t)(second < SCV__BOUND_UNKNOWN ? second : SCV__BOUND_UNKNOWN);
    t->row.data[v].solo = (uint16_t)(solo < SCV__BOUND_UNKNOWN ? solo : SCV__BOUND_UNKNOWN);
    t->row.data[v].lead = (uint8_t)lead;
    return SCV_OK;
}

static void skip(rd *r, size_t n)
{
    (void)get_bytes(r, n);
}

/* Skip a string of `len_bytes`-byte length; returns its length, 0 past the end. */
static size_t skip_string(rd *r, unsigned len_bytes)
{
    size_t len = (size_t)get_le(r, len_bytes);
    skip(r, len);
    return r->bad ? 0 : len;
}

/* The bytes of retained values n identifiers hold: a first pass reading lengths only (the
 * second validates), so that the pool is allocated once. */
/* Bytes of one identifier entry before its value. */
static size_t ident_fixed_bytes(const rd *r)
{
    return r->version >= 2 ? 31 : 30;
}

static size_t value_bytes(rd r, uint32_t n)
{
    size_t bytes = 0;
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        skip(&r, ident_fixed_bytes(&r));
        bytes += skip_string(&r, 2);
    }
    return bytes;
}

static scv_status load_idents(scv_engine *e, rd *r)
{
    uint32_t n = get_u32(r);
    scv_status st;
    if (!room_for(r, n, ident_fixed_bytes(r) + (e->ids.retain ? 2 : 0)) || n > SCV__MAX_IDS) return corrupt();
    /* One spare byte: the value pool is never NULL, even when every value is empty (readers
     * form pool + offset for empty values too). */
    size_t bytes = e->ids.retain ? value_bytes(*r, n) + 1 : 0;
    if ((st = scv__idtable_reserve(&e->mem, &e->ids, n, bytes)) != SCV_OK) return oom(st);
    for (uint32_t i = 0; i < n; i++)
        if ((st = load_ident(e, r)) != SCV_OK) return st;
    return SCV_OK;
}

/* The identifier slots of live record x (n of them), with raw values when kept. An identifier
 * carried twice is refused. */
static scv_status load_slots(scv_engine *e, rd *r, uint32_t x, uint32_t n)
{
    scv__records *rs = &e->recs;
    scv_status st;
    if (!room_for(r, n, rs->keep_raw ? 6 : 4)) return corrupt();
    if ((st = SCV__VEC_RESERVE(&e->mem, rs->ids, n)) != SCV_OK ||
        (st = SCV__VEC_RESERVE(&e->mem, rs->slot_next, n)) != SCV_OK ||
        (rs->keep_raw && (st = SCV__VEC_RESERVE(&e->mem, rs->raw, n)) != SCV_OK))
        return st;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = get_u32(r), id = SCV__SLOT_ID(slot);
        if (r->bad || id >= e->ids.keys.len || SCV__SLOT_ASIDE(slot) > SCV_LINK_ASIDE_SIZE)
            return corrupt();
        for (uint32_t j = 0; j < i; j++)
            if (SCV__SLOT_ID(rs->ids.data[rs->ids.len + j]) == id) return corrupt();
        rs->ids.data[rs->ids.len + i] = slot;
        rs->slot_next.data[rs->ids.len + i] = SCV__NONE;
        if (!rs->keep_raw) continue;
        size_t len = get_u16(r);
        const char *raw = get_bytes(r, len);
        if (r->bad || !text_ok(raw, len, 0, SCV_MAX_VALUE_LEN)) return corrupt();
        if (SCV__VEC_RESERVE(&e->mem, rs->bytes, len) != SCV_OK) return SCV_ENOMEM;
        rs->raw.data[rs->ids.len + i].off = scv__records_put_bytes(rs, raw, len);
        rs->raw.data[rs->ids.len + i].len = (uint32_t)len;
    }
    rs->rec.data[x].ids_off = (uint32_t)rs->ids.len;
    rs->rec.data[x].ids_n = (uint8_t)n;
    rs->ids.len += n;
    rs->slot_next.len += n;
    if (rs->keep_raw) rs->raw.len += n;
    return SCV_OK;
}

/* The class a field's name belongs to: traits, measures or consent channels. */
static int field_class(uint32_t len)
{
    return len == SCV__MEASURE ? 1 : SCV__IS_TRAIT(len) ? 0 : 2;
}

/* One field into f (trait bytes appended to the pool). */
static scv_status load_field(scv_engine *e, rd *r, scv__field *f)
{
    uint32_t type = get_u8(r), name = get_u32(r);
    const scv__names *names[4] = {&e->trait_names, &e->measure_names, &e->channel_names,
                                  &e->channel_names};
    if (r->bad || type > FIELD_GRANTED || name >= scv__names_count(names[type])) return corrupt();
    f->name = name;
    if (type == FIELD_TRAIT) {
        size_t len = get_u32(r);
        const char *s = get_bytes(r, len);
        if (r->bad || !text_ok(s, len, 0, SCV_MAX_TRAIT_LEN)) return corrupt();
        if (SCV__VEC_RESERVE(&e->mem, e->recs.bytes, len) != SCV_OK) return SCV_ENOMEM;
        f->len = (uint32_t)len;
        f->v.off = scv__records_put_bytes(&e->recs, s, len);
    } else if (type == FIELD_MEASURE) {
        uint64_t bits = get_u64(r);
        f->len = SCV__MEASURE;
        memcpy(&f->v.num, &bits, sizeof bits);
        if (r->bad || !isfinite(f->v.num)) return corrupt();
    } else {
        f->len = type == FIELD_GRANTED ? SCV__GRANTED : SCV__DENIED;
        f->v.off = get_u64(r);
    }
    return r->bad ? corrupt() : SCV_OK;
}

static scv_status load_fields(scv_engine *e, rd *r, uint32_t x, uint32_t n)
{
    scv__records *rs = &e->recs;
    scv_status st;
    if (!room_for(r, n, 9) || n > SCV_MAX_FIELDS) return corrupt();
    if ((st = SCV__VEC_RESERVE(&e->mem, rs->fields, n)) != SCV_OK) return st;
    scv__field *f = rs->fields.data + rs->fields.len;
    for (uint32_t i = 0; i < n; i++) {
        if ((st = load_field(e, r, &f[i])) != SCV_OK) return st;
        for (uint32_t j = 0; j < i; j++) /* a name once per class, as the builder keeps it */
            if (f[j].name == f[i].name && field_class(f[j].len) == field_class(f[i].len))
                return corrupt();
    }
    rs->rec.data[x].fields_off = (uint32_t)rs->fields.len;
    rs->rec.data[x].fields_n = (uint16_t)n;
    rs->fields.len += n;
    return SCV_OK;
}

/* Per-record columns outside the record store: graph node, of_root, counts. */
static void add_record_columns(scv_engine *e)
{
    (void)scv__graph_add(&e->graph);
    scv__profiles_add_record(&e->prof);
    for (uint32_t s = 0; s < e->rules.n_limited; s++) e->kcount.data[e->kcount.len++] = 0;
}

static void add_dead_record(scv_engine *e)
{
    scv__records *rs = &e->recs;
    scv__rec *rec = &rs->rec.data[rs->rec.len++];
    memset(rec, 0, sizeof *rec);
    rec->ts = SCV_NO_TIMESTAMP;
    rec->id_off = rs->bytes.len;
    rec->ids_off = (uint32_t)rs->ids.len;
    rec->fields_off = (uint32_t)rs->fields.len;
    rec->dead = 1;
    e->scratch.data[rs->rec.len - 1] = 0;
}

static scv_status load_live_record(scv_engine *e, rd *r)
{
    scv__records *rs = &e->recs;
    uint32_t source = get_u16(r);
    size_t id_len = get_u16(r);
    const char *id = get_bytes(r, id_len);
    scv_status st;
    if (r->bad || source >= scv__names_count(&e->sources) ||
        !text_ok(id, id_len, 1, SCV_MAX_RECORD_ID_LEN))
        return corrupt();
    scv__h128 key = scv__engine_record_key(e, source, id, id_len);
    if (scv__records_find(rs, key, (uint16_t)source, id, id_len) != SCV__NONE)
        return corrupt(); /* the same record twice */
    if (SCV__VEC_RESERVE(&e->mem, rs->bytes, id_len) != SCV_OK) return SCV_ENOMEM;
    uint32_t x = scv__records_append(rs, key, (uint16_t)source, id, id_len);
    rs->rec.data[x].ts = (int64_t)get_u64(r);
    e->scratch.data[x] = get_u32(r); /* posting order, used once all records are in */
    e->live_records++;
    uint32_t n_ids = get_u8(r);
    if (r->bad || n_ids > SCV_MAX_IDENTIFIERS) return corrupt();
    if ((st = load_slots(e, r, x, n_ids)) != SCV_OK) return st;
    return load_fields(e, r, x, get_u16(r));
}

/* What the record pools need: a first pass reading counts and lengths only (the second pass
 * validates everything), so that each pool is allocated once, at its size. Every unit counted
 * is bytes present in the input, so hostile counts cannot inflate it. */
typedef struct pool_sizes {
    size_t slots, fields, bytes;
} pool_sizes;

static void scan_record(rd *r, int keep_raw, pool_sizes *z)
{
    if (get_u8(r) != 0) return; /* deleted (other flags: the second pass refuses them) */
    skip(r, 2);
    z->bytes += skip_string(r, 2);
    skip(r, 12);
    uint32_t n = get_u8(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        skip(r, 4);
        if (keep_raw) z->bytes += skip_string(r, 2);
        z->slots += !r->bad;
    }
    n = get_u16(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint32_t type = get_u8(r);
        skip(r, 4);
        if (type == FIELD_TRAIT)
            z->bytes += skip_string(r, 4);
        else
            skip(r, 8);
        z->fields += !r->bad;
    }
}

static pool_sizes scan_records(rd r, uint32_t n, int keep_raw)
{
    pool_sizes z = {0, 0, 0};
    for (uint32_t i = 0; i < n && !r.bad; i++) scan_record(&r, keep_raw, &z);
    return z;
}

static scv_status load_records(scv_engine *e, rd *r)
{
    uint32_t n = get_u32(r);
    size_t kc;
    scv_status st;
    if (!room_for(r, n, 1) || n > SCV_MAX_RECORDS || !scv__mul_ok(n, e->rules.n_limited, &kc))
        return corrupt();
    pool_sizes z = scan_records(*r, n, e->recs.keep_raw);
    if ((st = scv__records_reserve(&e->mem, &e->recs, n, z.slots, z.fields, z.bytes)) != SCV_OK ||
        (st = scv__graph_reserve(&e->mem, &e->graph, n)) != SCV_OK ||
        (st = scv__profiles_reserve(&e->mem, &e->prof, 0, n)) != SCV_OK ||
        (st = SCV__VEC_RESERVE(&e->mem, e->kcount, kc)) != SCV_OK ||
        (st = SCV__VEC_RESERVE(&e->mem, e->scratch, n)) != SCV_OK)
        return oom(st);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t flags = get_u8(r);
        if (r->bad || flags > 1) return corrupt();
        if (flags == 1)
            add_dead_record(e);
        else if ((st = load_live_record(e, r)) != SCV_OK)
            return st;
        add_record_columns(e);
    }
    return SCV_OK;
}

/* A live profile's records: root first, then the member list. The nodes' identifier count marks placed records. */
static scv_status load_members(scv_engine *e, rd *r, uint32_t id, size_t *placed)
{
    scv__graph *g = &e->graph;
    uint32_t count = get_u32(r), root = 0, prev = 0;
    if (count == 0 || !room_for(r, count, 4)) return corrupt();
    for (uint32_t i = 0; i < count; i++) {
        uint32_t x = get_u32(r);
        if (x >= e->recs.rec.len || e->recs.rec.data[x].dead || e->graph.node[x].idents != 0) return corrupt();
        e->graph.node[x].idents = 1;
        if (i == 0) {
            root = x;
        } else {
            g->node[x].parent = root;
            g->node[prev].next = x;
        }
        prev = x;
    }
    g->node[prev].next = root;
    g->node[root].size = count;
    scv__profiles_attach(&e->prof, id, root);
    e->prof.live++;
    *placed += count;
    return SCV_OK;
}

static scv_status load_profiles(scv_engine *e, rd *r)
{
    scv__profiles *p = &e->prof;
    uint32_t n = get_u32(r);
    size_t placed = 0;
    scv_status st;
    if (!room_for(r, n, 5) || n > UINT32_MAX - 2) return corrupt();
    if ((st = scv__profiles_reserve(&e->mem, p, n, 0)) != SCV_OK) return oom(st);
    for (uint32_t id = 1; id <= n; id++) {
        p->root.data[p->root.len++] = SCV__NONE;
        p->merged.data[p->merged.len++] = 0;
    }
    for (uint32_t id = 1; id <= n; id++) {
        uint32_t live = get_u8(r);
        if (live == 1) {
            if ((st = load_members(e, r, id, &placed)) != SCV_OK) return st;
            continue;
        }
        p->merged.data[id] = get_u32(r);
        if (r->bad || live != 0 || p->merged.data[id] >= id) return corrupt(); /* no cycles */
    }
    if (placed != e->live_records) return corrupt(); /* a live record without a profile */
    for (size_t x = 0; x < e->graph.len; x++) e->graph.node[x].idents = 0;
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Rebuilding what is derived                                                                 */

/* As upsert does: x's slots go to the front of their identifiers' lists. */
static void postings_add(scv_engine *e, uint32_t x)
{
    const scv__rec *rec = &e->recs.rec.data[x];
    for (uint32_t s = rec->ids_off; s < rec->ids_off + rec->ids_n; s++) {
        uint32_t id = SCV__SLOT_ID(e->recs.ids.data[s]);
        e->recs.slot_next.data[s] = e->ids.row.data[id].head;
        e->ids.row.data[id].head = x;
        if (e->ids.row.data[id].refs++ == 0) e->ids.live++;
    }
}

/* Add every live record's slots in the stored posting order (a permutation of 0..live-1). */
static scv_status build_postings(scv_engine *e)
{
    size_t live = e->live_records;
    if (SCV__VEC_RESERVE(&e->mem, e->scratch2, live) != SCV_OK) return SCV_ENOMEM;
    uint32_t *order = e->scratch2.data, *rank = e->scratch.data;
    for (size_t i = 0; i < live; i++) order[i] = SCV__NONE;
    for (uint32_t x = 0; x < e->recs.rec.len; x++) {
        if (e->recs.rec.data[x].dead) continue;
        if (rank[x] >= live || order[rank[x]] != SCV__NONE) return corrupt();
        order[rank[x]] = x;
    }
    for (size_t i = 0; i < live; i++) postings_add(e, order[i]);
    SCV__VEC_FREE(&e->mem, e->scratch); /* sized for all records: give it back */
    SCV__VEC_FREE(&e->mem, e->scratch2);
    return SCV_OK;
}

/* Anchor every linking identifier at its first linking carrier; all its linking carriers must
 * be in that carrier's profile. Then count anchors per component. */
static scv_status build_anchors(scv_engine *e)
{
    scv__idtable *t = &e->ids;
    for (uint32_t x = 0; x < e->recs.rec.len; x++) {
        size_t k;
        const uint32_t *slots = scv__records_ids(&e->recs, x, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t id = SCV__SLOT_ID(slots[i]), a = t->row.data[id].anchor;
            if (SCV__SLOT_ASIDE(slots[i]) != 0 || t->row.data[id].state != SCV_LINK) continue;
            if (a == SCV__NONE)
                t->row.data[id].anchor = x;
            else if (scv__graph_root(&e->graph, a) != scv__graph_root(&e->graph, x))
                return corrupt();
        }
    }
    for (uint32_t id = 0; id < t->keys.len; id++) {
        if (t->row.data[id].anchor == SCV__NONE) continue;
        uint32_t root = scv__graph_root(&e->graph, t->row.data[id].anchor);
        uint8_t slot = e->rules.slot[t->row.data[id].kind];
        e->graph.node[root].idents++;
        if (slot != SCV__NO_SLOT) e->kcount.data[(size_t)root * e->rules.n_limited + slot]++;
    }
    return SCV_OK;
}

typedef scv_status (*section_loader)(scv_engine *e, rd *r);

static scv_status load_all(scv_engine *e, const span sec[N_SECTIONS], uint32_t version)
{
    static const section_loader loaders[] = {load_conf,   load_kinds,   load_sources, load_names,
                                             load_idents, load_records, load_profiles};
    scv_status st;
    uint64_t done = 0, total = 0;
    for (size_t i = 0; i < N_SECTIONS; i++) total += sec[i].len;
    if (scv__progress(e, 0, total)) return SCV_ECANCELED;
    for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++) {
        rd r = {sec[i].p, sec[i].len, 0, 0, version};
        if ((st = loaders[i](e, &r)) != SCV_OK) return st;
        if (r.bad || r.at != r.len) return corrupt();
        done += sec[i].len;
        if (scv__progress(e, done, total)) return SCV_ECANCELED;
    }
    if ((st = build_postings(e)) != SCV_OK) return st;
    if ((st = build_anchors(e)) != SCV_OK) return st;
    return scv__progress(e, total, total) ? SCV_ECANCELED : SCV_OK;
}

scv_status scv_engine_load(const scv_options *opts, const void *buf, size_t len, scv_engine **out)
{
    span sec[N_SECTIONS];
    uint32_t version;
    scv_engine *e;
    scv_status st;
    if (out == NULL) return SCV_EINVAL;
    *out = NULL;
    if (buf == NULL && len > 0) return SCV_EINVAL;
    if (buf == NULL) return corrupt();
    if ((st = check_frame(buf, len, sec, &version)) != SCV_OK) return st;
    if ((st = scv_engine_new(opts, &e)) != SCV_OK) return st;
    if ((st = load_all(e, sec, version)) != SCV_OK) {
        scv_engine_free(e);
        return st;
    }
    e->epoch = 0;
    e->generation = 1;
    *out = e;
    return SCV_OK;
}
