// NetworkSpec: the plain-data description of a network and a run, produced by sim/config and
// consumed by the builder, the engine, the hardware mapper and the sweep runner. No behaviour here.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nmsim {

struct ConvConnector; // sim/build/conv_connector.hpp

// A scalar value drawn per synapse (or per neuron): a constant or one of a few distributions.
// Distribution draws are rounded to float32 so packed tables can store them losslessly.
struct ValueSpec {
    enum class Kind { constant, uniform, normal, lognormal };
    Kind kind = Kind::constant;
    double value = 0.0;  // constant
    double a = 0.0;      // uniform: low;  normal: mean; lognormal: mu (of log)
    double b = 0.0;      // uniform: high; normal: std;  lognormal: sigma (of log)
    double min = -1e300; // normal/lognormal: redraw outside [min, max]
    double max = 1e300;

    static ValueSpec constant_of(double v) {
        ValueSpec s;
        s.value = v;
        return s;
    }
    bool is_constant() const { return kind == Kind::constant; }
};

struct PopulationSpec {
    std::string name;
    std::uint64_t size = 0;
    std::string model;
    std::map<std::string, double> params; // complete: defaults filled in by the loader
    // Parameters given per neuron (a list of `size` values); `params` then holds neuron 0's value.
    std::map<std::string, std::vector<double>> param_arrays;
    std::map<std::string, ValueSpec> initial; // state variable -> initial value (per neuron draw)
    std::map<std::string, std::vector<double>> initial_arrays; // state variable -> value per neuron
    std::uint64_t first_id = 0; // global id of neuron 0 (populations are contiguous)
    std::uint32_t index = 0;    // position in NetworkSpec::populations; keys RNG streams
    // spike_source_array: spike times (ms) per neuron, or one list for every neuron
    std::vector<std::vector<double>> spike_times;
    std::vector<double> positions; // x, y, z per neuron (distance_dependent connectors); empty: none
};

enum class ConnectorRule {
    fixed_indegree,
    fixed_outdegree,
    fixed_total_number,
    pairwise_bernoulli,
    one_to_one,
    all_to_all,
    from_file,
    distance_dependent,
    conv // a convolution / pooling kernel shared by all sources (NIR graphs); sim/build/conv_connector.hpp
};

// One synapse of an edge list given in memory (graph importers): source and target local ids (the
// target indexing the listed targets in order), weight, delay in ms.
struct ListedEdge {
    std::uint64_t source = 0, target = 0;
    double weight = 0.0, delay_ms = 0.0;
};

struct ConnectorSpec {
    ConnectorRule rule = ConnectorRule::all_to_all;
    std::uint64_t degree = 0; // indegree, outdegree, or the total number (fixed_total_number)
    double probability = 0.0; // pairwise_bernoulli
    bool allow_autapses = true;
    bool allow_multapses = true;
    std::string file;  // from_file: CSV "source,target[,weight,delay]" (ids local to the populations), or .h5
    std::string edges; // from_file .h5: the SONATA edges group (default: the projection's name)
    // distance_dependent: p(d) over the populations' positions, PyNN's Space around it
    std::string distance_p;         // muparser expression in d (and vars)
    std::array<double, 3> period{}; // periodic box length per axis, 0: open
    std::array<bool, 3> axes{true, true, true};
    double scale_factor = 1.0, offset = 0.0; // applied to the target positions, as PyNN's Space
    // from_file with the edges in memory (`file` then only names their origin in messages)
    std::shared_ptr<const std::vector<ListedEdge>> edge_list;
    std::shared_ptr<const ConvConnector> conv; // conv
};

// How a projection's synapses are held, the memory/speed ladder (docs/storage.md):
// packed              every field at the width its data needs, exact;
// procedural_weights  weights and delays drawn from distributions are not stored but regenerated at
//                     delivery from the same keyed streams: same spikes, targets only in memory;
// procedural          nothing per synapse: a spiking source's row is regenerated at delivery;
// quantised           weights on a grid of 2^bits levels over the projection's range (lossy, reported);
// automatic           the least memory among the exact rungs whose predicted delivery cost is within
//                     simulation.storage_budget times packed's (and less, if memory is short).
enum class StorageKind : std::uint8_t { automatic, packed, procedural_weights, procedural, quantised };

struct StorageSpec {
    StorageKind kind = StorageKind::automatic;
    unsigned bits = 0; // quantised
};

// Spike-timing-dependent plasticity of a projection (synapse.plasticity; docs/plasticity.md), with the
// semantics of NEST's stdp_synapse and PyNN's STDPMechanism: pair-based traces, delays dendritic.
struct PlasticitySpec {
    enum class Pairing : std::uint8_t { all_to_all, nearest };
    enum class Dependence : std::uint8_t { additive, multiplicative };
    // pair: stdp_synapse (PyNN's SpikePairRule); triplet: Pfister & Gerstner (2006), as NEST's
    // stdp_triplet_synapse (additive, amplitudes in weight units, not scaled by w_max).
    enum class Rule : std::uint8_t { pair, triplet };
    bool enabled = false;
    Rule rule = Rule::pair;
    Pairing pairing = Pairing::all_to_all;
    Dependence dependence = Dependence::additive;
    double tau_plus = 20.0, tau_minus = 20.0;   // ms
    double a_plus = 0.01, a_minus = 0.012;      // PyNN's A_plus, A_minus
    double tau_x = 101.0, tau_y = 125.0;        // triplet: the slow pre (r2) and post (o2) traces, ms
    double a3_plus = 6.2e-3, a3_minus = 2.3e-4; // triplet: A3+, A3- (A_plus, A_minus are A2+, A2-)
    double w_min = 0.0, w_max = 1.0;
    unsigned weight_bits = 16;        // the stored weight: a level of 2^bits - 1 steps over [w_min, w_max]
    bool stochastic_rounding = false; // else to nearest (ties to even)
};

struct ProjectionSpec {
    std::string name;
    std::uint32_t index = 0;          // position in NetworkSpec::projections; keys the RNG streams
    std::string source;               // population name
    std::vector<std::string> targets; // population names
    ConnectorSpec connector;
    ValueSpec weight;     // mV for delta synapses, nA for current synapses
    ValueSpec delay;      // ms
    StorageSpec storage;  // synapse.storage, else simulation.storage
    std::string receptor; // synapse.receptor (a port of every target model); empty: by the weight's sign
    // The delay is only the one step every edge of an imported graph takes (NIR), not a programmed
    // synaptic delay: chip footprints and chip runs map it to the chip's own minimum latency.
    bool latency_only = false;
    // Into loihi_lif: Lava's Dense. Weights are clipped to 8 bits and truncated to num_weight_bits as
    // Dense does (sign mode from the weights); dense_weight_exp (synapse.weight_exp, set: > -99) is the
    // shift of this projection's own accumulator (a port of the target, assigned by the loader).
    int dense_weight_exp = -99;
    int num_weight_bits = 8;
    PlasticitySpec plasticity;
};

struct StimulusSpec {
    // poisson and spike_array inject spikes; dc, step, ac and noisy inject currents (nA)
    enum class Kind { poisson, dc, spike_array, step, ac, noisy };
    std::string name;
    std::uint32_t index = 0;
    Kind kind = Kind::poisson;
    std::vector<std::string> targets;
    double rate_hz = 0.0;                              // poisson
    double weight = 0.0;                               // poisson, spike_array
    double amplitude = 0.0;                            // dc (nA)
    double start = 0.0;                                // ms, all kinds (poisson, dc)
    double stop = 1e300;                               // ms
    std::vector<double> times;                         // spike_array, step: ms
    std::vector<double> amplitudes;                    // step: nA from each time on
    double offset = 0.0, frequency = 0.0, phase = 0.0; // ac: nA, Hz, degrees (t counted from start)
    double mean = 0.0, stdev = 0.0, interval = 0.0;    // noisy: nA, nA, ms (a new draw per interval)
    std::string receptor;                              // poisson, spike_array; empty: by the weight's sign
    // Only these neurons (indices over the listed targets in order, ascending); empty: all of them.
    std::vector<std::uint64_t> ids;
};

struct RecorderSpec {
    enum class Kind { spikes, state, weights };
    std::string name;
    Kind kind = Kind::spikes;
    std::vector<std::string> populations; // spikes
    std::string population;               // state
    std::string variable;                 // state
    std::vector<std::uint64_t> ids;       // state: local ids within population
    double interval = 0.0;                // state, ms
    std::string projection;               // weights: its synapses as SONATA edges
};

// How neurons advance (docs/engine.md): `clock`, every neuron every step; `event`, a neuron only at the
// steps where something reaches it (where its model allows); `automatic`, per population from the
// expected work.
enum class EngineMode : std::uint8_t { automatic, clock, event };

struct SimulationSpec {
    double duration = 1000.0; // ms
    double dt = 0.1;          // ms
    std::uint64_t seed = 1;
    int threads = 1;
    StorageSpec storage;         // default for projections without synapse.storage
    double storage_budget = 2.0; // automatic storage: largest delivery cost relative to packed
    EngineMode engine = EngineMode::automatic;
};

struct NetworkSpec {
    std::string source_file; // config path, for messages and provenance
    std::string config_text; // the YAML after --set overrides, for provenance
    std::map<std::string, double> vars;
    SimulationSpec simulation;
    std::vector<PopulationSpec> populations;
    std::vector<ProjectionSpec> projections;
    std::vector<StimulusSpec> stimuli;
    std::vector<RecorderSpec> recorders;
    std::string output_path;

    const PopulationSpec* find_population(const std::string& name) const {
        for (const auto& p : populations)
            if (p.name == name) return &p;
        return nullptr;
    }
    std::uint64_t total_neurons() const {
        std::uint64_t n = 0;
        for (const auto& p : populations) n += p.size;
        return n;
    }
};

} // namespace nmsim
