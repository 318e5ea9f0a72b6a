// The Brunel network against its known rates (cases in brunel_rates.yaml, as LAMMPS keeps its
// regression cases as data).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"

using namespace nmsim;

namespace {
struct RateCase {
    std::string name, config;
    std::vector<std::string> overrides;
    int threads;
    double rate, tolerance;
};

std::vector<RateCase> load_cases() {
    std::vector<RateCase> cases;
    for (const auto& n :
         YAML::LoadFile(std::string(NMSIM_SOURCE_DIR) + "/tests/validation/brunel_rates.yaml"))
        cases.push_back({n["name"].as<std::string>(), n["config"].as<std::string>(),
                         n["set"].as<std::vector<std::string>>(), n["threads"].as<int>(),
                         n["rate_hz"].as<double>(), n["tolerance_hz"].as<double>()});
    return cases;
}
} // namespace

class BrunelRate : public ::testing::TestWithParam<RateCase> {};

TEST_P(BrunelRate, MeanRateMatchesPeers) {
    const RateCase& c = GetParam();
    const NetworkSpec spec = load_config(std::string(NMSIM_SOURCE_DIR) + "/" + c.config, c.overrides);
    BuiltNetwork net = build_network(spec, c.threads);
    const RunResult r = simulate(net);
    const auto rates = population_rates(spec, r);
    double weighted = 0;
    for (std::size_t i = 0; i < rates.size(); ++i) weighted += rates[i] * spec.populations[i].size;
    const double mean = weighted / spec.total_neurons();
    EXPECT_NEAR(mean, c.rate, c.tolerance) << c.name;
    // Asynchronous irregular: E and I fire alike (same inputs, same model).
    EXPECT_NEAR(rates[0], rates[1], 0.05 * mean);
}

INSTANTIATE_TEST_SUITE_P(Cases, BrunelRate, ::testing::ValuesIn(load_cases()),
                         [](const auto& param_info) { return param_info.param.name; });
