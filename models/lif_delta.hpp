// lif_delta: LIF neuron with delta synapses (NEST iaf_psc_delta); equations in lif_delta.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo lif_delta_model;
}
