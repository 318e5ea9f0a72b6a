// NIR graph -> nmsim network (docs/nir.md). The graph's neuron nodes become populations of the
// nir_neuron model (per-neuron parameter arrays kept), its Input nodes spike_source_array populations
// fed from an event file, and every path of weight nodes (Affine, Linear, Scale, Conv, pooling,
// Flatten, Delay) from a spiking node to a neuron node one projection: a shared-kernel `conv`
// connector where the path is a convolution or pooling, otherwise an edge list with the composed
// weights (zeros dropped). Biases on the path become the target neurons' constant input.
#pragma once
#include <string>
#include <vector>

#include "sim/spec/network_spec.hpp"

namespace nmsim {

struct NirImportOptions {
    double dt = 1e-4;              // time step in the graph's time unit
    std::string time_unit = "s";   // the graph's time unit: s, ms or us
    std::string input;             // events: CSV (time,node,index,value) or SONATA spikes HDF5
    std::string reset = "v_reset"; // v_reset (NIR) | subtract (reset by subtracting the threshold)
    bool record_state = false;     // record v (and i) of every neuron node, not only non-spiking ones
    std::string edges_file;        // set: projections read their synapses from this SONATA edges file
};

struct NirImport {
    std::string yaml; // the equivalent config, without the projections' weights
    // Per projection (by name): the connector the YAML cannot carry (edge list or kernel).
    std::vector<std::pair<std::string, ConnectorSpec>> connectors;
    std::vector<std::string> mapping; // one line per NIR node: what it became
};

// Reads and translates; ConfigError (file, node path, what) for graphs nmsim cannot run.
NirImport translate_nir(const std::string& path, const NirImportOptions& options);

// translate_nir + the config loader (--set overrides as for YAML) + the connectors attached.
NetworkSpec load_nir(const std::string& path, const NirImportOptions& options,
                     const std::vector<std::string>& overrides = {});

// `nmsim convert`: writes the equivalent config to `yaml_path` and every projection's synapses (kernels
// expanded) to a SONATA edges file beside it (<stem>.edges.h5). Returns the mapping lines.
std::vector<std::string> convert_nir(const std::string& path, const NirImportOptions& options,
                                     const std::string& yaml_path);

// Milliseconds in one unit of a graph's time ("s", "ms", "us"); UsageError otherwise.
double ms_per_time_unit(const std::string& unit);

// A NIR graph (by its extension or HDF5 signature) rather than a YAML config.
bool is_nir_path(const std::string& path);

// A config or a NIR graph, whichever `path` is.
NetworkSpec load_network(const std::string& path, const std::vector<std::string>& overrides,
                         const NirImportOptions& nir);

} // namespace nmsim
