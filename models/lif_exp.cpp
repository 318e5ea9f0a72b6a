// lif_exp: current-based LIF with exponential synapses, NEST iaf_psc_exp semantics.
//   tau_m dV/dt = -(V - v_rest) + (I_exc + I_inh + i_offset + I_ext) tau_m / cm
//   tau_syn_E dI_exc/dt = -I_exc,   tau_syn_I dI_inh/dt = -I_inh,   a spike adds w (nA) to I.
// Exact integration (Rotter & Diesmann 1999): per step, V' = P22 V + P21e Ie + P21i Ii + P20 I0,
// then Ie' = P11e Ie + w_exc, Ii' = P11i Ii + w_inh. V is held during refractoriness while the
// currents keep decaying; V >= v_thresh fires and resets to v_reset.
#include "models/lif_exp.hpp"

#include <cmath>

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
          i_offset_(p.at("i_offset")), p22_(std::exp(-dt / p.at("tau_m"))),
          p20_(p.at("tau_m") / p.at("cm") * (1.0 - p22_)), p11e_(std::exp(-dt / p.at("tau_syn_E"))),
          p11i_(std::exp(-dt / p.at("tau_syn_I"))),
          p21e_(propagator_current_to_voltage(p.at("tau_syn_E"), p.at("tau_m"), p.at("cm"), dt)),
          p21i_(propagator_current_to_voltage(p.at("tau_syn_I"), p.at("tau_m"), p.at("cm"), dt)),
          refrac_steps_(refractory_steps(p.at("tau_refrac"), dt)), v_(n, 0.0), ie_(n, 0.0), ii_(n, 0.0),
          refrac_(n, 0) {}

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::uint64_t i = begin; i < end; ++i) {
            const std::uint64_t k = i - begin;
            double v = v_[i];
            if (refrac_[i] == 0)
                v = v * p22_ + ie_[i] * p21e_ + ii_[i] * p21i_ + (i_offset_ + in.current[k]) * p20_;
            else
                --refrac_[i];
            ie_[i] = ie_[i] * p11e_ + take_input(in, 0, k);
            ii_[i] = ii_[i] * p11i_ + take_input(in, 1, k);
            if (v >= theta_) {
                refrac_[i] = refrac_steps_;
                v = reset_;
                spiked.push_back(static_cast<std::uint32_t>(i));
            }
            v_[i] = v;
        }
    }
    double get(int var, std::uint64_t i) const override {
        return var == 0 ? v_[i] + v_rest_ : var == 1 ? ie_[i] : ii_[i];
    }
    void set(int var, std::uint64_t i, double value) override {
        (var == 0 ? v_[i] : var == 1 ? ie_[i] : ii_[i]) = var == 0 ? value - v_rest_ : value;
    }

private:
    double v_rest_, theta_, reset_, i_offset_, p22_, p20_, p11e_, p11i_, p21e_, p21i_;
    std::uint32_t refrac_steps_;
    std::vector<double> v_, ie_, ii_;
    std::vector<std::uint32_t> refrac_;
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
