// audience.cpp — scv from C++: RAII handles over the C API, a few records, a saved segment.
// Built and run as a test; it prints the profiles that entered the segment.
#include <scv.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct EngineFree {
    void operator()(scv_engine *e) const { scv_engine_free(e); }
};
struct RecordFree {
    void operator()(scv_record *r) const { scv_record_free(r); }
};
struct SegmentFree {
    void operator()(scv_segment *s) const { scv_segment_free(s); }
};
struct ResultFree {
    void operator()(scv_result *r) const { scv_result_free(r); }
};
using Engine = std::unique_ptr<scv_engine, EngineFree>;
using Record = std::unique_ptr<scv_record, RecordFree>;
using Segment = std::unique_ptr<scv_segment, SegmentFree>;
using Result = std::unique_ptr<scv_result, ResultFree>;

void check(scv_status st, const scv_engine *e, const char *what)
{
    if (st != SCV_OK) throw std::runtime_error(std::string(what) + ": " + scv_status_str(st) + " " + scv_engine_errmsg(e));
}

struct Order {
    const char *receipt;
    const char *email;
    double total;
    long long when;
};

}  // namespace

int main()
{
    try {
        scv_engine *raw = nullptr;
        check(scv_engine_new(nullptr, &raw), nullptr, "engine");
        Engine engine(raw);
        scv_record *r = nullptr;
        check(scv_record_new(engine.get(), &r), engine.get(), "record");
        Record rec(r);

        const std::vector<Order> orders = {
            {"B01-1", "ann@web.de", 120.0, 1735689600}, {"B01-2", " ANN@web.de", 90.0, 1736294400},
            {"B01-3", "bob@web.de", 15.0, 1736294400},  {"B01-4", "cem@web.de", 300.0, 1700000000},
        };
        const std::string measure = "order_total";
        for (const Order &o : orders) {
            const std::string id = o.receipt, email = o.email;
            check(scv_record_reset(rec.get(), SCV_SOURCE_POS, id.data(), id.size()), engine.get(), "reset");
            check(scv_record_add_identifier(rec.get(), SCV_KIND_EMAIL, email.data(), email.size()), engine.get(), "email");
            check(scv_record_set_timestamp(rec.get(), o.when), engine.get(), "time");
            check(scv_record_add_measure(rec.get(), measure.data(), measure.size(), o.total), engine.get(), "measure");
            check(scv_engine_upsert(engine.get(), rec.get(), nullptr), engine.get(), "upsert");
        }

        const std::string name = "big spenders", query = "sum(order_total, 90d) > 100";
        scv_segment *s = nullptr;
        check(scv_segment_new(engine.get(), name.data(), name.size(), query.data(), query.size(), &s, nullptr),
              engine.get(), "segment");
        Segment segment(s);
        scv_result *in = nullptr;
        check(scv_segment_refresh(segment.get(), 1736380800, &in, nullptr), engine.get(), "refresh");
        Result entered(in);
        std::printf("%zu profile(s) entered '%s':", scv_result_count(entered.get()), name.c_str());
        scv_profile_id p = 0;
        while (scv_result_next(entered.get(), p, &p) == SCV_OK) std::printf(" %u", p);
        std::printf("\n");
        return scv_result_count(entered.get()) == 1 ? 0 : 1;
    } catch (const std::exception &ex) {
        std::fprintf(stderr, "audience: %s\n", ex.what());
        return 1;
    }
}
