// The one place that decides, per population, whether its neurons advance every step (clock) or only
// when something reaches them (event), and why (docs/engine.md).
#pragma once
#include <string>
#include <vector>

#include "sim/build/network_builder.hpp"

namespace nmsim {

struct PopulationEngine {
    EngineMode mode = EngineMode::clock; // clock or event
    std::string reason;
    double expected_touches = 0.0; // per neuron and step, the estimate `auto` compared
};

// `auto` runs a population in event mode when a neuron is expected to be reached in fewer than this
// fraction of steps (advancing a touched neuron costs several clock updates: docs/engine.md).
inline constexpr double event_touch_fraction = 0.2;
// What `auto` assumes of a spiking population's rate before it has run (Hz).
inline constexpr double assumed_rate_hz = 10.0;

std::vector<PopulationEngine> choose_engines(const BuiltNetwork& net);

const char* to_string(EngineMode mode);

} // namespace nmsim
