#include "hw/chip_synapse_map.hpp"

namespace nmsim {

ChipSynapseMap::ChipSynapseMap(const ChipProfile& chip, const NetworkSpec& spec)
    : chip_(chip), dt_(spec.simulation.dt) {
    for (const auto& pr : spec.projections) quantisers_.emplace_back(chip.weight, pr.weight);
}

} // namespace nmsim
