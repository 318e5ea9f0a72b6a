// lif_cond_exp and lif_cond_alpha: the conductance-based LIF with exponential or alpha conductances
// (models/conductance_lif.hpp has the equations and the integration scheme).
#include "models/lif_cond_exp.hpp"

#include "models/conductance_lif.hpp"

namespace nmsim {
namespace {

template <conductance::Kernel K>
std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<conductance::Group<K, false>>(n, p, dt);
}
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 ? p.at("v_rest") : 0.0;
}

} // namespace

const ModelInfo lif_cond_exp_model{"lif_cond_exp",
                                   "leaky integrate-and-fire, exponential conductances (NEST iaf_cond_exp)",
                                   conductance::lif_cond_params(5.0, 5.0),
                                   {"v", "gsyn_exc", "gsyn_inh"},
                                   {"mV", "uS", "uS"},
                                   2,
                                   {{"excitatory", 0}, {"inhibitory", 1}},
                                   &create<conductance::Kernel::exp>,
                                   &default_initial};

const ModelInfo lif_cond_alpha_model{"lif_cond_alpha",
                                     "leaky integrate-and-fire, alpha conductances (NEST iaf_cond_alpha)",
                                     conductance::lif_cond_params(0.3, 0.5),
                                     {"v", "gsyn_exc", "gsyn_inh"},
                                     {"mV", "uS", "uS"},
                                     2,
                                     {{"excitatory", 0}, {"inhibitory", 1}},
                                     &create<conductance::Kernel::alpha>,
                                     &default_initial};

} // namespace nmsim
