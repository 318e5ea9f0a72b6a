#include "hw/chip_synapse_map.hpp"

namespace nmsim {

ChipSynapseMap::ChipSynapseMap(const ChipProfile& chip, const NetworkSpec& spec)
    : chip_(chip), dt_(spec.simulation.dt) {
    for (const auto& w : projection_weight_specs(spec)) quantisers_.emplace_back(chip.weight, w);
    for (const auto& pr : spec.projections) latency_only_.push_back(pr.latency_only);
}

} // namespace nmsim
