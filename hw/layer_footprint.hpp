// Footprints on layer-structured chips, where a network is mapped layer by layer rather than neuron
// by neuron: Speck / DYNAP-CNN (conv_layer: each layer on its own core, kernel and neuron memory sized
// as sinabs' dynapcnn backend sizes them) and Xylo (xylo_crossbar: fixed input, recurrent and output
// weight matrices, as rockpool's Xylo mapper fills them).
#pragma once
#include "hw/chip_profile.hpp"
#include "hw/mapper.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

ChipFootprint conv_layer_footprint(const ChipProfile& chip, const NetworkSpec& spec);
ChipFootprint xylo_footprint(const ChipProfile& chip, const NetworkSpec& spec);

// Per layer on a conv_layer chip (exposed for tests): memory entries as sinabs' memory_summary counts them.
struct LayerMemory {
    std::string population;
    std::uint64_t kernel = 0, neurons = 0, bias = 0;
    std::uint64_t channels_in = 0, channels_out = 0, k_h = 1, k_w = 1, out_h = 1, out_w = 1;
};
std::vector<LayerMemory> conv_layer_memory(const NetworkSpec& spec);

} // namespace nmsim
