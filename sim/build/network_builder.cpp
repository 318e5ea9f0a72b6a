#include "sim/build/network_builder.hpp"

#include "models/heterogeneous_group.hpp"

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

std::vector<std::pair<std::uint64_t, std::uint64_t>>
plastic_balanced_ranges(const NetworkSpec& spec, const std::vector<ProjectionGenerator>& generators,
                        int parts) {
    // Work per neuron in neuron-updates: 1, plus its expected plastic synapses at 1/100 each and its
    // static ones at 1/600 (Brunel with plastic E->E at ~33 Hz, docs/plasticity.md: a neuron's step and
    // Poisson input cost about as much as 100 plastic catch-ups, a static event about a sixth of one;
    // without the static term the I population's 1,250 static inputs left the other thread waiting 5 %
    // of the run, with it 2 %). Static networks keep equal ranges (weighting PD14's by static in-degree
    // measured no faster).
    std::vector<double> weight(spec.populations.size(), 1.0);
    bool plastic = false;
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        const auto& pr = spec.projections[j];
        plastic = plastic || pr.plasticity.enabled;
        const double per_target =
            generators[j].expected_synapses() /
            static_cast<double>(std::max<std::uint64_t>(1, generators[j].target_size()));
        for (std::size_t i = 0; i < spec.populations.size(); ++i)
            if (std::find(pr.targets.begin(), pr.targets.end(), spec.populations[i].name) != pr.targets.end())
                weight[i] += per_target / (pr.plasticity.enabled ? 100.0 : 600.0);
    }
    if (!plastic || parts <= 1) return partition_ranges(spec.total_neurons(), parts);
    double total = 0.0;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) total += weight[i] * spec.populations[i].size;
    // Cut where the cumulative work passes p/parts of the total (population by population, in id order).
    std::vector<std::uint64_t> cuts = {0};
    double before = 0.0;
    for (std::size_t i = 0; i < spec.populations.size() && static_cast<int>(cuts.size()) < parts; ++i) {
        const auto& pop = spec.populations[i];
        const double work = weight[i] * pop.size;
        while (static_cast<int>(cuts.size()) < parts && before + work >= total * cuts.size() / parts) {
            const double into = (total * cuts.size() / parts - before) / weight[i];
            const std::uint64_t cut =
                pop.first_id + std::min<std::uint64_t>(pop.size, static_cast<std::uint64_t>(into));
            cuts.push_back(std::max(cut, cuts.back()));
        }
        before += work;
    }
    while (static_cast<int>(cuts.size()) < parts) cuts.push_back(spec.total_neurons());
    cuts.push_back(spec.total_neurons());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
    for (int p = 0; p < parts; ++p) r.emplace_back(cuts[p], cuts[p + 1]);
    return r;
}

namespace {

// Quantisation error of one table, summed over its synapses.
struct QuantisationError {
    double sum_sq = 0.0, max = 0.0;
    std::uint64_t n = 0;
};

// A partition's synapses in the order its table is built: row by row where the builder enumerates
// rows (ProjectionGenerator::builds_by_sources), else target by target.
template <class Emit>
void connect(const ProjectionGenerator& gen, std::uint64_t begin, std::uint64_t end, Emit&& emit) {
    if (gen.builds_by_sources()) return gen.connect_from_sources(0, gen.source_size(), begin, end, emit);
    gen.connect(begin, end, false, emit);
}
template <class Emit>
void generate(const ProjectionGenerator& gen, std::uint64_t begin, std::uint64_t end, Emit&& emit) {
    if (gen.builds_by_sources()) return gen.generate_from_sources(0, gen.source_size(), begin, end, emit);
    gen.generate(begin, end, emit);
}

// Three passes of the same generator: statistics, row sizes, bits. Each synapse's weight and delay
// are first rewritten for the rung (procedural_weights stores none, quantised rounds to the grid)
// and the chip map (optional), identically wherever they are used. Where the field layouts follow
// from the spec (constants, continuous distributions, grids, reachable delay ranges), the first two
// passes enumerate connectivity only and values are drawn once, in the write pass.
PackedTable build_table(const ProjectionGenerator& gen, const ProjectionStorage& storage,
                        std::size_t projection, std::uint64_t begin, std::uint64_t end, const SynapseMap* map,
                        QuantisationError& error) {
    if (storage.kind == StorageKind::procedural) return PackedTable{};
    // Gaps count from the projection's first target in the partition: a target population that
    // starts deep inside it would otherwise cost every row escapes before its first synapse.
    const auto [first, last] = gen.targets_within(begin, end);
    PackedTableBuilder b(gen.source_size(), first, std::max(last, first + 1));
    const bool no_values = storage.kind == StorageKind::procedural_weights;
    auto rewrite = [&](double& w, std::uint32_t& d) {
        if (no_values) {
            w = 0.0;
            d = 1;
        } else if (storage.kind == StorageKind::quantised) {
            w = storage.quantise(w);
        }
        if (map) {
            w = map->weight(projection, w);
            d = map->delay(projection, d);
        }
    };
    const SynapseValues& values = gen.values();
    // Edge lists and kernels carry their own weights: no layout follows from the spec.
    const bool own_weights = gen.projection().connector.rule == ConnectorRule::from_file || gen.has_kernel();
    const bool presets = no_values || (!map && !own_weights);
    if (presets) {
        if (no_values) {
            b.preset_weight_constant(0.0);
            b.preset_delays(1, 1);
        } else {
            if (storage.kind == StorageKind::quantised && storage.grid_step > 0.0) {
                b.preset_weight_grid(storage.grid_low, storage.grid_step, 1u << storage.bits);
            } else if (values.weight_drawn()) {
                b.preset_weight_values(values.lowest_weight(), values.highest_weight());
            } else {
                b.preset_weight_constant(storage.quantise(values.weight_constant()));
            }
            b.preset_delays(values.min_delay_steps(), values.max_delay_steps());
        }
        auto observe = [&](std::uint64_t s, std::uint64_t t, std::uint32_t) { b.observe_target(s, t); };
        // The gap statistics only pick the target width; for a large source-driven table every 8th row
        // shows the same distribution at an eighth of the cost (the counts are exact: write() keeps them).
        const std::uint64_t rows = gen.source_size();
        if (gen.builds_by_sources() && rows >= 512 &&
            gen.expected_synapses() * static_cast<double>(end - begin) >=
                4e6 * static_cast<double>(gen.target_size())) {
            b.sample_rows(8);
            for (std::uint64_t s = 0; s < rows; s += 8)
                gen.connect_from_sources(s, s + 1, begin, end, observe);
        } else {
            connect(gen, begin, end, observe);
        }
    } else {
        generate(gen, begin, end, [&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) {
            rewrite(w, d);
            b.observe(s, t, w, d);
        });
    }
    b.choose_widths();
    if (gen.builds_by_sources()) { // rows arrive in order: laid out as written, no count pass
        b.allocate_rows_in_order();
    } else {
        connect(gen, begin, end, [&](std::uint64_t s, std::uint64_t t, std::uint32_t) { b.count(s, t); });
        b.allocate();
    }
    auto write = [&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) {
        const double exact = w;
        rewrite(w, d);
        if (storage.kind == StorageKind::quantised && exact != 0.0) {
            const double rel = std::abs(w - exact) / std::abs(exact);
            error.sum_sq += rel * rel;
            error.max = std::max(error.max, rel);
            ++error.n;
        }
        b.write(s, t, w, d);
    };
    if (no_values)
        connect(gen, begin, end,
                [&](std::uint64_t s, std::uint64_t t, std::uint32_t) { write(s, t, 0.0, 1); });
    else
        generate(gen, begin, end, write);
    return b.finish();
}

void initialise_state(const NetworkSpec& spec, std::size_t pop_index, const ModelInfo& model,
                      NeuronGroup& group) {
    const PopulationSpec& pop = spec.populations[pop_index];
    for (std::size_t var = 0; var < model.state_variables.size(); ++var) {
        const auto listed = pop.initial_arrays.find(model.state_variables[var]);
        if (listed != pop.initial_arrays.end()) {
            for (std::uint64_t i = 0; i < pop.size; ++i)
                group.set(static_cast<int>(var), i, listed->second[i]);
            continue;
        }
        const auto it = pop.initial.find(model.state_variables[var]);
        const ValueSampler sampler = it != pop.initial.end() ? ValueSampler(it->second) : ValueSampler();
        const double fallback = model.default_initial(static_cast<int>(var), pop.params);
        for (std::uint64_t i = 0; i < pop.size; ++i) {
            double v = pop.param_arrays.empty()
                           ? fallback
                           : model.default_initial(static_cast<int>(var), neuron_params(pop, i));
            if (it != pop.initial.end()) {
                RandomStream rng(spec.simulation.seed, RngPurpose::initial,
                                 static_cast<std::uint32_t>(pop_index * 64 + var), pop.first_id + i);
                v = draw_value(sampler, rng);
            }
            group.set(static_cast<int>(var), i, v);
        }
    }
}

// A plastic projection's weights in one partition: each synapse's initial weight on the rule's grid,
// in the order delivery enumerates them, and where each source's row starts.
PlasticWeights initial_weights(const BuiltNetwork& net, std::size_t j, const Partition& part) {
    PlasticWeights pw;
    const ProjectionGenerator& gen = net.generators[j];
    const StdpRule& rule = net.rules[j];
    pw.row_start.reserve(gen.source_size() + 1);
    for (std::uint64_t s = 0; s < gen.source_size(); ++s) {
        pw.row_start.push_back(pw.level.size());
        for_each_synapse(
            net.storage[j], part.tables[j], gen, s, part.begin, part.end,
            [&](std::uint64_t t, double w, std::uint32_t) { pw.level.push_back(rule.encode(w, s, t, 0)); });
    }
    pw.row_start.push_back(pw.level.size());
    return pw;
}

} // namespace

BuiltNetwork build_network(const NetworkSpec& spec, int partitions, const SynapseMap* map,
                           std::vector<ProjectionStorage> storage) {
    const auto t0 = std::chrono::steady_clock::now();
    BuiltNetwork net;
    net.spec = &spec;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const auto& pop = spec.populations[i];
        const ModelInfo* model = find_model(pop.model);
        net.models.push_back(model);
        net.groups.push_back(create_population_group(*model, pop, spec.simulation.dt, spec.simulation.seed));
        initialise_state(spec, i, *model, *net.groups.back());
        net.channels = std::max(net.channels, model->channels);
    }
    for (const auto& pr : spec.projections) {
        net.generators.emplace_back(spec, pr);
        net.routes.push_back(route_receptor(spec, pr.targets, pr.receptor));
        net.rules.push_back(pr.plasticity.enabled
                                ? StdpRule(pr.plasticity, spec.simulation.dt, spec.simulation.seed, pr.index,
                                           net.generators.back().values().max_delay_steps())
                                : StdpRule{});
    }
    net.storage = storage.empty() ? resolve_storage(spec, net.generators, partitions, map != nullptr)
                                  : std::move(storage);

    const auto ranges = plastic_balanced_ranges(spec, net.generators, partitions);
    net.partitions.resize(partitions);
    for (int p = 0; p < partitions; ++p) {
        net.partitions[p].begin = ranges[p].first;
        net.partitions[p].end = ranges[p].second;
        net.partitions[p].tables.resize(spec.projections.size());
        net.partitions[p].plastic.resize(spec.projections.size());
    }
    std::vector<std::vector<QuantisationError>> errors(
        partitions, std::vector<QuantisationError>(spec.projections.size()));
    std::exception_ptr failure;
    // One task per (partition, projection), largest first, dynamically scheduled: partitions hold very
    // different synapse counts when in-degrees differ between populations (PD14: 3x).
    std::vector<std::pair<int, std::size_t>> tasks;
    for (int p = 0; p < partitions; ++p)
        for (std::size_t j = 0; j < spec.projections.size(); ++j) tasks.emplace_back(p, j);
    auto share = [&](const std::pair<int, std::size_t>& t) {
        const Partition& part = net.partitions[t.first];
        const ProjectionGenerator& gen = net.generators[t.second];
        return gen.expected_synapses() * static_cast<double>(part.end - part.begin) /
               static_cast<double>(std::max<std::uint64_t>(1, spec.total_neurons()));
    };
    std::stable_sort(tasks.begin(), tasks.end(),
                     [&](const auto& a, const auto& b) { return share(a) > share(b); });
#pragma omp parallel for schedule(dynamic, 1) num_threads(partitions)
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        try {
            const auto [p, j] = tasks[k];
            Partition& part = net.partitions[p];
            part.tables[j] =
                build_table(net.generators[j], net.storage[j], j, part.begin, part.end, map, errors[p][j]);
            if (spec.projections[j].plasticity.enabled) part.plastic[j] = initial_weights(net, j, part);
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
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        ProjectionStorage& st = net.storage[j];
        // Delays as stored (after any synapse map), or the reachable range where they are regenerated.
        for (const auto& part : net.partitions)
            net.float32_weights = net.float32_weights && part.tables[j].weights_are_float32();
        if (st.kind == StorageKind::procedural || st.kind == StorageKind::procedural_weights) {
            // drawn weights are float32 by construction; a constant must be one
            const SynapseValues& v = net.generators[j].values();
            auto is_float = [](double w) { return static_cast<double>(static_cast<float>(w)) == w; };
            net.float32_weights = net.float32_weights && (v.weight_drawn() || is_float(v.weight_constant()));
            if (net.generators[j].has_kernel()) {
                const ConvConnector& c = *spec.projections[j].connector.conv;
                for (double w : c.weights())
                    net.float32_weights = net.float32_weights && is_float(w * c.pool_scale);
                net.float32_weights = net.float32_weights && is_float(c.pool_scale);
            }
            net.max_delay_steps = std::max(net.max_delay_steps, net.generators[j].values().max_delay_steps());
            net.min_delay_steps = std::min(net.min_delay_steps, net.generators[j].values().min_delay_steps());
            if (st.kind == StorageKind::procedural) {
                net.tables.synapses += static_cast<std::uint64_t>(net.generators[j].expected_synapses());
                net.tables.bytes +=
                    net.generators[j].row_state_bytes(); // what delivery regenerates rows from
            }
        } else {
            for (const auto& part : net.partitions) {
                net.max_delay_steps = std::max(net.max_delay_steps, part.tables[j].max_delay_steps());
                net.min_delay_steps = std::min(net.min_delay_steps, part.tables[j].min_delay_steps());
            }
        }
        QuantisationError total;
        for (const auto& e : errors) {
            total.sum_sq += e[j].sum_sq;
            total.max = std::max(total.max, e[j].max);
            total.n += e[j].n;
        }
        if (total.n) {
            st.rms_rel_error = std::sqrt(total.sum_sq / static_cast<double>(total.n));
            st.max_rel_error = total.max;
        }
    }
    net.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return net;
}

} // namespace nmsim
