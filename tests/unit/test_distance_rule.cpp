// distance_dependent: p(d) over positions with PyNN's Space (axes, periodic boundaries, scale and
// offset on the target side); exact counts for step functions, expectation for smooth ones, the same
// pairs for any partition; config errors name the key.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/build/edges.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {
std::string grid(int n) { // n x n grid, spacing 1
    std::string s = "[";
    for (int i = 0; i < n * n; ++i)
        s += (i ? ", [" : "[") + std::to_string(i % n) + ", " + std::to_string(i / n) + ", 0]";
    return s + "]";
}
std::string config(const std::string& connector) {
    return "nmsim: 1\npopulations:\n  G: {size: 100, model: lif_delta, positions: " + grid(10) +
           "}\nprojections:\n  P: {source: G, target: G, connector: {rule: distance_dependent, " + connector +
           "}, synapse: {weight: 0.1, delay: 1.0}}\n";
}
EdgeList edges(const std::string& connector, int partitions) {
    static NetworkSpec spec;
    spec = load_config_text(config(connector), "c");
    BuiltNetwork net = build_network(spec, partitions);
    return collect_edges(net, 0);
}
} // namespace

TEST(DistanceRule, StepFunctionsGiveExactNeighbourCounts) {
    // self, 4 edge and 4 corner neighbours within 1.5 on a 10 x 10 grid
    EXPECT_EQ(edges("p: d < 1.5", 1).source_ids.size(), 100u + 2 * 2 * 9 * 10 + 4 * 81);
    EXPECT_EQ(edges("p: d < 1.5, allow_autapses: false", 2).source_ids.size(), 2u * 2 * 9 * 10 + 4 * 81);
    // periodic in x and y: every neuron has 9 (itself included)
    EXPECT_EQ(edges("p: d < 1.5, periodic_boundaries: [10, 10, 0]", 3).source_ids.size(), 900u);
    // only the x axis counts: the whole row within 1.5 in x, every y: 10 columns x (1..3 wide) x 10 rows
    EXPECT_EQ(edges("p: d < 1.5, axes: x", 1).source_ids.size(), 100u * (2 * 2 + 8 * 3));
    // targets scaled by 2: d = |a - 2 b| < 0.5 only for a = 2 b, b in the 5 x 5 lower corner
    EXPECT_EQ(edges("p: d < 0.5, scale_factor: 2", 1).source_ids.size(), 25u);
    // and offset by 1 before scaling (on every axis, so z is left out): a = 2 (b + 1), b in the 4 x 4 corner
    EXPECT_EQ(edges("p: d < 0.5, scale_factor: 2, offset: 1, axes: xy", 1).source_ids.size(), 16u);
}

TEST(DistanceRule, SmoothProbabilityMatchesItsExpectationForAnyPartition) {
    const std::string c = "p: 0.8 * exp(-d / 2)";
    const EdgeList one = edges(c, 1), three = edges(c, 3);
    EXPECT_EQ(one.source_ids, three.source_ids);
    EXPECT_EQ(one.target_ids, three.target_ids);
    double expected = 0.0;
    for (int a = 0; a < 100; ++a)
        for (int b = 0; b < 100; ++b)
            expected += 0.8 * std::exp(-std::hypot(a % 10 - b % 10, a / 10 - b / 10) / 2.0);
    EXPECT_NEAR(static_cast<double>(one.source_ids.size()), expected, 4.0 * std::sqrt(expected));
    const NetworkSpec spec = load_config_text(config(c), "c");
    EXPECT_NEAR(ProjectionGenerator(spec, spec.projections[0]).expected_synapses(), expected,
                1e-6 * expected);
}

TEST(DistanceRule, ConfigErrorsNameTheKey) {
    auto error = [](const std::string& text) {
        try {
            load_config_text(text, "c.yaml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error(config("p: d <")).find("projections.P.connector.p"), std::string::npos);
    EXPECT_NE(error(config("p: d < 1, axes: w")).find("subset of xyz"), std::string::npos);
    EXPECT_NE(error("nmsim: 1\npopulations: {A: {size: 2, model: lif_delta}}\nprojections: {P: {source: A, "
                    "target: A, "
                    "connector: {rule: distance_dependent, p: d < 1}, synapse: {weight: 1, delay: 1}}}\n")
                  .find("needs positions"),
              std::string::npos);
    EXPECT_NE(error("nmsim: 1\npopulations: {A: {size: 2, model: lif_delta}}\nprojections: {P: {source: A, "
                    "target: A, "
                    "connector: {rule: all_to_all, axes: x}, synapse: {weight: 1, delay: 1}}}\n")
                  .find("not a parameter of rule"),
              std::string::npos);
}

TEST(DistanceRule, APlasticProjectionRegeneratesItsRowsOnlyWhenAsked) {
    // auto never regenerates a distance row (pair by pair over every target); a configured procedural
    // does, for plastic projections as for static ones.
    const std::string plastic =
        "nmsim: 1\npopulations:\n  G: {size: 100, model: lif_delta, positions: " + grid(10) +
        "}\nprojections:\n  P: {source: G, target: G, connector: {rule: distance_dependent, p: d < 1.5}, "
        "synapse: {weight: 0.1, delay: 1.0, plasticity: {rule: stdp, w_max: 1.0}}}\n";
    const NetworkSpec automatic = load_config_text(plastic, "c");
    EXPECT_EQ(build_network(automatic, 2).storage[0].kind, StorageKind::packed);
    const NetworkSpec asked = load_config_text(plastic, "c", {"projections.P.synapse.storage=procedural"});
    const BuiltNetwork net = build_network(asked, 2);
    EXPECT_EQ(net.storage[0].kind, StorageKind::procedural) << net.storage[0].reason;
}
