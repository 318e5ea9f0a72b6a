// Spike sources as populations (PyNN SpikeSourcePoisson, SpikeSourceArray): they emit spikes that
// projections carry with their own weights, delays and connectors; equations in spike_sources.cpp.
#pragma once
#include "models/neuron_model.hpp"

namespace nmsim {
extern const ModelInfo spike_source_poisson_model;
extern const ModelInfo spike_source_array_model;
} // namespace nmsim
