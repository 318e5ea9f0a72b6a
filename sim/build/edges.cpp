#include "sim/build/edges.hpp"

#include <algorithm>
#include <numeric>

#include "sim/build/network_builder.hpp"
#include "sim/build/storage.hpp"
#include "sim/engine/simulator.hpp"

namespace nmsim {

EdgeList collect_edges(const BuiltNetwork& net, std::size_t j, const WeightSamples* samples,
                       double interval_ms) {
    const NetworkSpec& spec = *net.spec;
    const ProjectionSpec& pr = spec.projections[j];
    const PopulationSpec& src = *spec.find_population(pr.source);
    EdgeList e{pr.name, pr.source, pr.targets, {}, {}, {}, {}, 0.0, {}};
    // Global target id -> index over the listed target populations.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans; // (first global id, offset), by id
    std::uint64_t offset = 0;
    for (const auto& name : pr.targets) {
        const PopulationSpec& t = *spec.find_population(name);
        spans.emplace_back(t.first_id, offset);
        offset += t.size;
    }
    std::sort(spans.begin(), spans.end());
    const double dt = spec.simulation.dt;
    auto add = [&](std::uint64_t row, std::uint64_t t, double w, std::uint32_t d) {
        const auto it = std::upper_bound(spans.begin(), spans.end(), t,
                                         [](std::uint64_t v, const auto& s) { return v < s.first; });
        const auto& [first, off] = *(it - 1);
        e.source_ids.push_back(row);
        e.target_ids.push_back(off + (t - first));
        e.weights.push_back(w);
        e.delays_ms.push_back(d * dt);
    };
    for (const Partition& part : net.partitions) {
        const PlasticWeights* learned =
            part.plastic.size() > j && !part.plastic[j].row_start.empty() ? &part.plastic[j] : nullptr;
        for (std::uint64_t row = 0; row < src.size; ++row) {
            if (learned) { // a plastic projection: the weights as learned so far
                std::uint64_t k = learned->row_start[row];
                for_each_synapse_target(net.storage[j], part.tables[j], net.generators[j], row, part.begin,
                                        part.end, [&](std::uint64_t t, std::uint32_t d) {
                                            add(row, t, net.rules[j].decode(learned->level[k++]), d);
                                        });
                continue;
            }
            for_each_synapse(net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                             [&](std::uint64_t t, double w, std::uint32_t d) { add(row, t, w, d); });
        }
    }
    // Partitions split rows by target: merge back into (source, target) order, keeping row order.
    std::vector<std::size_t> order(e.source_ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return e.source_ids[a] != e.source_ids[b] ? e.source_ids[a] < e.source_ids[b]
                                                  : e.target_ids[a] < e.target_ids[b];
    });
    EdgeList sorted{e.projection, e.source, e.targets, {}, {}, {}, {}, interval_ms, {}};
    for (const std::size_t k : order) {
        sorted.source_ids.push_back(e.source_ids[k]);
        sorted.target_ids.push_back(e.target_ids[k]);
        sorted.weights.push_back(e.weights[k]);
        sorted.delays_ms.push_back(e.delays_ms[k]);
    }
    if (samples) {
        // Edge i of the partition-by-partition enumeration is level i - (levels of earlier partitions).
        for (const auto& sample : samples->levels) {
            std::vector<double> flat;
            for (const auto& part : sample)
                for (const std::uint16_t q : part) flat.push_back(net.rules[j].decode(q));
            std::vector<double> row;
            row.reserve(order.size());
            for (const std::size_t k : order) row.push_back(flat.at(k));
            sorted.series.push_back(std::move(row));
        }
    }
    return sorted;
}

} // namespace nmsim
