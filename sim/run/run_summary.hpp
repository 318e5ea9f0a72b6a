// The typed summary of one run: what the CLI prints with --json, the sweeps take their metrics
// from and the Python backend returns. to_json() is the documented --json layout.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/build/network_builder.hpp"
#include "sim/engine/engine_choice.hpp"
#include "sim/run/fidelity.hpp"
#include "sim/run/memory_estimate.hpp"

namespace nmsim {

struct PopulationSummary {
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t spikes = 0;
    double rate_hz = 0.0;
    PopulationEngine engine; // clock or event, and why
};

struct ProjectionSummary {
    std::string name, rule;
    ProjectionStorage storage;
    std::uint64_t bytes = 0; // tables of all partitions (procedural: the row state it regenerates from)
    FieldWidths widths;      // of partition 0
    // Plastic projections: learned weights (2 B each at 16 bits) and each partition's row index (O(sources)).
    std::uint64_t plastic_synapses = 0, plastic_weight_bytes = 0, plastic_index_bytes = 0;
    std::uint64_t row_state_bytes = 0; // of `bytes`: per-source state regenerated rows start from
};

struct RunSummary {
    std::string config, output;
    std::uint64_t neurons = 0, seed = 0;
    int threads = 1;
    double duration_ms = 0.0, dt_ms = 0.0;
    std::vector<PopulationSummary> populations;
    double mean_rate_hz = 0.0;
    std::uint64_t spikes = 0, synapses = 0, synaptic_events = 0;
    std::uint64_t neuron_updates = 0; // neuron-steps advanced one by one (clock: neurons x steps)
    double build_s = 0.0, sim_s = 0.0;
    std::uint64_t table_bytes = 0;
    std::uint64_t baseline_bytes = 0; // resident before building, part of the estimate
    MemoryEstimate estimate;
    std::uint64_t peak_rss = 0;
    InputBufferKind input_buffer = InputBufferKind::ring;
    std::uint64_t exchange_steps = 1; // steps between the partitions' spike exchanges
    std::vector<ProjectionSummary> projections;
    std::optional<FidelityReport> fidelity;

    double bytes_per_synapse() const { return synapses ? static_cast<double>(table_bytes) / synapses : 0.0; }
    double events_per_s_per_core() const { return sim_s > 0 ? synaptic_events / sim_s / threads : 0.0; }
    std::uint64_t estimated_bytes() const { return baseline_bytes + estimate.total(); }
    const PopulationSummary* population(const std::string& name) const;
    nlohmann::json to_json() const;
};

} // namespace nmsim
