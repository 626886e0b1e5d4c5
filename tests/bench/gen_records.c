/* gen_records.c — writes a large, messy, deterministic CSV of customer records for benchmarks.
 *
 *   gen_records [--records N] [--seed S] [--truth FILE] [--out FILE]
 *
 * Defaults: N = 1000000, S = 1, output on stdout. The same (N, S) always gives the same bytes.
 * Columns (the scv program's CSV contract: identifier columns are named after kinds, the rest
 * are traits, order_total is meant for --measure):
 *
 *   source,record_id,timestamp,email,phone,customer_id,anonymous_id,loyalty_id,first_name,city,
 *   order_total
 *
 * About N/3 people. Every record belongs to one person and carries 1-3 of that person's
 * identifiers (e-mails, phone, customer id, cookies, loyalty card) written the way real exports
 * write them: e-mails in mixed case with stray spaces, two e-mails in one cell joined by '|',
 * phones as `030 23456781`, `+49 30 23456781`, `0049...`, `(030) 234-56781`, `030/...`,
 * `+49 (0)30 ...`, a few British and US numbers written internationally. About 0.5% of the
 * records also carry junk: `test@test.com`, `n/a`, or one of 20 store phones typed at a till,
 * so that a plain union-find forms bounded blobs instead of one giant component. One person in
 * a hundred is a regular with about ten times the records of the others (a heavy tail).
 *
 * Identifier values never collide between people by accident: customer ids, loyalty cards and
 * phone subscriber numbers come from bijections of the person index, e-mails embed it, cookies
 * are 122 random bits. German numbers are area code (2-3 digits) or mobile prefix (3 digits)
 * plus an 8-digit subscriber number starting with 2-9 (national significant number of 10-11
 * digits) without long runs of one digit or of consecutive digits. The guarantee holds for
 * N up to about 50 million records.
 *
 * --truth FILE writes `source,record_id,person` for every record (person ids `p<index>`).
 * Nothing is printed on stdout except the CSV when --out is not given; errors go to stderr.
 *
 * Plain C99 and libc. Build: cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror gen_records.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Random numbers: splitmix64 (Steele, Lea, Flood), a stream and a hash in one.              */
/* ---------------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

/* Uniform in [0, n), n > 0 (multiply-shift on the high 32 bits; bias below 2^-32 * n). */
static uint32_t rng_below(rng *r, uint32_t n) {
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability pct/1000. */
static int rng_permille(rng *r, uint32_t pct) {
    return rng_below(r, 1000) < pct;
}

/* ---------------------------------------------------------------------------------------- */
/* Tables                                                                                    */
/* ---------------------------------------------------------------------------------------- */

typedef struct name {
    const char *display; /* UTF-8, as written in the first_name column */
    const char *ascii;   /* lower-case transliteration, as used in e-mail addresses */
} name;

static const name FIRST[] = {
    {"Anna", "anna"},       {"Lena", "lena"},           {"Sophie", "sophie"},
    {"Marie", "marie"},     {"Laura", "laura"},         {"Julia", "julia"},
    {"Hannah", "hannah"},   {"Lea", "lea"},             {"Katharina", "katharina"},
    {"Clara", "clara"},     {"Franziska", "franziska"}, {"Paula", "paula"},
    {"Charlotte", "charlotte"}, {"Emilia", "emilia"},   {"Mia", "mia"},
    {"Jördis", "joerdis"},  {"Zoë", "zoe"},             {"Renée", "renee"},
    {"Chloé", "chloe"},     {"Dörte", "doerte"},        {"Merle", "merle"},
    {"Wiebke", "wiebke"},   {"Elif", "elif"},           {"Ayşe", "ayse"},
    {"Lukas", "lukas"},     {"Jonas", "jonas"},         {"Felix", "felix"},
    {"Paul", "paul"},       {"Niklas", "niklas"},       {"Matthias", "matthias"},
    {"Stefan", "stefan"},   {"Jürgen", "juergen"},      {"Björn", "bjoern"},
    {"Sören", "soeren"},    {"Malte", "malte"},         {"Timo", "timo"},
    {"Florian", "florian"}, {"André", "andre"},         {"José", "jose"},
    {"Luca", "luca"},       {"Moritz", "moritz"},       {"Till", "till"},
    {"Henning", "henning"}, {"Emre", "emre"},           {"Rüdiger", "ruediger"},
    {"Ole", "ole"},         {"Mats", "mats"},           {"Arne", "arne"},
};
#define N_FIRST (sizeof FIRST / sizeof FIRST[0])

/* Last names only feed e-mail local parts (the CSV has no last_name column). */
static const char *const LAST[] = {
    "mueller",  "schmidt", "schneider", "fischer", "weber",    "meyer",    "wagner",
    "becker",   "schulz",  "hoffmann",  "schaefer", "koch",    "bauer",    "richter",
    "klein",    "wolf",    "schroeder", "neumann", "schwarz",  "zimmermann", "braun",
    "krueger",  "hofmann", "hartmann",  "lange",   "schmitt",  "werner",   "krause",
    "meier",    "lehmann", "koehler",   "jaeger",  "gross",    "weiss",    "boehm",
    "kuehn",    "vogt",    "brandt",    "haas",    "oeztuerk", "nowak",    "kowalski",
    "dubois",   "vandijk", "devries",   "garcia",  "rossi",    "jansen",   "petersen",
    "sommerfeld", "gruenewald", "hansen", "voss",  "lorenz",   "engel",    "seidel",
};
#define N_LAST (sizeof LAST / sizeof LAST[0])

typedef struct city {
    const char *name; /* UTF-8 */
    const char *area; /* German area code without trunk prefix, 2-3 digits */
    const char *district; /* a district for the occasional "City, District" value, or NULL */
    unsigned weight;
} city;

static const city CITIES[] = {
    {"Berlin", "30", "Mitte", 22},
    {"Hamburg", "40", "Altona", 12},
    {"München", "89", "Schwabing", 10},
    {"Köln", "221", "Ehrenfeld", 8},
    {"Frankfurt am Main", "69", "Bockenheim", 7},
    {"Stuttgart", "711", NULL, 5},
    {"Düsseldorf", "211", NULL, 5},
    {"Leipzig", "341", NULL, 4},
    {"Dresden", "351", NULL, 4},
    {"Hannover", "511", NULL, 4},
    {"Nürnberg", "911", NULL, 4},
    {"Bremen", "421", NULL, 3},
    {"Essen", "201", NULL, 3},
    {"Dortmund", "231", NULL, 3},
    {"Bonn", "228", NULL, 2},
    {"Mannheim", "621", NULL, 2},
    {"Freiburg im Breisgau", "761", NULL, 2},
    {"Münster", "251", NULL, 2},
    {"Lübeck", "451", NULL, 2},
    {"Kiel", "431", NULL, 2},
};
#define N_CITIES (sizeof CITIES / sizeof CITIES[0])

static const char *const MOBILE_PREFIX[] = {"151", "152", "157", "159", "176", "179"};
#define N_MOBILE (sizeof MOBILE_PREFIX / sizeof MOBILE_PREFIX[0])

static const char *const DOMAINS[] = {
    "gmx.de",     "gmx.de",       "web.de",     "web.de",      "gmail.com", "gmail.com",
    "gmail.com",  "t-online.de",  "outlook.de", "posteo.de",   "icloud.com", "yahoo.de",
    "mailbox.org", "hotmail.com", "freenet.de", "googlemail.com",
};
#define N_DOMAINS (sizeof DOMAINS / sizeof DOMAINS[0])

static const char *const WORK_DOMAINS[] = {"firma-example.de", "kanzlei-example.de",
                                           "agentur-example.de", "praxis-example.de"};
#define N_WORK (sizeof WORK_DOMAINS / sizeof WORK_DOMAINS[0])

/* 20 store phones a cashier types when the customer gives none (7-digit subscriber numbers,
 * so they never equal a person's number, which always has 8). */
typedef struct store {
    const char *code;
    const char *city;
    const char *phone; /* as typed */
} store;

static const store STORES[20] = {
    {"B01", "Berlin", "030 2312510"},       {"B02", "Berlin", "030/8826417"},
    {"B03", "Berlin", "+49 30 4415093"},    {"H01", "Hamburg", "040 6696920"},
    {"H02", "Hamburg", "040-3318207"},      {"M01", "München", "089 2187430"},
    {"M02", "München", "(089) 552-0916"},   {"K01", "Köln", "0221 4710200"},
    {"F01", "Frankfurt am Main", "069 9000930"}, {"S01", "Stuttgart", "0711 2290418"},
    {"D01", "Düsseldorf", "0211 8620374"},  {"L01", "Leipzig", "0341 9582106"},
    {"D02", "Dresden", "0351 4863902"},     {"N01", "Nürnberg", "0911 2370815"},
    {"H03", "Hannover", "0511 3681402"},    {"R01", "Bremen", "0421 3396028"},
    {"E01", "Essen", "0201 7248305"},       {"O01", "Dortmund", "0231 5640193"},
    {"C01", "Bonn", "0228 9082713"},        {"A01", "Mannheim", "0621 4820576"},
};

/* ---------------------------------------------------------------------------------------- */
/* Permutations of the person index (distinct people never share a number by accident)      */
/* ---------------------------------------------------------------------------------------- */

/* A keyed permutation of [0, m): a 4-round Feistel network on 2*half bits (2^(2*half) >= m),
 * cycle-walked until the value falls inside [0, m). x must be below m. */
static uint64_t perm(uint64_t x, uint64_t m, unsigned half, uint64_t key) {
    const uint64_t mask = (UINT64_C(1) << half) - 1;
    do {
        uint64_t l = x >> half, r = x & mask, t;
        unsigned round;
        for (round = 0; round < 4; round++) {
            t = l ^ (mix64(r ^ key ^ ((uint64_t)round << 56)) & mask);
            l = r;
            r = t;
        }
        x = (l << half) | r;
    } while (x >= m);
    return x;
}

#define SUB_M UINT64_C(80000000)   /* subscriber numbers 20000000..99999999 */
#define SUB_HALF 14u               /* 2^28 >= 80000000 */
#define CUST_M UINT64_C(900000000) /* customer ids 100000000..999999999 */
#define CUST_HALF 15u              /* 2^30 >= 900000000 */
#define LOY_M UINT64_C(900000000)  /* loyalty cards L100000000..L999999999 */

/* A subscriber number (8 digits, first 2-9) a normalizer will accept as a real number: no run
 * of 5 equal digits, no run of 6 consecutive ascending or descending digits. */
static int subscriber_ok(uint64_t s) {
    char d[9];
    int same = 1, up = 1, down = 1, i;
    for (i = 7; i >= 0; i--) {
        d[i] = (char)('0' + s % 10);
        s /= 10;
    }
    for (i = 1; i < 8; i++) {
        same = d[i] == d[i - 1] ? same + 1 : 1;
        up = d[i] == d[i - 1] + 1 ? up + 1 : 1;
        down = d[i] == d[i - 1] - 1 ? down + 1 : 1;
        if (same >= 5 || up >= 6 || down >= 6) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* People                                                                                    */
/* ---------------------------------------------------------------------------------------- */

enum { PH_NONE, PH_LANDLINE, PH_MOBILE, PH_GB, PH_US };

typedef struct person {
    uint64_t index;
    uint32_t first, last, city;
    uint32_t n_emails;         /* 1 or 2 */
    uint32_t email_style[2];
    uint32_t email_domain[2];  /* [1] indexes WORK_DOMAINS */
    int phone_kind;
    uint32_t mobile;           /* index in MOBILE_PREFIX */
    uint64_t subscriber;       /* 20000000..99999999 */
    int has_cust;
    uint64_t cust;
    uint32_t n_cookies;        /* 0..3 */
    uint64_t cookie[3][2];
    int has_loyalty;
    uint64_t loyalty;
} person;

typedef struct gen {
    uint64_t seed;
    uint64_t n_records;
    uint64_t n_persons;
    uint64_t sub_b, cust_b, loy_b;
    uint32_t city_total;
} gen;

static uint32_t pick_city(const gen *g, rng *r) {
    uint32_t x = rng_below(r, g->city_total), i;
    for (i = 0; i < N_CITIES; i++) {
        if (x < CITIES[i].weight) return i;
        x -= CITIES[i].weight;
    }
    return 0;
}

static void person_make(const gen *g, uint64_t p, person *out) {
    rng r;
    uint32_t i, x;
    r.s = mix64(g->seed ^ mix64(p + UINT64_C(0x632be59bd9b4e019)));
    memset(out, 0, sizeof *out);
    out->index = p;
    out->first = rng_below(&r, N_FIRST);
    out->last = rng_below(&r, N_LAST);
    out->city = pick_city(g, &r);
    out->n_emails = rng_permille(&r, 150) ? 2 : 1;
    out->email_style[0] = rng_below(&r, 5);
    out->email_style[1] = rng_below(&r, 3);
    out->email_domain[0] = rng_below(&r, N_DOMAINS);
    out->email_domain[1] = rng_below(&r, N_WORK);

    x = rng_below(&r, 1000);
    if (x < 150) out->phone_kind = PH_NONE;
    else if (x < 450) out->phone_kind = PH_LANDLINE;
    else if (x < 960) out->phone_kind = PH_MOBILE;
    else if (x < 985) out->phone_kind = PH_GB;
    else out->phone_kind = PH_US;
    out->mobile = rng_below(&r, N_MOBILE);
    {
        /* Cycle-walk over indices p, p + P, p + 2P, ... : distinct people always try distinct
         * indices, so they end on distinct subscriber numbers. */
        uint64_t j, s = 0;
        for (j = 0;; j++) {
            uint64_t idx = j * g->n_persons + p;
            if (j > 0 && idx >= SUB_M) break; /* only for absurd N: keep the last try */
            s = UINT64_C(20000000) + perm(idx % SUB_M, SUB_M, SUB_HALF, g->sub_b);
            if (subscriber_ok(s)) break;
        }
        out->subscriber = s;
    }
    out->has_cust = rng_permille(&r, 700);
    out->cust = UINT64_C(100000000) + perm(p % CUST_M, CUST_M, CUST_HALF, g->cust_b);
    x = rng_below(&r, 100);
    out->n_cookies = x < 35 ? 0 : x < 70 ? 1 : x < 90 ? 2 : 3;
    for (i = 0; i < 3; i++) {
        out->cookie[i][0] = rng_next(&r);
        out->cookie[i][1] = rng_next(&r);
    }
    out->has_loyalty = rng_permille(&r, 450);
    out->loyalty = UINT64_C(100000000) + perm(p % LOY_M, LOY_M, CUST_HALF, g->loy_b);
}

/* ---------------------------------------------------------------------------------------- */
/* Output buffer                                                                             */
/* ---------------------------------------------------------------------------------------- */

typedef struct obuf {
    FILE *f;
    const char *path;
    char *buf;
    size_t len, cap;
    int failed;
} obuf;

static void ob_flush(obuf *o) {
    if (o->len && !o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len) o->failed = errno ? errno : EIO;
    o->len = 0;
}

static void ob_mem(obuf *o, const char *s, size_t n) {
    if (o->len + n > o->cap) ob_flush(o);
    memcpy(o->buf + o->len, s, n); /* n is always far below cap */
    o->len += n;
}

static void ob_str(obuf *o, const char *s) {
    ob_mem(o, s, strlen(s));
}

static void ob_chr(obuf *o, char c) {
    if (o->len + 1 > o->cap) ob_flush(o);
    o->buf[o->len++] = c;
}

/* Unsigned decimal, zero-padded to at least `width` digits. */
static void ob_u64(obuf *o, uint64_t v, int width) {
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width) t[n++] = '0';
    while (n) ob_chr(o, t[--n]);
}

/* A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
static void ob_field(obuf *o, const char *s, size_t n) {
    size_t i;
    int q = 0;
    for (i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') q = 1;
    if (!q) {
        ob_mem(o, s, n);
        return;
    }
    ob_chr(o, '"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"') ob_chr(o, '"');
        ob_chr(o, s[i]);
    }
    ob_chr(o, '"');
}

/* ---------------------------------------------------------------------------------------- */
/* Formatting identifiers into a small scratch string                                        */
/* ---------------------------------------------------------------------------------------- */

typedef struct sbuf {
    char s[256];
    size_t n;
} sbuf;

static void sb_str(sbuf *b, const char *s) {
    size_t n = strlen(s);
    if (b->n + n >= sizeof b->s) n = sizeof b->s - 1 - b->n;
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_chr(sbuf *b, char c) {
    if (b->n + 1 < sizeof b->s) {
        b->s[b->n++] = c;
        b->s[b->n] = 0;
    }
}

static void sb_u64(sbuf *b, uint64_t v, int width) {
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width) t[n++] = '0';
    while (n) sb_chr(b, t[--n]);
}

/* Digits [from, to) of an 8-digit number. */
static void sb_digits(sbuf *b, uint64_t v8, int from, int to) {
    char d[9];
    int i;
    for (i = 7; i >= 0; i--) {
        d[i] = (char)('0' + v8 % 10);
        v8 /= 10;
    }
    for (i = from; i < to; i++) sb_chr(b, d[i]);
}

static void fmt_email(sbuf *b, const person *p, uint32_t which, rng *r) {
    sbuf e;
    const char *first = FIRST[p->first].ascii, *last = LAST[p->last];
    size_t i, at;
    uint32_t style;
    e.n = 0;
    e.s[0] = 0;
    if (which == 0) {
        switch (p->email_style[0]) {
        case 0: sb_str(&e, first); sb_chr(&e, '.'); sb_str(&e, last); break;
        case 1: sb_chr(&e, first[0]); sb_chr(&e, '.'); sb_str(&e, last); break;
        case 2: sb_str(&e, last); sb_chr(&e, '.'); sb_str(&e, first); break;
        case 3: sb_str(&e, first); sb_chr(&e, '_'); sb_str(&e, last); break;
        default: sb_str(&e, first); sb_str(&e, last); break;
        }
        sb_u64(&e, p->index, 1);
        sb_chr(&e, '@');
        sb_str(&e, DOMAINS[p->email_domain[0]]);
    } else {
        switch (p->email_style[1]) {
        case 0: sb_chr(&e, first[0]); sb_str(&e, last); break;
        case 1: sb_str(&e, first); sb_chr(&e, '.'); sb_str(&e, last); break;
        default: sb_str(&e, last); break;
        }
        sb_chr(&e, '.');
        sb_u64(&e, p->index, 1);
        sb_chr(&e, '@');
        sb_str(&e, WORK_DOMAINS[p->email_domain[1]]);
    }
    /* Case: 78% as is, 10% Capitalised parts, 6% upper-case domain, 6% all upper case. */
    style = rng_below(r, 100);
    at = (size_t)(strchr(e.s, '@') - e.s);
    if (style >= 78 && style < 88) {
        int start = 1;
        for (i = 0; i < at; i++) {
            char c = e.s[i];
            if (start && c >= 'a' && c <= 'z') e.s[i] = (char)(c - 32);
            start = c == '.' || c == '_';
        }
    } else if (style >= 88) {
        for (i = style >= 94 ? 0 : at; i < e.n; i++)
            if (e.s[i] >= 'a' && e.s[i] <= 'z') e.s[i] = (char)(e.s[i] - 32);
    }
    /* Stray spaces around 8% of the addresses. */
    style = rng_below(r, 100);
    if (style < 4) sb_chr(b, ' ');
    else if (style < 6) sb_str(b, "  ");
    sb_str(b, e.s);
    if (style >= 3 && style < 8) sb_chr(b, ' ');
}

static void fmt_phone(sbuf *b, const person *p, rng *r) {
    uint64_t s = p->subscriber;
    const char *area;
    uint32_t style = rng_below(r, 100);
    if (p->phone_kind == PH_GB) {
        sb_str(b, style < 70 ? "+44 20 " : "0044 20 ");
        sb_digits(b, s, 0, 4);
        sb_chr(b, ' ');
        sb_digits(b, s, 4, 8);
        return;
    }
    if (p->phone_kind == PH_US) {
        /* NANP: area code and exchange both start with 2-9. The subscriber's digits d0..d7
         * map one-to-one onto area d0 a 2, exchange e d2 d3, line d4..d7, where
         * (a, e) = (0, 5), (1, 5) or (2, d1) for d1 = 0, 1 or 2..9. */
        char area3[4], ex[2];
        uint32_t d1 = (uint32_t)(s / 1000000 % 10);
        area3[0] = (char)('0' + s / 10000000);
        area3[1] = (char)('0' + (d1 < 2 ? d1 : 2));
        area3[2] = '2';
        area3[3] = 0;
        ex[0] = (char)('0' + (d1 < 2 ? 5 : d1));
        ex[1] = 0;
        sb_str(b, style < 60 ? "+1 (" : "+1-");
        sb_str(b, area3);
        sb_str(b, style < 60 ? ") " : "-");
        sb_str(b, ex);
        sb_digits(b, s, 2, 4);
        sb_chr(b, '-');
        sb_digits(b, s, 4, 8);
        return;
    }
    area = p->phone_kind == PH_MOBILE ? MOBILE_PREFIX[p->mobile] : CITIES[p->city].area;
    if (style < 25) { /* 030 23456781 */
        sb_chr(b, '0'); sb_str(b, area); sb_chr(b, ' '); sb_digits(b, s, 0, 8);
    } else if (style < 45) { /* +49 30 23456781 */
        sb_str(b, "+49 "); sb_str(b, area); sb_chr(b, ' '); sb_digits(b, s, 0, 8);
    } else if (style < 55) { /* 00493023456781 */
        sb_str(b, "0049"); sb_str(b, area); sb_digits(b, s, 0, 8);
    } else if (style < 65) { /* (030) 234-56781 */
        sb_str(b, "(0"); sb_str(b, area); sb_str(b, ") ");
        sb_digits(b, s, 0, 3); sb_chr(b, '-'); sb_digits(b, s, 3, 8);
    } else if (style < 77) { /* 030/23456781 */
        sb_chr(b, '0'); sb_str(b, area); sb_chr(b, '/'); sb_digits(b, s, 0, 8);
    } else if (style < 85) { /* +49 (0)30 2345 6781 */
        sb_str(b, "+49 (0)"); sb_str(b, area); sb_chr(b, ' ');
        sb_digits(b, s, 0, 4); sb_chr(b, ' '); sb_digits(b, s, 4, 8);
    } else if (style < 93) { /* +493023456781 */
        sb_str(b, "+49"); sb_str(b, area); sb_digits(b, s, 0, 8);
    } else { /* 0049 (0)30 23 45 67 81 */
        sb_str(b, "0049 (0)"); sb_str(b, area);
        sb_chr(b, ' '); sb_digits(b, s, 0, 2); sb_chr(b, ' '); sb_digits(b, s, 2, 4);
        sb_chr(b, ' '); sb_digits(b, s, 4, 6); sb_chr(b, ' '); sb_digits(b, s, 6, 8);
    }
}

static void fmt_cookie(sbuf *b, const person *p, uint32_t k) {
    static const char HEX[] = "0123456789abcdef";
    uint64_t hi = p->cookie[k][0], lo = p->cookie[k][1];
    char u[37];
    int i, j = 0;
    hi = (hi & ~UINT64_C(0xf000)) | UINT64_C(0x4000);                /* version 4 */
    lo = (lo & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);           /* RFC 4122 variant */
    /* 8-4-4 from the high half, 4-12 from the low half */
    for (i = 15; i >= 0; i--) {
        u[j++] = HEX[(hi >> (4 * i)) & 15];
        if (j == 8 || j == 13 || j == 18) u[j++] = '-';
    }
    for (i = 15; i >= 0; i--) {
        u[j++] = HEX[(lo >> (4 * i)) & 15];
        if (j == 23) u[j++] = '-';
    }
    u[j] = 0;
    sb_str(b, u);
}

/* ---------------------------------------------------------------------------------------- */
/* Records                                                                                   */
/* ---------------------------------------------------------------------------------------- */

enum { SRC_CRM, SRC_WEB, SRC_EMAIL, SRC_POS };
static const char *const SRC_NAME[] = {"crm", "web", "email", "pos"};

enum { ID_EMAIL0, ID_EMAIL1, ID_PHONE, ID_CUST, ID_COOKIE, ID_LOYALTY, ID_COUNT };

enum { COL_EMAIL, COL_PHONE, COL_CUST, COL_ANON, COL_LOYALTY, COL_COUNT };

typedef struct row {
    sbuf col[COL_COUNT];
} row;

static void col_add(row *w, int c, const char *value) {
    if (w->col[c].n) sb_chr(&w->col[c], '|');
    sb_str(&w->col[c], value);
}

static void add_ident(row *w, const person *p, int id, uint32_t cookie, rng *r) {
    sbuf v;
    v.n = 0;
    v.s[0] = 0;
    switch (id) {
    case ID_EMAIL0:
    case ID_EMAIL1:
        fmt_email(&v, p, id == ID_EMAIL0 ? 0 : 1, r);
        col_add(w, COL_EMAIL, v.s);
        break;
    case ID_PHONE:
        fmt_phone(&v, p, r);
        col_add(w, COL_PHONE, v.s);
        break;
    case ID_CUST:
        if (rng_permille(r, 15)) sb_chr(&v, ' ');
        sb_u64(&v, p->cust, 1);
        if (rng_permille(r, 10)) sb_chr(&v, ' ');
        col_add(w, COL_CUST, v.s);
        break;
    case ID_COOKIE:
        fmt_cookie(&v, p, cookie);
        col_add(w, COL_ANON, v.s);
        break;
    case ID_LOYALTY:
        sb_chr(&v, rng_permille(r, 40) ? 'l' : 'L');
        sb_u64(&v, p->loyalty, 9);
        col_add(w, COL_LOYALTY, v.s);
        break;
    default:
        break;
    }
}

/* Which of the person's identifiers a record of this source may carry. */
static int eligible(const person *p, int src, int *ids) {
    int n = 0;
    switch (src) {
    case SRC_CRM:
        if (p->has_cust) ids[n++] = ID_CUST;
        ids[n++] = ID_EMAIL0;
        if (p->n_emails > 1) ids[n++] = ID_EMAIL1;
        if (p->phone_kind != PH_NONE) ids[n++] = ID_PHONE;
        if (p->has_loyalty) ids[n++] = ID_LOYALTY;
        break;
    case SRC_WEB:
        if (!p->n_cookies) return 0;
        ids[n++] = ID_COOKIE;
        if (p->has_cust) ids[n++] = ID_CUST;
        ids[n++] = ID_EMAIL0;
        break;
    case SRC_EMAIL:
        ids[n++] = ID_EMAIL0;
        if (p->n_emails > 1) ids[n++] = ID_EMAIL1;
        if (p->has_cust) ids[n++] = ID_CUST;
        break;
    default: /* POS */
        if (p->has_loyalty) ids[n++] = ID_LOYALTY;
        if (p->phone_kind != PH_NONE) ids[n++] = ID_PHONE;
        ids[n++] = ID_EMAIL0;
        break;
    }
    return n;
}

static int write_record(const gen *g, obuf *out, obuf *truth, uint64_t i, rng *r) {
    person p;
    row w;
    int ids[ID_COUNT], n, src, k, j, junk;
    uint64_t pi;
    uint32_t x, cookie;
    const store *st = NULL;
    char anchor_used[ID_COUNT];

    /* Whose record: one person in a hundred is a regular with ~10x the records. */
    if (rng_permille(r, 100) && g->n_persons >= 100) pi = rng_below(r, (uint32_t)(g->n_persons / 100)) * UINT64_C(100);
    else pi = rng_below(r, (uint32_t)g->n_persons);
    if (pi >= g->n_persons) pi = g->n_persons - 1;
    person_make(g, pi, &p);

    x = rng_below(r, 100);
    src = x < 15 ? SRC_CRM : x < 55 ? SRC_WEB : x < 75 ? SRC_EMAIL : SRC_POS;
    n = eligible(&p, src, ids);
    if (!n) {
        src = rng_permille(r, 500) ? SRC_EMAIL : SRC_POS;
        n = eligible(&p, src, ids);
    }

    memset(&w, 0, sizeof w);
    memset(anchor_used, 0, sizeof anchor_used);
    cookie = p.n_cookies ? rng_below(r, p.n_cookies) : 0;

    /* The anchor: the identifier this source always has. */
    switch (src) {
    case SRC_CRM: k = p.has_cust && rng_permille(r, 900) ? ID_CUST : ID_EMAIL0; break;
    case SRC_WEB: k = ID_COOKIE; break;
    case SRC_EMAIL: k = p.n_emails > 1 && rng_permille(r, 150) ? ID_EMAIL1 : ID_EMAIL0; break;
    default:
        k = p.has_loyalty && rng_permille(r, 800) ? ID_LOYALTY
            : p.phone_kind != PH_NONE && rng_permille(r, 600) ? ID_PHONE : ID_EMAIL0;
        break;
    }
    add_ident(&w, &p, k, cookie, r);
    anchor_used[k] = 1;

    /* 1-3 identifiers in all: 35% one, 45% two, 20% three. */
    x = rng_below(r, 100);
    k = x < 35 ? 0 : x < 80 ? 1 : 2;
    for (j = 0; j < k; j++) {
        int tries, id = -1;
        for (tries = 0; tries < 8; tries++) {
            int c = ids[rng_below(r, (uint32_t)n)];
            if (!anchor_used[c]) {
                id = c;
                break;
            }
        }
        if (id < 0) break;
        anchor_used[id] = 1;
        add_ident(&w, &p, id, cookie, r);
    }

    /* Junk on ~0.5% of the records, in a column the record does not use otherwise. */
    junk = rng_permille(r, 5);
    if (junk) {
        x = rng_below(r, 100);
        if (x < 45 && !w.col[COL_PHONE].n) {
            st = &STORES[rng_below(r, 20)];
            col_add(&w, COL_PHONE, st->phone);
        } else if (x < 80 && !w.col[COL_EMAIL].n) {
            col_add(&w, COL_EMAIL, rng_permille(r, 300) ? "Test@Test.com" : "test@test.com");
        } else if (!w.col[COL_CUST].n) {
            col_add(&w, COL_CUST, "n/a");
        } else if (!w.col[COL_PHONE].n) {
            col_add(&w, COL_PHONE, "n/a");
        } else if (!w.col[COL_EMAIL].n) {
            col_add(&w, COL_EMAIL, "n/a");
        }
    }

    /* source,record_id,timestamp */
    ob_str(out, SRC_NAME[src]);
    ob_chr(out, ',');
    {
        sbuf id;
        id.n = 0;
        id.s[0] = 0;
        switch (src) {
        case SRC_CRM: sb_str(&id, "C-"); sb_u64(&id, i + 1, 9); break;
        case SRC_WEB: {
            /* a bijection of i on 48 bits looks like a random event id and stays unique */
            uint64_t v = ((i + 1) * UINT64_C(0x9e3779b97f4b)) & UINT64_C(0xffffffffffff);
            v ^= v >> 24;
            v = (v * UINT64_C(0x5851f42d4c95)) & UINT64_C(0xffffffffffff);
            sb_str(&id, "evt_");
            {
                static const char HEX[] = "0123456789abcdef";
                int h;
                for (h = 11; h >= 0; h--) sb_chr(&id, HEX[(v >> (4 * h)) & 15]);
            }
            break;
        }
        case SRC_EMAIL: sb_str(&id, "E-"); sb_u64(&id, i + 1, 9); break;
        default:
            if (!st) st = &STORES[rng_below(r, 20)];
            sb_str(&id, st->code);
            sb_chr(&id, '-');
            sb_u64(&id, i + 1, 9);
            break;
        }
        ob_mem(out, id.s, id.n);
        if (truth) {
            ob_str(truth, SRC_NAME[src]);
            ob_chr(truth, ',');
            ob_mem(truth, id.s, id.n);
            ob_str(truth, ",p");
            ob_u64(truth, pi, 1);
            ob_chr(truth, '\n');
        }
    }
    ob_chr(out, ',');
    /* unix seconds in 2024-01-01T00:00:00Z .. 2025-12-31T23:59:59Z */
    ob_u64(out, UINT64_C(1704067200) + rng_below(r, UINT32_C(63158400)), 1);

    /* email,phone,customer_id,anonymous_id,loyalty_id */
    for (j = 0; j < COL_COUNT; j++) {
        ob_chr(out, ',');
        ob_field(out, w.col[j].s, w.col[j].n);
    }

    /* first_name,city,order_total */
    ob_chr(out, ',');
    if (src == SRC_CRM || (src == SRC_EMAIL && rng_permille(r, 700))) ob_str(out, FIRST[p.first].display);
    ob_chr(out, ',');
    if (src == SRC_CRM) {
        const city *c = &CITIES[p.city];
        if (c->district && rng_permille(r, 20)) {
            sbuf v;
            v.n = 0;
            v.s[0] = 0;
            sb_str(&v, c->name);
            sb_str(&v, ", ");
            sb_str(&v, c->district);
            ob_field(out, v.s, v.n);
        } else {
            ob_str(out, c->name);
        }
    } else if (src == SRC_POS) {
        ob_str(out, st->city);
    }
    ob_chr(out, ',');
    if (src == SRC_POS) {
        /* 1-4 items at catalogue prices, sometimes 20% off */
        static const uint32_t PRICE[] = {990, 1995, 2490, 2990, 3990, 4995, 5990,
                                         7990, 8990, 9900, 11900, 14990, 18900, 22900};
        uint32_t items = 1 + rng_below(r, 4), t;
        uint64_t cents = 0;
        for (t = 0; t < items; t++) cents += PRICE[rng_below(r, sizeof PRICE / sizeof PRICE[0])];
        if (rng_permille(r, 150)) cents = cents * 8 / 10;
        ob_u64(out, cents / 100, 1);
        ob_chr(out, '.');
        ob_u64(out, cents % 100, 2);
    }
    ob_chr(out, '\n');
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* main                                                                                      */
/* ---------------------------------------------------------------------------------------- */

static void usage(FILE *f) {
    fputs("usage: gen_records [--records N] [--seed S] [--truth FILE] [--out FILE]\n"
          "  --records N   number of records (default 1000000)\n"
          "  --seed S      64-bit seed (default 1); the same N and S give the same bytes\n"
          "  --truth FILE  also write source,record_id,person for every record\n"
          "  --out FILE    write the CSV here instead of stdout\n",
          f);
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v;
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int ob_open(obuf *o, const char *path, size_t cap) {
    memset(o, 0, sizeof *o);
    o->path = path ? path : "<stdout>";
    o->f = path ? fopen(path, "wb") : stdout;
    if (!o->f) {
        fprintf(stderr, "gen_records: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    o->buf = malloc(cap);
    if (!o->buf) {
        fprintf(stderr, "gen_records: out of memory\n");
        return -1;
    }
    o->cap = cap;
    return 0;
}

static int ob_close(obuf *o) {
    int rc = 0;
    ob_flush(o);
    if (o->f && fflush(o->f) != 0 && !o->failed) o->failed = errno ? errno : EIO;
    if (o->f && o->f != stdout && fclose(o->f) != 0 && !o->failed) o->failed = errno ? errno : EIO;
    if (o->failed) {
        fprintf(stderr, "gen_records: writing %s failed: %s\n", o->path, strerror(o->failed));
        rc = -1;
    }
    free(o->buf);
    return rc;
}

int main(int argc, char **argv) {
    gen g;
    rng r;
    obuf out, truth;
    const char *out_path = NULL, *truth_path = NULL;
    uint64_t i;
    int a, rc = 0;
    unsigned k;

    memset(&g, 0, sizeof g);
    g.n_records = 1000000;
    g.seed = 1;
    for (a = 1; a < argc; a++) {
        const char *opt = argv[a];
        const char *val = a + 1 < argc ? argv[a + 1] : NULL;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(opt, "--records") && parse_u64(val, &g.n_records) == 0) {
            a++;
        } else if (!strcmp(opt, "--seed") && parse_u64(val, &g.seed) == 0) {
            a++;
        } else if (!strcmp(opt, "--truth") && val) {
            truth_path = val;
            a++;
        } else if (!strcmp(opt, "--out") && val) {
            out_path = val;
            a++;
        } else {
            fprintf(stderr, "gen_records: bad argument: %s%s%s\n", opt, val ? " " : "",
                    val && opt[0] == '-' && opt[1] == '-' ? val : "");
            usage(stderr);
            return 2;
        }
    }
    if (g.n_records > UINT64_C(0xffffffffffff)) {
        fprintf(stderr, "gen_records: --records too large\n");
        return 2;
    }
    g.n_persons = g.n_records / 3 ? g.n_records / 3 : 1;
    if (g.n_persons > UINT32_MAX) g.n_persons = UINT32_MAX;
    g.sub_b = mix64(g.seed ^ UINT64_C(0x1111));
    g.cust_b = mix64(g.seed ^ UINT64_C(0x2222));
    g.loy_b = mix64(g.seed ^ UINT64_C(0x3333));
    for (k = 0; k < N_CITIES; k++) g.city_total += CITIES[k].weight;

    if (ob_open(&out, out_path, (size_t)1 << 20) != 0) return 1;
    if (truth_path && ob_open(&truth, truth_path, (size_t)1 << 20) != 0) {
        ob_close(&out);
        return 1;
    }

    ob_str(&out, "source,record_id,timestamp,email,phone,customer_id,anonymous_id,loyalty_id,"
                 "first_name,city,order_total\n");
    if (truth_path) ob_str(&truth, "source,record_id,person\n");

    r.s = mix64(g.seed ^ UINT64_C(0xa0761d6478bd642f));
    for (i = 0; i < g.n_records && !out.failed && !(truth_path && truth.failed); i++)
        write_record(&g, &out, truth_path ? &truth : NULL, i, &r);

    if (ob_close(&out) != 0) rc = 1;
    if (truth_path && ob_close(&truth) != 0) rc = 1;
    return rc;
}
