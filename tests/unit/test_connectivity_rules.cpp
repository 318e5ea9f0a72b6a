// The source-driven rules (fixed_total_number, fixed_outdegree, pairwise_bernoulli) on decoded tables:
// exact counts, multinomial statistics, autapse and multapse switches, and the same synapses for
// any partitioning.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <map>
#include <set>

#include "sim/build/connectivity.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/spec/errors.hpp"
#include "tests/unit/decoded_tables.hpp"

using namespace nmsim;
using namespace nmsim::test;

namespace {

// P-value of Pearson's statistic for counts expected equal.
double uniform_counts_p_value(const std::vector<double>& counts) {
    double total = 0;
    for (double c : counts) total += c;
    const double expect = total / static_cast<double>(counts.size());
    double x2 = 0;
    for (double c : counts) x2 += (c - expect) * (c - expect) / expect;
    const boost::math::chi_squared_distribution<double> chi(static_cast<double>(counts.size() - 1));
    return boost::math::cdf(boost::math::complement(chi, x2));
}

std::vector<Edge> sorted(std::vector<Edge> e) {
    std::sort(e.begin(), e.end(), [](const Edge& a, const Edge& b) {
        return std::tie(a.source, a.target, a.weight, a.delay) <
               std::tie(b.source, b.target, b.weight, b.delay);
    });
    return e;
}

void expect_same_synapses_for_any_partitioning(const NetworkSpec& spec) {
    const auto reference = sorted(edges_of(build_network(spec, 1), 0));
    for (int parts : {2, 3, 7}) {
        const auto e = sorted(edges_of(build_network(spec, parts), 0));
        ASSERT_EQ(e.size(), reference.size()) << parts << " partitions";
        for (std::size_t i = 0; i < e.size(); ++i)
            ASSERT_TRUE(e[i].source == reference[i].source && e[i].target == reference[i].target &&
                        e[i].weight == reference[i].weight && e[i].delay == reference[i].delay)
                << "synapse " << i << " differs with " << parts << " partitions";
    }
}

} // namespace

TEST(FixedTotalNumber, ExactTotalWithMultinomialCounts) {
    const NetworkSpec spec = load_config_text(two_pops("{rule: fixed_total_number, n: 5000}"), "c");
    const auto e = edges_of(build_network(spec, 2), 0);
    ASSERT_EQ(e.size(), 5000u) << "exactly n synapses";
    std::vector<double> per_target(50, 0.0), per_source(40, 0.0), per_pair(2000, 0.0);
    for (const auto& x : e) {
        ASSERT_GE(x.target, 40u);
        ASSERT_LT(x.target, 90u);
        per_target[x.target - 40] += 1;
        per_source[x.source] += 1;
        per_pair[x.source * 50 + (x.target - 40)] += 1;
    }
    // Multinomial with equal cell probabilities: Pearson's chi-square must not reject.
    EXPECT_GT(uniform_counts_p_value(per_target), 1e-3);
    EXPECT_GT(uniform_counts_p_value(per_source), 1e-3);
    EXPECT_GT(uniform_counts_p_value(per_pair), 1e-3);
    EXPECT_GT(*std::max_element(per_pair.begin(), per_pair.end()), 1.0) << "multapses occur (2.5 per pair)";
}

TEST(FixedTotalNumber, SameSynapsesForAnyPartitioning) {
    expect_same_synapses_for_any_partitioning(load_config_text(
        two_pops("{rule: fixed_total_number, n: 3000}", "{weight: {normal: {mean: 1.0, std: 0.2, min: 0.0}}, "
                                                        "delay: {normal: {mean: 1.5, std: 0.5, min: 0.1}}}"),
        "c"));
}

TEST(FixedTotalNumber, WithoutMultapsesEveryPairAtMostOnce) {
    const NetworkSpec spec =
        load_config_text(two_pops("{rule: fixed_total_number, n: 1500, allow_multapses: false}"), "c");
    const auto e = edges_of(build_network(spec, 3), 0);
    ASSERT_EQ(e.size(), 1500u);
    std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (const auto& x : e) EXPECT_TRUE(pairs.insert({x.source, x.target}).second);
    // All 2000 pairs: every one, exactly once.
    const auto all = edges_of(
        build_network(
            load_config_text(two_pops("{rule: fixed_total_number, n: 2000, allow_multapses: false}"), "c"),
            2),
        0);
    std::set<std::pair<std::uint64_t, std::uint64_t>> all_pairs;
    for (const auto& x : all) all_pairs.insert({x.source, x.target});
    EXPECT_EQ(all_pairs.size(), 2000u);
    EXPECT_THROW(
        load_config_text(two_pops("{rule: fixed_total_number, n: 2001, allow_multapses: false}"), "c"),
        ConfigError);
}

TEST(FixedTotalNumber, AutapseSwitch) {
    const NetworkSpec no_self =
        load_config_text(two_pops("{rule: fixed_total_number, n: 4000, allow_autapses: false}",
                                  "{weight: 0.5, delay: 1.0}", "A"),
                         "c");
    const auto e = edges_of(build_network(no_self, 2), 0);
    ASSERT_EQ(e.size(), 4000u);
    for (const auto& x : e) ASSERT_NE(x.source, x.target);
    // With autapses (the default) 40 of 1600 pairs are self pairs: ~100 of 4000 synapses.
    const auto with_self =
        edges_of(build_network(load_config_text(two_pops("{rule: fixed_total_number, n: 4000}",
                                                         "{weight: 0.5, delay: 1.0}", "A"),
                                                "c"),
                               2),
                 0);
    const auto selfs =
        std::count_if(with_self.begin(), with_self.end(), [](const Edge& x) { return x.source == x.target; });
    EXPECT_NEAR(static_cast<double>(selfs), 100.0, 5 * std::sqrt(100.0));
    // All 40 x 39 non-self pairs without multapses.
    const auto full =
        edges_of(build_network(load_config_text(two_pops("{rule: fixed_total_number, n: 1560, "
                                                         "allow_autapses: false, allow_multapses: false}",
                                                         "{weight: 0.5, delay: 1.0}", "A"),
                                                "c"),
                               3),
                 0);
    EXPECT_EQ(full.size(), 1560u);
}

TEST(FixedTotalNumber, SpreadsOverSeveralTargetPopulationsAndLargeBlocks) {
    // 3000 targets span three 1024-target blocks and two populations.
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\npopulations: {A: {size: 100, model: lif_delta}, B: {size: 1800, model: lif_delta}, "
        "C: {size: 1200, model: lif_delta}}\n"
        "projections: {P: {source: A, target: [C, B], connector: {rule: fixed_total_number, n: 90000}, "
        "synapse: {weight: 1, delay: 1}}}\n",
        "c");
    const auto e = edges_of(build_network(spec, 3), 0);
    ASSERT_EQ(e.size(), 90000u);
    std::vector<double> per_target(3000, 0.0);
    for (const auto& x : e) {
        ASSERT_GE(x.target, 100u);
        ASSERT_LT(x.target, 3100u);
        per_target[x.target - 100] += 1;
    }
    EXPECT_GT(uniform_counts_p_value(per_target), 1e-3);
    expect_same_synapses_for_any_partitioning(spec);
}

TEST(SourceDrivenRows, FixedOutdegreeExactWithoutMultapsesAndPartitionFree) {
    const NetworkSpec spec =
        load_config_text(two_pops("{rule: fixed_outdegree, outdegree: 30, allow_multapses: false}"), "c");
    std::map<std::uint64_t, std::set<std::uint64_t>> out;
    for (const auto& x : edges_of(build_network(spec, 2), 0))
        EXPECT_TRUE(out[x.source].insert(x.target).second);
    ASSERT_EQ(out.size(), 40u);
    for (const auto& [s, t] : out) EXPECT_EQ(t.size(), 30u);
    expect_same_synapses_for_any_partitioning(spec);
}

TEST(SourceDrivenRows, PairwiseBernoulliIsPartitionFreeAndUniform) {
    const NetworkSpec spec = load_config_text("nmsim: 1\npopulations: {A: {size: 300, model: lif_delta}}\n"
                                              "projections: {P: {source: A, target: A, connector: {rule: "
                                              "pairwise_bernoulli, p: 0.1, allow_autapses: false}, "
                                              "synapse: {weight: 1, delay: 1}}}\n",
                                              "c");
    const auto e = edges_of(build_network(spec, 2), 0);
    const double mean = 0.1 * 300 * 299;
    EXPECT_NEAR(static_cast<double>(e.size()), mean, 4 * std::sqrt(mean * 0.9));
    std::vector<double> per_target(300, 0.0);
    for (const auto& x : e) {
        ASSERT_NE(x.source, x.target);
        per_target[x.target] += 1;
    }
    EXPECT_GT(uniform_counts_p_value(per_target), 1e-3);
    expect_same_synapses_for_any_partitioning(spec);
}

TEST(SourceDrivenRows, ARowRestrictedToAnyRangeIsTheSameRow) {
    // What procedural delivery relies on: a row cut into pieces is the row.
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\npopulations: {A: {size: 50, model: lif_delta}, B: {size: 5000, model: lif_delta}}\n"
        "projections: {P: {source: A, target: B, connector: {rule: fixed_total_number, n: 60000}, "
        "synapse: {weight: 1, delay: 1}}}\n",
        "c");
    const ProjectionGenerator gen(spec, spec.projections[0]);
    for (std::uint64_t s : {0u, 17u, 49u}) {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> whole, pieces;
        gen.row(s, 0, 5050, [&](std::uint64_t t, std::uint32_t k) { whole.emplace_back(t, k); });
        for (std::uint64_t a = 0; a < 5050; a += 333)
            gen.row(s, a, a + 333, [&](std::uint64_t t, std::uint32_t k) { pieces.emplace_back(t, k); });
        EXPECT_EQ(whole, pieces) << "source " << s;
        EXPECT_TRUE(std::is_sorted(whole.begin(), whole.end()));
    }
}
