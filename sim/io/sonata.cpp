#include "sim/io/sonata.hpp"

#include <cstdio>
#include <filesystem>
#include <hdf5.h>
#include <set>
#include <unistd.h>

#include "sim/io/hdf5_handle.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

using Handle = H5Handle;

void check(herr_t status, const std::string& what) {
    h5_check(status, what);
}

Handle group(hid_t parent, const std::string& name) {
    return Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                  "create group " + name);
}

template <class T>
void dataset(hid_t parent, const std::string& name, hid_t type, const std::vector<T>& data,
             const std::vector<hsize_t>& dims) {
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                 "create dataspace");
    Handle ds(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
              "create dataset " + name);
    if (!data.empty()) check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "write " + name);
}

void string_attr(hid_t obj, const std::string& name, const std::string& value) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "copy string type");
    check(H5Tset_size(type, std::max<std::size_t>(1, value.size())), "size string");
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create scalar space");
    Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "create attr " + name);
    check(H5Awrite(attr, type, value.empty() ? "" : value.c_str()), "write attr " + name);
}

void string_dataset(hid_t obj, const std::string& name, const std::string& value) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "copy string type");
    check(H5Tset_size(type, std::max<std::size_t>(1, value.size())), "size string");
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create scalar space");
    Handle ds(H5Dcreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
              "create dataset " + name);
    check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.empty() ? "" : value.c_str()),
          "write " + name);
}

template <class T>
void scalar_attr(hid_t obj, const std::string& name, hid_t type, const std::vector<T>& values) {
    const hsize_t n = values.size();
    Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose, "create attr space");
    Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "create attr " + name);
    check(H5Awrite(attr, type, values.data()), "write attr " + name);
}

void write_file(hid_t file, const NetworkSpec& spec, const RunResult& result, const Provenance& prov) {
    scalar_attr<std::uint32_t>(file, "magic", H5T_NATIVE_UINT32, {0x0A7A});
    scalar_attr<std::uint32_t>(file, "version", H5T_NATIVE_UINT32, {0, 1});
    if (!result.spikes.empty()) {
        Handle spikes = group(file, "spikes");
        // SONATA's sorting enum: none, by_id, by_time.
        Handle sorting(H5Tenum_create(H5T_NATIVE_UINT8), H5Tclose, "create enum");
        const std::uint8_t none = 0, by_id = 1, by_time = 2;
        check(H5Tenum_insert(sorting, "none", &none), "enum");
        check(H5Tenum_insert(sorting, "by_id", &by_id), "enum");
        check(H5Tenum_insert(sorting, "by_time", &by_time), "enum");
        for (const auto& [name, rec] : result.spikes) {
            Handle pop = group(spikes, name);
            Handle space(H5Screate(H5S_SCALAR), H5Sclose, "scalar space");
            Handle attr(H5Acreate2(pop, "sorting", sorting, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                        "sorting attr");
            check(H5Awrite(attr, sorting, &by_time), "write sorting");
            dataset(pop, "timestamps", H5T_IEEE_F64LE, rec.times_ms, {rec.times_ms.size()});
            Handle ts(H5Dopen2(pop, "timestamps", H5P_DEFAULT), H5Dclose, "open timestamps");
            string_attr(ts, "units", "ms");
            dataset(pop, "node_ids", H5T_STD_U64LE, rec.node_ids, {rec.node_ids.size()});
        }
    }
    if (!result.reports.empty()) {
        // Each variable at /report/<population>/<variable>/{data,mapping}; the population's first one
        // also at /report/<population>/{data,mapping} (hard links, no copy), SONATA's layout.
        Handle report = group(file, "report");
        std::set<std::string> linked;
        for (const auto& rep : result.reports) {
            if (H5Lexists(report, rep.population.c_str(), H5P_DEFAULT) <= 0) group(report, rep.population);
            Handle pop(H5Gopen2(report, rep.population.c_str(), H5P_DEFAULT), H5Gclose, "open report group");
            Handle var = group(pop, rep.variable);
            string_attr(var, "variable", rep.variable);
            string_attr(var, "recorder", rep.recorder);
            dataset(var, "data", H5T_IEEE_F32LE, rep.data, {rep.n_times, rep.ids.size()});
            Handle data(H5Dopen2(var, "data", H5P_DEFAULT), H5Dclose, "open data");
            string_attr(data, "units", rep.units);
            Handle mapping = group(var, "mapping");
            dataset(mapping, "node_ids", H5T_STD_U64LE, rep.ids, {rep.ids.size()});
            std::vector<std::uint64_t> elements(rep.ids.size(), 0), pointers(rep.ids.size() + 1);
            for (std::size_t i = 0; i < pointers.size(); ++i) pointers[i] = i;
            dataset(mapping, "element_ids", H5T_STD_U64LE, elements, {elements.size()});
            dataset(mapping, "index_pointers", H5T_STD_U64LE, pointers, {pointers.size()});
            const double stop = rep.n_times * rep.interval_ms;
            dataset(mapping, "time", H5T_IEEE_F64LE, std::vector<double>{0.0, stop, rep.interval_ms}, {3});
            Handle time(H5Dopen2(mapping, "time", H5P_DEFAULT), H5Dclose, "open time");
            string_attr(time, "units", "ms");
            if (linked.insert(rep.population).second) {
                string_attr(pop, "variable", rep.variable);
                string_attr(pop, "recorder", rep.recorder);
                for (const char* name : {"data", "mapping"})
                    check(H5Lcreate_hard(var, name, pop, name, H5P_DEFAULT, H5P_DEFAULT),
                          "link " + rep.population + "/" + name);
            }
        }
    }
    if (!result.edges.empty()) {
        // SONATA edges: one edge group (0) holding syn_weight and delay.
        Handle edges = group(file, "edges");
        for (const auto& e : result.edges) {
            Handle pop = group(edges, e.projection);
            const std::uint64_t n = e.source_ids.size();
            dataset(pop, "source_node_id", H5T_STD_U64LE, e.source_ids, {n});
            dataset(pop, "target_node_id", H5T_STD_U64LE, e.target_ids, {n});
            {
                Handle s(H5Dopen2(pop, "source_node_id", H5P_DEFAULT), H5Dclose, "open source ids");
                string_attr(s, "node_population", e.source);
                Handle t(H5Dopen2(pop, "target_node_id", H5P_DEFAULT), H5Dclose, "open target ids");
                std::string targets;
                for (const auto& name : e.targets) targets += (targets.empty() ? "" : ",") + name;
                string_attr(t, "node_population", targets);
            }
            std::vector<std::uint64_t> zeros(n, 0), index(n);
            for (std::uint64_t i = 0; i < n; ++i) index[i] = i;
            dataset(pop, "edge_type_id", H5T_STD_U64LE, zeros, {n});
            dataset(pop, "edge_group_id", H5T_STD_U64LE, zeros, {n});
            dataset(pop, "edge_group_index", H5T_STD_U64LE, index, {n});
            Handle g0 = group(pop, "0");
            dataset(g0, "syn_weight", H5T_IEEE_F64LE, e.weights, {n});
            dataset(g0, "delay", H5T_IEEE_F64LE, e.delays_ms, {n});
            Handle d(H5Dopen2(g0, "delay", H5P_DEFAULT), H5Dclose, "open delay");
            string_attr(d, "units", "ms");
        }
        // Weights sampled during the run: /report/<projection>/syn_weight/{data [time][edge],
        // mapping/{time, edge_ids}}, edge ids indexing /edges/<projection> (SONATA report layout).
        for (const auto& e : result.edges) {
            if (e.series.empty()) continue;
            if (H5Lexists(file, "report", H5P_DEFAULT) <= 0) group(file, "report");
            Handle report(H5Gopen2(file, "report", H5P_DEFAULT), H5Gclose, "open report");
            if (H5Lexists(report, e.projection.c_str(), H5P_DEFAULT) <= 0) group(report, e.projection);
            Handle proj(H5Gopen2(report, e.projection.c_str(), H5P_DEFAULT), H5Gclose, "open report group");
            Handle w = group(proj, "syn_weight");
            const std::uint64_t times = e.series.size(), n = e.weights.size();
            std::vector<double> data;
            data.reserve(times * n);
            for (const auto& row : e.series) data.insert(data.end(), row.begin(), row.end());
            dataset(w, "data", H5T_IEEE_F64LE, data, {times, n});
            Handle m = group(w, "mapping");
            dataset(m, "time", H5T_IEEE_F64LE, std::vector<double>{0.0, times * e.interval_ms, e.interval_ms}, {3});
            std::vector<std::uint64_t> ids(n);
            for (std::uint64_t i = 0; i < n; ++i) ids[i] = i;
            dataset(m, "edge_ids", H5T_STD_U64LE, ids, {n});
        }
    }
    Handle nm = group(file, "nmsim");
    string_attr(nm, "version", NMSIM_VERSION);
    string_attr(nm, "git_sha", NMSIM_GIT_SHA);
    string_attr(nm, "config_path", prov.config_path);
    scalar_attr<std::uint64_t>(nm, "seed", H5T_STD_U64LE, {prov.seed});
    scalar_attr<std::int32_t>(nm, "threads", H5T_STD_I32LE, {prov.threads});
    scalar_attr<double>(nm, "build_s", H5T_IEEE_F64LE, {prov.build_s});
    scalar_attr<double>(nm, "sim_s", H5T_IEEE_F64LE, {prov.sim_s});
    scalar_attr<std::uint64_t>(nm, "table_bytes", H5T_STD_U64LE, {prov.table_bytes});
    scalar_attr<std::uint64_t>(nm, "synapses", H5T_STD_U64LE, {prov.synapses});
    string_attr(nm, "field_widths", prov.field_widths);
    string_dataset(nm, "config", prov.config_text);
    string_dataset(nm, "summary", prov.summary_json);
    if (!prov.fidelity_json.empty()) string_dataset(nm, "fidelity", prov.fidelity_json);
    for (const auto& [name, text] : prov.extra_datasets) string_dataset(nm, name, text);
    const auto rates = population_rates(spec, result);
    dataset(nm, "rates_hz", H5T_IEEE_F64LE, rates, {rates.size()});
    std::string names;
    for (const auto& p : spec.populations) names += (names.empty() ? "" : ",") + p.name;
    string_attr(nm, "populations", names);
}

} // namespace

std::string temp_path_for(const std::string& path) {
    return path + ".tmp-" + std::to_string(::getpid());
}

void commit_file(const std::string& tmp, const std::string& path) {
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw IoError("cannot move " + tmp + " to " + path);
    }
}

void write_sonata(const std::string& path, const NetworkSpec& spec, const RunResult& result,
                  const Provenance& prov) {
    const std::filesystem::path target(path);
    std::error_code ec;
    if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
    if (ec) throw IoError("cannot create folder " + target.parent_path().string() + ": " + ec.message());
    const std::string tmp = temp_path_for(path);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // errors become IoError, not HDF5's stderr dump
    try {
        Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                    "create " + tmp);
        write_file(file, spec, result, prov);
    } catch (...) {
        std::filesystem::remove(tmp, ec);
        throw;
    }
    commit_file(tmp, path);
}

void write_arrays_h5(const std::string& path, const std::vector<NamedArray>& arrays,
                     const std::map<std::string, std::string>& attributes) {
    const std::string tmp = temp_path_for(path);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::error_code ec;
    try {
        Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                    "create " + tmp);
        Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "create property list");
        check(H5Pset_create_intermediate_group(lcpl, 1), "set intermediate groups");
        for (const auto& a : arrays) {
            std::vector<hsize_t> dims(a.dims.begin(), a.dims.end());
            Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                         "dataspace");
            Handle ds(H5Dcreate2(file, a.name.c_str(), H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose, "create dataset " + a.name);
            if (!a.data.empty())
                check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()),
                      "write " + a.name);
        }
        for (const auto& [k, v] : attributes) string_attr(file, k, v);
    } catch (...) {
        std::filesystem::remove(tmp, ec);
        throw;
    }
    commit_file(tmp, path);
}

namespace {
template <class T> std::vector<T> read_all(const std::string& path, const std::string& name, hid_t mem_type) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
    Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "open " + name + " in " + path);
    Handle space(H5Dget_space(ds), H5Sclose, "get space");
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<T> out(static_cast<std::size_t>(n));
    if (n > 0) check(H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + name);
    return out;
}
} // namespace

SpikeRecord read_spikes(const std::string& path, const std::string& population) {
    SpikeRecord r;
    r.times_ms = read_all<double>(path, "/spikes/" + population + "/timestamps", H5T_NATIVE_DOUBLE);
    r.node_ids = read_all<std::uint64_t>(path, "/spikes/" + population + "/node_ids", H5T_NATIVE_UINT64);
    return r;
}

std::vector<double> read_double_dataset(const std::string& path, const std::string& name) {
    return read_all<double>(path, name, H5T_NATIVE_DOUBLE);
}

std::string read_string_dataset(const std::string& path, const std::string& name) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
    Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "open " + name + " in " + path);
    Handle type(H5Dget_type(ds), H5Tclose, "get type");
    std::string s(H5Tget_size(type), '\0');
    check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data()), "read " + name);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

std::string read_string_attribute(const std::string& path, const std::string& object,
                                  const std::string& name) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
    Handle attr(H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                "open attribute " + name + " of " + object);
    Handle type(H5Aget_type(attr), H5Tclose, "get type");
    std::string s(H5Tget_size(type), '\0');
    check(H5Aread(attr, type, s.data()), "read attribute " + name);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

} // namespace nmsim
