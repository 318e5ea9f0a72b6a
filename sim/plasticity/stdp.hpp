// STDP on nmsim's tables (docs/plasticity.md): pair-based with the semantics of NEST's stdp_synapse
// (and PyNN's STDPMechanism over it), and the triplet rule of Pfister & Gerstner (2006) as NEST's
// stdp_triplet_synapse has it. Delays are dendritic, updates are deferred to the next presynaptic
// spike, traces are online.
//
// Memory: a plastic synapse is its connectivity (regenerated rows, or a packed table of targets) plus
// one weight level of `weight_bits` (16: 2 bytes) on the [w_min, w_max] grid. Everything else is per
// neuron: per source (in each partition) the time of its last spike and its traces after it (K+, and
// the triplet rule's slow r2); per target its recent spikes with the traces around each (K- after it,
// the slow o2 just before it), kept for a bounded window.
//
// Deferred updates without unbounded history: a synapse catches up with the postsynaptic spikes since
// its source's last spike when the source spikes again (NEST) or, at the latest, `horizon` steps after
// that spike, when the pre trace has decayed below e^-32 of its value (a "flush": the row is visited,
// nothing is transmitted). Later post spikes would move the weight by less than 1e-14 of A+ w_max
// (below double precision for every weight within 1e2 of w_max), so the history a target keeps spans
// only horizon + max delay steps, whatever the sources do.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "sim/random/counter_rng.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// The weight of a stored level: w_min + q step, the top level exactly w_max. A bitwise select, not ?:,
// so that GCC 12 does not move the fma into a branch, where a loop using it no longer vectorises.
inline double decode_level(std::uint16_t q, double levels, double step, double w_min, double w_max) {
    const auto w = std::bit_cast<std::uint64_t>(std::fma(static_cast<double>(q), step, w_min));
    const std::uint64_t top = 0 - static_cast<std::uint64_t>(q >= levels);
    return std::bit_cast<double>((w & ~top) | (std::bit_cast<std::uint64_t>(w_max) & top));
}

// A weight's position on the level grid, clamped to it, and its nearest level (ties to even; through
// int, as GCC 12 vectorises that conversion): StdpRule::encode and the row kernel's rounding.
inline double level_position(double w, double w_min, double inverse_step, double levels) {
    return std::clamp((w - w_min) * inverse_step, 0.0, levels);
}
inline std::uint16_t nearest_level(double x) {
    return static_cast<std::uint16_t>(static_cast<int>(std::nearbyint(x)));
}

// The rule of one plastic projection, in steps and weight units.
class StdpRule {
public:
    StdpRule() = default;
    // max_delay: the longest delay of the projection, in steps (sizes the decay tables).
    StdpRule(const PlasticitySpec& p, double dt, std::uint64_t seed, std::uint32_t projection,
             std::uint32_t max_delay);

    bool nearest() const { return nearest_; }
    bool triplet() const { return triplet_; }
    // e^(-steps dt / tau+) and e^(-steps dt / tau-); steps may be 0. Tabled over the window the updates
    // reach (the same doubles std::exp gives), std::exp beyond it.
    double decay_plus(std::uint64_t steps) const {
        return steps < plus_.size() ? plus_[steps] : std::exp(-static_cast<double>(steps) * dt_over_plus_);
    }
    // Past 32 tau- (the table's end) K- is below e^-32 of its value: taken as 0, as the flush drops
    // facilitation past 32 tau+.
    // The table ends in that 0, so the lookup is a clamp, not a branch.
    double decay_minus(std::uint64_t steps) const {
        return minus_[std::min<std::uint64_t>(steps, minus_.size() - 1)];
    }
    // The triplet rule's slow traces over any gap (read once per spike, not per synapse).
    double decay_x(std::uint64_t steps) const { return std::exp(-static_cast<double>(steps) * dt_over_x_); }
    double decay_y(std::uint64_t steps) const { return std::exp(-static_cast<double>(steps) * dt_over_y_); }
    // Potentiation by the pre trace x at a post spike; depression by the post trace y at a pre spike
    // (PyNN: additive dw = +-A w_max trace, multiplicative dw = A+ (w_max - w) x, -A- (w - w_min) y),
    // clipped to [w_min, w_max]. Triplet (additive only): dw = x (A2+ + A3+ o2) at a post spike and
    // -y (A2- + A3- r2) at a pre spike, o2 and r2 the slow traces just before that spike (0 for pairs).
    // Every multiply-add is an explicit fma: GCC contracts a * b + c into one where it sees fit (its
    // default for C++ is -ffp-contract=fast), and did so in one code path but not in another, so paths
    // that must give the same weight bitwise (recent spikes, history, the pair kernel) differed in the
    // last bit.
    double facilitate(double w, double x, double o2) const {
        const double a = additive_ ? std::fma(a3_plus_, o2, a_plus_) : a_plus_ * (w_max_ - w);
        return std::min(std::fma(a, x, w), w_max_);
    }
    double depress(double w, double y, double r2) const {
        const double a = additive_ ? std::fma(a3_minus_, r2, a_minus_) : a_minus_ * (w - w_min_);
        return std::max(std::fma(-a, y, w), w_min_);
    }
    // The pair rule's numbers for the row kernel (stdp_pair_update), by value so that a loop can hold
    // them in registers (GCC reloads members after every store and then vectorises nothing).
    struct Pair {
        double a_plus, a_minus, w_min, w_max, levels, step, inverse_step;
        const double* plus;      // decay_plus below plus_steps
        const double* minus;     // decay_minus, ending in its 0
        std::uint32_t minus_end; // index of that 0
        // facilitate / depress with the triplet terms 0 (the same values), and decode.
        template <bool Additive> double facilitate(double w, double x) const {
            return std::min(std::fma(Additive ? a_plus : a_plus * (w_max - w), x, w), w_max);
        }
        template <bool Additive> double depress(double w, double y) const {
            return std::max(std::fma(Additive ? -a_minus : -(a_minus * (w - w_min)), y, w), w_min);
        }
        double decode(std::uint16_t q) const { return decode_level(q, levels, step, w_min, w_max); }
        // StdpRule::encode with deterministic rounding.
        std::uint16_t encode_nearest(double w) const {
            return nearest_level(level_position(w, w_min, inverse_step, levels));
        }
    };
    Pair pair() const {
        return {a_plus_,       a_minus_,
                w_min_,        w_max_,
                levels_,       step_,
                inverse_step_, plus_.data(),
                minus_.data(), static_cast<std::uint32_t>(minus_.size() - 1)};
    }
    bool stochastic() const { return stochastic_; }
    bool additive() const { return additive_; }
    std::uint64_t plus_steps() const { return plus_.size(); }
    // The stored level of a weight: nearest grid point (ties to even), or stochastic rounding keyed by
    // (projection, source, target, pre spike step); and back.
    __attribute__((always_inline)) std::uint16_t encode(double w, std::uint64_t source, std::uint64_t target,
                                                        std::uint64_t step) const {
        const double x = level_position(w, w_min_, inverse_step_, levels_);
        return stochastic_ ? encode_stochastic(x, source, target, step) : nearest_level(x);
    }
    double decode(std::uint16_t q) const { return decode_level(q, levels_, step_, w_min_, w_max_); }
    std::uint64_t horizon() const { return horizon_; } // steps after a pre spike before its flush

private:
    std::uint16_t encode_stochastic(double x, std::uint64_t source, std::uint64_t target,
                                    std::uint64_t step) const;
    bool nearest_ = false, additive_ = true, stochastic_ = false, triplet_ = false;
    double dt_over_plus_ = 0.0, dt_over_minus_ = 0.0, dt_over_x_ = 0.0, dt_over_y_ = 0.0;
    // Additive pair amplitudes are stored times w_max (PyNN), triplet ones as given (NEST).
    double a_plus_ = 0.0, a_minus_ = 0.0, a3_plus_ = 0.0, a3_minus_ = 0.0, w_min_ = 0.0, w_max_ = 1.0;
    double levels_ = 65535.0, step_ = 1.0 / 65535.0, inverse_step_ = 65535.0;
    std::uint64_t horizon_ = 1, seed_ = 0;
    std::uint32_t projection_ = 0;
    std::vector<double> plus_, minus_;
};

// One plastic projection's weights in one partition, in the order the partition's rows enumerate
// their synapses (targets ascending within a row). Built once, mutated by the owning thread only.
struct PlasticWeights {
    std::vector<std::uint16_t> level;     // per synapse
    std::vector<std::uint64_t> row_start; // per source, + 1: its first synapse in `level`
};

// The neurons' side of STDP in one partition: per source its last spike and trace, per target its
// recent spikes. Stamps are step + 1 (a spike emitted in step k is stamped k + 1, as in the output).
class StdpState {
public:
    // `sources`: the projection's source population size; `targets`: the partition's size; stamps32:
    // every stamp of the run fits 32 bits (else, or past 2^31 bytes of recent lines, catch-ups always
    // read the history).
    void init(std::uint64_t sources, std::uint64_t targets, bool stamps32 = true);
    // A target (partition-local) fired with stamp `stamp`; `keep` stamps of history are kept.
    void post_spike(const StdpRule& rule, std::uint64_t local, std::uint64_t stamp, std::uint64_t keep);

    struct Post {
        std::uint64_t stamp;
        double k_after;   // K- just after this spike
        double o2_before; // triplet: the slow post trace just before this spike
    };
    // Recent spikes of a target (partition-local), oldest first.
    const std::vector<Post>& history(std::uint64_t local) const { return post_[local]; }
    // A target's newest spikes, newest first, 32 bytes per target in a flat array that stays in cache
    // (Brunel's 10,000 targets: 320 KB, within L2): most catch-ups need no more, and reading a target's
    // history is a cache miss per synapse (stamp 0: none). The triplet rule's o2 beside it, in its own
    // array.
    static constexpr int recent_spikes = 4, recent_k_afters = 2;
    struct alignas(32) Recent {
        std::uint32_t stamp[recent_spikes] = {};
        double k_after[recent_k_afters] = {}; // of the two newest: a depression rarely needs older ones
    };
    bool has_recent() const { return stamps32_; }
    // The same lines as flat arrays (stamp i of target t at [t * recent_stamp_stride + i], K- after it at
    // [t * recent_k_after_stride + i]), for the row kernel's gathers.
    static constexpr std::uint32_t recent_stamp_stride = sizeof(Recent) / sizeof(std::uint32_t);
    static constexpr std::uint32_t recent_k_after_stride = sizeof(Recent) / sizeof(double);
    const std::uint32_t* recent_stamps() const { return recent_.empty() ? nullptr : recent_.front().stamp; }
    const double* recent_k_after() const { return recent_.empty() ? nullptr : recent_.front().k_after; }
    const Recent& recent(std::uint64_t local) const { return recent_[local]; }
    double recent_o2(std::uint64_t local, int i) const {
        return o2_.empty() ? 0.0 : o2_[local * recent_spikes + static_cast<std::uint64_t>(i)];
    }

    struct Source {
        std::int64_t last = -1; // stamp of the last spike, -1: none yet
        double k_plus = 0.0;    // K+ just after it
        double r2 = 0.0;        // triplet: the slow pre trace just after it
        bool flushed = true;    // the post spikes its trace can still reach have been applied
    };
    std::vector<Source> source;
    struct Flush {
        std::uint64_t step;   // when
        std::uint64_t source; // source-local id
        std::int64_t last;    // the source's spike it belongs to (stale if the source spiked again)
    };
    std::deque<Flush> flushes;

private:
    std::vector<std::vector<Post>> post_;
    std::vector<Recent> recent_;
    std::vector<double> o2_; // triplet: per target recent_spikes values, as Recent
    bool stamps32_ = true;
};

// K- of a target at stamp t from its history: the last spike strictly before t, decayed.
inline double post_trace_before(const StdpRule& rule, const std::vector<StdpState::Post>& h,
                                std::uint64_t t) {
    for (auto it = h.rbegin(); it != h.rend(); ++it)
        if (it->stamp < t) return it->k_after * rule.decay_minus(t - it->stamp);
    return 0.0;
}

// The triplet rule's slow pre trace r2 just before a spike of the source at stamp `pre` (0: pairs).
inline double r2_before(const StdpRule& rule, const StdpState::Source& src, std::uint64_t pre) {
    if (!rule.triplet() || src.last < 0) return 0.0;
    return src.r2 * rule.decay_x(pre - static_cast<std::uint64_t>(src.last));
}

// One synapse's catch-up at a pre spike (transmit) or a flush: potentiation by every post spike the
// source's previous spike can still reach, then (at a spike) depression by the post trace; returns the
// new weight. `pre` is the stamp of the spike (or of the flush), `d` the synapse's delay in steps, `r2`
// the source's slow trace just before the spike (r2_before).
inline double stdp_update(const StdpRule& rule, const StdpState::Source& src,
                          const std::vector<StdpState::Post>& post, double w, std::uint64_t pre,
                          std::uint32_t d, bool spike, double r2) {
    // Post spikes at stamps p with last < p + d <= pre (NEST: (t_last - d, t_pre - d]): found from the
    // newest back (a source spikes again after few post spikes), applied oldest first.
    if (src.last >= 0 && !src.flushed) {
        const auto last = static_cast<std::uint64_t>(src.last);
        std::size_t i = post.size();
        while (i > 0 && post[i - 1].stamp + d > last) --i;
        for (; i < post.size() && post[i].stamp + d <= pre; ++i)
            w = rule.facilitate(w, src.k_plus * rule.decay_plus(post[i].stamp + d - last), post[i].o2_before);
    }
    if (spike && pre > d) w = rule.depress(w, post_trace_before(rule, post, pre - d), r2);
    return w;
}

// stdp_update from a target's newest spikes when they hold all it needs (the usual case), else from
// its history: the same operations on the same values either way.
inline double stdp_update_recent(const StdpRule& rule, const StdpState::Source& src, const StdpState& st,
                                 std::uint64_t local, double w, std::uint64_t pre, std::uint32_t d,
                                 bool spike, double r2) {
    constexpr int n = StdpState::recent_spikes;
    if (!st.has_recent()) return stdp_update(rule, src, st.history(local), w, pre, d, spike, r2);
    const StdpState::Recent& r = st.recent(local);
    if (src.last >= 0 && !src.flushed) {
        const auto last = static_cast<std::uint64_t>(src.last);
        // The oldest one kept still reaches the window: older ones may too.
        if (std::uint64_t{r.stamp[n - 1]} + d > last)
            return stdp_update(rule, src, st.history(local), w, pre, d, spike, r2);
        for (int i = n - 1; i >= 0; --i) { // oldest first, as stdp_update
            const std::uint64_t s = r.stamp[i];
            if (s + d > last && s + d <= pre)
                w = rule.facilitate(w, src.k_plus * rule.decay_plus(s + d - last), st.recent_o2(local, i));
        }
    }
    if (spike && pre > d) {
        const std::uint64_t t = pre - d;
        for (int i = 0; i < n; ++i) {
            const std::uint64_t s = r.stamp[i];
            if (s < t) { // the last spike strictly before t; stamp 0: none (K- 0)
                if (i < StdpState::recent_k_afters)
                    return rule.depress(w, s ? r.k_after[i] * rule.decay_minus(t - s) : 0.0, r2);
                break; // its K- is only in the history
            }
        }
        return rule.depress(w, post_trace_before(rule, st.history(local), t), r2);
    }
    return w;
}

// stdp_update_recent for the pair rule with its data-dependent branches made selects, for the hot row
// loop (a mispredicted branch per synapse cost more than the update): the same operations on the same
// values, so the same weight bitwise (test). Facilitate: the source's last spike `last` (trace k_plus
// after it) can still reach post spikes, and pre - last < rule.plus_steps(); Spike: a spike, not a
// flush. Returns false when the target's four newest spikes do not hold all the update needs (or the
// delay reaches back before the run): w is then unspecified, use stdp_update_recent.
template <bool Additive, bool Facilitate, bool Spike>
__attribute__((always_inline)) inline bool
stdp_pair_update(const StdpRule::Pair& rule, const std::uint32_t* stamps, const double* k_afters,
                 std::uint32_t target, double& w, std::uint32_t last, double k_plus, std::uint32_t pre,
                 std::uint32_t d) {
    // In 32 bits throughout (every stamp + delay of the run fits: StdpState::has_recent), with one flat
    // int index per value (base + index * size), so that the compiler can gather them with 32-bit
    // indices (unsigned ones it widens to 64 bits first: 7 % faster in StdpPairKernel). stamps,
    // k_afters: StdpState's recent_stamps(), recent_k_after().
    constexpr std::uint32_t n = StdpState::recent_spikes;
    static_assert(n == 4 && StdpState::recent_k_afters == 2); // two stamp pairs; K- of the two newest
    // The four stamps as two 64-bit loads (half the gathered elements of four 32-bit ones).
    const int line = static_cast<int>(target);
    std::uint64_t pairs[2]; // one memcpy each: a 16-byte one becomes a load GCC does not gather
    std::memcpy(&pairs[0], stamps + line * int{StdpState::recent_stamp_stride}, sizeof pairs[0]);
    std::memcpy(&pairs[1], stamps + (line * int{StdpState::recent_stamp_stride} + 2), sizeof pairs[1]);
    const auto stamp = [&](std::uint32_t i) {
        return static_cast<std::uint32_t>(pairs[i / 2] >> (32 * (i % 2)));
    };
    const auto k_after = [&](std::uint32_t i) {
        return k_afters[line * int{StdpState::recent_k_after_stride} + static_cast<int>(i)];
    };
    bool complete = true;
    if constexpr (Facilitate) {
        // The oldest kept spike reaches the window only when the synapse is incomplete (older ones may
        // too): the caller then redoes it, so only the three newer slots are applied here.
        complete = stamp(n - 1) + d <= last;
        for (std::uint32_t i = n - 1; i-- > 0;) { // oldest first
            // A miss facilitates by x = 0: w + 0 is w (and w <= w_max), so no select is needed, and a
            // mask instead of ?: keeps GCC from turning it back into a branch (and from a signed int, as
            // GCC 12 vectorises no unsigned-to-double conversion).
            const std::uint32_t s = stamp(i) + d;
            const std::uint32_t hit =
                static_cast<std::uint32_t>(s > last) & static_cast<std::uint32_t>(s <= pre);
            const double x = k_plus * rule.plus[static_cast<int>((s - last) & (0 - hit))] *
                             static_cast<double>(static_cast<int>(hit));
            w = rule.facilitate<Additive>(w, x);
        }
    }
    if constexpr (Spike) {
        // The newest spike strictly before t (stamps descend): complete only when it is one of the two
        // newest, whose K- are kept, so the older two stamps are not looked at. Its stamp is selected
        // from the ones loaded, not loaded again.
        const std::uint32_t t = pre - d;
        const std::uint32_t i = stamp(0) >= t;
        const std::uint32_t s = i ? stamp(1) : stamp(0);
        complete = complete && pre > d && stamp(1) < t;
        // No spike (stamp 0) has K- 0 beside it: y is 0 as stdp_update_recent has it.
        const double y = k_after(i) * rule.minus[static_cast<int>(std::min(t - s, rule.minus_end))];
        w = rule.depress<Additive>(w, y);
    }
    return complete;
}

// stdp_pair_update over a batch of a row's synapses (partition-local targets, delays, stored levels),
// written for the compiler to vectorise: per synapse whether it is complete, and its new weight w; with
// Round (deterministic rounding) also its new level q, and w is then the level's weight (the one sent).
template <bool Additive, bool Facilitate, bool Spike, bool Round>
inline void stdp_pair_batch(const StdpRule& rule, const StdpState& st, std::size_t n,
                            const std::uint32_t* target, const std::uint32_t* delay,
                            const std::uint16_t* level, std::uint32_t last, double k_plus, std::uint32_t pre,
                            double* w, std::uint16_t* q, std::uint8_t* complete) {
    const StdpRule::Pair pair = rule.pair();
    const std::uint32_t* stamps = st.recent_stamps();
    const double* k_afters = st.recent_k_after();
#pragma GCC ivdep
    for (std::size_t k = 0; k < n; ++k) {
        double x = pair.decode(level[k]);
        complete[k] = stdp_pair_update<Additive, Facilitate, Spike>(pair, stamps, k_afters, target[k], x,
                                                                    last, k_plus, pre, delay[k]);
        if constexpr (Round) {
            q[k] = pair.encode_nearest(x);
            x = pair.decode(q[k]);
        }
        w[k] = x;
    }
}

// The pre trace after a spike at stamp `pre` (all-to-all: K+ e^(-dt/tau+) + 1; nearest: 1).
inline double next_k_plus(const StdpRule& rule, const StdpState::Source& src, std::uint64_t pre) {
    if (rule.nearest() || src.last < 0) return 1.0;
    return src.k_plus * rule.decay_plus(pre - static_cast<std::uint64_t>(src.last)) + 1.0;
}

// The slow pre trace after that spike, from its value before it (all-to-all: + 1; nearest: 1).
inline double next_r2(const StdpRule& rule, double before) {
    return rule.nearest() ? 1.0 : before + 1.0;
}

} // namespace nmsim
