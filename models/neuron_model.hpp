// The interface between the engine and neuron models: a model describes its parameters and state
// (for validation and recording) and updates a contiguous range of neurons per time step.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace nmsim {

struct ParamInfo {
    std::string name;
    double default_value;
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool min_exclusive = false; // e.g. time constants must be > 0
    std::string unit;
    bool integer = false; // register values of fixed-point models
};

// Input to one step of a neuron range. Synaptic input arrives in `channels` ring-buffer slices
// (channel 0: excitatory / all, channel 1: inhibitory), indexed from the first neuron of the
// range; the model consumes and zeroes them. `current` is the external current (nA) per neuron.
struct StepInput {
    double* syn[2];
    const double* current;
    int channels;           // how many syn slices the network delivers into (1 or 2)
    std::uint64_t step = 0; // the step being computed (spike sources key their draws by it)
};

// Takes neuron k's input from channel c and zeroes it (the ring slot is reused D steps later).
inline double take_input(const StepInput& in, int channel, std::uint64_t k) {
    if (channel >= in.channels) return 0.0;
    const double v = in.syn[channel][k];
    in.syn[channel][k] = 0.0;
    return v;
}
// Both channels summed, for models with a single synaptic input.
inline double take_total_input(const StepInput& in, std::uint64_t k) {
    return take_input(in, 0, k) + take_input(in, 1, k);
}

// State of one population; update() is called once per step per thread on disjoint ranges.
class NeuronGroup {
public:
    virtual ~NeuronGroup() = default;
    // Advance neurons [begin, end) (population-local ids) by one step; append local ids that spiked.
    virtual void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                        std::vector<std::uint32_t>& spiked) = 0;
    virtual double get(int variable, std::uint64_t i) const = 0;
    virtual void set(int variable, std::uint64_t i, double value) = 0;
    // After creation, the population the group is (spike sources need its ids, seed and spike times).
    virtual void bind(const struct PopulationSpec&, std::uint64_t /*seed*/) {}

    // Event mode (docs/engine.md): a neuron is advanced only at the steps where something reaches it,
    // the steps in between in closed form. "" if this group can run so, else why not.
    virtual std::string event_blocker() const { return "the model has no closed form between inputs"; }
    // Called once before an event-mode run, before any thread touches the group (per-neuron clocks).
    virtual void begin_event_mode() { throw std::logic_error("begin_event_mode: " + event_blocker()); }
    // Event mode: advances the listed neurons (local ids, ascending) through step `in.step`: the steps
    // since each was last advanced without input, then this step exactly as update() would. Input
    // slices are indexed by id - base. Neurons that must be advanced at the next step whatever
    // arrives (their potential may still be rising) are appended to `active`.
    virtual void update_touched(std::span<const std::uint32_t> /*ids*/, std::uint64_t /*base*/,
                                const StepInput& /*in*/, std::vector<std::uint32_t>& /*spiked*/,
                                std::vector<std::uint32_t>& /*active*/) {
        throw std::logic_error("update_touched: " + event_blocker());
    }
    // Event mode: brings neuron i to its state at the start of `step` (before it is read).
    virtual void catch_up(std::uint64_t /*i*/, std::uint64_t /*step*/) {
        throw std::logic_error("catch_up: " + event_blocker());
    }
};

struct ModelInfo {
    std::string name;
    std::string description;
    std::vector<ParamInfo> params;
    std::vector<std::string> state_variables; // recordable and initialisable, in index order
    std::vector<std::string> state_units;     // of each state variable, as reports write them
    int channels = 1;                         // input channels the model reads (1 or 2)
    // Named receptor ports and the channel each feeds (PyNN's receptor_type): projections and
    // stimuli name one; several may share a channel (a delta synapse sums all into v).
    std::vector<std::pair<std::string, int>> receptors;
    // Creates a group of n neurons with complete parameters (defaults filled) and time step dt (ms).
    std::unique_ptr<NeuronGroup> (*create)(std::uint64_t n, const std::map<std::string, double>& params,
                                           double dt);
    // Default initial value of each state variable given the parameters (before `initial:` draws).
    double (*default_initial)(int variable, const std::map<std::string, double>& params);

    int variable_index(const std::string& var) const {
        for (std::size_t i = 0; i < state_variables.size(); ++i)
            if (state_variables[i] == var) return static_cast<int>(i);
        return -1;
    }
    int receptor_channel(const std::string& receptor) const {
        for (const auto& [r, c] : receptors)
            if (r == receptor) return c;
        return -1;
    }
    const ParamInfo* param(const std::string& p) const {
        for (const auto& info : params)
            if (info.name == p) return &info;
        return nullptr;
    }
};

// All models known to nmsim; adding a model is one line in models/model_registry.cpp.
const std::vector<const ModelInfo*>& model_registry();
const ModelInfo* find_model(const std::string& name);

// Steps of a refractory period, rounded as NEST does.
std::uint32_t refractory_steps(double tau_refrac, double dt);

} // namespace nmsim
