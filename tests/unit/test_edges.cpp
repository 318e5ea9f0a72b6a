// Edge lists decoded from a projection: the same for any partition and any exact storage rung, and a
// from_file list comes back as written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/build/edges.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {
EdgeList edges_of(const std::string& text, int partitions, std::size_t projection = 0) {
    static NetworkSpec spec; // the network keeps a pointer to its spec
    spec = load_config_text(text, "c");
    BuiltNetwork net = build_network(spec, partitions);
    return collect_edges(net, projection);
}
} // namespace

TEST(Edges, SameForAnyPartitionAndExactStorage) {
    const std::string head =
        "nmsim: 1\npopulations:\n  A: {size: 50, model: lif_exp}\n  B: {size: 70, model: "
        "lif_exp}\nprojections:\n  P: {source: A, target: [B, A], connector: {rule: "
        "fixed_outdegree, outdegree: 7}, synapse: {weight: {normal: {mean: 0.2, std: 0.05}}, "
        "delay: {uniform: [0.5, 3.0]}, storage: ";
    const EdgeList packed = edges_of(head + "packed}}\n", 1);
    ASSERT_EQ(packed.source_ids.size(), 50u * 7);
    EXPECT_TRUE(std::is_sorted(packed.source_ids.begin(), packed.source_ids.end()));
    EXPECT_EQ(packed.targets, (std::vector<std::string>{"B", "A"}));
    for (const char* storage : {"packed", "procedural_weights", "procedural"})
        for (int parts : {1, 3}) {
            const EdgeList e = edges_of(head + storage + "}}\n", parts);
            EXPECT_EQ(e.source_ids, packed.source_ids) << storage << " " << parts;
            EXPECT_EQ(e.target_ids, packed.target_ids) << storage << " " << parts;
            EXPECT_EQ(e.weights, packed.weights) << storage << " " << parts;
            EXPECT_EQ(e.delays_ms, packed.delays_ms) << storage << " " << parts;
        }
}

TEST(Edges, FromFileListComesBackAsWritten) {
    const auto dir = std::filesystem::temp_directory_path() / "nmsim_edges_test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream f(dir / "list.csv");
        f << "0,2,0.5,1.0\n0,2,0.25,2.0\n3,0,-1.5,0.3\n1,1,2.0,1.1\n";
    }
    const std::string text =
        "nmsim: 1\npopulations:\n  A: {size: 4, model: lif_exp}\n  B: {size: 3, model: lif_exp}\n"
        "projections:\n  P: {source: A, target: B, connector: {rule: from_file, file: " +
        (dir / "list.csv").string() + "}, synapse: {storage: packed}}\n";
    const EdgeList e = edges_of(text, 2);
    EXPECT_EQ(e.source_ids, (std::vector<std::uint64_t>{0, 0, 1, 3}));
    EXPECT_EQ(e.target_ids, (std::vector<std::uint64_t>{2, 2, 1, 0}));
    EXPECT_EQ(e.weights, (std::vector<double>{0.5, 0.25, 2.0, -1.5}));
    EXPECT_NEAR(e.delays_ms[0], 1.0, 1e-12);
    EXPECT_NEAR(e.delays_ms[1], 2.0, 1e-12);
    EXPECT_NEAR(e.delays_ms[2], 1.1, 1e-12);
    EXPECT_NEAR(e.delays_ms[3], 0.3, 1e-12);
    std::filesystem::remove_all(dir);
}

TEST(Edges, SonataEdgesSeedALaterRun) {
    // A run's weights recorder writes /edges/<projection>; from_file reads it back as the connectivity
    // of another projection (a learned or exported network run or footprinted again): same synapses,
    // same spikes.
    const std::string head = "nmsim: 1\nsimulation: {duration: 100.0, seed: 4}\npopulations:\n  S: {size: "
                             "40, model: spike_source_poisson, "
                             "params: {rate: 40.0}}\n  N: {size: 30, model: lif_exp}\nprojections:\n";
    const std::string drawn =
        head + "  P: {source: S, target: N, connector: {rule: pairwise_bernoulli, p: 0.3}, synapse: "
               "{weight: {normal: {mean: 0.5, std: 0.2}}, delay: {uniform: [0.5, 2.0]}}}\n"
               "recorders: {w: {type: weights, projection: P}, s: {type: spikes, populations: [N]}}\n";
    const NetworkSpec a = load_config_text(drawn, "a");
    BuiltNetwork net_a = build_network(a, 2);
    RunResult ra = simulate(net_a);
    ra.edges.push_back(collect_edges(net_a, 0));
    const auto path = (std::filesystem::temp_directory_path() / "nmsim_edges_seed.h5").string();
    write_sonata(path, a, ra, Provenance{});
    const NetworkSpec b =
        load_config_text(head + "  Q: {source: S, target: N, connector: {rule: from_file, file: " + path +
                             ", edges: P}}\nrecorders: {s: {type: spikes, populations: [N]}}\n",
                         "b");
    BuiltNetwork net_b = build_network(b, 3);
    const EdgeList eb = collect_edges(net_b, 0);
    EXPECT_EQ(eb.source_ids, ra.edges[0].source_ids);
    EXPECT_EQ(eb.target_ids, ra.edges[0].target_ids);
    EXPECT_EQ(eb.weights, ra.edges[0].weights);
    EXPECT_EQ(eb.delays_ms, ra.edges[0].delays_ms);
    const RunResult rb = simulate(net_b);
    ASSERT_GT(ra.spikes.at("N").times_ms.size(), 0u);
    EXPECT_EQ(rb.spikes.at("N").times_ms, ra.spikes.at("N").times_ms);
    EXPECT_EQ(rb.spikes.at("N").node_ids, ra.spikes.at("N").node_ids);
    // a missing group fails where generators are made (validate, run), naming the file and key
    const NetworkSpec c =
        load_config_text(head + "  Q: {source: S, target: N, connector: {rule: from_file, file: " + path +
                             ", edges: nothing}}\n",
                         "c");
    EXPECT_THROW(ProjectionGenerator(c, c.projections[0]), ConfigError);
    std::filesystem::remove(path);
}
