// Quantised runs: a network's weights and delays rounded to a chip's formats (ChipSynapseMap, fed to
// the builder), and the fidelity of such a run against the float run of the same config and seed.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/chip_profile.hpp"
#include "hw/quantise.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/engine/simulator.hpp"

namespace nmsim {

class ChipSynapseMap final : public SynapseMap {
public:
    ChipSynapseMap(const ChipProfile& chip, const NetworkSpec& spec);
    double weight(std::size_t projection, double w) const override { return quantisers_[projection](w); }
    std::uint32_t delay(std::size_t, std::uint32_t steps) const override { return quantise_delay(steps, dt_, chip_).steps; }

private:
    ChipProfile chip_;
    double dt_;
    std::vector<WeightQuantiser> quantisers_;
};

struct PopulationFidelity {
    std::string population;
    double rate_float_hz = 0, rate_chip_hz = 0;
    double rate_rel_error = 0;    // (chip - float) / float
    double rate_correlation = 0;  // Pearson correlation of per-neuron spike counts
    double count_distance = 0;    // sum |chip - float| / sum float, per neuron counts
};

struct FidelityReport {
    std::string chip;
    std::vector<PopulationFidelity> populations;
    nlohmann::json to_json() const;
};

FidelityReport compare_runs(const NetworkSpec& spec, const std::string& chip, const RunResult& reference,
                            const RunResult& quantised);

} // namespace nmsim
