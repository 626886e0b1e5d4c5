/*
 * report.c — `scv report` (report.h): the HTML writer, a few SVG helpers, and one function
 * per section of the page. Output depends only on the engine and the command line (no clock,
 * no addresses, numbers printed with fixed formats), so the same input gives the same bytes.
 */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define REPORT_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define REPORT_PRINTF_LIKE(fmt, args)
#endif

#define HIST_BUCKETS 32      /* log2 buckets: 2^31 records is past SCV_MAX_RECORDS */
#define HIST_MIN_BUCKETS 8   /* show at least 1 .. 255 records on the x axis */
#define CHART_WIDTH 960.0
#define VALUE_CHARS 60       /* identifier values longer than this are cut (full in title) */
#define LABEL_CHARS 24       /* chart labels longer than this are cut (full in title) */
#define RECORD_ID_CHARS 20   /* record ids in the largest-profiles table, likewise */

/* ---------------------------------------------------------------------------------------- */
/* HTML writer                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef struct html {
    FILE *out;
    unsigned next_id; /* for the ids that aria-labelledby refers to */
} html;

static void put(html *h, const char *s) {
    fputs(s, h->out);
}

static void putf(html *h, const char *fmt, ...) REPORT_PRINTF_LIKE(2, 3);
static void putf(html *h, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(h->out, fmt, ap);
    va_end(ap);
}

/* s[0..len) as HTML text or attribute value: & < > " ' escaped. */
static void put_esc(html *h, const char *s, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': put(h, "&amp;"); break;
        case '<': put(h, "&lt;"); break;
        case '>': put(h, "&gt;"); break;
        case '"': put(h, "&quot;"); break;
        case '\'': put(h, "&#39;"); break;
        default: fputc(s[i], h->out); break;
        }
    }
}

static void put_escz(html *h, const char *s) {
    put_esc(h, s, strlen(s));
}

/* Bytes taken by the first `chars` UTF-8 characters of s[0..len). */
static size_t utf8_prefix(const char *s, size_t len, size_t chars) {
    size_t i = 0;
    size_t n = 0;
    while (i < len) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == chars) {
                break;
            }
            n++;
        }
        i++;
    }
    return i;
}

/* s escaped, cut to `chars` characters with an ellipsis when longer. */
static void put_esc_cut(html *h, const char *s, size_t len, size_t chars) {
    size_t keep = utf8_prefix(s, len, chars);
    put_esc(h, s, keep);
    if (keep < len) {
        put(h, "&#8230;");
    }
}

/* v with thousands separators into buf (at least 32 bytes); returns buf. */
static char *fmt_num(char *buf, uint64_t v) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    int i;
    char *w = buf;
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            *w++ = ',';
        }
        *w++ = digits[i];
    }
    *w = '\0';
    return buf;
}

static void put_num(html *h, uint64_t v) {
    char buf[32];
    put(h, fmt_num(buf, v));
}

static double pct(uint64_t part, uint64_t whole) {
    return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

/* The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* t as "YYYY-MM-DDTHH:MM:SSZ" (sep 'T', zone "Z") or "YYYY-MM-DD HH:MM:SS UTC". */
static void fmt_time(char *buf, size_t cap, int64_t t, int iso) {
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    int64_t y;
    unsigned m, d;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02u-%02u%c%02u:%02u:%02u%s", (long long)y, m, d, iso ? 'T' : ' ',
             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60),
             iso ? "Z" : " UTC");
}

/* ---------------------------------------------------------------------------------------- */
/* SVG helpers                                                                               */
/* ---------------------------------------------------------------------------------------- */

/* Open an inline SVG chart of w x hgt user units with its accessible name and description. */
static void svg_begin(html *h, double w, double hgt, const char *title, const char *desc) {
    unsigned id = ++h->next_id;
    putf(h,
         "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
         "role=\"img\" aria-labelledby=\"c%ut c%ud\">\n<title id=\"c%ut\">",
         w, hgt, w, hgt, id, id, id);
    put_escz(h, title);
    putf(h, "</title>\n<desc id=\"c%ud\">", id);
    put_escz(h, desc);
    put(h, "</desc>\n");
}

static void svg_end(html *h) {
    put(h, "</svg>\n");
}

/* A text element; anchor is start, middle or end; cls may be NULL. Text longer than
 * `chars` characters is cut (data labels: the full text is in the element's tooltip). */
static void svg_text_cut(html *h, double x, double y, const char *anchor, const char *cls,
                         const char *s, size_t len, size_t chars) {
    putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor);
    if (cls != NULL) {
        putf(h, " class=\"%s\"", cls);
    }
    put(h, ">");
    put_esc_cut(h, s, len, chars);
    put(h, "</text>\n");
}

/* A data label (source, kind, persona name): cut to LABEL_CHARS characters. */
static void svg_text(html *h, double x, double y, const char *anchor, const char *cls,
                     const char *s, size_t len) {
    svg_text_cut(h, x, y, anchor, cls, s, len, LABEL_CHARS);
}

/* Fixed text (axis titles, numbers): never cut. */
static void svg_textz(html *h, double x, double y, const char *anchor, const char *cls,
                      const char *s) {
    size_t len = strlen(s);
    svg_text_cut(h, x, y, anchor, cls, s, len, len);
}

static void svg_line(html *h, double x1, double y1, double x2, double y2, const char *cls) {
    putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n", x1, y1, x2,
         y2, cls);
}

/* A rectangle with a tooltip (title, escaped); style is a class name or a fill colour. */
static void svg_rect(html *h, double x, double y, double w, double hgt, const char *cls,
                     const char *fill, const char *title) {
    putf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x, y, w, hgt);
    if (cls != NULL) {
        putf(h, " class=\"%s\"", cls);
    }
    if (fill != NULL) {
        putf(h, " fill=\"%s\"", fill);
    }
    put(h, "><title>");
    put_escz(h, title);
    put(h, "</title></rect>\n");
}

/* One bar of a horizontal bar chart. */
typedef struct bar {
    const char *label;
    size_t label_len;
    uint64_t value;
    int muted; /* drawn grey (e.g. "no persona") */
} bar;

#define HBAR_LABEL 200.0
#define HBAR_SPAN 560.0
#define HBAR_ROW 30.0

/* A horizontal bar chart: bar length by value / max, each labelled "N (P% of total)". */
static void svg_hbars(html *h, const char *title, const char *desc, const bar *bars, size_t n,
                      uint64_t total) {
    uint64_t max = 1;
    size_t i;
    for (i = 0; i < n; i++) {
        max = bars[i].value > max ? bars[i].value : max;
    }
    svg_begin(h, CHART_WIDTH, HBAR_ROW * (double)n + 16, title, desc);
    for (i = 0; i < n; i++) {
        char tip[160], num[32], label[96];
        double y = 8 + HBAR_ROW * (double)i;
        double w = HBAR_SPAN * (double)bars[i].value / (double)max;
        size_t cut = utf8_prefix(bars[i].label, bars[i].label_len, 60);
        snprintf(tip, sizeof tip, "%.*s: %s profiles (%.1f%%)", (int)cut, bars[i].label,
                 fmt_num(num, bars[i].value), pct(bars[i].value, total));
        svg_text(h, HBAR_LABEL - 10, y + 17, "end", "label", bars[i].label, bars[i].label_len);
        svg_rect(h, HBAR_LABEL, y + 4, w > 0 && w < 1 ? 1 : w, HBAR_ROW - 10,
                 bars[i].muted ? "bar muted" : "bar", NULL, tip);
        snprintf(label, sizeof label, "%s (%.1f%%)", num, pct(bars[i].value, total));
        svg_textz(h, HBAR_LABEL + w + 8, y + 17, "start", "value", label);
    }
    svg_line(h, HBAR_LABEL, 6, HBAR_LABEL, HBAR_ROW * (double)n + 10, "axis");
    svg_end(h);
}

/* The same bars as a table (inside a <details>, for screen readers and copying numbers). */
static void bars_table(html *h, const char *what, const bar *bars, size_t n, uint64_t total) {
    size_t i;
    putf(h, "<details><summary>Table</summary>\n<table class=\"num\"><thead><tr><th scope=\"col\">"
            "%s</th><th scope=\"col\">Profiles</th><th scope=\"col\">%% of profiles</th></tr>"
            "</thead><tbody>\n",
         what);
    for (i = 0; i < n; i++) {
        put(h, "<tr><th scope=\"row\">");
        put_esc(h, bars[i].label, bars[i].label_len);
        put(h, "</th><td>");
        put_num(h, bars[i].value);
        putf(h, "</td><td>%.1f%%</td></tr>\n", pct(bars[i].value, total));
    }
    put(h, "</tbody></table></details>\n");
}

/* ---------------------------------------------------------------------------------------- */
/* The report                                                                                */
/* ---------------------------------------------------------------------------------------- */

typedef struct report {
    html h;
    scv_engine *e;
    const report_input *in;
    uint64_t profiles;
    uint64_t coverage[SCV_MAX_KINDS];
    uint32_t nkinds;
} report;

static uint64_t stat(const scv_engine *e, scv_stat which) {
    uint64_t v = 0;
    (void)scv_engine_stat(e, which, &v);
    return v;
}

static const char *kind_name(const scv_engine *e, scv_kind k, size_t *len) {
    const char *s = scv_engine_kind_name(e, k, len);
    if (s == NULL) {
        *len = 1;
        return "?";
    }
    return s;
}

static const char *source_name(const scv_engine *e, scv_source s, size_t *len) {
    const char *n = scv_engine_source_name(e, s, len);
    if (n == NULL) {
        *len = 1;
        return "?";
    }
    return n;
}

static const char css[] =
    ":root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;--accent:#2f5d9e}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1040px;margin:0 auto;padding:28px 24px 48px}\n"
    "h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:0 0 6px}"
    "h3{font-size:16px;margin:18px 0 6px}\n"
    "section,header{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:20px 24px;margin:0 0 20px}\n"
    ".sub,.note{color:var(--muted)}.note{font-size:13px;margin:4px 0 12px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
    ".card{flex:1 1 150px;border:1px solid var(--line);border-radius:6px;padding:10px 14px}\n"
    ".card .v{display:block;font-size:26px;font-weight:600;color:var(--accent)}\n"
    ".card .k{color:var(--muted);font-size:13px}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}\n"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}\n"
    "thead th{background:#eef2f7;font-weight:600}\n"
    "table.kv th{width:190px;font-weight:600;color:var(--muted)}\n"
    "table.num td,td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "table.top{font-size:13px}table.top th,table.top td{padding:5px 6px}\n"
    "table.top td.nw{text-align:left;white-space:nowrap;word-break:normal}\n"
    "th.rank{width:3em}.scroll{overflow-x:auto}\n"
    "td.val{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "overflow-wrap:anywhere}\n"
    "code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:13px;"
    "background:#eef2f7;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}\n"
    ".small{font-size:12px;color:var(--muted)}\n"
    "nav ol{margin:8px 0 0;padding-left:20px;columns:2}\n"
    "a{color:var(--accent)}\n"
    "details{margin:6px 0}summary{cursor:pointer;color:var(--muted);font-size:13px}\n"
    "svg.chart{display:block;max-width:100%;height:auto;margin:8px 0}\n"
    "svg text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "fill:var(--ink)}\n"
    "svg .label{font-size:13px}svg .value{fill:var(--muted)}svg .tick{fill:var(--muted);"
    "font-size:11px}\n"
    "svg .axis{stroke:#9aa5b1;stroke-width:1}svg .grid{stroke:#e4e9ef;stroke-width:1}\n"
    "svg .bar{fill:#3d6fb6}svg .bar.muted{fill:#b6c0cc}\n"
    "svg .p50{stroke:#2e8b57}svg .p99{stroke:#d9822b}svg .pmax{stroke:#c23030}\n"
    "svg .mark{stroke-width:2;stroke-dasharray:5 3}\n"
    "svg text.p50{fill:#2e8b57}svg text.p99{fill:#b0651b}svg text.pmax{fill:#c23030}\n"
    "svg text.mk{font-size:12px;font-weight:600;stroke:none}\n"
    "svg text.light{fill:#fff}svg .cellnum{font-variant-numeric:tabular-nums}\n"
    ".legend span{display:inline-block;margin-right:18px;font-size:13px}\n"
    ".legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;"
    "margin-right:6px}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center}\n"
    "@media print{body{background:#fff}section,header{break-inside:avoid}}\n";

static void page_begin(report *r) {
    put(&r->h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>scv identity-resolution report</title>\n<style>\n");
    put(&r->h, css);
    put(&r->h, "</style>\n</head>\n<body>\n<main>\n");
}

static void page_end(report *r) {
    putf(&r->h, "<footer>Written by scv %s. A self-contained page: no scripts and no external "
                "resources.</footer>\n</main>\n</body>\n</html>\n",
         scv_version_string());
}

/* ---- 1. Header ---------------------------------------------------------------------------- */

static void header_card(report *r, const char *id, uint64_t value, const char *what) {
    putf(&r->h, "<div class=\"card\"><span class=\"v\" id=\"stat-%s\" data-value=\"%llu\">", id,
         (unsigned long long)value);
    put_num(&r->h, value);
    putf(&r->h, "</span><span class=\"k\">%s</span></div>\n", what);
}

static void rules_row_begin(report *r, const char *what) {
    putf(&r->h, "<tr><th scope=\"row\">%s</th><td>", what);
}

static void put_kind(report *r, scv_kind k) {
    size_t len;
    const char *name = kind_name(r->e, k, &len);
    put(&r->h, "<code>");
    put_esc(&r->h, name, len);
    put(&r->h, "</code>");
}

static void rules_limits(report *r, const rules_summary *s) {
    int any = 0;
    scv_kind k;
    rules_row_begin(r, "Kind limits");
    for (k = 0; k < s->nkinds; k++) {
        if (s->limit[k] == 0) {
            continue;
        }
        put(&r->h, any ? ", " : "");
        put_kind(r, k);
        put(&r->h, " &#8804; ");
        put_num(&r->h, s->limit[k]);
        any = 1;
    }
    put(&r->h, any ? " per profile</td></tr>\n" : "none</td></tr>\n");
}

static void rules_priority(report *r, const rules_summary *s) {
    uint32_t i;
    rules_row_begin(r, "Priority");
    for (i = 0; i < s->nkinds; i++) {
        put(&r->h, i > 0 ? " &#8250; " : "");
        put_kind(r, s->priority[i]);
    }
    put(&r->h, " <span class=\"small\">(highest first)</span></td></tr>\n");
}

static void rules_generic(report *r, const rules_summary *s) {
    int same = 1;
    scv_kind k;
    for (k = 1; k < s->nkinds; k++) {
        same &= s->generic[k] == s->generic[0];
    }
    rules_row_begin(r, "Generic-value threshold");
    if (same && s->nkinds > 0) {
        if (s->generic[0] == 0) {
            put(&r->h, "off for every kind");
        } else {
            put(&r->h, "G = ");
            put_num(&r->h, s->generic[0]);
            put(&r->h, " for every kind");
        }
    }
    for (k = 0; !same && k < s->nkinds; k++) {
        put(&r->h, k > 0 ? ", " : "");
        put_kind(r, k);
        if (s->generic[k] == 0) {
            put(&r->h, " off");
        } else {
            put(&r->h, " ");
            put_num(&r->h, s->generic[k]);
        }
    }
    put(&r->h, "</td></tr>\n");
}

static void rules_other(report *r, const rules_summary *s) {
    rules_row_begin(r, "Blocked values");
    put(&r->h, "built-in placeholder list");
    if (s->blocked > 0) {
        put(&r->h, ", plus ");
        put_num(&r->h, s->blocked);
        put(&r->h, s->blocked == 1 ? " value given with --block" : " values given with --block");
    }
    put(&r->h, "</td></tr>\n");
    rules_row_begin(r, "Size guards");
    put_num(&r->h, s->max_records);
    put(&r->h, " records, ");
    put_num(&r->h, s->max_identifiers);
    put(&r->h, " linking identifiers per profile</td></tr>\n");
}

static void header_inputs(report *r) {
    const report_input *in = r->in;
    size_t i;
    rules_row_begin(r, "Input files");
    for (i = 0; i < in->nfiles; i++) {
        put(&r->h, i > 0 ? " " : "");
        put(&r->h, "<code>");
        put_escz(&r->h, in->files[i]);
        put(&r->h, "</code>");
    }
    put(&r->h, "</td></tr>\n");
    rules_row_begin(r, "Phone region");
    if (in->region != NULL) {
        put_escz(&r->h, in->region);
    } else {
        put(&r->h, "none (numbers must carry their country code)");
    }
    put(&r->h, "</td></tr>\n");
    rules_row_begin(r, "Measures");
    for (i = 0; i < in->nmeasures; i++) {
        put(&r->h, i > 0 ? " " : "");
        put(&r->h, "<code>");
        put_escz(&r->h, in->measures[i]);
        put(&r->h, "</code>");
    }
    put(&r->h, in->nmeasures == 0 ? "none</td></tr>\n" : "</td></tr>\n");
}

static void nav(report *r) {
    put(&r->h, "<nav aria-label=\"Sections\"><ol>"
               "<li><a href=\"#sizes\">Profile sizes</a></li>"
               "<li><a href=\"#largest\">Largest profiles</a></li>"
               "<li><a href=\"#values\">Generic and blocked values</a></li>"
               "<li><a href=\"#refused\">Merges refused per rule</a></li>"
               "<li><a href=\"#overlap\">Source overlap</a></li>"
               "<li><a href=\"#coverage\">Identifier-kind coverage</a></li>");
    if (r->in->npersonas + r->in->nsegments > 0) {
        put(&r->h, "<li><a href=\"#audiences\">Personas and segments</a></li>");
    }
    put(&r->h, "</ol></nav>\n");
}

static void section_header(report *r) {
    char iso[40], shown[40];
    rules_summary s;
    fmt_time(iso, sizeof iso, r->in->now, 1);
    fmt_time(shown, sizeof shown, r->in->now, 0);
    put(&r->h, "<header>\n<h1>Identity-resolution report</h1>\n");
    putf(&r->h, "<p class=\"sub\">As of <time datetime=\"%s\">%s</time> (%s).</p>\n", iso, shown,
         r->in->now_given ? "given with --now" : "the latest record timestamp");
    put(&r->h, "<div class=\"cards\">\n");
    header_card(r, "records", scv_engine_record_count(r->e), "records");
    header_card(r, "profiles", r->profiles, "profiles");
    header_card(r, "identifiers", stat(r->e, SCV_STAT_IDENTIFIERS), "distinct identifiers");
    header_card(r, "merges", stat(r->e, SCV_STAT_MERGES), "merges");
    put(&r->h, "</div>\n<table class=\"kv\"><caption class=\"sub\" style=\"text-align:left\">"
               "Input and rules in force</caption><tbody>\n");
    header_inputs(r);
    rules_summarize(r->e, r->in->rules, r->in->nrules, &s);
    rules_limits(r, &s);
    rules_priority(r, &s);
    rules_generic(r, &s);
    rules_other(r, &s);
    put(&r->h, "</tbody></table>\n");
    nav(r);
    put(&r->h, "</header>\n");
}

/* ---- 2. Profile sizes --------------------------------------------------------------------- */

#define HIST_LEFT 70.0
#define HIST_TOP 64.0
#define HIST_PLOT_W 860.0
#define HIST_PLOT_H 220.0

typedef struct hist {
    uint64_t counts[HIST_BUCKETS];
    size_t shown;       /* buckets on the x axis */
    uint64_t top;       /* the y axis ends at this power of 10 */
    uint32_t p50, p99, max;
} hist;

/* Bucket b's range as text: "1", "2–3", ..., "1,024–2,047". */
static void bucket_label(char *buf, size_t cap, size_t b) {
    char lo[32], hi[32];
    uint64_t low = (uint64_t)1 << b;
    if (b == 0) {
        snprintf(buf, cap, "1");
        return;
    }
    snprintf(buf, cap, "%s\xE2\x80\x93%s", fmt_num(lo, low), fmt_num(hi, 2 * low - 1));
}

/* The y position of a count on the log axis (log10(1 + count)). */
static double hist_y(const hist *g, uint64_t count) {
    double f = log10(1.0 + (double)count) / log10(1.0 + (double)g->top);
    return HIST_TOP + HIST_PLOT_H * (1.0 - f);
}

/* The x position of a profile size on the log2 axis. */
static double hist_x(const hist *g, uint32_t size) {
    double bw = HIST_PLOT_W / (double)g->shown;
    double pos = size == 0 ? 0.0 : log((double)size) / log(2.0);
    return HIST_LEFT + pos * bw;
}

static void hist_axes(html *h, const hist *g) {
    uint64_t t;
    char num[32];
    svg_line(h, HIST_LEFT, HIST_TOP + HIST_PLOT_H, HIST_LEFT + HIST_PLOT_W, HIST_TOP + HIST_PLOT_H,
             "axis");
    svg_line(h, HIST_LEFT, HIST_TOP, HIST_LEFT, HIST_TOP + HIST_PLOT_H, "axis");
    for (t = 1; t <= g->top; t *= 10) {
        double y = hist_y(g, t);
        svg_line(h, HIST_LEFT, y, HIST_LEFT + HIST_PLOT_W, y, "grid");
        svg_textz(h, HIST_LEFT - 8, y + 4, "end", "tick", fmt_num(num, t));
    }
    putf(h, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\" "
            "transform=\"rotate(-90 16 %.1f)\">profiles (log scale)</text>\n",
         HIST_TOP + HIST_PLOT_H / 2, HIST_TOP + HIST_PLOT_H / 2);
    svg_textz(h, HIST_LEFT + HIST_PLOT_W / 2, HIST_TOP + HIST_PLOT_H + 48, "middle", "tick",
              "records per profile (log2 buckets)");
}

static void hist_bars(html *h, const hist *g) {
    double bw = HIST_PLOT_W / (double)g->shown;
    int rotate = g->shown > 12;
    size_t b;
    for (b = 0; b < g->shown; b++) {
        char label[80], tip[160], num[32];
        double x = HIST_LEFT + bw * (double)b;
        double y = hist_y(g, g->counts[b]);
        bucket_label(label, sizeof label, b);
        if (g->counts[b] > 0) {
            snprintf(tip, sizeof tip, "%s records: %s profiles", label, fmt_num(num, g->counts[b]));
            svg_rect(h, x + bw * 0.12, y, bw * 0.76, HIST_TOP + HIST_PLOT_H - y, "bar", NULL, tip);
            svg_textz(h, x + bw / 2, y - 5, "middle", "value", num);
        }
        if (rotate) {
            putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\" "
                    "transform=\"rotate(-40 %.1f %.1f)\">%s</text>\n",
                 x + bw / 2, HIST_TOP + HIST_PLOT_H + 14, x + bw / 2, HIST_TOP + HIST_PLOT_H + 14,
                 label);
        } else {
            svg_textz(h, x + bw / 2, HIST_TOP + HIST_PLOT_H + 18, "middle", "tick", label);
        }
    }
}

/* A dashed vertical line at a profile size with its label in row `row` above the plot. */
static void hist_marker(html *h, const hist *g, uint32_t size, const char *cls, const char *name,
                        int row) {
    char label[64], num[32];
    double x = hist_x(g, size);
    double ly = 16.0 + 15.0 * row;
    snprintf(label, sizeof label, "%s = %s", name, fmt_num(num, size));
    putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"mark %s\"><title>",
         x, ly + 4, x, HIST_TOP + HIST_PLOT_H, cls);
    put_escz(h, label);
    put(h, " records</title></line>\n");
    int right = x > HIST_LEFT + HIST_PLOT_W * 0.8;
    putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"mk %s\">%s</text>\n",
         right ? x - 4 : x + 4, ly, right ? "end" : "start", cls, label);
}

static void hist_table(html *h, const hist *g) {
    size_t b;
    put(h, "<details><summary>Table</summary>\n<table class=\"num\"><thead><tr>"
           "<th scope=\"col\">Records per profile</th><th scope=\"col\">Profiles</th></tr>"
           "</thead><tbody>\n");
    for (b = 0; b < g->shown; b++) {
        char label[80];
        bucket_label(label, sizeof label, b);
        putf(h, "<tr><th scope=\"row\">%s</th><td>", label);
        put_num(h, g->counts[b]);
        put(h, "</td></tr>\n");
    }
    put(h, "</tbody></table></details>\n");
}

static int hist_load(const scv_engine *e, hist *g) {
    uint64_t most = 0;
    size_t b;
    memset(g, 0, sizeof *g);
    if (scv_engine_profile_size_histogram(e, g->counts, HIST_BUCKETS) != SCV_OK ||
        scv_engine_profile_size_percentile(e, 50, &g->p50) != SCV_OK ||
        scv_engine_profile_size_percentile(e, 99, &g->p99) != SCV_OK ||
        scv_engine_profile_size_percentile(e, 100, &g->max) != SCV_OK) {
        return -1;
    }
    g->shown = HIST_MIN_BUCKETS;
    for (b = 0; b < HIST_BUCKETS; b++) {
        if (g->counts[b] > 0 && b + 1 > g->shown) {
            g->shown = b + 1;
        }
        most = g->counts[b] > most ? g->counts[b] : most;
    }
    for (g->top = 10; g->top < most; g->top *= 10) {
    }
    return 0;
}

static int section_sizes(report *r) {
    hist g;
    char num[3][32];
    if (hist_load(r->e, &g) != 0) {
        return -1;
    }
    put(&r->h, "<section id=\"sizes\" aria-labelledby=\"h-sizes\">\n"
               "<h2 id=\"h-sizes\">Profile sizes</h2>\n<p class=\"note\">Records per profile in "
               "log2 buckets; the profile axis is logarithmic. A long tail to the right is where "
               "over-merged &#8220;blob&#8221; profiles show up.</p>\n");
    putf(&r->h, "<p class=\"legend\"><span><i style=\"background:#2e8b57\"></i>p50 = %s</span>"
                "<span><i style=\"background:#d9822b\"></i>p99 = %s</span>"
                "<span><i style=\"background:#c23030\"></i>max = %s records</span></p>\n",
         fmt_num(num[0], g.p50), fmt_num(num[1], g.p99), fmt_num(num[2], g.max));
    svg_begin(&r->h, CHART_WIDTH, HIST_TOP + HIST_PLOT_H + 60,
              "Histogram of profile sizes",
              "Number of profiles per log2 bucket of records per profile, on a logarithmic "
              "axis, with the median, the 99th percentile and the largest size marked.");
    hist_axes(&r->h, &g);
    hist_bars(&r->h, &g);
    if (r->profiles > 0) {
        hist_marker(&r->h, &g, g.p50, "p50", "p50", 0);
        hist_marker(&r->h, &g, g.p99, "p99", "p99", 1);
        hist_marker(&r->h, &g, g.max, "pmax", "max", 2);
    }
    svg_end(&r->h);
    hist_table(&r->h, &g);
    put(&r->h, "</section>\n");
    return 0;
}

/* ---- 3. Largest profiles ------------------------------------------------------------------ */

typedef struct top_row {
    size_t records;
    uint32_t linking[SCV_MAX_KINDS];
    size_t unlinked;
    size_t by_state[SCV_LINK_SUPPRESSED + 1];
    scv_source *sources; /* distinct, ascending */
    size_t nsources;
    scv_record_ref first;
} top_row;

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sort and de-duplicate v[0..n); return the new length. */
static size_t unique_u32(uint32_t *v, size_t n) {
    size_t i, m = 0;
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof *v, cmp_u32);
    for (i = 1; i < n; i++) {
        if (v[i] != v[m]) {
            v[++m] = v[i];
        }
    }
    return m + 1;
}

/* Distinct linking identifiers per kind, over the profile's records. */
static int top_linking(const scv_engine *e, const scv_record_ref *recs, size_t n, top_row *row) {
    scv_identifier_ref ids[SCV_MAX_IDENTIFIERS];
    uint8_t states[SCV_MAX_IDENTIFIERS];
    uint32_t *link = malloc((n * SCV_MAX_IDENTIFIERS + 1) * sizeof *link);
    size_t nlink = 0, i, k;
    if (link == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        size_t count = 0;
        if (scv_record_identifiers(e, recs[i], ids, states, SCV_MAX_IDENTIFIERS, &count) !=
            SCV_OK) {
            continue;
        }
        for (k = 0; k < count; k++) {
            if (states[k] == SCV_LINK) {
                link[nlink++] = ids[k];
            }
        }
    }
    nlink = unique_u32(link, nlink);
    for (i = 0; i < nlink; i++) {
        scv_kind kind;
        if (scv_engine_identifier_info(e, link[i], &kind, NULL, NULL, NULL) == SCV_OK &&
            kind < SCV_MAX_KINDS) {
            row->linking[kind]++;
        }
    }
    free(link);
    return 0;
}

static int top_unlinked(const scv_engine *e, scv_profile_id id, top_row *row) {
    size_t n = 0, i;
    scv_identifier_ref *refs;
    uint8_t *states;
    scv_status st = scv_profile_unlinked(e, id, NULL, NULL, 0, &n);
    if (st != SCV_OK && st != SCV_EBUFFER) {
        return 0;
    }
    refs = malloc((n + 1) * sizeof *refs);
    states = malloc(n + 1);
    if (refs == NULL || states == NULL ||
        scv_profile_unlinked(e, id, refs, states, n, &n) != SCV_OK) {
        free(refs);
        free(states);
        return refs == NULL || states == NULL ? -1 : 0;
    }
    row->unlinked = n;
    for (i = 0; i < n; i++) {
        if (states[i] <= SCV_LINK_SUPPRESSED) {
            row->by_state[states[i]]++;
        }
    }
    free(refs);
    free(states);
    return 0;
}

static int top_sources(const scv_engine *e, const scv_record_ref *recs, size_t n, top_row *row) {
    size_t i;
    row->sources = malloc((n + 1) * sizeof *row->sources);
    if (row->sources == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        scv_source s = 0;
        (void)scv_engine_record_info(e, recs[i], &s, NULL, NULL, NULL);
        row->sources[i] = s;
    }
    row->nsources = unique_u32(row->sources, n);
    return 0;
}

/* Everything the table shows about one profile. row->sources is the caller's to free. */
static int top_load(const scv_engine *e, scv_profile_id id, top_row *row) {
    scv_record_ref *recs;
    size_t n = 0;
    int rc;
    memset(row, 0, sizeof *row);
    (void)scv_profile_records(e, id, NULL, 0, &n);
    recs = malloc((n + 1) * sizeof *recs);
    if (recs == NULL) {
        return -1;
    }
    if (scv_profile_records(e, id, recs, n, &n) != SCV_OK) {
        n = 0;
    }
    row->records = n;
    row->first = n > 0 ? recs[0] : 0;
    rc = top_linking(e, recs, n, row);
    if (rc == 0) {
        rc = top_unlinked(e, id, row);
    }
    if (rc == 0) {
        rc = top_sources(e, recs, n, row);
    }
    free(recs);
    return rc;
}

/* A kind name as a column header: a line may break after each '_' (customer_<wbr>id). */
static void put_header_name(report *r, const char *name, size_t len) {
    size_t i, from = 0;
    for (i = 0; i < len; i++) {
        if (name[i] == '_' && i + 1 < len) {
            put_esc(&r->h, name + from, i + 1 - from);
            put(&r->h, "<wbr>");
            from = i + 1;
        }
    }
    put_esc(&r->h, name + from, len - from);
}

static void top_head(report *r) {
    scv_kind k;
    put(&r->h, "<div class=\"scroll\"><table class=\"num top\"><caption class=\"sub\" "
               "style=\"text-align:left\">Linking identifiers per kind</caption><thead><tr>"
               "<th scope=\"col\">Profile</th><th scope=\"col\">Records</th>");
    for (k = 0; k < r->nkinds; k++) {
        if (r->coverage[k] > 0) {
            size_t len;
            const char *name = kind_name(r->e, k, &len);
            put(&r->h, "<th scope=\"col\">");
            put_header_name(r, name, len);
            put(&r->h, "</th>");
        }
    }
    put(&r->h, "<th scope=\"col\">Unlinked</th><th scope=\"col\" style=\"text-align:left\">"
               "Sources</th><th scope=\"col\" style=\"text-align:left\">First record</th>"
               "</tr></thead><tbody>\n");
}

static void top_unlinked_cell(report *r, const top_row *row) {
    static const char *const names[] = {"linking", "limit", "size guard", "blocked", "generic",
                                        "suppressed"};
    size_t s;
    int any = 0;
    put(&r->h, "<td>");
    put_num(&r->h, row->unlinked);
    for (s = SCV_LINK_ASIDE_LIMIT; s <= SCV_LINK_SUPPRESSED && row->unlinked > 0; s++) {
        if (row->by_state[s] == 0) {
            continue;
        }
        put(&r->h, any ? ", " : "<br><span class=\"small\">");
        put_num(&r->h, row->by_state[s]);
        putf(&r->h, " %s", names[s]);
        any = 1;
    }
    put(&r->h, any ? "</span></td>" : "</td>");
}

static void top_first_record(report *r, const top_row *row) {
    scv_source src = 0;
    const char *id = NULL;
    size_t len = 0, slen;
    const char *sname;
    if (row->first == 0 ||
        scv_engine_record_info(r->e, row->first, &src, &id, &len, NULL) != SCV_OK) {
        put(&r->h, "<td></td>");
        return;
    }
    sname = source_name(r->e, src, &slen);
    put(&r->h, "<td class=\"val nw\" title=\"");
    put_esc(&r->h, sname, slen);
    put(&r->h, ":");
    put_esc(&r->h, id, len);
    put(&r->h, "\">");
    put_esc(&r->h, sname, slen);
    put(&r->h, ":");
    put_esc_cut(&r->h, id, len, RECORD_ID_CHARS);
    put(&r->h, "</td>");
}

static void top_write(report *r, scv_profile_id id, const top_row *row) {
    size_t i;
    scv_kind k;
    putf(&r->h, "<tr><th scope=\"row\">%lu</th><td>", (unsigned long)id);
    put_num(&r->h, row->records);
    put(&r->h, "</td>");
    for (k = 0; k < r->nkinds; k++) {
        if (r->coverage[k] > 0) {
            putf(&r->h, "<td>%lu</td>", (unsigned long)row->linking[k]);
        }
    }
    top_unlinked_cell(r, row);
    put(&r->h, "<td class=\"nw\">");
    for (i = 0; i < row->nsources; i++) {
        size_t len;
        const char *name = source_name(r->e, row->sources[i], &len);
        put(&r->h, i > 0 ? ", " : "");
        put_esc(&r->h, name, len);
    }
    put(&r->h, "</td>");
    top_first_record(r, row);
    put(&r->h, "</tr>\n");
}

static int section_largest(report *r) {
    scv_profile_id ids[REPORT_TOP_PROFILES];
    size_t n = 0, i;
    if (scv_engine_largest_profiles(r->e, ids, REPORT_TOP_PROFILES, &n) != SCV_OK) {
        return -1;
    }
    put(&r->h, "<section id=\"largest\" aria-labelledby=\"h-largest\">\n"
               "<h2 id=\"h-largest\">Largest profiles</h2>\n");
    putf(&r->h, "<p class=\"note\">The %d profiles with the most records, largest first. "
                "&#8220;Unlinked&#8221; counts identifiers on their records that link nothing "
                "(set aside by a limit or size guard, blocked, generic or suppressed).</p>\n",
         REPORT_TOP_PROFILES);
    top_head(r);
    for (i = 0; i < n; i++) {
        top_row row;
        if (top_load(r->e, ids[i], &row) != 0) {
            free(row.sources);
            return -1;
        }
        top_write(r, ids[i], &row);
        free(row.sources);
    }
    put(&r->h, "</tbody></table></div>\n</section>\n");
    return 0;
}

/* ---- 4. Generic and blocked values -------------------------------------------------------- */

typedef struct value_row {
    scv_identifier_ref ref;
    uint32_t records;
} value_row;

/* Most records first; equal counts in ascending ref. */
static int cmp_value_row(const void *a, const void *b) {
    const value_row *x = a;
    const value_row *y = b;
    if (x->records != y->records) {
        return x->records > y->records ? -1 : 1;
    }
    return (x->ref > y->ref) - (x->ref < y->ref);
}

/* Every identifier in `state` that a record carries, sorted. NULL only when out of memory. */
static value_row *values_load(const scv_engine *e, uint8_t state, size_t *n) {
    size_t cap = 64;
    value_row *rows = malloc(cap * sizeof *rows);
    scv_identifier_ref ref = 0;
    *n = 0;
    while (rows != NULL && scv_engine_identifier_next(e, ref, state, &ref) == SCV_OK) {
        if (*n == cap) {
            value_row *grown = realloc(rows, 2 * cap * sizeof *rows);
            if (grown == NULL) {
                free(rows);
                return NULL;
            }
            rows = grown;
            cap *= 2;
        }
        rows[*n].ref = ref;
        rows[*n].records = 0;
        (void)scv_engine_identifier_state(e, ref, NULL, &rows[*n].records);
        (*n)++;
    }
    if (rows != NULL && *n > 1) {
        qsort(rows, *n, sizeof *rows, cmp_value_row);
    }
    return rows;
}

/* The value as the engine keeps it, else "hash " and the first 8 bytes of its hash in hex. */
static void put_value(report *r, scv_identifier_ref ref) {
    uint8_t hash[SCV_HASH_SIZE];
    const char *value = NULL;
    size_t len = 0, i;
    if (scv_engine_identifier_info(r->e, ref, NULL, hash, &value, &len) != SCV_OK) {
        return;
    }
    if (value != NULL) {
        put(&r->h, "<span title=\"");
        put_esc(&r->h, value, len);
        put(&r->h, "\">");
        put_esc_cut(&r->h, value, len, VALUE_CHARS);
        put(&r->h, "</span>");
        return;
    }
    put(&r->h, "<span class=\"small\">hash</span> ");
    for (i = 0; i < 8; i++) {
        putf(&r->h, "%02x", hash[i]);
    }
}

static void values_table(report *r, const char *id, const char *what, const value_row *rows,
                         size_t n) {
    size_t shown = n < REPORT_TOP_VALUES ? n : REPORT_TOP_VALUES, i;
    putf(&r->h, "<table id=\"%s\"><caption class=\"sub\" style=\"text-align:left\">%s by "
                "records carrying them",
         id, what);
    if (shown < n) {
        putf(&r->h, ": the first %lu of ", (unsigned long)shown);
        put_num(&r->h, n);
    }
    put(&r->h, "</caption><thead><tr><th scope=\"col\" class=\"rank\">#</th>"
               "<th scope=\"col\">Kind</th><th scope=\"col\">Value</th>"
               "<th scope=\"col\" style=\"text-align:right\">Records</th></tr></thead><tbody>\n");
    for (i = 0; i < shown; i++) {
        scv_kind kind = 0;
        size_t len;
        const char *kname;
        (void)scv_engine_identifier_info(r->e, rows[i].ref, &kind, NULL, NULL, NULL);
        kname = kind_name(r->e, kind, &len);
        putf(&r->h, "<tr><td class=\"n\">%lu</td><td>", (unsigned long)(i + 1));
        put_esc(&r->h, kname, len);
        put(&r->h, "</td><td class=\"val\">");
        put_value(r, rows[i].ref);
        put(&r->h, "</td><td class=\"n\">");
        put_num(&r->h, rows[i].records);
        put(&r->h, "</td></tr>\n");
    }
    put(&r->h, "</tbody></table>\n");
}

/* One list (generic or blocked) under its heading; "none" when empty. */
static int values_part(report *r, uint8_t state, const char *id, const char *title,
                       const char *note) {
    size_t n = 0;
    value_row *rows = values_load(r->e, state, &n);
    if (rows == NULL) {
        return -1;
    }
    putf(&r->h, "<h3>%s (", title);
    put_num(&r->h, n);
    putf(&r->h, ")</h3>\n<p class=\"note\">%s</p>\n", note);
    if (n > 0) {
        values_table(r, id, title, rows, n);
    }
    free(rows);
    return 0;
}

static int section_values(report *r) {
    size_t carried = 0;
    scv_identifier_ref ref = 0;
    put(&r->h, "<section id=\"values\" aria-labelledby=\"h-values\">\n"
               "<h2 id=\"h-values\">Generic and blocked values</h2>\n");
    if (values_part(r, SCV_LINK_GENERIC, "generic-values", "Generic values",
                    "Shared by more otherwise separate customers than the threshold allows "
                    "(a store phone, a shared inbox): they stop linking.") != 0 ||
        values_part(r, SCV_LINK_BLOCKED, "blocked-values", "Blocked values",
                    "Placeholders from the built-in list or --block: they never link.") != 0) {
        return -1;
    }
    while (scv_engine_identifier_next(r->e, ref, SCV_LINK_SUPPRESSED, &ref) == SCV_OK) {
        carried++;
    }
    put(&r->h, "<h3>Suppressed</h3>\n<p id=\"suppressed\">");
    put_num(&r->h, scv_engine_suppressed_count(r->e));
    put(&r->h, " identifiers on the suppression list (erased persons); ");
    put_num(&r->h, carried);
    put(&r->h, " of them carried by stored records. Their values are not shown.</p>\n"
               "</section>\n");
    return 0;
}

/* ---- 5. Merges refused per rule ----------------------------------------------------------- */

static void refused_row(report *r, const char *what, scv_stat which, const char *meaning) {
    putf(&r->h, "<tr><th scope=\"row\">%s</th><td class=\"n\" data-stat=\"%d\">", what,
         (int)which);
    put_num(&r->h, stat(r->e, which));
    putf(&r->h, "</td><td class=\"small\">%s</td></tr>\n", meaning);
}

static void section_refused(report *r) {
    put(&r->h, "<section id=\"refused\" aria-labelledby=\"h-refused\">\n"
               "<h2 id=\"h-refused\">Merges refused per rule</h2>\n"
               "<table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\" "
               "style=\"text-align:right\">Count</th><th scope=\"col\">Meaning</th></tr></thead>"
               "<tbody>\n");
    refused_row(r, "Set aside by a kind limit", SCV_STAT_ASIDE_LIMIT,
                "identifiers on records that would have put too many values of a kind in one "
                "profile");
    refused_row(r, "Set aside by a size guard", SCV_STAT_ASIDE_SIZE,
                "identifiers whose merge would have made a profile too large");
    refused_row(r, "Blocked values", SCV_STAT_BLOCKED_VALUES, "placeholder values carried now");
    refused_row(r, "Blocked record-identifier pairs", SCV_STAT_BLOCKED_RECORDS,
                "occurrences of those values on records");
    refused_row(r, "Generic values", SCV_STAT_GENERIC_VALUES, "values generic now");
    refused_row(r, "Generic record-identifier pairs", SCV_STAT_GENERIC_RECORDS,
                "occurrences of those values on records");
    refused_row(r, "Generic decisions", SCV_STAT_GENERIC_DECISIONS,
                "times a value became generic (its merges were undone)");
    refused_row(r, "Merges", SCV_STAT_MERGES, "profile merges so far");
    refused_row(r, "Splits", SCV_STAT_SPLITS, "profiles split off another so far");
    put(&r->h, "</tbody></table>\n</section>\n");
}

/* ---- 6. Source overlap -------------------------------------------------------------------- */

#define MAX_OVERLAP 64

typedef struct overlap {
    uint64_t m[MAX_OVERLAP * MAX_OVERLAP];
    size_t n;               /* matrix side */
    scv_source shown[MAX_OVERLAP]; /* sources with profiles */
    size_t k;
    uint64_t max;
} overlap;

/* A blue from pale to dark for t in 0..1. */
static void heat_colour(char *buf, size_t cap, double t) {
    static const double lo[3] = {238, 244, 251}, hi[3] = {23, 70, 140};
    int c[3], i;
    for (i = 0; i < 3; i++) {
        c[i] = (int)(lo[i] + (hi[i] - lo[i]) * t + 0.5);
    }
    snprintf(buf, cap, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static void heat_labels(report *r, const overlap *o, double left, double top, double cell) {
    size_t i;
    int rotate = cell < 64;
    for (i = 0; i < o->k; i++) {
        size_t len;
        const char *name = source_name(r->e, o->shown[i], &len);
        double cx = left + cell * ((double)i + 0.5);
        svg_text(&r->h, left - 8, top + cell * ((double)i + 0.5) + 4, "end", "label", name, len);
        if (rotate) {
            putf(&r->h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" class=\"label\" "
                        "transform=\"rotate(-40 %.1f %.1f)\">",
                 cx, top - 8, cx, top - 8);
            put_esc_cut(&r->h, name, len, LABEL_CHARS);
            put(&r->h, "</text>\n");
        } else {
            svg_text(&r->h, cx, top - 8, "middle", "label", name, len);
        }
    }
}

static void heat_cell(report *r, const overlap *o, size_t i, size_t j, double x, double y,
                      double cell) {
    char fill[16], tip[200], num[32];
    size_t li, lj;
    const char *a = source_name(r->e, o->shown[i], &li);
    const char *b = source_name(r->e, o->shown[j], &lj);
    uint64_t v = o->m[o->shown[i] * o->n + o->shown[j]];
    double t = o->max > 0 ? (double)v / (double)o->max : 0.0;
    int fs = cell >= 44 ? 13 : cell >= 30 ? 11 : 8;
    heat_colour(fill, sizeof fill, t);
    fmt_num(num, v);
    if (i == j) {
        snprintf(tip, sizeof tip, "%.*s: %s profiles", (int)(li > 64 ? 64 : li), a, num);
    } else {
        snprintf(tip, sizeof tip, "%.*s and %.*s: %s profiles", (int)(li > 64 ? 64 : li), a,
                 (int)(lj > 64 ? 64 : lj), b, num);
    }
    svg_rect(&r->h, x, y, cell - 2, cell - 2, NULL, fill, tip);
    putf(&r->h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"cellnum%s\" "
                "style=\"font-size:%dpx\">%s</text>\n",
         x + (cell - 2) / 2, y + (cell - 2) / 2 + fs * 0.35, t > 0.5 ? " light" : "", fs, num);
}

static void heat_map(report *r, const overlap *o) {
    double cell = 560.0 / (double)o->k;
    double left = 150, top;
    size_t i, j;
    cell = cell > 88 ? 88 : cell < 22 ? 22 : cell;
    top = cell < 64 ? 100 : 30;
    svg_begin(&r->h, left + cell * (double)o->k + 20, top + cell * (double)o->k + 10,
              "Source overlap heat map",
              "Profiles with records from both the row source and the column source; the "
              "diagonal is the number of profiles seen in each source. Darker is more.");
    heat_labels(r, o, left, top, cell);
    for (i = 0; i < o->k; i++) {
        for (j = 0; j < o->k; j++) {
            heat_cell(r, o, i, j, left + cell * (double)j, top + cell * (double)i, cell);
        }
    }
    svg_end(&r->h);
}

static void overlap_table(report *r, const overlap *o) {
    size_t i, j, len;
    put(&r->h, "<details><summary>Table</summary>\n<table class=\"num\"><thead><tr>"
               "<td></td>");
    for (j = 0; j < o->k; j++) {
        const char *name = source_name(r->e, o->shown[j], &len);
        put(&r->h, "<th scope=\"col\">");
        put_esc(&r->h, name, len);
        put(&r->h, "</th>");
    }
    put(&r->h, "</tr></thead><tbody>\n");
    for (i = 0; i < o->k; i++) {
        const char *name = source_name(r->e, o->shown[i], &len);
        put(&r->h, "<tr><th scope=\"row\">");
        put_esc(&r->h, name, len);
        put(&r->h, "</th>");
        for (j = 0; j < o->k; j++) {
            put(&r->h, "<td>");
            put_num(&r->h, o->m[o->shown[i] * o->n + o->shown[j]]);
            put(&r->h, "</td>");
        }
        put(&r->h, "</tr>\n");
    }
    put(&r->h, "</tbody></table></details>\n");
}

static int section_overlap(report *r) {
    overlap *o = calloc(1, sizeof *o);
    uint32_t sources = scv_engine_source_count(r->e);
    size_t i;
    if (o == NULL) {
        return -1;
    }
    o->n = sources < MAX_OVERLAP ? sources : MAX_OVERLAP;
    if (o->n == 0 || scv_engine_source_overlap(r->e, o->m, o->n) != SCV_OK) {
        free(o);
        return -1;
    }
    for (i = 0; i < o->n * o->n; i++) {
        o->max = o->m[i] > o->max ? o->m[i] : o->max;
    }
    for (i = 0; i < o->n; i++) {
        if (o->m[i * o->n + i] > 0) {
            o->shown[o->k++] = (scv_source)i;
        }
    }
    put(&r->h, "<section id=\"overlap\" aria-labelledby=\"h-overlap\">\n"
               "<h2 id=\"h-overlap\">Source overlap</h2>\n<p class=\"note\">Profiles with records "
               "from both sources; the diagonal counts the profiles seen in each source.");
    if (sources > MAX_OVERLAP) {
        put(&r->h, " Only the first 64 sources are counted.");
    }
    put(&r->h, "</p>\n");
    if (o->k > 0) {
        heat_map(r, o);
        overlap_table(r, o);
    } else {
        put(&r->h, "<p>No profiles.</p>\n");
    }
    put(&r->h, "</section>\n");
    free(o);
    return 0;
}

/* ---- 7. Identifier-kind coverage ---------------------------------------------------------- */

static int section_coverage(report *r) {
    bar bars[SCV_MAX_KINDS];
    scv_kind k;
    for (k = 0; k < r->nkinds; k++) {
        bars[k].label = kind_name(r->e, k, &bars[k].label_len);
        bars[k].value = r->coverage[k];
        bars[k].muted = 0;
    }
    put(&r->h, "<section id=\"coverage\" aria-labelledby=\"h-coverage\">\n"
               "<h2 id=\"h-coverage\">Identifier-kind coverage</h2>\n<p class=\"note\">Profiles "
               "holding at least one linking identifier of each kind, and their share of all ");
    put_num(&r->h, r->profiles);
    put(&r->h, " profiles.</p>\n");
    svg_hbars(&r->h, "Identifier-kind coverage",
              "For each identifier kind, the number and percentage of profiles holding a "
              "linking identifier of that kind.",
              bars, r->nkinds, r->profiles);
    bars_table(&r->h, "Kind", bars, r->nkinds, r->profiles);
    put(&r->h, "</section>\n");
    return 0;
}

/* ---- 8. Personas and segments ------------------------------------------------------------- */

/* Split NAME=QUERY. @return 0 when well-formed. */
static int split_named(const char *text, const char **name, size_t *name_len, const char **query) {
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || (size_t)(eq - text) > SCV_MAX_NAME_LEN || eq[1] == '\0') {
        return -1;
    }
    *name = text;
    *name_len = (size_t)(eq - text);
    *query = eq + 1;
    return 0;
}

int report_named_query_ok(const char *text) {
    const char *name, *query;
    size_t len;
    return split_named(text, &name, &len, &query) == 0;
}

/* Report a query that did not compile; @return the exit status (1 out of memory, else 2). */
static int query_failed(const scv_engine *e, const char *option, const char *text, scv_status st,
                        size_t offset) {
    const char *msg = scv_engine_errmsg(e);
    if (st == SCV_ENOMEM) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    fprintf(stderr, "scv: --%s %s: query error at offset %lu: %s\n", option, text,
            (unsigned long)offset, msg[0] != '\0' ? msg : scv_status_str(st));
    return 2;
}

/* Compile one NAME=QUERY; with `defer`, unknown kinds and sources pass. */
static int check_one(scv_engine *e, const char *option, const char *text, int defer) {
    const char *name, *query;
    size_t len, offset = 0;
    scv_query *q = NULL;
    scv_status st;
    if (split_named(text, &name, &len, &query) != 0) {
        fprintf(stderr, "scv: --%s %s: expected NAME=QUERY\n", option, text);
        return 2;
    }
    st = scv_query_compile(e, query, strlen(query), &q, &offset);
    scv_query_free(q);
    if (st == SCV_OK || (defer && st == SCV_ENOTFOUND)) {
        return 0;
    }
    return query_failed(e, option, text, st, offset + (size_t)(query - text));
}

int report_check_queries(scv_engine *engine, const report_input *in) {
    size_t i;
    int rc = 0;
    for (i = 0; rc == 0 && i < in->npersonas; i++) {
        rc = check_one(engine, "persona", in->personas[i], 1);
    }
    for (i = 0; rc == 0 && i < in->nsegments; i++) {
        rc = check_one(engine, "segment", in->segments[i], 1);
    }
    return rc;
}

/* Persona sizes into bars[0..npersonas] (the last is "no persona"). @return 0, 1, 2. */
static int persona_sizes(report *r, bar *bars) {
    scv_personas *p = NULL;
    size_t i, offset = 0, assigned = 0;
    scv_status st = scv_personas_new(r->e, &p);
    for (i = 0; st == SCV_OK && i < r->in->npersonas; i++) {
        const char *query = "";
        (void)split_named(r->in->personas[i], &bars[i].label, &bars[i].label_len, &query);
        st = scv_personas_add(p, bars[i].label, bars[i].label_len, query, strlen(query), &offset);
        if (st != SCV_OK) {
            int rc = query_failed(r->e, "persona", r->in->personas[i], st,
                                  offset + (size_t)(query - r->in->personas[i]));
            scv_personas_free(p);
            return rc;
        }
    }
    if (st == SCV_OK) {
        st = scv_personas_assign(p, r->in->now);
    }
    for (i = 0; st == SCV_OK && i < r->in->npersonas; i++) {
        bars[i].value = scv_personas_size(p, (uint32_t)i);
        bars[i].muted = 0;
        assigned += bars[i].value;
    }
    scv_personas_free(p);
    if (st != SCV_OK) {
        return query_failed(r->e, "persona", "", st, 0);
    }
    bars[i].label = "no persona";
    bars[i].label_len = strlen(bars[i].label);
    bars[i].value = r->profiles > assigned ? r->profiles - assigned : 0;
    bars[i].muted = 1;
    return 0;
}

/* Segment sizes into bars[0..nsegments). @return 0, 1, 2. */
static int segment_sizes(report *r, bar *bars) {
    size_t i;
    for (i = 0; i < r->in->nsegments; i++) {
        const char *text = r->in->segments[i], *query = "";
        scv_query *q = NULL;
        scv_result *res = NULL;
        size_t offset = 0;
        scv_status st;
        (void)split_named(text, &bars[i].label, &bars[i].label_len, &query);
        st = scv_query_compile(r->e, query, strlen(query), &q, &offset);
        if (st != SCV_OK) {
            return query_failed(r->e, "segment", text, st, offset + (size_t)(query - text));
        }
        st = scv_query_eval(q, r->in->now, &res);
        scv_query_free(q);
        if (st != SCV_OK) {
            return query_failed(r->e, "segment", text, st, 0);
        }
        bars[i].value = scv_result_count(res);
        bars[i].muted = 0;
        scv_result_free(res);
    }
    return 0;
}

static void audience_chart(report *r, const char *title, const char *what, const char *desc,
                           const bar *bars, size_t n) {
    putf(&r->h, "<h3>%s</h3>\n", title);
    svg_hbars(&r->h, title, desc, bars, n, r->profiles);
    bars_table(&r->h, what, bars, n, r->profiles);
}

static int section_audiences(report *r) {
    size_t n = r->in->npersonas + r->in->nsegments + 1;
    bar *bars = calloc(n, sizeof *bars);
    int rc = 0;
    if (bars == NULL) {
        return -1;
    }
    if (r->in->npersonas > 0) {
        rc = persona_sizes(r, bars);
    }
    if (rc == 0 && r->in->nsegments > 0) {
        rc = segment_sizes(r, bars + r->in->npersonas + 1);
    }
    if (rc == 0) {
        put(&r->h, "<section id=\"audiences\" aria-labelledby=\"h-audiences\">\n"
                   "<h2 id=\"h-audiences\">Personas and segments</h2>\n<p class=\"note\">"
                   "Evaluated as of the report time. Each profile gets the first persona it "
                   "matches; segments may overlap.</p>\n");
    }
    if (rc == 0 && r->in->npersonas > 0) {
        audience_chart(r, "Persona sizes", "Persona",
                       "Profiles per persona, in the order given, and profiles with no persona.",
                       bars, r->in->npersonas + 1);
    }
    if (rc == 0 && r->in->nsegments > 0) {
        audience_chart(r, "Segment sizes", "Segment", "Profiles matching each segment.",
                       bars + r->in->npersonas + 1, r->in->nsegments);
    }
    if (rc == 0) {
        put(&r->h, "</section>\n");
    }
    free(bars);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */

/* @return 0, -1 when out of memory (not reported yet), or a reported exit status. */
static int write_sections(report *r) {
    section_header(r);
    if (section_sizes(r) != 0 || section_largest(r) != 0 || section_values(r) != 0) {
        return -1;
    }
    section_refused(r);
    if (section_overlap(r) != 0 || section_coverage(r) != 0) {
        return -1;
    }
    if (r->in->npersonas + r->in->nsegments > 0) {
        return section_audiences(r);
    }
    return 0;
}

int report_write(const char *path, scv_engine *engine, const report_input *in) {
    report r;
    int rc;
    memset(&r, 0, sizeof r);
    r.e = engine;
    r.in = in;
    r.profiles = scv_engine_profile_count(engine);
    r.nkinds = scv_engine_kind_count(engine);
    r.nkinds = r.nkinds > SCV_MAX_KINDS ? SCV_MAX_KINDS : r.nkinds;
    if (r.nkinds == 0 || scv_engine_kind_coverage(engine, r.coverage, r.nkinds) != SCV_OK) {
        fputs("scv: out of memory\n", stderr);
        return 1;
    }
    r.h.out = fopen(path, "wb");
    if (r.h.out == NULL) {
        perror(path);
        return 1;
    }
    page_begin(&r);
    rc = write_sections(&r);
    if (rc < 0) {
        fputs("scv: out of memory while writing the report\n", stderr);
        rc = 1;
    }
    if (rc == 0) {
        page_end(&r);
    }
    if ((fflush(r.h.out) != 0 || ferror(r.h.out)) && rc == 0) {
        fprintf(stderr, "scv: cannot write %s\n", path);
        rc = 1;
    }
    if (fclose(r.h.out) != 0 && rc == 0) {
        fprintf(stderr, "scv: cannot write %s\n", path);
        rc = 1;
    }
    if (rc != 0) {
        remove(path);
    }
    return rc;
}
