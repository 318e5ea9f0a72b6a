// loihi_lif: Loihi's fixed-point CUBA LIF, bit-exact with Lava's PyLifModelBitAcc; equations in
// loihi_lif.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo loihi_lif_model;
}
