// Sweep files: strict validation, expansion (grid, zip, random, repeats), derived seeds, metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "sim/spec/errors.hpp"
#include "sim/sweep/sweep_spec.hpp"

using namespace nmsim;
namespace fs = std::filesystem;

namespace {

fs::path dir() {
    const auto d = fs::temp_directory_path() / "nmsim_sweep_spec";
    fs::create_directories(d);
    std::ofstream(d / "base.yaml") << "nmsim: 1\nvars: {g: 5.0, eta: 2.0}\nsimulation: {seed: 42}\n"
                                      "populations: {E: {size: 10, model: lif_delta}}\n";
    return d;
}

std::string write(const std::string& text) {
    const auto p = dir() / "s.yaml";
    std::ofstream(p) << text;
    return p.string();
}

ConfigError error_of(const std::string& text) {
    try {
        load_sweep(write(text));
    } catch (const ConfigError& e) {
        return e;
    }
    ADD_FAILURE() << "accepted: " << text;
    return ConfigError("", 0, 0, "", "");
}

} // namespace

TEST(SweepSpec, GridIsCartesianWithRepeatsInnermost) {
    const SweepSpec s =
        load_sweep(write("sweep: 1\nbase: base.yaml\ngrid: {vars.g: [3, 4, 5], vars.eta: [1, 2]}\n"
                         "repeats: 2\noutput: o\n"));
    const auto pts = expand_sweep(s, 42);
    ASSERT_EQ(pts.size(), 12u);
    EXPECT_EQ(pts[0].overrides(), (std::vector<std::string>{"vars.g=3", "vars.eta=1"}));
    EXPECT_EQ(pts[1].overrides(), pts[0].overrides()); // repeat 1 of the same values
    EXPECT_EQ(pts[1].repeat, 1u);
    EXPECT_EQ(pts[2].overrides(), (std::vector<std::string>{"vars.g=3", "vars.eta=2"}));
    EXPECT_EQ(pts[11].overrides(), (std::vector<std::string>{"vars.g=5", "vars.eta=2"}));
    EXPECT_EQ(pts[5].id, "000005");
    std::set<std::uint64_t> seeds;
    for (const auto& p : pts) seeds.insert(p.seed);
    EXPECT_EQ(seeds.size(), 12u) << "seeds differ by point and repeat";
    EXPECT_EQ(expand_sweep(s, 42)[7].seed, pts[7].seed) << "seeds are reproducible";
    EXPECT_NE(expand_sweep(s, 43)[7].seed, pts[7].seed) << "seeds follow the base seed";
}

TEST(SweepSpec, ZipPairsAndRandomSamples) {
    const SweepSpec z =
        load_sweep(write("sweep: 1\nbase: base.yaml\nzip: {vars.g: [3, 4], vars.eta: [1, 2]}\noutput: o\n"));
    const auto pz = expand_sweep(z, 1);
    ASSERT_EQ(pz.size(), 2u);
    EXPECT_EQ(pz[1].overrides(), (std::vector<std::string>{"vars.g=4", "vars.eta=2"}));
    const SweepSpec r =
        load_sweep(write("sweep: 1\nbase: base.yaml\nrandom: {n: 200, seed: 9, ranges: "
                         "{vars.g: {uniform: [3, 6]}, vars.eta: {log_uniform: [0.5, 8]}}}\noutput: o\n"));
    const auto pr = expand_sweep(r, 1);
    ASSERT_EQ(pr.size(), 200u);
    double log_sum = 0;
    for (const auto& p : pr) {
        const double g = std::stod(p.values[0].second), eta = std::stod(p.values[1].second);
        EXPECT_GE(g, 3.0);
        EXPECT_LT(g, 6.0);
        EXPECT_GE(eta, 0.5);
        EXPECT_LT(eta, 8.0);
        log_sum += std::log2(eta);
    }
    EXPECT_NEAR(log_sum / 200, 1.0, 0.25); // log-uniform on [2^-1, 2^3]: mean of log2 is 1
    EXPECT_EQ(expand_sweep(r, 1)[17].values, pr[17].values) << "random samples are reproducible";
}

TEST(SweepSpec, HashCoversSweepAndBase) {
    const std::string path = write("sweep: 1\nbase: base.yaml\ngrid: {vars.g: [3]}\noutput: o\n");
    const std::string h1 = load_sweep(path).hash;
    std::ofstream(dir() / "base.yaml", std::ios::app) << "# changed\n";
    EXPECT_NE(load_sweep(path).hash, h1);
}

TEST(SweepSpec, EveryKeyIsValidated) {
    struct Case {
        std::string text, key, words;
    };
    const std::string head = "sweep: 1\nbase: base.yaml\n";
    const std::vector<Case> cases = {
        {"sweep: 2\nbase: base.yaml\ngrid: {vars.g: [1]}\noutput: o\n", "sweep", "version"},
        {"sweep: 1\nbase: nowhere.yaml\ngrid: {vars.g: [1]}\noutput: o\n", "base", "no such config"},
        {head + "grid: {vars.g: []}\noutput: o\n", "grid.vars.g", "non-empty list"},
        {head + "grid: {vars.g: [[1, 2]]}\noutput: o\n", "grid.vars.g[0]", "single value"},
        {head + "zip: {vars.g: [1, 2], vars.eta: [1]}\noutput: o\n", "zip.vars.eta", "pair up"},
        {head + "random: {n: 0, ranges: {vars.g: {uniform: [1, 2]}}}\noutput: o\n", "random.n",
         "whole number"},
        {head + "random: {n: 3, ranges: {vars.g: {normal: [1, 2]}}}\noutput: o\n",
         "random.ranges.vars.g.normal", "unknown key"},
        {head + "random: {n: 3, ranges: {vars.g: {log_uniform: [0, 2]}}}\noutput: o\n",
         "random.ranges.vars.g.log_uniform", "low > 0"},
        {head + "random: {n: 3, seed: -1, ranges: {vars.g: {uniform: [1, 2]}}}\noutput: o\n", "random.seed",
         "whole number"},
        {head + "grid: {vars.g: [1]}\nrandom: {n: 2, ranges: {vars.g: {uniform: [1, 2]}}}\noutput: o\n",
         "vars.g", "swept twice"},
        {head + "grid: {vars.g: [1]}\nrepeats: 0\noutput: o\n", "repeats", "whole number"},
        {head + "grid: {vars.g: [1]}\nset: [a]\noutput: o\n", "set", "must map"},
        {head + "grid: {vars.g: [1]}\nmetrics: [power]\noutput: o\n", "metrics[0]", "unknown metric"},
        {head + "grid: {vars.g: [1]}\n", "output", "required"},
        {head + "output: o\n", "grid", "at least one of"},
        {head + "grid: {vars.g: [1]}\noutput: o\njobs: 3\n", "jobs", "unknown key"},
    };
    for (const auto& c : cases) {
        const ConfigError e = error_of(c.text);
        EXPECT_EQ(e.key_path, c.key) << e.what();
        EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("s.yaml"), std::string::npos) << e.what();
    }
}
