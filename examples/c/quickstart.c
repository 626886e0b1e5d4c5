#include <scv.h>
#include <stdio.h>

int main(void)
{
    scv_engine *engine;
    scv_record *rec;
    scv_profile_id a, b;
    const char *city;
    size_t len;

    scv_options *opts;
    scv_options_new(NULL, &opts);                       /* NULL: malloc/free */
    scv_options_set_region(opts, "DE", 2);              /* phones without +49 are German */
    scv_options_set_hash_key(opts, "secret", 6);        /* identifiers are hashed under it */
    if (scv_engine_new(opts, &engine) != SCV_OK) return 1;
    scv_options_free(opts);
    scv_engine_set_limit(engine, SCV_KIND_CUSTOMER_ID, 1); /* one customer number per person */
    scv_record_new(engine, &rec);

    /* A CRM row and a till receipt: the same phone, written two ways. */
    scv_record_reset(rec, SCV_SOURCE_CRM, "C-1001", 6);
    scv_record_add_identifier(rec, SCV_KIND_CUSTOMER_ID, "1001", 4);
    scv_record_add_identifier(rec, SCV_KIND_PHONE, "030 1234567", 11);
    scv_record_add_trait(rec, "city", 4, "Berlin", 6);
    scv_engine_upsert(engine, rec, &a);

    scv_record_reset(rec, SCV_SOURCE_POS, "B01-0042", 8);
    scv_record_add_identifier(rec, SCV_KIND_PHONE, "+49 (0)30 123 45 67", 19);
    if (scv_record_add_identifier(rec, SCV_KIND_EMAIL, "jane@", 5) == SCV_EREJECTED)
        printf("rejected: %s\n", scv_record_errmsg(rec)); /* bad values never link */
    scv_engine_upsert(engine, rec, &b);

    scv_profile_trait(engine, a, "city", 4, &city, &len, NULL);
    printf("same profile: %s, city %.*s, %zu profile(s)\n", a == b ? "yes" : "no", (int)len, city,
           scv_engine_profile_count(engine));

    scv_record_free(rec);
    scv_engine_free(engine);
    return a == b ? 0 : 1;
}
