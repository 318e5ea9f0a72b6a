#include "sim/engine/simulator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <omp.h>
#include <stdexcept>

#include "sim/engine/input_buffer.hpp"
#include "sim/engine/stimuli.hpp"

namespace nmsim {
namespace {

// A population's share of one partition.
struct Segment {
    std::size_t population;
    std::uint64_t local_begin, local_end; // population-local ids
    std::uint64_t offset;                 // index of local_begin within the partition
};

// Per-partition runtime state, touched only by the thread that owns the partition.
struct PartitionState {
    std::uint64_t begin = 0, size = 0;
    InputBuffer input;
    std::vector<double> current;
    std::vector<Segment> segments;
    StimulusDriver stimuli;
    std::vector<std::uint32_t> local_spikes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> recorded; // (step, global id)
    std::uint64_t events = 0;
};

struct ReportPlan {
    std::size_t report = 0;
    std::size_t population = 0;
    int variable = 0;
    std::uint64_t steps_per_sample = 1;
    // (element index, population-local id) per partition
    std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> by_partition;
};

// What every partition reads but none writes: population layout, outgoing projections, recording.
struct Layout {
    std::vector<std::uint64_t> pop_end;                     // one past each population's last global id
    std::vector<std::vector<std::size_t>> projections_from; // per population
    std::vector<char> record_spikes;                        // per population
    std::vector<ReportPlan> plans;
};

Layout make_layout(const BuiltNetwork& net, RunResult& result, std::uint64_t steps) {
    const NetworkSpec& spec = *net.spec;
    const int parts = static_cast<int>(net.partitions.size());
    Layout l;
    for (const auto& p : spec.populations) l.pop_end.push_back(p.first_id + p.size);
    l.projections_from.resize(spec.populations.size());
    for (std::size_t j = 0; j < spec.projections.size(); ++j)
        for (std::size_t i = 0; i < spec.populations.size(); ++i)
            if (spec.populations[i].name == spec.projections[j].source) l.projections_from[i].push_back(j);
    l.record_spikes.assign(spec.populations.size(), 0);
    for (const auto& r : spec.recorders)
        if (r.kind == RecorderSpec::Kind::spikes)
            for (const auto& name : r.populations)
                for (std::size_t i = 0; i < spec.populations.size(); ++i)
                    if (spec.populations[i].name == name) l.record_spikes[i] = 1;
    for (const auto& r : spec.recorders) {
        if (r.kind != RecorderSpec::Kind::state) continue;
        ReportPlan plan;
        plan.report = result.reports.size();
        for (std::size_t i = 0; i < spec.populations.size(); ++i)
            if (spec.populations[i].name == r.population) plan.population = i;
        plan.variable = net.models[plan.population]->variable_index(r.variable);
        plan.steps_per_sample = static_cast<std::uint64_t>(std::llround(r.interval / spec.simulation.dt));
        plan.by_partition.resize(parts);
        const auto& pop = spec.populations[plan.population];
        for (std::size_t e = 0; e < r.ids.size(); ++e)
            for (int p = 0; p < parts; ++p)
                if (pop.first_id + r.ids[e] >= net.partitions[p].begin &&
                    pop.first_id + r.ids[e] < net.partitions[p].end)
                    plan.by_partition[p].emplace_back(e, r.ids[e]);
        const ModelInfo& model = *net.models[plan.population];
        StateReport rep{r.name, r.population, r.variable, model.state_units.at(plan.variable),
                        r.ids,  r.interval,   0,          {}};
        rep.n_times = (steps + plan.steps_per_sample - 1) / plan.steps_per_sample;
        rep.data.assign(rep.n_times * r.ids.size(), 0.0f);
        result.reports.push_back(std::move(rep));
        l.plans.push_back(std::move(plan));
    }
    return l;
}

void setup_partition(const BuiltNetwork& net, int p, InputBufferKind kind, PartitionState& ps) {
    const NetworkSpec& spec = *net.spec;
    ps.begin = net.partitions[p].begin;
    ps.size = net.partitions[p].end - ps.begin;
    ps.input.init(kind, ps.size, net.channels, net.max_delay_steps);
    ps.current.assign(ps.size, 0.0);
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const auto& pop = spec.populations[i];
        const std::uint64_t a = std::max(ps.begin, pop.first_id);
        const std::uint64_t b = std::min(ps.begin + ps.size, pop.first_id + pop.size);
        if (a < b) ps.segments.push_back({i, a - pop.first_id, b - pop.first_id, a - ps.begin});
    }
    ps.stimuli = StimulusDriver(spec, ps.begin, ps.begin + ps.size, net.channels);
}

// Delivers the spikes emitted in step `emitted` (all partitions' lists, ascending ids) into this
// partition's input buffer: each source's row, each outgoing projection, in table order. With two
// channels the projection's receptor route picks each target population's channel.
template <InputBufferKind K>
void deliver(const BuiltNetwork& net, const Layout& layout, int p,
             const std::vector<std::vector<std::uint32_t>>& spikes, std::uint64_t emitted,
             PartitionState& ps) {
    const Partition& part = net.partitions[p];
    const std::uint64_t base = ps.begin;
    InputBuffer& input = ps.input;
    input.begin_delivery(emitted);
    std::uint64_t events = 0;
    std::size_t pop = 0; // spikes arrive in ascending id order, so pop only grows
    for (const auto& list : spikes)
        for (const std::uint32_t g : list) {
            while (g >= layout.pop_end[pop]) ++pop;
            const std::uint64_t row = g - net.spec->populations[pop].first_id;
            for (const std::size_t j : layout.projections_from[pop]) {
                if (net.channels == 1)
                    for_each_synapse(net.storage[j], part.tables[j], net.generators[j], row, part.begin,
                                     part.end, [&](std::uint64_t t, double w, std::uint32_t d) {
                                         input.add<K>(t - base, 0, d, w);
                                         ++events;
                                     });
                else {
                    const ReceptorRoute& route = net.routes[j];
                    std::size_t k = 0; // rows ascend through the target populations
                    for_each_synapse(net.storage[j], part.tables[j], net.generators[j], row, part.begin,
                                     part.end, [&](std::uint64_t t, double w, std::uint32_t d) {
                                         while (t >= route.segments[k].end) ++k;
                                         input.add<K>(t - base, route.channel(k, w), d, w);
                                         ++events;
                                     });
                }
            }
        }
    ps.events += events;
}

// External input, state recording (at the start of the step), then every neuron of the partition
// advances one step; the ids that spiked go to `out` in ascending order.
void advance(const BuiltNetwork& net, Layout& layout, RunResult& result, int p, std::uint64_t step,
             PartitionState& ps, std::vector<std::uint32_t>& out) {
    const std::uint64_t n = ps.size;
    double* syn = ps.input.slot(step);
    ps.stimuli.apply(step, syn, n, ps.current.data());
    for (auto& plan : layout.plans) {
        if (step % plan.steps_per_sample) continue;
        StateReport& rep = result.reports[plan.report];
        const std::uint64_t row = step / plan.steps_per_sample;
        for (const auto& [e, id] : plan.by_partition[p])
            rep.data[row * rep.ids.size() + e] =
                static_cast<float>(net.groups[plan.population]->get(plan.variable, id));
    }
    out.clear();
    for (const Segment& seg : ps.segments) {
        StepInput in{{syn + seg.offset, net.channels > 1 ? syn + n + seg.offset : nullptr},
                     ps.current.data() + seg.offset,
                     net.channels,
                     step};
        ps.local_spikes.clear();
        net.groups[seg.population]->update(seg.local_begin, seg.local_end, in, ps.local_spikes);
        const std::uint64_t first = net.spec->populations[seg.population].first_id;
        for (const std::uint32_t local : ps.local_spikes) {
            const auto g = static_cast<std::uint32_t>(first + local);
            out.push_back(g);
            ++result.spike_counts[g];
            if (layout.record_spikes[seg.population])
                ps.recorded.emplace_back(static_cast<std::uint32_t>(step), g);
        }
    }
}

// Recorded spikes per population, sorted by time then id (partitions are id-ordered).
void gather(const NetworkSpec& spec, const Layout& layout, std::vector<PartitionState>& state,
            RunResult& result) {
    const double dt = spec.simulation.dt;
    for (std::size_t i = 0; i < spec.populations.size(); ++i)
        if (layout.record_spikes[i]) result.spikes[spec.populations[i].name];
    std::vector<std::pair<std::uint32_t, std::uint32_t>> all;
    for (auto& ps : state) {
        result.synaptic_events += ps.events;
        all.insert(all.end(), ps.recorded.begin(), ps.recorded.end());
        ps.recorded = {};
    }
    std::sort(all.begin(), all.end());
    for (const auto& [step, g] : all) {
        std::size_t pop = 0;
        while (g >= layout.pop_end[pop]) ++pop;
        SpikeRecord& rec = result.spikes[spec.populations[pop].name];
        rec.times_ms.push_back((step + 1) * dt);
        rec.node_ids.push_back(g - spec.populations[pop].first_id);
    }
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const auto& pop = spec.populations[i];
        for (std::uint64_t k = 0; k < pop.size; ++k)
            result.population_spikes[i] += result.spike_counts[pop.first_id + k];
    }
}

} // namespace

RunResult simulate(BuiltNetwork& net, const RunOptions& options) {
    const NetworkSpec& spec = *net.spec;
    const std::uint64_t steps =
        static_cast<std::uint64_t>(std::llround(spec.simulation.duration / spec.simulation.dt));
    const int parts = static_cast<int>(net.partitions.size());

    RunResult result;
    result.steps = steps;
    result.spike_counts.assign(spec.total_neurons(), 0);
    result.population_spikes.assign(spec.populations.size(), 0);
    Layout layout = make_layout(net, result, steps);
    // One layout for all partitions, from the largest: the choice is the run's, not a thread's.
    std::uint64_t largest = 0;
    for (const auto& part : net.partitions) largest = std::max(largest, part.end - part.begin);
    result.input_buffer =
        options.input_buffer
            ? *options.input_buffer
            : choose_input_buffer(largest, net.channels, net.max_delay_steps, net.float32_weights);
    if (result.input_buffer == InputBufferKind::queue && !net.float32_weights)
        throw std::logic_error("the queue input buffer holds float32 weights; this network has others");

    std::vector<PartitionState> state(parts);
    // Spikes of the previous and current step, one list per partition, each in ascending id order.
    std::vector<std::vector<std::uint32_t>> spikes[2];
    spikes[0].resize(parts);
    spikes[1].resize(parts);
    std::exception_ptr failure;
    const auto t0 = std::chrono::steady_clock::now();

#pragma omp parallel num_threads(parts)
    {
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        try {
            for (int p = tid; p < parts; p += nth) setup_partition(net, p, result.input_buffer, state[p]);
        } catch (...) {
#pragma omp critical
            failure = std::current_exception();
        }
#pragma omp barrier
        const std::uint64_t progress_every = std::max<std::uint64_t>(1, steps / 100);
        for (std::uint64_t step = 0; step < steps && !failure; ++step) {
            const auto& prev = spikes[(step + 1) & 1];
            for (int p = tid; p < parts; p += nth) {
                if (step > 0) {
                    if (result.input_buffer == InputBufferKind::ring)
                        deliver<InputBufferKind::ring>(net, layout, p, prev, step - 1, state[p]);
                    else
                        deliver<InputBufferKind::queue>(net, layout, p, prev, step - 1, state[p]);
                }
                advance(net, layout, result, p, step, state[p], spikes[step & 1][p]);
            }
            if (tid == 0 && options.progress && (step + 1) % progress_every == 0)
                options.progress(static_cast<double>(step + 1) / steps);
#pragma omp barrier
        }
    }
    if (failure) std::rethrow_exception(failure);
    result.sim_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    gather(spec, layout, state, result);
    return result;
}

std::vector<double> population_rates(const NetworkSpec& spec, const RunResult& r) {
    std::vector<double> rates;
    const double seconds = r.steps * spec.simulation.dt * 1e-3;
    for (std::size_t i = 0; i < spec.populations.size(); ++i)
        rates.push_back(static_cast<double>(r.population_spikes[i]) / (spec.populations[i].size * seconds));
    return rates;
}

} // namespace nmsim
