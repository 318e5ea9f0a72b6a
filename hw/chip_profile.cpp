#include "hw/chip_profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/yaml_reader.hpp"

namespace nmsim {
namespace {

class ProfileLoader {
public:
    explicit ProfileLoader(std::string file) : src_{std::move(file), {}} {}

    ChipProfile load(const YAML::Node& root) {
        MapReader top(src_, root, "",
                      {"chip", "name", "vendor", "description", "timestep_ms", "cores_per_chip", "max_chips",
                       "neurons_per_core", "synaptic_memory_bits", "input_axons_per_core",
                       "output_axons_per_core", "fan_in_per_neuron", "target_cores_per_neuron", "weight",
                       "delay", "state_bits", "encoding", "learning"});
        const YAML::Node version = top.require("chip");
        if (!version.IsScalar() || version.Scalar() != "1")
            fail(src_, version, "chip", "profile version must be 1");
        ChipProfile c;
        c.file = src_.file;
        c.name = text(top.require("name"), "name");
        c.vendor = text(top.require("vendor"), "vendor");
        c.description = text(top.require("description"), "description");
        c.timestep_ms = sourced(top, "timestep_ms", 0.0, 1e3, false);
        c.cores_per_chip = sourced(top, "cores_per_chip", 1, 1e9, false);
        c.max_chips = sourced(top, "max_chips", 1, 1e9, true);
        c.neurons_per_core = sourced(top, "neurons_per_core", 1, 1e9, true);
        c.synaptic_memory_bits = sourced(top, "synaptic_memory_bits", 1, 1e15, false, &c.memory_scope);
        c.input_axons_per_core = sourced(top, "input_axons_per_core", 1, 1e12, true);
        c.output_axons_per_core = sourced(top, "output_axons_per_core", 1, 1e12, true);
        c.fan_in_per_neuron = sourced(top, "fan_in_per_neuron", 1, 1e12, true);
        c.target_cores_per_neuron = sourced(top, "target_cores_per_neuron", 1, 1e12, true);
        c.state_bits = sourced(top, "state_bits", 0, 128, false);
        load_weight(top, c.weight);
        load_delay(top, c.delay);
        load_encoding(top, c.encoding);
        if (top.has("learning")) load_learning(top, c.learning);
        return c;
    }

private:
    std::string text(const YAML::Node& n, const std::string& path) const {
        if (!n.IsScalar() || n.Scalar().empty()) fail(src_, n, path, "must be a non-empty string");
        return n.Scalar();
    }
    double number(const YAML::Node& n, const std::string& path, double lo, double hi) const {
        if (!n.IsScalar()) fail(src_, n, path, "must be a number");
        char* end = nullptr;
        const double v = std::strtod(n.Scalar().c_str(), &end);
        if (end == n.Scalar().c_str() || *end != '\0')
            fail(src_, n, path, "must be a number (got '" + n.Scalar() + "')");
        if (v < lo || v > hi) {
            std::ostringstream os;
            os << "must be between " << lo << " and " << hi << " (got " << v << ")";
            fail(src_, n, path, os.str());
        }
        return v;
    }
    bool flag(const MapReader& m, const std::string& key) const {
        if (!m.has(key)) return false;
        bool b = false;
        if (!YAML::convert<bool>::decode(m.get(key), b))
            fail(src_, m.get(key), m.sub(key), "must be true or false");
        return b;
    }
    // {value: N | unlimited, source: "...", uncertain: bool[, scope: core|chip]}
    SourcedValue sourced(const MapReader& top, const std::string& key, double lo, double hi,
                         bool may_be_unlimited, MemoryScope* scope = nullptr) const {
        std::vector<std::string> keys = {"value", "source", "uncertain"};
        if (scope) keys.push_back("scope");
        MapReader m(src_, top.require(key), key, keys);
        SourcedValue v;
        const YAML::Node value = m.require("value");
        if (value.IsScalar() && value.Scalar() == "unlimited") {
            if (!may_be_unlimited) fail(src_, value, m.sub("value"), "must be a number, not unlimited");
        } else {
            v.value = number(value, m.sub("value"), lo, hi);
        }
        v.source = text(m.require("source"), m.sub("source"));
        v.uncertain = flag(m, "uncertain");
        if (scope && m.has("scope")) {
            const std::string s = text(m.get("scope"), m.sub("scope"));
            if (s == "core")
                *scope = MemoryScope::core;
            else if (s == "chip")
                *scope = MemoryScope::chip;
            else
                fail(src_, m.get("scope"), m.sub("scope"), "must be core or chip");
        }
        return v;
    }
    void load_weight(const MapReader& top, WeightFormat& w) const {
        MapReader m(src_, top.require("weight"), "weight",
                    {"bits", "signed", "scale", "shared_levels", "source", "uncertain"});
        w.bits = static_cast<int>(number(m.require("bits"), m.sub("bits"), 0, 32));
        w.is_signed = flag(m, "signed");
        const std::string scale = text(m.require("scale"), m.sub("scale"));
        if (scale == "power_of_two")
            w.scale = WeightScale::power_of_two;
        else if (scale == "linear")
            w.scale = WeightScale::linear;
        else if (scale == "shared_mean")
            w.scale = WeightScale::shared_mean;
        else
            fail(src_, m.get("scale"), m.sub("scale"), "must be power_of_two, linear or shared_mean");
        if (w.bits == 0 && w.scale != WeightScale::shared_mean)
            fail(src_, m.get("bits"), m.sub("bits"), "0 bits needs scale: shared_mean");
        if (m.has("shared_levels"))
            w.shared_levels =
                static_cast<int>(number(m.get("shared_levels"), m.sub("shared_levels"), 1, 1e6));
        w.source = text(m.require("source"), m.sub("source"));
        w.uncertain = flag(m, "uncertain");
    }
    void load_delay(const MapReader& top, DelayFormat& d) const {
        MapReader m(src_, top.require("delay"), "delay", {"min_steps", "max_steps", "source", "uncertain"});
        d.min_steps = static_cast<int>(number(m.require("min_steps"), m.sub("min_steps"), 0, 1e6));
        d.max_steps = static_cast<int>(number(m.require("max_steps"), m.sub("max_steps"), 0, 1e6));
        if (d.max_steps < d.min_steps)
            fail(src_, m.get("max_steps"), m.sub("max_steps"), "must be >= min_steps");
        d.source = text(m.require("source"), m.sub("source"));
        d.uncertain = flag(m, "uncertain");
    }
    void load_encoding(const MapReader& top, Encoding& e) const {
        const YAML::Node n = top.require("encoding");
        if (!n.IsMap()) fail(src_, n, "encoding", "must be a mapping");
        const std::string kind = text(n["kind"], "encoding.kind");
        // Each kind takes exactly its own parameters.
        static const std::map<std::string, std::pair<EncodingKind, std::vector<std::string>>> kinds = {
            {"loihi_axon_blocks",
             {EncodingKind::loihi_axon_blocks,
              {"block_synapses", "block_header_bits", "index_bits", "word_bits"}}},
            {"spinnaker_rows", {EncodingKind::spinnaker_rows, {"word_bits", "row_header_words"}}},
            {"fixed_crossbar", {EncodingKind::fixed_crossbar, {"axons", "labels_per_row"}}},
            {"per_neuron_cam",
             {EncodingKind::per_neuron_cam,
              {"cam_words", "cam_word_bits", "routing_words", "routing_word_bits"}}},
            {"dense_layer", {EncodingKind::dense_layer, {}}},
            {"conv_layer",
             {EncodingKind::conv_layer, {"kernel_memory", "neuron_memory", "bias_memory", "destinations"}}},
            {"xylo_crossbar",
             {EncodingKind::xylo_crossbar,
              {"input_channels", "hidden_neurons", "output_neurons", "synapses_per_neuron"}}}};
        const auto it = kinds.find(kind);
        if (it == kinds.end())
            fail(src_, n["kind"], "encoding.kind",
                 "unknown encoding '" + kind +
                     "' (known: loihi_axon_blocks, spinnaker_rows, fixed_crossbar, per_neuron_cam, "
                     "dense_layer, conv_layer, xylo_crossbar)");
        std::vector<std::string> allowed = {"kind", "source", "uncertain"};
        allowed.insert(allowed.end(), it->second.second.begin(), it->second.second.end());
        MapReader m(src_, n, "encoding", allowed);
        e.kind = it->second.first;
        for (const auto& key : it->second.second) {
            if (!m.has(key)) {
                if (key == "labels_per_row") continue; // optional
                fail(src_, n, m.sub(key), "required by encoding " + kind);
            }
            if (key == "index_bits") {
                const YAML::Node ib = m.get(key);
                if (!ib.IsSequence() || ib.size() != 2) fail(src_, ib, m.sub(key), "must be [min, max]");
                e.index_bits_min = static_cast<int>(number(ib[0], m.sub(key) + "[0]", 1, 32));
                e.index_bits_max = static_cast<int>(number(ib[1], m.sub(key) + "[1]", e.index_bits_min, 32));
                continue;
            }
            if (m.get(key).IsSequence()) { // per-core lists (conv_layer's memories)
                const YAML::Node list = m.get(key);
                if (list.size() == 0) fail(src_, list, m.sub(key), "must not be empty");
                for (std::size_t i = 0; i < list.size(); ++i)
                    e.lists[key].push_back(
                        number(list[i], m.sub(key) + "[" + std::to_string(i) + "]", 0, 1e12));
                continue;
            }
            e.params[key] = number(m.get(key), m.sub(key), 1, 1e9);
        }
        if (e.kind == EncodingKind::conv_layer)
            for (const char* key : {"kernel_memory", "neuron_memory", "bias_memory"})
                if (e.lists[key].size() != e.lists["kernel_memory"].size())
                    fail(src_, m.get(key), m.sub(key),
                         "must be a list with one value per core, as kernel_memory");
        e.source = text(m.require("source"), m.sub("source"));
        e.uncertain = flag(m, "uncertain");
    }

    // learning: {on_chip, rules, synapse_extra_bits, row_header_bits, axon_slots, pre_trace_bits,
    // post_history, post_time_bits, post_trace_bits, post_count_bits, source, uncertain}
    void load_learning(const MapReader& top, LearningFormat& l) const {
        static const std::vector<std::string> bit_keys = {
            "synapse_extra_bits", "row_header_bits", "axon_slots",      "pre_trace_bits",
            "post_history",       "post_time_bits",  "post_trace_bits", "post_count_bits"};
        std::vector<std::string> keys = {"on_chip", "rules", "source", "uncertain"};
        keys.insert(keys.end(), bit_keys.begin(), bit_keys.end());
        MapReader m(src_, top.require("learning"), "learning", keys);
        m.require("on_chip");
        l.on_chip = flag(m, "on_chip");
        if (m.has("rules")) {
            const YAML::Node r = m.get("rules");
            if (!r.IsSequence()) fail(src_, r, m.sub("rules"), "must be a list (stdp, triplet)");
            for (std::size_t i = 0; i < r.size(); ++i) {
                const std::string rule = text(r[i], m.sub("rules") + "[" + std::to_string(i) + "]");
                if (rule != "stdp" && rule != "triplet")
                    fail(src_, r[i], m.sub("rules"), "unknown rule '" + rule + "' (known: stdp, triplet)");
                l.rules.push_back(rule);
            }
        }
        if (!l.on_chip && (!l.rules.empty() || m.has("axon_slots")))
            fail(src_, m.get("on_chip"), m.sub("on_chip"),
                 "a chip without on-chip learning has no learning format");
        double* fields[] = {&l.synapse_extra_bits, &l.row_header_bits, &l.axon_slots,
                            &l.pre_trace_bits,     &l.post_history,    &l.post_time_bits,
                            &l.post_trace_bits,    &l.post_count_bits};
        for (std::size_t i = 0; i < bit_keys.size(); ++i)
            if (m.has(bit_keys[i])) *fields[i] = number(m.get(bit_keys[i]), m.sub(bit_keys[i]), 0, 1e6);
        if (l.axon_slots < 1) fail(src_, m.get("axon_slots"), m.sub("axon_slots"), "must be >= 1");
        l.source = text(m.require("source"), m.sub("source"));
        l.uncertain = flag(m, "uncertain");
    }

    Source src_;
};

} // namespace

bool LearningFormat::runs(const std::string& rule) const {
    return on_chip && std::find(rules.begin(), rules.end(), rule) != rules.end();
}

const char* to_string(EncodingKind k) {
    switch (k) {
    case EncodingKind::loihi_axon_blocks:
        return "loihi_axon_blocks";
    case EncodingKind::spinnaker_rows:
        return "spinnaker_rows";
    case EncodingKind::fixed_crossbar:
        return "fixed_crossbar";
    case EncodingKind::per_neuron_cam:
        return "per_neuron_cam";
    case EncodingKind::conv_layer:
        return "conv_layer";
    case EncodingKind::xylo_crossbar:
        return "xylo_crossbar";
    default:
        return "dense_layer";
    }
}

ChipProfile load_chip_profile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path, 0, 0, "", "cannot read the chip profile");
    std::stringstream buf;
    buf << in.rdbuf();
    YAML::Node root;
    try {
        root = YAML::Load(buf.str());
    } catch (const YAML::ParserException& e) {
        throw ConfigError(path, e.mark.line + 1, e.mark.column + 1, "", "malformed YAML: " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) throw ConfigError(path, 1, 1, "", "empty chip profile");
    return ProfileLoader(path).load(root);
}

std::string chips_dir() {
    const char* env = std::getenv("NMSIM_CHIPS_DIR");
    return env && *env ? env : NMSIM_CHIPS_DIR;
}

std::vector<ChipProfile> builtin_chips() {
    std::vector<ChipProfile> chips;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(chips_dir(), ec))
        if (entry.path().extension() == ".yaml") chips.push_back(load_chip_profile(entry.path().string()));
    if (ec) throw IoError("cannot list chip profiles in " + chips_dir() + ": " + ec.message());
    std::sort(chips.begin(), chips.end(),
              [](const ChipProfile& a, const ChipProfile& b) { return a.name < b.name; });
    return chips;
}

std::vector<ChipProfile> select_chips(const std::string& names, const std::vector<std::string>& extra_files) {
    std::vector<ChipProfile> all = builtin_chips(), chosen;
    for (const auto& f : extra_files) all.push_back(load_chip_profile(f));
    if (names.empty() && !extra_files.empty()) {
        for (const auto& f : extra_files) chosen.push_back(load_chip_profile(f));
        return chosen;
    }
    if (names == "all") return all;
    std::stringstream ss(names);
    for (std::string name; std::getline(ss, name, ',');) {
        const auto it =
            std::find_if(all.begin(), all.end(), [&](const ChipProfile& c) { return c.name == name; });
        if (it == all.end()) {
            std::vector<std::string> known;
            for (const auto& c : all) known.push_back(c.name);
            throw UsageError("unknown chip '" + name + "' (known: " + join(known) + ")");
        }
        chosen.push_back(*it);
    }
    if (chosen.empty()) throw UsageError("no chip selected");
    return chosen;
}

} // namespace nmsim
