// adex: the adaptive exponential integrate-and-fire neuron with exponential conductances (Brette &
// Gerstner 2005; NEST aeif_cond_exp, PyNN EIF_cond_exp_isfa_ista); equations in
// models/conductance_lif.hpp.
#include "models/conductance_lif.hpp"
#include "models/lif_cond_exp.hpp"

namespace nmsim {
namespace {

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<conductance::Group<conductance::Kernel::exp, true>>(n, p, dt);
}
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 ? p.at("v_rest") : 0.0;
}

// PyNN EIF_cond_exp_isfa_ista's defaults.
std::vector<ParamInfo> adex_params() {
    return {{"cm", 0.281, 0.0, 1e6, true, "nF"},         {"tau_m", 9.3667, 0.0, 1e6, true, "ms"},
            {"v_rest", -70.6, -1e4, 1e4, false, "mV"},   {"v_reset", -70.6, -1e4, 1e4, false, "mV"},
            {"v_thresh", -50.4, -1e4, 1e4, false, "mV"}, {"v_spike", -40.0, -1e4, 1e4, false, "mV"},
            {"delta_T", 2.0, 0.0, 1e3, true, "mV"},      {"a", 4.0, -1e6, 1e6, false, "nS"},
            {"b", 0.0805, -1e6, 1e6, false, "nA"},       {"tau_w", 144.0, 0.0, 1e6, true, "ms"},
            {"tau_refrac", 0.1, 0.0, 1e6, false, "ms"},  {"tau_syn_E", 5.0, 0.0, 1e6, true, "ms"},
            {"tau_syn_I", 5.0, 0.0, 1e6, true, "ms"},    {"e_rev_E", 0.0, -1e4, 1e4, false, "mV"},
            {"e_rev_I", -80.0, -1e4, 1e4, false, "mV"},  {"i_offset", 0.0, -1e6, 1e6, false, "nA"}};
}

} // namespace

const ModelInfo adex_model{
    "adex",
    "adaptive exponential integrate-and-fire, exponential conductances (NEST aeif_cond_exp)",
    adex_params(),
    {"v", "gsyn_exc", "gsyn_inh", "w"},
    {"mV", "uS", "uS", "nA"},
    2,
    {{"excitatory", 0}, {"inhibitory", 1}},
    &create,
    &default_initial};

} // namespace nmsim
