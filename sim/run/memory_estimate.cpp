#include "sim/run/memory_estimate.hpp"

#include <cmath>

#include "models/neuron_model.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/engine/input_buffer.hpp"

namespace nmsim {

namespace {
// Mean of a value (truncation ignored: an estimate).
double mean_of(const ValueSpec& v) {
    switch (v.kind) {
    case ValueSpec::Kind::uniform:
        return 0.5 * (v.a + v.b);
    case ValueSpec::Kind::normal:
        return v.a;
    case ValueSpec::Kind::lognormal:
        return std::exp(v.a + 0.5 * v.b * v.b);
    default:
        return v.value;
    }
}
} // namespace

MemoryEstimate estimate_memory(const NetworkSpec& spec, int partitions,
                               const std::vector<ProjectionStorage>& storage) {
    MemoryEstimate m;
    const double n = static_cast<double>(spec.total_neurons());
    const double dt = spec.simulation.dt;
    std::uint32_t max_delay = 1;
    int channels = 1;
    for (const auto& pop : spec.populations) {
        const ModelInfo* model = find_model(pop.model);
        channels = std::max(channels, model->channels);
        // state doubles + refractory counter + spike counts
        m.neuron_state += pop.size * (model->state_variables.size() * 8 + 4 + 4);
    }
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);
    const std::vector<ProjectionStorage> resolved =
        storage.empty() ? resolve_storage(spec, generators, partitions, false) : storage;
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        const ProjectionGenerator& gen = generators[j];
        m.tables += static_cast<std::uint64_t>(
            predict_storage_cost(spec, gen, resolved[j].kind, partitions).table_bytes);
        double span = static_cast<double>(gen.target_size()) / partitions;
        const double src = static_cast<double>(gen.source_size());
        // Builder: per-row cursors and last targets, gap histogram, per partition at once.
        if (resolved[j].kind != StorageKind::procedural)
            m.build_transient += static_cast<std::uint64_t>(partitions * (src * 16.0 + span * 8.0));
        max_delay = std::max(max_delay, gen.values().max_delay_steps());
    }
    // Input buffers as the engine will choose them (input_buffer.hpp). Queued events in flight are not
    // known in advance: budget an assumed 10 Hz mean rate, each event waiting its mean delay, plus one
    // partly filled 16 KB chunk per slot and partition.
    bool float32 = true;
    double pending = 0.0;
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        const ProjectionSpec& pr = spec.projections[j];
        const bool exact =
            pr.connector.rule != ConnectorRule::from_file && pr.connector.rule != ConnectorRule::conv &&
            (!pr.weight.is_constant() || static_cast<float>(pr.weight.value) == pr.weight.value);
        float32 = float32 && exact && resolved[j].kind != StorageKind::quantised;
        pending += generators[j].expected_synapses() * 10.0 * mean_of(pr.delay) * 1e-3;
    }
    const std::uint64_t per_partition = (spec.total_neurons() + partitions - 1) / partitions;
    if (choose_input_buffer(per_partition, channels, max_delay, float32) == InputBufferKind::ring)
        m.input_buffers = static_cast<std::uint64_t>((max_delay + 1.0) * channels * n * 8.0 + n * 8.0);
    else
        m.input_buffers = static_cast<std::uint64_t>(channels * n * 8.0 + n * 8.0 + pending * 8.0 +
                                                     partitions * (max_delay + 1.0) * 16384.0);
    // Event mode's touch schedule: a bit per neuron and slot (and its lists, at most as long).
    if (spec.simulation.engine != EngineMode::clock)
        m.input_buffers += static_cast<std::uint64_t>((max_delay + 1.0) * n / 8.0);
    const double steps = std::ceil(spec.simulation.duration / dt);
    for (const auto& r : spec.recorders) {
        if (r.kind == RecorderSpec::Kind::state) {
            const double k = std::round(r.interval / dt);
            m.recording += static_cast<std::uint64_t>(std::ceil(steps / k) * r.ids.size() * 4.0);
        } else {
            // Spikes are not known in advance; budget an assumed mean rate of 50 Hz
            // (8 B while running, 16 B in the output arrays).
            double neurons = 0;
            for (const auto& p : r.populations) neurons += static_cast<double>(spec.find_population(p)->size);
            m.recording +=
                static_cast<std::uint64_t>(neurons * 50.0 * spec.simulation.duration * 1e-3 * 24.0);
        }
    }
    return m;
}

} // namespace nmsim
