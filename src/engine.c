/* engine.c — options, engine lifetime, kinds and sources, normalization and hashing. */
#include "engine.h"

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#endif

#include <string.h>

#include "resolve.h"
#include "views.h"

#include "util/utf8.h"

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                    */

scv_status scv_options_new(const scv_allocator *alc, scv_options **out)
{
    scv__mem mem;
    scv_options *o;
    if (out == NULL) return SCV_EINVAL;
    *out = NULL;
    if (scv__mem_init(&mem, alc) != SCV_OK) return SCV_EINVAL;
    o = scv__alloc(&mem, sizeof *o);
    if (o == NULL) return SCV_ENOMEM;
    memset(o, 0, sizeof *o);
    o->mem = mem;
    o->retain = SCV_RETAIN_NONE;
    o->change_capacity = 65536;
    *out = o;
    return SCV_OK;
}

void scv_options_free(scv_options *opts)
{
    if (opts == NULL) return;
    scv__mem mem = opts->mem;
    scv__free(&mem, opts->key, opts->key_len);
    scv__free(&mem, opts, sizeof *opts);
}

scv_status scv_options_set_hash_key(scv_options *opts, const void *key, size_t len)
{
    unsigned char *copy = NULL;
    if (opts == NULL || (key == NULL && len > 0) || len > 4096) return SCV_EINVAL;
    if (len > 0) {
        copy = scv__alloc(&opts->mem, len);
        if (copy == NULL) return SCV_ENOMEM;
        memcpy(copy, key, len);
    }
    scv__free(&opts->mem, opts->key, opts->key_len);
    opts->key = copy;
    opts->key_len = len;
    return SCV_OK;
}

scv_status scv_options_set_region(scv_options *opts, const char *code, size_t len)
{
    const scv__region *r;
    if (opts == NULL || code == NULL || len != 2) return SCV_EINVAL;
    r = scv__region_by_iso(code, len);
    if (r == NULL) return SCV_ENOTFOUND;
    opts->region = r;
    return SCV_OK;
}

scv_status scv_options_set_change_capacity(scv_options *opts, size_t events)
{
    if (opts == NULL || events > ((size_t)1 << 28)) return SCV_EINVAL;
    opts->change_capacity = events;
    return SCV_OK;
}

scv_status scv_options_set_progress(scv_options *opts, scv_progress_fn fn, void *ctx)
{
    if (opts == NULL) return SCV_EINVAL;
    opts->progress = fn;
    opts->progress_ctx = ctx;
    return SCV_OK;
}

scv_status scv_engine_set_progress(scv_engine *e, scv_progress_fn fn, void *ctx)
{
    if (e == NULL) return SCV_EINVAL;
    e->progress = fn;
    e->progress_ctx = ctx;
    return SCV_OK;
}

scv_status scv_options_set_retain(scv_options *opts, scv_retain retain)
{
    if (opts == NULL || (int)retain < SCV_RETAIN_NONE || (int)retain > SCV_RETAIN_RAW)
        return SCV_EINVAL;
    opts->retain = retain;
    return SCV_OK;
}

scv_status scv_options_set_email_provider_rules(scv_options *opts, int on)
{
    if (opts == NULL) return SCV_EINVAL;
    opts->email_rules = on != 0;
    return SCV_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Engine                                                                                     */

static const struct {
    const char *name;
    scv_normalizer norm;
} builtin_kinds[] = {
    {"email", SCV_NORM_EMAIL},           {"phone", SCV_NORM_PHONE},
    {"customer_id", SCV_NORM_EXACT},     {"anonymous_id", SCV_NORM_EXACT},
    {"device_id", SCV_NORM_CASEFOLD},    {"loyalty_id", SCV_NORM_CASEFOLD},
};

static const char *const builtin_sources[] = {"crm", "web", "email", "pos"};

void scv_engine_free(scv_engine *e)
{
    if (e == NULL) return;
    scv__mem mem = e->mem;
    scv__names_free(&mem, &e->kinds);
    scv__names_free(&mem, &e->sources);
    scv__names_free(&mem, &e->trait_names);
    scv__names_free(&mem, &e->measure_names);
    scv__names_free(&mem, &e->channel_names);
    SCV__VEC_FREE(&mem, e->trait_rule);
    SCV__VEC_FREE(&mem, e->source_rank);
    scv__views_free(e);
    scv__feed_free(&mem, &e->feed);
    scv__idtable_free(&mem, &e->ids);
    scv__records_free(&mem, &e->recs);
    scv__graph_free(&mem, &e->graph);
    scv__profiles_free(&mem, &e->prof);
    SCV__VEC_FREE(&mem, e->scratch);
    SCV__VEC_FREE(&mem, e->scratch2);
    SCV__VEC_FREE(&mem, e->kcount);
    scv__free(&mem, e, sizeof *e);
}

/* Does this CPU have PREFETCHW (x86: CPUID 0x80000001, ECX bit 8)? Older CPUs may fault on
 * it rather than ignore it. Asked once per engine: CPUID traps to the hypervisor on a VM
 * (tens of microseconds), too slow to ask per builder. */
static int has_write_hint(void)
{
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    unsigned a, b, c, d;
    return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 8)) != 0;
#else
    return 0;
#endif
}

scv_status scv_engine_new(const scv_options *opts, scv_engine **out)
{
    scv__mem mem;
    scv_engine *e;
    if (out == NULL) return SCV_EINVAL;
    *out = NULL;
    if (opts != NULL)
        mem = opts->mem;
    else
        (void)scv__mem_init(&mem, NULL);
    e = scv__alloc(&mem, sizeof *e);
    if (e == NULL) return SCV_ENOMEM;
    memset(e, 0, sizeof *e);
    e->mem = mem;
    e->errmsg = "";
    e->erroff = -1;
    e->trigger = SCV__NONE;
    e->write_hint = has_write_hint();
    if (scv__feed_init(&mem, &e->feed, opts != NULL ? opts->change_capacity : 65536) != SCV_OK) {
        scv__free(&mem, e, sizeof *e);
        return SCV_ENOMEM;
    }
    if (opts != NULL) {
        scv__hasher_init(&e->hasher, opts->key, opts->key_len);
        e->region = opts->region;
        e->retain = opts->retain;
        e->email_flags = opts->email_rules ? SCV__EMAIL_PROVIDER_RULES : 0u;
        e->progress = opts->progress;
        e->progress_ctx = opts->progress_ctx;
    } else {
        scv__hasher_init(&e->hasher, NULL, 0);
        e->retain = SCV_RETAIN_NONE;
    }
    scv__rules_init(&e->rules);
    memcpy(e->rfm_measure, "order_total", 11);
    e->rfm_measure_len = 11;
    e->ids.retain = e->retain >= SCV_RETAIN_NORMALIZED;
    e->recs.keep_raw = e->retain >= SCV_RETAIN_RAW;

    for (size_t i = 0; i < sizeof builtin_kinds / sizeof builtin_kinds[0]; i++) {
        uint32_t id;
        if (scv__names_add(&mem, &e->kinds, builtin_kinds[i].name, strlen(builtin_kinds[i].name),
                           &id) != SCV_OK)
            goto oom;
        e->kind_norm[id] = (uint8_t)builtin_kinds[i].norm;
    }
    for (size_t i = 0; i < sizeof builtin_sources / sizeof builtin_sources[0]; i++) {
        uint32_t id;
        if (scv__names_add(&mem, &e->sources, builtin_sources[i], strlen(builtin_sources[i]), &id) !=
            SCV_OK)
            goto oom;
    }
    *out = e;
    return SCV_OK;
oom:
    scv_engine_free(e);
    return SCV_ENOMEM;
}

const char *scv_engine_errmsg(const scv_engine *e)
{
    return e == NULL ? "" : e->errmsg;
}

int64_t scv_engine_erroffset(const scv_engine *e)
{
    return e == NULL ? -1 : e->erroff;
}

/* ------------------------------------------------------------------------------------------ */
/* Kinds and sources                                                                          */

int scv__valid_name(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > SCV_MAX_NAME_LEN) return 0;
    if (!(s[0] >= 'a' && s[0] <= 'z')) return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return 1;
}

static scv_status register_name(scv_engine *e, scv__names *names, size_t max, const char *name,
                                size_t len, uint32_t *out)
{
    uint32_t id;
    if (!scv__valid_name(name, len))
        return scv__engine_error(e, SCV_EINVAL,
                                 "names are 1-64 bytes of a-z, 0-9 and _, starting with a letter", -1);
    id = scv__names_find(names, name, len);
    if (id != SCV__NONE) {
        if (out != NULL) *out = id;
        return scv__engine_error(e, SCV_EEXISTS, "a kind or source with that name exists", -1);
    }
    if (scv__names_count(names) >= max)
        return scv__engine_error(e, SCV_ELIMIT, "too many kinds or sources", -1);
    if (scv__names_add(&e->mem, names, name, len, &id) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    if (out != NULL) *out = id;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_register_kind(scv_engine *e, const char *name, size_t len,
                                    scv_normalizer normalizer, scv_kind *out)
{
    uint32_t id;
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((int)normalizer < SCV_NORM_EMAIL || (int)normalizer > SCV_NORM_CASEFOLD)
        return scv__engine_error(e, SCV_EINVAL, "unknown normalizer", -1);
    st = register_name(e, &e->kinds, SCV_MAX_KINDS, name, len, &id);
    if (st == SCV_OK) {
        e->kind_norm[id] = (uint8_t)normalizer;
        scv__rules_add_kind(&e->rules, id);
    }
    if ((st == SCV_OK || st == SCV_EEXISTS) && out != NULL) *out = id;
    return st;
}

/* Look a name up in a table (kinds or sources). */
static scv_status find_name(const scv__names *names, const char *name, size_t len, uint32_t *out)
{
    uint32_t id;
    if (out == NULL || (name == NULL && len > 0)) return SCV_EINVAL;
    id = scv__names_find(names, name, len);
    if (id == SCV__NONE) return SCV_ENOTFOUND;
    *out = id;
    return SCV_OK;
}

/* The name of entry id in a table, or NULL. */
static const char *name_of(const scv__names *names, uint32_t id, size_t *len)
{
    size_t n;
    if (id >= scv__names_count(names)) return NULL;
    const char *s = scv__names_get(names, id, &n);
    if (len != NULL) *len = n;
    return s;
}

scv_status scv_engine_kind(const scv_engine *e, const char *name, size_t len, scv_kind *out)
{
    return e == NULL ? SCV_EINVAL : find_name(&e->kinds, name, len, out);
}

uint32_t scv_engine_kind_count(const scv_engine *e)
{
    return e == NULL ? 0 : (uint32_t)scv__names_count(&e->kinds);
}

const char *scv_engine_kind_name(const scv_engine *e, scv_kind kind, size_t *len)
{
    return e == NULL ? NULL : name_of(&e->kinds, kind, len);
}

scv_status scv_engine_register_source(scv_engine *e, const char *name, size_t len, scv_source *out)
{
    uint32_t id;
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    st = register_name(e, &e->sources, SCV_MAX_SOURCES, name, len, &id);
    if ((st == SCV_OK || st == SCV_EEXISTS) && out != NULL) *out = id;
    return st;
}

scv_status scv_engine_source(const scv_engine *e, const char *name, size_t len, scv_source *out)
{
    return e == NULL ? SCV_EINVAL : find_name(&e->sources, name, len, out);
}

uint32_t scv_engine_source_count(const scv_engine *e)
{
    return e == NULL ? 0 : (uint32_t)scv__names_count(&e->sources);
}

const char *scv_engine_source_name(const scv_engine *e, scv_source source, size_t *len)
{
    return e == NULL ? NULL : name_of(&e->sources, source, len);
}

/* ------------------------------------------------------------------------------------------ */
/* Normalization and hashing                                                                  */

scv_status scv__engine_normalize(const scv_engine *e, scv_kind kind, const char *value,
                                 size_t len, char *out, size_t *out_len, const char **reason,
                                 int64_t *off)
{
    scv__norm_err err = {"", -1};
    scv_status st;
    switch ((scv_normalizer)e->kind_norm[kind]) {
    case SCV_NORM_EMAIL:
        st = scv__normalize_email(value, len, e->email_flags, out, out_len, &err);
        break;
    case SCV_NORM_PHONE:
        st = scv__normalize_phone(value, len, e->region, out, out_len, &err);
        break;
    case SCV_NORM_CASEFOLD:
        st = scv__normalize_casefold(value, len, out, out_len, &err);
        break;
    case SCV_NORM_EXACT:
    default:
        st = scv__normalize_exact(value, len, out, out_len, &err);
        break;
    }
    *reason = err.reason;
    *off = err.offset;
    return st;
}

size_t scv__engine_ident_prefix(const scv_engine *e, scv_kind kind, char *tmp)
{
    size_t n;
    const char *name = scv__names_get(&e->kinds, kind, &n);
    scv__copy_short(tmp, name, n);
    tmp[n] = '\0';
    return n + 1;
}

scv__h128 scv__engine_ident_hash(const scv_engine *e, scv_kind kind, const char *norm, size_t len,
                                 char *tmp)
{
    size_t p = scv__engine_ident_prefix(e, kind, tmp);
    scv__copy_short(tmp + p, norm, len);
    return scv__hash128(&e->hasher, tmp, p + len);
}

scv__h128 scv__engine_record_key(const scv_engine *e, scv_source source, const char *id, size_t len)
{
    char tmp[SCV_MAX_NAME_LEN + 1 + SCV_MAX_RECORD_ID_LEN];
    size_t n;
    const char *name = scv__names_get(&e->sources, source, &n);
    scv__copy_short(tmp, name, n);
    tmp[n] = '\0';
    scv__copy_short(tmp + n + 1, id, len);
    return scv__hash128(&e->hasher, tmp, n + 1 + len);
}

/* Validate and normalize for the public normalize/hash/lookup calls. */
static scv_status normalize_checked(scv_engine *e, scv_kind kind, const char *value, size_t len,
                                    char *out, size_t *out_len)
{
    int64_t bad;
    const char *reason;
    scv_status st;
    if (kind >= scv__names_count(&e->kinds))
        return scv__engine_error(e, SCV_ENOTFOUND, "unknown identifier kind", -1);
    st = scv__check_text(value, len, SCV_MAX_VALUE_LEN, &bad);
    if (st == SCV_EINVAL) return scv__engine_error(e, st, "value is NULL with a non-zero length", -1);
    if (st == SCV_ETOOLONG) return scv__engine_error(e, st, "value is longer than SCV_MAX_VALUE_LEN", bad);
    if (st == SCV_EUTF8) return scv__engine_error(e, st, "value is not valid UTF-8 or holds a NUL byte", bad);
    st = scv__engine_normalize(e, kind, value, len, out, out_len, &reason, &bad);
    if (st != SCV_OK) return scv__engine_error(e, st, reason, bad);
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_normalize(scv_engine *e, scv_kind kind, const char *value, size_t len,
                                char *out, size_t cap, size_t *out_len)
{
    char tmp[SCV_MAX_NORMALIZED_LEN];
    size_t n;
    scv_status st;
    if (e == NULL || out_len == NULL || (out == NULL && cap > 0)) return SCV_EINVAL;
    st = normalize_checked(e, kind, value, len, tmp, &n);
    if (st != SCV_OK) return st;
    *out_len = n;
    if (n > cap) return scv__engine_error(e, SCV_EBUFFER, "output buffer too small", -1);
    if (n > 0) memcpy(out, tmp, n);
    return SCV_OK;
}

scv_status scv__engine_lookup_hash(scv_engine *e, scv_kind kind, const char *value, size_t len,
                                   scv__h128 *out)
{
    char norm[SCV_MAX_NORMALIZED_LEN];
    char tmp[SCV_MAX_NAME_LEN + 1 + SCV_MAX_NORMALIZED_LEN];
    size_t n;
    scv_status st = normalize_checked(e, kind, value, len, norm, &n);
    if (st != SCV_OK) return st;
    *out = scv__engine_ident_hash(e, kind, norm, n, tmp);
    return SCV_OK;
}

scv_status scv_engine_hash(scv_engine *e, scv_kind kind, const char *value, size_t len,
                           uint8_t out[SCV_HASH_SIZE])
{
    scv__h128 h;
    scv_status st;
    if (e == NULL || out == NULL) return SCV_EINVAL;
    st = scv__engine_lookup_hash(e, kind, value, len, &h);
    if (st == SCV_OK) scv__h128_to_bytes(h, out);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Rules                                                                                      */

/* Rules may change only while the engine holds no record. */
static scv_status rules_editable(scv_engine *e)
{
    if (e->recs.rec.len > 0)
        return scv__engine_error(e, SCV_ESTATE, "rules can only be changed before the first record", -1);
    return SCV_OK;
}

static scv_status known_kind(scv_engine *e, scv_kind kind)
{
    if (kind >= scv__names_count(&e->kinds))
        return scv__engine_error(e, SCV_ENOTFOUND, "unknown identifier kind", -1);
    return SCV_OK;
}

scv_status scv_engine_set_limit(scv_engine *e, scv_kind kind, uint32_t max_values)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = known_kind(e, kind)) != SCV_OK || (st = rules_editable(e)) != SCV_OK) return st;
    scv__rules_set_limit(&e->rules, kind, max_values, (uint32_t)scv__names_count(&e->kinds));
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_priority(scv_engine *e, const scv_kind *kinds, size_t n)
{
    scv_status st;
    if (e == NULL || (kinds == NULL && n > 0)) return SCV_EINVAL;
    if ((st = rules_editable(e)) != SCV_OK) return st;
    for (size_t i = 0; i < n; i++)
        if ((st = known_kind(e, kinds[i])) != SCV_OK) return st;
    if (!scv__rules_set_priority(&e->rules, kinds, n, (uint32_t)scv__names_count(&e->kinds)))
        return scv__engine_error(e, SCV_EINVAL, "a kind is listed twice", -1);
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_generic_threshold(scv_engine *e, scv_kind kind, uint32_t threshold)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = known_kind(e, kind)) != SCV_OK || (st = rules_editable(e)) != SCV_OK) return st;
    e->rules.generic[kind] = threshold;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_profile_limits(scv_engine *e, uint32_t max_records, uint32_t max_identifiers)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = rules_editable(e)) != SCV_OK) return st;
    e->rules.max_records = max_records;
    e->rules.max_identifiers = max_identifiers;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_set_default_blocklist(scv_engine *e, int on)
{
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = rules_editable(e)) != SCV_OK) return st;
    e->rules.default_blocklist = on != 0;
    return scv__engine_error(e, SCV_OK, "", -1);
}

scv_status scv_engine_block(scv_engine *e, scv_kind kind, const char *value, size_t len)
{
    char norm[SCV_MAX_NORMALIZED_LEN];
    size_t n;
    scv_status st;
    if (e == NULL) return SCV_EINVAL;
    if ((st = normalize_checked(e, kind, value, len, norm, &n)) != SCV_OK) return st;
    char tmp[SCV_MAX_NAME_LEN + 1 + SCV_MAX_NORMALIZED_LEN];
    return scv__engine_block_hash(e, kind, scv__engine_ident_hash(e, kind, norm, n, tmp), norm, n);
}

scv_status scv__engine_block_hash(scv_engine *e, scv_kind kind, scv__h128 h, const char *norm, size_t n)
{
    uint32_t v = scv__idtable_find(&e->ids, h);
    uint32_t a = v == SCV__NONE ? SCV__NONE : e->ids.row.data[v].anchor;
    size_t members = a == SCV__NONE ? 0 : e->graph.node[scv__graph_root(&e->graph, a)].size;
    if (scv__idtable_reserve(&e->mem, &e->ids, 1, n) != SCV_OK ||
        scv__reserve_resolution(e, 0, members) != SCV_OK)
        return scv__engine_error(e, SCV_ENOMEM, "out of memory", -1);
    int added;
    v = scv__idtable_intern(&e->ids, h, (uint8_t)kind, SCV_LINK_BLOCKED, norm, n, &added);
    if (!added && e->ids.row.data[v].state != SCV_LINK_BLOCKED) {
        e->ids.row.data[v].state = SCV_LINK_BLOCKED;
        if (a != SCV__NONE) scv__rebuild(e, &a, 1, SCV__NONE, NULL, 0);
        scv__recheck_generic_partners(e, v);
        e->generation++;
    }
    return scv__engine_error(e, SCV_OK, "", -1);
}

size_t scv__engine_bytes(const scv_engine *e)
{
    size_t names = 0;
    const scv__names *all[4] = {&e->kinds, &e->sources, &e->trait_names, &e->measure_names};
    for (int i = 0; i < 4; i++)
        names += all[i]->bytes.cap + all[i]->items.cap * sizeof(scv__name) +
                 all[i]->keys.cap * sizeof(scv__h128) + scv__htab_bytes(&all[i]->index);
    return sizeof *e + names + scv__idtable_bytes(&e->ids) + scv__records_bytes(&e->recs) +
           e->graph.cap * sizeof *e->graph.node + (e->prof.root.cap + e->prof.merged.cap +
           e->prof.of_root.cap) * sizeof(uint32_t) + (e->kcount.cap +
           e->scratch.cap + e->scratch2.cap) * sizeof(uint32_t);
}
