// How far a quantised (chip) run is from the float run of the same config and seed: per population
// rate error, per-neuron rate correlation and spike-count distance.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/engine/simulator.hpp"

namespace nmsim {

struct PopulationFidelity {
    std::string population;
    double rate_float_hz = 0, rate_chip_hz = 0;
    double rate_rel_error = 0;   // (chip - float) / float
    double rate_correlation = 0; // Pearson correlation of per-neuron spike counts
    double count_distance = 0;   // sum |chip - float| / sum float, per neuron counts
};

struct FidelityReport {
    std::string chip;
    std::vector<PopulationFidelity> populations;
    nlohmann::json to_json() const;
};

FidelityReport compare_runs(const NetworkSpec& spec, const std::string& chip, const RunResult& reference,
                            const RunResult& quantised);

} // namespace nmsim
