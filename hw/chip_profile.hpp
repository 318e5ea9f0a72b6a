// ChipProfile: one neuromorphic chip's resources and synapse encoding, loaded from hw/chips/*.yaml
// (or a user's --chip-file) with strict validation. Every number keeps the source it came from.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace nmsim {

// A number with where it comes from; `unlimited` numbers hold +infinity.
struct SourcedValue {
    double value = std::numeric_limits<double>::infinity();
    std::string source;
    bool uncertain = false;
    bool unlimited() const { return value == std::numeric_limits<double>::infinity(); }
};

enum class WeightScale { power_of_two, linear, shared_mean };
enum class MemoryScope { core, chip };
enum class EncodingKind {
    loihi_axon_blocks,
    spinnaker_rows,
    fixed_crossbar,
    per_neuron_cam,
    dense_layer,
    conv_layer,   // Speck / DYNAP-CNN: one layer per core, kernel and neuron memory per core
                  // (hw/layer_footprint)
    xylo_crossbar // Xylo: input, hidden (recurrent) and output weight matrices of fixed size
};

struct WeightFormat {
    int bits = 8; // magnitude bits stored per synapse (0: none, shared values only)
    bool is_signed = true;
    WeightScale scale = WeightScale::linear;
    int shared_levels = 0; // >0: at most this many distinct weights per core
    std::string source;
    bool uncertain = false;
};

struct DelayFormat {
    int min_steps = 0, max_steps = 0; // in chip time steps; max 0: no programmable delay
    std::string source;
    bool uncertain = false;
};

struct Encoding {
    EncodingKind kind = EncodingKind::fixed_crossbar;
    std::map<std::string, double> params;             // kind-specific (word_bits, block_synapses, ...)
    std::map<std::string, std::vector<double>> lists; // kind-specific, one value per core (conv_layer)
    int index_bits_min = 0, index_bits_max = 0;
    std::string source;
    bool uncertain = false;
    double param(const std::string& key) const { return params.at(key); }
};

// On-chip learning (the profile's `learning` section): whether the chip runs STDP, and what a plastic
// synapse costs in its format. Pre traces live per plastic input axon, post state per neuron.
struct LearningFormat {
    bool on_chip = false;
    std::vector<std::string> rules; // nmsim rules the chip runs: stdp, triplet
    double synapse_extra_bits = 0;  // per plastic synapse beyond the static entry (tag bits)
    double row_header_bits = 0;     // per plastic row (spinnaker_rows: the pre-event history)
    double axon_slots = 1;          // input axon slots a plastic source takes in a core
    double pre_trace_bits = 0;      // per trace (pair 1, triplet 2) per plastic input axon
    // Per target neuron: count + max(1, history) x (time + traces x trace bits)
    double post_history = 0, post_time_bits = 0, post_trace_bits = 0, post_count_bits = 0;
    std::string source;
    bool uncertain = false;
    bool runs(const std::string& rule) const;
    double post_bits(int traces) const {
        return post_count_bits + std::max(1.0, post_history) * (post_time_bits + traces * post_trace_bits);
    }
};

struct ChipProfile {
    std::string name, vendor, description, file;
    SourcedValue timestep_ms, cores_per_chip, max_chips, neurons_per_core, synaptic_memory_bits,
        input_axons_per_core, output_axons_per_core, fan_in_per_neuron, target_cores_per_neuron, state_bits;
    MemoryScope memory_scope = MemoryScope::core;
    WeightFormat weight;
    DelayFormat delay;
    Encoding encoding;
    LearningFormat learning;
};

// Loads and validates one profile (ConfigError naming file:line:col and key on any problem).
ChipProfile load_chip_profile(const std::string& path);

// The profiles shipped in hw/chips (NMSIM_CHIPS_DIR overrides the folder), sorted by name.
std::vector<ChipProfile> builtin_chips();
std::string chips_dir();

// Selects profiles: "all" or a comma list of names; extra files are added. Throws UsageError.
std::vector<ChipProfile> select_chips(const std::string& names, const std::vector<std::string>& extra_files);

const char* to_string(EncodingKind k);

} // namespace nmsim
