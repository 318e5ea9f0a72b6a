// nir_neuron: the neuron nodes of NIR graphs (LIF, CubaLIF, IF, LI, CubaLI, I, Threshold) as one model,
// integrated exactly under NIR importers' input convention; equations in nir_neuron.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo nir_neuron_model;
}
