// Maps a NetworkSpec onto chip profiles: partitions each population over cores respecting the
// chip's neurons, synaptic memory (sized with the chip's own encoding from the real synapses),
// input/output axons and fan-in, then counts chips, finds the binding constraint and violations.
// One streaming pass over targets serves all chips: no edge list is held.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hw/chip_profile.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

struct PopulationFootprint {
    std::string population;
    std::uint64_t neurons = 0, cores = 0;
    std::string binding; // what closed most of its cores
    std::string detail;  // layer-mapped chips: the layer's memory and core, said instead
};

struct ChipFootprint {
    std::string chip;
    std::uint64_t cores = 0, chips = 0;
    double neuron_utilisation = 0.0;  // mean neurons per used core / neurons per core
    double memory_utilisation = 0.0;  // synaptic bits used / bits available in the used cores (or chips)
    double axon_utilisation = 0.0;    // mean input axons per core / limit (0 when unlimited)
    std::uint64_t synaptic_bytes = 0; // on-chip synaptic memory the mapping uses
    std::uint64_t synapses = 0;
    std::uint64_t plastic_synapses = 0;    // synapses of plastic projections
    std::uint64_t plastic_state_bytes = 0; // learning state beside the synapses: traces, spike histories
    std::string binding_constraint;
    std::vector<std::string> violations;
    double weight_rms_rel_error = 0.0, weight_max_rel_error = 0.0;
    double delay_rms_rel_error = 0.0, delay_max_rel_error = 0.0;
    std::vector<PopulationFootprint> populations;
};

struct FootprintReport {
    std::vector<ChipFootprint> chips;
    std::uint64_t synapses = 0;
    std::uint64_t nmsim_table_bytes = 0; // nmsim's own packed tables (one partition), for comparison
    double seconds = 0.0;
};

struct FootprintOptions {
    int threads = 2;
    std::uint64_t block_targets = 256; // targets generated per streaming block
    // Source-driven rules (fixed_outdegree, from_file) enumerate all sources for any block, so each
    // block regenerates them in full: their blocks are sized by synapses (16 B each) instead, to keep
    // the number of regenerations small.
    double source_driven_block_synapses = 4e6;
};

// "population E: 10,000 neurons need 3,193 cores on loihi1 (bound by input axons per core)".
std::string describe(const PopulationFootprint& population, const std::string& chip);

FootprintReport compute_footprints(const NetworkSpec& spec, const std::vector<ChipProfile>& chips,
                                   const FootprintOptions& options = {});

} // namespace nmsim
