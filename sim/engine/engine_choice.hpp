// The one place that decides, per population, whether its neurons advance every step (clock) or only
// when something reaches them (event), and why (docs/engine.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/build/network_builder.hpp"

namespace nmsim {

struct PopulationEngine {
    EngineMode mode = EngineMode::clock; // clock or event
    std::string reason;                  // the same for populations chosen alike (the CLI groups by it)
    double expected_touches = 0.0;       // per neuron and step, estimated before the run
    // auto's event-mode populations are provisional: the engine measures how often their neurons are
    // reached in the first auto_window steps and moves them to the clock above event_touch_fraction.
    bool provisional = false;
    double measured_touches = -1.0; // per neuron and step over the window (-1: not measured)
};

// Event mode pays when a neuron is reached in fewer than this fraction of steps: advancing a touched
// neuron is a scattered access, ~15-25x a vectorised clock update (docs/performance.md).
inline constexpr double event_touch_fraction = 0.05;
// The steps over which auto measures its provisional populations (or a tenth of the run if shorter).
inline constexpr std::uint64_t auto_window = 1000;
// What the estimate assumes of a spiking population's rate before it has run (Hz).
inline constexpr double assumed_rate_hz = 10.0;

std::vector<PopulationEngine> choose_engines(const BuiltNetwork& net);

// After the window: whether a provisional population stays in event mode, with the reason updated.
bool keep_event_mode(PopulationEngine& e, double measured_touches, std::uint64_t window);

const char* to_string(EngineMode mode);

} // namespace nmsim
