#include "sim/run/run_summary.hpp"

namespace nmsim {
const PopulationSummary* RunSummary::population(const std::string& name) const {
    for (const auto& p : populations)
        if (p.name == name) return &p;
    return nullptr;
}

nlohmann::json RunSummary::to_json() const {
    nlohmann::json j;
    j["config"] = config;
    j["output"] = output;
    j["neurons"] = neurons;
    j["threads"] = threads;
    j["seed"] = seed;
    j["duration_ms"] = duration_ms;
    j["dt_ms"] = dt_ms;
    for (const auto& p : populations) {
        j["rates_hz"][p.name] = p.rate_hz;
        j["population_sizes"][p.name] = p.size;
        j["engines"][p.name] = {{"engine", to_string(p.engine.mode)},
                                {"reason", p.engine.reason},
                                {"expected_touches", p.engine.expected_touches},
                                {"measured_touches", p.engine.measured_touches}};
    }
    j["mean_rate_hz"] = mean_rate_hz;
    j["spikes"] = spikes;
    j["synapses"] = synapses;
    j["synaptic_events"] = synaptic_events;
    j["neuron_updates"] = neuron_updates;
    j["input_buffer"] = input_buffer == InputBufferKind::ring ? "ring" : "queue";
    j["exchange_steps"] = exchange_steps;
    j["build_s"] = build_s;
    j["sim_s"] = sim_s;
    j["events_per_s_per_core"] = events_per_s_per_core();
    j["table_bytes"] = table_bytes;
    j["bytes_per_synapse"] = bytes_per_synapse();
    j["estimated_bytes"] = estimated_bytes();
    j["estimate"] = {{"baseline", baseline_bytes},
                     {"tables", estimate.tables},
                     {"neuron_state", estimate.neuron_state},
                     {"input_buffers", estimate.input_buffers},
                     {"recording", estimate.recording},
                     {"build_transient", estimate.build_transient}};
    for (const auto& p : projections) {
        const FieldWidths& w = p.widths;
        auto& t = j["tables"][p.name];
        t = {{"rule", p.rule},
             {"storage", to_string(p.storage.kind)},
             {"storage_reason", p.storage.reason},
             {"bytes", p.bytes},
             {"target_bits", w.target},
             {"weight_bits", w.weight},
             {"weight_mode", to_string(w.weight_mode)},
             {"delay_bits", w.delay},
             {"delay_mode", to_string(w.delay_mode)}};
        if (p.plastic_synapses)
            t["plastic"] = {{"synapses", p.plastic_synapses},
                            {"weight_bytes", p.plastic_weight_bytes},
                            {"row_index_bytes", p.plastic_index_bytes},
                            {"row_state_bytes", p.row_state_bytes},
                            // connectivity + learned weight per synapse; the row index and the state
                            // regenerated rows start from are per neuron
                            {"bytes_per_synapse",
                             static_cast<double>(p.bytes - p.row_state_bytes + p.plastic_weight_bytes) /
                                 static_cast<double>(p.plastic_synapses)}};
        if (p.storage.kind == StorageKind::quantised)
            t["quantisation"] = {{"bits", p.storage.bits},
                                 {"grid_step", p.storage.grid_step},
                                 {"rms_rel_error", p.storage.rms_rel_error},
                                 {"max_rel_error", p.storage.max_rel_error}};
    }
    j["peak_rss"] = peak_rss;
    if (fidelity) j["fidelity"] = fidelity->to_json();
    return j;
}

} // namespace nmsim
