// The synapses of one projection as an edge list (SONATA edges), decoded from whatever storage holds
// them: PyNN's Projection.get/save, the `weights` recorder, and a learned network's weights.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nmsim {

struct BuiltNetwork;

struct EdgeList {
    std::string projection, source;
    std::vector<std::string> targets; // target ids index these populations in order, as from_file
    std::vector<std::uint64_t> source_ids, target_ids; // local to the source / the listed targets
    std::vector<double> weights, delays_ms;            // sorted by (source, target), multapses in row order
    double interval_ms = 0.0;                          // > 0: `series` holds the weights every interval
    std::vector<std::vector<double>> series;           // [sample][edge], from the start of the run
};

// `samples`: a plastic projection's weights sampled during the run, put into `series` in edge order.
EdgeList collect_edges(const BuiltNetwork& net, std::size_t projection,
                       const struct WeightSamples* samples = nullptr, double interval_ms = 0.0);

} // namespace nmsim
