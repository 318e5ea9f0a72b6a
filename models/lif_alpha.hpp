// lif_alpha: current-based LIF with alpha-shaped synaptic currents (NEST iaf_psc_alpha, PyNN
// IF_curr_alpha); equations in lif_alpha.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo lif_alpha_model;

// Propagator from the alpha current's derivative state to the membrane over one step h
// (NEST's P31): V(h) gains P31 * dI(0) for dI' = -dI / tau_syn, I' = dI - I / tau_syn.
double propagator_alpha_to_voltage(double tau_syn, double tau_m, double cm, double h);
} // namespace nmsim
