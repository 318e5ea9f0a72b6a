// lif_delta: leaky integrate-and-fire with delta synapses, NEST iaf_psc_delta semantics.
//   tau_m dV/dt = -(V - v_rest) + (i_offset + I_ext) * tau_m / cm,   spikes add w (mV) to V at once.
// Exact integration on the dt grid: V' = P22 V + P20 I + sum(w), P22 = exp(-dt/tau_m),
// P20 = tau_m/cm (1 - P22). Spikes arriving while refractory are discarded (NEST default), and
// V is clamped from below at v_min. V >= v_thresh fires, resets to v_reset and holds for tau_refrac.
#include "models/lif_delta.hpp"

#include <algorithm>
#include <cmath>

#include "models/idle_steps.hpp"

namespace nmsim {
namespace {

class LifDeltaGroup final : public NeuronGroup {
public:
    LifDeltaGroup(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : v_rest_(p.at("v_rest")), theta_(p.at("v_thresh") - v_rest_), reset_(p.at("v_reset") - v_rest_),
          v_min_(p.at("v_min") - v_rest_), i_offset_(p.at("i_offset")), p22_(std::exp(-dt / p.at("tau_m"))),
          p20_(p.at("tau_m") / p.at("cm") * (1.0 - p22_)),
          refrac_steps_(refractory_steps(p.at("tau_refrac"), dt)), v_(n, 0.0), refrac_(n, 0) {}

    // Blocks of neurons without branches (the compiler vectorises them), then the spikes of the block;
    // the same arithmetic as step().
    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        constexpr std::uint64_t block = 64;
        for (std::uint64_t b = begin; b < end; b += block) {
            const std::uint64_t m = std::min(block, end - b);
            double* syn = in.syn[0] + (b - begin);
            if (in.channels > 1) { // a delta synapse sums both channels into V
                double* other = in.syn[1] + (b - begin);
                for (std::uint64_t k = 0; k < m; ++k) {
                    syn[k] += other[k];
                    other[k] = 0.0;
                }
            }
            const double* current = in.current + (b - begin);
            double* v = v_.data() + b;
            std::uint32_t* refrac = refrac_.data() + b;
            std::uint32_t fired[block];
            for (std::uint64_t k = 0; k < m; ++k) {
                const bool free = refrac[k] == 0;
                double u = p22_ * v[k] + p20_ * (i_offset_ + current[k]) + syn[k];
                syn[k] = 0.0;
                u = u < v_min_ ? v_min_ : u;
                u = free ? u : v[k];
                fired[k] = u >= theta_;
                v[k] = fired[k] ? reset_ : u;
                refrac[k] = fired[k] ? refrac_steps_ : (free ? 0u : refrac[k] - 1);
            }
            for (std::uint64_t k = 0; k < m; ++k)
                if (fired[k]) spiked.push_back(static_cast<std::uint32_t>(b + k));
        }
    }
    double get(int, std::uint64_t i) const override { return v_[i] + v_rest_; }
    void set(int, std::uint64_t i, double value) override { v_[i] = value - v_rest_; }

    // Without input V decays to rest and a refractory neuron holds: no spike unless rest or reset is
    // at or above threshold, or a constant current drives it.
    std::string event_blocker() const override { return lif_event_blocker(i_offset_, theta_, reset_); }
    void begin_event_mode() override {
        next_.assign(v_.size(), 0);
        decay_ = StepPower(p22_, wants_tables(v_.size()));
    }
    void update_touched(std::span<const std::uint32_t> ids, std::uint64_t base, const StepInput& in,
                        std::vector<std::uint32_t>& spiked, std::vector<std::uint32_t>&) override {
        for (std::size_t n = 0; n < ids.size(); ++n) {
            if (n + prefetch_ahead < ids.size()) prefetch(ids[n + prefetch_ahead], base, in);
            const std::uint32_t i = ids[n];
            catch_up(i, in.step);
            if (step(i, take_total_input(in, i - base), 0.0)) spiked.push_back(i);
            next_[i] = static_cast<std::uint32_t>(in.step + 1);
        }
    }
    // The steps next_[i] .. step - 1 had no input: refractory ones hold V, the others decay it.
    void catch_up(std::uint64_t i, std::uint64_t until) override {
        std::uint64_t k = until - next_[i];
        next_[i] = static_cast<std::uint32_t>(until);
        const std::uint64_t held = std::min<std::uint64_t>(refrac_[i], k);
        refrac_[i] -= static_cast<std::uint32_t>(held);
        k -= held;
        if (k == 0) return;
        double v = v_[i];
        if (k <= stepped_gap) {
            for (std::uint64_t s = 0; s < k; ++s) v = std::max(v * p22_, v_min_);
        } else {
            // Once above v_min, V decays towards rest and the clamp holds it at most at v_min.
            v = std::max(std::max(v * p22_, v_min_) * decay_(k - 1), v_min_);
        }
        v_[i] = v;
    }

private:
    // Touched neurons are scattered over the state: fetch a later one's while this one computes.
    void prefetch(std::uint64_t i, std::uint64_t base, const StepInput& in) const {
        __builtin_prefetch(&v_[i], 1);
        __builtin_prefetch(&refrac_[i], 1);
        __builtin_prefetch(&next_[i], 1);
        __builtin_prefetch(&in.syn[0][i - base], 1);
        if (in.channels > 1) __builtin_prefetch(&in.syn[1][i - base], 1);
    }
    // One step of neuron i; true if it fired.
    bool step(std::uint64_t i, double input, double current) {
        double v = v_[i];
        if (refrac_[i] == 0) {
            v = p22_ * v + p20_ * (i_offset_ + current) + input;
            v = v < v_min_ ? v_min_ : v;
        } else {
            --refrac_[i];
        }
        const bool fired = v >= theta_;
        if (fired) {
            refrac_[i] = refrac_steps_;
            v = reset_;
        }
        v_[i] = v;
        return fired;
    }

    double v_rest_, theta_, reset_, v_min_, i_offset_, p22_, p20_;
    std::uint32_t refrac_steps_;
    // Separate arrays, so that the clock's loop vectorises (event mode prefetches each).
    std::vector<double> v_; // relative to v_rest, as NEST keeps it relative to E_L
    std::vector<std::uint32_t> refrac_;
    std::vector<std::uint32_t> next_; // event mode: the first step not yet applied (runs < 2^32 steps)
    StepPower decay_;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<LifDeltaGroup>(n, p, dt);
}
double default_initial(int, const std::map<std::string, double>& p) {
    return p.at("v_rest");
}

} // namespace

const ModelInfo lif_delta_model{"lif_delta",
                                "leaky integrate-and-fire, delta synapses (NEST iaf_psc_delta)",
                                {{"tau_m", 20.0, 0.0, 1e6, true, "ms"},
                                 {"cm", 1.0, 0.0, 1e6, true, "nF"},
                                 {"v_rest", -65.0, -1e4, 1e4, false, "mV"},
                                 {"v_reset", -65.0, -1e4, 1e4, false, "mV"},
                                 {"v_thresh", -50.0, -1e4, 1e4, false, "mV"},
                                 {"v_min", -1e300, -1e300, 1e4, false, "mV"},
                                 {"tau_refrac", 0.1, 0.0, 1e6, false, "ms"},
                                 {"i_offset", 0.0, -1e6, 1e6, false, "nA"}},
                                {"v"},
                                {"mV"},
                                1,
                                {{"excitatory", 0}, {"inhibitory", 0}},
                                &create,
                                &default_initial};

} // namespace nmsim
