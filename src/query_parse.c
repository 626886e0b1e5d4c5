/* query_parse.c — lexer and recursive-descent parser for segment queries (see query_ast.h).
 *
 * The lexer hands out one token at a time; the parser looks at most one token ahead, so the
 * first token that cannot continue the query is the one reported. Recursion happens only
 * for parentheses, and the nesting counter (parentheses plus 'not') stops it at
 * SCV__QMAX_DEPTH levels, so the stack use is bounded whatever the input. */
#include "query_ast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCV__QMAX_LEN 65536u  /* longest query text, bytes */
#define SCV__QMAX_DEPTH 256u  /* deepest nesting of parentheses and 'not' */
#define SCV__QMAX_DAYS 36500  /* longest aggregate window, days */

/* Significant digits handed to strtod; more are folded into one sticky digit. A double needs
 * at most 767 significant digits to round correctly, so this loses nothing. */
#define SCV__QNUM_DIGITS 780
/* Exponents are clamped to this magnitude: with at most SCV__QNUM_DIGITS + 1 digits the
 * value is 0 or infinite long before it. */
#define SCV__QNUM_EXP_CLAMP 10000000L

typedef enum qtok_type {
    QT_END,
    QT_LPAREN,
    QT_RPAREN,
    QT_COMMA,
    QT_OP,
    QT_NUMBER,
    QT_DURATION,
    QT_STRING,
    QT_WORD
} qtok_type;

typedef struct qtok {
    qtok_type type;
    size_t at, len;   /* bytes text[at..at+len) */
    scv__qop op;      /* QT_OP */
    double num;       /* QT_NUMBER */
    int64_t days;     /* QT_DURATION, saturated; negative when written with '-' */
} qtok;

typedef struct qparser {
    const scv__mem *m;
    const char *text;
    size_t len;
    size_t pos;        /* lexer position: the byte after the current token */
    qtok tok;          /* current token */
    unsigned depth;    /* enclosing parentheses and 'not's */
    scv__qast *ast;
    const char *reason;
    size_t offset;
} qparser;

/* Reasons. */
static const char R_END[] = "unexpected end of query";
static const char R_OP[] = "expected a comparison operator";
static const char R_LIT[] = "expected a number or a string";
static const char R_LPAREN[] = "expected '('";
static const char R_RPAREN[] = "expected ')'";
static const char R_NAME[] = "expected a name";
static const char R_UNKNOWN[] = "unknown function or keyword";
static const char R_TEST[] = "expected a test";
static const char R_UNTERM[] = "unterminated string";
static const char R_ESCAPE[] = "invalid escape in string";
static const char R_CTRL[] = "control character in string";
static const char R_NUMBER[] = "invalid number";
static const char R_DUR_PLACE[] = "a duration (e.g. 90d) is only allowed in an aggregate";
static const char R_DUR_EXPECT[] = "expected a duration (e.g. 90d)";
static const char R_DUR_RANGE[] = "duration out of range";
static const char R_CHAR[] = "unexpected character";
static const char R_TRAIL[] = "expected 'and', 'or' or the end of the query";
static const char R_LONG[] = "query too long";
static const char R_DEEP[] = "query nested too deeply";
static const char R_NOMEM[] = "out of memory";

static scv_status fail(qparser *p, scv_status st, const char *reason, size_t offset)
{
    p->reason = reason;
    p->offset = offset;
    return st;
}

/* A syntax error at the current token: "unexpected end" when it is the end. */
static scv_status fail_tok(qparser *p, const char *reason)
{
    if (p->tok.type == QT_END) return fail(p, SCV_ESYNTAX, R_END, p->len);
    return fail(p, SCV_ESYNTAX, reason, p->tok.at);
}

/* ---- lexer ------------------------------------------------------------------------------ */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_word_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_word_char(unsigned char c)
{
    return is_word_start(c) || is_digit(c);
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Whether text[at..at+len) is `kw` (lower case), ignoring ASCII case. */
static int word_is(const qparser *p, const qtok *t, const char *kw)
{
    size_t n = strlen(kw);
    if (t->type != QT_WORD || t->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)p->text[t->at + i]) != (unsigned char)kw[i]) return 0;
    }
    return 1;
}

/*
 * Convert the number spelt text[at..end) (already checked against the grammar
 * -?D+(.D+)?([eE][+-]?D+)?) into *out. Builds "[-]DIGITSe[-]EXP" without a decimal point, so
 * strtod's answer does not depend on the locale, and keeps it short with a sticky digit.
 * Returns 0 when the value is not finite.
 */
static int number_value(const char *text, size_t at, size_t end, double *out)
{
    char buf[SCV__QNUM_DIGITS + 32];
    size_t i = at, nb = 0, ndig = 0;
    long exp10 = 0, e = 0;
    int sticky = 0, seen_nonzero = 0, in_frac = 0, eneg = 0;
    char *stop = NULL;
    double v;

    if (text[i] == '-') buf[nb++] = text[i++];
    for (; i < end && (is_digit((unsigned char)text[i]) || text[i] == '.'); i++) {
        char c = text[i];
        if (c == '.') {
            in_frac = 1;
            continue;
        }
        if (in_frac) exp10--;          /* every fraction digit scales by 1/10 */
        if (!seen_nonzero && c == '0') continue; /* leading zeros carry nothing */
        seen_nonzero = 1;
        if (ndig < SCV__QNUM_DIGITS) {
            buf[nb++] = c;
            ndig++;
        } else {
            exp10++;                   /* a dropped digit */
            if (c != '0') sticky = 1;
        }
    }
    if (ndig == 0) buf[nb++] = '0';
    if (sticky) {
        buf[nb++] = '1';
        exp10--;
    }
    if (i < end) { /* exponent */
        i++;       /* e or E */
        if (text[i] == '+' || text[i] == '-') eneg = text[i++] == '-';
        for (; i < end; i++) {
            if (e < SCV__QNUM_EXP_CLAMP) e = e * 10 + (text[i] - '0');
        }
        exp10 += eneg ? -e : e;
    }
    if (exp10 > SCV__QNUM_EXP_CLAMP) exp10 = SCV__QNUM_EXP_CLAMP;
    if (exp10 < -SCV__QNUM_EXP_CLAMP) exp10 = -SCV__QNUM_EXP_CLAMP;
    if (exp10 != 0) {
        unsigned long ue = (unsigned long)(exp10 < 0 ? -exp10 : exp10);
        char rev[24];
        size_t nr = 0;
        buf[nb++] = 'e';
        if (exp10 < 0) buf[nb++] = '-';
        do {
            rev[nr++] = (char)('0' + ue % 10);
            ue /= 10;
        } while (ue != 0);
        while (nr > 0) buf[nb++] = rev[--nr];
    }
    buf[nb] = '\0';
    v = strtod(buf, &stop);
    if (stop != buf + nb || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* Lex a number or a duration starting at p->pos ('-' or a digit). */
static scv_status lex_number(qparser *p)
{
    const char *s = p->text;
    size_t n = p->len, at = p->pos, i = at, int_start;
    int neg = 0, is_int = 1;

    if (s[i] == '-') {
        neg = 1;
        i++;
    }
    int_start = i;
    while (i < n && is_digit((unsigned char)s[i])) i++;
    if (i == int_start) return fail(p, SCV_ESYNTAX, R_NUMBER, at);
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        is_int = 0;
        while (i < n && is_digit((unsigned char)s[i])) i++;
        if (i == f) return fail(p, SCV_ESYNTAX, R_NUMBER, at);
    }
    /* A duration: an integer directly followed by d or D, and nothing word-like after. */
    if (is_int && i < n && (s[i] == 'd' || s[i] == 'D') &&
        (i + 1 >= n || (!is_word_char((unsigned char)s[i + 1]) && s[i + 1] != '.'))) {
        int64_t days = 0;
        for (size_t k = int_start; k < i; k++) {
            if (days <= SCV__QMAX_DAYS) days = days * 10 + (s[k] - '0');
        }
        p->tok.type = QT_DURATION;
        p->tok.at = at;
        p->tok.len = i + 1 - at;
        p->tok.days = neg ? -days : days;
        p->pos = i + 1;
        return SCV_OK;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t d;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        d = i;
        while (i < n && is_digit((unsigned char)s[i])) i++;
        if (i == d) return fail(p, SCV_ESYNTAX, R_NUMBER, at);
    }
    /* 5x, 1.2.3, 90days: one malformed number, not a number glued to something. */
    if (i < n && (is_word_char((unsigned char)s[i]) || s[i] == '.'))
        return fail(p, SCV_ESYNTAX, R_NUMBER, at);
    p->tok.type = QT_NUMBER;
    p->tok.at = at;
    p->tok.len = i - at;
    if (!number_value(s, at, i, &p->tok.num)) return fail(p, SCV_ESYNTAX, R_NUMBER, at);
    p->pos = i;
    return SCV_OK;
}

/* Lex a "string" starting at p->pos (the quote); only checks it, unescaping is later. */
static scv_status lex_string(qparser *p)
{
    const char *s = p->text;
    size_t n = p->len, at = p->pos, i = at + 1;
    for (;;) {
        unsigned char c;
        if (i >= n) return fail(p, SCV_ESYNTAX, R_UNTERM, at);
        c = (unsigned char)s[i];
        if (c == '"') break;
        if (c < 0x20) return fail(p, SCV_ESYNTAX, R_CTRL, i);
        if (c == '\\') {
            if (i + 1 >= n) return fail(p, SCV_ESYNTAX, R_UNTERM, at);
            if (s[i + 1] != '"' && s[i + 1] != '\\') return fail(p, SCV_ESYNTAX, R_ESCAPE, i);
            i += 2;
            continue;
        }
        i++;
    }
    p->tok.type = QT_STRING;
    p->tok.at = at;
    p->tok.len = i + 1 - at;
    p->pos = i + 1;
    return SCV_OK;
}

/* Read the next token into p->tok. */
static scv_status next(qparser *p)
{
    const char *s = p->text;
    size_t n = p->len;
    unsigned char c;

    while (p->pos < n && (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\r' ||
                          s[p->pos] == '\n'))
        p->pos++;
    if (p->pos >= n) {
        p->tok.type = QT_END;
        p->tok.at = n;
        p->tok.len = 0;
        return SCV_OK;
    }
    c = (unsigned char)s[p->pos];
    p->tok.at = p->pos;
    p->tok.len = 1;
    if (is_word_start(c)) {
        size_t i = p->pos + 1;
        while (i < n && is_word_char((unsigned char)s[i])) i++;
        p->tok.type = QT_WORD;
        p->tok.len = i - p->pos;
        p->pos = i;
        return SCV_OK;
    }
    if (is_digit(c) || c == '-') return lex_number(p);
    if (c == '"') return lex_string(p);
    switch (c) {
    case '(': p->tok.type = QT_LPAREN; break;
    case ')': p->tok.type = QT_RPAREN; break;
    case ',': p->tok.type = QT_COMMA; break;
    case '=':
        p->tok.type = QT_OP;
        p->tok.op = SCV__OP_EQ;
        if (p->pos + 1 < n && s[p->pos + 1] == '=') p->tok.len = 2;
        break;
    case '!':
        if (p->pos + 1 >= n || s[p->pos + 1] != '=') return fail(p, SCV_ESYNTAX, R_CHAR, p->pos);
        p->tok.type = QT_OP;
        p->tok.op = SCV__OP_NE;
        p->tok.len = 2;
        break;
    case '<':
    case '>': {
        int eq = p->pos + 1 < n && s[p->pos + 1] == '=';
        p->tok.type = QT_OP;
        p->tok.op = c == '<' ? (eq ? SCV__OP_LE : SCV__OP_LT) : (eq ? SCV__OP_GE : SCV__OP_GT);
        p->tok.len = eq ? 2 : 1;
        break;
    }
    default: return fail(p, SCV_ESYNTAX, R_CHAR, p->pos);
    }
    p->pos += p->tok.len;
    return SCV_OK;
}

/* ---- AST building ----------------------------------------------------------------------- */

static scv_status new_node(qparser *p, scv__qnode_type type, size_t at, uint32_t *idx)
{
    scv__qnode *nd;
    if (SCV__VEC_RESERVE(p->m, p->ast->nodes, 1) != SCV_OK) return fail(p, SCV_ENOMEM, R_NOMEM, 0);
    *idx = (uint32_t)p->ast->nodes.len;
    nd = &p->ast->nodes.data[p->ast->nodes.len++];
    memset(nd, 0, sizeof(*nd));
    nd->type = type;
    nd->at = (uint32_t)at;
    return SCV_OK;
}

/* Copy the current token (a word, or a string with its escapes resolved) into the pool. */
static scv_status intern_tok(qparser *p, scv__qstr *out)
{
    const char *s = p->text + p->tok.at;
    size_t n = p->tok.len;
    scv__qast *ast = p->ast;
    if (p->tok.type == QT_STRING) {
        s++;
        n -= 2;
    }
    if (SCV__VEC_RESERVE(p->m, ast->pool, n) != SCV_OK) return fail(p, SCV_ENOMEM, R_NOMEM, 0);
    out->off = (uint32_t)ast->pool.len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (p->tok.type == QT_STRING && c == '\\') c = s[++i]; /* \" or \\, checked by the lexer */
        ast->pool.data[ast->pool.len++] = c;
    }
    out->len = (uint32_t)(ast->pool.len - out->off);
    return SCV_OK;
}

/* Consume a token of `type`, or fail with `reason`. */
static scv_status expect(qparser *p, qtok_type type, const char *reason)
{
    if (p->tok.type != type) return fail_tok(p, reason);
    return next(p);
}

/* NAME in has(...), seen(...), trait(...) and the aggregates. */
static scv_status parse_name(qparser *p, scv__qstr *out)
{
    scv_status st;
    if (p->tok.type != QT_WORD && p->tok.type != QT_STRING) return fail_tok(p, R_NAME);
    if ((st = intern_tok(p, out)) != SCV_OK) return st;
    return next(p);
}

/* '(' NAME ')' */
static scv_status parse_paren_name(qparser *p, scv__qstr *out)
{
    scv_status st;
    if ((st = expect(p, QT_LPAREN, R_LPAREN)) != SCV_OK) return st;
    if ((st = parse_name(p, out)) != SCV_OK) return st;
    return expect(p, QT_RPAREN, R_RPAREN);
}

static const struct {
    const char *kw;
    scv__qterm term;
} qterms[] = {
    {"count", SCV__T_COUNT},
    {"sum", SCV__T_SUM},
    {"avg", SCV__T_AVG},
    {"min", SCV__T_MIN},
    {"max", SCV__T_MAX},
    {"records", SCV__T_RECORDS},
    {"trait", SCV__T_TRAIT},
    {"days_since_first_seen", SCV__T_DAYS_FIRST},
    {"days_since_last_seen", SCV__T_DAYS_LAST},
    {"rfm_r", SCV__T_RFM_R},
    {"rfm_f", SCV__T_RFM_F},
    {"rfm_m", SCV__T_RFM_M},
};

static const struct {
    const char *kw;
    scv__qnode_type type;
} qtests[] = {
    {"has", SCV__Q_HAS},
    {"seen", SCV__Q_SEEN},
    {"consent", SCV__Q_CONSENT},
};

/* test := term OP literal | has(KIND) | seen(SOURCE) | consent(CHANNEL); p->tok is a word. */
static scv_status parse_test(qparser *p, uint32_t *out)
{
    size_t at = p->tok.at, i;
    scv__qstr name = {0, 0}, lit = {0, 0};
    int64_t window = 0;
    scv__qterm term;
    scv__qop op;
    scv__qnode *nd;
    scv_status st;

    for (i = 0; i < sizeof(qtests) / sizeof(qtests[0]); i++) {
        if (word_is(p, &p->tok, qtests[i].kw)) {
            if ((st = next(p)) != SCV_OK) return st;
            if ((st = parse_paren_name(p, &name)) != SCV_OK) return st;
            if ((st = new_node(p, qtests[i].type, at, out)) != SCV_OK) return st;
            p->ast->nodes.data[*out].name = name;
            return SCV_OK;
        }
    }
    for (i = 0; i < sizeof(qterms) / sizeof(qterms[0]); i++) {
        if (word_is(p, &p->tok, qterms[i].kw)) break;
    }
    if (i == sizeof(qterms) / sizeof(qterms[0])) return fail_tok(p, R_UNKNOWN);
    term = qterms[i].term;
    if ((st = next(p)) != SCV_OK) return st;
    if (term == SCV__T_TRAIT) {
        if ((st = parse_paren_name(p, &name)) != SCV_OK) return st;
    } else if (term <= SCV__T_MAX) { /* AGG '(' MEASURE [',' DURATION] ')' */
        if ((st = expect(p, QT_LPAREN, R_LPAREN)) != SCV_OK) return st;
        if ((st = parse_name(p, &name)) != SCV_OK) return st;
        if (p->tok.type == QT_COMMA) {
            if ((st = next(p)) != SCV_OK) return st;
            if (p->tok.type != QT_DURATION) return fail_tok(p, R_DUR_EXPECT);
            if (p->tok.days < 1 || p->tok.days > SCV__QMAX_DAYS)
                return fail(p, SCV_ESYNTAX, R_DUR_RANGE, p->tok.at);
            window = p->tok.days;
            if ((st = next(p)) != SCV_OK) return st;
        }
        if ((st = expect(p, QT_RPAREN, R_RPAREN)) != SCV_OK) return st;
    }
    if (p->tok.type != QT_OP) return fail_tok(p, R_OP);
    op = p->tok.op;
    if ((st = next(p)) != SCV_OK) return st;
    if (p->tok.type == QT_DURATION) return fail(p, SCV_ESYNTAX, R_DUR_PLACE, p->tok.at);
    if (p->tok.type != QT_NUMBER && p->tok.type != QT_STRING) return fail_tok(p, R_LIT);
    if (p->tok.type == QT_STRING && (st = intern_tok(p, &lit)) != SCV_OK) return st;
    if ((st = new_node(p, SCV__Q_CMP, at, out)) != SCV_OK) return st;
    nd = &p->ast->nodes.data[*out];
    nd->term = term;
    nd->name = name;
    nd->window_days = window;
    nd->op = op;
    nd->lit_is_string = p->tok.type == QT_STRING;
    if (nd->lit_is_string) nd->lit_str = lit;
    else nd->lit_num = p->tok.num;
    return next(p);
}

static scv_status parse_or(qparser *p, uint32_t *out, size_t *start);

/* unary := 'not' unary | '(' or ')' | test. 'not' chains are taken in a loop: their nodes
 * are consecutive, each pointing at the next, the last at the operand. */
static scv_status parse_unary(qparser *p, uint32_t *out, size_t *start)
{
    unsigned saved = p->depth, nots = 0;
    uint32_t first_not = 0, operand;
    size_t at = p->tok.at;
    scv_status st;

    while (word_is(p, &p->tok, "not")) {
        uint32_t idx;
        if (++p->depth > SCV__QMAX_DEPTH) return fail(p, SCV_ETOOLONG, R_DEEP, p->tok.at);
        if ((st = new_node(p, SCV__Q_NOT, p->tok.at, &idx)) != SCV_OK) return st;
        if (nots++ == 0) first_not = idx;
        if ((st = next(p)) != SCV_OK) return st;
    }
    if (p->tok.type == QT_LPAREN) {
        size_t inner;
        if (++p->depth > SCV__QMAX_DEPTH) return fail(p, SCV_ETOOLONG, R_DEEP, p->tok.at);
        if ((st = next(p)) != SCV_OK) return st;
        if ((st = parse_or(p, &operand, &inner)) != SCV_OK) return st;
        if ((st = expect(p, QT_RPAREN, R_RPAREN)) != SCV_OK) return st;
    } else if (p->tok.type == QT_WORD && !word_is(p, &p->tok, "and") &&
               !word_is(p, &p->tok, "or")) {
        if ((st = parse_test(p, &operand)) != SCV_OK) return st;
    } else if (p->tok.type == QT_DURATION) {
        return fail(p, SCV_ESYNTAX, R_DUR_PLACE, p->tok.at);
    } else {
        return fail_tok(p, R_TEST);
    }
    for (unsigned k = 0; k < nots; k++) {
        p->ast->nodes.data[first_not + k].a = k + 1 < nots ? first_not + k + 1 : operand;
    }
    p->depth = saved;
    *out = nots > 0 ? first_not : operand;
    *start = at;
    return SCV_OK;
}

/* and := unary ('and' unary)* */
static scv_status parse_and(qparser *p, uint32_t *out, size_t *start)
{
    uint32_t left, right, node;
    size_t at, rat;
    scv_status st;
    if ((st = parse_unary(p, &left, &at)) != SCV_OK) return st;
    while (word_is(p, &p->tok, "and")) {
        if ((st = next(p)) != SCV_OK) return st;
        if ((st = parse_unary(p, &right, &rat)) != SCV_OK) return st;
        if ((st = new_node(p, SCV__Q_AND, at, &node)) != SCV_OK) return st;
        p->ast->nodes.data[node].a = left;
        p->ast->nodes.data[node].b = right;
        left = node;
    }
    *out = left;
    *start = at;
    return SCV_OK;
}

/* or := and ('or' and)* */
static scv_status parse_or(qparser *p, uint32_t *out, size_t *start)
{
    uint32_t left, right, node;
    size_t at, rat;
    scv_status st;
    if ((st = parse_and(p, &left, &at)) != SCV_OK) return st;
    while (word_is(p, &p->tok, "or")) {
        if ((st = next(p)) != SCV_OK) return st;
        if ((st = parse_and(p, &right, &rat)) != SCV_OK) return st;
        if ((st = new_node(p, SCV__Q_OR, at, &node)) != SCV_OK) return st;
        p->ast->nodes.data[node].a = left;
        p->ast->nodes.data[node].b = right;
        left = node;
    }
    *out = left;
    *start = at;
    return SCV_OK;
}

scv_status scv__query_parse(const scv__mem *m, const char *text, size_t len, scv__qast *ast,
                            const char **reason, size_t *offset)
{
    qparser p;
    scv_status st;
    uint32_t root = 0;
    size_t start;

    if (reason != NULL) *reason = NULL;
    if (offset != NULL) *offset = 0;
    if (m == NULL || ast == NULL || (text == NULL && len > 0)) return SCV_EINVAL;
    ast->nodes.len = 0;
    ast->pool.len = 0;
    ast->root = 0;

    memset(&p, 0, sizeof(p));
    p.m = m;
    p.text = text;
    p.len = len;
    p.ast = ast;
    if (len > SCV__QMAX_LEN) {
        st = fail(&p, SCV_ETOOLONG, R_LONG, SCV__QMAX_LEN);
    } else if (SCV__VEC_RESERVE(m, ast->pool, 1) != SCV_OK) {
        /* Always some pool, so pool.data + off is valid even when every string is empty. */
        st = fail(&p, SCV_ENOMEM, R_NOMEM, 0);
    } else if ((st = next(&p)) == SCV_OK && (st = parse_or(&p, &root, &start)) == SCV_OK) {
        if (p.tok.type != QT_END) st = fail(&p, SCV_ESYNTAX, R_TRAIL, p.tok.at);
    }
    if (st != SCV_OK) {
        ast->nodes.len = 0;
        ast->pool.len = 0;
        if (reason != NULL) *reason = p.reason;
        if (offset != NULL) *offset = p.offset;
        return st;
    }
    ast->root = root;
    return SCV_OK;
}

void scv__qast_free(const scv__mem *m, scv__qast *ast)
{
    if (ast == NULL) return;
    SCV__VEC_FREE(m, ast->nodes);
    SCV__VEC_FREE(m, ast->pool);
    ast->root = 0;
}
