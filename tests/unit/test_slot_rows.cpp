// fixed_indegree as slot rows (sim/build/connectivity.hpp): the keyed permutation is a bijection whose
// vector and scalar forms agree, every target gets exactly K sources, the sources are uniform and
// independent from slot to slot, and a source's regenerated row is exactly what the targets drew.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <map>

#include "sim/build/connectivity.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/random/slot_permutation.hpp"

using namespace nmsim;

namespace {

double chi_square_p(double x2, double dof) {
    const boost::math::chi_squared_distribution<double> chi(dof);
    return boost::math::cdf(boost::math::complement(chi, x2));
}

SlotPermutation permutation_of(std::uint64_t n, std::uint32_t salt) {
    return SlotPermutation(
        n, {0x9E3779B9u ^ salt, 0x7F4A7C15u, 0x85EBCA6Bu + salt, 0xC2B2AE35u, 0x27D4EB2Fu, salt});
}

const char* slot_config = R"(nmsim: 1
simulation: {seed: 11}
populations: {A: {size: 400, model: lif_delta}, B: {size: 300, model: lif_delta}}
projections:
  P: {source: A, target: [B, A], connector: {rule: fixed_indegree, indegree: 50},
      synapse: {weight: {normal: {mean: 1.0, std: 0.2}}, delay: 1.0}}
)";

// (source, target, ordinal) of every synapse, as the targets draw them: without ordinals in slot
// order, with them by source.
std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>>
drawn_by_targets(const ProjectionGenerator& gen, bool ordinals) {
    std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>> out;
    gen.connect(0, ~0ull, ordinals,
                [&](std::uint64_t s, std::uint64_t t, std::uint32_t k) { out.emplace_back(s, t, k); });
    return out;
}

} // namespace

TEST(SlotPermutation, IsABijectionAndItsInverseUndoesIt) {
    for (const std::uint64_t n : {1u, 4096u, 10000u, 12345u, (1u << 20) + 7u}) {
        const SlotPermutation p = permutation_of(n, static_cast<std::uint32_t>(n));
        ASSERT_GE(p.size(), n);
        ASSERT_LT(p.size(), std::max<std::uint64_t>(n, 4096) + 2 * 65536) << "a domain just above n";
        std::vector<bool> hit(p.size(), false);
        for (std::uint64_t x = 0; x < p.size(); ++x) {
            const std::uint64_t y = p(x);
            ASSERT_LT(y, p.size());
            ASSERT_FALSE(hit[y]) << "n " << n << ": " << y << " reached twice";
            hit[y] = true;
            ASSERT_EQ(p.inverse(y), x);
        }
    }
    // Past 2^32 the parts leave 16 bits: the 64-bit round, still undone by the inverse.
    const SlotPermutation wide = permutation_of(std::uint64_t{3} << 33, 5);
    ASSERT_TRUE(wide.wide());
    for (std::uint64_t x = 0; x < wide.size(); x += wide.size() / 9973) {
        const std::uint64_t y = wide(x);
        ASSERT_LT(y, wide.size());
        ASSERT_EQ(wide.inverse(y), x);
    }
}

#if defined(__AVX512F__)
TEST(SlotPermutation, SixteenLanesGiveTheScalarValues) {
    for (const std::uint64_t n : {4096ull, 10000000ull, 4294000000ull}) {
        const SlotPermutation p = permutation_of(n, 77);
        ASSERT_FALSE(p.wide());
        const std::uint64_t b = p.part_modulus();
        for (std::uint64_t first : {std::uint64_t{0}, b - 5, p.size() / 3, p.size() - 64}) {
            __m512i l[4], r[4];
            alignas(64) std::uint32_t lv[64], rv[64], out[64];
            for (int i = 0; i < 64; ++i) {
                lv[i] = static_cast<std::uint32_t>((first + i) / b);
                rv[i] = static_cast<std::uint32_t>((first + i) % b);
            }
            for (int j = 0; j < 4; ++j) {
                l[j] = _mm512_load_si512(lv + 16 * j);
                r[j] = _mm512_load_si512(rv + 16 * j);
            }
            p.forward16(l, r);
            for (int j = 0; j < 4; ++j) _mm512_store_si512(out + 16 * j, l[j]);
            for (int i = 0; i < 64; ++i) {
                ASSERT_EQ(out[i], p(first + i)) << "n " << n << ", x " << first + i;
                lv[i] = static_cast<std::uint32_t>(out[i] / b);
                rv[i] = static_cast<std::uint32_t>(out[i] % b);
            }
            for (int j = 0; j < 4; ++j) {
                l[j] = _mm512_load_si512(lv + 16 * j);
                r[j] = _mm512_load_si512(rv + 16 * j);
            }
            p.inverse16(l, r);
            for (int j = 0; j < 4; ++j) _mm512_store_si512(out + 16 * j, l[j]);
            for (int i = 0; i < 64; ++i) ASSERT_EQ(out[i], first + i);
        }
    }
}
#endif

TEST(SlotRows, ExactInDegreeUniformIndependentSources) {
    const NetworkSpec spec = load_config_text(slot_config, "c");
    const ProjectionGenerator gen(spec, spec.projections[0]);
    ASSERT_TRUE(gen.slot_rows() && gen.rows_regenerable());
    std::vector<double> per_target(700, 0.0), per_source(400, 0.0);
    std::map<std::pair<std::uint64_t, std::uint64_t>, int> per_pair;
    // Consecutive slots of a target, sources folded to 10 classes: a 10 x 10 table, uniform if
    // the slots' sources are independent.
    std::vector<double> joint(100, 0.0);
    std::uint64_t last_target = ~0ull, last_source = 0;
    for (const auto& [s, t, k] : drawn_by_targets(gen, false)) {
        per_target[t] += 1;
        per_source[s] += 1;
        ++per_pair[{s, t}];
        if (t == last_target) joint[(last_source % 10) * 10 + s % 10] += 1;
        last_target = t;
        last_source = s;
    }
    for (double c : per_target) ASSERT_EQ(c, 50.0) << "exactly K sources per target";
    // Out-degrees are multinomial(700 x 50, 1/400): Pearson's statistic is chi^2 with 399 dof.
    const double mean = 700.0 * 50 / 400;
    double x2 = 0;
    for (double c : per_source) x2 += (c - mean) * (c - mean) / mean;
    EXPECT_GT(chi_square_p(x2, 399), 1e-3) << "out-degrees";
    EXPECT_LT(chi_square_p(x2, 399), 1 - 1e-3) << "out-degrees too even for independent slots";
    double total = 0, jx2 = 0;
    for (double c : joint) total += c;
    for (double c : joint) jx2 += (c - total / 100) * (c - total / 100) / (total / 100);
    EXPECT_GT(chi_square_p(jx2, 99), 1e-3) << "neighbouring slots' sources";
    // Multapses as often as Binomial(50, 1/400) gives two or more.
    const double p = 1.0 / 400, p2 = 1 - std::pow(1 - p, 50) - 50 * p * std::pow(1 - p, 49);
    double multi = 0;
    for (const auto& [pair, c] : per_pair) multi += c >= 2;
    const double expect = 700.0 * 400 * p2;
    EXPECT_NEAR(multi, expect, 5 * std::sqrt(expect));
}

TEST(SlotRows, ARegeneratedRowIsWhatTheTargetsDrew) {
    // Dense rows (the builder reads them through a bitmap) and sparse ones (sorted).
    const std::string sparse = R"(nmsim: 1
simulation: {seed: 12}
populations: {A: {size: 400, model: lif_delta}, B: {size: 4600, model: lif_delta}}
projections:
  P: {source: A, target: [B, A], connector: {rule: fixed_indegree, indegree: 3}, synapse: {weight: 1.0, delay: 1.0}}
)";
    for (const std::string& config : {std::string(slot_config), sparse}) {
        const NetworkSpec spec = load_config_text(config, "c");
        const ProjectionGenerator gen(spec, spec.projections[0]);
        const std::uint64_t n_tgt = gen.target_size(), piece = n_tgt / 9 + 1;
        std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::uint32_t>>> by_source;
        for (const auto& [s, t, k] : drawn_by_targets(gen, true)) by_source[s].emplace_back(t, k);
        std::uint64_t seen = 0;
        for (std::uint64_t s = 0; s < 400; ++s) {
            std::vector<std::pair<std::uint64_t, std::uint32_t>> whole, pieces;
            gen.row(s, 0, n_tgt, [&](std::uint64_t t, std::uint32_t k) { whole.emplace_back(t, k); });
            for (std::uint64_t a = 0; a < n_tgt; a += piece)
                gen.row(s, a, a + piece,
                        [&](std::uint64_t t, std::uint32_t k) { pieces.emplace_back(t, k); });
            // Position order, not target order, but a pair's multapses by ordinal either way.
            std::map<std::uint64_t, std::uint32_t> next;
            for (const auto& [t, k] : whole) ASSERT_EQ(k, next[t]++) << "source " << s << ", target " << t;
            std::vector<std::uint32_t> direct(whole.size() + 16);
            ASSERT_EQ(gen.slot_row_targets(s, 0, n_tgt, 0, direct.data()), whole.size());
            for (std::size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(direct[i], whole[i].first);
            // The table builder's order: targets ascending, a pair's multapses by ordinal.
            std::vector<std::pair<std::uint64_t, std::uint32_t>> built;
            gen.connect_from_sources(
                s, s + 1, 0, n_tgt,
                [&](std::uint64_t, std::uint64_t t, std::uint32_t k) { built.emplace_back(t, k); });
            ASSERT_TRUE(std::is_sorted(built.begin(), built.end())) << "source " << s;
            auto expected = by_source[s];
            std::sort(whole.begin(), whole.end());
            std::sort(pieces.begin(), pieces.end());
            std::sort(expected.begin(), expected.end());
            ASSERT_EQ(whole, expected) << "source " << s;
            ASSERT_EQ(pieces, expected) << "source " << s << " in pieces";
            ASSERT_EQ(built, expected) << "source " << s << " as the builder reads it";
            seen += whole.size();
        }
        EXPECT_EQ(seen, n_tgt * spec.projections[0].connector.degree);
    }
}
