// lif_exp: current-based LIF with exponential synaptic currents (NEST iaf_psc_exp); equations in
// lif_exp.cpp. Also exposes the exact propagator so tests and other models share one formula.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo lif_exp_model;

// Propagator from synaptic current to membrane potential over one step h for an exponential
// current with tau_syn into a membrane (tau_m, cm); handles tau_syn == tau_m (NEST's propagator_32).
double propagator_current_to_voltage(double tau_syn, double tau_m, double cm, double h);

// The parameters of the current-based LIF models (PyNN IF_curr_exp / IF_curr_alpha), tau_syn_E and
// tau_syn_I defaulting to tau_syn.
std::vector<ParamInfo> current_lif_params(double tau_syn);
} // namespace nmsim
