// izhikevich: Izhikevich (2003) simple model (NEST izhikevich); equations in izhikevich.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo izhikevich_model;
}
