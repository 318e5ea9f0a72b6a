#include "sim/run/run_service.hpp"

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <unistd.h>

#include "hw/chip_profile.hpp"
#include "hw/chip_synapse_map.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/build/edges.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/build/storage.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/io/sonata.hpp"
#include "sim/run/fidelity.hpp"
#include "sim/run/system_memory.hpp"
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
    case ConnectorRule::distance_dependent:
        return "distance_dependent";
    case ConnectorRule::conv:
        return "conv";
    default:
        return "from_file";
    }
}

} // namespace

NetworkSpec load_request(const RunRequest& request) {
    NetworkSpec spec = load_network(request.config_path, request.overrides, request.nir);
    if (request.threads > 0) spec.simulation.threads = request.threads;
    if (request.seed) spec.simulation.seed = *request.seed;
    if (!request.output.empty()) spec.output_path = request.output;
    return spec;
}

ValidateSummary validate_config(const RunRequest& request) {
    const NetworkSpec spec = load_request(request);
    ValidateSummary v;
    v.neurons = spec.total_neurons();
    v.projections = spec.projections.size();
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) {
        generators.emplace_back(spec, pr);
        v.expected_synapses += generators.back().expected_synapses();
    }
    const auto resolved =
        resolve_storage(spec, generators, spec.simulation.threads, !request.settings.chip.empty());
    for (std::size_t j = 0; j < resolved.size(); ++j)
        v.storage.emplace_back(spec.projections[j].name, resolved[j].kind);
    v.estimated_bytes = estimate_memory(spec, spec.simulation.threads, resolved).total();
    return v;
}

nlohmann::json ValidateSummary::to_json(const std::string& config) const {
    nlohmann::json st;
    for (const auto& [name, kind] : storage) st[name] = to_string(kind);
    return {{"config", config},
            {"valid", true},
            {"storage", st},
            {"neurons", neurons},
            {"projections", projections},
            {"expected_synapses", expected_synapses},
            {"estimated_bytes", estimated_bytes}};
}

namespace {

// Storage for every projection, then the memory guard: automatic projections step down the ladder
// if the packed tables would not fit, and a run that still does not fit is refused before anything
// large is allocated.
std::vector<ProjectionStorage> plan_memory(const NetworkSpec& spec, const RunSettings& settings,
                                           RunSummary& summary) {
    const int threads = spec.simulation.threads;
    summary.baseline_bytes = current_rss_bytes();
    const std::uint64_t limit = settings.max_memory ? settings.max_memory : available_ram_bytes() / 10 * 8;
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);
    const MemoryEstimate fixed = estimate_memory(spec, threads);
    const std::uint64_t room = limit > summary.baseline_bytes ? limit - summary.baseline_bytes : 1;
    std::vector<ProjectionStorage> storage = resolve_storage(
        spec, generators, threads, !settings.chip.empty(), room, fixed.total() - fixed.tables);
    summary.estimate = estimate_memory(spec, threads, storage);
    const MemoryEstimate& est = summary.estimate;
    if (summary.estimated_bytes() > limit)
        throw ResourceError(
            fmt::format("{}: the run needs about {} (tables {}, state {}, input buffers {}, recording "
                        "{}) but the limit is {}; raise --max-memory, choose a leaner "
                        "synapse.storage or shrink the network",
                        spec.source_file, format_bytes(summary.estimated_bytes()), format_bytes(est.tables),
                        format_bytes(est.neuron_state), format_bytes(est.input_buffers),
                        format_bytes(est.recording), format_bytes(limit)));
    return storage;
}

void summarise(const NetworkSpec& spec, const BuiltNetwork& net, const RunResult& result, RunSummary& s) {
    s.config = spec.source_file;
    s.output = spec.output_path;
    s.neurons = spec.total_neurons();
    s.threads = spec.simulation.threads;
    s.seed = spec.simulation.seed;
    s.duration_ms = spec.simulation.duration;
    s.dt_ms = spec.simulation.dt;
    const auto rates = population_rates(spec, result);
    double weighted = 0;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        s.populations.push_back({spec.populations[i].name, spec.populations[i].size,
                                 result.population_spikes[i], rates[i], result.engines[i]});
        s.spikes += result.population_spikes[i];
        weighted += rates[i] * spec.populations[i].size;
    }
    s.mean_rate_hz = weighted / spec.total_neurons();
    s.synapses = net.tables.synapses;
    s.synaptic_events = result.synaptic_events;
    s.neuron_updates = result.neuron_updates;
    s.input_buffer = result.input_buffer;
    s.exchange_steps = result.exchange_steps;
    s.build_s = net.build_seconds;
    s.sim_s = result.sim_seconds;
    s.table_bytes = net.tables.bytes;
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        ProjectionSummary p{spec.projections[j].name, rule_name(spec.projections[j].connector.rule),
                            net.storage[j], 0, net.tables.widths[j]};
        for (const auto& part : net.partitions) p.bytes += part.tables[j].bytes();
        if (p.storage.kind == StorageKind::procedural) {
            p.row_state_bytes = net.generators[j].row_state_bytes();
            p.bytes += p.row_state_bytes;
        }
        for (const auto& part : net.partitions) {
            p.plastic_synapses += part.plastic[j].level.size();
            p.plastic_weight_bytes += part.plastic[j].level.size() * sizeof(std::uint16_t);
            p.plastic_index_bytes += part.plastic[j].row_start.size() * sizeof(std::uint64_t);
        }
        s.table_bytes += p.plastic_weight_bytes + p.plastic_index_bytes;
        s.projections.push_back(std::move(p));
    }
    s.peak_rss = peak_rss_bytes();
}

Provenance provenance_of(const NetworkSpec& spec, const RunSummary& s) {
    Provenance prov;
    prov.config_text = spec.config_text;
    prov.config_path = spec.source_file;
    prov.seed = s.seed;
    prov.threads = s.threads;
    prov.build_s = s.build_s;
    prov.sim_s = s.sim_s;
    prov.table_bytes = s.table_bytes;
    prov.synapses = s.synapses;
    for (const auto& p : s.projections) {
        const FieldWidths& w = p.widths;
        prov.field_widths +=
            fmt::format("{}: target {} bits, weight {} bits ({}), delay {} bits ({}); storage {} ({})\n",
                        p.name, w.target, w.weight, to_string(w.weight_mode), w.delay,
                        to_string(w.delay_mode), to_string(p.storage.kind), p.storage.reason);
    }
    prov.summary_json = s.to_json().dump();
    if (s.fidelity) prov.fidelity_json = s.fidelity->to_json().dump();
    return prov;
}

} // namespace

RunOutcome run_network(NetworkSpec spec_in, const RunSettings& settings) {
    RunOutcome out;
    out.spec = std::move(spec_in);
    const NetworkSpec& spec = out.spec;
    const int threads = spec.simulation.threads;
    const std::vector<ProjectionStorage> storage = plan_memory(spec, settings, out.summary);

    ProgressBar bar(settings.progress);
    RunOptions options;
    if (settings.progress) options.progress = [&](double f) { bar(f); };
    // A chip run first simulates the float network (the reference), then the quantised one.
    RunResult reference;
    std::unique_ptr<ChipSynapseMap> chip_map;
    if (!settings.chip.empty()) {
        const ChipProfile chip = select_chips(settings.chip, settings.chip_files).at(0);
        {
            BuiltNetwork float_net = build_network(spec, threads, nullptr, storage);
            reference = simulate(float_net);
        }
        chip_map = std::make_unique<ChipSynapseMap>(chip, spec);
    }
    BuiltNetwork net = build_network(spec, threads, chip_map.get(), storage);
    out.result = simulate(net, options);
    for (const auto& r : spec.recorders)
        if (r.kind == RecorderSpec::Kind::weights)
            for (std::size_t j = 0; j < spec.projections.size(); ++j)
                if (spec.projections[j].name == r.projection) {
                    const WeightSamples* samples = nullptr;
                    for (const auto& ws : out.result.weight_samples)
                        if (ws.projection == j) samples = &ws;
                    out.result.edges.push_back(collect_edges(net, j, samples, r.interval));
                }
    summarise(spec, net, out.result, out.summary);
    if (chip_map) out.summary.fidelity = compare_runs(spec, settings.chip, reference, out.result);
    out.provenance = provenance_of(spec, out.summary);
    return out;
}

RunSummary run_config(const RunRequest& request) {
    RunOutcome out = run_network(load_request(request), request.settings);
    out.summary.config = request.config_path;
    write_sonata(out.spec.output_path, out.spec, out.result, out.provenance);
    out.summary.peak_rss = peak_rss_bytes();
    return std::move(out.summary);
}

} // namespace nmsim
