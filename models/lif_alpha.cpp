// lif_alpha: current-based LIF with alpha synapses, NEST iaf_psc_alpha semantics.
//   tau_m dV/dt = -(V - v_rest) + (I_exc + I_inh + i_offset + I_ext) tau_m / cm
//   I(t) = w e / tau_syn t exp(-t / tau_syn) per spike of weight w (nA; w is the current's peak),
//   as the linear system dI'/dt = -I'/tau_syn, dI/dt = I' - I/tau_syn with I' += e w / tau_syn.
// Exact integration (Rotter & Diesmann 1999), per step:
//   V <- P33 V + P31e I'e + P32e Ie + P31i I'i + P32i Ii + P30 I0   (not while refractory)
//   I <- P21 I' + P22 I,  I' <- P11 I',  then arriving spikes: I' += e w / tau_syn.
#include "models/lif_alpha.hpp"

#include <cmath>

#include "models/lif_exp.hpp"

namespace nmsim {

double propagator_alpha_to_voltage(double tau_syn, double tau_m, double cm, double h) {
    // e^{-h/tau_m} / cm * integral_0^h s e^{-a s} ds with a = 1/tau_syn - 1/tau_m
    //  = e^{-h/tau_m} (1 - e^{-x}(1 + x)) / (a^2 cm), x = a h; a series near a = 0 (equal constants).
    const double a = 1.0 / tau_syn - 1.0 / tau_m, x = a * h, decay = std::exp(-h / tau_m);
    if (std::abs(x) < 1e-2) {
        const double series = 0.5 - x / 3.0 + x * x / 8.0 - x * x * x / 30.0 + x * x * x * x / 144.0;
        return decay * h * h * series / cm;
    }
    return decay * (-std::expm1(-x) - x * std::exp(-x)) / (a * a * cm);
}

namespace {

class LifAlphaGroup final : public NeuronGroup {
public:
    LifAlphaGroup(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : v_rest_(p.at("v_rest")), theta_(p.at("v_thresh") - v_rest_), reset_(p.at("v_reset") - v_rest_),
          i_offset_(p.at("i_offset")), p33_(std::exp(-dt / p.at("tau_m"))),
          p30_(p.at("tau_m") / p.at("cm") * (1.0 - p33_)),
          refrac_steps_(refractory_steps(p.at("tau_refrac"), dt)), v_(n, 0.0), state_(4 * n, 0.0),
          refrac_(n, 0) {
        for (int c = 0; c < 2; ++c) {
            const double tau = p.at(c == 0 ? "tau_syn_E" : "tau_syn_I");
            Kernel& k = kernel_[c];
            k.p11 = std::exp(-dt / tau);
            k.p21 = dt * k.p11;
            k.p31 = propagator_alpha_to_voltage(tau, p.at("tau_m"), p.at("cm"), dt);
            k.p32 = propagator_current_to_voltage(tau, p.at("tau_m"), p.at("cm"), dt);
            k.kick = std::exp(1.0) / tau;
        }
    }

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        const Kernel &e = kernel_[0], &ih = kernel_[1];
        for (std::uint64_t i = begin; i < end; ++i) {
            const std::uint64_t k = i - begin;
            double* s = &state_[4 * i]; // dI_exc, I_exc, dI_inh, I_inh
            double v = v_[i];
            if (refrac_[i] == 0)
                v = p33_ * v + e.p31 * s[0] + e.p32 * s[1] + ih.p31 * s[2] + ih.p32 * s[3] +
                    p30_ * (i_offset_ + in.current[k]);
            else
                --refrac_[i];
            s[1] = e.p21 * s[0] + e.p11 * s[1];
            s[0] = e.p11 * s[0] + e.kick * take_input(in, 0, k);
            s[3] = ih.p21 * s[2] + ih.p11 * s[3];
            s[2] = ih.p11 * s[2] + ih.kick * take_input(in, 1, k);
            if (v >= theta_) {
                refrac_[i] = refrac_steps_;
                v = reset_;
                spiked.push_back(static_cast<std::uint32_t>(i));
            }
            v_[i] = v;
        }
    }
    double get(int var, std::uint64_t i) const override {
        return var == 0 ? v_[i] + v_rest_ : state_[4 * i + (var == 1 ? 1 : 3)];
    }
    void set(int var, std::uint64_t i, double value) override {
        if (var == 0)
            v_[i] = value - v_rest_;
        else
            state_[4 * i + (var == 1 ? 1 : 3)] = value;
    }

private:
    struct Kernel {
        double p11, p21, p31, p32, kick;
    };
    double v_rest_, theta_, reset_, i_offset_, p33_, p30_;
    Kernel kernel_[2];
    std::uint32_t refrac_steps_;
    std::vector<double> v_, state_; // v relative to v_rest; per neuron dI_exc, I_exc, dI_inh, I_inh
    std::vector<std::uint32_t> refrac_;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<LifAlphaGroup>(n, p, dt);
}
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 ? p.at("v_rest") : 0.0;
}

} // namespace

const ModelInfo lif_alpha_model{"lif_alpha",
                                "leaky integrate-and-fire, alpha current synapses (NEST iaf_psc_alpha)",
                                current_lif_params(0.5),
                                {"v", "i_syn_exc", "i_syn_inh"},
                                {"mV", "nA", "nA"},
                                2,
                                {{"excitatory", 0}, {"inhibitory", 1}},
                                &create,
                                &default_initial};

} // namespace nmsim
