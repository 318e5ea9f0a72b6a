// SONATA-compatible HDF5 output (spikes, state reports) plus nmsim's /nmsim provenance group, and
// the reader the tests and sweep collection use. Files are written to a temp name and renamed.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/engine/simulator.hpp"

namespace nmsim {

struct Provenance {
    std::string summary_json; // the run summary (same as `nmsim run --json`)
    std::string config_text;
    std::string config_path;
    std::uint64_t seed = 0;
    int threads = 1;
    double build_s = 0.0, sim_s = 0.0;
    std::uint64_t table_bytes = 0, synapses = 0;
    std::string field_widths;  // "projection: target/weight/delay bits (modes)" per line
    std::string fidelity_json; // quantised chip runs: fidelity against the float run (else empty)
    std::map<std::string, std::string> extra_datasets; // more /nmsim string datasets (sweep metrics)
};

// Writes `path` atomically: `<path>.tmp-<pid>` then rename. Throws IoError.
void write_sonata(const std::string& path, const NetworkSpec& spec, const RunResult& result,
                  const Provenance& prov);

// Reading back (used by tests, sweeps and fidelity reports).
SpikeRecord read_spikes(const std::string& path, const std::string& population);
std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset);
std::string read_string_dataset(const std::string& path, const std::string& dataset);
// A fixed-length string attribute of a group or dataset (e.g. "/report/E/data", "units").
std::string read_string_attribute(const std::string& path, const std::string& object,
                                  const std::string& name);

// A float64 array for write_arrays_h5; `name` may contain groups ("grid/mean_rate").
struct NamedArray {
    std::string name;
    std::vector<double> data;
    std::vector<std::uint64_t> dims;
};
// Writes arrays and root string attributes to `path` atomically (temp + rename).
void write_arrays_h5(const std::string& path, const std::vector<NamedArray>& arrays,
                     const std::map<std::string, std::string>& attributes);

// The temp name write_sonata uses, so callers can stage other files the same way.
std::string temp_path_for(const std::string& path);
// Renames tmp to path (creating parent folders first is the caller's job); throws IoError.
void commit_file(const std::string& tmp, const std::string& path);

} // namespace nmsim
