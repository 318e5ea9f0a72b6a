// Test helpers: a built network's synapses decoded back from its tables, and a small two-population
// config around a connector.
#pragma once
#include <string>
#include <vector>

#include "sim/build/network_builder.hpp"

namespace nmsim::test {

struct Edge {
    std::uint64_t source, target; // source local, target global
    double weight;
    std::uint32_t delay;
};

// All synapses of projection j over all partitions, decoded from the packed tables.
inline std::vector<Edge> edges_of(const BuiltNetwork& net, std::size_t j) {
    std::vector<Edge> out;
    for (const auto& part : net.partitions)
        for (std::uint64_t r = 0; r < part.tables[j].rows(); ++r)
            part.tables[j].for_each_synapse(r, [&](std::uint64_t t, double w, std::uint32_t d) {
                out.push_back({r, t, w, d});
            });
    return out;
}

// Populations A (40) and B (50) of lif_delta and one projection P from A.
inline std::string two_pops(const std::string& connector,
                            const std::string& synapse = "{weight: 0.5, delay: 1.0}",
                            const std::string& target = "B") {
    return "nmsim: 1\nsimulation: {duration: 10.0, dt: 0.1, seed: 3}\n"
           "populations:\n  A: {size: 40, model: lif_delta}\n  B: {size: 50, model: lif_delta}\n"
           "projections:\n  P: {source: A, target: " +
           target + ", connector: " + connector + ", synapse: " + synapse + "}\n";
}

} // namespace nmsim::test
