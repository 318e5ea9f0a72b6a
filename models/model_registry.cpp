// The list of neuron models. Adding a model: one source file in models/ and one line here.
#include <cmath>

#include "models/izhikevich.hpp"
#include "models/lif_alpha.hpp"
#include "models/lif_cond_exp.hpp"
#include "models/lif_delta.hpp"
#include "models/lif_exp.hpp"
#include "models/loihi_lif.hpp"
#include "models/nir_neuron.hpp"
#include "models/spike_sources.hpp"

namespace nmsim {

const std::vector<const ModelInfo*>& model_registry() {
    static const std::vector<const ModelInfo*> models = {
        &lif_delta_model,          &lif_exp_model,  &lif_alpha_model,  &lif_cond_exp_model,
        &lif_cond_alpha_model,     &adex_model,     &izhikevich_model, &spike_source_poisson_model,
        &spike_source_array_model, &loihi_lif_model, &nir_neuron_model};
    return models;
}

const ModelInfo* find_model(const std::string& name) {
    for (const ModelInfo* m : model_registry())
        if (m->name == name) return m;
    return nullptr;
}

std::uint32_t refractory_steps(double tau_refrac, double dt) {
    return static_cast<std::uint32_t>(std::llround(tau_refrac / dt));
}

} // namespace nmsim
