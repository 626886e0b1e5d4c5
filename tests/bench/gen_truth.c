/* gen_truth.c — multi-source customer data with ground truth, to measure how precisely and how
 * completely identity resolution finds the people behind the records.
 *
 *   gen_truth [--people N] [--seed S] --out DATA.csv --truth TRUTH.csv
 *
 * Defaults: N = 100000 people, S = 1. The same (N, S) always gives the same bytes. About 3.4
 * records per person (N = 300000 gives about a million records). Nothing is printed on stdout;
 * one summary line (people, records, records per phenomenon) goes to stderr.
 *
 * DATA.csv follows the `scv resolve` contract (RFC 4180, UTF-8, header row):
 *
 *   source,record_id,timestamp,customer_id,loyalty_id,email,phone,anonymous_id,device_id,
 *   first_name,city,order_total
 *
 * Rows are in timestamp order (unix seconds in 2024 and 2025), as an event stream would deliver
 * them; record ids count per source in that order. `|` separates several values in one cell.
 *   crm    one row per customer account: customer_id, e-mail (95%), phone (75% of those who
 *          have one), loyalty_id (60% of card holders), first_name, city
 *   web    page views: anonymous_id (cookie, always), device_id and customer_id when logged in,
 *          device_id and e-mail when a newsletter form was sent, city from geo-IP (40%)
 *   email  sends, opens, clicks: e-mail, first_name (50%)
 *   pos    till receipts: loyalty_id (90% of a card holder's receipts) and/or phone (30% with a
 *          card, 85% without) and/or e-mail (10%, e-receipt), city of the store, order_total
 * TRUTH.csv has `source,record_id,person` for every record: `p<index>` for a person,
 * `w<index>` for an anonymous walk-in.
 *
 * Phenomena and their rates (the summary line counts the records each one touches):
 *   1. changed e-mail: 78% of people have 1 address, 17% 2, 5% 3, each replacing the previous
 *      at a random time. CRM rows carry the newest address (35% of the CRM rows of a person who
 *      changed list `previous|newest`); e-mail platform rows carry the oldest address 60% of
 *      the time (the list was never updated), otherwise the one current at the row's time; web
 *      forms and e-receipts carry the current one.
 *   2. formatting noise: e-mail cells are 74% lower case, 12% Capitalised, 6% upper case, 8%
 *      with an upper-case domain; 4% carry spaces around them (such cells are quoted). German
 *      phones in 9 written forms (`030 12345678`, `+49 30 12345678`, `0049 30 12345678`,
 *      `(030) 123-45678`, `+49 (0)30 12345678`, `030/12345678`, `03012345678`,
 *      `+493012345678`, `030-12345678`). Outside households 78% of people have a German
 *      number, 60% of them a mobile (`0176 12345678`), and 3.25% (3% of all people) have a
 *      British, US or French number instead (+44 50%, +1 25%, +33 25%) written
 *      internationally (`+44 20 7946 0958`, `+1 (212) 347-0912`, `+33 6 12 34 56 78`, `00..`).
 *      German national significant numbers have 10-11 digits: area code without the trunk 0
 *      (30, 89, 221, ... or a mobile prefix 151..179) and a subscriber number starting with 2-9.
 *      No number anywhere has 4 equal digits in a row or 5 ascending or descending digits in a
 *      row, and every number (personal, household, store) is distinct.
 *   3. households: 2.8% of the time a household of 2-4 starts, so about 8% of people live in
 *      one. Members share the surname, city and a landline (each also has a mobile 55% of the
 *      time); 40% of households have a family tablet (one device_id and cookie) that members
 *      use for half of their web visits. Each member has their own customer_id, e-mail and
 *      loyalty card. Truth: separate people, also on the tablet.
 *   4. duplicate CRM entries: 3.8% of the people in CRM (about 2% of all people) have a second
 *      CRM row with another customer_id and the same newest e-mail and phone. Truth: one person.
 *      Web logins use the second account 30% of the time.
 *   5. store phones: 30 stores in 14 cities, each with its own landline; 3% of POS receipts are
 *      typed with the store's phone instead of the customer's, with the customer's loyalty card
 *      when they have one and nothing else otherwise. Truth: the customer when the card is on
 *      the receipt; otherwise an anonymous walk-in with its own person id (`w<index>`).
 *   6. placeholder junk: 1% of records get `test@test.com`, `noemail@example.com`, `n/a`,
 *      `null`, `0000000000`, `-1` or `anonymous` (the kind's usual ones) in one identifier cell
 *      of their source: filling an empty cell, replacing the real value (half of the others),
 *      or beside it (`real|junk`).
 *   7. shared public devices: 20 library or internet-café computers (one device_id and cookie
 *      each); 2% of the web visits of people with a customer account happen there, always
 *      logged in. Truth: the logged-in customer.
 *   8. anonymous web sessions: web visits carrying only the person's cookie (47% of web visits
 *      of people with an account, 85% of those without). Truth: the person; they link only via
 *      a visit with a login or an e-mail on the same cookie, when there is one. 10% of devices
 *      have a second cookie (cleared cookies).
 *   9. single-system people: 15% of people appear in one source only (everyone with a single
 *      record, 3.5% of the others, 20% of the heavy regulars: POS only).
 * Records per person: 1-8 (1: 12%, 2: 27%, 3: 27%, 4: 16%, 5: 8%, 6: 5%, 7: 3%, 8: 2%) plus
 * the duplicate CRM row; 0.7% are heavy regulars with 20-60 records, mostly POS receipts (95%
 * have a loyalty card). A CRM account is one row; the other records go to web, e-mail and POS.
 * A receipt that becomes a walk-in's (phenomenon 5) is taken from its person, so a few people
 * (about 0.05%) end up with no record at all.
 *
 * Identifier values never collide between people by accident: customer ids, loyalty cards and
 * the number in every e-mail address come from bijections of counters, device ids and cookies
 * from a 64-bit bijective mix of counters, phones from a set of the numbers already handed out.
 * Sharing happens only where a phenomenon above says so. Up to 10 million people.
 *
 * Plain C99 and libc. Build: cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror gen_truth.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_BEGIN 1704067200u /* 2024-01-01T00:00:00Z */
#define T_END 1767225600u   /* 2026-01-01T00:00:00Z */
#define MAX_PEOPLE 10000000u
#define N_STORES 30
#define N_PUBLIC 20

/* ---------------------------------------------------------------------------------------- */
/* Failure and memory                                                                        */
/* ---------------------------------------------------------------------------------------- */

static void die(const char *what)
{
    fprintf(stderr, "gen_truth: %s\n", what);
    exit(1);
}

static void *grow(void *p, size_t n)
{
    void *q = realloc(p, n == 0 ? 1 : n);
    if (q == NULL) die("out of memory");
    return q;
}

/* ---------------------------------------------------------------------------------------- */
/* Pseudo-random numbers: splitmix64. The finaliser is a bijection of 64-bit words, which    */
/* also serves to turn counters into distinct random-looking ids.                            */
/* ---------------------------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

typedef struct {
    uint64_t state;
} prng;

static uint64_t next64(prng *r)
{
    r->state += UINT64_C(0x9e3779b97f4a7c15);
    return mix(r->state);
}

/* Uniform in [0, n) for 0 < n < 2^32. */
static uint32_t below(prng *r, uint32_t n)
{
    return (uint32_t)(((next64(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t between(prng *r, uint32_t lo, uint32_t hi)
{
    return lo + below(r, hi - lo + 1);
}

static double unit(prng *r)
{
    return (double)(next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int chance(prng *r, double p)
{
    return unit(r) < p;
}

/* Index drawn with the given integer weights. */
static int pick(prng *r, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++) total += w[i];
    unsigned x = below(r, total);
    for (int i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return n - 1;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* x -> (a x + c) mod m, a bijection of [0, m) when gcd(a, m) = 1; a * x must fit 64 bits. */
typedef struct {
    uint64_t a, c, m;
} affine;

static affine affine_make(uint64_t m, uint64_t a_hint, uint64_t salt)
{
    affine f;
    f.m = m;
    f.a = a_hint % m;
    if (f.a < 2) f.a = 2 % m;
    while (m > 1 && gcd64(f.a, m) != 1) f.a++;
    f.c = salt % m;
    return f;
}

static uint64_t affine_at(const affine *f, uint64_t x)
{
    return (f->a * x + f->c) % f->m;
}

/* ---------------------------------------------------------------------------------------- */
/* Byte buffers and CSV cells                                                                */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const char *s, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 1u << 16;
        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2) die("out of memory");
            cap *= 2;
        }
        b->p = grow(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putc_(bytes *b, char c)
{
    put(b, &c, 1);
}

static void put_u64(bytes *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(b, tmp + i, sizeof tmp - (size_t)i);
}

/* One CSV cell: quoted when it holds a comma, quote or line break, or starts or ends with
 * white space (which an unquoted cell would risk losing to a trimming reader). */
static void put_cell(bytes *b, const char *s)
{
    size_t n = strlen(s);
    int quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    if (!quote && strpbrk(s, ",\"\r\n") != NULL) quote = 1;
    if (!quote) {
        put(b, s, n);
        return;
    }
    putc_(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') putc_(b, '"');
        putc_(b, s[i]);
    }
    putc_(b, '"');
}

/* Small string helpers over fixed buffers (every caller's buffer is large enough by
 * construction; the checks only guard against mistakes). */
static void sset(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) die("internal: string too long");
    memcpy(dst, src, n + 1);
}

static void sadd(char *dst, size_t cap, const char *src)
{
    size_t have = strlen(dst), n = strlen(src);
    if (have + n >= cap) die("internal: string too long");
    memcpy(dst + have, src, n + 1);
}

static void sadd_n(char *dst, size_t cap, const char *src, size_t n)
{
    size_t have = strlen(dst);
    if (have + n >= cap) die("internal: string too long");
    memcpy(dst + have, src, n);
    dst[have + n] = '\0';
}

static void sadd_u64(char *dst, size_t cap, uint64_t v, int width)
{
    char tmp[24];
    int i = (int)sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v != 0 || width > 0);
    sadd(dst, cap, tmp + i);
}

static void sadd_hex(char *dst, size_t cap, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[17];
    for (int i = digits - 1; i >= 0; i--) {
        tmp[i] = hex[v & 15];
        v >>= 4;
    }
    tmp[digits] = '\0';
    sadd(dst, cap, tmp);
}

/* ---------------------------------------------------------------------------------------- */
/* A set of 64-bit keys (never 0), open addressing with linear probing.                      */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    uint64_t *slot;
    size_t mask, used;
} keyset;

static int keyset_add(keyset *s, uint64_t key)
{
    if (s->slot == NULL || (s->used + 1) * 2 > s->mask + 1) {
        size_t cap = s->slot ? (s->mask + 1) * 2 : 1u << 16;
        uint64_t *old = s->slot;
        size_t old_cap = s->slot ? s->mask + 1 : 0;
        s->slot = calloc(cap, sizeof *s->slot);
        if (s->slot == NULL) die("out of memory");
        s->mask = cap - 1;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i] == 0) continue;
            size_t j = (size_t)mix(old[i]) & s->mask;
            while (s->slot[j] != 0) j = (j + 1) & s->mask;
            s->slot[j] = old[i];
        }
        free(old);
    }
    size_t j = (size_t)mix(key) & s->mask;
    while (s->slot[j] != 0) {
        if (s->slot[j] == key) return 0;
        j = (j + 1) & s->mask;
    }
    s->slot[j] = key;
    s->used++;
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Names, cities, stores                                                                     */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *shown; /* the first_name trait, UTF-8 */
    const char *ascii; /* as it appears in e-mail addresses */
} first_name;

static const first_name FIRST[] = {
    {"Anna", "anna"},       {"Lena", "lena"},       {"Marie", "marie"},     {"Sophie", "sophie"},
    {"Laura", "laura"},     {"Julia", "julia"},     {"Sarah", "sarah"},     {"Lisa", "lisa"},
    {"Katharina", "katharina"}, {"Hannah", "hannah"}, {"Emma", "emma"},     {"Mia", "mia"},
    {"Sabine", "sabine"},   {"Petra", "petra"},     {"Monika", "monika"},   {"Ursula", "ursula"},
    {"Jürgen", "juergen"},  {"Jörg", "joerg"},      {"Björn", "bjoern"},    {"Zoë", "zoe"},
    {"Özlem", "oezlem"},    {"Ayşe", "ayse"},       {"Günther", "guenther"}, {"Käthe", "kaethe"},
    {"Thomas", "thomas"},   {"Michael", "michael"}, {"Andreas", "andreas"}, {"Stefan", "stefan"},
    {"Christian", "christian"}, {"Markus", "markus"}, {"Daniel", "daniel"}, {"Tobias", "tobias"},
    {"Lukas", "lukas"},     {"Felix", "felix"},     {"Jonas", "jonas"},     {"Leon", "leon"},
    {"Paul", "paul"},       {"Max", "max"},         {"Mehmet", "mehmet"},   {"Ali", "ali"},
    {"Piotr", "piotr"},     {"Agnieszka", "agnieszka"}, {"Olena", "olena"}, {"Dmitri", "dmitri"},
    {"Fatma", "fatma"},     {"Elif", "elif"},       {"Jan", "jan"},         {"Niklas", "niklas"},
    {"Sven", "sven"},       {"Heike", "heike"},     {"Claudia", "claudia"}, {"Nicole", "nicole"},
    {"Frank", "frank"},     {"Uwe", "uwe"},         {"Klaus", "klaus"},     {"Wolfgang", "wolfgang"},
};
#define N_FIRST ((uint32_t)(sizeof FIRST / sizeof FIRST[0]))

static const char *const LAST[] = {
    "mueller", "schmidt",  "schneider", "fischer", "weber",    "meyer",    "wagner",  "becker",
    "schulz",  "hoffmann", "koch",      "richter", "klein",    "wolf",     "schroeder", "neumann",
    "schwarz", "braun",    "zimmermann", "krueger", "hofmann", "hartmann", "lange",   "schmitt",
    "werner",  "krause",   "meier",     "lehmann", "schmid",   "schulze",  "maier",   "koehler",
    "herrmann", "koenig",  "walter",    "mayer",   "huber",    "kaiser",   "fuchs",   "peters",
    "lang",    "scholz",   "moeller",   "weiss",   "jung",     "hahn",     "vogel",   "friedrich",
    "yilmaz",  "kaya",     "demir",     "nowak",   "kowalski", "wojcik",   "popescu", "ivanova",
    "nguyen",  "rossi",    "garcia",    "smith",
};
#define N_LAST ((uint32_t)(sizeof LAST / sizeof LAST[0]))

typedef struct {
    const char *name;
    const char *area; /* German area code without the trunk 0 */
    unsigned weight;  /* share of the people living there */
    unsigned stores;
} city;

static const city CITY[] = {
    {"Berlin", "30", 22, 5},     {"Hamburg", "40", 12, 3},     {"München", "89", 11, 3},
    {"Köln", "221", 8, 2},       {"Frankfurt am Main", "69", 7, 2}, {"Stuttgart", "711", 6, 2},
    {"Düsseldorf", "211", 6, 2}, {"Leipzig", "341", 5, 2},     {"Dortmund", "231", 5, 2},
    {"Essen", "201", 5, 2},      {"Bremen", "421", 4, 1},      {"Dresden", "351", 4, 2},
    {"Hannover", "511", 3, 1},   {"Nürnberg", "911", 2, 1},    {"Halle (Saale)", "345", 0, 0},
};
#define N_CITY ((int)(sizeof CITY / sizeof CITY[0]))

static const char *const DOMAIN[] = {
    "gmail.com",   "web.de",    "gmx.de",  "t-online.de", "outlook.com", "yahoo.de", "gmx.net",
    "icloud.com",  "hotmail.com", "posteo.de", "freenet.de", "mail.de",  "aol.com",
};
static const unsigned DOMAIN_W[] = {22, 16, 16, 9, 7, 5, 5, 5, 4, 3, 3, 2, 2};

static const char *const MOBILE_PREFIX[] = {"151", "152", "157", "159", "160", "162", "163",
                                            "170", "171", "172", "173", "174", "175", "176",
                                            "177", "178", "179"};
#define N_MOBILE ((uint32_t)(sizeof MOBILE_PREFIX / sizeof MOBILE_PREFIX[0]))

static const char *const US_AREA[] = {"212", "312", "415", "617", "206", "305",
                                      "713", "404", "202", "646", "303", "503"};
#define N_US_AREA ((uint32_t)(sizeof US_AREA / sizeof US_AREA[0]))

/* ---------------------------------------------------------------------------------------- */
/* Phones                                                                                    */
/* ---------------------------------------------------------------------------------------- */

enum { PH_DE, PH_UK, PH_US, PH_FR };

typedef struct {
    unsigned char kind;
    unsigned char area_len; /* leading digits of nsn that form the area code / prefix */
    char nsn[16];           /* national significant number, digits only */
} phone;

/* No 4 equal digits in a row, no 5 ascending or descending digits in a row. */
static int digits_plausible(const char *d)
{
    int same = 1, up = 1, down = 1;
    for (size_t i = 1; d[i] != '\0'; i++) {
        same = d[i] == d[i - 1] ? same + 1 : 1;
        up = d[i] == d[i - 1] + 1 ? up + 1 : 1;
        down = d[i] == d[i - 1] - 1 ? down + 1 : 1;
        if (same >= 4 || up >= 5 || down >= 5) return 0;
    }
    return 1;
}

static void random_digits(prng *r, char *out, int n, int first_min)
{
    for (int i = 0; i < n; i++) {
        int lo = i == 0 ? first_min : 0;
        out[i] = (char)('0' + lo + (int)below(r, (uint32_t)(10 - lo)));
    }
    out[n] = '\0';
}

typedef struct gen gen;

static int phone_claim(gen *g, const phone *p);

/* A German landline in the given city: 2-digit area + 8, 3-digit area + 7 or 8. */
static phone phone_de_landline(gen *g, prng *r, int c)
{
    phone p;
    p.kind = PH_DE;
    const char *area = CITY[c].area;
    size_t al = strlen(area);
    int sub = al == 2 ? 8 : (chance(r, 0.5) ? 7 : 8);
    p.area_len = (unsigned char)al;
    do {
        memcpy(p.nsn, area, al);
        random_digits(r, p.nsn + al, sub, 2);
    } while (!digits_plausible(p.nsn) || !phone_claim(g, &p));
    return p;
}

static phone phone_de_mobile(gen *g, prng *r)
{
    phone p;
    p.kind = PH_DE;
    p.area_len = 3;
    const char *pre = MOBILE_PREFIX[below(r, N_MOBILE)];
    int sub = pre[1] == '5' ? 8 : (chance(r, 0.7) ? 8 : 7);
    do {
        memcpy(p.nsn, pre, 3);
        random_digits(r, p.nsn + 3, sub, 2);
    } while (!digits_plausible(p.nsn) || !phone_claim(g, &p));
    return p;
}

/* British (London landline 20 + 8 or mobile 7x + 8), US (area, exchange, line) or French
 * (9 digits, 1-7 first) number. */
static phone phone_foreign(gen *g, prng *r)
{
    static const unsigned w[] = {50, 25, 25};
    int which = pick(r, w, 3);
    phone p;
    for (;;) {
        p.nsn[0] = '\0';
        if (which == 0) {
            p.kind = PH_UK;
            if (chance(r, 0.5)) {
                p.area_len = 2;
                memcpy(p.nsn, "20", 2);
                p.nsn[2] = "378"[below(r, 3)];
                random_digits(r, p.nsn + 3, 7, 0);
            } else {
                p.area_len = 4;
                p.nsn[0] = '7';
                p.nsn[1] = "45789"[below(r, 5)];
                random_digits(r, p.nsn + 2, 8, 0);
            }
        } else if (which == 1) {
            p.kind = PH_US;
            p.area_len = 3;
            memcpy(p.nsn, US_AREA[below(r, N_US_AREA)], 3);
            random_digits(r, p.nsn + 3, 7, 2);
            if ((p.nsn[4] == '1' && p.nsn[5] == '1') || memcmp(p.nsn + 3, "555", 3) == 0) continue;
        } else {
            p.kind = PH_FR;
            p.area_len = 1;
            p.nsn[0] = "1234567667"[below(r, 10)];
            random_digits(r, p.nsn + 1, 8, 0);
        }
        if (digits_plausible(p.nsn) && phone_claim(g, &p)) return p;
    }
}

/* One way of writing a phone number, as cashiers, forms and CRM imports do. */
static void phone_write(prng *r, const phone *p, char *out, size_t cap)
{
    const char *n = p->nsn;
    size_t al = p->area_len, len = strlen(n);
    char area[8] = "", rest[16] = "";
    memcpy(area, n, al);
    area[al] = '\0';
    memcpy(rest, n + al, len - al + 1);
    out[0] = '\0';
    if (p->kind == PH_DE) {
        static const unsigned w[] = {28, 15, 7, 9, 8, 8, 12, 8, 5};
        switch (pick(r, w, 9)) {
        case 0: sadd(out, cap, "0"), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, rest); break;
        case 1: sadd(out, cap, "+49 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, rest); break;
        case 2: sadd(out, cap, "0049 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, rest); break;
        case 3:
            sadd(out, cap, "(0"), sadd(out, cap, area), sadd(out, cap, ") ");
            sadd_n(out, cap, rest, 3), sadd(out, cap, "-"), sadd(out, cap, rest + 3);
            break;
        case 4: sadd(out, cap, "+49 (0)"), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, rest); break;
        case 5: sadd(out, cap, "0"), sadd(out, cap, area), sadd(out, cap, "/"), sadd(out, cap, rest); break;
        case 6: sadd(out, cap, "0"), sadd(out, cap, n); break;
        case 7: sadd(out, cap, "+49"), sadd(out, cap, n); break;
        default: sadd(out, cap, "0"), sadd(out, cap, area), sadd(out, cap, "-"), sadd(out, cap, rest); break;
        }
    } else if (p->kind == PH_UK) {
        /* landline 20 xxxx xxxx, mobile 7xxx xxxxxx */
        char grouped[16] = "";
        if (al == 2) sadd_n(grouped, sizeof grouped, rest, 4), sadd(grouped, sizeof grouped, " "), sadd(grouped, sizeof grouped, rest + 4);
        else sadd(grouped, sizeof grouped, rest);
        switch (below(r, 4)) {
        case 0: sadd(out, cap, "+44 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, grouped); break;
        case 1: sadd(out, cap, "+44 (0)"), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, grouped); break;
        case 2: sadd(out, cap, "0044 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, rest); break;
        default: sadd(out, cap, "+44"), sadd(out, cap, n); break;
        }
    } else if (p->kind == PH_US) {
        char ex[4], line[5];
        memcpy(ex, n + 3, 3), ex[3] = '\0';
        memcpy(line, n + 6, 5);
        switch (below(r, 4)) {
        case 0: sadd(out, cap, "+1 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, ex), sadd(out, cap, " "), sadd(out, cap, line); break;
        case 1: sadd(out, cap, "+1 ("), sadd(out, cap, area), sadd(out, cap, ") "), sadd(out, cap, ex), sadd(out, cap, "-"), sadd(out, cap, line); break;
        case 2: sadd(out, cap, "+1-"), sadd(out, cap, area), sadd(out, cap, "-"), sadd(out, cap, ex), sadd(out, cap, "-"), sadd(out, cap, line); break;
        default: sadd(out, cap, "001 "), sadd(out, cap, area), sadd(out, cap, " "), sadd(out, cap, ex), sadd(out, cap, " "), sadd(out, cap, line); break;
        }
    } else {
        /* +33 6 12 34 56 78 */
        char grouped[20] = "";
        sadd_n(grouped, sizeof grouped, n, 1);
        for (int i = 1; i < 9; i += 2) sadd(grouped, sizeof grouped, " "), sadd_n(grouped, sizeof grouped, n + i, 2);
        switch (below(r, 4)) {
        case 0: sadd(out, cap, "+33 "), sadd(out, cap, grouped); break;
        case 1: sadd(out, cap, "+33 (0)"), sadd(out, cap, grouped); break;
        case 2: sadd(out, cap, "0033 "), sadd(out, cap, grouped); break;
        default: sadd(out, cap, "+33"), sadd(out, cap, n); break;
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Generator state and records                                                               */
/* ---------------------------------------------------------------------------------------- */

enum { SRC_CRM, SRC_WEB, SRC_EMAIL, SRC_POS, N_SRC };
static const char *const SRC_NAME[N_SRC] = {"crm", "web", "email", "pos"};
static const char *const SRC_PREFIX[N_SRC] = {"crm-", "web-", "em-", "pos-"};

/* Cells after source, record_id and timestamp, in header order. */
enum { C_CUSTOMER, C_LOYALTY, C_EMAIL, C_PHONE, C_ANON, C_DEVICE, C_FIRST, C_CITY, C_TOTAL, N_CELLS };
#define CELL_CAP 160

/* Phenomena, one bit each, counted per record. */
enum {
    F_OLD_EMAIL = 1 << 0,  /* carries an address that is not the person's newest */
    F_OLD_NEW = 1 << 1,    /* a CRM cell listing previous|newest */
    F_EMAIL_NOISE = 1 << 2,
    F_PHONE_DE = 1 << 3,
    F_PHONE_INTL = 1 << 4,
    F_HH_PHONE = 1 << 5,   /* the household landline */
    F_HH_TABLET = 1 << 6,
    F_DUP_CRM = 1 << 7,    /* the second CRM row of a duplicated person */
    F_STORE_PHONE = 1 << 8,
    F_WALK_IN = 1 << 9,
    F_JUNK = 1 << 10,
    F_PUBLIC = 1 << 11,
    F_ANON_WEB = 1 << 12,
    F_HEAVY = 1 << 13,
    F_HOUSEHOLD = 1 << 14, /* any record of a household member */
    N_FLAGS = 15
};
static const char *const FLAG_NAME[N_FLAGS] = {
    "old_email", "old|new", "email_noise", "phone_de", "phone_intl", "household_phone",
    "household_tablet", "dup_crm", "store_phone", "walk_in", "junk", "public_device",
    "anonymous_web", "heavy", "household"};

typedef struct {
    uint32_t ts, seq;
    uint32_t who; /* person index, or walk-in index when walk_in */
    uint32_t len;
    uint64_t off; /* of the line tail (from timestamp on) in gen.body */
    uint16_t flags;
    uint8_t src, walk_in;
} record;

typedef struct {
    char id[24];
    char cookie[2][40];
    int n_cookie;
} device;

typedef struct {
    phone ph;
    int c;
} store;

struct gen {
    prng r;
    uint32_t people;
    keyset phones;
    affine cust_map, card_map, mail_map;
    uint64_t id_salt, dev_count, cookie_count, dup_count;
    uint32_t walk_ins;
    store stores[N_STORES];
    int n_stores;
    device public_dev[N_PUBLIC];
    record *recs;
    size_t n_recs, cap_recs;
    bytes body;
    uint64_t flag_count[N_FLAGS];
    uint64_t single_system, heavy_people, household_people, dup_people, intl_people,
        changed_people;
};

/* 1 when the number was not handed out before (and now is), 0 when it was. */
static int phone_claim(gen *g, const phone *p)
{
    static const uint64_t cc[] = {49, 44, 1, 33};
    uint64_t v = 0;
    for (const char *d = p->nsn; *d; d++) v = v * 10 + (uint64_t)(*d - '0');
    return keyset_add(&g->phones, cc[p->kind] * UINT64_C(1000000000000) + v);
}

static void make_device(gen *g, device *d, int cookies)
{
    d->id[0] = '\0';
    sadd(d->id, sizeof d->id, "d-");
    sadd_hex(d->id, sizeof d->id, mix(g->dev_count++ ^ g->id_salt), 16);
    d->n_cookie = cookies;
    for (int k = 0; k < cookies; k++) {
        /* UUID v4 layout; the 64 bits taken from the bijective mix make it unique. */
        uint64_t u = mix((g->cookie_count++) ^ (g->id_salt * 3));
        uint64_t v = next64(&g->r);
        char *s = d->cookie[k];
        s[0] = '\0';
        sadd_hex(s, 40, u >> 32, 8), sadd(s, 40, "-");
        sadd_hex(s, 40, (u >> 16) & 0xffff, 4), sadd(s, 40, "-4");
        sadd_hex(s, 40, (u >> 4) & 0xfff, 3), sadd(s, 40, "-");
        sadd_hex(s, 40, 8 + (v & 3), 1), sadd_hex(s, 40, u & 0xf, 1);
        sadd_hex(s, 40, (v >> 2) & 0xff, 2), sadd(s, 40, "-");
        sadd_hex(s, 40, v >> 16, 12);
    }
}

/* The tail of a line (timestamp on) goes to the body buffer; source and record id are
 * written after sorting. */
static void emit(gen *g, int src, uint32_t ts, uint32_t who, int walk_in, unsigned flags,
                 char cells[N_CELLS][CELL_CAP])
{
    if (g->n_recs == g->cap_recs) {
        g->cap_recs = g->cap_recs ? g->cap_recs * 2 : 1u << 16;
        g->recs = grow(g->recs, g->cap_recs * sizeof *g->recs);
    }
    record *rec = &g->recs[g->n_recs];
    rec->ts = ts;
    rec->seq = (uint32_t)g->n_recs;
    rec->who = who;
    rec->src = (uint8_t)src;
    rec->walk_in = (uint8_t)walk_in;
    rec->flags = (uint16_t)flags;
    rec->off = g->body.n;
    put_u64(&g->body, ts);
    for (int c = 0; c < N_CELLS; c++) {
        putc_(&g->body, ',');
        put_cell(&g->body, cells[c]);
    }
    putc_(&g->body, '\n');
    rec->len = (uint32_t)(g->body.n - rec->off);
    g->n_recs++;
    for (int f = 0; f < N_FLAGS; f++)
        if (flags & (1u << f)) g->flag_count[f]++;
}

/* ---------------------------------------------------------------------------------------- */
/* People                                                                                    */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    const device *tablet; /* family tablet, or NULL */
    phone landline;
    int c;
    uint32_t last;
} household;

typedef struct {
    uint32_t idx;
    uint32_t fn, ln;
    int c, store;
    int n_email;
    char email[3][80];
    uint32_t change[2]; /* email[k + 1] replaces email[k] at change[k] */
    int n_cust;
    char cust[2][16];
    int has_card;
    char card[16];
    int n_phone;
    phone ph[2];
    int hh_landline; /* ph[0] is the household landline */
    int n_dev;
    device dev[2];
    const device *tablet;
    int heavy, household;
} person;

static uint32_t random_ts(prng *r, uint32_t lo)
{
    if (lo < T_BEGIN) lo = T_BEGIN;
    if (lo >= T_END - 1) lo = T_END - 2;
    return between(r, lo, T_END - 1);
}

static int random_city(prng *r)
{
    unsigned w[N_CITY];
    for (int i = 0; i < N_CITY; i++) w[i] = CITY[i].weight;
    return pick(r, w, N_CITY);
}

static void make_email(gen *g, person *p, int k)
{
    prng *r = &g->r;
    const char *f = FIRST[p->fn].ascii, *l = LAST[p->ln];
    uint64_t u = affine_at(&g->mail_map, (uint64_t)p->idx * 3 + (uint64_t)k);
    char *e = p->email[k];
    e[0] = '\0';
    switch (below(r, 6)) {
    case 0: sadd(e, 80, f), sadd(e, 80, "."), sadd(e, 80, l); break;
    case 1: sadd(e, 80, f), sadd(e, 80, "_"), sadd(e, 80, l); break;
    case 2: sadd_n(e, 80, f, 1), sadd(e, 80, "."), sadd(e, 80, l); break;
    case 3: sadd(e, 80, l), sadd(e, 80, "."), sadd(e, 80, f); break;
    case 4: sadd(e, 80, f); break;
    default: sadd(e, 80, f), sadd(e, 80, "."), sadd(e, 80, l), sadd(e, 80, "."); break;
    }
    /* The trailing number is unique per address, so addresses never collide, also not after
     * provider rules (Gmail dots) are applied. */
    sadd_u64(e, 80, u, 0);
    sadd(e, 80, "@");
    sadd(e, 80, DOMAIN[pick(r, DOMAIN_W, (int)(sizeof DOMAIN_W / sizeof DOMAIN_W[0]))]);
}

/* The address in use at time ts. */
static int email_at(const person *p, uint32_t ts)
{
    int k = 0;
    while (k + 1 < p->n_email && ts >= p->change[k]) k++;
    return k;
}

/* An e-mail as some system wrote it; returns F_EMAIL_NOISE when it differs from the clean
 * address. */
static unsigned write_email(prng *r, const char *e, char *out, size_t cap)
{
    unsigned noisy = 0;
    char v[96];
    sset(v, sizeof v, e);
    static const unsigned w[] = {74, 12, 6, 8};
    switch (pick(r, w, 4)) {
    case 1:
        if (v[0] >= 'a' && v[0] <= 'z') v[0] = (char)(v[0] - 32), noisy = F_EMAIL_NOISE;
        for (char *s = v; *s && *s != '@'; s++)
            if ((*s == '.' || *s == '_') && s[1] >= 'a' && s[1] <= 'z') s[1] = (char)(s[1] - 32);
        break;
    case 2:
        for (char *s = v; *s; s++)
            if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 32);
        noisy = F_EMAIL_NOISE;
        break;
    case 3:
        for (char *s = strchr(v, '@'); s && *s; s++)
            if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 32);
        noisy = F_EMAIL_NOISE;
        break;
    default: break;
    }
    out[0] = '\0';
    if (chance(r, 0.04)) {
        static const char *const pad[] = {" ", "  ", "\t"};
        int where = (int)below(r, 3); /* before, after, both */
        const char *s = pad[below(r, 3)];
        if (where != 1) sadd(out, cap, s);
        sadd(out, cap, v);
        if (where != 0) sadd(out, cap, " ");
        noisy = F_EMAIL_NOISE;
    } else {
        sadd(out, cap, v);
    }
    return noisy;
}

/* A personal phone written into a cell; returns the phenomenon bits. */
static unsigned write_phone(prng *r, const person *p, int k, char *out)
{
    phone_write(r, &p->ph[k], out, CELL_CAP);
    unsigned f = p->ph[k].kind == PH_DE ? F_PHONE_DE : F_PHONE_INTL;
    if (k == 0 && p->hh_landline) f |= F_HH_PHONE;
    return f;
}

static int pick_phone(prng *r, const person *p)
{
    if (p->n_phone < 2) return 0;
    return chance(r, p->hh_landline ? 0.6 : 0.5) ? 0 : 1;
}

static void clear_cells(char cells[N_CELLS][CELL_CAP])
{
    for (int c = 0; c < N_CELLS; c++) cells[c][0] = '\0';
}

/* Placeholder junk in one identifier cell of the record's source. */
static void add_junk(prng *r, int src, char cells[N_CELLS][CELL_CAP])
{
    static const int crm[] = {C_CUSTOMER, C_LOYALTY, C_EMAIL, C_EMAIL, C_PHONE, C_PHONE};
    static const int web[] = {C_ANON, C_ANON, C_DEVICE, C_CUSTOMER, C_EMAIL};
    static const int pos[] = {C_LOYALTY, C_EMAIL, C_EMAIL, C_PHONE, C_PHONE};
    static const char *const j_email[] = {"test@test.com", "noemail@example.com", "n/a", "null"};
    static const char *const j_phone[] = {"0000000000", "n/a", "-1", "null"};
    static const char *const j_id[] = {"-1", "null", "n/a"};
    static const char *const j_anon[] = {"anonymous", "null", "-1"};
    int col;
    if (src == SRC_CRM) col = crm[below(r, 6)];
    else if (src == SRC_WEB) col = web[below(r, 5)];
    else if (src == SRC_POS) col = pos[below(r, 5)];
    else col = C_EMAIL;
    const char *junk;
    switch (col) {
    case C_EMAIL: junk = j_email[below(r, 4)]; break;
    case C_PHONE: junk = j_phone[below(r, 4)]; break;
    case C_ANON:
    case C_DEVICE: junk = j_anon[below(r, 3)]; break;
    default: junk = j_id[below(r, 3)]; break;
    }
    char *cell = cells[col];
    if (cell[0] == '\0' || chance(r, 0.5)) {
        sset(cell, CELL_CAP, junk);
    } else {
        sadd(cell, CELL_CAP, "|");
        sadd(cell, CELL_CAP, junk);
    }
}

static void finish(gen *g, int src, uint32_t ts, const person *p, unsigned flags,
                   char cells[N_CELLS][CELL_CAP])
{
    if (p->heavy) flags |= F_HEAVY;
    if (p->household) flags |= F_HOUSEHOLD;
    if (chance(&g->r, 0.01)) {
        add_junk(&g->r, src, cells);
        flags |= F_JUNK;
    }
    emit(g, src, ts, p->idx, 0, flags, cells);
}

static void crm_row(gen *g, const person *p, int account, char cells[N_CELLS][CELL_CAP])
{
    prng *r = &g->r;
    unsigned flags = account == 1 ? F_DUP_CRM : 0;
    int newest = p->n_email - 1;
    uint32_t ts = random_ts(r, newest > 0 ? p->change[newest - 1] : T_BEGIN);
    clear_cells(cells);
    sset(cells[C_CUSTOMER], CELL_CAP, p->cust[account]);
    if (account == 0 && newest > 0 && chance(r, 0.35)) {
        flags |= F_OLD_NEW | F_OLD_EMAIL;
        flags |= write_email(r, p->email[newest - 1], cells[C_EMAIL], CELL_CAP);
        char tmp[CELL_CAP];
        flags |= write_email(r, p->email[newest], tmp, sizeof tmp);
        sadd(cells[C_EMAIL], CELL_CAP, "|");
        sadd(cells[C_EMAIL], CELL_CAP, tmp);
    } else if (p->n_cust == 2 || chance(r, 0.95)) {
        flags |= write_email(r, p->email[newest], cells[C_EMAIL], CELL_CAP);
    }
    if (p->n_phone > 0 && (account == 1 || p->n_cust == 2 || chance(r, 0.75))) {
        int k = p->n_cust == 2 ? 0 : pick_phone(r, p);
        flags |= write_phone(r, p, k, cells[C_PHONE]);
    }
    if (account == 0 && p->has_card && chance(r, 0.6)) sset(cells[C_LOYALTY], CELL_CAP, p->card);
    sset(cells[C_FIRST], CELL_CAP, FIRST[p->fn].shown);
    sset(cells[C_CITY], CELL_CAP, CITY[p->c].name);
    finish(g, SRC_CRM, ts, p, flags, cells);
}

static void web_row(gen *g, const person *p, char cells[N_CELLS][CELL_CAP])
{
    prng *r = &g->r;
    unsigned flags = 0;
    uint32_t ts = random_ts(r, T_BEGIN);
    int account = p->n_cust > 0;
    const device *d;
    int type; /* 0 anonymous, 1 logged in, 2 newsletter form */
    clear_cells(cells);
    if (account && chance(r, 0.02)) {
        d = &g->public_dev[below(r, N_PUBLIC)];
        type = 1;
        flags |= F_PUBLIC;
    } else {
        if (p->tablet != NULL && chance(r, 0.5)) {
            d = p->tablet;
            flags |= F_HH_TABLET;
        } else {
            d = &p->dev[below(r, (uint32_t)p->n_dev)];
        }
        double u = unit(r);
        if (account) type = u < 0.45 ? 1 : u < 0.53 ? 2 : 0;
        else type = u < 0.15 ? 2 : 0;
    }
    sset(cells[C_ANON], CELL_CAP, d->cookie[below(r, (uint32_t)d->n_cookie)]);
    if (type == 0) {
        flags |= F_ANON_WEB;
    } else {
        sset(cells[C_DEVICE], CELL_CAP, d->id);
        if (type == 1) {
            int k = p->n_cust == 2 && chance(r, 0.3) ? 1 : 0;
            sset(cells[C_CUSTOMER], CELL_CAP, p->cust[k]);
        } else {
            int k = email_at(p, ts);
            if (k != p->n_email - 1) flags |= F_OLD_EMAIL;
            flags |= write_email(r, p->email[k], cells[C_EMAIL], CELL_CAP);
        }
    }
    if (chance(r, 0.4)) sset(cells[C_CITY], CELL_CAP, CITY[p->c].name);
    finish(g, SRC_WEB, ts, p, flags, cells);
}

static void email_row(gen *g, const person *p, char cells[N_CELLS][CELL_CAP])
{
    prng *r = &g->r;
    unsigned flags = 0;
    uint32_t ts = random_ts(r, T_BEGIN);
    int k = chance(r, 0.6) ? 0 : email_at(p, ts);
    if (k != p->n_email - 1) flags |= F_OLD_EMAIL;
    clear_cells(cells);
    flags |= write_email(r, p->email[k], cells[C_EMAIL], CELL_CAP);
    if (chance(r, 0.5)) sset(cells[C_FIRST], CELL_CAP, FIRST[p->fn].shown);
    finish(g, SRC_EMAIL, ts, p, flags, cells);
}

static void pos_row(gen *g, const person *p, char cells[N_CELLS][CELL_CAP])
{
    prng *r = &g->r;
    unsigned flags = 0;
    uint32_t ts = random_ts(r, T_BEGIN);
    int s = chance(r, 0.85) ? p->store : (int)below(r, (uint32_t)g->n_stores);
    clear_cells(cells);
    sset(cells[C_CITY], CELL_CAP, CITY[g->stores[s].c].name);
    /* order total in cents: mostly small baskets, some large */
    uint32_t cents = chance(r, 0.85) ? between(r, 199, 6000) : between(r, 6000, 45000);
    sadd_u64(cells[C_TOTAL], CELL_CAP, cents / 100, 0);
    sadd(cells[C_TOTAL], CELL_CAP, ".");
    sadd_u64(cells[C_TOTAL], CELL_CAP, cents % 100, 2);

    if (chance(r, 0.03)) {
        /* typed with the store's own phone */
        phone_write(r, &g->stores[s].ph, cells[C_PHONE], CELL_CAP);
        flags |= F_STORE_PHONE | F_PHONE_DE;
        if (p->has_card) {
            sset(cells[C_LOYALTY], CELL_CAP, p->card);
            finish(g, SRC_POS, ts, p, flags, cells);
        } else {
            flags |= F_WALK_IN;
            if (chance(r, 0.01)) {
                add_junk(r, SRC_POS, cells);
                flags |= F_JUNK;
            }
            emit(g, SRC_POS, ts, g->walk_ins++, 1, flags, cells);
        }
        return;
    }
    int card = p->has_card && chance(r, 0.9);
    int tel = p->n_phone > 0 && chance(r, p->has_card ? 0.3 : 0.85);
    int mail = chance(r, 0.1);
    if (!card && !tel && !mail) {
        if (p->has_card) card = 1;
        else if (p->n_phone > 0) tel = 1;
        else mail = 1;
    }
    if (card) sset(cells[C_LOYALTY], CELL_CAP, p->card);
    if (tel) flags |= write_phone(r, p, pick_phone(r, p), cells[C_PHONE]);
    if (mail) {
        int k = email_at(p, ts);
        if (k != p->n_email - 1) flags |= F_OLD_EMAIL;
        flags |= write_email(r, p->email[k], cells[C_EMAIL], CELL_CAP);
    }
    finish(g, SRC_POS, ts, p, flags, cells);
}

static int popcount4(unsigned m)
{
    return (int)((m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1) + ((m >> 3) & 1));
}

static void make_person(gen *g, uint32_t idx, const household *h)
{
    prng *r = &g->r;
    person p;
    memset(&p, 0, sizeof p);
    p.idx = idx;
    p.fn = below(r, N_FIRST);

    /* how many records, in which systems */
    static const unsigned rw[] = {12, 27, 27, 16, 8, 5, 3, 2};
    p.heavy = chance(r, 0.007);
    int n = p.heavy ? (int)between(r, 20, 60) : pick(r, rw, 8) + 1;
    unsigned sys;
    if (n == 1 || chance(r, p.heavy ? 0.2 : 0.035)) {
        static const unsigned sw[] = {10, 25, 30, 35};
        sys = p.heavy ? 1u << SRC_POS : 1u << pick(r, sw, 4);
        if (sys == 1u << SRC_CRM) n = 1;
        g->single_system++;
    } else {
        static const double sp[N_SRC] = {0.55, 0.55, 0.50, 0.60};
        do {
            sys = 0;
            for (int s = 0; s < N_SRC; s++)
                if (chance(r, sp[s])) sys |= 1u << s;
            if (p.heavy) sys |= 1u << SRC_POS;
        } while (popcount4(sys) < 2);
        while (popcount4(sys) > n) {
            int s = (int)below(r, N_SRC);
            if (p.heavy && s == SRC_POS) continue;
            sys &= ~(1u << s);
        }
    }
    int count[N_SRC] = {0, 0, 0, 0};
    int left = n;
    for (int s = 0; s < N_SRC; s++)
        if (sys & (1u << s)) count[s] = 1, left--;
    if (sys != 1u << SRC_CRM) {
        unsigned w[N_SRC] = {0, 4, 3, 4};
        if (p.heavy) w[SRC_WEB] = 2, w[SRC_EMAIL] = 2, w[SRC_POS] = 16;
        for (int s = 1; s < N_SRC; s++)
            if (!(sys & (1u << s))) w[s] = 0;
        for (; left > 0; left--) count[pick(r, w, N_SRC)]++;
    }
    int dup = (sys & (1u << SRC_CRM)) && chance(r, 0.038);

    /* who they are */
    if (h != NULL) {
        p.ln = h->last;
        p.c = h->c;
        p.household = 1;
        p.tablet = h->tablet;
        g->household_people++;
    } else {
        p.ln = below(r, N_LAST);
        p.c = random_city(r);
    }
    static const unsigned ew[] = {78, 17, 5};
    p.n_email = pick(r, ew, 3) + 1;
    if (p.n_email > 1) g->changed_people++;
    for (int k = 0; k < p.n_email; k++) make_email(g, &p, k);
    for (int k = 0; k + 1 < p.n_email; k++) p.change[k] = random_ts(r, T_BEGIN + 86400 * 30);
    if (p.n_email == 3 && p.change[0] > p.change[1]) {
        uint32_t t = p.change[0];
        p.change[0] = p.change[1], p.change[1] = t;
    }
    if (sys & (1u << SRC_CRM)) {
        p.n_cust = 1 + dup;
        for (int k = 0; k < p.n_cust; k++) {
            uint64_t x = k == 0 ? idx : (uint64_t)g->people + g->dup_count++;
            sset(p.cust[k], 16, "C");
            sadd_u64(p.cust[k], 16, affine_at(&g->cust_map, x), 8);
        }
        if (dup) g->dup_people++;
    }
    if (sys & (1u << SRC_POS)) {
        p.has_card = chance(r, p.heavy ? 0.95 : 0.70);
        sset(p.card, 16, "L");
        sadd_u64(p.card, 16, affine_at(&g->card_map, idx), 10);
    }
    if (h != NULL) {
        p.ph[0] = h->landline;
        p.hh_landline = 1;
        p.n_phone = 1;
        if (chance(r, 0.55)) p.ph[p.n_phone++] = phone_de_mobile(g, r);
    } else if (chance(r, 0.0325)) {
        p.ph[p.n_phone++] = phone_foreign(g, r);
        g->intl_people++;
    } else if (dup || (p.heavy && !p.has_card) || chance(r, 0.78)) {
        p.ph[p.n_phone++] = chance(r, 0.6) ? phone_de_mobile(g, r) : phone_de_landline(g, r, p.c);
    }
    if (sys & (1u << SRC_WEB)) {
        p.n_dev = chance(r, 0.7) ? 1 : 2;
        for (int k = 0; k < p.n_dev; k++) make_device(g, &p.dev[k], chance(r, 0.1) ? 2 : 1);
    }
    /* home store: one in their city when there is one */
    p.store = (int)below(r, (uint32_t)g->n_stores);
    {
        int here[N_STORES], nh = 0;
        for (int s = 0; s < g->n_stores; s++)
            if (g->stores[s].c == p.c) here[nh++] = s;
        if (nh > 0) p.store = here[below(r, (uint32_t)nh)];
    }
    if (p.heavy) g->heavy_people++;

    /* the records */
    char cells[N_CELLS][CELL_CAP];
    if (count[SRC_CRM]) {
        crm_row(g, &p, 0, cells);
        if (dup) crm_row(g, &p, 1, cells);
    }
    for (int i = 0; i < count[SRC_WEB]; i++) web_row(g, &p, cells);
    for (int i = 0; i < count[SRC_EMAIL]; i++) email_row(g, &p, cells);
    for (int i = 0; i < count[SRC_POS]; i++) pos_row(g, &p, cells);
}

/* ---------------------------------------------------------------------------------------- */
/* Output                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
    const record *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void write_files(gen *g, const char *data_path, const char *truth_path)
{
    FILE *data = fopen(data_path, "wb");
    if (data == NULL) {
        fprintf(stderr, "gen_truth: cannot open %s: %s\n", data_path, strerror(errno));
        exit(1);
    }
    FILE *truth = fopen(truth_path, "wb");
    if (truth == NULL) {
        fprintf(stderr, "gen_truth: cannot open %s: %s\n", truth_path, strerror(errno));
        exit(1);
    }
    qsort(g->recs, g->n_recs, sizeof *g->recs, by_time);
    bytes d = {NULL, 0, 0}, t = {NULL, 0, 0};
    puts_(&d, "source,record_id,timestamp,customer_id,loyalty_id,email,phone,anonymous_id,"
              "device_id,first_name,city,order_total\n");
    puts_(&t, "source,record_id,person\n");
    uint64_t next_id[N_SRC] = {1, 1, 1, 1};
    for (size_t i = 0; i < g->n_recs; i++) {
        const record *rec = &g->recs[i];
        char id[32] = "";
        sadd(id, sizeof id, SRC_PREFIX[rec->src]);
        sadd_u64(id, sizeof id, next_id[rec->src]++, 7);
        puts_(&d, SRC_NAME[rec->src]);
        putc_(&d, ',');
        puts_(&d, id);
        putc_(&d, ',');
        put(&d, g->body.p + rec->off, rec->len);
        puts_(&t, SRC_NAME[rec->src]);
        putc_(&t, ',');
        puts_(&t, id);
        puts_(&t, rec->walk_in ? ",w" : ",p");
        put_u64(&t, rec->who);
        putc_(&t, '\n');
        if (d.n >= 1u << 20 || i + 1 == g->n_recs) {
            if (fwrite(d.p, 1, d.n, data) != d.n) die("cannot write the data file");
            d.n = 0;
        }
        if (t.n >= 1u << 20 || i + 1 == g->n_recs) {
            if (fwrite(t.p, 1, t.n, truth) != t.n) die("cannot write the truth file");
            t.n = 0;
        }
    }
    if (d.n && fwrite(d.p, 1, d.n, data) != d.n) die("cannot write the data file");
    if (t.n && fwrite(t.p, 1, t.n, truth) != t.n) die("cannot write the truth file");
    if (fclose(data) != 0) die("cannot write the data file");
    if (fclose(truth) != 0) die("cannot write the truth file");
    free(d.p);
    free(t.p);
}

/* ---------------------------------------------------------------------------------------- */
/* Main                                                                                      */
/* ---------------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: gen_truth [--people N] [--seed S] --out DATA.csv --truth TRUTH.csv\n");
    exit(2);
}

static uint64_t parse_u64(const char *s, uint64_t max)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') usage();
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) usage();
    return (uint64_t)v;
}

int main(int argc, char **argv)
{
    uint64_t people = 100000, seed = 1;
    const char *out = NULL, *truth = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--people") == 0) people = parse_u64(argv[++i], MAX_PEOPLE);
        else if (strcmp(argv[i], "--seed") == 0) seed = parse_u64(argv[++i], UINT64_MAX);
        else if (strcmp(argv[i], "--out") == 0) out = argv[++i];
        else if (strcmp(argv[i], "--truth") == 0) truth = argv[++i];
        else usage();
    }
    if (out == NULL || truth == NULL || people == 0) usage();

    static gen g; /* large; zero-initialised */
    g.r.state = mix(seed ^ UINT64_C(0x5cb2a1e7d3f94c61));
    g.people = (uint32_t)people;
    g.id_salt = next64(&g.r);
    g.cust_map = affine_make(100000000u, 73939133u, next64(&g.r));
    g.card_map = affine_make(UINT64_C(10000000000), 999999937u, next64(&g.r));
    g.mail_map = affine_make(people * 3, people * 3 * 618 / 1000 + 1, next64(&g.r));

    for (int c = 0; c < N_CITY; c++) {
        for (unsigned k = 0; k < CITY[c].stores && g.n_stores < N_STORES; k++) {
            g.stores[g.n_stores].c = c;
            g.stores[g.n_stores].ph = phone_de_landline(&g, &g.r, c);
            g.n_stores++;
        }
    }
    for (int k = 0; k < N_PUBLIC; k++) make_device(&g, &g.public_dev[k], 1);

    for (uint32_t idx = 0; idx < g.people;) {
        if (g.people - idx >= 2 && chance(&g.r, 0.028)) {
            household h;
            device tablet;
            uint32_t size = between(&g.r, 2, 4);
            if (size > g.people - idx) size = g.people - idx;
            h.last = below(&g.r, N_LAST);
            h.c = random_city(&g.r);
            h.landline = phone_de_landline(&g, &g.r, h.c);
            h.tablet = NULL;
            if (chance(&g.r, 0.4)) {
                make_device(&g, &tablet, 1);
                h.tablet = &tablet;
            }
            for (uint32_t m = 0; m < size; m++) make_person(&g, idx++, &h);
        } else {
            make_person(&g, idx++, NULL);
        }
    }

    write_files(&g, out, truth);

    fprintf(stderr,
            "gen_truth: people=%lu records=%lu walk_ins=%lu people_single_system=%lu "
            "people_heavy=%lu people_household=%lu people_dup_crm=%lu people_intl_phone=%lu "
            "people_changed_email=%lu records:",
            (unsigned long)g.people, (unsigned long)g.n_recs, (unsigned long)g.walk_ins,
            (unsigned long)g.single_system, (unsigned long)g.heavy_people,
            (unsigned long)g.household_people, (unsigned long)g.dup_people,
            (unsigned long)g.intl_people, (unsigned long)g.changed_people);
    for (int f = 0; f < N_FLAGS; f++)
        fprintf(stderr, " %s=%lu", FLAG_NAME[f], (unsigned long)g.flag_count[f]);
    fprintf(stderr, "\n");
    free(g.recs);
    free(g.body.p);
    free(g.phones.slot);
    return 0;
}
