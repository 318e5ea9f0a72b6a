#include "sim/nir/nir_export.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "sim/build/connectivity.hpp"
#include "sim/build/conv_connector.hpp"
#include "sim/io/nir_file.hpp"
#include "sim/nir/nir_import.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

NirArray array(std::vector<double> v, std::vector<std::uint64_t> shape = {}) {
    if (shape.empty()) shape = {v.size()};
    return {std::move(v), std::move(shape)};
}
NirArray scalar(double v) {
    return {{v}, {}};
}

class Exporter {
public:
    Exporter(const NetworkSpec& spec, const NirExportOptions& opt)
        : spec_(spec), opt_(opt), ms_per_unit_(ms_per_time_unit(opt.time_unit)) {}

    NirFile run() {
        infer_shapes();
        for (const auto& pop : spec_.populations) add_population(pop);
        std::map<std::string, bool> fed; // target population -> already carries its bias
        for (const auto& pr : spec_.projections) add_projection(pr, fed);
        for (const auto& pop : spec_.populations) {
            if (bias_of(pop).empty() || fed[pop.name]) continue;
            refuse(pop.name, "has a constant input (bias) but no incoming projection to carry it in NIR");
        }
        // Outputs: every neuron population that projects nowhere.
        for (const auto& pop : spec_.populations) {
            if (is_input(pop)) continue;
            bool sends = false;
            for (const auto& pr : spec_.projections) sends = sends || pr.source == pop.name;
            if (sends) continue;
            const std::string name = "output_" + pop.name;
            add_node(name, "Output", {{"shape", array({static_cast<double>(pop.size)})}});
            // A readout population (v = input) is NIR's Output fed by the weight node itself.
            const auto it = readout_feeds_.find(pop.name);
            if (it != readout_feeds_.end()) {
                for (const auto& w : it->second) edge(w, name);
            } else {
                edge(pop.name, name);
            }
        }
        NirFile f;
        f.version = "0.2.0";
        f.graph = std::move(graph_);
        // Drop the readout populations' nodes (they only stood for the Output's input).
        auto& nodes = f.graph.nodes;
        nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                                   [&](const NirNode& n) { return readout_feeds_.count(n.name) > 0; }),
                    nodes.end());
        auto& edges = f.graph.edges;
        edges.erase(std::remove_if(edges.begin(), edges.end(),
                                   [&](const auto& e) { return readout_feeds_.count(e.second) > 0; }),
                    edges.end());
        return f;
    }

private:
    [[noreturn]] void refuse(const std::string& what, const std::string& why) const {
        throw ConfigError(spec_.source_file, 0, 0, what, "cannot export to NIR: " + why);
    }

    static bool is_input(const PopulationSpec& p) {
        return p.model == "spike_source_array" || p.model == "spike_source_poisson";
    }
    // Every neuron's value of a parameter.
    static std::vector<double> values(const PopulationSpec& p, const std::string& key) {
        if (auto a = p.param_arrays.find(key); a != p.param_arrays.end()) return a->second;
        return std::vector<double>(p.size, p.params.at(key));
    }
    static bool uniform(const std::vector<double>& v, double x) {
        return std::all_of(v.begin(), v.end(), [&](double y) { return y == x; });
    }
    std::vector<double> bias_of(const PopulationSpec& p) const {
        if (p.model != "nir_neuron") return {};
        auto b = values(p, "bias");
        return uniform(b, 0.0) ? std::vector<double>{} : b;
    }
    NirArray per_neuron(const PopulationSpec& p, const std::string& key, double scale = 1.0) const {
        auto v = values(p, key);
        for (double& x : v) x *= scale;
        return array(std::move(v), shape_of(p));
    }
    std::vector<std::uint64_t> shape_of(const PopulationSpec& p) const {
        auto it = shapes_.find(p.name);
        return it == shapes_.end() ? std::vector<std::uint64_t>{p.size} : it->second;
    }
    static bool dense_kernel(const ConvConnector& c) {
        return c.k_h == c.pool_out_h && c.k_w == c.pool_out_w && c.out_h == 1 && c.out_w == 1 &&
               c.pad_h == 0 && c.pad_w == 0 && c.groups == 1;
    }
    // Layouts the kernels give their populations: (channels, height, width), or (channels, width) in 1-d.
    void infer_shapes() {
        for (const auto& pr : spec_.projections) {
            if (pr.connector.rule != ConnectorRule::conv) continue;
            const ConvConnector& c = *pr.connector.conv;
            const bool one_d = c.in_h == 1 && c.k_h == 1 && c.stride_h == 1 && c.pad_h == 0;
            auto spatial = [&](std::uint64_t ch, std::uint64_t h, std::uint64_t w) {
                return one_d ? std::vector<std::uint64_t>{ch, w} : std::vector<std::uint64_t>{ch, h, w};
            };
            if (c.in_h * c.in_w > 1) shapes_.emplace(pr.source, spatial(c.in_c, c.in_h, c.in_w));
            if (!dense_kernel(c) && pr.targets.size() == 1)
                shapes_.emplace(pr.targets[0], spatial(c.out_c, c.out_h, c.out_w));
        }
    }

    void add_node(const std::string& name, const std::string& type, std::map<std::string, NirArray> arrays) {
        NirNode n;
        n.name = name;
        n.type = type;
        n.arrays = std::move(arrays);
        graph_.nodes.push_back(std::move(n));
    }
    void edge(const std::string& a, const std::string& b) { graph_.edges.emplace_back(a, b); }

    void add_population(const PopulationSpec& p) {
        if (is_input(p)) {
            std::vector<double> shape;
            for (auto d : shape_of(p)) shape.push_back(static_cast<double>(d));
            add_node(p.name, "Input", {{"shape", array(shape)}});
            return;
        }
        if (p.model != "nir_neuron")
            refuse("populations." + p.name,
                   "model " + p.model +
                       " has no NIR node (nmsim exports nir_neuron populations and spike sources)");
        const auto dyn = values(p, "dynamics"), spk = values(p, "spiking"), rst = values(p, "reset"),
                   syn = values(p, "tau_syn");
        const double d = dyn[0], spiking = spk[0], reset = rst[0];
        if (!uniform(dyn, d) || !uniform(spk, spiking) || !uniform(rst, reset))
            refuse("populations." + p.name, "neurons of one population differ in dynamics, spiking or reset");
        const bool synapse = std::any_of(syn.begin(), syn.end(), [](double t) { return t > 0.0; });
        if (synapse && !std::all_of(syn.begin(), syn.end(), [](double t) { return t > 0.0; }))
            refuse("populations." + p.name, "some neurons have a synaptic stage and some do not");
        if (spiking != 0.0 && reset == 1.0)
            refuse("populations." + p.name,
                   "reset by subtraction has no NIR equivalent (NIR resets to v_reset)");
        const double to_unit = 1.0 / ms_per_unit_;
        if (d == 2.0) { // a Threshold node, or a readout (no node: the Output reads the weights)
            if (spiking != 0.0)
                add_node(p.name, "Threshold", {{"threshold", per_neuron(p, "v_threshold")}});
            else
                readout_feeds_[p.name];
            return;
        }
        std::map<std::string, NirArray> a;
        std::string type;
        if (d == 1.0) {
            a["r"] = per_neuron(p, "r", ms_per_unit_); // r per ms -> per graph time unit
            type = spiking != 0.0 && reset == 0.0 ? "IF" : "I";
        } else {
            a["r"] = per_neuron(p, "r");
            a["v_leak"] = per_neuron(p, "v_leak");
            if (synapse) {
                a["tau_mem"] = per_neuron(p, "tau_mem", to_unit);
                a["tau_syn"] = per_neuron(p, "tau_syn", to_unit);
                a["w_in"] = per_neuron(p, "w_in");
            } else {
                a["tau"] = per_neuron(p, "tau_mem", to_unit);
            }
            type = synapse ? "CubaLI" : "LI";
            if (spiking != 0.0 && reset == 0.0) type = synapse ? "CubaLIF" : "LIF";
        }
        if (type == "IF" || type == "LIF" || type == "CubaLIF") {
            a["v_threshold"] = per_neuron(p, "v_threshold");
            a["v_reset"] = per_neuron(p, "v_reset");
        }
        if (spiking != 0.0 && reset == 2.0) { // spikes without reset: the neuron node, then a Threshold
            add_node(p.name + "_v", type, std::move(a));
            add_node(p.name, "Threshold", {{"threshold", per_neuron(p, "v_threshold")}});
            edge(p.name + "_v", p.name);
            neuron_input_[p.name] = p.name + "_v";
            return;
        }
        add_node(p.name, type, std::move(a));
    }

    // The node a projection into population `pop` feeds.
    std::string input_of(const std::string& pop) const {
        auto it = neuron_input_.find(pop);
        return it == neuron_input_.end() ? pop : it->second;
    }

    void add_projection(const ProjectionSpec& pr, std::map<std::string, bool>& fed) {
        if (pr.plasticity.enabled)
            refuse("projections." + pr.name + ".synapse.plasticity",
                   "NIR graphs have no plasticity (export the learned weights: run with a weights "
                   "recorder, then connector from_file on the output)");
        const ProjectionGenerator gen(spec_, pr);
        const PopulationSpec& src = *spec_.find_population(pr.source);
        std::uint64_t offset = 0; // index of each listed target population's first neuron
        std::vector<std::pair<const PopulationSpec*, std::uint64_t>> targets;
        for (const auto& t : pr.targets) {
            targets.push_back({spec_.find_population(t), offset});
            offset += spec_.find_population(t)->size;
        }
        for (const auto& [tgt, first] : targets) {
            const std::string w = pr.name + (targets.size() > 1 ? "_" + tgt->name : "");
            const std::vector<double> bias = fed[tgt->name] ? std::vector<double>{} : bias_of(*tgt);
            fed[tgt->name] = fed[tgt->name] || !bias.empty();
            std::string from = pr.source;
            if (pr.connector.rule == ConnectorRule::conv && targets.size() == 1) {
                from = add_kernel(pr, w, bias);
            } else {
                add_dense(pr, gen, src, *tgt, w, bias);
                if (shape_of(src).size() > 1) { // NIR's Affine reads a flat vector
                    from = w + "_flatten";
                    std::vector<double> in;
                    for (auto d : shape_of(src)) in.push_back(static_cast<double>(d));
                    add_node(from, "Flatten",
                             {{"start_dim", scalar(0)}, {"end_dim", scalar(-1)}, {"input_type", array(in)}});
                    edge(pr.source, from);
                }
            }
            edge(from, w);
            std::string out = w;
            if (auto d = delayed_.find(w); d != delayed_.end()) {
                edge(w, d->second);
                out = d->second;
            }
            if (readout_feeds_.count(tgt->name))
                readout_feeds_[tgt->name].push_back(out);
            else
                edge(out, input_of(tgt->name));
        }
    }

    // A kernel connector: [pooling ->] Conv (or, for a kernel as large as its input, Flatten -> Affine).
    // Returns the node the weight node reads from.
    std::string add_kernel(const ProjectionSpec& pr, const std::string& w, const std::vector<double>& bias) {
        const ConvConnector& c = *pr.connector.conv;
        std::string from = pr.source;
        const double pool_area = static_cast<double>(c.pool_h) * c.pool_w;
        if (c.pool_h > 1 || c.pool_w > 1) {
            const bool avg = std::abs(c.pool_scale * pool_area - 1.0) < 1e-12;
            if (!avg && c.pool_scale != 1.0)
                refuse("projections." + pr.name, "pooling weights are neither sum nor average");
            from = w + "_pool";
            add_node(from, avg ? "AvgPool2d" : "SumPool2d",
                     {{"kernel_size", array({double(c.pool_h), double(c.pool_w)})},
                      {"stride", array({double(c.pool_h), double(c.pool_w)})},
                      {"padding", array({0.0, 0.0})}});
            edge(pr.source, from);
        }
        const bool dense = dense_kernel(c);
        std::vector<double> b(c.out_c, 0.0);
        if (!bias.empty()) {
            const std::uint64_t per = c.out_h * c.out_w;
            for (std::uint64_t o = 0; o < c.out_c; ++o) {
                b[o] = bias[o * per];
                for (std::uint64_t k = 0; k < per; ++k)
                    if (bias[o * per + k] != b[o])
                        refuse("projections." + pr.name, "a bias that varies within an output channel");
            }
        }
        if (dense) {
            if (c.pool_out_h * c.pool_out_w > 1) {
                const std::string flat = w + "_flatten";
                add_node(
                    flat, "Flatten",
                    {{"start_dim", scalar(0)},
                     {"end_dim", scalar(-1)},
                     {"input_type", array({double(c.in_c), double(c.pool_out_h), double(c.pool_out_w)})}});
                edge(from, flat);
                from = flat;
            }
            add_node(w, "Affine",
                     {{"weight", array(c.weights(), {c.out_c, std::uint64_t{c.in_c} * c.k_h * c.k_w})},
                      {"bias", array(b)}});
            return from;
        }
        const bool one_d = c.in_h == 1 && c.k_h == 1 && c.stride_h == 1 && c.pad_h == 0;
        std::map<std::string, NirArray> a;
        if (one_d) {
            a["weight"] = array(c.weights(), {c.out_c, c.in_c / c.groups, c.k_w});
            a["stride"] = scalar(c.stride_w);
            a["padding"] = scalar(c.pad_w);
            a["dilation"] = scalar(c.dil_w);
            a["input_shape"] = scalar(c.pool_out_w);
        } else {
            a["weight"] = array(c.weights(), {c.out_c, c.in_c / c.groups, c.k_h, c.k_w});
            a["stride"] = array({double(c.stride_h), double(c.stride_w)});
            a["padding"] = array({double(c.pad_h), double(c.pad_w)});
            a["dilation"] = array({double(c.dil_h), double(c.dil_w)});
            a["input_shape"] = array({double(c.pool_out_h), double(c.pool_out_w)});
        }
        a["groups"] = scalar(c.groups);
        a["bias"] = array(b);
        add_node(w, one_d ? "Conv1d" : "Conv2d", std::move(a));
        return from;
    }

    void add_dense(const ProjectionSpec& pr, const ProjectionGenerator& gen, const PopulationSpec& src,
                   const PopulationSpec& tgt, const std::string& w, const std::vector<double>& bias) {
        const double entries = static_cast<double>(src.size) * static_cast<double>(tgt.size);
        if (entries > opt_.max_dense_weights)
            refuse("projections." + pr.name,
                   fmt::format("{} x {} = {:.3g} dense weights exceed the export limit of {:.3g} "
                               "(NIR stores Affine weights densely)",
                               tgt.size, src.size, entries, opt_.max_dense_weights));
        std::vector<double> m(src.size * tgt.size, 0.0);
        std::uint32_t delay = 0;
        bool first = true;
        // generate() enumerates any rule (by source or by target): every synapse into this population.
        gen.generate(tgt.first_id, tgt.first_id + tgt.size,
                     [&](std::uint64_t s, std::uint64_t t, double weight, std::uint32_t d) {
                         m[(t - tgt.first_id) * src.size + s] += weight;
                         if (first) delay = d;
                         first = false;
                         if (d != delay)
                             refuse("projections." + pr.name,
                                    "synapses of one projection differ in delay (NIR delays are per output)");
                     });
        std::map<std::string, NirArray> a = {{"weight", array(std::move(m), {tgt.size, src.size})}};
        if (!bias.empty()) a["bias"] = array(bias);
        add_node(w, bias.empty() ? "Linear" : "Affine", std::move(a));
        if (delay > 1 && !pr.latency_only) {
            // Beyond the one step every edge takes: a Delay node after the weights.
            const std::string dn = w + "_delay";
            add_node(dn, "Delay",
                     {{"delay", array(std::vector<double>(tgt.size, (delay - 1) * spec_.simulation.dt /
                                                                        ms_per_unit_))}});
            delayed_[w] = dn;
        }
    }

    const NetworkSpec& spec_;
    NirExportOptions opt_;
    double ms_per_unit_ = 1000.0;
    NirGraph graph_;
    std::map<std::string, std::string> neuron_input_;               // population -> node its inputs feed
    std::map<std::string, std::vector<std::string>> readout_feeds_; // readout population -> weight nodes
    std::map<std::string, std::string> delayed_;                    // weight node -> its Delay node
    std::map<std::string, std::vector<std::uint64_t>> shapes_;      // population -> NIR shape
};

} // namespace

NirFile export_nir(const NetworkSpec& spec, const NirExportOptions& options) {
    return Exporter(spec, options).run();
}

} // namespace nmsim
