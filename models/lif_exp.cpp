// lif_exp: current-based LIF with exponential synapses, NEST iaf_psc_exp semantics.
//   tau_m dV/dt = -(V - v_rest) + (I_exc + I_inh + i_offset + I_ext) tau_m / cm
//   tau_syn_E dI_exc/dt = -I_exc,   tau_syn_I dI_inh/dt = -I_inh,   a spike adds w (nA) to I.
// Exact integration (Rotter & Diesmann 1999): per step, V' = P22 V + P21e Ie + P21i Ii + P20 I0,
// then Ie' = P11e Ie + w_exc, Ii' = P11i Ii + w_inh. V is held during refractoriness while the
// currents keep decaying; V >= v_thresh fires and resets to v_reset.
#include "models/lif_exp.hpp"

#include <algorithm>
#include <cmath>

#include "models/idle_steps.hpp"

namespace nmsim {

double propagator_current_to_voltage(double tau_syn, double tau_m, double cm, double h) {
    const double singular = h / cm * std::exp(-h / tau_m); // the limit tau_syn -> tau_m
    if (tau_syn == tau_m) return singular;
    const double regular = -tau_m / (cm * (1.0 - tau_m / tau_syn)) * std::exp(-h / tau_syn) *
                           std::expm1(h * (1.0 / tau_syn - 1.0 / tau_m));
    // Near the singularity the regular form loses digits to cancellation; NEST's criterion.
    const double linear = h * h * (tau_syn - tau_m) * std::exp(-h / tau_m) / (2.0 * cm * tau_m * tau_m);
    if (std::abs(tau_m - tau_syn) < 0.1 && std::abs(regular - singular) > 2.0 * std::abs(linear))
        return singular;
    return regular;
}

namespace {

class LifExpGroup final : public NeuronGroup {
public:
    LifExpGroup(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : v_rest_(p.at("v_rest")), theta_(p.at("v_thresh") - v_rest_), reset_(p.at("v_reset") - v_rest_),
          i_offset_(p.at("i_offset")), tau_m_(p.at("tau_m")), cm_(p.at("cm")), tau_e_(p.at("tau_syn_E")),
          tau_i_(p.at("tau_syn_I")), p22_(std::exp(-dt / tau_m_)), p20_(tau_m_ / cm_ * (1.0 - p22_)),
          p11e_(std::exp(-dt / tau_e_)), p11i_(std::exp(-dt / tau_i_)),
          p21e_(propagator_current_to_voltage(tau_e_, tau_m_, cm_, dt)),
          p21i_(propagator_current_to_voltage(tau_i_, tau_m_, cm_, dt)),
          refrac_steps_(refractory_steps(p.at("tau_refrac"), dt)), v_(n, 0.0), ie_(n, 0.0), ii_(n, 0.0),
          refrac_(n, 0) {}

    // Blocks of neurons without branches (the compiler vectorises them), then the spikes of the block;
    // the same arithmetic as step().
    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        constexpr std::uint64_t block = 64;
        static const double no_input[block] = {};
        // Parameters in locals (stores through the arrays could otherwise change members) and ivdep (the
        // arrays do not overlap; GCC gives up on the 15 runtime alias checks otherwise): the scalar loop
        // cost 3.2 ns per neuron-step on PD14.
        const double p22 = p22_, p21e = p21e_, p21i = p21i_, p20 = p20_, p11e = p11e_, p11i = p11i_;
        const double i_offset = i_offset_, theta = theta_, reset = reset_;
        const std::uint32_t refrac_steps = refrac_steps_;
        for (std::uint64_t b = begin; b < end; b += block) {
            const std::uint64_t m = std::min(block, end - b), o = b - begin;
            double* in_e = in.syn[0] + o;
            double* in_i = in.channels > 1 ? in.syn[1] + o : nullptr;
            const double* syn_i = in_i ? in_i : no_input;
            const double* current = in.current + o;
            double *v = v_.data() + b, *ie = ie_.data() + b, *ii = ii_.data() + b;
            std::uint32_t* refrac = refrac_.data() + b;
            std::uint32_t fired[block];
#pragma GCC ivdep
            for (std::uint64_t k = 0; k < m; ++k) {
                const bool free = refrac[k] == 0;
                double u = v[k] * p22 + ie[k] * p21e + ii[k] * p21i + (i_offset + current[k]) * p20;
                u = free ? u : v[k];
                ie[k] = ie[k] * p11e + in_e[k];
                ii[k] = ii[k] * p11i + syn_i[k];
                fired[k] = u >= theta;
                v[k] = fired[k] ? reset : u;
                refrac[k] = fired[k] ? refrac_steps : (free ? 0u : refrac[k] - 1);
            }
            std::fill(in_e, in_e + m, 0.0);
            if (in_i) std::fill(in_i, in_i + m, 0.0);
            for (std::uint64_t k = 0; k < m; ++k)
                if (fired[k]) spiked.push_back(static_cast<std::uint32_t>(b + k));
        }
    }
    double get(int var, std::uint64_t i) const override {
        return var == 0 ? v_[i] + v_rest_ : var == 1 ? ie_[i] : ii_[i];
    }
    void set(int var, std::uint64_t i, double value) override {
        (var == 0 ? v_[i] : var == 1 ? ie_[i] : ii_[i]) = var == 0 ? value - v_rest_ : value;
    }

    std::string event_blocker() const override {
        return lif_event_blocker(i_offset_, theta_, reset_);
    }
    void begin_event_mode() override {
        next_.assign(v_.size(), 0);
        const bool table = wants_tables(v_.size());
        decay_m_ = StepPower(p22_, table);
        decay_e_ = StepPower(p11e_, table);
        decay_i_ = StepPower(p11i_, table);
        couple_e_ = StepCoupling(p22_, p11e_, table);
        couple_i_ = StepCoupling(p22_, p11i_, table);
        peak_e_ = peak_response(tau_e_);
        peak_i_ = peak_response(tau_i_);
        // V computed in closed form may differ from the clock's by a few ulps: a neuron goes idle only
        // with this much room below threshold (docs/engine.md).
        idle_below_ = theta_ - 1e-9 * std::max(1.0, std::abs(theta_));
    }
    void update_touched(std::span<const std::uint32_t> ids, std::uint64_t base, const StepInput& in,
                        std::vector<std::uint32_t>& spiked, std::vector<std::uint32_t>& active) override {
        for (std::size_t n = 0; n < ids.size(); ++n) {
            if (n + prefetch_ahead < ids.size()) { // touched neurons are scattered over the state
                const std::uint32_t j = ids[n + prefetch_ahead];
                for (const double* a : {&v_[j], &ie_[j], &ii_[j]}) __builtin_prefetch(a, 1);
                __builtin_prefetch(&refrac_[j], 1);
                __builtin_prefetch(&next_[j], 1);
                __builtin_prefetch(&in.syn[0][j - base], 1);
                __builtin_prefetch(&in.syn[1][j - base], 1);
            }
            const std::uint32_t i = ids[n];
            catch_up(i, in.step);
            const std::uint64_t k = i - base;
            if (step(i, take_input(in, 0, k), take_input(in, 1, k), 0.0)) spiked.push_back(i);
            next_[i] = static_cast<std::uint32_t>(in.step + 1);
            if (!stays_below_threshold(i)) active.push_back(i);
        }
    }
    // The steps next_[i] .. step - 1 had no input: the currents decay, V is held while refractory
    // and otherwise follows the currents.
    void catch_up(std::uint64_t i, std::uint64_t until) override {
        const std::uint64_t k = until - next_[i];
        next_[i] = static_cast<std::uint32_t>(until);
        if (k == 0) return;
        double v = v_[i], ie = ie_[i], ii = ii_[i];
        std::uint32_t& refrac = refrac_[i];
        if (k <= stepped_gap) {
            for (std::uint64_t s = 0; s < k; ++s) {
                if (refrac == 0)
                    v = v * p22_ + ie * p21e_ + ii * p21i_;
                else
                    --refrac;
                ie *= p11e_;
                ii *= p11i_;
            }
        } else {
            const std::uint64_t held = std::min<std::uint64_t>(refrac, k), free = k - held;
            refrac -= static_cast<std::uint32_t>(held);
            if (held) {
                ie *= decay_e_(held);
                ii *= decay_i_(held);
            }
            if (free) {
                v = v * decay_m_(free) + ie * p21e_ * couple_e_(free) + ii * p21i_ * couple_i_(free);
                ie *= decay_e_(free);
                ii *= decay_i_(free);
            }
        }
        v_[i] = v;
        ie_[i] = ie;
        ii_[i] = ii;
    }

private:
    // One step of neuron i with the input arriving into each current; true if it fired.
    bool step(std::uint64_t i, double in_e, double in_i, double current) {
        double v = v_[i];
        if (refrac_[i] == 0)
            v = v * p22_ + ie_[i] * p21e_ + ii_[i] * p21i_ + (i_offset_ + current) * p20_;
        else
            --refrac_[i];
        ie_[i] = ie_[i] * p11e_ + in_e;
        ii_[i] = ii_[i] * p11i_ + in_i;
        const bool fired = v >= theta_;
        if (fired) {
            refrac_[i] = refrac_steps_;
            v = reset_;
        }
        v_[i] = v;
        return fired;
    }

    // The largest V a unit current of time constant tau_s can add from V = 0 (at its peak time).
    double peak_response(double tau_s) const {
        const double t = tau_s == tau_m_ ? tau_m_ : std::log(tau_m_ / tau_s) / (1.0 / tau_s - 1.0 / tau_m_);
        return propagator_current_to_voltage(tau_s, tau_m_, cm_, t);
    }
    // Whether neuron i, given no further input, provably stays below threshold for ever: the free
    // trajectory V0 e^(-t/tau_m) + sum_c I_c P_c(t) is bounded by its continuous maximum. A negative
    // current only lowers V (P_c >= 0), so it is dropped; with one positive current the maximum of the
    // two exponentials has a closed form, with two the sum of their peaks bounds it.
    bool stays_below_threshold(std::uint64_t i) const {
        double v0 = v_[i], ie = ie_[i], ii = ii_[i];
        const double quick = std::max(v0, 0.0) + std::max(ie, 0.0) * peak_e_ + std::max(ii, 0.0) * peak_i_;
        if (quick < idle_below_) return true;
        if (ie > 0.0 && ii > 0.0) return false;
        if (refrac_[i] > 0) { // the trajectory starts at reset when the refractory period ends
            v0 = reset_;
            ie *= decay_e_(refrac_[i]);
            ii *= decay_i_(refrac_[i]);
        }
        const bool exc = ie > 0.0;
        const double current = exc ? ie : ii, tau_s = exc ? tau_e_ : tau_i_;
        double peak = std::max(v0, 0.0);
        if (current > 0.0) {
            double t;
            if (tau_s == tau_m_) {
                t = tau_m_ - v0 * cm_ / current;
            } else {
                const double k = current * tau_m_ * tau_s / (cm_ * (tau_s - tau_m_));
                t = std::log(k * tau_m_ / (tau_s * (k - v0))) / (1.0 / tau_s - 1.0 / tau_m_);
            }
            if (t > 0.0 && std::isfinite(t))
                peak = std::max(peak, v0 * std::exp(-t / tau_m_) +
                                          current * propagator_current_to_voltage(tau_s, tau_m_, cm_, t));
        }
        return peak < idle_below_;
    }

    double v_rest_, theta_, reset_, i_offset_, tau_m_, cm_, tau_e_, tau_i_;
    double p22_, p20_, p11e_, p11i_, p21e_, p21i_;
    std::uint32_t refrac_steps_;
    // Separate arrays, so that the clock's loop vectorises (event mode prefetches each).
    std::vector<double> v_, ie_, ii_; // v relative to v_rest
    std::vector<std::uint32_t> refrac_;
    std::vector<std::uint32_t> next_; // event mode: the first step not yet applied (runs < 2^32 steps)
    // event mode
    StepPower decay_m_, decay_e_, decay_i_;
    StepCoupling couple_e_, couple_i_;
    double peak_e_ = 0.0, peak_i_ = 0.0, idle_below_ = 0.0;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<LifExpGroup>(n, p, dt);
}
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 ? p.at("v_rest") : 0.0;
}

} // namespace

std::vector<ParamInfo> current_lif_params(double tau_syn) {
    return {{"tau_m", 20.0, 0.0, 1e6, true, "ms"},        {"cm", 1.0, 0.0, 1e6, true, "nF"},
            {"v_rest", -65.0, -1e4, 1e4, false, "mV"},    {"v_reset", -65.0, -1e4, 1e4, false, "mV"},
            {"v_thresh", -50.0, -1e4, 1e4, false, "mV"},  {"tau_refrac", 0.1, 0.0, 1e6, false, "ms"},
            {"tau_syn_E", tau_syn, 0.0, 1e6, true, "ms"}, {"tau_syn_I", tau_syn, 0.0, 1e6, true, "ms"},
            {"i_offset", 0.0, -1e6, 1e6, false, "nA"}};
}

const ModelInfo lif_exp_model{"lif_exp",
                              "leaky integrate-and-fire, exponential current synapses (NEST iaf_psc_exp)",
                              current_lif_params(5.0),
                              {"v", "i_syn_exc", "i_syn_inh"},
                              {"mV", "nA", "nA"},
                              2,
                              {{"excitatory", 0}, {"inhibitory", 1}},
                              &create,
                              &default_initial};

} // namespace nmsim
