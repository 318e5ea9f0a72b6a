// nir_neuron: the continuous-time neuron nodes of the NIR specification (nir/ir/neuron.py),
//   synaptic stage (tau_syn > 0):  tau_syn dI/dt = -I + w_in u        (else I = u)
//   membrane, dynamics 0 (leaky):  tau_mem dv/dt = (v_leak - v) + r I  (LIF, CubaLIF, LI, CubaLI)
//             dynamics 1 (integ.): dv/dt = r I                         (IF, I; r per ms)
//             dynamics 2 (none):   v = r I                             (a Threshold node on its own)
//   spiking:  v > v_threshold (strictly, as NIR) -> spike; reset 0: v <- v_reset, 1: v <- v - v_threshold,
//             2: none (a Threshold node after a neuron without reset).
// u is the node's input: the weighted spikes that arrive in a step plus `bias` plus any external
// current, held constant over the step, which is how discrete-time frameworks feed spikes (a spike is
// a value 1 for one step) and how the NIR paper's exact LIF solution reads its input. Under that
// convention the step is integrated exactly (zero-order hold): exponential propagators for both
// stages and the exact coupling term, so the result does not depend on how dt divides the dynamics.
#include "models/nir_neuron.hpp"

#include <cmath>

namespace nmsim {
namespace {

class NirNeuronGroup final : public NeuronGroup {
public:
    NirNeuronGroup(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : r_(p.at("r")), v_leak_(p.at("v_leak")), theta_(p.at("v_threshold")), v_reset_(p.at("v_reset")),
          w_in_(p.at("w_in")), bias_(p.at("bias")), dynamics_(static_cast<int>(p.at("dynamics"))),
          reset_(static_cast<int>(p.at("reset"))), spiking_(p.at("spiking") != 0.0),
          synapse_(p.at("tau_syn") > 0.0), h_(dt), v_(n, 0.0), i_(n, 0.0) {
        const double tau_m = p.at("tau_mem"), tau_s = p.at("tau_syn");
        if (synapse_) {
            ps_ = std::exp(-h_ / tau_s);
            one_minus_ps_ = -std::expm1(-h_ / tau_s);
        }
        if (dynamics_ == 0) {
            pm_ = std::exp(-h_ / tau_m);
            one_minus_pm_ = -std::expm1(-h_ / tau_m);
            if (synapse_) {
                // K = tau_s/(tau_s - tau_m) (Ps - Pm), written as Pm (h/tau_m) expm1(a)/a with
                // a = h (1/tau_m - 1/tau_s): no cancellation when the time constants are close.
                const double a = h_ * (1.0 / tau_m - 1.0 / tau_s);
                const double ratio = std::fabs(a) < 1e-300 ? 1.0 : std::expm1(a) / a;
                k_ = pm_ * (h_ / tau_m) * ratio;
            }
        } else if (dynamics_ == 1 && synapse_) {
            k_ = tau_s * one_minus_ps_; // integral of exp(-t/tau_s) over the step
        }
    }

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::uint64_t n = begin; n < end; ++n) {
            const std::uint64_t k = n - begin;
            const double u = take_total_input(in, k) + bias_ + in.current[k];
            double v = v_[n];
            // The current entering the membrane: constant J, plus (I0 - J) e^{-t/tau_syn} with a synapse.
            const double j = synapse_ ? w_in_ * u : u;
            const double i0 = i_[n], excess = synapse_ ? i0 - j : 0.0;
            switch (dynamics_) {
            case 0:
                v = v_leak_ + (v - v_leak_) * pm_ + r_ * j * one_minus_pm_ + r_ * excess * k_;
                break;
            case 1:
                v = v + r_ * (j * h_ + excess * k_);
                break;
            default:
                v = r_ * (synapse_ ? j + excess * ps_ : j);
                break;
            }
            i_[n] = synapse_ ? j + excess * ps_ : j;
            if (spiking_ && v > theta_) {
                spiked.push_back(static_cast<std::uint32_t>(n));
                if (reset_ == 0)
                    v = v_reset_;
                else if (reset_ == 1)
                    v -= theta_;
            }
            v_[n] = v;
        }
    }
    double get(int var, std::uint64_t i) const override { return var == 0 ? v_[i] : i_[i]; }
    void set(int var, std::uint64_t i, double value) override { (var == 0 ? v_[i] : i_[i]) = value; }

private:
    double r_, v_leak_, theta_, v_reset_, w_in_, bias_;
    int dynamics_, reset_;
    bool spiking_, synapse_;
    double h_;
    double pm_ = 1.0, one_minus_pm_ = 0.0, ps_ = 0.0, one_minus_ps_ = 1.0, k_ = 0.0;
    std::vector<double> v_, i_;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<NirNeuronGroup>(n, p, dt);
}
// NIR graphs start at rest: v = v_leak for leaky nodes, 0 for integrators; no current.
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 && p.at("dynamics") == 0.0 ? p.at("v_leak") : 0.0;
}

} // namespace

const ModelInfo nir_neuron_model{
    "nir_neuron",
    "NIR neuron nodes (LIF, CubaLIF, IF, LI, CubaLI, I, Threshold), exact under step-held input",
    {{"tau_mem", 20.0, 0.0, 1e300, true, "ms"},
     {"tau_syn", 0.0, 0.0, 1e300, false, "ms"}, // 0: no synaptic stage
     {"r", 1.0, -1e300, 1e300, false, ""},
     {"v_leak", 0.0, -1e300, 1e300, false, ""},
     {"v_threshold", 1.0, -1e300, 1e300, false, ""},
     {"v_reset", 0.0, -1e300, 1e300, false, ""},
     {"w_in", 1.0, -1e300, 1e300, false, ""},
     {"bias", 0.0, -1e300, 1e300, false, ""},
     {"dynamics", 0.0, 0.0, 2.0, false, "", true},
     {"spiking", 1.0, 0.0, 1.0, false, "", true},
     {"reset", 0.0, 0.0, 2.0, false, "", true}},
    {"v", "i"},
    {"", ""},
    1,
    {{"input", 0}, {"excitatory", 0}, {"inhibitory", 0}},
    &create,
    &default_initial};

} // namespace nmsim
