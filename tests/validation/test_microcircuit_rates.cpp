// The Potjans-Diesmann microcircuit at full scale against NEST's published population rates
// (bands and sources in microcircuit_rates.yaml). About 40 s on 2 threads.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"

using namespace nmsim;

TEST(Microcircuit, FullScaleRatesWithinNestsPublishedBands) {
    const YAML::Node data =
        YAML::LoadFile(std::string(NMSIM_SOURCE_DIR) + "/tests/validation/microcircuit_rates.yaml");
    const NetworkSpec spec =
        load_config(std::string(NMSIM_SOURCE_DIR) + "/" + data["config"].as<std::string>(),
                    data["set"].as<std::vector<std::string>>());
    ASSERT_EQ(spec.total_neurons(), 77169u);
    BuiltNetwork net = build_network(spec, data["threads"].as<int>());
    EXPECT_EQ(net.tables.synapses, 298880968u) << "K = ln(1 - C) / ln((NN - 1) / NN), as NEST's example";
    const RunResult r = simulate(net);
    const auto window = data["window_ms"].as<std::vector<double>>();
    for (const auto& kv : data["populations"]) {
        const std::string pop = kv.first.as<std::string>();
        const auto published = kv.second["published"].as<std::vector<double>>();
        const double widen = kv.second["widen"].as<double>();
        const SpikeRecord& rec = r.spikes.at(pop);
        const auto n = std::count_if(rec.times_ms.begin(), rec.times_ms.end(),
                                     [&](double t) { return t > window[0] && t <= window[1]; });
        const double rate =
            static_cast<double>(n) / spec.find_population(pop)->size / ((window[1] - window[0]) * 1e-3);
        const double lo = *std::min_element(published.begin(), published.end()) * (1 - widen);
        const double hi = *std::max_element(published.begin(), published.end()) * (1 + widen);
        EXPECT_GE(rate, lo) << pop;
        EXPECT_LE(rate, hi) << pop;
        std::printf("%-5s %6.3f Hz  (NEST band %.3f - %.3f)\n", pop.c_str(), rate, lo, hi);
    }
}
