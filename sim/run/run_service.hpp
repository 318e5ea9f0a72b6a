// The run layer: one service that takes a network (a config, or a NetworkSpec made in memory by the
// Python backend), checks memory, resolves storage, builds, simulates (twice for a chip run: float
// reference, then quantised), and returns the typed summary and provenance. The CLI, the sweep runner
// and the PyNN backend are thin adapters over it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/simulator.hpp"
#include "sim/io/sonata.hpp"
#include "sim/nir/nir_import.hpp"
#include "sim/run/run_summary.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// How to run, beyond the network itself.
struct RunSettings {
    std::uint64_t max_memory = 0;        // 0: 80% of available RAM
    bool progress = false;               // draw a progress bar on stderr
    std::string chip;                    // quantise to this chip and report fidelity vs the float run
    std::vector<std::string> chip_files; // extra chip profiles
};

// A config on disk plus the command line's overrides.
struct RunRequest {
    std::string config_path;
    std::vector<std::string> overrides; // --set
    int threads = 0;                    // 0: from the config
    std::optional<std::uint64_t> seed;
    std::string output; // empty: from the config
    RunSettings settings;
    NirImportOptions nir; // when config_path is a NIR graph
};

struct RunOutcome {
    NetworkSpec spec;
    RunResult result;
    RunSummary summary;
    Provenance provenance;
};

// The spec a request describes: config + --set + --threads/--seed/-o.
NetworkSpec load_request(const RunRequest& request);

// Runs `spec` in memory; nothing is written. Throws nmsim errors (ResourceError when the memory guard
// refuses, before anything large is allocated).
RunOutcome run_network(NetworkSpec spec, const RunSettings& settings);

// load_request + run_network + the SONATA file (atomically). Returns the summary.
RunSummary run_config(const RunRequest& request);

// What a config would need, without building it.
struct ValidateSummary {
    std::uint64_t neurons = 0;
    std::size_t projections = 0;
    double expected_synapses = 0.0;
    std::uint64_t estimated_bytes = 0;
    std::vector<std::pair<std::string, StorageKind>> storage; // per projection, as it would be resolved
    nlohmann::json to_json(const std::string& config) const;
};
ValidateSummary validate_config(const RunRequest& request);

} // namespace nmsim
