#include "sim/build/network_builder.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <omp.h>

#include "sim/build/connectivity.hpp"
#include "sim/random/counter_rng.hpp"

namespace nmsim {

std::vector<std::pair<std::uint64_t, std::uint64_t>> partition_ranges(std::uint64_t n, int parts) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
    for (int p = 0; p < parts; ++p) r.emplace_back(n * p / parts, n * (p + 1) / parts);
    return r;
}

namespace {

// Three passes of the same generator: statistics, row sizes, bits. `map` (optional) rewrites each
// synapse's weight and delay identically in every pass.
PackedTable build_table(const ProjectionGenerator& gen, std::size_t projection, std::uint64_t begin, std::uint64_t end,
                        const SynapseMap* map) {
    PackedTableBuilder b(gen.source_size(), begin, end);
    auto mapped = [&](auto&& sink) {
        return [&, sink](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) mutable {
            if (map) sink(s, t, map->weight(projection, w), map->delay(projection, d));
            else sink(s, t, w, d);
        };
    };
    gen.generate(begin, end, mapped([&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) { b.observe(s, t, w, d); }));
    b.choose_widths();
    gen.generate(begin, end, mapped([&](std::uint64_t s, std::uint64_t t, double, std::uint32_t) { b.count(s, t); }));
    b.allocate();
    gen.generate(begin, end, mapped([&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) { b.write(s, t, w, d); }));
    return b.finish();
}

void initialise_state(const NetworkSpec& spec, std::size_t pop_index, const ModelInfo& model,
                      NeuronGroup& group) {
    const PopulationSpec& pop = spec.populations[pop_index];
    for (std::size_t var = 0; var < model.state_variables.size(); ++var) {
        const auto it = pop.initial.find(model.state_variables[var]);
        const ValueSampler sampler = it != pop.initial.end() ? ValueSampler(it->second) : ValueSampler();
        const double fallback = model.default_initial(static_cast<int>(var), pop.params);
        for (std::uint64_t i = 0; i < pop.size; ++i) {
            double v = fallback;
            if (it != pop.initial.end()) {
                RandomStream rng(spec.simulation.seed, RngPurpose::initial,
                                 static_cast<std::uint32_t>(pop_index * 64 + var), pop.first_id + i);
                v = draw_value(sampler, rng);
            }
            group.set(static_cast<int>(var), i, v);
        }
    }
}

} // namespace

BuiltNetwork build_network(const NetworkSpec& spec, int partitions, const SynapseMap* map) {
    const auto t0 = std::chrono::steady_clock::now();
    BuiltNetwork net;
    net.spec = &spec;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const auto& pop = spec.populations[i];
        const ModelInfo* model = find_model(pop.model);
        net.models.push_back(model);
        net.groups.push_back(model->create(pop.size, pop.params, spec.simulation.dt));
        initialise_state(spec, i, *model, *net.groups.back());
        net.channels = std::max(net.channels, model->channels);
    }
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);

    const auto ranges = partition_ranges(spec.total_neurons(), partitions);
    net.partitions.resize(partitions);
    std::exception_ptr failure;
    // Each partition is built by the thread that will own it (first touch keeps its memory local).
#pragma omp parallel for schedule(static, 1) num_threads(partitions)
    for (int p = 0; p < partitions; ++p) {
        try {
            Partition& part = net.partitions[p];
            part.begin = ranges[p].first;
            part.end = ranges[p].second;
            for (std::size_t j = 0; j < generators.size(); ++j)
                part.tables.push_back(build_table(generators[j], j, part.begin, part.end, map));
        } catch (...) {
#pragma omp critical
            failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);

    for (const auto& part : net.partitions)
        for (const auto& t : part.tables) {
            net.tables.synapses += t.synapses();
            net.tables.bytes += t.bytes();
            net.tables.escapes += t.escapes();
        }
    if (!net.partitions.empty())
        for (const auto& t : net.partitions[0].tables) net.tables.widths.push_back(t.widths());
    // Largest delay in steps, as stored (after any synapse map).
    for (const auto& part : net.partitions)
        for (const auto& t : part.tables) net.max_delay_steps = std::max(net.max_delay_steps, t.max_delay_steps());
    net.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return net;
}

MemoryEstimate estimate_memory(const NetworkSpec& spec, int partitions) {
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
    for (const auto& pr : spec.projections) {
        ProjectionGenerator gen(spec, pr);
        const double syn = gen.expected_synapses();
        double span = 0;
        for (const auto& t : pr.targets) span += static_cast<double>(spec.find_population(t)->size);
        span /= partitions;
        const double src = static_cast<double>(gen.source_size());
        // Gap width from the mean gap of a row within one partition; +1 bit covers the escape trade-off.
        const double row_len = std::max(1.0, syn / partitions / src);
        const double mean_gap = std::max(1.0, span / row_len);
        double bits_per_syn = std::ceil(std::log2(mean_gap + 1.0)) + 1.0;
        if (!pr.weight.is_constant()) bits_per_syn += 32;
        const std::uint32_t delay_hi = gen.values().max_delay_steps();
        if (!pr.delay.is_constant()) bits_per_syn += std::ceil(std::log2(delay_hi + 1.0));
        const double row_overhead = partitions * src * (12.0 + 4.0); // index + half a word of alignment
        m.tables += static_cast<std::uint64_t>(syn * bits_per_syn / 8.0 + row_overhead);
        // Builder: per-row cursors and last targets, gap histogram, per partition at once.
        m.build_transient += static_cast<std::uint64_t>(partitions * (src * 16.0 + span * 8.0));
        max_delay = std::max(max_delay, delay_hi);
    }
    std::uint64_t slots = 1;
    while (slots < max_delay + 1ull) slots <<= 1;
    m.ring_buffers = static_cast<std::uint64_t>(slots * channels * n * 8.0 + n * 8.0);
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
