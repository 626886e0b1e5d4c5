/* fuzz_query.c — libFuzzer target: any bytes as query text into scv_query_compile().
 *
 * The query is compiled against a small engine built once (a few records over the built-in
 * sources with identifiers, traits, measures and consents, so that every kind of term has
 * something to evaluate). Whatever the text, compile returns a documented status, and a
 * syntax error's offset lies within the text. A query that compiles is evaluated at a fixed
 * `now`: the result holds at most as many profiles as the engine has, each of them live.
 * Any broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)

static void check(int ok)
{
    if (!ok) abort();
}

#define S(lit) lit, sizeof lit - 1

static scv_record *begin(scv_record *r, scv_source source, const char *id, int64_t ts)
{
    check(scv_record_reset(r, source, id, strlen(id)) == SCV_OK);
    check(scv_record_set_timestamp(r, ts) == SCV_OK);
    return r;
}

static void ident(scv_record *r, scv_kind kind, const char *value)
{
    check(scv_record_add_identifier(r, kind, value, strlen(value)) == SCV_OK);
}

static void trait(scv_record *r, const char *name, const char *value)
{
    check(scv_record_add_trait(r, name, strlen(name), value, strlen(value)) == SCV_OK);
}

static void measure(scv_record *r, const char *name, double v)
{
    check(scv_record_add_measure(r, name, strlen(name), v) == SCV_OK);
}

static void consent(scv_record *r, const char *channel, int granted, int64_t ts)
{
    check(scv_record_add_consent(r, channel, strlen(channel), granted, ts) == SCV_OK);
}

static scv_engine *prepared(void)
{
    static scv_engine *e;
    scv_options *o = NULL;
    scv_record *r = NULL;
    scv_source app;
    if (e != NULL) return e;
    check(scv_options_new(NULL, &o) == SCV_OK);
    check(scv_options_set_change_capacity(o, 0) == SCV_OK);
    check(scv_options_set_region(o, S("DE")) == SCV_OK);
    check(scv_engine_new(o, &e) == SCV_OK);
    scv_options_free(o);
    check(scv_engine_register_source(e, S("app"), &app) == SCV_OK);
    check(scv_record_new(e, &r) == SCV_OK);

    begin(r, SCV_SOURCE_CRM, "c1", NOW - 400 * DAY);
    ident(r, SCV_KIND_EMAIL, "anna@example.de");
    ident(r, SCV_KIND_CUSTOMER_ID, "C-1");
    trait(r, "city", "Berlin");
    trait(r, "age", "34");
    consent(r, "email", 1, NOW - 300 * DAY);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, SCV_SOURCE_WEB, "w1", NOW - 10 * DAY);
    ident(r, SCV_KIND_EMAIL, "Anna@Example.de");
    ident(r, SCV_KIND_ANONYMOUS_ID, "anon-77");
    measure(r, "order_total", 25.5);
    consent(r, "sms", 0, NOW - 5 * DAY);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, SCV_SOURCE_POS, "p1", NOW - 2 * DAY);
    ident(r, SCV_KIND_PHONE, "0151 12345678");
    ident(r, SCV_KIND_CUSTOMER_ID, "C-2");
    trait(r, "city", "Hamburg");
    trait(r, "age", "n/a");
    measure(r, "order_total", 120);
    measure(r, "items", 3);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, SCV_SOURCE_POS, "p2", NOW - 40 * DAY);
    ident(r, SCV_KIND_PHONE, "+49 151 12345678");
    measure(r, "order_total", 9.99);
    consent(r, "email", 0, NOW - 40 * DAY);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, SCV_SOURCE_EMAIL, "e1", SCV_NO_TIMESTAMP);
    ident(r, SCV_KIND_DEVICE_ID, "DEV-9");
    ident(r, SCV_KIND_LOYALTY_ID, "L100");
    trait(r, "tier", "gold");
    consent(r, "push", 1, NOW - DAY);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, app, "a1", NOW - 700 * DAY);
    ident(r, SCV_KIND_LOYALTY_ID, "l100");
    measure(r, "order_total", -3);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    begin(r, app, "a2", NOW);
    ident(r, SCV_KIND_EMAIL, "bob@shop.example.com");
    measure(r, "order_total", 1e6);
    check(scv_engine_upsert(e, r, NULL) == SCV_OK);

    scv_record_free(r);
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scv_engine *e = prepared();
    scv_query *q = (scv_query *)&e;
    scv_result *res = NULL;
    size_t off = (size_t)-1;
    scv_status st = scv_query_compile(e, (const char *)data, size, &q, &off);
    check(st == SCV_OK || st == SCV_EUTF8 || st == SCV_ESYNTAX || st == SCV_ENOTFOUND ||
          st == SCV_ETOOLONG || st == SCV_EINVAL);
    check((st == SCV_OK) == (q != NULL));
    if (st == SCV_ESYNTAX || st == SCV_EUTF8 || st == SCV_ENOTFOUND) check(off <= size);
    if (st != SCV_OK) return 0;

    check(scv_query_eval(q, NOW, &res) == SCV_OK);
    size_t n = scv_result_count(res), seen = 0, count;
    check(n <= scv_engine_profile_count(e));
    scv_profile_id p = 0;
    while (scv_result_next(res, p, &p) == SCV_OK) {
        check(scv_result_contains(res, p) == 1);
        /* A live profile: the size query answers (SCV_EBUFFER, with its record count). */
        check(scv_profile_records(e, p, NULL, 0, &count) == SCV_EBUFFER && count > 0);
        seen++;
    }
    check(seen == n);
    scv_result_free(res);
    scv_query_free(q);
    return 0;
}
