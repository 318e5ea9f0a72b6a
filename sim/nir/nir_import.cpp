#include "sim/nir/nir_import.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "sim/build/connectivity.hpp"
#include "sim/build/conv_connector.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/io/nir_file.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

using Shape = std::vector<std::uint64_t>;

std::uint64_t volume(const Shape& s) {
    return std::accumulate(s.begin(), s.end(), std::uint64_t{1}, std::multiplies<>());
}
std::string shape_text(const Shape& s) {
    std::string t = "(";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + (s.size() == 1 ? ",)" : ")");
}

enum class Role { input, output, neuron, linear };

const std::set<std::string> neuron_types = {"LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold"};
const std::set<std::string> linear_types = {"Affine",    "Linear",    "Scale",   "Conv1d", "Conv2d",
                                            "SumPool2d", "AvgPool2d", "Flatten", "Delay"};

// A node of the flattened graph: nested NIRGraphs are inlined, their own Input and Output nodes
// becoming pass-through identities named "<graph>.<node>".
struct Node {
    std::string name;
    const NirNode* nir = nullptr; // null: a nested graph's Input/Output (identity)
    std::string type;             // NIR type, or "Identity"
    Role role = Role::linear;
    std::vector<std::size_t> in, out; // edges
    Shape shape;                      // output shape (neurons: the node's own)
    bool shape_known = false;
    // neuron nodes
    std::string population;
    bool spikes = false;     // emits spikes (neuron nodes)
    std::size_t alias = ~0u; // a Threshold fused onto its neuron: that neuron's index
};

class Translator {
public:
    Translator(const std::string& path, const NirImportOptions& opt)
        : path_(path), opt_(opt), ms_per_unit_(ms_per_time_unit(opt.time_unit)) {
        if (!(opt.dt > 0.0) || !std::isfinite(opt.dt)) throw UsageError("--dt must be a positive number");
        if (opt.reset != "v_reset" && opt.reset != "subtract")
            throw UsageError("--reset must be v_reset or subtract, not '" + opt.reset + "'");
        dt_ms_ = opt.dt * ms_per_unit_;
    }

    NirImport run() {
        const NirFile file = read_nir(path_);
        flatten(file.graph, "");
        connect_edges();
        classify();
        infer_shapes();
        NirImport out;
        build(out);
        return out;
    }

private:
    [[noreturn]] void fail(const Node& n, const std::string& what) const {
        throw ConfigError(path_, 0, 0, n.nir ? n.nir->path : n.name,
                          fmt::format("node '{}' ({}): {}", n.name, n.type, what));
    }
    [[noreturn]] void fail_graph(const std::string& where, const std::string& what) const {
        throw ConfigError(path_, 0, 0, where, what);
    }

    // ---- graph structure ------------------------------------------------------------------------

    void flatten(const NirGraph& g, const std::string& prefix) {
        for (const auto& n : g.nodes) {
            const std::string name = prefix + n.name;
            if (n.type == "NIRGraph") {
                flatten(*n.graph, name + ".");
                continue;
            }
            Node node;
            node.name = name;
            node.nir = &n;
            node.type = n.type;
            if (!prefix.empty() && (n.type == "Input" || n.type == "Output")) {
                node.type = "Identity";
                node.nir = nullptr;
            }
            index_[name] = nodes_.size();
            nodes_.push_back(std::move(node));
        }
        for (const auto& [a, b] : g.edges) edge_names_.push_back({prefix, a, b});
        // A nested graph named in its parent's edges stands for its Input (as a target) and Output
        // (as a source) nodes.
        for (const auto& n : g.nodes)
            if (n.type == "NIRGraph") {
                for (const auto& c : n.graph->nodes) {
                    if (c.type == "Input")
                        graph_inputs_[prefix + n.name].push_back(prefix + n.name + "." + c.name);
                    if (c.type == "Output")
                        graph_outputs_[prefix + n.name].push_back(prefix + n.name + "." + c.name);
                }
            }
    }

    static Shape shape_of(const NirArray& a) {
        Shape s;
        for (double v : a.values) s.push_back(static_cast<std::uint64_t>(v));
        return s;
    }

    std::vector<std::size_t> resolve(const std::string& prefix, const std::string& name,
                                     bool as_source) const {
        const std::string full = prefix + name;
        if (auto it = index_.find(full); it != index_.end()) return {it->second};
        const auto& table = as_source ? graph_outputs_ : graph_inputs_;
        if (auto it = table.find(full); it != table.end()) {
            std::vector<std::size_t> out;
            for (const auto& n : it->second) out.push_back(index_.at(n));
            return out;
        }
        fail_graph("/node/edges", fmt::format("edge names an unknown node '{}'", full));
    }

    void connect_edges() {
        for (const auto& [prefix, a, b] : edge_names_)
            for (std::size_t s : resolve(prefix, a, true))
                for (std::size_t t : resolve(prefix, b, false)) {
                    nodes_[s].out.push_back(t);
                    nodes_[t].in.push_back(s);
                }
    }

    const NirArray& param(const Node& n, const std::string& key) const {
        auto it = n.nir->arrays.find(key);
        if (it == n.nir->arrays.end()) fail(n, "missing parameter '" + key + "'");
        return it->second;
    }
    const NirArray* optional_param(const Node& n, const std::string& key) const {
        if (!n.nir) return nullptr;
        auto it = n.nir->arrays.find(key);
        return it == n.nir->arrays.end() ? nullptr : &it->second;
    }

    void classify() {
        for (auto& n : nodes_) {
            if (n.type == "Identity") continue;
            if (n.type == "Input")
                n.role = Role::input;
            else if (n.type == "Output")
                n.role = Role::output;
            else if (neuron_types.count(n.type))
                n.role = Role::neuron;
            else if (linear_types.count(n.type))
                n.role = Role::linear;
            else
                fail(n, "node type not supported by nmsim (supported: Input, Output, LIF, CubaLIF, IF, LI, "
                        "CubaLI, "
                        "I, Threshold, Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, "
                        "Delay, nested NIRGraph)");
        }
        // An Output fed by a weight node reads a linear combination of spikes: a readout population
        // (v = its input each step, recorded) computes it.
        for (std::size_t k = 0, n0 = nodes_.size(); k < n0; ++k) {
            if (nodes_[k].role != Role::output || nodes_[k].in.size() != 1) continue;
            const std::size_t l = nodes_[k].in[0];
            if (nodes_[l].role != Role::linear) continue;
            Node r;
            r.name = nodes_[k].name + "_readout";
            r.type = "Readout";
            r.role = Role::neuron;
            r.in = {l};
            r.out = {k};
            const std::size_t ri = nodes_.size();
            std::replace(nodes_[l].out.begin(), nodes_[l].out.end(), k, ri);
            nodes_[k].in = {ri};
            nodes_.push_back(std::move(r));
        }
        // A Threshold whose only input is a non-spiking neuron node that feeds nothing else makes that
        // neuron a spiking one without reset (Lava-DL, Rockpool: CubaLI -> Threshold).
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
            Node& t = nodes_[k];
            if (t.type != "Threshold" || t.in.size() != 1) continue;
            Node& p = nodes_[t.in[0]];
            const bool silent = p.type == "LI" || p.type == "CubaLI" || p.type == "I";
            if (p.role == Role::neuron && silent && p.out.size() == 1) t.alias = t.in[0];
        }
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
            Node& n = nodes_[k];
            if (n.role == Role::neuron) {
                n.spikes = n.type == "LIF" || n.type == "CubaLIF" || n.type == "IF" || n.type == "Threshold";
            }
        }
        for (auto& n : nodes_)
            if (n.alias != ~0u) nodes_[n.alias].spikes = true;
    }

    // The node whose spikes a source node's output is (itself, or the neuron a Threshold is fused onto).
    std::size_t emitter(std::size_t k) const { return nodes_[k].alias != ~0u ? nodes_[k].alias : k; }

    // ---- shapes -----------------------------------------------------------------------------------

    static std::uint64_t conv_out(std::uint64_t in, std::uint64_t pad_total, std::uint64_t dil,
                                  std::uint64_t k, std::uint64_t stride) {
        const std::int64_t span =
            static_cast<std::int64_t>(in + pad_total) - static_cast<std::int64_t>(dil * (k - 1)) - 1;
        return span < 0 ? 0 : static_cast<std::uint64_t>(span) / stride + 1;
    }

    // Per spatial dimension (d of dims): a conv or pool parameter that is a scalar or one per dimension.
    std::uint64_t per_dim(const Node& n, const std::string& key, std::size_t d, std::size_t dims,
                          std::uint64_t dflt) const {
        const NirArray* a = optional_param(n, key);
        if (!a) return dflt;
        if (a->size() == 1) return static_cast<std::uint64_t>(a->values[0]);
        if (a->size() != dims) fail(n, fmt::format("'{}' must have 1 or {} values", key, dims));
        const double v = a->values[d];
        if (v < 0 || v != std::floor(v)) fail(n, fmt::format("'{}' must be a non-negative integer", key));
        return static_cast<std::uint64_t>(v);
    }

    // Conv padding per dimension, "same"/"valid" resolved (PyTorch: 'same' puts the odd pixel last).
    std::pair<std::uint64_t, std::uint64_t> conv_padding(const Node& n, std::size_t d, std::size_t dims,
                                                         std::uint64_t k, std::uint64_t dil) const {
        if (auto s = n.nir->strings.find("padding"); s != n.nir->strings.end()) {
            if (s->second == "valid") return {0, 0};
            if (s->second == "same") {
                const std::uint64_t total = dil * (k - 1);
                return {total / 2, total - total / 2};
            }
            fail(n, "padding must be 'same', 'valid' or numbers, not '" + s->second + "'");
        }
        const std::uint64_t p = per_dim(n, "padding", d, dims, 0);
        return {p, p};
    }

    Shape linear_output(const Node& n, const Shape& in) const {
        const std::string& t = n.type;
        if (t == "Identity" || t == "Delay" || t == "Scale") return in;
        if (t == "Flatten") {
            std::int64_t a = 0, b = -1;
            if (const NirArray* s = optional_param(n, "start_dim"))
                a = static_cast<std::int64_t>(s->values.at(0));
            if (const NirArray* e = optional_param(n, "end_dim"))
                b = static_cast<std::int64_t>(e->values.at(0));
            const auto r = static_cast<std::int64_t>(in.size());
            if (a < 0) a += r;
            if (b < 0) b += r;
            if (a < 0 || b >= r || a > b) fail(n, "start_dim/end_dim outside the input's " + shape_text(in));
            Shape out(in.begin(), in.begin() + a);
            std::uint64_t m = 1;
            for (std::int64_t i = a; i <= b; ++i) m *= in[static_cast<std::size_t>(i)];
            out.push_back(m);
            out.insert(out.end(), in.begin() + b + 1, in.end());
            return out;
        }
        if (t == "Affine" || t == "Linear") {
            const NirArray& w = param(n, "weight");
            if (w.shape.size() != 2) fail(n, "only 2-d weight matrices (out, in) are supported");
            if (volume(in) != w.shape[1])
                fail(n, fmt::format("weight {} expects {} inputs; its input has shape {}",
                                    shape_text(w.shape), w.shape[1], shape_text(in)));
            return {w.shape[0]};
        }
        const bool conv = t == "Conv1d" || t == "Conv2d";
        const std::size_t dims = t == "Conv1d" ? 1 : 2;
        if (in.size() != dims + 1)
            fail(n, fmt::format("expects input (channels, {}), got {}",
                                dims == 1 ? "length" : "height, width", shape_text(in)));
        Shape out;
        if (conv) {
            const NirArray& w = param(n, "weight");
            if (w.shape.size() != dims + 2)
                fail(n, "weight must be (out_channels, in_channels/groups, kernel...)");
            const std::uint64_t groups = per_dim(n, "groups", 0, 1, 1);
            if (groups == 0 || in[0] % groups || w.shape[0] % groups || w.shape[1] * groups != in[0])
                fail(n, fmt::format("weight {} with groups {} does not fit {} input channels",
                                    shape_text(w.shape), groups, in[0]));
            if (const NirArray* is = optional_param(n, "input_shape"); is && is->size() == dims)
                for (std::size_t d = 0; d < dims; ++d)
                    if (static_cast<std::uint64_t>(is->values[d]) != in[d + 1])
                        fail(n, fmt::format("input_shape says {} but the input has shape {}",
                                            shape_text(shape_of(*is)), shape_text(in)));
            out.push_back(w.shape[0]);
            for (std::size_t d = 0; d < dims; ++d) {
                const std::uint64_t k = w.shape[d + 2], dil = per_dim(n, "dilation", d, dims, 1);
                const auto [pa, pb] = conv_padding(n, d, dims, k, dil);
                out.push_back(conv_out(in[d + 1], pa + pb, dil, k, per_dim(n, "stride", d, dims, 1)));
            }
        } else {
            out.push_back(in[0]);
            for (std::size_t d = 0; d < dims; ++d) {
                const std::uint64_t k = per_dim(n, "kernel_size", d, dims, 1);
                const std::uint64_t s = per_dim(n, "stride", d, dims, k),
                                    p = per_dim(n, "padding", d, dims, 0);
                out.push_back(conv_out(in[d + 1], 2 * p, 1, k, s));
            }
        }
        for (std::size_t d = 1; d < out.size(); ++d)
            if (out[d] == 0) fail(n, "the output would be empty for input " + shape_text(in));
        return out;
    }

    Shape neuron_shape(const Node& n) const {
        static const std::map<std::string, std::string> key = {
            {"LIF", "v_threshold"},    {"CubaLIF", "v_threshold"},
            {"IF", "v_threshold"},     {"LI", "tau"},
            {"CubaLI", "tau_mem"},     {"I", "r"},
            {"Threshold", "threshold"}};
        const NirArray& a = param(n, key.at(n.type));
        return a.shape.empty() ? Shape{1} : a.shape;
    }

    void infer_shapes() {
        for (auto& n : nodes_) {
            if (n.role == Role::input || n.role == Role::output) {
                n.shape = shape_of(param(n, "shape"));
                n.shape_known = true;
            } else if (n.role == Role::neuron && n.type != "Readout") {
                n.shape = neuron_shape(n);
                n.shape_known = true;
            }
        }
        // Weight nodes take their input's shape; chains resolve in at most |nodes| rounds.
        for (std::size_t round = 0; round <= nodes_.size(); ++round) {
            bool changed = false;
            for (auto& n : nodes_) {
                const bool readout = n.type == "Readout";
                if ((n.role != Role::linear && !readout) || n.shape_known) continue;
                if (n.in.empty()) fail(n, "has no input edge");
                const Node& src = nodes_[n.in[0]];
                if (!src.shape_known) continue;
                n.shape = readout ? Shape{volume(src.shape)} : linear_output(n, src.shape);
                n.shape_known = true;
                changed = true;
            }
            if (!changed) break;
        }
        for (auto& n : nodes_) {
            if (!n.shape_known)
                fail(n, "its shape cannot be inferred: is it on a cycle without a neuron node?");
            for (std::size_t s : n.in) {
                const Node& src = nodes_[s];
                const Shape& expect = n.role == Role::linear ? nodes_[n.in[0]].shape : n.shape;
                if (volume(src.shape) != volume(expect))
                    fail(n, fmt::format("input from '{}' has shape {}, expected {}", src.name,
                                        shape_text(src.shape), shape_text(expect)));
            }
        }
    }

    // ---- weight paths -------------------------------------------------------------------------------

    // A sparse signal: (flat index, value, delay in steps beyond the one every edge takes).
    struct Entry {
        std::uint64_t index;
        double value;
        std::uint32_t delay;
    };
    using Signal = std::vector<Entry>;

    static void merge(Signal& s) {
        std::sort(s.begin(), s.end(), [](const Entry& a, const Entry& b) {
            return a.index != b.index ? a.index < b.index : a.delay < b.delay;
        });
        Signal out;
        for (const Entry& e : s) {
            if (!out.empty() && out.back().index == e.index && out.back().delay == e.delay)
                out.back().value += e.value;
            else
                out.push_back(e);
        }
        out.erase(std::remove_if(out.begin(), out.end(), [](const Entry& e) { return e.value == 0.0; }),
                  out.end());
        s.swap(out);
    }

    // The ConvConnector of one Conv or pooling node (no pre-pool), for expansion and for kernels.
    ConvConnector conv_of(const Node& n, const Shape& in) const {
        ConvConnector c;
        const bool one_d = n.type == "Conv1d";
        c.in_c = static_cast<std::uint32_t>(in[0]);
        c.in_h = one_d ? 1 : static_cast<std::uint32_t>(in[1]);
        c.in_w = static_cast<std::uint32_t>(one_d ? in[1] : in[2]);
        c.pool_out_h = c.in_h;
        c.pool_out_w = c.in_w;
        const Shape out = n.shape;
        c.out_h = one_d ? 1 : static_cast<std::uint32_t>(out[1]);
        c.out_w = static_cast<std::uint32_t>(one_d ? out[1] : out[2]);
        const std::size_t dims = one_d ? 1 : 2;
        if (n.type == "Conv1d" || n.type == "Conv2d") {
            const NirArray& w = param(n, "weight");
            c.out_c = static_cast<std::uint32_t>(w.shape[0]);
            c.groups = static_cast<std::uint32_t>(per_dim(n, "groups", 0, 1, 1));
            c.k_h = one_d ? 1 : static_cast<std::uint32_t>(w.shape[2]);
            c.k_w = static_cast<std::uint32_t>(w.shape[dims + 1]);
            c.kernel = w.values;
            auto set = [&](std::size_t d, std::uint32_t& stride, std::uint32_t& pad, std::uint32_t& dil) {
                const std::uint64_t k = w.shape[d + 2];
                dil = static_cast<std::uint32_t>(per_dim(n, "dilation", d, dims, 1));
                stride = static_cast<std::uint32_t>(per_dim(n, "stride", d, dims, 1));
                pad = static_cast<std::uint32_t>(conv_padding(n, d, dims, k, dil).first);
            };
            if (one_d) {
                set(0, c.stride_w, c.pad_w, c.dil_w);
            } else {
                set(0, c.stride_h, c.pad_h, c.dil_h);
                set(1, c.stride_w, c.pad_w, c.dil_w);
            }
        } else { // SumPool2d / AvgPool2d as a depthwise kernel of ones
            const std::uint64_t kh = per_dim(n, "kernel_size", 0, 2, 1),
                                kw = per_dim(n, "kernel_size", 1, 2, 1);
            c.out_c = c.in_c;
            c.groups = c.in_c;
            c.k_h = static_cast<std::uint32_t>(kh);
            c.k_w = static_cast<std::uint32_t>(kw);
            c.stride_h = static_cast<std::uint32_t>(per_dim(n, "stride", 0, 2, kh));
            c.stride_w = static_cast<std::uint32_t>(per_dim(n, "stride", 1, 2, kw));
            c.pad_h = static_cast<std::uint32_t>(per_dim(n, "padding", 0, 2, 0));
            c.pad_w = static_cast<std::uint32_t>(per_dim(n, "padding", 1, 2, 0));
            // AvgPool2d divides by the window size (PyTorch's count_include_pad default).
            const double w = n.type == "AvgPool2d" ? 1.0 / static_cast<double>(kh * kw) : 1.0;
            c.kernel.assign(static_cast<std::size_t>(c.out_c) * kh * kw, w);
        }
        return c;
    }

    Shape input_shape_of(const Node& n) const { return nodes_[n.in[0]].shape; }

    // Applies weight node n to a signal over its input.
    Signal apply(const Node& n, const Signal& x) const {
        Signal y;
        const std::string& t = n.type;
        if (t == "Identity" || t == "Flatten") return x;
        if (t == "Scale") {
            const NirArray& s = param(n, "scale");
            for (const Entry& e : x)
                y.push_back(
                    {e.index, e.value * (s.size() == 1 ? s.values[0] : s.values.at(e.index)), e.delay});
        } else if (t == "Delay") {
            const NirArray& d = param(n, "delay");
            for (const Entry& e : x) {
                const double steps = (d.size() == 1 ? d.values[0] : d.values.at(e.index)) / opt_.dt;
                if (steps < -1e-9) fail(n, "delays must be >= 0");
                y.push_back({e.index, e.value, e.delay + static_cast<std::uint32_t>(std::llround(steps))});
            }
        } else if (t == "Affine" || t == "Linear") {
            const NirArray& w = param(n, "weight");
            const std::uint64_t rows = w.shape[0], cols = w.shape[1];
            for (const Entry& e : x)
                for (std::uint64_t o = 0; o < rows; ++o)
                    if (const double v = w.values[o * cols + e.index]; v != 0.0)
                        y.push_back({o, e.value * v, e.delay});
        } else {
            const ConvConnector c = conv_of(n, input_shape_of(n));
            for (const Entry& e : x)
                c.row(e.index, [&](std::uint64_t o, double v) { y.push_back({o, e.value * v, e.delay}); });
        }
        merge(y);
        return y;
    }

    // The bias a weight node adds to its output (absent: empty).
    Signal bias_of(const Node& n) const {
        Signal b;
        const NirArray* a = (n.type == "Affine" || n.type == "Conv1d" || n.type == "Conv2d")
                                ? optional_param(n, "bias")
                                : nullptr;
        if (!a) return b;
        const std::uint64_t size = volume(n.shape), per = n.type == "Affine" ? 1 : size / n.shape[0];
        if (a->size() != size / per && a->size() != 1)
            fail(n, fmt::format("bias has {} values for {} outputs", a->size(), size / per));
        for (std::uint64_t o = 0; o < size; ++o) {
            const double v = a->size() == 1 ? a->values[0] : a->values[o / per];
            if (v != 0.0) b.push_back({o, v, 0});
        }
        return b;
    }

    struct Path {
        std::size_t source;             // emitter node
        std::vector<std::size_t> chain; // weight nodes, source side first
    };

    // Every path of weight nodes ending at neuron node `target`, and the biases they carry there.
    void paths_into(std::size_t target, std::vector<Path>& paths, std::vector<double>& bias) const {
        std::vector<std::size_t> suffix; // target side first
        std::function<void(std::size_t, int)> walk = [&](std::size_t k, int depth) {
            if (depth > static_cast<int>(nodes_.size())) fail(nodes_[k], "weight nodes form a cycle");
            for (std::size_t s : nodes_[k].in) {
                const Node& src = nodes_[s];
                if (src.role == Role::input || src.role == Role::neuron) {
                    if (src.role == Role::neuron && !nodes_[emitter(s)].spikes)
                        fail(src,
                             "a non-spiking node's output (a continuous value) feeds '" +
                                 nodes_[target].name +
                                 "': nmsim transmits spikes; a non-spiking node may feed only Output or a "
                                 "Threshold");
                    paths.push_back({emitter(s), {suffix.rbegin(), suffix.rend()}});
                    continue;
                }
                if (src.role == Role::output) fail(src, "an Output node cannot feed other nodes");
                suffix.push_back(s);
                // This node's bias, through the rest of the path, lands on the target.
                Signal b = bias_of(src);
                if (!b.empty()) {
                    for (std::size_t j = suffix.size() - 1; j-- > 0;) b = apply(nodes_[suffix[j]], b);
                    for (const Entry& e : b) bias[e.index] += e.value;
                }
                walk(s, depth + 1);
                suffix.pop_back();
            }
        };
        walk(target, 0);
    }

    // A path that is one convolution, pooling or dense layer (Affine, Linear), optionally after a
    // non-overlapping pooling, with Flattens anywhere, becomes a shared-kernel connector (a dense layer
    // is a convolution whose kernel covers its whole input, as Speck maps it); null otherwise.
    std::shared_ptr<ConvConnector> as_kernel(const Path& p) const {
        std::vector<std::size_t> ops;
        for (std::size_t k : p.chain)
            if (nodes_[k].type != "Identity" && nodes_[k].type != "Flatten") ops.push_back(k);
        auto pool = [&](std::size_t k) {
            return nodes_[k].type == "SumPool2d" || nodes_[k].type == "AvgPool2d";
        };
        auto dense = [&](std::size_t k) { return nodes_[k].type == "Affine" || nodes_[k].type == "Linear"; };
        auto conv = [&](std::size_t k) {
            const auto& t = nodes_[k].type;
            return t == "Conv1d" || t == "Conv2d" || pool(k) || dense(k);
        };
        if (ops.empty() || ops.size() > 2 || !conv(ops.back())) return nullptr;
        if (ops.size() == 2 && !pool(ops[0])) return nullptr;
        std::shared_ptr<ConvConnector> c;
        const std::size_t main = ops.back();
        if (dense(main)) {
            // The layout the dense layer reads: the pooling's output, else the source's own shape.
            const Shape in = ops.size() == 2 ? nodes_[ops[0]].shape : nodes_[p.source].shape;
            const NirArray& w = param(nodes_[main], "weight");
            // A mostly-zero matrix is cheaper as an edge list of its non-zero weights (4-8 B each with
            // the index) than as a kernel (4 B per entry, zeros included).
            const auto nonzero =
                std::count_if(w.values.begin(), w.values.end(), [](double x) { return x != 0.0; });
            if (2 * static_cast<std::uint64_t>(nonzero) < w.values.size()) return nullptr;
            c = std::make_shared<ConvConnector>();
            c->in_c = static_cast<std::uint32_t>(in.size() == 3 ? in[0] : volume(in));
            c->in_h = static_cast<std::uint32_t>(in.size() == 3 ? in[1] : 1);
            c->in_w = static_cast<std::uint32_t>(in.size() == 3 ? in[2] : 1);
            c->pool_out_h = c->in_h;
            c->pool_out_w = c->in_w;
            c->out_c = static_cast<std::uint32_t>(w.shape[0]);
            c->k_h = c->in_h;
            c->k_w = c->in_w;
            c->kernel = w.values; // (out, c*h*w) row-major is (out, c, h, w)
        } else {
            c = std::make_shared<ConvConnector>(conv_of(nodes_[main], input_shape_of(nodes_[main])));
        }
        if (ops.size() == 1) return c;
        const ConvConnector pre = conv_of(nodes_[ops[0]], input_shape_of(nodes_[ops[0]]));
        // Non-overlapping, unpadded: each input lies in at most one window.
        if (pre.k_h != pre.stride_h || pre.k_w != pre.stride_w || pre.pad_h || pre.pad_w) return nullptr;
        c->in_c = pre.in_c;
        c->in_h = pre.in_h;
        c->in_w = pre.in_w;
        c->pool_h = pre.k_h;
        c->pool_w = pre.k_w;
        c->pool_out_h = pre.out_h;
        c->pool_out_w = pre.out_w;
        c->pool_scale = pre.kernel[0]; // a pool's kernel holds its one weight
        return c;
    }

    // ---- the config -------------------------------------------------------------------------------

    std::string identifier(const std::string& name) {
        std::string id;
        for (char ch : name) id += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '_';
        if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "n" + id;
        std::string unique = id;
        for (int k = 2; used_.count(unique); ++k) unique = id + "_" + std::to_string(k);
        used_.insert(unique);
        return unique;
    }

    // Per-neuron values of a parameter (scalars broadcast), converted by `scale`.
    std::vector<double> values(const Node& n, const std::string& key, double dflt, double scale = 1.0) const {
        const std::uint64_t size = volume(n.shape);
        std::vector<double> v(size, dflt);
        if (const NirArray* a = optional_param(n, key)) {
            if (a->size() != 1 && a->size() != size)
                fail(n, fmt::format("'{}' has {} values for {} neurons", key, a->size(), size));
            for (std::uint64_t i = 0; i < size; ++i) v[i] = a->size() == 1 ? a->values[0] : a->values[i];
        }
        for (double& x : v) x *= scale;
        return v;
    }

    static void emit_values(YAML::Emitter& y, const std::string& key, const std::vector<double>& v) {
        y << YAML::Key << key << YAML::Value;
        if (std::all_of(v.begin(), v.end(), [&](double x) { return x == v[0]; })) {
            y << v[0];
            return;
        }
        y << YAML::Flow << YAML::BeginSeq;
        for (double x : v) y << x;
        y << YAML::EndSeq;
    }

    void emit_neuron(YAML::Emitter& y, const Node& n, const std::vector<double>& bias) const {
        std::map<std::string, std::vector<double>> p;
        const std::uint64_t size = volume(n.shape);
        auto constant = [&](double v) { return std::vector<double>(size, v); };
        const std::string& t = n.type;
        const bool leaky = t == "LIF" || t == "CubaLIF" || t == "LI" || t == "CubaLI";
        const bool cuba = t == "CubaLIF" || t == "CubaLI";
        if (leaky) {
            p["tau_mem"] = values(n, cuba ? "tau_mem" : "tau", 0.0, ms_per_unit_);
            p["v_leak"] = values(n, "v_leak", 0.0);
            p["r"] = values(n, "r", 1.0);
            p["dynamics"] = constant(0);
            for (double tau : p["tau_mem"])
                if (!(tau > 0.0)) fail(n, "time constants must be > 0");
        } else if (t == "IF" || t == "I") {
            p["r"] = values(n, "r", 1.0, 1.0 / ms_per_unit_); // dv/dt = r I per graph time unit -> per ms
            p["dynamics"] = constant(1);
        } else { // a Threshold on its own, or a readout: v is the input
            p["dynamics"] = constant(2);
        }
        if (cuba) {
            p["tau_syn"] = values(n, "tau_syn", 0.0, ms_per_unit_);
            p["w_in"] = values(n, "w_in", 1.0);
            for (double tau : p["tau_syn"])
                if (!(tau > 0.0)) fail(n, "time constants must be > 0");
        }
        const double reset = opt_.reset == "subtract" ? 1.0 : 0.0;
        if (t == "LIF" || t == "CubaLIF" || t == "IF") {
            p["v_threshold"] = values(n, "v_threshold", 1.0);
            p["v_reset"] = values(n, "v_reset", 0.0);
            p["reset"] = constant(reset);
        } else if (t == "Threshold") {
            p["v_threshold"] = values(n, "threshold", 0.0);
            p["reset"] = constant(2);
        } else { // LI, CubaLI, I, Readout
            p["spiking"] = constant(0);
        }
        // A Threshold fused onto this node: spikes, no reset.
        for (const auto& other : nodes_)
            if (other.alias != ~0u && &nodes_[other.alias] == &n) {
                p["spiking"] = constant(1);
                p["v_threshold"] = values(other, "threshold", 0.0);
                p["reset"] = constant(2);
            }
        if (std::any_of(bias.begin(), bias.end(), [](double b) { return b != 0.0; })) p["bias"] = bias;
        y << YAML::Key << n.population << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "size" << YAML::Value << size;
        y << YAML::Key << "model" << YAML::Value << "nir_neuron";
        y << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : p) emit_values(y, k, v);
        y << YAML::EndMap << YAML::EndMap;
    }

    // Input events per Input node: spike times (ms) per neuron.
    std::map<std::string, std::vector<std::vector<double>>> read_input() const {
        std::map<std::string, std::vector<std::vector<double>>> events;
        std::map<std::string, std::uint64_t> sizes;
        for (const auto& n : nodes_)
            if (n.role == Role::input) {
                sizes[n.name] = volume(n.shape);
                events[n.name].resize(volume(n.shape));
            }
        if (opt_.input.empty()) return events;
        const std::string& file = opt_.input;
        if (is_hdf5_file(file)) {
            // SONATA spikes, as nmsim writes them: /spikes/<node>/{timestamps (ms), node_ids}.
            for (auto& [name, per] : events) {
                SpikeRecord r;
                try {
                    r = read_spikes(file, name);
                } catch (const std::exception&) {
                    continue; // no events for this input
                }
                for (std::size_t i = 0; i < r.times_ms.size(); ++i) {
                    if (r.node_ids[i] >= per.size())
                        throw ConfigError(
                            file, 0, 0, "/spikes/" + name + "/node_ids",
                            fmt::format("index {} outside the {} inputs", r.node_ids[i], per.size()));
                    per[r.node_ids[i]].push_back(r.times_ms[i]);
                }
            }
        } else {
            std::ifstream in(file);
            if (!in) throw ConfigError(file, 0, 0, "--input", "cannot read");
            std::string line;
            int lineno = 0;
            while (std::getline(in, line)) {
                ++lineno;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty() || line[0] == '#') continue;
                std::vector<std::string> cols;
                std::stringstream ss(line);
                for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
                if (lineno == 1 && cols.size() == 4 && cols[0] == "time") continue; // header
                auto bad = [&](int col, const std::string& what) {
                    throw ConfigError(file, lineno, col, "", what);
                };
                if (cols.size() != 4) bad(1, "expected time,node,index,value");
                auto number = [&](int col) {
                    char* end = nullptr;
                    const double v = std::strtod(cols[static_cast<std::size_t>(col)].c_str(), &end);
                    if (end == cols[static_cast<std::size_t>(col)].c_str() || *end != '\0')
                        bad(col + 1, "'" + cols[static_cast<std::size_t>(col)] + "' is not a number");
                    return v;
                };
                const double t = number(0), idx = number(2), value = number(3);
                auto it = events.find(cols[1]);
                if (it == events.end()) bad(2, "'" + cols[1] + "' is not an Input node of the graph");
                if (idx < 0 || idx != std::floor(idx) || idx >= static_cast<double>(it->second.size()))
                    bad(3, fmt::format("index {} outside the {} inputs of '{}'", idx, it->second.size(),
                                       cols[1]));
                if (t < 0) bad(1, "time must be >= 0");
                if (value == 0.0) continue;
                if (value != std::floor(value) || value < 0 || value > 1000)
                    bad(4, "value must be a spike count (0, 1, 2, ...): nmsim's inputs are spikes");
                // An event in step k reaches its targets in step k + 1, as a spike between layers does:
                // nmsim stamps it at the end of step k.
                for (int k = 0; k < static_cast<int>(value); ++k)
                    it->second[static_cast<std::size_t>(idx)].push_back(t * ms_per_unit_ + dt_ms_);
            }
        }
        for (auto& [name, per] : events)
            for (auto& v : per) std::sort(v.begin(), v.end());
        return events;
    }

    void build(NirImport& out) {
        for (auto& n : nodes_)
            if (n.role == Role::input || (n.role == Role::neuron && n.alias == ~0u))
                n.population = identifier(n.name);
        const auto events = read_input();
        double last_event = 0.0;
        for (const auto& [name, per] : events)
            for (const auto& v : per)
                if (!v.empty()) last_event = std::max(last_event, v.back());

        YAML::Emitter y;
        y << YAML::BeginMap;
        y << YAML::Key << "nmsim" << YAML::Value << 1;
        y << YAML::Key << "simulation" << YAML::Value << YAML::Flow << YAML::BeginMap;
        // Default duration: the input's span plus one step per layer of latency, else 1000 steps.
        const double duration =
            last_event > 0.0
                ? (std::floor(last_event / dt_ms_ + 0.5) + 1 + static_cast<double>(nodes_.size())) * dt_ms_
                : 1000 * dt_ms_;
        y << YAML::Key << "duration" << YAML::Value << duration;
        y << YAML::Key << "dt" << YAML::Value << dt_ms_;
        y << YAML::EndMap;

        // Populations: inputs, then neuron nodes, in the graph's order.
        y << YAML::Key << "populations" << YAML::Value << YAML::BeginMap;
        std::vector<std::vector<Path>> paths(nodes_.size());
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
            const Node& n = nodes_[k];
            if (n.role == Role::input) {
                y << YAML::Key << n.population << YAML::Value << YAML::BeginMap;
                y << YAML::Key << "size" << YAML::Value << volume(n.shape);
                y << YAML::Key << "model" << YAML::Value << "spike_source_array";
                y << YAML::Key << "spike_times" << YAML::Value << YAML::Flow << YAML::BeginSeq;
                for (const auto& v : events.at(n.name)) {
                    y << YAML::Flow << YAML::BeginSeq;
                    for (double t : v) y << t;
                    y << YAML::EndSeq;
                }
                y << YAML::EndSeq << YAML::EndMap;
                out.mapping.push_back(
                    fmt::format("{} (Input {}) -> population {} (spike_source_array, {} neurons)", n.name,
                                shape_text(n.shape), n.population, volume(n.shape)));
            } else if (n.role == Role::neuron && n.alias == ~0u) {
                std::vector<double> bias(volume(n.shape), 0.0);
                paths_into(k, paths[k], bias);
                emit_neuron(y, n, bias);
                out.mapping.push_back(fmt::format("{} ({} {}) -> population {} (nir_neuron, {} neurons)",
                                                  n.name, n.type, shape_text(n.shape), n.population,
                                                  volume(n.shape)));
            }
        }
        // A fused Threshold's inputs are its neuron's.
        y << YAML::EndMap;

        // Projections.
        y << YAML::Key << "projections" << YAML::Value << YAML::BeginMap;
        for (std::size_t k = 0; k < nodes_.size(); ++k)
            for (const Path& p : paths[k]) emit_projection(y, out, p, k);
        y << YAML::EndMap;

        // Recorders: spikes of every spiking node and input; v of non-spiking nodes that feed an Output.
        y << YAML::Key << "recorders" << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "spikes" << YAML::Value << YAML::BeginMap << YAML::Key << "type" << YAML::Value
          << "spikes" << YAML::Key << "populations" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& n : nodes_)
            if (!n.population.empty() && (n.role == Role::input || n.spikes)) y << n.population;
        y << YAML::EndSeq << YAML::EndMap;
        for (const auto& n : nodes_) {
            if (n.population.empty() || n.role != Role::neuron || (n.spikes && !opt_.record_state)) continue;
            y << YAML::Key << n.population + "_v" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
              << "type" << YAML::Value << "state" << YAML::Key << "population" << YAML::Value << n.population
              << YAML::Key << "variable" << YAML::Value << "v" << YAML::Key << "ids" << YAML::Value << "all"
              << YAML::EndMap;
            if (opt_.record_state && (n.type == "CubaLIF" || n.type == "CubaLI"))
                y << YAML::Key << n.population + "_i" << YAML::Value << YAML::Flow << YAML::BeginMap
                  << YAML::Key << "type" << YAML::Value << "state" << YAML::Key << "population" << YAML::Value
                  << n.population << YAML::Key << "variable" << YAML::Value << "i" << YAML::Key << "ids"
                  << YAML::Value << "all" << YAML::EndMap;
        }
        y << YAML::EndMap;
        const std::string stem = std::filesystem::path(path_).stem().string();
        y << YAML::Key << "output" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "path"
          << YAML::Value << stem + ".h5" << YAML::EndMap;
        y << YAML::EndMap;
        out.yaml = y.c_str();
        for (const auto& n : nodes_) {
            if (n.role == Role::output)
                out.mapping.push_back(
                    fmt::format("{} (Output {}) -> recorded: {}", n.name, shape_text(n.shape),
                                n.in.empty() ? "nothing" : nodes_[emitter(n.in[0])].population));
            else if (n.alias != ~0u)
                out.mapping.push_back(fmt::format("{} (Threshold) -> fused into {} (spikes, no reset)",
                                                  n.name, nodes_[n.alias].population));
        }
    }

    void emit_projection(YAML::Emitter& y, NirImport& out, const Path& p, std::size_t target) {
        const Node& src = nodes_[p.source];
        const Node& tgt = nodes_[target];
        std::string via;
        for (std::size_t k : p.chain) via += (via.empty() ? "" : " -> ") + nodes_[k].name;
        const std::string name = identifier(src.population + "_to_" + tgt.population);
        ConnectorSpec c;
        c.rule = ConnectorRule::from_file;
        c.file = path_;
        std::string kind;
        if (auto kernel = as_kernel(p)) {
            kernel->compact();
            c.rule = ConnectorRule::conv;
            kind = fmt::format("kernel connector, {} weights stored once, {} synapses when expanded",
                               kernel->weight_count(), kernel->synapse_count());
            c.conv = std::move(kernel);
        } else {
            auto edges = std::make_shared<std::vector<ListedEdge>>();
            for (std::uint64_t s = 0; s < volume(src.shape); ++s) {
                Signal x = {{s, 1.0, 0}};
                for (std::size_t k : p.chain) x = apply(nodes_[k], x);
                for (const Entry& e : x) edges->push_back({s, e.index, e.value, (1.0 + e.delay) * dt_ms_});
            }
            kind = p.chain.empty() ? fmt::format("one_to_one, {} synapses", edges->size())
                                   : fmt::format("edge list, {} non-zero synapses", edges->size());
            if (p.chain.empty() && volume(src.shape) != volume(tgt.shape))
                fail(tgt, fmt::format("fed directly by '{}' of another size", src.name));
            c.edge_list = std::move(edges);
        }
        y << YAML::Key << name << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "source" << YAML::Value << src.population;
        y << YAML::Key << "target" << YAML::Value << YAML::Flow << YAML::BeginSeq << tgt.population
          << YAML::EndSeq;
        // The YAML names a file; load_nir replaces the connector by the one made here, convert_nir
        // writes the synapses to opt_.edges_file.
        y << YAML::Key << "connector" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "rule"
          << YAML::Value << "from_file" << YAML::Key << "file" << YAML::Value
          << (opt_.edges_file.empty() ? std::filesystem::absolute(path_).string() : opt_.edges_file);
        if (!opt_.edges_file.empty()) y << YAML::Key << "edges" << YAML::Value << name;
        y << YAML::EndMap;
        y << YAML::Key << "synapse" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "receptor"
          << YAML::Value << "input" << YAML::EndMap;
        y << YAML::EndMap;
        out.connectors.emplace_back(name, std::move(c));
        out.mapping.push_back(fmt::format("{} -> {}: projection {} ({})", src.name, tgt.name, name,
                                          via.empty() ? kind : via + "; " + kind));
    }

    std::string path_;
    NirImportOptions opt_;
    double ms_per_unit_ = 1000.0, dt_ms_ = 0.1;
    std::vector<Node> nodes_;
    std::map<std::string, std::size_t> index_;
    std::vector<std::tuple<std::string, std::string, std::string>> edge_names_; // (prefix, a, b)
    std::map<std::string, std::vector<std::string>> graph_inputs_, graph_outputs_;
    std::set<std::string> used_;
};

} // namespace

double ms_per_time_unit(const std::string& unit) {
    if (unit == "s") return 1000.0;
    if (unit == "ms") return 1.0;
    if (unit == "us") return 1e-3;
    throw UsageError("--time-unit must be s, ms or us, not '" + unit + "'");
}

bool is_nir_path(const std::string& path) {
    const std::string ext = std::filesystem::path(path).extension().string();
    return ext == ".nir" || (ext != ".yaml" && ext != ".yml" && is_hdf5_file(path));
}

NirImport translate_nir(const std::string& path, const NirImportOptions& options) {
    return Translator(path, options).run();
}

NetworkSpec load_nir(const std::string& path, const NirImportOptions& options,
                     const std::vector<std::string>& overrides) {
    const NirImport imp = translate_nir(path, options);
    NetworkSpec spec = load_config_text(imp.yaml, path, overrides,
                                        std::filesystem::path(path).parent_path().string().empty()
                                            ? "."
                                            : std::filesystem::path(path).parent_path().string());
    for (const auto& [name, connector] : imp.connectors)
        for (auto& pr : spec.projections)
            if (pr.name == name) {
                pr.connector = connector;
                pr.connector.allow_autapses = true;
                pr.connector.allow_multapses = true;
                // Only the step every edge takes, unless a Delay node added more.
                pr.latency_only = true;
                if (connector.edge_list)
                    for (const ListedEdge& e : *connector.edge_list)
                        pr.latency_only =
                            pr.latency_only && delay_to_steps(e.delay_ms, spec.simulation.dt) == 1;
                if (connector.rule == ConnectorRule::conv && pr.storage.kind == StorageKind::packed &&
                    spec.simulation.storage.kind == StorageKind::automatic)
                    pr.storage.kind =
                        StorageKind::automatic; // the loader's file default; a kernel can be shared
            }
    return spec;
}

std::vector<std::string> convert_nir(const std::string& path, const NirImportOptions& options,
                                     const std::string& yaml_path) {
    const std::filesystem::path out(yaml_path);
    NirImportOptions opt = options;
    opt.edges_file = out.stem().string() + ".edges.h5";
    const NirImport imp = translate_nir(path, opt);
    // The synapses, per projection, as SONATA edges (ids local; delay in ms).
    const NetworkSpec spec = load_nir(path, options);
    std::vector<NamedArray> arrays;
    for (const auto& pr : spec.projections) {
        std::vector<double> src, tgt, w, d;
        const ConnectorSpec& c = pr.connector;
        if (c.rule == ConnectorRule::conv) {
            for (std::uint64_t s = 0; s < c.conv->source_size(); ++s)
                c.conv->row(s, [&](std::uint64_t t, double v) {
                    src.push_back(static_cast<double>(s));
                    tgt.push_back(static_cast<double>(t));
                    w.push_back(v);
                    d.push_back(spec.simulation.dt);
                });
        } else {
            for (const ListedEdge& e : *c.edge_list) {
                src.push_back(static_cast<double>(e.source));
                tgt.push_back(static_cast<double>(e.target));
                w.push_back(e.weight);
                d.push_back(e.delay_ms);
            }
        }
        const std::string g = "edges/" + pr.name + "/";
        const std::uint64_t n = src.size();
        arrays.push_back({g + "source_node_id", std::move(src), {n}});
        arrays.push_back({g + "target_node_id", std::move(tgt), {n}});
        arrays.push_back({g + "0/syn_weight", std::move(w), {n}});
        arrays.push_back({g + "0/delay", std::move(d), {n}});
    }
    const std::filesystem::path edges = out.parent_path() / opt.edges_file;
    write_arrays_h5(edges.string(), arrays, {{"source", "nmsim convert " + path}});
    std::string text = "# Converted by `nmsim convert` from the NIR graph " + path + "\n";
    for (const auto& line : imp.mapping) text += "#   " + line + "\n";
    text += imp.yaml + "\n";
    const std::string tmp = temp_path_for(yaml_path);
    {
        std::ofstream f(tmp);
        f << text;
        if (!f) throw IoError("cannot write " + tmp);
    }
    commit_file(tmp, yaml_path);
    return imp.mapping;
}

NetworkSpec load_network(const std::string& path, const std::vector<std::string>& overrides,
                         const NirImportOptions& nir) {
    return is_nir_path(path) ? load_nir(path, nir, overrides) : load_config(path, overrides);
}

} // namespace nmsim
