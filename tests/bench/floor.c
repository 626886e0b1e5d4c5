/* floor.c — the floor under `scv resolve`: the least work that still gives scv's partition.
 *
 *   floor [--region CC] [--batch N] [--prefetch hash|flush|ahead|none] [--mmap] [--no-huge]
 *         IN.csv OUT.csv
 *
 * Reads a CSV in the scv program's format (tests/bench/gen_records.c writes one: a header row
 * naming the columns; source and record_id required; identifier columns named after their
 * kind: email, phone, customer_id, loyalty_id, device_id, anonymous_id; several values in a
 * cell split by '|'), normalizes every identifier, links the records that share a normalized
 * (kind, value) and writes `source,record_id,cluster` per record in input order, cluster being
 * the 0-based index of the cluster's first record. The peers in peers.py write the same, and
 * the partition must equal theirs and that of `scv resolve --generic-threshold 0` (peers.py
 * checks it; only scv's profile size guard, which the CLI cannot turn off, can part them: it
 * splits a junk component of 112,704 records in the 10M-record file, see README.md).
 *
 * The floor is what a bare single-threaded pass costs on this machine: parse, normalize, hash,
 * open addressing, union-find, write. No rules beyond the placeholder blocklist (which the
 * peers and `scv resolve --generic-threshold 0` apply too), no profiles, no traits, no state
 * per identifier but its first record. It is meant to be fast, the way the issue describes:
 *
 *   - the whole file is read into one buffer at once, and fields are parsed in place (only a
 *     quoted field with "" inside, or text after its closing quote, is copied to unescape it);
 *   - the identifiers of a batch of records are normalized and hashed first, then probed
 *     (--batch N keys, default 256; --batch 1 probes each key right after hashing it); the
 *     table slot of each key is prefetched 16 keys ahead of its probe (the default: ahead),
 *     as it is hashed (hash), all just before the batch is probed (flush), or not at all
 *     (none). Probing in batches is what counts (twice as fast as --batch 1 here); of the
 *     prefetch modes, ahead did best on this VM: prefetching while hashing stalls the
 *     parser once the core's outstanding misses are used up;
 *   - the table is sized from the file size, so that it rarely has to grow (it does, past
 *     75% load);
 *   - the big arrays ask for transparent huge pages (--no-huge: not), which cuts the page
 *     faults of reading the file and the TLB misses of probing;
 *   - union-find over record indices, the smaller root wins, so that a root is its cluster's
 *     first record and one forward pass at the end resolves every label.
 *
 * Normalization is a port of the Python in peers.py, which follows src/normalize.c, the
 * default blocklist in src/rules.c and the trimming of the scv program (examples/cli/ingest.c):
 * see norm_email, norm_phone and norm_exact. It is byte-based, as scv is. Like peers.py it
 * knows only a few calling codes (REGIONS), so on numbers with other codes it can differ from
 * scv; the generated data has none.
 *
 * Keys: XXH3-128 of the normalized value, seeded with the kind, stands for (kind, value) as
 * it does in scv (src/idtable.c keeps the 128-bit hash, not the bytes). A slot keeps 96 of
 * the 128 bits (high 64 + low 32) and the record: 16 bytes, four slots per cache line. Two
 * distinct identifiers would merge only on a 96-bit collision: about n^2 / 2^97 for n
 * identifiers, 1e-15 at ten million.
 *
 * On stderr: counts and the time of each phase, and a line `phase R C W` (seconds reading,
 * parsing, normalizing and hashing / probing and union-find / resolving labels and writing)
 * in the form peers.py reads from its own workers. Batches under 64 keys are not timed, so
 * their probes count as parsing.
 *
 * CSV is read as Python's csv module reads it (RFC 4180 plus its leniencies): a field opening
 * with '"' is quoted, "" inside is one quote, line breaks inside are kept, and text after the
 * closing quote is appended; a '"' inside an unquoted field is literal; "\r\n", "\n" and a
 * lone "\r" end a record. Blank lines are skipped, missing trailing fields are empty, a UTF-8
 * byte order mark is skipped. source and record_id are copied to the output as written.
 *
 * Bench code: C99 plus gcc/clang's __builtin_prefetch and POSIX/Linux read(2), mmap(2),
 * madvise(2) and clock_gettime.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_POPULATE, MADV_HUGEPAGE on glibc */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                             */
/* ---------------------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int use_huge = 1, use_mmap = 0;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "floor: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) die("out of memory", NULL);
    return q;
}

/* Zeroed memory for the big arrays: anonymous pages, transparent huge pages asked for where
 * the kernel has them (fewer page faults and TLB misses on the randomly probed table). */
static void *big_alloc(size_t n)
{
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("out of memory", NULL);
#ifdef MADV_HUGEPAGE
    if (use_huge) (void)madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

static void big_free(void *p, size_t n)
{
    if (p != NULL) munmap(p, n ? n : 1);
}

static void *big_grow(void *p, size_t old, size_t n)
{
    void *q = big_alloc(n);
    if (p != NULL) memcpy(q, p, old);
    big_free(p, old);
    return q;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* s[0, n) equals the lower-case ASCII word, ignoring ASCII case. */
static int eq_ci(const unsigned char *s, size_t n, const char *word)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (word[i] == '\0' || lower(s[i]) != (unsigned char)word[i]) return 0;
    return word[n] == '\0';
}

/* A literal with its length (the lists are searched per identifier: no strlen there). */
typedef struct lit {
    const char *s;
    size_t n;
} lit;
#define LIT(x) {x, sizeof x - 1}

/* s[0, n) is one of the list, ended by {NULL, 0} (exactly: bytes already lower-case). */
static int in_list(const unsigned char *s, size_t n, const lit *list)
{
    for (; list->s != NULL; list++)
        if (list->n == n && memcmp(s, list->s, n) == 0) return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Normalization: a port of peers.py (src/normalize.c, src/rules.c)                          */
/* ---------------------------------------------------------------------------------------- */

enum { K_EMAIL, K_PHONE, K_CUSTOMER, K_LOYALTY, K_DEVICE, K_ANON, K_COUNT };
static const char *const KIND_NAME[K_COUNT] = {"email",      "phone",     "customer_id",
                                               "loyalty_id", "device_id", "anonymous_id"};

static const lit PLACEHOLDER_WORDS[] = {
    LIT("-1"),   LIT("0"),    LIT("null"),    LIT("none"),      LIT("n/a"),   LIT("na"),
    LIT("nan"),  LIT("nil"),  LIT("undefined"), LIT("unknown"), LIT("anonymous"), LIT("test"),
    LIT("xxx"),  LIT("not set"), LIT("(not set)"), LIT("empty"), LIT("blank"), LIT("#n/a"),
    {NULL, 0}};
#define PLACEHOLDER_WORD_MAX 9
static const lit PLACEHOLDER_LOCALS[] = {
    LIT("noemail"), LIT("no-email"), LIT("no_email"),   LIT("nomail"),       LIT("no-mail"),
    LIT("noreply"), LIT("no-reply"), LIT("donotreply"), LIT("do-not-reply"), LIT("none"),
    LIT("null"),    LIT("nobody"),   LIT("unknown"),    LIT("na"),           LIT("n/a"),
    LIT("invalid"), {NULL, 0}};
#define PLACEHOLDER_LOCAL_MAX 12
static const lit PLACEHOLDER_EMAILS[] = {
    LIT("test@test.com"),  LIT("test@test.de"),  LIT("a@a.com"),         LIT("a@b.com"),
    LIT("x@x.com"),        LIT("xx@xx.com"),     LIT("email@email.com"), LIT("mail@mail.com"),
    LIT("none@none.com"),  LIT("no@no.com"),     LIT("asdf@asdf.com"),   LIT("test@gmail.com"),
    LIT("abc@abc.com"),    LIT("user@domain.com"), LIT("name@domain.com"), {NULL, 0}};
#define PLACEHOLDER_EMAIL_MAX 15
static const lit RESERVED_DOMAINS[] = {LIT("example.com"), LIT("example.net"), LIT("example.org"),
                                       {NULL, 0}};
static const lit RESERVED_TLDS[] = {LIT(".test"), LIT(".invalid"), LIT(".localhost"),
                                    LIT(".example"), {NULL, 0}};

/* Calling code -> trunk prefix and NSN length range: the same small table as peers.py (the
 * codes the generator writes plus a few), with the ISO region that --region names. */
typedef struct region {
    const char *iso;
    lit cc, trunk;
    size_t lo, hi;
} region;

static const region REGIONS[] = {
    {"US", LIT("1"), LIT("1"), 10, 10}, {"GB", LIT("44"), LIT("0"), 7, 10},
    {"DE", LIT("49"), LIT("0"), 5, 13}, {"FR", LIT("33"), LIT("0"), 9, 9},
    {"AT", LIT("43"), LIT("0"), 4, 13}, {"CH", LIT("41"), LIT("0"), 9, 9},
    {"NL", LIT("31"), LIT("0"), 9, 9},  {"IT", LIT("39"), LIT(""), 6, 11},
};
#define N_REGIONS (sizeof REGIONS / sizeof REGIONS[0])

static const region *default_region = &REGIONS[2]; /* DE */

/* An ASCII white-space byte that trimming removes. (src/normalize.c keeps VT and FF around an
 * e-mail, but the scv program trims every value of them first, as peers.py does.) */
static int trim_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trims white space and U+00A0 (C2 A0) at both ends of s[0, *n); returns the new start. */
static const unsigned char *trim(const unsigned char *s, size_t *n)
{
    size_t b = 0, e = *n;
    for (;;) {
        if (b < e && trim_byte(s[b])) b++;
        else if (e - b >= 2 && s[b] == 0xC2 && s[b + 1] == 0xA0) b += 2;
        else break;
    }
    for (;;) {
        if (e > b && trim_byte(s[e - 1])) e--;
        else if (e - b >= 2 && s[e - 2] == 0xC2 && s[e - 1] == 0xA0) e -= 2;
        else break;
    }
    *n = e - b;
    return s + b;
}

/* Only zeros and dashes, or one byte repeated 3+ times ("xxxx", "1111"), as src/rules.c. */
static int degenerate(const unsigned char *s, size_t n)
{
    size_t i;
    int zd = n > 0, rep = n >= 3;
    for (i = 0; i < n && (zd || rep); i++) {
        if (s[i] != '0' && s[i] != '-') zd = 0;
        if (s[i] != s[0]) rep = 0;
    }
    return zd || rep;
}

/* A Unicode space or invisible character at s[i] (U+2000..200F, 2028, 2029, 202F, 205F,
 * 2060, 3000, FEFF): scv rejects an e-mail holding one, as it would split one address in two. */
static int unicode_space_at(const unsigned char *s, size_t i, size_t n)
{
    const unsigned char *u = s + i;
    if (n - i < 3) return 0;
    if (u[0] == 0xE2 && u[1] == 0x80)
        return u[2] <= 0x8F || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF;
    if (u[0] == 0xE2 && u[1] == 0x81 && (u[2] == 0x9F || u[2] == 0xA0)) return 1;
    if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) return 1;
    return u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF;
}

#define EMAIL_MAX 254
#define LOCAL_MAX 64

/* E-mail: trimmed; exactly one '@'; at most 254 bytes, local part 1..64 bytes; no byte
 * <= 0x20, 0x7F, NBSP or Unicode space anywhere; ASCII lower-cased; a domain of 2+ non-empty
 * labels of [a-z0-9-] and non-ASCII bytes; then the blocklist (placeholder addresses and
 * local parts, degenerate local parts, example.* and reserved TLDs). Writes out (>= 254
 * bytes); returns the length, or -1 when rejected. One pass does the checks and the copy. */
static long norm_email(const unsigned char *s, size_t n, unsigned char *out)
{
    size_t i, at = (size_t)-1, label = 0, dots = 0;
    const unsigned char *dom;
    size_t dn;
    s = trim(s, &n);
    if (n == 0 || n > EMAIL_MAX) return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c <= 0x20 || c == 0x7F) return -1;
        if (c >= 0x80) {
            if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) return -1;
            if (unicode_space_at(s, i, n)) return -1;
        } else if (c == '@') {
            if (at != (size_t)-1) return -1;
            at = i;
        } else {
            c = lower(c);
        }
        out[i] = c;
    }
    if (at == (size_t)-1 || at == 0 || at > LOCAL_MAX) return -1;
    dom = out + at + 1;
    dn = n - at - 1;
    for (i = 0; i < dn; i++) {
        unsigned char c = dom[i];
        if (c == '.') {
            if (label == 0) return -1;
            label = 0;
            dots++;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c >= 0x80) {
            label++;
        } else {
            return -1;
        }
    }
    if (label == 0 || dots == 0) return -1;
    /* the blocklist */
    if (n <= PLACEHOLDER_EMAIL_MAX && in_list(out, n, PLACEHOLDER_EMAILS)) return -1;
    if (at <= PLACEHOLDER_LOCAL_MAX && in_list(out, at, PLACEHOLDER_LOCALS)) return -1;
    if (degenerate(out, at) || in_list(dom, dn, RESERVED_DOMAINS)) return -1;
    for (i = 0; RESERVED_TLDS[i].s != NULL; i++) {
        size_t k = RESERVED_TLDS[i].n;
        if (dn >= k && memcmp(dom + dn - k, RESERVED_TLDS[i].s, k) == 0) return -1;
    }
    return (long)n;
}

/* Offset of the first occurrence of the lower-case word in s[0, n), ignoring ASCII
 * case, or -1. */
static long find_ci(const unsigned char *s, size_t n, const char *word)
{
    size_t k = strlen(word), i;
    for (i = 0; i + k <= n; i++)
        if (eq_ci(s + i, k, word)) return (long)i;
    return -1;
}

/* t[0, n) occurs in the literal hay. */
static int substr_of(const unsigned char *t, size_t n, const char *hay)
{
    size_t h = strlen(hay), i;
    for (i = 0; i + n <= h; i++)
        if (memcmp(hay + i, t, n) == 0) return 1;
    return 0;
}

/* Bytes of a phone separator at s[i] (" -.()/" or NBSP), or 0. */
static size_t phone_sep(const unsigned char *s, size_t i, size_t n)
{
    unsigned char c = s[i];
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') return 1;
    return c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0 ? 2 : 0;
}

#define PHONE_KEEP 32 /* longer than any number that can pass the length checks below */

/* Phone to E.164, as peers.py: trimmed; an extension ("ext", "x" or "#" at its first place in
 * the value, not at the start, followed by ASCII digits and separators) cut off; separators
 * " -.()/" and NBSP dropped; "+" or "00" means a calling code follows, matched 3..1 digits
 * against REGIONS (an unknown one passes with 8..15 digits), then a trunk "0" after it is
 * dropped; without one the default region's trunk prefix is stripped. The NSN must fit the
 * region's range and E.164's 8..15 digits, must not be one repeated digit, nor (from 7 digits
 * on, with or without zeros at its ends) a run of ascending or descending digits. Writes
 * "+" cc nsn to out (>= 17 bytes); returns the length or -1. */
static long norm_phone(const unsigned char *s, size_t n, unsigned char *out)
{
    static const char *const EXT[] = {"ext", "x", "#"};
    unsigned char d[PHONE_KEEP];
    size_t i, k = 0, len, nl, tl;
    const unsigned char *ds, *nsn, *core;
    const region *r = NULL;
    int intl = 0;
    s = trim(s, &n);
    if (n == 0) return -1;
    /* every marker holds an 'x' or is '#': most numbers have neither, and skip the search */
    for (i = 0; i < n && s[i] != 'x' && s[i] != 'X' && s[i] != '#'; i++) {}
    for (i = i < n ? 0 : 3; i < 3; i++) {
        long at = find_ci(s, n, EXT[i]);
        if (at > 0) { /* digits follow, maybe with separators ("x 1 2"), as in scv */
            size_t j = (size_t)at + strlen(EXT[i]), digits = 0, sk;
            while (j < n) {
                if ((sk = phone_sep(s, j, n)) != 0) j += sk;
                else if (s[j] >= '0' && s[j] <= '9') digits++, j++;
                else break;
            }
            if (j == n && digits > 0) {
                n = (size_t)at;
                break;
            }
        }
    }
    for (i = 0; i < n;) {
        size_t sep = phone_sep(s, i, n);
        if (sep != 0) {
            i += sep;
            continue;
        }
        if (k == PHONE_KEEP) return -1;
        d[k++] = s[i++];
    }
    ds = d;
    len = k;
    if (len >= 1 && ds[0] == '+') {
        ds++, len--, intl = 1;
    } else if (len >= 2 && ds[0] == '0' && ds[1] == '0') {
        ds += 2, len -= 2, intl = 1;
    }
    if (len == 0) return -1;
    for (i = 0; i < len; i++)
        if (ds[i] < '0' || ds[i] > '9') return -1;
    if (intl) {
        size_t m, j;
        for (m = 3; m >= 1 && r == NULL; m--) {
            size_t c = m < len ? m : len;
            for (j = 0; j < N_REGIONS; j++)
                if (REGIONS[j].cc.n == c && memcmp(REGIONS[j].cc.s, ds, c) == 0) r = &REGIONS[j];
        }
        if (r == NULL) {
            if (len < 8 || len > 15) return -1;
            out[0] = '+';
            memcpy(out + 1, ds, len);
            return (long)len + 1;
        }
        nsn = ds + r->cc.n;
        nl = len - r->cc.n;
        if (r->trunk.n == 1 && r->trunk.s[0] == '0' && nl > 0 && nsn[0] == '0') nsn++, nl--;
    } else {
        size_t t = default_region->trunk.n;
        r = default_region;
        nsn = ds;
        nl = len;
        if (t > 0 && len >= t && memcmp(ds, r->trunk.s, t) == 0) nsn += t, nl -= t;
    }
    if (nl < r->lo || nl > r->hi || r->cc.n + nl < 8 || r->cc.n + nl > 15) return -1;
    for (i = 1; i < nl && nsn[i] == nsn[0]; i++) {}
    if (i == nl) return -1;
    if (nl >= 7) {
        core = nsn;
        tl = nl;
        if (nsn[0] == '0' || nsn[nl - 1] == '0') {
            while (tl > 0 && core[0] == '0') core++, tl--;
            while (tl > 0 && core[tl - 1] == '0') tl--;
        }
        if (tl >= 7 && (substr_of(core, tl, "01234567890") || substr_of(core, tl, "98765432109")))
            return -1;
        if (substr_of(nsn, nl, "01234567890") || substr_of(nsn, nl, "98765432109")) return -1;
    }
    out[0] = '+';
    k = r->cc.n;
    memcpy(out + 1, r->cc.s, k);
    memcpy(out + 1 + k, nsn, nl);
    return (long)(1 + k + nl);
}

/* customer_id, anonymous_id: trimmed, byte-exact; placeholders (any ASCII case) and
 * degenerate values skipped. Returns the start of the value in s (no copy) or NULL. */
static const unsigned char *norm_exact(const unsigned char *s, size_t *n)
{
    s = trim(s, n);
    if (*n == 0) return NULL;
    if (*n <= PLACEHOLDER_WORD_MAX) {
        size_t i;
        for (i = 0; PLACEHOLDER_WORDS[i].s != NULL; i++)
            if (PLACEHOLDER_WORDS[i].n == *n && eq_ci(s, *n, PLACEHOLDER_WORDS[i].s)) return NULL;
    }
    return degenerate(s, *n) ? NULL : s;
}

/* ---------------------------------------------------------------------------------------- */
/* The identifier table and union-find                                                      */
/* ---------------------------------------------------------------------------------------- */

/* A table slot, and a key of the batch waiting to be probed. */
typedef struct slot {
    uint64_t hi;  /* high 64 bits of the XXH3-128 */
    uint32_t lo;  /* low 32 bits */
    uint32_t rec; /* table: first record carrying it, plus one, 0 when empty; batch: record */
} slot;

/* Where the table slots are prefetched (--prefetch): while hashing, in a loop of their own
 * just before the batch is probed, a fixed distance ahead of the probe, or not at all. */
enum { PF_NONE, PF_HASH, PF_FLUSH, PF_AHEAD };
#define PF_DISTANCE 16

typedef struct state {
    /* input */
    unsigned char *buf;
    size_t size, mapped, alloc; /* mapped: bytes mapped from the file; alloc: bytes allocated */
    /* records */
    size_t *line;     /* offset of each record's first byte */
    uint32_t *parent; /* union-find */
    size_t nrec, cap_rec;
    /* table */
    slot *tab;
    size_t cap, used, limit;
    /* the batch being hashed */
    slot *batch;
    size_t nbatch, batch_max;
    int prefetch; /* PF_* */
    /* scratch */
    unsigned char *norm, *field;
    size_t norm_cap, field_cap;
    /* counts and times */
    size_t idents, grows;
    double t_probe;
} state;

/* Slot index of a hash: multiply-shift of its top 32 bits onto [0, cap), so that the table
 * need not be a power of two (it is sized from the file) and the index can be recomputed
 * from the stored bits when the table grows. */
static size_t home(const state *st, uint64_t hi)
{
    return (size_t)(((hi >> 32) * (uint64_t)st->cap) >> 32);
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    /* the smaller index wins: roots stay their cluster's first record */
    if (a < b) parent[b] = a;
    else if (b < a) parent[a] = b;
}

static void table_alloc(state *st, size_t cap)
{
    if (cap > UINT32_MAX) die("too many identifiers", NULL);
    st->tab = big_alloc(cap * sizeof *st->tab);
    st->cap = cap;
    st->limit = cap / 4 * 3; /* grow beyond 75% load: linear probing degrades fast past it */
}

static void table_grow(state *st)
{
    slot *old = st->tab;
    size_t oc = st->cap, i;
    table_alloc(st, oc * 2);
    st->grows++;
    for (i = 0; i < oc; i++) {
        size_t j;
        if (old[i].rec == 0) continue;
        for (j = home(st, old[i].hi); st->tab[j].rec != 0; j = j + 1 == st->cap ? 0 : j + 1) {}
        st->tab[j] = old[i];
    }
    big_free(old, oc * sizeof *old);
}

/* Probe the batch: insert each key, or join its record to the key's first record. */
static void flush(state *st)
{
    size_t b;
    /* small batches are not timed: the clock would cost more than the probes */
    double t0 = st->batch_max >= 64 ? now() : 0;
    while (st->used + st->nbatch > st->limit) table_grow(st);
    if (st->prefetch == PF_FLUSH || st->prefetch == PF_AHEAD)
        for (b = 0; b < st->nbatch && (st->prefetch == PF_FLUSH || b < PF_DISTANCE); b++)
            PREFETCH(&st->tab[home(st, st->batch[b].hi)]);
    for (b = 0; b < st->nbatch; b++) {
        const slot *k = &st->batch[b];
        size_t j = home(st, k->hi);
        if (st->prefetch == PF_AHEAD && b + PF_DISTANCE < st->nbatch)
            PREFETCH(&st->tab[home(st, st->batch[b + PF_DISTANCE].hi)]);
        for (;;) {
            slot *s = &st->tab[j];
            if (s->rec == 0) {
                s->hi = k->hi;
                s->lo = k->lo;
                s->rec = k->rec + 1;
                st->used++;
                break;
            }
            if (s->hi == k->hi && s->lo == k->lo) {
                if (s->rec - 1 != k->rec) unite(st->parent, s->rec - 1, k->rec);
                break;
            }
            if (++j == st->cap) j = 0;
        }
    }
    st->nbatch = 0;
    if (st->batch_max >= 64) st->t_probe += now() - t0;
}

/* Hash one normalized identifier of record rec, queue it (prefetching its slot with
 * --prefetch hash); probe the batch when it is full. */
static void add_key(state *st, int kind, const unsigned char *v, size_t n, uint32_t rec)
{
    XXH128_hash_t h = XXH3_128bits_withSeed(v, n, (XXH64_hash_t)kind + 1);
    slot *k = &st->batch[st->nbatch++];
    k->hi = h.high64;
    k->lo = (uint32_t)h.low64;
    k->rec = rec;
    st->idents++;
    if (st->prefetch == PF_HASH) PREFETCH(&st->tab[home(st, h.high64)]);
    if (st->nbatch == st->batch_max) flush(st);
}

/* Normalize each '|'-separated value of an identifier cell and queue its key. */
static void add_cell(state *st, int kind, const unsigned char *cell, size_t n, uint32_t rec)
{
    const unsigned char *end = cell + n;
    while (cell <= end) {
        const unsigned char *bar = memchr(cell, '|', (size_t)(end - cell));
        size_t len = (size_t)((bar ? bar : end) - cell);
        long m;
        const unsigned char *v;
        size_t vn = len;
        switch (kind) {
        case K_EMAIL:
            m = len ? norm_email(cell, len, st->norm) : -1;
            if (m >= 0) add_key(st, kind, st->norm, (size_t)m, rec);
            break;
        case K_PHONE:
            m = len ? norm_phone(cell, len, st->norm) : -1;
            if (m >= 0) add_key(st, kind, st->norm, (size_t)m, rec);
            break;
        case K_LOYALTY:
        case K_DEVICE: /* case-folded kinds, as src/engine.c sets them up */
            v = norm_exact(cell, &vn);
            if (v != NULL) {
                size_t i;
                if (vn > st->norm_cap) {
                    st->norm = xrealloc(st->norm, vn);
                    st->norm_cap = vn;
                }
                for (i = 0; i < vn; i++) st->norm[i] = lower(v[i]);
                add_key(st, kind, st->norm, vn, rec);
            }
            break;
        default:
            v = norm_exact(cell, &vn);
            if (v != NULL) add_key(st, kind, v, vn, rec);
            break;
        }
        if (bar == NULL) break;
        cell = bar + 1;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* CSV                                                                                       */
/* ---------------------------------------------------------------------------------------- */

static unsigned char STOP[256]; /* ',', '\r', '\n': the bytes that end an unquoted field */

/* The end of the field starting at p: its terminator (',', '\r' or '\n') or end. *how is 0
 * for a plain field, 1 for "..." without "" inside, 2 for a quoted field that needs
 * unescaping (a "" inside, text after the closing quote, or no closing quote). The buffer
 * ends with a line break, so the plain scan needs no bound check. */
static const unsigned char *field_end(const unsigned char *p, const unsigned char *end, int *how)
{
    const unsigned char *q;
    if (*p != '"') {
        while (!STOP[*p]) p++;
        *how = 0;
        return p;
    }
    *how = 1;
    q = p + 1;
    for (;;) {
        const unsigned char *c = memchr(q, '"', (size_t)(end - q));
        if (c == NULL) {
            *how = 2;
            return end;
        }
        if (c + 1 < end && c[1] == '"') {
            *how = 2;
            q = c + 2;
            continue;
        }
        q = c + 1;
        if (q == end || STOP[*q]) return q;
        *how = 2; /* text after the closing quote: literal up to the terminator */
        while (q < end && !STOP[*q]) q++;
        return q;
    }
}

/* The value of field [p, e) as parsed by field_end with *how: in place or unescaped into the
 * state's scratch buffer. */
static const unsigned char *field_value(state *st, const unsigned char *p, const unsigned char *e,
                                        int how, size_t *n)
{
    const unsigned char *i;
    size_t k = 0;
    if (how == 0) {
        *n = (size_t)(e - p);
        return p;
    }
    if (how == 1) {
        *n = (size_t)(e - p) - 2;
        return p + 1;
    }
    if ((size_t)(e - p) > st->field_cap) {
        st->field_cap = (size_t)(e - p);
        st->field = xrealloc(st->field, st->field_cap);
    }
    for (i = p + 1; i < e;) {
        if (*i != '"') {
            st->field[k++] = *i++;
        } else if (i + 1 < e && i[1] == '"') {
            st->field[k++] = '"';
            i += 2;
        } else {
            for (i++; i < e; i++) st->field[k++] = *i; /* after the closing quote */
        }
    }
    *n = k;
    return st->field;
}

/* Past the terminator at p (a field's end) to the next field or record: sets *eol. */
static const unsigned char *next(const unsigned char *p, const unsigned char *end, int *eol)
{
    if (p >= end) {
        *eol = 1;
        return end;
    }
    if (*p == ',') {
        *eol = 0;
        return p + 1;
    }
    *eol = 1;
    if (*p == '\r' && p + 1 < end && p[1] == '\n') return p + 2;
    return p + 1;
}

/* ---------------------------------------------------------------------------------------- */
/* main                                                                                      */
/* ---------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: floor [--region CC] [OPTIONS] IN.csv OUT.csv\n"
          "  --region CC    default phone region: DE (default), GB, US, FR, AT, CH, NL, IT\n"
          "the rest are for trying what each speed-up gives:\n"
          "  --batch N      identifiers hashed before the batch is probed (256)\n"
          "  --prefetch M   when to prefetch the slots of a batch: ahead (16 keys ahead of the\n"
          "                 probe, the default), hash (as each key is hashed), flush (all,\n"
          "                 just before probing), none\n"
          "  --mmap         map the file instead of reading it into (huge-page) memory\n"
          "  --no-huge      do not ask for transparent huge pages\n",
          f);
}

/* The whole file in one buffer that ends with a line break: read(2) into anonymous memory
 * (huge pages where the kernel gives them), or with --mmap mapped from the page cache
 * (MAP_POPULATE, no copy) when the file ends with a line break. Reading won on this VM: the
 * copy costs less than the TLB misses of parsing 4 KiB page-cache pages. */
static void read_all(state *st, const char *path)
{
    struct stat sb;
    size_t got = 0, size;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &sb) != 0) die(path, strerror(errno));
    size = (size_t)sb.st_size;
    if (use_mmap && size > 0) {
        int flags = MAP_PRIVATE;
        unsigned char last = 0;
#ifdef MAP_POPULATE
        flags |= MAP_POPULATE;
#endif
        if (pread(fd, &last, 1, (off_t)(size - 1)) == 1 && (last == '\n' || last == '\r')) {
            void *m = mmap(NULL, size, PROT_READ, flags, fd, 0);
            if (m != MAP_FAILED) {
                close(fd);
                st->buf = m;
                st->size = st->mapped = size;
                return;
            }
        }
    }
    /* one extra byte for a closing line break when the file lacks one */
    st->buf = big_alloc(size + 1);
    st->alloc = size + 1;
    while (got < size) {
        ssize_t r = read(fd, st->buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die(path, r < 0 ? strerror(errno) : "short read");
        got += (size_t)r;
    }
    close(fd);
    if (got == 0 || (st->buf[got - 1] != '\n' && st->buf[got - 1] != '\r')) st->buf[got++] = '\n';
    st->size = got;
}

static void put(unsigned char **o, const unsigned char *s, size_t n)
{
    memcpy(*o, s, n);
    *o += n;
}

int main(int argc, char **argv)
{
    state st;
    const char *in = NULL, *out = NULL;
    const unsigned char *p, *end;
    int a, role[256], ncols = 0, isrc = -1, iid = -1, eol;
    size_t i, batch = 256, nclusters = 0;
    double t0 = now(), t_read, t_parse, t_write;
    FILE *fo;

    memset(&st, 0, sizeof st);
    st.prefetch = PF_AHEAD;
    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--region") && a + 1 < argc) {
            size_t j;
            const char *cc = argv[++a];
            default_region = NULL;
            for (j = 0; j < N_REGIONS; j++) {
                const unsigned char *iso = (const unsigned char *)REGIONS[j].iso;
                const unsigned char *u = (const unsigned char *)cc;
                if (strlen(cc) == 2 && lower(u[0]) == lower(iso[0]) && lower(u[1]) == lower(iso[1]))
                    default_region = &REGIONS[j];
            }
            if (default_region == NULL) die("unknown --region (DE GB US FR AT CH NL IT)", cc);
        } else if (!strcmp(argv[a], "--batch") && a + 1 < argc) {
            char *e;
            batch = strtoul(argv[++a], &e, 10);
            if (*e || batch == 0 || batch > 65536) die("bad --batch", argv[a]);
        } else if (!strcmp(argv[a], "--prefetch") && a + 1 < argc) {
            static const char *const modes[] = {"none", "hash", "flush", "ahead"};
            int m;
            a++;
            for (m = 0; m < 4 && strcmp(argv[a], modes[m]) != 0; m++) {}
            if (m == 4) die("bad --prefetch (none, hash, flush, ahead)", argv[a]);
            st.prefetch = m;
        } else if (!strcmp(argv[a], "--mmap")) {
            use_mmap = 1;
        } else if (!strcmp(argv[a], "--no-huge")) {
            use_huge = 0;
        } else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[a][0] == '-' && argv[a][1] != '\0') {
            usage(stderr);
            return 2;
        } else if (in == NULL) {
            in = argv[a];
        } else if (out == NULL) {
            out = argv[a];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (in == NULL || out == NULL) {
        usage(stderr);
        return 2;
    }
    STOP[','] = STOP['\r'] = STOP['\n'] = 1;

    read_all(&st, in);
    t_read = now() - t0;
    p = st.buf;
    end = st.buf + st.size;
    if (end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3;

    /* header: the columns' roles */
    for (eol = 0; !eol;) {
        int how;
        size_t n, k;
        const unsigned char *e = field_end(p, end, &how), *v = field_value(&st, p, e, how, &n);
        if (ncols == 256) die("more than 256 columns", NULL);
        role[ncols] = -1;
        for (k = 0; k < K_COUNT; k++)
            if (n == strlen(KIND_NAME[k]) && memcmp(v, KIND_NAME[k], n) == 0) role[ncols] = (int)k;
        if (isrc < 0 && n == 6 && memcmp(v, "source", 6) == 0) isrc = ncols;
        if (iid < 0 && n == 9 && memcmp(v, "record_id", 9) == 0) iid = ncols;
        ncols++;
        p = next(e, end, &eol);
    }
    if (isrc < 0 || iid < 0) die("the header lacks source or record_id", in);

    /* Sizes from the file: the generated data has ~82 bytes and ~0.86 distinct identifiers a
     * record, so a slot per 40 bytes gives a load of about 0.42; both arrays grow if need be. */
    st.cap_rec = st.size / 64 + 1024;
    st.line = big_alloc(st.cap_rec * sizeof *st.line);
    st.parent = big_alloc(st.cap_rec * sizeof *st.parent);
    table_alloc(&st, st.size / 40 + 1024);
    st.batch_max = batch;
    st.batch = xrealloc(NULL, batch * sizeof *st.batch);
    st.norm_cap = 256;
    st.norm = xrealloc(NULL, st.norm_cap);

    while (p < end) {
        uint32_t rec;
        int col = 0;
        if (*p == '\n' || *p == '\r') { /* a blank line is no record */
            p++;
            continue;
        }
        if (st.nrec == st.cap_rec) {
            st.line = big_grow(st.line, st.cap_rec * sizeof *st.line,
                               2 * st.cap_rec * sizeof *st.line);
            st.parent = big_grow(st.parent, st.cap_rec * sizeof *st.parent,
                                 2 * st.cap_rec * sizeof *st.parent);
            st.cap_rec *= 2;
        }
        if (st.nrec >= UINT32_MAX - 1) die("too many records", NULL);
        rec = (uint32_t)st.nrec++;
        st.line[rec] = (size_t)(p - st.buf);
        st.parent[rec] = rec;
        for (eol = 0; !eol; col++) {
            int how;
            const unsigned char *e = field_end(p, end, &how);
            if (col < ncols && role[col] >= 0 && e > p) {
                size_t n;
                const unsigned char *v = field_value(&st, p, e, how, &n);
                if (n) add_cell(&st, role[col], v, n, rec);
            }
            p = next(e, end, &eol);
        }
    }
    flush(&st);
    t_parse = now() - t0 - t_read - st.t_probe;

    /* Labels and output. Every non-root points at a smaller index, whose label is already
     * final when we get to it: one forward pass resolves all. The source and record_id
     * fields are copied as they are written in the input (quoted or not: the CSV reader
     * reads them back as the same values). */
    {
        double t1 = now();
        size_t cap = (size_t)1 << 20, want = (size_t)(isrc > iid ? isrc : iid);
        unsigned char *ob = xrealloc(NULL, cap), *o = ob;
        fo = fopen(out, "wb");
        if (fo == NULL) die(out, strerror(errno));
        put(&o, (const unsigned char *)"source,record_id,cluster\n", 25);
        for (i = 0; i < st.nrec; i++) {
            const unsigned char *fs[2] = {NULL, NULL}, *fe[2] = {NULL, NULL};
            size_t c, need;
            uint32_t lab = st.parent[st.parent[i]];
            char num[16];
            int nn = 0;
            st.parent[i] = lab;
            nclusters += lab == i;
            p = st.buf + st.line[i];
            for (c = 0, eol = 0; c <= want && !eol; c++) {
                int how;
                const unsigned char *e = field_end(p, end, &how);
                if (c == (size_t)isrc) fs[0] = p, fe[0] = e;
                if (c == (size_t)iid) fs[1] = p, fe[1] = e;
                p = next(e, end, &eol);
            }
            need = 16; /* two commas, a label of up to 10 digits, the line break */
            for (c = 0; c < 2; c++) need += fs[c] ? (size_t)(fe[c] - fs[c]) : 0;
            if ((size_t)(o - ob) + need > cap) {
                if (fwrite(ob, 1, (size_t)(o - ob), fo) != (size_t)(o - ob))
                    die(out, strerror(errno));
                o = ob;
                if (need > cap) {
                    cap = need;
                    ob = o = xrealloc(ob, cap);
                }
            }
            if (fs[0]) put(&o, fs[0], (size_t)(fe[0] - fs[0]));
            *o++ = ',';
            if (fs[1]) put(&o, fs[1], (size_t)(fe[1] - fs[1]));
            *o++ = ',';
            do {
                num[nn++] = (char)('0' + lab % 10);
                lab /= 10;
            } while (lab);
            while (nn) *o++ = (unsigned char)num[--nn];
            *o++ = '\n';
        }
        if (fwrite(ob, 1, (size_t)(o - ob), fo) != (size_t)(o - ob) || fclose(fo) != 0)
            die(out, strerror(errno));
        free(ob);
        t_write = now() - t1;
    }

    fprintf(stderr,
            "floor: %zu records, %zu identifiers, %zu distinct, %zu clusters; table %zu slots "
            "(load %.2f, %zu grows)\n"
            "floor: read %.3f s, parse+normalize+hash %.3f s, probe+union %.3f s, "
            "labels+write %.3f s, total %.3f s\n",
            st.nrec, st.idents, st.used, nclusters, st.cap, (double)st.used / (double)st.cap,
            st.grows, t_read, t_parse, st.t_probe, t_write, now() - t0);
    fprintf(stderr, "phase %.3f %.3f %.3f\n", t_read + t_parse, st.t_probe, t_write);
    if (st.mapped) munmap(st.buf, st.mapped);
    else big_free(st.buf, st.alloc);
    big_free(st.line, st.cap_rec * sizeof *st.line);
    big_free(st.parent, st.cap_rec * sizeof *st.parent);
    big_free(st.tab, st.cap * sizeof *st.tab);
    free(st.batch);
    free(st.norm);
    free(st.field);
    return 0;
}
