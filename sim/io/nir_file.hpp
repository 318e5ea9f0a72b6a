// Reads a NIR graph (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR) from its
// HDF5 file with the HDF5 C API: /version, /node = {type: "NIRGraph", nodes/<name>/..., edges}.
// Every node is a group holding a string dataset `type` and its parameters as datasets; parameters
// are kept as they are stored (numbers as float64 arrays with their shape, strings as text), so the
// meaning of each node type lives in one place: sim/nir/nir_import.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nmsim {

// A numeric dataset: row-major values and the shape ({} for a scalar).
struct NirArray {
    std::vector<double> values;
    std::vector<std::uint64_t> shape;
    std::uint64_t size() const { return values.size(); }
};

struct NirGraph;

struct NirNode {
    std::string name; // key in the parent graph's nodes
    std::string path; // HDF5 path, for messages ("/node/nodes/fc1")
    std::string type; // "LIF", "Affine", "NIRGraph", ...
    std::map<std::string, NirArray> arrays;
    std::map<std::string, std::string> strings; // e.g. padding "same"
    std::shared_ptr<const NirGraph> graph;      // type NIRGraph: the nested graph

    bool has(const std::string& key) const { return arrays.count(key) > 0; }
};

struct NirGraph {
    std::vector<NirNode> nodes; // in the file's (name) order
    std::vector<std::pair<std::string, std::string>> edges;
    const NirNode* find(const std::string& name) const {
        for (const auto& n : nodes)
            if (n.name == name) return &n;
        return nullptr;
    }
};

struct NirFile {
    std::string path;
    std::string version; // the file's /version ("0.2.0"), "" if absent
    NirGraph graph;
};

// Throws IoError if the file is not HDF5, ConfigError(path, 0, 0, node path, what) if it is not a NIR graph.
NirFile read_nir(const std::string& path);

// Writes a NIR graph as the NIR package does (vlen strings, float64 arrays, edges as an (n, 2) string
// dataset); to a temp file renamed into place.
void write_nir(const std::string& path, const NirFile& file);

// True if `path` starts with the HDF5 signature (a NIR graph can have any extension).
bool is_hdf5_file(const std::string& path);

} // namespace nmsim
