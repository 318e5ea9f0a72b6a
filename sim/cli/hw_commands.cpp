#include "sim/cli/hw_commands.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <sstream>

#include "sim/run/system_memory.hpp"

namespace nmsim {

nlohmann::json footprint_json(const FootprintReport& report, const std::string& config) {
    nlohmann::json j;
    j["config"] = config;
    j["synapses"] = report.synapses;
    j["nmsim_table_bytes"] = report.nmsim_table_bytes;
    j["seconds"] = report.seconds;
    j["chips"] = nlohmann::json::array();
    for (const auto& f : report.chips) {
        nlohmann::json c = {{"chip", f.chip},
                            {"cores", f.cores},
                            {"chips", f.chips},
                            {"neuron_utilisation", f.neuron_utilisation},
                            {"memory_utilisation", f.memory_utilisation},
                            {"axon_utilisation", f.axon_utilisation},
                            {"synaptic_bytes", f.synaptic_bytes},
                            {"plastic_synapses", f.plastic_synapses},
                            {"plastic_state_bytes", f.plastic_state_bytes},
                            {"nmsim_table_bytes", report.nmsim_table_bytes},
                            {"binding_constraint", f.binding_constraint},
                            {"violations", f.violations},
                            {"weight_rms_rel_error", f.weight_rms_rel_error},
                            {"weight_max_rel_error", f.weight_max_rel_error},
                            {"delay_rms_rel_error", f.delay_rms_rel_error},
                            {"delay_max_rel_error", f.delay_max_rel_error}};
        for (const auto& p : f.populations)
            c["populations"].push_back({{"population", p.population},
                                        {"neurons", p.neurons},
                                        {"cores", p.cores},
                                        {"binding", p.binding},
                                        {"detail", p.detail}});
        j["chips"].push_back(c);
    }
    return j;
}

std::string footprint_table(const FootprintReport& r) {
    std::ostringstream os;
    const int label = 26, col = 14;
    auto row = [&](const std::string& name, auto&& cell) {
        os << fmt::format("{:<{}}", name, label);
        for (const auto& f : r.chips) os << fmt::format("{:>{}}", cell(f), col);
        os << "\n";
    };
    row("chip", [](const ChipFootprint& f) { return f.chip; });
    row("cores", [](const ChipFootprint& f) { return std::to_string(f.cores); });
    row("chips", [](const ChipFootprint& f) { return std::to_string(f.chips); });
    row("neurons/core used",
        [](const ChipFootprint& f) { return fmt::format("{:.1f}%", 100 * f.neuron_utilisation); });
    row("synaptic memory used",
        [](const ChipFootprint& f) { return fmt::format("{:.1f}%", 100 * f.memory_utilisation); });
    row("input axons used",
        [](const ChipFootprint& f) { return fmt::format("{:.1f}%", 100 * f.axon_utilisation); });
    row("synaptic bytes on chip", [](const ChipFootprint& f) { return format_bytes(f.synaptic_bytes); });
    row("nmsim packed table", [&](const ChipFootprint&) { return format_bytes(r.nmsim_table_bytes); });
    const bool plastic = std::any_of(r.chips.begin(), r.chips.end(),
                                     [](const ChipFootprint& f) { return f.plastic_synapses > 0; });
    if (plastic) {
        row("plastic synapses", [](const ChipFootprint& f) { return std::to_string(f.plastic_synapses); });
        row("learning state", [](const ChipFootprint& f) { return format_bytes(f.plastic_state_bytes); });
    }
    row("weight error rms / max", [](const ChipFootprint& f) {
        return fmt::format("{:.1f}/{:.0f}%", 100 * f.weight_rms_rel_error, 100 * f.weight_max_rel_error);
    });
    row("delay error rms / max", [](const ChipFootprint& f) {
        return fmt::format("{:.1f}/{:.0f}%", 100 * f.delay_rms_rel_error, 100 * f.delay_max_rel_error);
    });
    row("violations", [](const ChipFootprint& f) { return std::to_string(f.violations.size()); });
    os << fmt::format("\n{} synapses mapped in {:.2f} s\n", r.synapses, r.seconds);
    for (const auto& f : r.chips) {
        os << fmt::format("\n{}: binding constraint: {}\n", f.chip, f.binding_constraint);
        for (const auto& p : f.populations) os << "  " << describe(p, f.chip) << "\n";
        for (const auto& v : f.violations) os << "  VIOLATION: " << v << "\n";
    }
    return os.str();
}

std::string footprint_csv(const FootprintReport& r) {
    std::ostringstream os;
    os << "chip,cores,chips,neuron_utilisation,memory_utilisation,axon_utilisation,synaptic_bytes,nmsim_"
          "table_bytes,"
          "weight_rms_rel_error,weight_max_rel_error,delay_rms_rel_error,delay_max_rel_error,violations,"
          "binding_constraint\n";
    for (const auto& f : r.chips)
        os << fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{},\"{}\"\n",
                          f.chip, f.cores, f.chips, f.neuron_utilisation, f.memory_utilisation,
                          f.axon_utilisation, f.synaptic_bytes, r.nmsim_table_bytes, f.weight_rms_rel_error,
                          f.weight_max_rel_error, f.delay_rms_rel_error, f.delay_max_rel_error,
                          f.violations.size(), f.binding_constraint);
    return os.str();
}

namespace {
std::string value_text(const SourcedValue& v) {
    if (v.unlimited()) return "unlimited";
    return v.value == std::floor(v.value) ? fmt::format("{:.0f}", v.value) : fmt::format("{:g}", v.value);
}
} // namespace

std::string chips_list(const std::vector<ChipProfile>& chips) {
    std::ostringstream os;
    os << fmt::format("{:<14}{:<26}{:>10}{:>14}{:>16}{:>10}{:>12}\n", "name", "vendor", "cores",
                      "neurons/core", "syn. memory", "weight", "uncertain");
    for (const auto& c : chips) {
        int uncertain = 0;
        for (const SourcedValue* v :
             {&c.timestep_ms, &c.cores_per_chip, &c.max_chips, &c.neurons_per_core, &c.synaptic_memory_bits,
              &c.input_axons_per_core, &c.output_axons_per_core, &c.fan_in_per_neuron,
              &c.target_cores_per_neuron, &c.state_bits})
            uncertain += v->uncertain;
        uncertain += c.weight.uncertain + c.delay.uncertain + c.encoding.uncertain + c.learning.uncertain;
        os << fmt::format("{:<14}{:<26}{:>10}{:>14}{:>16}{:>10}{:>12}\n", c.name, c.vendor.substr(0, 25),
                          value_text(c.cores_per_chip), value_text(c.neurons_per_core),
                          format_bytes(static_cast<std::uint64_t>(c.synaptic_memory_bits.value / 8)) +
                              (c.memory_scope == MemoryScope::chip ? "/chip" : "/core"),
                          fmt::format("{} bit", c.weight.bits), uncertain);
    }
    return os.str();
}

std::string chip_details(const ChipProfile& c) {
    std::ostringstream os;
    os << fmt::format("{} ({}): {}\nprofile: {}\n\n", c.name, c.vendor, c.description, c.file);
    auto line = [&](const std::string& name, const SourcedValue& v, const std::string& extra = "") {
        os << fmt::format("  {:<26}{:>14}{}  {}{}\n", name, value_text(v), extra, v.source,
                          v.uncertain ? "  [uncertain]" : "");
    };
    line("timestep (ms)", c.timestep_ms);
    line("cores per chip", c.cores_per_chip);
    line("max chips per system", c.max_chips);
    line("neurons per core", c.neurons_per_core);
    line("synaptic memory (bits)", c.synaptic_memory_bits,
         c.memory_scope == MemoryScope::chip ? " /chip" : " /core");
    line("input axons per core", c.input_axons_per_core);
    line("output axons per core", c.output_axons_per_core);
    line("fan-in per neuron", c.fan_in_per_neuron);
    line("target cores per neuron", c.target_cores_per_neuron);
    line("neuron state bits", c.state_bits);
    const char* scale = c.weight.scale == WeightScale::power_of_two ? "power-of-two scale"
                        : c.weight.scale == WeightScale::linear     ? "linear scale"
                                                                    : "shared values";
    os << fmt::format("  {:<26}{:>14}  {}, {}{}  {}{}\n", "weight", fmt::format("{} bits", c.weight.bits),
                      c.weight.is_signed ? "signed" : "unsigned", scale,
                      c.weight.shared_levels ? fmt::format(", <= {} levels per core", c.weight.shared_levels)
                                             : "",
                      c.weight.source, c.weight.uncertain ? "  [uncertain]" : "");
    os << fmt::format("  {:<26}{:>14}  {}{}\n", "delay (steps)",
                      fmt::format("{}..{}", c.delay.min_steps, c.delay.max_steps), c.delay.source,
                      c.delay.uncertain ? "  [uncertain]" : "");
    os << fmt::format("  {:<26}{:>14}  {}{}\n", "synapse encoding", to_string(c.encoding.kind),
                      c.encoding.source, c.encoding.uncertain ? "  [uncertain]" : "");
    for (const auto& [k, v] : c.encoding.params) os << fmt::format("    {:<24}{:>14g}\n", k, v);
    if (c.encoding.index_bits_max)
        os << fmt::format("    {:<24}{:>14}\n", "index_bits",
                          fmt::format("{}..{}", c.encoding.index_bits_min, c.encoding.index_bits_max));
    const LearningFormat& l = c.learning;
    std::string rules;
    for (const auto& r : l.rules) rules += (rules.empty() ? "" : ", ") + r;
    os << fmt::format("  {:<26}{:>14}  {}{}\n", "on-chip learning",
                      !l.on_chip      ? "none"
                      : rules.empty() ? "no STDP"
                                      : rules,
                      l.source.empty() ? "the profile does not describe it" : l.source,
                      l.uncertain ? "  [uncertain]" : "");
    if (l.on_chip)
        os << fmt::format("    {:<24}{:>14g}\n    {:<24}{:>14g}\n    {:<24}{:>14g}\n    {:<24}{:>14g}\n"
                          "    {:<24}{:>14}\n",
                          "axon slots (plastic)", l.axon_slots, "extra bits / synapse", l.synapse_extra_bits,
                          "row header bits", l.row_header_bits, "pre trace bits / axon", l.pre_trace_bits,
                          "post state bits", fmt::format("{:g} / {:g}", l.post_bits(1), l.post_bits(2)));
    return os.str();
}

} // namespace nmsim
