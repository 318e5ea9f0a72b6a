// Large source-driven tables take their gap statistics from every 8th row and are laid out as rows are
// written (network_builder.cpp): the synapses they hold must be exactly those the rule draws, as the
// procedural rung regenerates them, and counted exactly.
#include <gtest/gtest.h>

#include "sim/build/edges.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"

using namespace nmsim;

TEST(LargeTables, SampledStatisticsKeepEverySynapse) {
    const std::string head =
        "nmsim: 1\npopulations:\n  A: {size: 1500, model: lif_exp}\n  B: {size: 3000, model: lif_exp}\n"
        "projections:\n  P: {source: A, target: B, connector: {rule: fixed_total_number, n: 4500000}, "
        "synapse: {weight: {normal: {mean: 0.1, std: 0.02}}, delay: {uniform: [0.5, 3.0]}, storage: ";
    static NetworkSpec packed_spec, procedural_spec;
    packed_spec = load_config_text(head + "packed}}\n", "a");
    procedural_spec = load_config_text(head + "procedural}}\n", "b");
    BuiltNetwork packed = build_network(packed_spec, 1), procedural = build_network(procedural_spec, 1);
    EXPECT_EQ(packed.tables.synapses, 4500000u);
    const EdgeList a = collect_edges(packed, 0), b = collect_edges(procedural, 0);
    ASSERT_EQ(a.source_ids.size(), 4500000u);
    EXPECT_EQ(a.source_ids, b.source_ids);
    EXPECT_EQ(a.target_ids, b.target_ids);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.delays_ms, b.delays_ms);
}
