#include "sim/engine/simulator.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <exception>
#include <omp.h>
#include <stdexcept>

#include "sim/engine/input_buffer.hpp"
#include "sim/engine/stimuli.hpp"
#include "sim/engine/touch_schedule.hpp"
#include "sim/plasticity/stdp.hpp"

namespace nmsim {
namespace {

// A population's share of one partition.
struct Segment {
    std::size_t population;
    std::uint64_t local_begin, local_end; // population-local ids
    std::uint64_t offset;                 // index of local_begin within the partition
    bool event;                           // advanced only where touched (event mode)
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
    std::uint64_t events = 0, updates = 0;
    TouchSchedule touch;                    // event mode: the neurons to advance at coming steps
    std::vector<std::uint32_t> ids, active; // event mode: one segment's touched / still active neurons
    std::vector<std::uint64_t> touches;     // per population: neurons advanced in event mode, steps >= 1
    // Plastic projections (docs/plasticity.md), per projection: the learned weights (the run holds
    // them, then hands them back to the network) and the neurons' STDP state.
    std::vector<PlasticWeights> plastic;
    std::vector<StdpState> stdp;
    std::vector<std::uint32_t> row_targets, row_delays; // a plastic row decoded (catch_up_pair_row)
    // Per projection: the channel all its synapses here feed (one target population and one weight
    // sign, as in PD14), or -1 when it is chosen per synapse.
    std::vector<int> channel;
};

bool has_event_segments(const PartitionState& ps) {
    return std::any_of(ps.segments.begin(), ps.segments.end(), [](const Segment& s) { return s.event; });
}
// Whether population i advances in event mode in this partition (it has at most one segment here).
bool event_here(const PartitionState& ps, std::size_t i) {
    return std::any_of(ps.segments.begin(), ps.segments.end(),
                       [i](const Segment& s) { return s.population == i && s.event; });
}
// Event mode: the segment's neurons brought to their state at the start of `step`.
void catch_up_segment(const BuiltNetwork& net, const Segment& seg, std::uint64_t step) {
    for (std::uint64_t k = seg.local_begin; k < seg.local_end; ++k)
        net.groups[seg.population]->catch_up(k, step);
}

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
    std::vector<char> event;                            // per population: event mode
    std::vector<std::vector<std::size_t>> plastic_into; // per population: plastic projections into it
    std::vector<std::uint64_t> stdp_keep;               // per projection: stamps of post history kept
    bool stdp_stamps32 = true;                          // every stamp of the run fits 32 bits
    bool any_plastic = false;
};

// Steps between spike exchanges: the shortest delay of any synapse. Plastic rows catch up once per
// slice too: a pre spike's update reads only post spikes older than its arrival (and the flushes due
// are taken in step order between the slice's deliveries), so the result is the step-by-step run's.
std::uint64_t delivery_slice(const BuiltNetwork& net) {
    constexpr std::uint32_t longest = 256; // bounds the per-step spike lists kept
    return std::clamp<std::uint32_t>(net.min_delay_steps, 1, longest);
}

Layout make_layout(const BuiltNetwork& net, RunResult& result, std::uint64_t steps) {
    const NetworkSpec& spec = *net.spec;
    const int parts = static_cast<int>(net.partitions.size());
    Layout l;
    l.stdp_stamps32 = steps + net.max_delay_steps + 2 < 0xFFFFFFFFull; // stamp + delay too (stdp_pair_update)
    for (const auto& e : result.engines) l.event.push_back(e.mode == EngineMode::event);
    for (const auto& p : spec.populations) l.pop_end.push_back(p.first_id + p.size);
    l.projections_from.resize(spec.populations.size());
    for (std::size_t j = 0; j < spec.projections.size(); ++j)
        for (std::size_t i = 0; i < spec.populations.size(); ++i)
            if (spec.populations[i].name == spec.projections[j].source) l.projections_from[i].push_back(j);
    l.plastic_into.resize(spec.populations.size());
    l.stdp_keep.assign(spec.projections.size(), 0);
    for (std::size_t j = 0; j < spec.projections.size(); ++j) {
        if (!spec.projections[j].plasticity.enabled) continue;
        l.any_plastic = true;
        for (const auto& t : spec.projections[j].targets)
            for (std::size_t i = 0; i < spec.populations.size(); ++i)
                if (spec.populations[i].name == t) l.plastic_into[i].push_back(j);
        // Post spikes are recorded up to a slice ahead of the pre spikes delivered.
        l.stdp_keep[j] =
            net.rules[j].horizon() + net.generators[j].values().max_delay_steps() + 1 + delivery_slice(net);
    }
    l.record_spikes.assign(spec.populations.size(), 0);
    for (const auto& r : spec.recorders)
        if (r.kind == RecorderSpec::Kind::spikes)
            for (const auto& name : r.populations)
                for (std::size_t i = 0; i < spec.populations.size(); ++i)
                    if (spec.populations[i].name == name) l.record_spikes[i] = 1;
    for (const auto& r : spec.recorders)
        if (r.kind == RecorderSpec::Kind::weights && r.interval > 0)
            for (std::size_t j = 0; j < spec.projections.size(); ++j)
                if (spec.projections[j].name == r.projection) {
                    WeightSamples ws;
                    ws.projection = j;
                    ws.steps_per_sample =
                        static_cast<std::uint64_t>(std::llround(r.interval / spec.simulation.dt));
                    ws.levels.assign((steps + ws.steps_per_sample - 1) / ws.steps_per_sample,
                                     std::vector<std::vector<std::uint16_t>>(parts));
                    result.weight_samples.push_back(std::move(ws));
                }
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

void setup_partition(BuiltNetwork& net, const Layout& layout, int p, InputBufferKind kind,
                     PartitionState& ps) {
    const NetworkSpec& spec = *net.spec;
    ps.begin = net.partitions[p].begin;
    ps.size = net.partitions[p].end - ps.begin;
    ps.input.init(kind, ps.size, net.channels, net.max_delay_steps);
    ps.current.assign(ps.size, 0.0);
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const auto& pop = spec.populations[i];
        const std::uint64_t a = std::max(ps.begin, pop.first_id);
        const std::uint64_t b = std::min(ps.begin + ps.size, pop.first_id + pop.size);
        if (a < b)
            ps.segments.push_back(
                {i, a - pop.first_id, b - pop.first_id, a - ps.begin, layout.event[i] != 0});
    }
    ps.stimuli = StimulusDriver(spec, ps.begin, ps.begin + ps.size, net.channels);
    ps.touches.assign(spec.populations.size(), 0);
    ps.plastic.resize(spec.projections.size());
    ps.stdp.resize(spec.projections.size());
    ps.channel.assign(spec.projections.size(), -1);
    for (std::size_t j = 0; j < spec.projections.size() && net.channels > 1; ++j) {
        const bool stored =
            net.storage[j].kind == StorageKind::packed || net.storage[j].kind == StorageKind::quantised;
        ps.channel[j] = net.routes[j].fixed_channel(ps.begin, ps.begin + ps.size,
                                                    stored ? net.partitions[p].tables[j].weight_sign() : 0);
    }
    for (std::size_t j = 0; j < spec.projections.size(); ++j)
        if (spec.projections[j].plasticity.enabled) {
            ps.plastic[j].level.swap(net.partitions[p].plastic[j].level); // the run holds them
            ps.plastic[j].row_start.swap(net.partitions[p].plastic[j].row_start);
            ps.stdp[j].init(net.generators[j].source_size(), ps.size, layout.stdp_stamps32);
        }
    if (!has_event_segments(ps)) return;
    // Arrivals land up to max_delay steps ahead; every event neuron is advanced once at step 0, so
    // that initial states above threshold fire as in a clock run.
    ps.touch.init(ps.size, net.max_delay_steps);
    for (const Segment& seg : ps.segments)
        if (seg.event) ps.touch.mark_range(seg.offset, seg.offset + (seg.local_end - seg.local_begin), 0);
}

// A batch of a plastic row sent with its new weights, in table order. Its own function, called per
// batch: inside the catch-up (the inlined kernel holds every register) GCC reloaded the loop's
// pointers and the closure's captures from the stack per synapse. `send` by value (its captures are).
template <class Send>
[[gnu::noinline]] void send_batch(Send send, std::size_t m, const std::uint32_t* target,
                                  const std::uint32_t* delay, const double* w, std::uint64_t base) {
    if constexpr (requires { send.cells; })
        if (send.cells) { // the row's one ring slot: the targets are its indices already
            for (std::size_t k = 0; k < m; ++k) send.cells[target[k]] += w[k];
            return;
        }
    for (std::size_t k = 0; k < m; ++k) send(target[k] + base, delay[k], w[k]);
}

// A plastic row's sends: send(t, d, w) per synapse, and `cells` (its ring slot, indexed by target -
// base) where every synapse of the row lands in one slot (a fixed channel, one delay) for send_batch
// to add into directly: no channel or slot lookup per synapse.
template <class Send> struct RowSend {
    Send send;
    double* cells;
    __attribute__((always_inline)) void operator()(std::uint64_t t, std::uint32_t d, double w) {
        send(t, d, w);
    }
};

// The pair rule's row: stdp_pair_update per synapse, stdp_update_recent where it falls short.
template <bool Additive, bool Facilitate, bool Spike, bool Round, class Send>
std::uint64_t catch_up_pair_row(const BuiltNetwork& net, std::size_t j, const Partition& part,
                                std::uint64_t row, std::uint64_t at, PartitionState& ps, Send&& send) {
    const StdpRule& rule = net.rules[j];
    PlasticWeights& pw = ps.plastic[j];
    const StdpState& st = ps.stdp[j];
    const StdpState::Source& src = st.source[row];
    const auto last = static_cast<std::uint32_t>(src.last); // stamps fit 32 bits where this runs
    const double k_plus = src.k_plus;
    const std::uint64_t first = pw.row_start[row], size = pw.row_start[row + 1] - first;
    std::uint16_t* level = pw.level.data() + first;
    // The row's levels are a random place in a large array (Brunel: 20 MB): their first two batches are
    // asked for before the decode, each next one a batch ahead (perf: 14 % of the catch-up's samples
    // waited for the first batch's levels).
    constexpr std::size_t batch = 64, level_line = 64 / sizeof(std::uint16_t);
    for (std::size_t k = 0; k < std::min(size, 2 * batch); k += level_line) __builtin_prefetch(level + k, 1);
    const std::uint64_t base = ps.begin;
    // The row's targets and delays first, into arrays (a packed table in blocks of 16; with the batch's
    // update called from inside a decoding callback GCC stored and reloaded the loop's state per
    // synapse), then batches of 64: the weights (independent synapses, vectorised), then the stores
    // and sends in table order (+ 16: the block decode stores whole blocks). The targets' recent lines
    // are not prefetched: Brunel's fit in L2, and a prefetch per synapse cost more than it saved
    // (1 s, 2 threads, best of 8 alternating: 1.44 -> 1.38 s).
    if (ps.row_targets.size() < size + 16) {
        ps.row_targets.resize(size + 16);
        ps.row_delays.resize(size + 16);
    }
    std::uint32_t* target = ps.row_targets.data();
    std::uint32_t* delay = ps.row_delays.data();
    [[maybe_unused]] const std::uint32_t decoded = decode_synapse_targets(
        net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end, base, target, delay);
    assert(decoded == size); // the levels follow the table's order
    // A batch's incomplete synapses (~7 %) are visited through a bit mask: a branch per synapse on its
    // flag mispredicted for most of them (perf).
    static_assert(batch <= 64);
    alignas(64) double w[batch];
    std::uint16_t q[batch];
    std::uint8_t complete[batch];
    for (std::size_t b = 0; b < size; b += batch) {
        const std::size_t m = std::min(batch, size - b);
        for (std::size_t k = b + 2 * batch; k < std::min(size, b + 3 * batch); k += level_line)
            __builtin_prefetch(level + k, 1);
        stdp_pair_batch<Additive, Facilitate, Spike, Round>(rule, st, m, target + b, delay + b, level + b,
                                                            last, k_plus, static_cast<std::uint32_t>(at), w,
                                                            q, complete);
        const auto redo = [&](std::size_t k) {
            const std::uint32_t local = target[b + k];
            const double w1 = complete[k]
                                  ? w[k]
                                  : stdp_update_recent(rule, src, st, local, rule.decode(level[b + k]), at,
                                                       delay[b + k], Spike, 0.0);
            q[k] = rule.encode(w1, row, local + base, at);
            w[k] = rule.decode(q[k]);
        };
        if constexpr (Round) {
            std::uint64_t incomplete = 0;
            for (std::size_t k = 0; k < m; ++k) incomplete |= std::uint64_t{complete[k] == 0} << k;
            for (; incomplete != 0; incomplete &= incomplete - 1) redo(std::countr_zero(incomplete));
        } else
            for (std::size_t k = 0; k < m; ++k) redo(k);
        std::copy(q, q + m, level + b);
        if constexpr (Spike) send_batch(send, m, target + b, delay + b, w, base);
    }
    return size;
}

// A plastic row's catch-up at stamp `at`: each synapse is potentiated by the post spikes its source's
// last spike can still reach, then, at a spike, depressed by the post trace, stored, and sent with the
// new weight (send(target, delay, weight)); a flush sends nothing. r2: the source's slow trace just
// before the spike (r2_before; 0 at a flush). Returns the row's synapse count.
template <class Send>
std::uint64_t catch_up_row(const BuiltNetwork& net, std::size_t j, const Partition& part, std::uint64_t row,
                           std::uint64_t at, bool spike, double r2, PartitionState& ps, Send&& send) {
    const StdpRule& rule = net.rules[j];
    PlasticWeights& pw = ps.plastic[j];
    StdpState& st = ps.stdp[j];
    const StdpState::Source& src = st.source[row];
    const bool facilitate = src.last >= 0 && !src.flushed;
    if (!rule.triplet() && st.has_recent() &&
        (!facilitate || at - static_cast<std::uint64_t>(src.last) < rule.plus_steps())) {
        const auto pair_row = [&]<bool A, bool F>() {
            if (rule.stochastic())
                return spike ? catch_up_pair_row<A, F, true, false>(net, j, part, row, at, ps, send)
                             : catch_up_pair_row<A, F, false, false>(net, j, part, row, at, ps, send);
            return spike ? catch_up_pair_row<A, F, true, true>(net, j, part, row, at, ps, send)
                         : catch_up_pair_row<A, F, false, true>(net, j, part, row, at, ps, send);
        };
        if (rule.additive())
            return facilitate ? pair_row.template operator()<true, true>()
                              : pair_row.template operator()<true, false>();
        return facilitate ? pair_row.template operator()<false, true>()
                          : pair_row.template operator()<false, false>();
    }
    const std::uint64_t first = pw.row_start[row];
    std::uint64_t k = first;
    for_each_synapse_target(net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                            [&](std::uint64_t t, std::uint32_t d) {
                                const double w = stdp_update_recent(
                                    rule, src, st, t - ps.begin, rule.decode(pw.level[k]), at, d, spike, r2);
                                pw.level[k] = rule.encode(w, row, t, at);
                                if (spike) send(t, d, rule.decode(pw.level[k]));
                                ++k;
                            });
    return k - first;
}

// A presynaptic spike stamped `pre` on a plastic row: the catch-up, then the source's trace moves on
// and its flush is due `horizon` steps later. Returns the synapses sent.
template <class Send>
std::uint64_t deliver_plastic(const BuiltNetwork& net, std::size_t j, const Partition& part,
                              std::uint64_t row, std::uint64_t pre, PartitionState& ps, Send&& send) {
    const StdpRule& rule = net.rules[j];
    StdpState& st = ps.stdp[j];
    StdpState::Source& src = st.source[row];
    const double r2 = r2_before(rule, src, pre);
    const std::uint64_t sent = catch_up_row(net, j, part, row, pre, true, r2, ps, send);
    src.r2 = next_r2(rule, r2);
    src.k_plus = next_k_plus(rule, src, pre);
    src.last = static_cast<std::int64_t>(pre);
    src.flushed = false;
    st.flushes.push_back({pre + rule.horizon(), row, src.last});
    return sent;
}

// Flushes due by the start of `step`: rows whose source's trace has faded catch up with the post
// spikes it could still reach (nothing is sent), so no post history older than the horizon is needed.
void flush_plastic(const BuiltNetwork& net, int p, std::uint64_t step, PartitionState& ps) {
    for (std::size_t j = 0; j < ps.stdp.size(); ++j) {
        if (ps.plastic[j].row_start.empty()) continue;
        StdpState& st = ps.stdp[j];
        while (!st.flushes.empty() && st.flushes.front().step <= step) {
            const StdpState::Flush f = st.flushes.front();
            st.flushes.pop_front();
            StdpState::Source& src = st.source[f.source];
            if (src.last != f.last || src.flushed) continue; // the source spiked again since
            catch_up_row(net, j, net.partitions[p], f.source, f.step, false, 0.0, ps,
                         [](std::uint64_t, std::uint32_t, double) {});
            src.flushed = true;
        }
    }
}

// Adds a static projection's weights into one channel's ring slots. A row whose delay is its table's
// constant binds that slot once (PackedTable::decode), so the hot loop is decode, one add, one store.
struct RingAdd {
    double* const* at; // the channel's slot pointers, by delay
    std::uint64_t base;
    __attribute__((always_inline)) void operator()(std::uint64_t t, double w, std::uint32_t d) const {
        at[d][t - base] += w;
    }
    auto bind_delay(std::uint32_t d) const {
        // Indexing a base-shifted pointer instead (cells[t]: no subtraction per event) measured slower,
        // 0.39 -> 0.43 s on Brunel, alternating runs.
        return [ cells = at[d], base = base ](std::uint64_t t, double w, std::uint32_t)
            __attribute__((always_inline)) {
            cells[t - base] += w;
        };
    }
};

// Delivers the spikes emitted in step `emitted` (all partitions' lists, ascending ids) into this
// partition's input buffer: each source's row, each outgoing projection, in table order. With two
// channels the projection's receptor route picks each target population's channel.
template <InputBufferKind K, bool Touch>
void deliver(const BuiltNetwork& net, const Layout& layout, int p,
             const std::vector<std::vector<std::uint32_t>>& spikes, std::uint64_t emitted,
             PartitionState& ps) {
    const Partition& part = net.partitions[p];
    const std::uint64_t base = ps.begin;
    InputBuffer& input = ps.input;
    input.begin_delivery(emitted);
    std::uint64_t events = 0;
    // Holds the ring's slot pointers and the base by value, and is copied into the row's closure:
    // the table's hot loop keeps them in registers instead of reloading them per event.
    auto sink =
        [
            &input, &ps, base, emitted, at = input.ring_slots(), stride = input.ring_stride(),
            queues = input.queue_slots()
        ](std::uint64_t t, int c, std::uint32_t d, double w)
            __attribute__((always_inline)) { // GCC called it per event on two-channel paths
        if constexpr (K == InputBufferKind::ring)
            at[c * stride + d][t - base] += w;
        else
            input.append(*queues[d], t - base, c, w);
        if constexpr (Touch) ps.touch.mark(t - base, emitted + d);
    };
    // The next spike's plastic rows and levels are asked for while this one's are worked on: each is
    // a random place in a table and a level array larger than the caches.
    std::size_t next_pop = 0;
    const auto prefetch_plastic = [&](std::uint32_t g) {
        while (g >= layout.pop_end[next_pop]) ++next_pop;
        const std::uint64_t row = g - net.spec->populations[next_pop].first_id;
        for (const std::size_t j : layout.projections_from[next_pop]) {
            const PlasticWeights& pw = ps.plastic[j];
            if (pw.row_start.empty() || net.storage[j].kind != StorageKind::packed) continue;
            part.tables[j].prefetch_row(row);
            __builtin_prefetch(pw.level.data() + pw.row_start[row], 1);
        }
    };
    std::size_t pop = 0; // spikes arrive in ascending id order, so pop only grows
    for (const auto& list : spikes)
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::uint32_t g = list[i];
            if (layout.any_plastic && i + 1 < list.size()) prefetch_plastic(list[i + 1]);
            while (g >= layout.pop_end[pop]) ++pop;
            const std::uint64_t row = g - net.spec->populations[pop].first_id;
            for (const std::size_t j : layout.projections_from[pop]) {
                if (!ps.plastic[j].row_start.empty()) {
                    // Captures by value (the catch-up copies it per batch); the row ascends through
                    // the target populations, so the segment only grows.
                    auto send = [ sink, one = net.channels == 1, &route = net.routes[j], k = std::size_t{0} ](
                        std::uint64_t t, std::uint32_t d, double w) mutable __attribute__((always_inline)) {
                        if (one) return sink(t, 0, d, w);
                        while (t >= route.segments[k].end) ++k;
                        sink(t, route.channel(k, w), d, w);
                    };
                    // One channel only: with two, a learned weight's sign may pick the channel.
                    double* cells = nullptr;
                    if constexpr (K == InputBufferKind::ring && !Touch)
                        if (net.channels == 1)
                            if (const auto d =
                                    constant_delay(net.storage[j], part.tables[j], net.generators[j]))
                                cells = input.ring_slots()[*d];
                    events += deliver_plastic(net, j, part, row, emitted + 1, ps, RowSend{send, cells});
                    continue;
                }
                // (Its own branch: folding the two one-channel sink paths below into it made GCC lay the
                // loop out differently, Brunel 0.39 -> 0.45 s in alternating runs.)
                if constexpr (K == InputBufferKind::ring && !Touch)
                    if (const int c = net.channels == 1 ? 0 : ps.channel[j]; c >= 0) {
                        events += for_each_synapse(
                            net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                            RingAdd{input.ring_slots() + c * input.ring_stride(), base});
                        continue;
                    }
                if (net.channels == 1)
                    events += for_each_synapse(
                        net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                        [sink](std::uint64_t t, double w, std::uint32_t d)
                            __attribute__((always_inline)) { sink(t, 0, d, w); });
                else if (const int c = ps.channel[j]; c >= 0)
                    events += for_each_synapse(
                        net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                        [ sink, c ](std::uint64_t t, double w, std::uint32_t d)
                            __attribute__((always_inline)) { sink(t, c, d, w); });
                else {
                    const ReceptorRoute& route = net.routes[j];
                    std::size_t k = 0; // rows ascend through the target populations
                    events += for_each_synapse(
                        net.storage[j], part.tables[j], net.generators[j], row, part.begin, part.end,
                        [ sink, &route, &k ](std::uint64_t t, double w, std::uint32_t d)
                            __attribute__((always_inline)) {
                                while (t >= route.segments[k].end) ++k;
                                sink(t, route.channel(k, w), d, w);
                            });
                }
            }
        }
    ps.events += events;
}

void deliver_spikes(const BuiltNetwork& net, const Layout& layout, int p, InputBufferKind kind,
                    const std::vector<std::vector<std::uint32_t>>& spikes, std::uint64_t emitted,
                    PartitionState& ps) {
    const bool touch = ps.touch.enabled() && ps.input.marks_at_delivery();
    if (kind == InputBufferKind::ring)
        touch ? deliver<InputBufferKind::ring, true>(net, layout, p, spikes, emitted, ps)
              : deliver<InputBufferKind::ring, false>(net, layout, p, spikes, emitted, ps);
    else
        touch ? deliver<InputBufferKind::queue, true>(net, layout, p, spikes, emitted, ps)
              : deliver<InputBufferKind::queue, false>(net, layout, p, spikes, emitted, ps);
}

// State samples at the start of the step; event-mode neurons are first brought up to date.
void record_state(const BuiltNetwork& net, const Layout& layout, RunResult& result, int p, std::uint64_t step,
                  const PartitionState& ps) {
    for (const auto& plan : layout.plans) {
        if (step % plan.steps_per_sample) continue;
        StateReport& rep = result.reports[plan.report];
        NeuronGroup& group = *net.groups[plan.population];
        const std::uint64_t row = step / plan.steps_per_sample;
        const bool event = event_here(ps, plan.population);
        for (const auto& [e, id] : plan.by_partition[p]) {
            if (event) group.catch_up(id, step);
            rep.data[row * rep.ids.size() + e] = static_cast<float>(group.get(plan.variable, id));
        }
    }
}

// Event mode: the segment's touched neurons (partition-local, ascending) advance; those whose
// potential may still rise are touched again next step.
void update_touched(const BuiltNetwork& net, const Segment& seg, const std::vector<std::uint32_t>& touched,
                    const StepInput& in, PartitionState& ps) {
    const std::uint64_t end = seg.offset + (seg.local_end - seg.local_begin);
    const auto lo = std::lower_bound(touched.begin(), touched.end(), seg.offset);
    const auto hi = std::lower_bound(lo, touched.end(), end);
    ps.ids.clear();
    for (auto it = lo; it != hi; ++it)
        ps.ids.push_back(static_cast<std::uint32_t>(*it - seg.offset + seg.local_begin));
    ps.active.clear();
    net.groups[seg.population]->update_touched(ps.ids, seg.local_begin, in, ps.local_spikes, ps.active);
    for (const std::uint32_t a : ps.active) ps.touch.mark(a - seg.local_begin + seg.offset, in.step + 1);
    ps.updates += ps.ids.size();
    if (in.step > 0) ps.touches[seg.population] += ps.ids.size();
}

// External input, state recording (at the start of the step), then the partition's neurons advance
// one step (clock segments all, event segments those touched); the ids that spiked go to `out` in
// ascending order.
void advance(const BuiltNetwork& net, const Layout& layout, RunResult& result, int p, std::uint64_t step,
             PartitionState& ps, std::vector<std::uint32_t>& out) {
    const std::uint64_t n = ps.size;
    TouchSchedule* touch = ps.touch.enabled() ? &ps.touch : nullptr;
    double* syn = ps.input.slot(step, touch);
    ps.stimuli.apply(step, syn, n, ps.current.data(), touch);
    record_state(net, layout, result, p, step, ps);
    static const std::vector<std::uint32_t> none;
    const std::vector<std::uint32_t>& touched = touch ? touch->take(step) : none;
    out.clear();
    for (const Segment& seg : ps.segments) {
        StepInput in{{syn + seg.offset, net.channels > 1 ? syn + n + seg.offset : nullptr},
                     ps.current.data() + seg.offset,
                     net.channels,
                     step};
        ps.local_spikes.clear();
        if (seg.event) {
            update_touched(net, seg, touched, in, ps);
        } else {
            net.groups[seg.population]->update(seg.local_begin, seg.local_end, in, ps.local_spikes);
            ps.updates += seg.local_end - seg.local_begin;
        }
        const std::uint64_t first = net.spec->populations[seg.population].first_id;
        for (const std::size_t j : layout.plastic_into[seg.population])
            for (const std::uint32_t local : ps.local_spikes)
                ps.stdp[j].post_spike(net.rules[j], seg.offset + (local - seg.local_begin), step + 1,
                                      layout.stdp_keep[j]);
        for (const std::uint32_t local : ps.local_spikes) {
            const auto g = static_cast<std::uint32_t>(first + local);
            out.push_back(g);
            ++result.spike_counts[g];
            if (layout.record_spikes[seg.population])
                ps.recorded.emplace_back(static_cast<std::uint32_t>(step), g);
        }
    }
}

// Event mode: every neuron brought to its state at the end of the run.
void finish_event_mode(const BuiltNetwork& net, PartitionState& ps, std::uint64_t steps) {
    for (const Segment& seg : ps.segments)
        if (seg.event) catch_up_segment(net, seg, steps);
}

// auto, at step `window`: the provisional event-mode populations whose neurons were reached in too
// many of the steps 1 .. window - 1 move to the clock. Every thread takes the same decision from the
// partitions' counters (complete at the barrier before this step) and switches its own partitions;
// both modes give the same spikes, so the switch changes only the cost.
void settle_auto(const BuiltNetwork& net, std::vector<PartitionState>& state, int tid, int nth,
                 std::uint64_t window, std::vector<PopulationEngine>& engines) {
    const NetworkSpec& spec = *net.spec;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        if (!engines[i].provisional) continue;
        std::uint64_t touches = 0;
        for (const auto& ps : state) touches += ps.touches[i];
        const double measured = static_cast<double>(touches) / (spec.populations[i].size * (window - 1.0));
        PopulationEngine decided = engines[i];
        const bool keep = keep_event_mode(decided, measured, window);
        for (int p = tid; p < static_cast<int>(state.size()) && !keep; p += nth) {
            PartitionState& ps = state[p];
            for (Segment& seg : ps.segments)
                if (seg.population == i && seg.event) {
                    catch_up_segment(net, seg, window);
                    seg.event = false;
                }
            if (!has_event_segments(ps)) ps.touch = TouchSchedule{};
        }
#pragma omp barrier // every thread has read engines[i] before thread 0 rewrites it
        if (tid == 0) engines[i] = decided;
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
        result.neuron_updates += ps.updates;
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
    result.engines = choose_engines(net);
    for (std::size_t i = 0; i < spec.populations.size(); ++i)
        if (result.engines[i].mode == EngineMode::event) net.groups[i]->begin_event_mode();
    const Layout layout = make_layout(net, result, steps);
    // One layout for all partitions, from the largest: the choice is the run's, not a thread's.
    std::uint64_t largest = 0;
    for (const auto& part : net.partitions) largest = std::max(largest, part.end - part.begin);
    result.input_buffer =
        options.input_buffer
            ? *options.input_buffer
            : choose_input_buffer(largest, net.channels, net.max_delay_steps, net.float32_weights);
    if (result.input_buffer == InputBufferKind::queue && !net.float32_weights)
        throw std::logic_error("the queue input buffer holds float32 weights; this network has others");

    // Partitions exchange spikes once per slice of `slice` steps, the shortest delay (NEST's min_delay
    // communication): nothing a partition emits can reach another before the slice ends, so one
    // barrier per slice suffices. Each slot's input still adds in emission order (emission step, then
    // id), so the spikes are those of a step-by-step exchange. Plastic rows catch up with post spikes
    // in step order within the slice (deliver_in_step_order), so plastic networks exchange per slice too.
    const std::uint64_t slice = std::min(delivery_slice(net), options.exchange_steps.value_or(~0ull));
    if (slice == 0) throw std::invalid_argument("exchange_steps must be at least 1");
    result.exchange_steps = slice;
    // auto measures its provisional event-mode populations over the first steps (at least 10); the
    // decision falls on a slice boundary.
    std::uint64_t window = std::min(auto_window, steps / 10) > 10 ? std::min(auto_window, steps / 10) : steps;
    if (window < steps) window = std::min(steps, (window + slice - 1) / slice * slice);
    std::vector<PartitionState> state(parts);
    // Spikes of the previous and current slice, per step (modulo 2 slices), one list per partition,
    // each in ascending id order.
    std::vector<std::vector<std::vector<std::uint32_t>>> spikes(2 * slice);
    for (auto& lists : spikes) lists.resize(parts);
    std::exception_ptr failure;
    // The learned weights at the start of step s (before its flushes and the delivery of the spikes
    // stamped s), for `weights` recorders with an interval.
    const auto sample_weights = [&](int p, std::uint64_t s) {
        for (auto& ws : result.weight_samples)
            if (s % ws.steps_per_sample == 0 && s < steps)
                ws.levels[s / ws.steps_per_sample][p] = state[p].plastic[ws.projection].level;
    };
    // The spikes emitted in step e, with everything plastic that precedes them in step order.
    const auto deliver_in_step_order = [&](int p, std::uint64_t e) {
        sample_weights(p, e + 1);
        flush_plastic(net, p, e + 1, state[p]);
        deliver_spikes(net, layout, p, result.input_buffer, spikes[e % (2 * slice)], e, state[p]);
    };
    const auto t0 = std::chrono::steady_clock::now();

#pragma omp parallel num_threads(parts)
    {
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        try {
            for (int p = tid; p < parts; p += nth)
                setup_partition(net, layout, p, result.input_buffer, state[p]);
        } catch (...) {
#pragma omp critical
            failure = std::current_exception();
        }
#pragma omp barrier
        const std::uint64_t progress_every = std::max<std::uint64_t>(1, steps / 100);
        for (std::uint64_t step = 0; step < steps && !failure; ++step) {
            if (step == window) settle_auto(net, state, tid, nth, window, result.engines);
            for (int p = tid; p < parts; p += nth) {
                if (step == 0) sample_weights(p, 0);
                if (step % slice == 0) // the previous slice's spikes, step by step
                    for (std::uint64_t e = step >= slice ? step - slice : 0; e < step; ++e)
                        deliver_in_step_order(p, e);
                advance(net, layout, result, p, step, state[p], spikes[step % (2 * slice)][p]);
            }
            if (tid == 0 && options.progress && (step + 1) % progress_every == 0)
                options.progress(static_cast<double>(step + 1) / steps);
            if ((step + 1) % slice == 0 || step + 1 == steps) {
#pragma omp barrier
            }
        }
        // The last slice's spikes but the final step's are delivered, as step by step: they arrive
        // after the end, but the event count does not depend on the exchange interval.
        if (!failure && steps > 0)
            for (int p = tid; p < parts; p += nth)
                for (std::uint64_t e = (steps - 1) / slice * slice; e + 1 < steps; ++e)
                    deliver_in_step_order(p, e);
        if (!failure)
            for (int p = tid; p < parts; p += nth) finish_event_mode(net, state[p], steps);
        for (int p = tid; p < parts; p += nth) // the learned weights go back to the network
            for (std::size_t j = 0; j < state[p].plastic.size(); ++j) {
                net.partitions[p].plastic[j].level.swap(state[p].plastic[j].level);
                net.partitions[p].plastic[j].row_start.swap(state[p].plastic[j].row_start);
            }
    }
    if (failure) std::rethrow_exception(failure);
    for (auto& e : result.engines)
        e.provisional = false; // a run shorter than auto's window keeps the estimate
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
