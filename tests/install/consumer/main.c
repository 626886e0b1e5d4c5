/* Links against an installed scv and resolves two records into one profile. */
#include <scv.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    scv_engine *e;
    scv_record *r;
    scv_profile_id a, b;
    if (scv_version_number() != SCV_VERSION_NUMBER) return 1;
    if (scv_engine_new(NULL, &e) != SCV_OK || scv_record_new(e, &r) != SCV_OK) return 1;
    scv_record_reset(r, SCV_SOURCE_CRM, "c1", 2);
    scv_record_add_identifier(r, SCV_KIND_EMAIL, "Ann@X.de", 8);
    scv_engine_upsert(e, r, &a);
    scv_record_reset(r, SCV_SOURCE_WEB, "w1", 2);
    scv_record_add_identifier(r, SCV_KIND_EMAIL, " ann@x.DE", 9);
    scv_engine_upsert(e, r, &b);
    printf("profiles=%zu same=%d\n", scv_engine_profile_count(e), a == b);
    scv_record_free(r);
    scv_engine_free(e);
    return a == b ? 0 : 1;
}
