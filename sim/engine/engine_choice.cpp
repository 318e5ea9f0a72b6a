#include "sim/engine/engine_choice.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace nmsim {
namespace {

// Spikes per second of one neuron of population `pop`, as far as it is known before the run.
double expected_rate_hz(const NetworkSpec& spec, const PopulationSpec& pop) {
    if (pop.model == "spike_source_poisson") return pop.params.at("rate");
    if (pop.model == "spike_source_array") {
        double spikes = 0;
        for (const auto& times : pop.spike_times) spikes += static_cast<double>(times.size());
        if (pop.spike_times.size() == 1) spikes *= static_cast<double>(pop.size);
        return spikes / static_cast<double>(pop.size) / (spec.simulation.duration * 1e-3);
    }
    return assumed_rate_hz;
}

bool targets(const std::vector<std::string>& names, const std::string& pop) {
    return std::find(names.begin(), names.end(), pop) != names.end();
}

// Expected arrivals per neuron of population i and step: from stimuli (known) and synapses (`from_synapses`,
// source rates partly assumed).
double expected_arrivals(const BuiltNetwork& net, std::size_t i, bool from_synapses) {
    const NetworkSpec& spec = *net.spec;
    const PopulationSpec& pop = spec.populations[i];
    const double dt_s = spec.simulation.dt * 1e-3, steps = spec.simulation.duration / spec.simulation.dt;
    double arrivals = 0.0;
    for (std::size_t j = 0; j < spec.projections.size() && from_synapses; ++j) {
        const ProjectionSpec& pr = spec.projections[j];
        if (!targets(pr.targets, pop.name)) continue;
        double target_neurons = 0;
        for (const auto& name : pr.targets)
            target_neurons += static_cast<double>(spec.find_population(name)->size);
        const double indegree = net.generators[j].expected_synapses() / target_neurons;
        arrivals += indegree * expected_rate_hz(spec, *spec.find_population(pr.source)) * dt_s;
    }
    for (const auto& st : spec.stimuli) {
        if (!targets(st.targets, pop.name)) continue;
        if (st.kind == StimulusSpec::Kind::poisson) arrivals += st.rate_hz * dt_s;
        if (st.kind == StimulusSpec::Kind::spike_array)
            arrivals += static_cast<double>(st.times.size()) / steps;
    }
    return arrivals;
}

} // namespace

const char* to_string(EngineMode mode) {
    switch (mode) {
    case EngineMode::clock:
        return "clock";
    case EngineMode::event:
        return "event";
    default:
        return "auto";
    }
}

std::vector<PopulationEngine> choose_engines(const BuiltNetwork& net) {
    const NetworkSpec& spec = *net.spec;
    const EngineMode asked = spec.simulation.engine;
    const double steps = spec.simulation.duration / spec.simulation.dt;
    std::vector<PopulationEngine> out(spec.populations.size());
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        const PopulationSpec& pop = spec.populations[i];
        PopulationEngine& e = out[i];
        // The chance that a neuron is reached in a given step, arrivals being Poisson.
        e.expected_touches = -std::expm1(-expected_arrivals(net, i, true));
        const double by_stimuli = -std::expm1(-expected_arrivals(net, i, false));
        if (asked == EngineMode::clock) {
            e.reason = "simulation.engine: clock";
            continue;
        }
        std::string blocker = net.groups[i]->event_blocker();
        if (blocker.empty() && steps >= 4294967296.0) blocker = "event mode counts steps in 32 bits";
        for (const auto& st : spec.stimuli) {
            const bool current =
                st.kind != StimulusSpec::Kind::poisson && st.kind != StimulusSpec::Kind::spike_array &&
                !(st.kind == StimulusSpec::Kind::dc && st.amplitude == 0.0); // a switched-off DC
            if (blocker.empty() && current && targets(st.targets, pop.name))
                blocker = "current source '" + st.name + "' drives it without input";
        }
        if (!blocker.empty()) {
            e.reason = blocker;
            continue;
        }
        if (asked == EngineMode::event) {
            e.mode = EngineMode::event;
            e.reason = "simulation.engine: event";
        } else if (by_stimuli >= event_touch_fraction) { // certain: stimuli alone reach it this often
            e.reason = fmt::format("auto: its stimuli alone reach a neuron in {} or more of the steps",
                                   event_touch_fraction);
        } else { // the rest depends on rates nobody knows yet: try event mode and measure
            e.mode = EngineMode::event;
            e.provisional = true;
            e.reason = "auto: estimated from the network (run too short to measure)";
        }
    }
    return out;
}

bool keep_event_mode(PopulationEngine& e, double measured_touches, std::uint64_t window) {
    e.measured_touches = measured_touches;
    e.provisional = false;
    const bool keep = measured_touches < event_touch_fraction;
    e.reason =
        keep ? fmt::format("auto: a neuron was reached in fewer than {} of the first {} steps",
                           event_touch_fraction, window)
             : fmt::format(
                   "auto: a neuron was reached in {} or more of the first {} steps; clock from there on",
                   event_touch_fraction, window);
    if (!keep) e.mode = EngineMode::clock;
    return keep;
}

} // namespace nmsim
