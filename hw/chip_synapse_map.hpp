// Quantised runs: a network's weights and delays rounded to a chip's formats, fed to the builder as
// a SynapseMap (the run layer compares the run with the float one, sim/run/fidelity.hpp).
#pragma once
#include <string>
#include <vector>

#include "hw/chip_profile.hpp"
#include "hw/quantise.hpp"
#include "sim/build/network_builder.hpp"

namespace nmsim {

class ChipSynapseMap final : public SynapseMap {
public:
    ChipSynapseMap(const ChipProfile& chip, const NetworkSpec& spec);
    double weight(std::size_t projection, double w) const override { return quantisers_[projection](w); }
    std::uint32_t delay(std::size_t projection, std::uint32_t steps) const override {
        return latency_only_[projection] ? steps : quantise_delay(steps, dt_, chip_).steps;
    }

private:
    ChipProfile chip_;
    double dt_;
    std::vector<WeightQuantiser> quantisers_;
    std::vector<bool> latency_only_; // per projection: keep the step (ProjectionSpec::latency_only)
};

} // namespace nmsim
