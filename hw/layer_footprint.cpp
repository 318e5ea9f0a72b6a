#include "hw/layer_footprint.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <set>

#include "sim/build/conv_connector.hpp"

namespace nmsim {
namespace {

std::string commas(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}
std::uint64_t pow2_ceil_log2(std::uint64_t x) {
    return x <= 1 ? 1 : std::uint64_t{1} << std::bit_width(x - 1);
}

bool has_input(const NetworkSpec& spec, const std::string& pop) {
    for (const auto& pr : spec.projections)
        if (std::find(pr.targets.begin(), pr.targets.end(), pop) != pr.targets.end()) return true;
    return false;
}
std::set<std::string> destinations(const NetworkSpec& spec, const std::string& pop) {
    std::set<std::string> d;
    for (const auto& pr : spec.projections)
        if (pr.source == pop) d.insert(pr.targets.begin(), pr.targets.end());
    return d;
}
// A parameter of every neuron of a population (its array, else the scalar), or `dflt`.
std::vector<double> param_values(const PopulationSpec& p, const std::string& key, double dflt) {
    if (auto a = p.param_arrays.find(key); a != p.param_arrays.end()) return a->second;
    auto s = p.params.find(key);
    return {s == p.params.end() ? dflt : s->second};
}
bool any_nonzero(const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return x != 0.0; });
}
// nir_neuron dynamics 1 (IF, I) or a spike source: no leak.
bool integrate_and_fire(const PopulationSpec& p) {
    if (p.model != "nir_neuron") return false;
    for (double d : param_values(p, "dynamics", 0.0))
        if (d != 1.0) return false;
    return true;
}

} // namespace

std::vector<LayerMemory> conv_layer_memory(const NetworkSpec& spec) {
    std::vector<LayerMemory> layers;
    for (const auto& pop : spec.populations) {
        if (!has_input(spec, pop.name)) continue;
        LayerMemory m;
        m.population = pop.name;
        for (const auto& pr : spec.projections) {
            if (std::find(pr.targets.begin(), pr.targets.end(), pop.name) == pr.targets.end()) continue;
            if (pr.connector.rule == ConnectorRule::conv) {
                // The kernel is allocated over all input channels (groups are not mapped).
                const ConvConnector& c = *pr.connector.conv;
                m.channels_in += c.in_c;
                m.channels_out = c.out_c;
                m.k_h = std::max<std::uint64_t>(m.k_h, c.k_h);
                m.k_w = std::max<std::uint64_t>(m.k_w, c.k_w);
                m.out_h = c.out_h;
                m.out_w = c.out_w;
            } else { // any other connector: a dense layer, a 1x1 kernel over all sources
                m.channels_in += spec.find_population(pr.source)->size;
                m.channels_out = pop.size;
            }
        }
        // sinabs' DynapcnnLayer.memory_summary: kernel c 2^(ceil log2(kh kw) + ceil log2 f),
        // neurons f 2^(ceil log2 h + ceil log2 w), bias f if the layer has one.
        m.kernel = m.channels_in * pow2_ceil_log2(m.k_h * m.k_w) * pow2_ceil_log2(m.channels_out);
        m.neurons = m.channels_out * pow2_ceil_log2(m.out_h) * pow2_ceil_log2(m.out_w);
        m.bias = any_nonzero(param_values(pop, "bias", 0.0)) ? m.channels_out : 0;
        layers.push_back(m);
    }
    return layers;
}

ChipFootprint conv_layer_footprint(const ChipProfile& chip, const NetworkSpec& spec) {
    ChipFootprint f;
    f.chip = chip.name;
    const auto& kernel_mem = chip.encoding.lists.at("kernel_memory");
    const auto& neuron_mem = chip.encoding.lists.at("neuron_memory");
    const auto& bias_mem = chip.encoding.lists.at("bias_memory");
    const std::size_t cores = std::min({kernel_mem.size(), neuron_mem.size(), bias_mem.size()});
    const auto layers = conv_layer_memory(spec);
    auto fits = [&](const LayerMemory& l, std::size_t c) {
        return l.kernel <= kernel_mem[c] && l.neurons <= neuron_mem[c] && l.bias <= bias_mem[c];
    };
    // Layers to cores: a bipartite matching (augmenting paths), as sinabs' get_valid_mapping finds one.
    std::vector<long> core_of(layers.size(), -1), layer_on(cores, -1);
    std::function<bool(std::size_t, std::vector<bool>&)> place = [&](std::size_t l, std::vector<bool>& seen) {
        for (std::size_t c = 0; c < cores; ++c) {
            if (seen[c] || !fits(layers[l], c)) continue;
            seen[c] = true;
            if (layer_on[c] < 0 || place(static_cast<std::size_t>(layer_on[c]), seen)) {
                layer_on[c] = static_cast<long>(l);
                core_of[l] = static_cast<long>(c);
                return true;
            }
        }
        return false;
    };
    for (std::size_t l = 0; l < layers.size(); ++l) {
        std::vector<bool> seen(cores, false);
        place(l, seen);
    }
    for (const auto& pop : spec.populations)
        if (!has_input(spec, pop.name))
            f.populations.push_back(
                {pop.name, pop.size, 0, "",
                 fmt::format("population {}: {} inputs, events from the sensor or host (no core)", pop.name,
                             commas(pop.size))});
    double used = 0.0, available = 0.0, tightest = -1.0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const LayerMemory& m = layers[l];
        const PopulationSpec& pop = *spec.find_population(m.population);
        PopulationFootprint p{m.population, pop.size, 1, "", ""};
        if (core_of[l] >= 0) {
            const auto c = static_cast<std::size_t>(core_of[l]);
            p.detail = fmt::format(
                "layer {} ({}x{}x{} neurons) on core {}: kernel {} of {}, neurons {} of {}, bias {} of {}",
                m.population, m.channels_out, m.out_h, m.out_w, c, commas(m.kernel),
                commas(static_cast<std::uint64_t>(kernel_mem[c])), commas(m.neurons),
                commas(static_cast<std::uint64_t>(neuron_mem[c])), m.bias,
                commas(static_cast<std::uint64_t>(bias_mem[c])));
            used += static_cast<double>(m.kernel);
            available += kernel_mem[c];
            for (const auto& [what, need, have] : {std::tuple{"kernel", m.kernel, kernel_mem[c]},
                                                   std::tuple{"neuron", m.neurons, neuron_mem[c]}})
                if (static_cast<double>(need) / have > tightest) {
                    tightest = static_cast<double>(need) / have;
                    f.binding_constraint =
                        fmt::format("{} memory of core {} (layer {}: {} of {})", what, c, m.population,
                                    commas(need), commas(static_cast<std::uint64_t>(have)));
                }
        } else {
            const double kmax = *std::max_element(kernel_mem.begin(), kernel_mem.end());
            const double nmax = *std::max_element(neuron_mem.begin(), neuron_mem.end());
            p.detail = fmt::format("layer {}: kernel {}, neurons {}, bias {}: no free core fits it",
                                   m.population, commas(m.kernel), commas(m.neurons), m.bias);
            if (m.kernel > kmax || m.neurons > nmax)
                f.violations.push_back(fmt::format("layer {} needs kernel memory {} and neuron memory {}; "
                                                   "the largest core of {} has {} and {}",
                                                   m.population, commas(m.kernel), commas(m.neurons),
                                                   chip.name, commas(static_cast<std::uint64_t>(kmax)),
                                                   commas(static_cast<std::uint64_t>(nmax))));
            else
                f.violations.push_back(
                    fmt::format("layer {}: no core left that fits it ({} layers, {} cores)", m.population,
                                layers.size(), cores));
        }
        f.populations.push_back(p);
        if (!integrate_and_fire(pop))
            f.violations.push_back(
                fmt::format("population {} ({}): {} neurons are integrate-and-fire without leak "
                            "(sinabs maps IAF layers only)",
                            m.population, pop.model, chip.name));
        if (layers.size() > cores && l == 0)
            f.violations.push_back(
                fmt::format("{} layers but {} has {} cores", layers.size(), chip.name, cores));
    }
    for (const auto& pr : spec.projections)
        if (pr.connector.rule == ConnectorRule::conv) {
            const ConvConnector& c = *pr.connector.conv;
            if (c.pool_h != c.pool_w || (c.pool_h != 1 && c.pool_h != 2 && c.pool_h != 4))
                f.violations.push_back(
                    fmt::format("projection {}: pooling {}x{} (Speck pools 1, 2 or 4, square)", pr.name,
                                c.pool_h, c.pool_w));
        }
    const auto max_dest = static_cast<std::size_t>(chip.encoding.param("destinations"));
    for (const auto& pop : spec.populations)
        if (has_input(spec, pop.name) && destinations(spec, pop.name).size() > max_dest)
            f.violations.push_back(fmt::format("layer {} sends to {} layers; a {} core has {} destinations",
                                               pop.name, destinations(spec, pop.name).size(), chip.name,
                                               max_dest));
    f.cores = layers.size();
    f.chips = 1;
    f.memory_utilisation = available > 0 ? used / available : 0.0;
    f.synaptic_bytes = static_cast<std::uint64_t>(used * chip.weight.bits / 8.0);
    std::uint64_t neurons = 0, neuron_slots = 0;
    for (std::size_t l = 0; l < layers.size(); ++l)
        if (core_of[l] >= 0) {
            neurons += layers[l].neurons;
            neuron_slots += static_cast<std::uint64_t>(neuron_mem[static_cast<std::size_t>(core_of[l])]);
        }
    f.neuron_utilisation =
        neuron_slots ? static_cast<double>(neurons) / static_cast<double>(neuron_slots) : 0.0;
    if (f.binding_constraint.empty()) f.binding_constraint = "no layer fits a core";
    return f;
}

ChipFootprint xylo_footprint(const ChipProfile& chip, const NetworkSpec& spec) {
    ChipFootprint f;
    f.chip = chip.name;
    const auto in_max = static_cast<std::uint64_t>(chip.encoding.param("input_channels"));
    const auto hidden_max = static_cast<std::uint64_t>(chip.encoding.param("hidden_neurons"));
    const auto out_max = static_cast<std::uint64_t>(chip.encoding.param("output_neurons"));
    // Inputs: populations nothing projects to; outputs: populations that project nowhere (readouts).
    std::uint64_t inputs = 0, hidden = 0, outputs = 0;
    std::set<std::string> input_pops, output_pops;
    for (const auto& pop : spec.populations) {
        const bool in = has_input(spec, pop.name), out = !destinations(spec, pop.name).empty();
        std::string role;
        if (!in) {
            inputs += pop.size;
            input_pops.insert(pop.name);
            role = "input channels";
        } else if (!out) {
            outputs += pop.size;
            output_pops.insert(pop.name);
            role = "output neurons";
        } else {
            hidden += pop.size;
            role = "hidden neurons";
        }
        PopulationFootprint p{pop.name, pop.size, 1, "", ""};
        p.detail = fmt::format("population {}: {} {}", pop.name, commas(pop.size), role);
        f.populations.push_back(p);
        if (in && integrate_and_fire(pop))
            f.violations.push_back(
                fmt::format("population {}: {} neurons always leak (bit-shift decay); this one "
                            "is integrate-and-fire",
                            pop.name, chip.name));
    }
    auto over = [&](std::uint64_t need, std::uint64_t have, const char* what) {
        if (need > have)
            f.violations.push_back(
                fmt::format("{} {} but {} has {}", commas(need), what, chip.name, commas(have)));
    };
    over(inputs, in_max, "input channels");
    over(hidden, hidden_max, "hidden neurons");
    over(outputs, out_max, "output neurons");
    for (const auto& pr : spec.projections)
        if (input_pops.count(pr.source))
            for (const auto& t : pr.targets)
                if (output_pops.count(t))
                    f.violations.push_back(fmt::format("projection {}: inputs reach output neurons directly; "
                                                       "{} feeds inputs to hidden neurons only",
                                                       pr.name, chip.name));
    // Fixed matrices of 8-bit weights: input x hidden x synapses, hidden x hidden x synapses, hidden x
    // output.
    const double syn = chip.encoding.param("synapses_per_neuron");
    const double full = (in_max * hidden_max * syn + hidden_max * hidden_max * syn + hidden_max * out_max);
    const double used = static_cast<double>(inputs) * hidden + static_cast<double>(hidden) * hidden +
                        static_cast<double>(hidden) * outputs;
    f.cores = 1;
    f.chips = 1;
    f.memory_utilisation = std::min(1.0, used / full);
    f.neuron_utilisation = static_cast<double>(hidden) / hidden_max;
    f.axon_utilisation = static_cast<double>(inputs) / in_max;
    f.synaptic_bytes = static_cast<std::uint64_t>(used * chip.weight.bits / 8.0);
    f.binding_constraint = fmt::format("neurons: {} of {} hidden, {} of {} output; {} of {} input channels",
                                       commas(hidden), commas(hidden_max), outputs, out_max, inputs, in_max);
    return f;
}

} // namespace nmsim
