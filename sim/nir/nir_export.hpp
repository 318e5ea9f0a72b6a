// nmsim network -> NIR graph (`nmsim export CONFIG --format nir`): spike sources become Input nodes,
// nir_neuron populations the NIR neuron node their parameters describe (LIF, CubaLIF, IF, LI, CubaLI,
// I, Threshold), kernel connectors Conv1d/Conv2d (after a pooling node) or Flatten + Affine, every
// other projection a dense Affine/Linear (refused above max_dense_weights); a target's constant input
// becomes its first weight node's bias; populations that project nowhere feed Output nodes.
#pragma once
#include <string>

#include "sim/io/nir_file.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

struct NirExportOptions {
    std::string time_unit = "s";    // the graph's time unit
    double max_dense_weights = 1e8; // largest dense matrix written (8 bytes per entry)
};

// ConfigError naming the population or projection that NIR cannot express.
NirFile export_nir(const NetworkSpec& spec, const NirExportOptions& options = {});

} // namespace nmsim
