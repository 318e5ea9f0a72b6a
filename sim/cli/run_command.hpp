// `nmsim run` and `nmsim validate` as functions, so sweeps can run points without a subprocess.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/engine/simulator.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

struct RunRequest {
    std::string config_path;
    std::vector<std::string> overrides; // --set
    int threads = 0;                    // 0: from the config
    std::optional<std::uint64_t> seed;
    std::string output;           // empty: from the config
    std::uint64_t max_memory = 0; // 0: 80% of available RAM
    bool progress = false;        // draw a progress bar on stderr
    std::string chip;                    // quantise to this chip and report fidelity vs the float run
    std::vector<std::string> chip_files; // extra chip profiles
};

// Loads, applies command-line overrides, checks memory, builds, simulates, writes the HDF5 file.
// Returns the run summary (the `--json` document). Throws nmsim errors.
nlohmann::json execute_run(const RunRequest& request);

// The same run without writing: the spec, results and the provenance ready for write_sonata.
struct RunOutcome {
    NetworkSpec spec;
    RunResult result;
    nlohmann::json summary;
    Provenance provenance;
};
RunOutcome run_in_memory(const RunRequest& request);

// Loads and checks a config fully (including from_file edge lists) without building it.
nlohmann::json execute_validate(const RunRequest& request);

// The spec a request describes: config + --set + --threads/--seed/-o.
NetworkSpec load_request(const RunRequest& request);

} // namespace nmsim
