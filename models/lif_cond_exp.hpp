// The conductance-based integrate-and-fire models: lif_cond_exp (NEST iaf_cond_exp, PyNN IF_cond_exp),
// lif_cond_alpha (iaf_cond_alpha, IF_cond_alpha) and adex (aeif_cond_exp, EIF_cond_exp_isfa_ista);
// equations in models/conductance_lif.hpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo lif_cond_exp_model;
extern const ModelInfo lif_cond_alpha_model;
extern const ModelInfo adex_model;
} // namespace nmsim
