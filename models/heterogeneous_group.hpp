// A population whose parameters differ between neurons (per-neuron arrays, PyNN's and NIR's
// heterogeneous populations) as runs of neurons with identical parameters, each run one group of the
// population's model. Every model gets per-neuron parameters without storing them per neuron; a run
// costs one virtual call per step, so a fully heterogeneous population pays one call per neuron.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/neuron_model.hpp"

namespace nmsim {

struct PopulationSpec;

// The complete parameters of neuron i (the population's values overridden by its arrays).
std::map<std::string, double> neuron_params(const PopulationSpec& pop, std::uint64_t i);

// The population's group: the model's own group when no parameter varies, else runs of groups.
std::unique_ptr<NeuronGroup> create_population_group(const ModelInfo& model, const PopulationSpec& pop,
                                                     double dt, std::uint64_t seed);

} // namespace nmsim
