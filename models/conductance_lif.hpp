// The integrate-and-fire neurons with conductance synapses (lif_cond_exp, lif_cond_alpha, adex):
// one group template, the models differing in the conductance kernel and the adaptive exponential
// term. Units are PyNN's: mV, ms, nF, nA, uS (weights), nS for AdEx's a.
//   C dV/dt = g_L (E_L - V) + g_e (E_e - V) + g_i (E_i - V) + I_offset + I_ext
//             [+ g_L Delta_T exp((V - V_T) / Delta_T) - w]                       (adex)
//   tau_w dw/dt = a (V - E_L) - w                                                (adex)
//   exp kernel:   dg/dt = -g / tau,                 a spike adds w to g
//   alpha kernel: dg/dt = (e y - g) / tau, dy/dt = -y / tau, a spike adds w to y (peak of g is w)
// Within a step the conductances follow their closed form, and V (with w) is advanced by classical
// Runge-Kutta (RK4) on those exact conductances, in sub-steps of at most a tenth of the fastest
// synaptic time constant (PyNN's IF_cond_alpha has 0.3 ms) and at least 4 for adex, whose
// exponential term is stiff near the spike. While refractory V is clamped at v_reset; conductances
// and w keep evolving (NEST iaf_cond_exp, aeif_cond_exp). Spikes arriving in a step enter the
// conductances at its end. V >= v_thresh (adex: V >= v_spike) fires: V <- v_reset (adex: w += b).
#pragma once
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "models/neuron_model.hpp"

namespace nmsim::conductance {

enum class Kernel { exp, alpha };

template <Kernel K, bool Adaptive> class Group final : public NeuronGroup {
public:
    Group(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : cm_(p.at("cm")), g_l_(p.at("cm") / p.at("tau_m")), e_l_(p.at("v_rest")), v_reset_(p.at("v_reset")),
          threshold_(Adaptive ? p.at("v_spike") : p.at("v_thresh")),
          i_offset_(p.at("i_offset")), e_rev_{p.at("e_rev_E"), p.at("e_rev_I")}, tau_{p.at("tau_syn_E"),
                                                                                      p.at("tau_syn_I")},
          substeps_(std::max(Adaptive ? 4 : 1,
                             static_cast<int>(std::ceil(dt / (0.1 * std::min(tau_[0], tau_[1])) - 1e-9)))),
          h_(dt / substeps_), refrac_steps_(refractory_steps(p.at("tau_refrac"), dt)),
          state_(n * fields, 0.0), refrac_(n, 0) {
        if constexpr (Adaptive) {
            a_ = p.at("a") * 1e-3; // nS -> uS: a (V - E_L) in nA
            b_ = p.at("b");
            delta_t_ = p.at("delta_T");
            v_t_ = p.at("v_thresh");
            tau_w_ = p.at("tau_w");
        }
        for (int c = 0; c < 2; ++c) {
            half_[c] = std::exp(-0.5 * h_ / tau_[c]);
            full_[c] = half_[c] * half_[c];
        }
        for (std::uint64_t i = 0; i < n; ++i) state_[i * fields + v_field] = e_l_;
    }

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::uint64_t i = begin; i < end; ++i) {
            const std::uint64_t k = i - begin;
            double* s = &state_[i * fields];
            const double current = i_offset_ + in.current[k];
            const bool refractory = refrac_[i] > 0;
            for (int sub = 0; sub < substeps_; ++sub) step(s, current, refractory);
            if (refractory) {
                --refrac_[i];
                s[v_field] = v_reset_;
            } else if (s[v_field] >= threshold_) {
                refrac_[i] = refrac_steps_;
                s[v_field] = v_reset_;
                if constexpr (Adaptive) s[w_field] += b_;
                spiked.push_back(static_cast<std::uint32_t>(i));
            }
            // Arriving spikes (uS) enter at the end of the step.
            for (int c = 0; c < 2; ++c) s[(K == Kernel::exp ? g_field : y_field) + c] += take_input(in, c, k);
        }
    }
    double get(int var, std::uint64_t i) const override { return state_[i * fields + variable_field(var)]; }
    void set(int var, std::uint64_t i, double value) override {
        state_[i * fields + variable_field(var)] = value;
    }

private:
    // Per neuron: V, w, g_exc, g_inh, y_exc, y_inh (y: the alpha kernel's second state).
    static constexpr int v_field = 0, w_field = 1, g_field = 2, y_field = 4, fields = 6;
    static int variable_field(int var) {
        // state variables: v, gsyn_exc, gsyn_inh, [w]
        return var == 0 ? v_field : var == 3 ? w_field : g_field + (var - 1);
    }

    // The two conductances at the start, middle and end of a sub-step (closed form), then RK4.
    void step(double* s, double current, bool refractory) {
        double g0[2], gm[2], g1[2];
        for (int c = 0; c < 2; ++c) {
            const double g = s[g_field + c];
            if constexpr (K == Kernel::exp) {
                g0[c] = g;
                gm[c] = g * half_[c];
                g1[c] = g * full_[c];
                s[g_field + c] = g1[c];
            } else {
                const double y = s[y_field + c], e_over_tau = std::exp(1.0) / tau_[c];
                g0[c] = g;
                gm[c] = (g + e_over_tau * y * 0.5 * h_) * half_[c];
                g1[c] = (g + e_over_tau * y * h_) * full_[c];
                s[g_field + c] = g1[c];
                s[y_field + c] = y * full_[c];
            }
        }
        double v = s[v_field], w = s[w_field];
        if (refractory) v = v_reset_;
        auto dv = [&](double vv, double ww, const double* g) {
            double x = g_l_ * (e_l_ - vv) + g[0] * (e_rev_[0] - vv) + g[1] * (e_rev_[1] - vv) + current;
            if constexpr (Adaptive)
                x += g_l_ * delta_t_ * std::exp((std::min(vv, threshold_) - v_t_) / delta_t_) - ww;
            return refractory ? 0.0 : x / cm_;
        };
        auto dw = [&](double vv, double ww) { return Adaptive ? (a_ * (vv - e_l_) - ww) / tau_w_ : 0.0; };
        const double k1v = dv(v, w, g0), k1w = dw(v, w);
        const double k2v = dv(v + 0.5 * h_ * k1v, w + 0.5 * h_ * k1w, gm),
                     k2w = dw(v + 0.5 * h_ * k1v, w + 0.5 * h_ * k1w);
        const double k3v = dv(v + 0.5 * h_ * k2v, w + 0.5 * h_ * k2w, gm),
                     k3w = dw(v + 0.5 * h_ * k2v, w + 0.5 * h_ * k2w);
        const double k4v = dv(v + h_ * k3v, w + h_ * k3w, g1), k4w = dw(v + h_ * k3v, w + h_ * k3w);
        s[v_field] = v + h_ / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v);
        if constexpr (Adaptive) s[w_field] = w + h_ / 6.0 * (k1w + 2 * k2w + 2 * k3w + k4w);
    }

    double cm_, g_l_, e_l_, v_reset_, threshold_, i_offset_;
    double e_rev_[2], tau_[2], half_[2], full_[2];
    double a_ = 0, b_ = 0, delta_t_ = 1, v_t_ = 0, tau_w_ = 1;
    int substeps_;
    double h_;
    std::uint32_t refrac_steps_;
    std::vector<double> state_;
    std::vector<std::uint32_t> refrac_;
};

// Parameters shared by the three models (PyNN IF_cond_exp defaults; the models override some).
inline std::vector<ParamInfo> lif_cond_params(double tau_syn_e, double tau_syn_i) {
    return {{"tau_m", 20.0, 0.0, 1e6, true, "ms"},          {"cm", 1.0, 0.0, 1e6, true, "nF"},
            {"v_rest", -65.0, -1e4, 1e4, false, "mV"},      {"v_reset", -65.0, -1e4, 1e4, false, "mV"},
            {"v_thresh", -50.0, -1e4, 1e4, false, "mV"},    {"tau_refrac", 0.1, 0.0, 1e6, false, "ms"},
            {"tau_syn_E", tau_syn_e, 0.0, 1e6, true, "ms"}, {"tau_syn_I", tau_syn_i, 0.0, 1e6, true, "ms"},
            {"e_rev_E", 0.0, -1e4, 1e4, false, "mV"},       {"e_rev_I", -70.0, -1e4, 1e4, false, "mV"},
            {"i_offset", 0.0, -1e6, 1e6, false, "nA"}};
}

} // namespace nmsim::conductance
