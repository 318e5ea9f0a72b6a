#include "hw/mapper.hpp"

#include "hw/layer_footprint.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <memory>

#include "hw/quantise.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/table/packed_table.hpp"

namespace nmsim {
namespace {

// One incoming synapse of a target in the current block.
struct InSynapse {
    std::uint32_t source; // global id
    std::uint32_t target; // offset within the block
    float weight;
    std::uint16_t delay_steps;
    std::uint16_t projection;
};

// End of the run of synapses from syn[i].source (a target's synapses are sorted by source).
std::size_t run_end(const InSynapse* syn, std::size_t i, std::size_t n) {
    std::size_t j = i + 1;
    while (j < n && syn[j].source == syn[i].source) ++j;
    return j;
}

// The limit that closed most cores, "" if only population ends did.
std::string most_binding(const std::map<std::string, std::uint64_t>& reasons) {
    std::string binding;
    std::uint64_t most = 0;
    for (const auto& [why, count] : reasons)
        if (why != "population end" && count > most) {
            most = count;
            binding = why;
        }
    return binding;
}

std::string with_commas(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

// Greedy core packer for one chip, fed the network's targets in ascending order.
class ChipMapper {
public:
    // accounting_only: quantisation errors and delay checks, no core packing (dense-layer chips).
    ChipMapper(const ChipProfile& chip, const NetworkSpec& spec, const std::vector<ValueSpec>& weights,
               bool delays_vary, bool accounting_only = false)
        : chip_(chip), spec_(spec), accounting_only_(accounting_only), stamp_(spec.total_neurons(), 0),
          count_(spec.total_neurons(), 0), out_cores_(spec.total_neurons(), 0),
          core_of_(spec.total_neurons(), 0) {
        for (const auto& w : weights) quantisers_.emplace_back(chip.weight, w);
        for (const auto& pr : spec.projections)
            traces_.push_back(!pr.plasticity.enabled                                ? 0
                              : pr.plasticity.rule == PlasticitySpec::Rule::triplet ? 2
                                                                                    : 1);
        plastic_count_.assign(spec.projections.size(), 0);
        any_plastic_ = std::any_of(traces_.begin(), traces_.end(), [](int t) { return t > 0; });
        const auto& e = chip.encoding;
        sized_ = e.kind == EncodingKind::loihi_axon_blocks || e.kind == EncodingKind::spinnaker_rows;
        if (e.kind == EncodingKind::loihi_axon_blocks) {
            block_synapses_ = e.param("block_synapses");
            block_header_bits_ = e.param("block_header_bits");
            word_bits_ = e.param("word_bits");
            const double npc = chip.neurons_per_core.unlimited() ? 1 << 20 : chip.neurons_per_core.value;
            const int index =
                std::clamp(static_cast<int>(std::ceil(std::log2(npc))), e.index_bits_min, e.index_bits_max);
            const int delay_bits = delays_vary ? static_cast<int>(bits::width_for(chip.delay.max_steps)) : 0;
            synapse_bits_ = chip.weight.bits + delay_bits + index;
        }
        if (e.kind == EncodingKind::spinnaker_rows) {
            word_bits_ = e.param("word_bits");
            row_header_words_ = e.param("row_header_words");
        }
        if (e.kind == EncodingKind::per_neuron_cam)
            neuron_bits_ = e.param("cam_words") * e.param("cam_word_bits") +
                           e.param("routing_words") * e.param("routing_word_bits");
        if (e.kind == EncodingKind::fixed_crossbar) core_fixed_bits_ = chip.synaptic_memory_bits.value;
        slots_ = chip.learning.on_chip ? static_cast<std::uint64_t>(chip.learning.axon_slots) : 1;
        if (sized_)
            for (std::uint64_t k = 0; k < 256; ++k) axon_bits_table_.push_back(axon_bits_formula(k));
    }

    void begin_population(std::size_t pop) {
        end_population();
        pops_.push_back({spec_.populations[pop].name, spec_.populations[pop].size, 0, "", ""});
        pop_reasons_.clear();
    }

    // syn: the target's incoming synapses sorted by source.
    void add_neuron(std::uint64_t target, const InSynapse* syn, std::size_t n) {
        if (accounts_) account_quantisation(syn, n);
        synapses_ += n;
        account_plastic(syn, n);
        if (accounting_only_) return;
        if (!chip_.fan_in_per_neuron.unlimited() && n > chip_.fan_in_per_neuron.value) ++fan_in_violations_;
        if (core_neurons_ > 0) {
            const char* reason = try_add(target, syn, n);
            if (!reason) return;
            close_core(reason);
        }
        place_in_empty_core(target, syn, n);
    }

    // In a fresh core every source is new: size and commit in one pass. A neuron that exceeds a
    // limit alone is a violation, and gets the core anyway.
    void place_in_empty_core(std::uint64_t target, const InSynapse* syn, std::size_t n) {
        std::uint64_t axons = 0;
        double bits = neuron_bits_;
        for (std::size_t i = 0; i < n;) {
            const std::size_t j = run_end(syn, i, n);
            const std::uint32_t s = syn[i].source;
            const int traces = traces_[syn[i].projection];
            stamp_[s] = core_uid_;
            count_[s] = static_cast<std::uint32_t>(j - i);
            ++out_cores_[s];
            axons += traces ? slots_ : 1;
            if (sized_) bits += traces ? plastic_axon_bits(j - i) : axon_bits(j - i);
            plastic_state_bits_ += traces * chip_.learning.pre_trace_bits;
            i = j;
        }
        const char* reason = nullptr;
        if (!chip_.input_axons_per_core.unlimited() && axons > chip_.input_axons_per_core.value)
            reason = "input axons per core";
        else if (chip_.memory_scope == MemoryScope::core && core_fixed_bits_ == 0.0 &&
                 bits > chip_.synaptic_memory_bits.value)
            reason = "synaptic memory per core";
        if (chip_.weight.shared_levels > 0) {
            // A neuron over the limit leaves limit + 1 levels: enough to keep the core closed to
            // others without collecting all of its levels (that search was quadratic).
            levels_.clear();
            if (!add_levels(levels_, syn, n, static_cast<std::size_t>(chip_.weight.shared_levels)) && !reason)
                reason = "weight levels per core";
        }
        if (reason) ++oversized_neurons_[reason];
        core_axons_ = axons;
        core_bits_ = bits;
        core_neurons_ = 1;
        core_of_[target] = static_cast<std::uint32_t>(cores_);
    }

    // Chips that round weights identically share one weight accounting (delay errors come from
    // the shared delay histogram): the key holds what WeightQuantiser reads.
    void share_accounting_with(const ChipMapper* owner) { accounts_ = owner == nullptr, owner_ = owner; }
    static std::string quantisation_key(const ChipProfile& c) {
        return fmt::format("{}/{}", c.weight.bits, static_cast<int>(c.weight.scale));
    }

    ChipFootprint finish(const std::vector<std::uint64_t>& delay_counts) {
        account_delays(delay_counts);
        if (owner_) {
            weight_err_sq_ = owner_->weight_err_sq_;
            weight_sq_ = owner_->weight_sq_;
            weight_max_rel_ = owner_->weight_max_rel_;
        }
        end_population();
        ChipFootprint f;
        f.chip = chip_.name;
        f.cores = cores_;
        f.synapses = synapses_;
        f.populations = pops_;
        if (chip_.memory_scope == MemoryScope::chip) {
            f.chips = chips_scope_chips_ + (chip_cores_ > 0 ? 1 : 0);
        } else {
            f.chips = (cores_ + static_cast<std::uint64_t>(chip_.cores_per_chip.value) - 1) /
                      static_cast<std::uint64_t>(chip_.cores_per_chip.value);
        }
        const double npc = chip_.neurons_per_core.unlimited() ? 0.0 : chip_.neurons_per_core.value;
        f.neuron_utilisation =
            cores_ && npc > 0 ? static_cast<double>(spec_.total_neurons()) / (cores_ * npc) : 0.0;
        const double capacity = chip_.memory_scope == MemoryScope::chip
                                    ? f.chips * chip_.synaptic_memory_bits.value
                                    : cores_ * chip_.synaptic_memory_bits.value;
        f.memory_utilisation = capacity > 0 ? total_bits_ / capacity : 0.0;
        f.synaptic_bytes = static_cast<std::uint64_t>(std::ceil(total_bits_ / 8.0));
        f.axon_utilisation =
            !chip_.input_axons_per_core.unlimited() && cores_
                ? static_cast<double>(total_axons_) / (cores_ * chip_.input_axons_per_core.value)
                : 0.0;
        // Binding constraint: what closed most cores; a network in one core per population is bound by
        // nothing.
        f.binding_constraint = most_binding(reasons_);
        if (f.binding_constraint.empty()) f.binding_constraint = "none (every population fits in its cores)";
        f.weight_rms_rel_error = weight_sq_ > 0 ? std::sqrt(weight_err_sq_ / weight_sq_) : 0.0;
        f.weight_max_rel_error = weight_max_rel_;
        f.delay_rms_rel_error = delay_sq_ > 0 ? std::sqrt(delay_err_sq_ / delay_sq_) : 0.0;
        f.delay_max_rel_error = delay_max_rel_;
        f.violations = accounting_only_ ? delay_violations() : violations(f);
        for (auto& v : learning_violations()) f.violations.push_back(std::move(v));
        for (const auto c : plastic_count_) f.plastic_synapses += c;
        f.plastic_state_bytes = static_cast<std::uint64_t>(std::ceil(plastic_state_bits_ / 8.0));
        return f;
    }

private:
    // Bits a source with k synapses in the core takes; small k (the common case) from a table.
    double axon_bits(std::uint64_t k) const {
        return k < axon_bits_table_.size() ? axon_bits_table_[k] : axon_bits_formula(k);
    }
    // A plastic source takes the chip's plastic format: tag bits per synapse (axon blocks), the
    // pre-event history in its row's header (rows).
    double axon_bits_formula(std::uint64_t k, bool plastic = false) const {
        if (k == 0) return 0.0;
        switch (chip_.encoding.kind) {
        case EncodingKind::loihi_axon_blocks: {
            const double blocks = std::ceil(k / block_synapses_);
            const double per_synapse =
                plastic ? synapse_bits_ + chip_.learning.synapse_extra_bits : synapse_bits_;
            return std::ceil((blocks * block_header_bits_ + k * per_synapse) / word_bits_) * word_bits_;
        }
        case EncodingKind::spinnaker_rows: {
            const double header =
                row_header_words_ + (plastic ? std::ceil(chip_.learning.row_header_bits / word_bits_) : 0.0);
            return (header + k) * word_bits_;
        }
        default:
            return 0.0;
        }
    }
    double plastic_axon_bits(std::uint64_t k) const { return axon_bits_formula(k, true); }

    // Plastic synapses per projection, and the post-synaptic learning state of a neuron that has any
    // (its traces or spike history; the triplet rule keeps two traces).
    void account_plastic(const InSynapse* syn, std::size_t n) {
        if (!any_plastic_) return; // static networks: no pass over the synapses
        int traces = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (traces_[syn[i].projection]) {
                ++plastic_count_[syn[i].projection];
                traces = std::max(traces, traces_[syn[i].projection]);
            }
        if (traces) plastic_state_bits_ += chip_.learning.post_bits(traces);
    }

    // Plastic projections on a chip that cannot learn them: on-chip learning missing, or not this rule.
    std::vector<std::string> learning_violations() const {
        std::vector<std::string> v;
        for (std::size_t j = 0; j < plastic_count_.size(); ++j) {
            if (!plastic_count_[j]) continue;
            const std::string rule = traces_[j] == 2 ? "triplet" : "stdp";
            const std::string what =
                fmt::format("{} plastic synapses of projection {} ({} rule)", with_commas(plastic_count_[j]),
                            spec_.projections[j].name, rule);
            if (!chip_.learning.on_chip)
                v.push_back(
                    fmt::format("{}: {} has no on-chip learning (weights are fixed once mapped: learn "
                                "in nmsim, then map the learned weights with connector from_file)",
                                what, chip_.name));
            else if (!chip_.learning.runs(rule))
                v.push_back(
                    fmt::format("{}: {}'s learning does not run the {} rule", what, chip_.name, rule));
        }
        return v;
    }

    // Adds the neuron's quantised weights to `levels`; false once more than `limit`.
    bool add_levels(std::vector<double>& levels, const InSynapse* syn, std::size_t n, std::size_t limit) {
        for (std::size_t i = 0; i < n; ++i) {
            const double q = quantisers_[syn[i].projection](syn[i].weight);
            if (i > 0 && q == last_level_) continue; // runs of equal levels are common: skip the search
            last_level_ = q;
            if (std::find(levels.begin(), levels.end(), q) == levels.end()) {
                levels.push_back(q);
                if (levels.size() > limit) return false;
            }
        }
        return levels.size() <= limit; // a core already over the limit stays closed to others
    }

    // Adds the neuron to the open core in one pass over its synapses, committing as it goes; if a
    // limit is exceeded (rare: once per core), undoes what it did and returns that limit.
    const char* try_add(std::uint64_t target, const InSynapse* syn, std::size_t n) {
        if (!chip_.neurons_per_core.unlimited() && core_neurons_ + 1 > chip_.neurons_per_core.value)
            return "neurons per core";
        const bool axon_limit = !chip_.input_axons_per_core.unlimited();
        const std::uint64_t max_axons =
            axon_limit ? static_cast<std::uint64_t>(chip_.input_axons_per_core.value) : 0;
        std::uint64_t new_axons = 0;
        double delta_bits = neuron_bits_, delta_state = 0.0;
        const char* reason = nullptr;
        std::size_t i = 0;
        while (i < n) {
            const std::size_t j = run_end(syn, i, n);
            const std::uint32_t s = syn[i].source;
            const int traces = traces_[syn[i].projection];
            std::uint32_t have = 0;
            if (stamp_[s] == core_uid_) {
                have = count_[s];
            } else {
                stamp_[s] = core_uid_;
                ++out_cores_[s];
                new_axons += traces ? slots_ : 1;
                delta_state += traces * chip_.learning.pre_trace_bits;
            }
            count_[s] = have + static_cast<std::uint32_t>(j - i);
            if (sized_)
                delta_bits += traces ? plastic_axon_bits(have + (j - i)) - plastic_axon_bits(have)
                                     : axon_bits(have + (j - i)) - axon_bits(have);
            i = j;
            // Stop at the limit: the core closes anyway.
            if (axon_limit && core_axons_ + new_axons > max_axons) {
                reason = "input axons per core";
                break;
            }
        }
        if (!reason && chip_.memory_scope == MemoryScope::core && core_fixed_bits_ == 0.0 &&
            core_bits_ + delta_bits > chip_.synaptic_memory_bits.value)
            reason = "synaptic memory per core";
        const std::size_t old_levels = levels_.size();
        if (!reason && chip_.weight.shared_levels > 0 &&
            !add_levels(levels_, syn, n, static_cast<std::size_t>(chip_.weight.shared_levels)))
            reason = "weight levels per core";
        if (reason) {
            // Undo: the core closes, so only the sources' core counts matter (a source this neuron
            // brought in has exactly its own synapses counted).
            for (std::size_t k = 0; k < i;) {
                const std::size_t j = run_end(syn, k, i);
                if (count_[syn[k].source] == j - k) --out_cores_[syn[k].source];
                k = j;
            }
            levels_.resize(old_levels);
            return reason;
        }
        core_axons_ += new_axons;
        core_bits_ += delta_bits;
        plastic_state_bits_ += delta_state;
        ++core_neurons_;
        core_of_[target] = static_cast<std::uint32_t>(cores_); // index of the open core (counted on close)
        return nullptr;
    }

    // Closes the population's last core and names what bound the population.
    void end_population() {
        close_core("population end");
        if (pops_.empty()) return;
        pops_.back().binding = most_binding(pop_reasons_);
        if (pops_.back().binding.empty()) pops_.back().binding = "none (fits in its cores)";
    }

    void close_core(const std::string& reason) {
        if (core_neurons_ == 0) return;
        const double bits = core_fixed_bits_ > 0 ? core_fixed_bits_ : core_bits_;
        total_bits_ += bits;
        total_axons_ += core_axons_;
        if (chip_.memory_scope == MemoryScope::chip) {
            // Pack cores into chips in order until a chip's cores or shared memory run out.
            if (chip_cores_ == chip_.cores_per_chip.value ||
                chip_bits_ + bits > chip_.synaptic_memory_bits.value) {
                if (chip_cores_ > 0) ++chips_scope_chips_;
                chip_cores_ = 0;
                chip_bits_ = 0.0;
            }
            ++chip_cores_;
            chip_bits_ += bits;
        }
        ++cores_;
        ++pops_.back().cores;
        ++reasons_[reason];
        ++pop_reasons_[reason];
        ++core_uid_;
        core_neurons_ = core_axons_ = 0;
        core_bits_ = 0.0;
        levels_.clear();
    }

    std::vector<std::string> delay_violations() const {
        if (!delays_out_of_range_) return {};
        if (chip_.delay.max_steps == 0 || chip_.timestep_ms.value <= 0)
            return {fmt::format("{} synapses lose their delay ({} has no programmable synaptic delay)",
                                with_commas(delays_out_of_range_), chip_.name)};
        return {fmt::format("{} synapse delays fall outside {}..{} steps of {} ms on {}",
                            with_commas(delays_out_of_range_), chip_.delay.min_steps, chip_.delay.max_steps,
                            chip_.timestep_ms.value, chip_.name)};
    }

    void account_quantisation(const InSynapse* syn, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            const double w = syn[i].weight, q = quantisers_[syn[i].projection](w);
            weight_err_sq_ += (q - w) * (q - w);
            weight_sq_ += w * w;
            // Divide only when the error may be a new maximum (a multiply decides that).
            if (std::abs(q - w) > weight_max_rel_ * std::abs(w) && w != 0.0)
                weight_max_rel_ = std::abs(q - w) / std::abs(w);
        }
    }

    // Delay errors from the network's histogram of delays (synapses per delay in steps): the same
    // for every chip, so counted once.
    void account_delays(const std::vector<std::uint64_t>& delay_counts) {
        for (std::uint32_t steps = 0; steps < delay_counts.size(); ++steps) {
            const auto count = static_cast<double>(delay_counts[steps]);
            if (count == 0) continue;
            const QuantisedDelay d = quantise_delay(steps, spec_.simulation.dt, chip_);
            const double ms = steps * spec_.simulation.dt;
            delay_err_sq_ += count * (d.ms - ms) * (d.ms - ms);
            delay_sq_ += count * ms * ms;
            if (ms > 0) delay_max_rel_ = std::max(delay_max_rel_, std::abs(d.ms - ms) / ms);
            if (!d.representable) delays_out_of_range_ += delay_counts[steps];
        }
    }

    std::vector<std::string> violations(const ChipFootprint& f) const {
        std::vector<std::string> v;
        const std::string on = " on " + chip_.name;
        if (fan_in_violations_)
            v.push_back(fmt::format("{} neurons receive more than {} synapses (fan-in limit per neuron{})",
                                    with_commas(fan_in_violations_),
                                    with_commas(static_cast<std::uint64_t>(chip_.fan_in_per_neuron.value)),
                                    on));
        for (const auto& [why, count] : oversized_neurons_)
            v.push_back(fmt::format("{} neurons do not fit in an empty core alone ({}{})", with_commas(count),
                                    why, on));
        // Output side: axons leaving each core, and target cores per neuron.
        std::vector<std::uint64_t> out_per_core(cores_, 0);
        std::uint64_t splitter_neurons = 0;
        for (std::uint64_t g = 0; g < core_of_.size(); ++g) {
            if (core_of_[g] < cores_) out_per_core[core_of_[g]] += out_cores_[g];
            if (!chip_.target_cores_per_neuron.unlimited() &&
                out_cores_[g] > chip_.target_cores_per_neuron.value)
                ++splitter_neurons;
        }
        if (splitter_neurons)
            v.push_back(fmt::format(
                "{} neurons project to more than {} core(s) (fan-out limit{}; needs splitter neurons)",
                with_commas(splitter_neurons),
                static_cast<std::uint64_t>(chip_.target_cores_per_neuron.value), on));
        if (!chip_.output_axons_per_core.unlimited()) {
            const auto over = std::count_if(out_per_core.begin(), out_per_core.end(), [&](std::uint64_t o) {
                return o > chip_.output_axons_per_core.value;
            });
            if (over)
                v.push_back(fmt::format(
                    "{} cores need more than {} output axons{}", with_commas(over),
                    with_commas(static_cast<std::uint64_t>(chip_.output_axons_per_core.value)), on));
        }
        for (auto& d : delay_violations()) v.push_back(std::move(d));
        if (!chip_.max_chips.unlimited() && f.chips > chip_.max_chips.value)
            v.push_back(fmt::format("needs {} chips but a {} system has at most {}", with_commas(f.chips),
                                    chip_.name,
                                    with_commas(static_cast<std::uint64_t>(chip_.max_chips.value))));
        return v;
    }

    const ChipProfile& chip_;
    const NetworkSpec& spec_;
    bool accounting_only_;
    bool accounts_ = true;
    const ChipMapper* owner_ = nullptr;
    std::vector<WeightQuantiser> quantisers_;
    double synapse_bits_ = 0.0, neuron_bits_ = 0.0, core_fixed_bits_ = 0.0;
    // Per projection: 0 static, else the number of traces its rule keeps (pair 1, triplet 2).
    std::vector<int> traces_;
    std::vector<std::uint64_t> plastic_count_;
    bool any_plastic_ = false;
    double plastic_state_bits_ = 0.0;
    std::uint64_t slots_ = 1; // input axon slots of a plastic source
    bool sized_ = false;      // memory grows with each source's synapses (axon blocks, rows)
    double block_synapses_ = 1, block_header_bits_ = 0, word_bits_ = 1, row_header_words_ = 0;
    // Per source neuron: which core last saw it, how many synapses there, how many cores it reaches.
    std::vector<std::uint32_t> stamp_, count_, out_cores_, core_of_;
    std::uint32_t core_uid_ = 1;
    std::uint64_t core_neurons_ = 0, core_axons_ = 0;
    double core_bits_ = 0.0;
    std::vector<double> levels_;
    std::vector<double> axon_bits_table_; // axon_bits(k) for small k
    double last_level_ = 0.0;
    std::uint64_t cores_ = 0, synapses_ = 0, total_axons_ = 0, fan_in_violations_ = 0,
                  delays_out_of_range_ = 0;
    double total_bits_ = 0.0, chip_bits_ = 0.0;
    std::uint64_t chip_cores_ = 0, chips_scope_chips_ = 0;
    std::map<std::string, std::uint64_t> reasons_, pop_reasons_, oversized_neurons_;
    std::vector<PopulationFootprint> pops_;
    double weight_err_sq_ = 0, weight_sq_ = 0, weight_max_rel_ = 0, delay_err_sq_ = 0, delay_sq_ = 0,
           delay_max_rel_ = 0;
};

// Chips that take a network layer by layer (hw/layer_footprint.hpp), not neuron by neuron.
bool layer_mapped(const ChipProfile& chip) {
    const EncodingKind k = chip.encoding.kind;
    return k == EncodingKind::dense_layer || k == EncodingKind::conv_layer ||
           k == EncodingKind::xylo_crossbar;
}

// Dense layers (Akida): each population is a fully connected layer over all its source populations.
ChipFootprint dense_footprint(const ChipProfile& chip, const NetworkSpec& spec) {
    ChipFootprint f;
    f.chip = chip.name;
    double bits_total = 0.0;
    for (const auto& pop : spec.populations) {
        std::vector<std::string> sources;
        for (const auto& pr : spec.projections)
            if (std::find(pr.targets.begin(), pr.targets.end(), pop.name) != pr.targets.end() &&
                std::find(sources.begin(), sources.end(), pr.source) == sources.end())
                sources.push_back(pr.source);
        std::uint64_t inputs = 0;
        for (const auto& s : sources) inputs += spec.find_population(s)->size;
        const double bits = static_cast<double>(inputs) * pop.size * chip.weight.bits;
        const auto cores = static_cast<std::uint64_t>(std::ceil(bits / chip.synaptic_memory_bits.value));
        bits_total += bits;
        f.cores += std::max<std::uint64_t>(cores, inputs ? 1 : 0);
        f.populations.push_back({pop.name, pop.size, cores, "synaptic memory per core (dense layer)", ""});
        if (inputs > chip.input_axons_per_core.value)
            f.violations.push_back(fmt::format(
                "population {}: {} inputs exceed the fully connected layer limit of {} on {}", pop.name,
                with_commas(inputs), with_commas(static_cast<std::uint64_t>(chip.input_axons_per_core.value)),
                chip.name));
    }
    f.chips = (f.cores + static_cast<std::uint64_t>(chip.cores_per_chip.value) - 1) /
              static_cast<std::uint64_t>(chip.cores_per_chip.value);
    f.synaptic_bytes = static_cast<std::uint64_t>(bits_total / 8);
    f.memory_utilisation = f.cores ? bits_total / (f.cores * chip.synaptic_memory_bits.value) : 0.0;
    f.binding_constraint = "synaptic memory per core (dense layer: inputs x outputs x weight bits)";
    if (f.chips > chip.max_chips.value)
        f.violations.push_back(fmt::format("needs {} chips but a {} system has at most {}",
                                           with_commas(f.chips), chip.name,
                                           with_commas(static_cast<std::uint64_t>(chip.max_chips.value))));
    return f;
}

// One generation task of a source-driven block: projection j's synapses from sources [begin, end).
struct SourceRange {
    std::size_t projection;
    std::uint64_t begin, end;
};

// A run of consecutive targets of one population, the unit the footprint streams through.
struct TargetBlock {
    std::size_t population;
    std::uint64_t first, last;
    bool starts_population;
    std::vector<std::size_t> incoming; // projections into the population, ascending by source id
    bool per_target;                   // every incoming rule can be generated one target at a time
    std::vector<SourceRange> ranges;   // generation tasks when not per_target, in source order
};

// One generated block: the synapses of each target together, sorted by source.
struct BlockBuffer {
    std::vector<std::vector<InSynapse>> chunks;                   // generation output, one per task
    std::vector<InSynapse> grouped;                               // source-driven blocks, by target
    std::vector<std::pair<const InSynapse*, std::size_t>> slices; // per target of the block
};

std::vector<TargetBlock> plan_blocks(const NetworkSpec& spec,
                                     const std::vector<ProjectionGenerator>& generators,
                                     const std::vector<std::uint64_t>& source_first,
                                     const FootprintOptions& options, int source_chunks) {
    std::vector<TargetBlock> blocks;
    for (std::size_t p = 0; p < spec.populations.size(); ++p) {
        const auto& pop = spec.populations[p];
        std::vector<std::size_t> incoming;
        bool per_target = true;
        double per_target_synapses = 0.0; // expected
        for (std::size_t j = 0; j < spec.projections.size(); ++j) {
            const auto& pr = spec.projections[j];
            if (std::find(pr.targets.begin(), pr.targets.end(), pop.name) == pr.targets.end()) continue;
            incoming.push_back(j);
            per_target = per_target && !generators[j].source_driven();
            per_target_synapses +=
                generators[j].expected_synapses() /
                static_cast<double>(std::max<std::uint64_t>(1, generators[j].target_size()));
        }
        std::sort(incoming.begin(), incoming.end(),
                  [&](std::size_t a, std::size_t b) { return source_first[a] < source_first[b]; });
        std::uint64_t width = options.block_targets;
        std::vector<SourceRange> ranges;
        if (!per_target) {
            width = std::max<std::uint64_t>(options.block_targets,
                                            static_cast<std::uint64_t>(options.source_driven_block_synapses /
                                                                       std::max(1.0, per_target_synapses)));
            // Source-driven projections split by source range; target-driven ones are one task each.
            for (const std::size_t j : incoming) {
                const std::uint64_t n = generators[j].source_size();
                const int parts = generators[j].source_driven() ? source_chunks : 1;
                for (int c = 0; c < parts; ++c)
                    ranges.push_back(
                        {j, n * static_cast<std::uint64_t>(c) / static_cast<std::uint64_t>(parts),
                         n * static_cast<std::uint64_t>(c + 1) / static_cast<std::uint64_t>(parts)});
            }
        }
        // Every population gets a block, even an empty one, so each chip sees it begin.
        std::uint64_t first = pop.first_id;
        do {
            const std::uint64_t last = std::min(first + width, pop.first_id + pop.size);
            blocks.push_back({p, first, last, first == pop.first_id, incoming, per_target, ranges});
            first = last;
        } while (first < pop.first_id + pop.size);
    }
    return blocks;
}

} // namespace

std::string describe(const PopulationFootprint& p, const std::string& chip) {
    if (!p.detail.empty()) return p.detail;
    return fmt::format("population {}: {} neurons need {} core{} on {}{}", p.population,
                       with_commas(p.neurons), with_commas(p.cores), p.cores == 1 ? "" : "s", chip,
                       p.binding.empty() || p.binding.starts_with("none") ? ""
                                                                          : " (bound by " + p.binding + ")");
}

FootprintReport compute_footprints(const NetworkSpec& spec, const std::vector<ChipProfile>& chips,
                                   const FootprintOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    FootprintReport report;
    std::vector<ProjectionGenerator> generators;
    bool delays_vary = false;
    for (const auto& pr : spec.projections) {
        generators.emplace_back(spec, pr);
        delays_vary = delays_vary || !pr.delay.is_constant();
    }
    if (spec.projections.size() > 1) {
        for (const auto& pr : spec.projections)
            if (pr.delay.is_constant() && pr.delay.value != spec.projections[0].delay.value)
                delays_vary = true;
    }
    std::vector<std::unique_ptr<ChipMapper>> mappers;
    const std::vector<ValueSpec> weights = projection_weight_specs(spec);
    for (const auto& chip : chips)
        mappers.push_back(std::make_unique<ChipMapper>(chip, spec, weights, delays_vary, layer_mapped(chip)));
    std::map<std::string, const ChipMapper*> accountant;
    for (std::size_t c = 0; c < chips.size(); ++c) {
        const auto [it, fresh] = accountant.emplace(ChipMapper::quantisation_key(chips[c]), mappers[c].get());
        if (!fresh) mappers[c]->share_accounting_with(it->second);
    }
    // nmsim's own table, as one partition: statistics only (observe), never the bits.
    std::vector<PackedTableBuilder> tables;
    std::vector<std::uint64_t> delay_counts; // synapses per delay in steps, for every chip's delay error
    for (const auto& gen : generators) tables.emplace_back(gen.source_size(), 0, spec.total_neurons());

    std::vector<std::uint64_t> source_first;
    for (const auto& pr : spec.projections) source_first.push_back(spec.find_population(pr.source)->first_id);
    const int threads = std::max(1, options.threads);
    // Generation tasks per target-driven block, and per source-driven projection: enough to
    // balance the threads.
    const int chunks = 4 * threads;
    const std::vector<TargetBlock> blocks = plan_blocks(spec, generators, source_first, options, chunks);
    std::size_t max_width = 0, max_tasks = static_cast<std::size_t>(chunks);
    for (const auto& b : blocks) {
        max_width = std::max<std::size_t>(max_width, b.last - b.first);
        max_tasks = std::max(max_tasks, b.ranges.size());
    }
    BlockBuffer buffers[3];
    for (auto& b : buffers) {
        b.chunks.resize(max_tasks);
        b.slices.resize(max_width);
    }
    auto by_source = [](const InSynapse& a, const InSynapse& b) {
        return a.source != b.source ? a.source < b.source : a.projection < b.projection;
    };
    auto emitter = [&](std::vector<InSynapse>& out, std::size_t j, std::uint64_t first) {
        return
            [&out, &source_first, j, first](std::uint64_t src, std::uint64_t t, double w, std::uint32_t d) {
                out.push_back({static_cast<std::uint32_t>(source_first[j] + src),
                               static_cast<std::uint32_t>(t - first), static_cast<float>(w),
                               static_cast<std::uint16_t>(d), static_cast<std::uint16_t>(j)});
            };
    };
    // Target-driven rules, one share of the block's targets: the output is grouped by target as it
    // comes; within a target, projections arrive in source order and most rules emit sources ascending.
    auto generate_chunk = [&](const TargetBlock& blk, int chunk, BlockBuffer& buf) {
        auto& out = buf.chunks[static_cast<std::size_t>(chunk)];
        out.clear();
        const std::uint64_t width = blk.last - blk.first;
        const std::uint64_t a = width * static_cast<std::uint64_t>(chunk) /
                                static_cast<std::uint64_t>(chunks),
                            b = width * static_cast<std::uint64_t>(chunk + 1) /
                                static_cast<std::uint64_t>(chunks);
        std::vector<std::size_t> starts;
        for (std::uint64_t i = a; i < b; ++i) {
            starts.push_back(out.size());
            for (const std::size_t j : blk.incoming)
                generators[j].generate(blk.first + i, blk.first + i + 1, emitter(out, j, blk.first));
            if (!std::is_sorted(out.begin() + static_cast<std::ptrdiff_t>(starts.back()), out.end(),
                                by_source))
                std::sort(out.begin() + static_cast<std::ptrdiff_t>(starts.back()), out.end(), by_source);
        }
        for (std::uint64_t i = a; i < b; ++i) {
            const std::size_t start = starts[i - a], end = i + 1 < b ? starts[i + 1 - a] : out.size();
            buf.slices[i] = {out.data() + start, end - start};
        }
    };
    // Source-driven blocks: one source range of one projection per task (a target-driven projection
    // into the same population is one task for the whole block) ...
    auto generate_range = [&](const TargetBlock& blk, int task, BlockBuffer& buf) {
        const SourceRange& r = blk.ranges[static_cast<std::size_t>(task)];
        auto& out = buf.chunks[static_cast<std::size_t>(task)];
        out.clear();
        if (generators[r.projection].source_driven())
            generators[r.projection].generate_from_sources(r.begin, r.end, blk.first, blk.last,
                                                           emitter(out, r.projection, blk.first));
        else
            generators[r.projection].generate(blk.first, blk.last, emitter(out, r.projection, blk.first));
    };
    // ... then grouped by target with a stable counting sort over the tasks in source order, so
    // each target's synapses come out sorted by source.
    auto group = [&](const TargetBlock& blk, BlockBuffer& buf) {
        const std::uint64_t width = blk.last - blk.first;
        std::vector<std::uint64_t> offsets(width + 1, 0);
        for (std::size_t t = 0; t < blk.ranges.size(); ++t)
            for (const auto& x : buf.chunks[t]) ++offsets[x.target + 1];
        for (std::uint64_t i = 0; i < width; ++i) offsets[i + 1] += offsets[i];
        buf.grouped.resize(offsets[width]);
        std::vector<std::uint64_t> cursor(offsets.begin(), offsets.end() - 1);
        for (std::size_t t = 0; t < blk.ranges.size(); ++t)
            for (const auto& x : buf.chunks[t]) buf.grouped[cursor[x.target]++] = x;
        for (std::uint64_t i = 0; i < width; ++i) {
            const auto lo = buf.grouped.begin() + static_cast<std::ptrdiff_t>(offsets[i]),
                       hi = buf.grouped.begin() + static_cast<std::ptrdiff_t>(offsets[i + 1]);
            if (!std::is_sorted(lo, hi, by_source)) std::sort(lo, hi, by_source);
            buf.slices[i] = {buf.grouped.data() + offsets[i], offsets[i + 1] - offsets[i]};
        }
    };
    // Every chip, and nmsim's own table statistics, consume the block's targets in order.
    const int consumers = static_cast<int>(mappers.size()) + 1;
    auto consume = [&](const TargetBlock& blk, int c, const BlockBuffer& buf) {
        const std::uint64_t width = blk.last - blk.first;
        if (c < static_cast<int>(mappers.size())) {
            if (blk.starts_population) mappers[c]->begin_population(blk.population);
            for (std::uint64_t i = 0; i < width; ++i)
                mappers[c]->add_neuron(blk.first + i, buf.slices[i].first, buf.slices[i].second);
            return;
        }
        for (std::uint64_t i = 0; i < width; ++i) {
            report.synapses += buf.slices[i].second;
            for (std::size_t k = 0; k < buf.slices[i].second; ++k) {
                const InSynapse& x = buf.slices[i].first[k];
                tables[x.projection].observe(x.source - source_first[x.projection], blk.first + i, x.weight,
                                             x.delay_steps);
                if (spec.projections[x.projection].latency_only) continue; // the chip's own latency
                if (x.delay_steps >= delay_counts.size()) delay_counts.resize(x.delay_steps + 1u, 0);
                ++delay_counts[x.delay_steps];
            }
        }
    };
    // A three-stage pipeline over three buffers: in phase k the chips consume block k - 2, block
    // k - 1 is grouped by target (source-driven blocks only) and block k is generated. All tasks of
    // a phase share one dynamic schedule, so the threads meet once per block instead of idling at a
    // barrier after each stage.
    const std::size_t n = blocks.size();
#pragma omp parallel num_threads(threads)
    for (std::size_t k = 0; k < n + 2; ++k) {
        const int grouping = k >= 1 && k - 1 < n && !blocks[k - 1].per_target ? 1 : 0;
        const int consuming = k >= 2 ? consumers : 0;
        const int generating = k >= n                 ? 0
                               : blocks[k].per_target ? chunks
                                                      : static_cast<int>(blocks[k].ranges.size());
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < grouping + consuming + generating; ++task) {
            if (task < grouping)
                group(blocks[k - 1], buffers[(k - 1) % 3]);
            else if (task < grouping + consuming)
                consume(blocks[k - 2], task - grouping, buffers[(k - 2) % 3]);
            else if (blocks[k].per_target)
                generate_chunk(blocks[k], task - grouping - consuming, buffers[k % 3]);
            else
                generate_range(blocks[k], task - grouping - consuming, buffers[k % 3]);
        }
    }
    for (auto& t : tables) {
        t.choose_widths();
        report.nmsim_table_bytes += t.estimated_bytes();
    }
    for (std::size_t c = 0; c < chips.size(); ++c) {
        ChipFootprint f = mappers[c]->finish(delay_counts);
        if (layer_mapped(chips[c])) {
            const EncodingKind k = chips[c].encoding.kind;
            ChipFootprint dense = k == EncodingKind::conv_layer      ? conv_layer_footprint(chips[c], spec)
                                  : k == EncodingKind::xylo_crossbar ? xylo_footprint(chips[c], spec)
                                                                     : dense_footprint(chips[c], spec);
            dense.synapses = f.synapses;
            dense.weight_rms_rel_error = f.weight_rms_rel_error;
            dense.weight_max_rel_error = f.weight_max_rel_error;
            dense.delay_rms_rel_error = f.delay_rms_rel_error;
            dense.delay_max_rel_error = f.delay_max_rel_error;
            dense.plastic_synapses = f.plastic_synapses;
            dense.plastic_state_bytes = f.plastic_state_bytes;
            dense.violations.insert(dense.violations.end(), f.violations.begin(), f.violations.end());
            f = std::move(dense);
        }
        report.chips.push_back(std::move(f));
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

} // namespace nmsim
