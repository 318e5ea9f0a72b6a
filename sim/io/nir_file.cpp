#include "sim/io/nir_file.hpp"

#include <cstring>
#include <fstream>

#include "sim/io/hdf5_handle.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

struct Reader {
    std::string file;

    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw ConfigError(file, 0, 0, where, what);
    }

    std::vector<std::string> members(hid_t group) const {
        std::vector<std::string> names;
        auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
            static_cast<std::vector<std::string>*>(data)->emplace_back(name);
            return 0;
        };
        h5_check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names), "list group");
        return names;
    }

    // Every element of a string dataset (fixed or variable length), row-major.
    std::vector<std::string> strings(hid_t ds, const std::string& where) const {
        H5Handle type(H5Dget_type(ds), H5Tclose, "get type of " + where);
        H5Handle space(H5Dget_space(ds), H5Sclose, "get space of " + where);
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<std::string> out;
        if (H5Tis_variable_str(type) > 0) {
            H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose, "copy string type");
            h5_check(H5Tset_size(mem, H5T_VARIABLE), "size string type");
            h5_check(H5Tset_cset(mem, H5Tget_cset(type)), "set charset");
            std::vector<char*> raw(n, nullptr);
            h5_check(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), "read " + where);
            for (char* s : raw) out.emplace_back(s ? s : "");
            h5_check(H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw.data()), "free strings");
        } else {
            const std::size_t len = H5Tget_size(type);
            std::vector<char> raw(n * len + 1, '\0');
            h5_check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), "read " + where);
            for (std::size_t i = 0; i < n; ++i) {
                std::string s(raw.data() + i * len, len);
                s.resize(std::strlen(s.c_str()));
                out.push_back(s);
            }
        }
        return out;
    }

    NirNode node(hid_t parent, const std::string& name, const std::string& path) const {
        NirNode node;
        node.name = name;
        node.path = path;
        H5Handle g(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "open " + path);
        for (const auto& key : members(g)) {
            H5O_info_t info;
            h5_check(H5Oget_info_by_name2(g, key.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT),
                     "inspect " + key);
            if (info.type != H5O_TYPE_DATASET) continue; // nodes/ of a nested graph, read below
            const std::string where = path + "/" + key;
            H5Handle ds(H5Dopen2(g, key.c_str(), H5P_DEFAULT), H5Dclose, "open " + where);
            H5Handle type(H5Dget_type(ds), H5Tclose, "get type of " + where);
            const H5T_class_t cls = H5Tget_class(type);
            if (cls == H5T_STRING) {
                if (key == "edges") continue; // a graph's edges, read by graph()
                const auto s = strings(ds, where);
                node.strings[key] = s.empty() ? "" : s[0];
            } else if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM) {
                // H5T_ENUM: numpy bools are stored as an enum of int8
                H5Handle space(H5Dget_space(ds), H5Sclose, "get space of " + where);
                NirArray a;
                const int rank = H5Sget_simple_extent_ndims(space);
                std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
                if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
                a.shape.assign(dims.begin(), dims.end());
                a.values.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
                if (cls == H5T_ENUM) {
                    std::vector<signed char> raw(a.values.size());
                    h5_check(H5Dread(ds, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                             "read " + where);
                    for (std::size_t i = 0; i < raw.size(); ++i) a.values[i] = raw[i];
                } else if (!a.values.empty()) {
                    h5_check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()),
                             "read " + where);
                }
                node.arrays[key] = std::move(a);
            }
        }
        auto t = node.strings.find("type");
        if (t == node.strings.end()) fail(path, "a NIR node needs a string dataset `type`");
        node.type = t->second;
        node.strings.erase(t);
        if (node.type == "NIRGraph") node.graph = std::make_shared<NirGraph>(graph(g, path));
        return node;
    }

    NirGraph graph(hid_t g, const std::string& path) const {
        NirGraph graph;
        if (H5Lexists(g, "nodes", H5P_DEFAULT) <= 0) fail(path, "a NIRGraph needs a group `nodes`");
        H5Handle nodes(H5Gopen2(g, "nodes", H5P_DEFAULT), H5Gclose, "open " + path + "/nodes");
        for (const auto& name : members(nodes))
            graph.nodes.push_back(node(nodes, name, path + "/nodes/" + name));
        if (H5Lexists(g, "edges", H5P_DEFAULT) <= 0) return graph; // a graph of one node
        H5Handle edges(H5Dopen2(g, "edges", H5P_DEFAULT), H5Dclose, "open " + path + "/edges");
        const auto pairs = strings(edges, path + "/edges");
        if (pairs.size() % 2) fail(path + "/edges", "edges must be (source, target) pairs");
        for (std::size_t i = 0; i < pairs.size(); i += 2) graph.edges.emplace_back(pairs[i], pairs[i + 1]);
        return graph;
    }
};

} // namespace

bool is_hdf5_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char sig[8] = {};
    in.read(sig, 8);
    return in && std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
}

NirFile read_nir(const std::string& path) {
    if (!is_hdf5_file(path)) throw IoError(path + ": not an HDF5 file (a NIR graph is stored in HDF5)");
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
    Reader r{path};
    NirFile out;
    out.path = path;
    if (H5Lexists(file, "version", H5P_DEFAULT) > 0) {
        H5Handle v(H5Dopen2(file, "version", H5P_DEFAULT), H5Dclose, "open /version");
        const auto s = r.strings(v, "/version");
        out.version = s.empty() ? "" : s[0];
    }
    if (H5Lexists(file, "node", H5P_DEFAULT) <= 0) r.fail("/node", "not a NIR graph: no group /node");
    NirNode root = r.node(file, "node", "/node");
    if (root.type != "NIRGraph") r.fail("/node", "the root node is a " + root.type + ", not a NIRGraph");
    out.graph = *root.graph;
    return out;
}

namespace {

H5Handle vlen_string_type() {
    H5Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "copy string type");
    h5_check(H5Tset_size(t, H5T_VARIABLE), "size string type");
    h5_check(H5Tset_cset(t, H5T_CSET_UTF8), "set charset");
    return t;
}

void write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                   const std::vector<hsize_t>& dims) {
    H5Handle type = vlen_string_type();
    H5Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                   H5Sclose, "create dataspace");
    H5Handle ds(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose, "create dataset " + name);
    std::vector<const char*> ptrs;
    for (const auto& v : values) ptrs.push_back(v.c_str());
    if (!ptrs.empty())
        h5_check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "write " + name);
}

void write_node(hid_t parent, const NirNode& node) {
    H5Handle g(H5Gcreate2(parent, node.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
               "create group " + node.name);
    write_strings(g, "type", {node.type}, {});
    for (const auto& [key, value] : node.strings) write_strings(g, key, {value}, {});
    for (const auto& [key, a] : node.arrays) {
        std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
        H5Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                                    : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                       H5Sclose, "create dataspace");
        H5Handle ds(H5Dcreate2(g, key.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "create dataset " + key);
        if (!a.values.empty())
            h5_check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()),
                     "write " + key);
    }
    if (!node.graph) return;
    H5Handle nodes(H5Gcreate2(g, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "create nodes");
    for (const auto& child : node.graph->nodes) write_node(nodes, child);
    std::vector<std::string> flat;
    for (const auto& [a, b] : node.graph->edges) {
        flat.push_back(a);
        flat.push_back(b);
    }
    write_strings(g, "edges", flat, {node.graph->edges.size(), 2});
}

} // namespace

void write_nir(const std::string& path, const NirFile& file) {
    const std::string tmp = temp_path_for(path);
    {
        H5Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                   "create " + tmp);
        write_strings(f, "version", {file.version.empty() ? std::string("0.2.0") : file.version}, {});
        NirNode root;
        root.name = "node";
        root.type = "NIRGraph";
        root.graph = std::make_shared<NirGraph>(file.graph);
        write_node(f, root);
    }
    commit_file(tmp, path);
}

} // namespace nmsim
