// Builds the runnable network from a NetworkSpec: neuron state per population and, per partition
// (a contiguous range of target neurons owned by one thread), one packed table per projection.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/neuron_model.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/build/receptors.hpp"
#include "sim/build/storage.hpp"
#include "sim/plasticity/stdp.hpp"
#include "sim/spec/network_spec.hpp"
#include "sim/table/packed_table.hpp"

namespace nmsim {

struct Partition {
    std::uint64_t begin = 0, end = 0; // global target ids [begin, end)
    std::vector<PackedTable>
        tables; // one per projection, indexed like spec.projections (empty if procedural)
    std::vector<PlasticWeights> plastic; // one per projection: the learned weights (empty if static)
};

struct TableStats {
    std::uint64_t synapses = 0;
    std::uint64_t bytes = 0;
    std::uint64_t escapes = 0;
    // Field widths per projection (taken from partition 0; the partitions agree up to data).
    std::vector<FieldWidths> widths;
    double bytes_per_synapse() const { return synapses ? static_cast<double>(bytes) / synapses : 0.0; }
};

struct BuiltNetwork {
    const NetworkSpec* spec = nullptr;
    std::vector<ProjectionGenerator> generators; // per projection: regenerates rows and values
    std::vector<ProjectionStorage> storage;      // per projection: the rung it is held in
    std::vector<ReceptorRoute> routes;           // per projection: the input channel per target population
    std::vector<StdpRule> rules;                 // per projection: its plasticity (unused if static)
    std::vector<Partition> partitions;
    std::vector<std::unique_ptr<NeuronGroup>> groups; // per population
    std::vector<const ModelInfo*> models;             // per population
    int channels = 1;                                 // 2 when any model separates exc/inh input
    std::uint32_t max_delay_steps = 1;
    std::uint32_t min_delay_steps = ~0u; // over every synapse: partitions exchange spikes this often
    bool float32_weights = true; // every synaptic weight is exactly a float32 (compact delivery queues)
    TableStats tables;
    double build_seconds = 0.0;
};

// Contiguous, near-equal ranges of [0, n) for `parts` partitions.
std::vector<std::pair<std::uint64_t, std::uint64_t>> partition_ranges(std::uint64_t n, int parts);
// The partitions of a run: equal ranges, or with plastic projections ranges of equal expected work
// (plastic catch-ups cost far more than static events and fall on their targets' partition).
std::vector<std::pair<std::uint64_t, std::uint64_t>>
plastic_balanced_ranges(const NetworkSpec& spec, const std::vector<ProjectionGenerator>& generators,
                        int parts);

// Optional rewrite of every synapse at build time (quantised chip runs); never on the hot path.
class SynapseMap {
public:
    virtual ~SynapseMap() = default;
    virtual double weight(std::size_t projection, double w) const = 0;
    virtual std::uint32_t delay(std::size_t projection, std::uint32_t steps) const = 0;
};

// `storage`: the resolved rung per projection (resolve_storage); empty: resolved here without a memory limit.
BuiltNetwork build_network(const NetworkSpec& spec, int partitions, const SynapseMap* map = nullptr,
                           std::vector<ProjectionStorage> storage = {});

} // namespace nmsim
