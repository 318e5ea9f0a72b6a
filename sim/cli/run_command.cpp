#include "sim/cli/run_command.hpp"

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <unistd.h>

#include "hw/chip_run.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/build/storage.hpp"
#include "sim/cli/system_memory.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
    void operator()(double fraction) const {
        if (!enabled_) return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
        const int width = 40, filled = static_cast<int>(fraction * width);
        std::fprintf(stderr, "\r[%s%s] %3d%%  ETA %5.1f s", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), static_cast<int>(fraction * 100), eta);
        if (fraction >= 1.0) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }

private:
    bool enabled_;
    std::chrono::steady_clock::time_point start_;
};

const char* rule_name(ConnectorRule r) {
    switch (r) {
    case ConnectorRule::fixed_indegree:
        return "fixed_indegree";
    case ConnectorRule::fixed_outdegree:
        return "fixed_outdegree";
    case ConnectorRule::pairwise_bernoulli:
        return "pairwise_bernoulli";
    case ConnectorRule::one_to_one:
        return "one_to_one";
    case ConnectorRule::all_to_all:
        return "all_to_all";
    case ConnectorRule::fixed_total_number:
        return "fixed_total_number";
    default:
        return "from_file";
    }
}

} // namespace

NetworkSpec load_request(const RunRequest& request) {
    NetworkSpec spec = load_config(request.config_path, request.overrides);
    if (request.threads > 0) spec.simulation.threads = request.threads;
    if (request.seed) spec.simulation.seed = *request.seed;
    if (!request.output.empty()) spec.output_path = request.output;
    return spec;
}

nlohmann::json execute_validate(const RunRequest& request) {
    const NetworkSpec spec = load_request(request);
    double synapses = 0;
    for (const auto& pr : spec.projections) synapses += ProjectionGenerator(spec, pr).expected_synapses();
    const MemoryEstimate est = estimate_memory(spec, spec.simulation.threads);
    nlohmann::json storage;
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);
    const auto resolved = resolve_storage(spec, generators, spec.simulation.threads, !request.chip.empty());
    for (std::size_t j = 0; j < resolved.size(); ++j) storage[spec.projections[j].name] = to_string(resolved[j].kind);
    return {{"config", request.config_path},   {"valid", true},   {"storage", storage},
            {"neurons", spec.total_neurons()}, {"projections", spec.projections.size()},
            {"expected_synapses", synapses},   {"estimated_bytes", est.total()}};
}

nlohmann::json execute_run(const RunRequest& request) {
    RunOutcome out = run_in_memory(request);
    write_sonata(out.spec.output_path, out.spec, out.result, out.provenance);
    out.summary["peak_rss"] = peak_rss_bytes();
    return out.summary;
}

RunOutcome run_in_memory(const RunRequest& request) {
    RunOutcome out;
    out.spec = load_request(request);
    const NetworkSpec& spec = out.spec;
    const int threads = spec.simulation.threads;

    // Storage: automatic projections step down the ladder if the packed tables would not fit; then
    // the memory guard refuses before allocating anything large.
    const std::uint64_t baseline = current_rss_bytes();
    const std::uint64_t limit = request.max_memory ? request.max_memory : available_ram_bytes() / 10 * 8;
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);
    const bool chip_run = !request.chip.empty();
    MemoryEstimate est;
    const MemoryEstimate fixed = estimate_memory(spec, threads);
    const std::uint64_t others = fixed.total() - fixed.tables;
    const std::vector<ProjectionStorage> storage = resolve_storage(
        spec, generators, threads, chip_run, limit > baseline ? limit - baseline : 1, others);
    est = estimate_memory(spec, threads, storage);
    const std::uint64_t needed = baseline + est.total();
    if (needed > limit)
        throw ResourceError(
            fmt::format("{}: the run needs about {} (tables {}, state {}, input buffers {}, recording {}) "
                        "but the limit is {}; raise --max-memory, choose a leaner synapse.storage or shrink the "
                        "network",
                        request.config_path, format_bytes(needed), format_bytes(est.tables),
                        format_bytes(est.neuron_state), format_bytes(est.input_buffers),
                        format_bytes(est.recording), format_bytes(limit)));

    ProgressBar bar(request.progress);
    RunOptions options;
    if (request.progress) options.progress = [&](double f) { bar(f); };
    // A chip run first simulates the float network (the reference), then the quantised one.
    std::optional<FidelityReport> fidelity;
    RunResult reference;
    std::unique_ptr<ChipSynapseMap> chip_map;
    if (!request.chip.empty()) {
        const ChipProfile chip = select_chips(request.chip, request.chip_files).at(0);
        {
            BuiltNetwork float_net = build_network(spec, threads, nullptr, storage);
            reference = simulate(float_net);
        }
        chip_map = std::make_unique<ChipSynapseMap>(chip, spec);
    }
    BuiltNetwork net = build_network(spec, threads, chip_map.get(), storage);
    out.result = simulate(net, options);
    RunResult& result = out.result;
    if (chip_map) fidelity = compare_runs(spec, request.chip, reference, result);

    nlohmann::json& summary = out.summary;
    summary["config"] = request.config_path;
    summary["output"] = spec.output_path;
    summary["neurons"] = spec.total_neurons();
    summary["threads"] = threads;
    summary["seed"] = spec.simulation.seed;
    summary["duration_ms"] = spec.simulation.duration;
    summary["dt_ms"] = spec.simulation.dt;
    const auto rates = population_rates(spec, result);
    std::uint64_t spikes = 0;
    double weighted = 0;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        summary["rates_hz"][spec.populations[i].name] = rates[i];
        summary["population_sizes"][spec.populations[i].name] = spec.populations[i].size;
        spikes += result.population_spikes[i];
        weighted += rates[i] * spec.populations[i].size;
    }
    summary["mean_rate_hz"] = weighted / spec.total_neurons();
    summary["spikes"] = spikes;
    summary["synapses"] = net.tables.synapses;
    summary["synaptic_events"] = result.synaptic_events;
    summary["input_buffer"] = result.input_buffer == InputBufferKind::ring ? "ring" : "queue";
    summary["build_s"] = net.build_seconds;
    summary["sim_s"] = result.sim_seconds;
    summary["events_per_s_per_core"] =
        result.sim_seconds > 0 ? result.synaptic_events / result.sim_seconds / threads : 0.0;
    summary["table_bytes"] = net.tables.bytes;
    summary["bytes_per_synapse"] = net.tables.bytes_per_synapse();
    summary["estimated_bytes"] = needed;
    summary["estimate"] = {{"baseline", baseline},           {"tables", est.tables},
                           {"neuron_state", est.neuron_state}, {"input_buffers", est.input_buffers},
                           {"recording", est.recording},       {"build_transient", est.build_transient}};
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        const FieldWidths& w = net.tables.widths[j];
        const ProjectionStorage& st = net.storage[j];
        std::uint64_t bytes = 0;
        for (const auto& part : net.partitions) bytes += part.tables[j].bytes();
        if (st.kind == StorageKind::procedural) bytes += net.generators[j].row_state_bytes();
        auto& t = summary["tables"][spec.projections[j].name];
        t = {{"rule", rule_name(spec.projections[j].connector.rule)},
             {"storage", to_string(st.kind)},
             {"storage_reason", st.reason},
             {"bytes", bytes},
             {"target_bits", w.target},
             {"weight_bits", w.weight},
             {"weight_mode", to_string(w.weight_mode)},
             {"delay_bits", w.delay},
             {"delay_mode", to_string(w.delay_mode)}};
        if (st.kind == StorageKind::quantised)
            t["quantisation"] = {{"bits", st.bits},
                                 {"grid_step", st.grid_step},
                                 {"rms_rel_error", st.rms_rel_error},
                                 {"max_rel_error", st.max_rel_error}};
    }
    summary["peak_rss"] = peak_rss_bytes();
    if (fidelity) summary["fidelity"] = fidelity->to_json();

    Provenance& prov = out.provenance;
    prov.config_text = spec.config_text;
    prov.config_path = request.config_path;
    prov.seed = spec.simulation.seed;
    prov.threads = threads;
    prov.build_s = net.build_seconds;
    prov.sim_s = result.sim_seconds;
    prov.table_bytes = net.tables.bytes;
    prov.synapses = net.tables.synapses;
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        const FieldWidths& w = net.tables.widths[j];
        prov.field_widths += fmt::format("{}: target {} bits, weight {} bits ({}), delay {} bits ({}); storage {} ({})\n",
                                         spec.projections[j].name, w.target, w.weight, to_string(w.weight_mode),
                                         w.delay, to_string(w.delay_mode), to_string(net.storage[j].kind),
                                         net.storage[j].reason);
    }
    prov.summary_json = summary.dump();
    if (fidelity) prov.fidelity_json = fidelity->to_json().dump();
    return out;
}

} // namespace nmsim
