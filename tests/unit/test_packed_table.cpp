// Bit I/O and PackedTable: round trips at every field width and for random tables against an
// unpacked reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "sim/table/packed_table.hpp"

using namespace nmsim;

TEST(BitIo, RoundTripsEveryWidthAtEveryOffset) {
    for (unsigned width = 1; width <= 64; ++width) {
        std::mt19937_64 rng(width);
        std::vector<std::uint64_t> words(64, 0);
        std::vector<std::uint64_t> values;
        const unsigned count = (62 * 64) / width;
        for (unsigned i = 0; i < count; ++i) values.push_back(rng() & bits::mask(width));
        for (unsigned i = 0; i < count; ++i)
            bits::write(words.data(), std::uint64_t{i} * width, width, values[i]);
        for (unsigned i = 0; i < count; ++i)
            ASSERT_EQ(bits::read(words.data(), std::uint64_t{i} * width, width), values[i])
                << "width " << width;
    }
}

TEST(BitIo, WidthFor) {
    EXPECT_EQ(bits::width_for(0), 1u);
    EXPECT_EQ(bits::width_for(1), 1u);
    EXPECT_EQ(bits::width_for(2), 2u);
    EXPECT_EQ(bits::width_for(255), 8u);
    EXPECT_EQ(bits::width_for(256), 9u);
    EXPECT_EQ(bits::width_for(~0ull), 64u);
}

namespace {

struct Synapse {
    std::uint64_t source, target;
    double weight;
    std::uint32_t delay;
    bool operator<(const Synapse& o) const {
        return std::tie(source, target, weight, delay) < std::tie(o.source, o.target, o.weight, o.delay);
    }
    bool operator==(const Synapse& o) const {
        return source == o.source && target == o.target && weight == o.weight && delay == o.delay;
    }
};

// Every synapse of a table, row by row.
std::vector<Synapse> decoded(const PackedTable& t, std::uint64_t rows) {
    std::vector<Synapse> back;
    for (std::uint64_t r = 0; r < rows; ++r)
        t.for_each_synapse(r, [&](std::uint64_t tgt, double w, std::uint32_t d) {
            back.push_back({r, tgt, w, d});
        });
    return back;
}

// Builds a table from synapses (in the order given; each row's targets non-decreasing) and decodes it
// back. defer: the writes go through the builder's FIFO, as for a table larger than the caches.
std::vector<Synapse> round_trip(const std::vector<Synapse>& syn, std::uint64_t rows, std::uint64_t base,
                                std::uint64_t end, unsigned force_bits, PackedTable* out = nullptr,
                                bool defer = false) {
    PackedTableBuilder b(rows, base, end);
    for (const auto& s : syn) b.observe(s.source, s.target, s.weight, s.delay);
    b.choose_widths(force_bits);
    for (const auto& s : syn) b.count(s.source, s.target);
    b.allocate();
    b.defer_writes(defer);
    const std::uint64_t planned = b.planned_bytes();
    for (const auto& s : syn) b.write(s.source, s.target, s.weight, s.delay);
    PackedTable t = b.finish();
    EXPECT_EQ(t.bytes(), planned);
    EXPECT_EQ(t.synapses(), syn.size());
    std::vector<Synapse> back = decoded(t, rows);
    if (out) *out = std::move(t);
    return back;
}

std::vector<Synapse> random_synapses(std::mt19937_64& rng, std::uint64_t rows, std::uint64_t base,
                                     std::uint64_t span, std::size_t n, int weight_kind, int delay_kind) {
    std::vector<Synapse> syn;
    std::uniform_real_distribution<float> uni(-2.0f, 2.0f);
    for (std::size_t i = 0; i < n; ++i) {
        Synapse s{rng() % rows, base + rng() % span, 0.5, 15};
        if (weight_kind == 1) s.weight = 0.1 * static_cast<double>(rng() % 7); // few distinct: lookup
        if (weight_kind == 2) s.weight = uni(rng); // many distinct: float32 values
        if (delay_kind == 1)
            s.delay = 1 + static_cast<std::uint32_t>(rng() % 3) * 40; // lookup narrower than value
        if (delay_kind == 2) s.delay = 1 + static_cast<std::uint32_t>(rng() % 200); // value
        syn.push_back(s);
    }
    std::sort(syn.begin(), syn.end());
    return syn;
}

// f(weight kind, delay kind, forced target bits) for every field mode of random_synapses, with the
// widths chosen from the data (0) and with narrow forced targets (3 bits: escapes).
template <class F> void for_every_layout(F&& f) {
    for (int weight_kind = 0; weight_kind < 3; ++weight_kind)
        for (int delay_kind = 0; delay_kind < 3; ++delay_kind)
            for (unsigned force : {0u, 3u}) f(weight_kind, delay_kind, force);
}

} // namespace

TEST(PackedTable, RoundTripsEveryTargetWidth1To32) {
    std::mt19937_64 rng(7);
    // Wide spans and long gaps force escapes at small widths and absolute-sized gaps at large ones.
    const std::uint64_t base = 1000, span = 5'000'000;
    auto syn = random_synapses(rng, 50, base, span, 3000, 0, 0);
    for (unsigned width = 1; width <= 32; ++width) {
        auto back = round_trip(syn, 50, base, base + span, width);
        ASSERT_EQ(back, syn) << "target width " << width;
    }
}

TEST(PackedTable, RoundTripsRandomTablesInEveryFieldMode) {
    std::mt19937_64 rng(11);
    for (int weight_kind = 0; weight_kind < 3; ++weight_kind)
        for (int delay_kind = 0; delay_kind < 3; ++delay_kind)
            for (int rep = 0; rep < 5; ++rep) {
                const std::uint64_t rows = 1 + rng() % 300, span = 1 + rng() % 20000, base = rng() % 1000;
                auto syn = random_synapses(rng, rows, base, span, rng() % 20000, weight_kind, delay_kind);
                PackedTable t;
                auto back = round_trip(syn, rows, base, base + span, 0, &t);
                ASSERT_EQ(back, syn) << "weights " << weight_kind << " delays " << delay_kind;
                const auto& w = t.widths();
                EXPECT_EQ(w.weight_mode, weight_kind == 0   ? FieldMode::absent
                                         : weight_kind == 1 ? FieldMode::lookup
                                                            : FieldMode::value);
                if (syn.size() > 100) {
                    EXPECT_EQ(w.delay_mode, delay_kind == 0   ? FieldMode::absent
                                            : delay_kind == 1 ? FieldMode::lookup
                                                              : FieldMode::value);
                }
            }
}

TEST(PackedTable, DecodingTargetsIntoArraysIsForEachSynapse) {
    // decode_targets (16 entries per step with AVX-512 VBMI for entries up to 25 bits) against
    // for_each_synapse, row by row, at every forced gap width 1..26 (escapes at narrow ones, the scalar
    // path past 25 bits) and the widths chosen from the data, in every delay mode and with weights beside
    // (they shift the delay field), with empty rows, multapses and rows longer than a block.
    std::mt19937_64 rng(23);
    std::size_t checked = 0;
    for (int weight_kind = 0; weight_kind < 3; ++weight_kind)
        for (int delay_kind = 0; delay_kind < 3; ++delay_kind)
            for (unsigned force = 0; force <= 26; ++force) {
                if (weight_kind == 2 && force > 16) continue; // float32 values leave fewer bits for gaps
                const std::uint64_t rows = 40, base = 7 + rng() % 1000, span = 1 + rng() % 3000;
                auto syn = random_synapses(rng, rows, base, span, rng() % 3000, weight_kind, delay_kind);
                if (force % 5 == 1)
                    syn.push_back({syn.empty() ? 0 : syn.back().source, base + span - 1, 0.5, 15});
                PackedTable t;
                round_trip(syn, rows, base, base + span, force, &t);
                for (std::uint64_t r = 0; r < rows; ++r) {
                    std::vector<std::uint32_t> expect_t, expect_d;
                    t.for_each_synapse(r, [&](std::uint64_t tgt, double, std::uint32_t d) {
                        expect_t.push_back(static_cast<std::uint32_t>(tgt - 5));
                        expect_d.push_back(d);
                    });
                    std::vector<std::uint32_t> got_t(expect_t.size() + 16), got_d(expect_t.size() + 16);
                    const std::uint32_t n = t.decode_targets(r, 5, got_t.data(), got_d.data());
                    ASSERT_EQ(n, expect_t.size()) << "row " << r << " width " << t.widths().target;
                    got_t.resize(n);
                    got_d.resize(n);
                    ASSERT_EQ(got_t, expect_t) << "row " << r << " entry bits " << t.widths().entry();
                    ASSERT_EQ(got_d, expect_d) << "row " << r << " entry bits " << t.widths().entry();
                    checked += n;
                }
            }
    EXPECT_GT(checked, 100000u);
}

namespace {
// A functor that can bind a delay, as the engine's ring adder: records which path decoded each synapse.
struct BindingRecorder {
    std::vector<Synapse>* out;
    std::uint64_t row;
    std::uint32_t* bound; // synapses decoded through a bound copy
    void operator()(std::uint64_t t, double w, std::uint32_t d) const { out->push_back({row, t, w, d}); }
    auto bind_delay(std::uint32_t d) const {
        return [*this, d](std::uint64_t t, double w, std::uint32_t) {
            ++*bound;
            out->push_back({row, t, w, d});
        };
    }
};
} // namespace

TEST(PackedTable, AConstantDelayIsBoundOncePerRowAndOnlyThen) {
    // decode binds the table's constant delay into a functor that offers bind_delay (the engine's
    // RingAdd); every other delay mode calls the functor itself. The synapses are for_each_synapse's.
    std::mt19937_64 rng(31);
    for_every_layout([&](int weight_kind, int delay_kind, unsigned force) {
        const std::uint64_t rows = 30, base = rng() % 500, span = 1 + rng() % 5000;
        auto syn = random_synapses(rng, rows, base, span, 2000 + rng() % 2000, weight_kind, delay_kind);
        PackedTable t;
        const auto expect = round_trip(syn, rows, base, base + span, force, &t);
        std::vector<Synapse> got;
        std::uint32_t bound = 0;
        for (std::uint64_t r = 0; r < rows; ++r) t.for_each_synapse(r, BindingRecorder{&got, r, &bound});
        ASSERT_EQ(got, expect) << "weights " << weight_kind << " delays " << delay_kind;
        const bool constant = t.widths().delay_mode == FieldMode::absent;
        EXPECT_EQ(bound, constant ? got.size() : 0u) << "delays " << delay_kind;
    });
}

TEST(PackedTable, MultapsesAndEmptyRows) {
    std::vector<Synapse> syn = {
        {0, 5, 1.0, 1}, {0, 5, 1.0, 1}, {0, 5, 2.0, 1}, {3, 0, 1.0, 1}, {3, 9, 1.0, 1}};
    auto back = round_trip(syn, 5, 0, 10, 0);
    EXPECT_EQ(back, syn);
}

TEST(PackedTable, ChoosesNarrowGapsForDenseRows) {
    // 100 rows each hitting every 8th of 8000 targets: gaps of 8 fit in 4 bits with no escapes.
    std::vector<Synapse> syn;
    for (std::uint64_t r = 0; r < 100; ++r)
        for (std::uint64_t t = r % 8; t < 8000; t += 8) syn.push_back({r, t, 0.1, 15});
    PackedTable t;
    EXPECT_EQ(round_trip(syn, 100, 0, 8000, 0, &t), syn);
    EXPECT_EQ(t.widths().target, 4u);
    EXPECT_EQ(t.widths().weight_mode, FieldMode::absent);
    EXPECT_EQ(t.escapes(), 0u);
    EXPECT_LT(static_cast<double>(t.bytes()) / t.synapses(), 0.6);
}

TEST(PackedTable, LookupLimitIsExactAndOnePastSwitchesToValues) {
    // max_lookup_values distinct weights: lookup of 16 bits; one more: raw float32 values.
    for (std::size_t distinct : {PackedTable::max_lookup_values, PackedTable::max_lookup_values + 1}) {
        std::vector<Synapse> syn;
        // 8 synapses per distinct weight, so a lookup table pays for itself when allowed.
        for (std::size_t i = 0; i < distinct * 8; ++i)
            syn.push_back({i % 7, i, static_cast<double>(static_cast<float>(i % distinct) * 0.5f), 1});
        std::sort(syn.begin(), syn.end());
        PackedTable t;
        EXPECT_EQ(round_trip(syn, 7, 0, distinct * 8, 0, &t), syn);
        if (distinct == PackedTable::max_lookup_values) {
            EXPECT_EQ(t.widths().weight_mode, FieldMode::lookup);
            EXPECT_EQ(t.widths().weight, 16u);
        } else {
            // float32 values of one sign: magnitude bits as offsets from the smallest's, here from 0.0f
            // to 32768.0f (0x47000000): 31 bits.
            EXPECT_EQ(t.widths().weight_mode, FieldMode::value);
            EXPECT_EQ(t.widths().weight, 31u);
        }
    }
}

TEST(PackedTable, FloatValuesOfOneSignAreStoredAsOffsetsExactly) {
    // PD14-like weights: one sign, a few binades apart -> 25 bits; mixed signs -> all 32.
    for (const double sign : {1.0, -1.0}) {
        std::vector<Synapse> syn;
        for (std::uint64_t i = 0; i < 5000; ++i)
            syn.push_back(
                {i % 50, i, sign * static_cast<double>(0.02f + static_cast<float>(i) * 2.7e-5f), 1});
        std::sort(syn.begin(), syn.end());
        PackedTable t;
        EXPECT_EQ(round_trip(syn, 50, 0, 5000, 0, &t), syn) << "sign " << sign;
        EXPECT_EQ(t.widths().weight_mode, FieldMode::value);
        EXPECT_LE(t.widths().weight, 25u);
        EXPECT_TRUE(t.weights_are_float32());
    }
    std::vector<Synapse> mixed;
    for (std::uint64_t i = 0; i < 5000; ++i)
        mixed.push_back({i % 50, i, static_cast<double>(static_cast<float>(i) * 1e-4f - 0.25f), 1});
    std::sort(mixed.begin(), mixed.end());
    PackedTable t;
    EXPECT_EQ(round_trip(mixed, 50, 0, 5000, 0, &t), mixed);
    EXPECT_EQ(t.widths().weight, 32u);
}

TEST(PackedTable, WeightSignIsKnownPerTableInEveryMode) {
    // Delivery routes a table of one sign to one channel without looking at each weight.
    auto sign_of = [](const std::vector<double>& weights) {
        std::vector<Synapse> syn;
        for (std::uint64_t i = 0; i < 3000; ++i) syn.push_back({i % 30, i, weights[i % weights.size()], 1});
        std::sort(syn.begin(), syn.end());
        PackedTable t;
        EXPECT_EQ(round_trip(syn, 30, 0, 3000, 0, &t), syn);
        return std::pair(t.weight_sign(), t.widths().weight_mode);
    };
    std::vector<double> many_pos, many_neg, many_mixed, from_zero_neg;
    for (int i = 0; i < 3000; ++i) {
        const double w = static_cast<double>(0.5f + static_cast<float>(i) * 1e-4f);
        many_pos.push_back(w);
        many_neg.push_back(-w);
        many_mixed.push_back(i % 2 ? w : -w);
        from_zero_neg.push_back(i == 0 ? -0.0 : -w); // -0.0 is not < 0: not all negative
    }
    EXPECT_EQ(sign_of(many_pos), std::pair(1, FieldMode::value));
    EXPECT_EQ(sign_of(many_neg), std::pair(-1, FieldMode::value));
    EXPECT_EQ(sign_of(many_mixed), std::pair(0, FieldMode::value));
    EXPECT_EQ(sign_of(from_zero_neg).first, 0);
    EXPECT_EQ(sign_of({0.1, 0.2, 0.3}), std::pair(1, FieldMode::lookup));
    EXPECT_EQ(sign_of({-0.1, -0.2, -0.3}), std::pair(-1, FieldMode::lookup));
    EXPECT_EQ(sign_of({-0.1, 0.2, -0.3}), std::pair(0, FieldMode::lookup));
    EXPECT_EQ(sign_of({-0.4}), std::pair(-1, FieldMode::absent));
    EXPECT_EQ(sign_of({0.4}), std::pair(1, FieldMode::absent));
}

TEST(PackedTable, RejectsDecreasingTargetsWithinARow) {
    PackedTableBuilder b(2, 0, 10);
    b.observe(0, 5, 1.0, 1);
    EXPECT_THROW(b.observe(0, 4, 1.0, 1), std::logic_error);
    EXPECT_THROW(b.observe(1, 10, 1.0, 1), std::logic_error); // out of range
}

TEST(PackedTable, RowsInOrderLayoutIsTheCountedLayout) {
    // allocate_rows_in_order() (source-driven rules: no count pass) must give the same bytes and
    // synapses as count() + allocate(), for every field mode, forced narrow targets (escapes), empty rows.
    std::mt19937_64 rng(11);
    for_every_layout([&](int wk, int dk, unsigned force) {
        const std::uint64_t rows = 300, base = 5, span = 5000;
        const auto syn = random_synapses(rng, rows, base, span, 2000, wk, dk);
        PackedTable counted;
        const auto expected = round_trip(syn, rows, base, base + span, force, &counted);
        PackedTableBuilder b(rows, base, base + span);
        for (const auto& s : syn) b.observe(s.source, s.target, s.weight, s.delay);
        b.choose_widths(force);
        b.allocate_rows_in_order();
        for (const auto& s : syn) b.write(s.source, s.target, s.weight, s.delay);
        PackedTable t = b.finish();
        EXPECT_EQ(t.bytes(), counted.bytes()) << wk << dk << force;
        EXPECT_EQ(t.escapes(), counted.escapes());
        EXPECT_EQ(decoded(t, rows), expected);
    });
}

TEST(PackedTable, RowsWrittenInAnyOrderRoundTrip) {
    // Target-driven rules (fixed_indegree) write each synapse into a random row; the builder holds
    // the writes in a FIFO to prefetch their rows. Written target by target, every field mode,
    // forced narrow targets (escapes), the table must decode to the same synapses, row by row.
    std::mt19937_64 rng(5);
    for_every_layout([&](int wk, int dk, unsigned force) {
        const std::uint64_t rows = 97, base = 3, span = 4000;
        const auto syn = random_synapses(rng, rows, base, span, 5000, wk, dk);
        auto by_target = syn;
        std::stable_sort(by_target.begin(), by_target.end(),
                         [](const Synapse& x, const Synapse& y) { return x.target < y.target; });
        const auto back = round_trip(by_target, rows, base, base + span, force, nullptr, true);
        // Within a row, synapses to the same target keep their written order.
        auto expected = by_target;
        std::stable_sort(expected.begin(), expected.end(), [](const Synapse& x, const Synapse& y) {
            return std::tie(x.source, x.target) < std::tie(y.source, y.target);
        });
        EXPECT_EQ(back, expected) << wk << dk << force;
    });
}
