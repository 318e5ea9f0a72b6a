// Strict config validation: every key has a negative case; messages name file:line:col and the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/config/config_loader.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

const char* base_config = R"(nmsim: 1
vars: {J: 0.1, g: 5.0, CE: 20}
simulation: {duration: 100.0, dt: 0.1, seed: 7, threads: 2}
populations:
  E: {size: 80, model: lif_delta, params: {tau_m: 20.0, v_thresh: 20.0, v_reset: 10.0, v_rest: 0.0},
      initial: {v: {uniform: [0.0, 20.0]}}}
  I: {size: 20, model: lif_exp, params: {tau_syn_E: 2.0}}
projections:
  EE: {source: E, target: [E, I], connector: {rule: fixed_indegree, indegree: CE}, synapse: {weight: J, delay: 1.5}}
  IE: {source: I, target: E, connector: {rule: pairwise_bernoulli, p: 0.1},
       synapse: {weight: {normal: {mean: -0.5, std: 0.1, max: 0.0}}, delay: {uniform: [1.0, 2.0]}}}
stimuli:
  drive: {type: poisson, target: [E, I], rate: 8000.0, weight: J}
  dc: {type: dc, target: I, amplitude: 0.1, start: 10.0, stop: 50.0}
  kick: {type: spike_array, target: E, times: [5.0, 10.0], weight: 1.0}
recorders:
  spikes: {type: spikes, populations: [E, I]}
  vm: {type: state, population: E, variable: v, ids: [0, 1], interval: 0.5}
output: {path: out/test.h5}
)";

ConfigError expect_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
        load_config_text(text, "cfg.yaml", overrides);
    } catch (const ConfigError& e) {
        return e;
    }
    ADD_FAILURE() << "no ConfigError";
    return ConfigError("", 0, 0, "", "");
}

struct NegativeCase {
    std::string set;      // --set override that breaks one key
    std::string key_path; // the key the message must name
    std::string words;    // a phrase the message must contain
};

} // namespace

TEST(Config, BaseConfigLoads) {
    const NetworkSpec s = load_config_text(base_config, "cfg.yaml");
    EXPECT_EQ(s.total_neurons(), 100u);
    EXPECT_EQ(s.projections[0].connector.degree, 20u);
    EXPECT_DOUBLE_EQ(s.projections[0].weight.value, 0.1);
    EXPECT_EQ(s.populations[1].first_id, 80u);
    EXPECT_DOUBLE_EQ(s.populations[1].params.at("tau_syn_E"), 2.0);
    EXPECT_DOUBLE_EQ(s.populations[1].params.at("tau_syn_I"), 5.0); // default filled in
    EXPECT_EQ(s.recorders[1].ids.size(), 2u);
}

TEST(Config, ExpressionsUseVarsAndSetOverrides) {
    const NetworkSpec s =
        load_config_text(base_config, "cfg.yaml", {"vars.g=4.0", "stimuli.drive.rate=g*1000"});
    EXPECT_DOUBLE_EQ(s.stimuli[0].rate_hz, 4000.0);
    EXPECT_NE(s.config_text.find("g*1000"), std::string::npos); // provenance holds the overridden text
}

class ConfigNegative : public ::testing::TestWithParam<NegativeCase> {};

TEST_P(ConfigNegative, NamesTheKey) {
    const auto& c = GetParam();
    const ConfigError e = expect_error(base_config, {c.set});
    EXPECT_NE(e.key_path.find(c.key_path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    EveryKey, ConfigNegative,
    ::testing::Values(
        NegativeCase{"nmsim=2", "nmsim", "schema version"},
        NegativeCase{"vars.x=1+", "vars.x", "not a number"},
        NegativeCase{"vars.J=[1]", "vars.J", "number or an expression"},
        NegativeCase{"simulation.duration=-1", "simulation.duration", "must be >"},
        NegativeCase{"simulation.dt=0", "simulation.dt", "must be >"},
        NegativeCase{"simulation.seed=1.5", "simulation.seed", "whole number"},
        NegativeCase{"simulation.threads=0", "simulation.threads", "between 1 and 256"},
        NegativeCase{"simulation.steps=10", "simulation.steps", "unknown key"},
        NegativeCase{"simulation.engine=lazy", "simulation.engine", "unknown engine 'lazy'"},
        NegativeCase{"populations.E.size=0", "populations.E.size", "between 1"},
        NegativeCase{"populations.E.size=abc", "populations.E.size", "not a number"},
        NegativeCase{"populations.E.model=hh", "populations.E.model", "unknown model 'hh'"},
        NegativeCase{"populations.E.params.tau_m=-5", "populations.E.params.tau_m", "must be >"},
        NegativeCase{"populations.E.params.tau_syn_E=2", "populations.E.params.tau_syn_E", "unknown key"},
        NegativeCase{"populations.E.initial.w=0", "populations.E.initial.w", "unknown key"},
        NegativeCase{"populations.E.initial.v={uniform: [5, 1]}", "populations.E.initial.v.uniform",
                     "low must be < high"},
        NegativeCase{"populations.E.colour=red", "populations.E.colour", "unknown key"},
        NegativeCase{"projections.EE.source=X", "projections.EE.source", "unknown population 'X'"},
        NegativeCase{"projections.EE.target=[E, Q]", "projections.EE.target", "unknown population 'Q'"},
        NegativeCase{"projections.EE.target=[E, E]", "projections.EE.target", "listed twice"},
        NegativeCase{"projections.EE.connector.rule=random", "projections.EE.connector.rule", "unknown rule"},
        NegativeCase{"projections.EE.connector.indegree=2.5", "projections.EE.connector.indegree",
                     "whole number"},
        NegativeCase{"projections.EE.connector.p=0.5", "projections.EE.connector.p",
                     "not a parameter of rule"},
        NegativeCase{"projections.EE.connector.allow_autapses=maybe",
                     "projections.EE.connector.allow_autapses", "true or false"},
        NegativeCase{"projections.EE.connector.allow_multapses=2", "projections.EE.connector.allow_multapses",
                     "true or false"},
        NegativeCase{"projections.IE.connector.p=1.5", "projections.IE.connector.p", "<= 1"},
        NegativeCase{"projections.IE.connector.rule=fixed_outdegree", "projections.IE.connector.outdegree",
                     "required by rule"},
        NegativeCase{"projections.IE.connector={rule: from_file, file: nowhere.csv}",
                     "projections.IE.connector.file", "no such file"},
        NegativeCase{"projections.EE.synapse.delay=0.05", "projections.EE.synapse.delay", "must be >= dt"},
        NegativeCase{"projections.EE.synapse.delay=1e6", "projections.EE.synapse.delay", "capacity limit"},
        NegativeCase{"projections.IE.synapse.delay={normal: {mean: 1.0, std: 0.5}}",
                     "projections.IE.synapse.delay", "min >= dt"},
        NegativeCase{"projections.EE.synapse.weight={gamma: [1, 2]}", "projections.EE.synapse.weight.gamma",
                     "unknown key"},
        NegativeCase{"projections.IE.synapse.weight={normal: {mean: 1, std: -1}}",
                     "projections.IE.synapse.weight.normal.std", "must be >"},
        NegativeCase{"projections.IE.synapse.weight={lognormal: {mu: 1}}",
                     "projections.IE.synapse.weight.lognormal.sigma", "required key"},
        NegativeCase{"projections.EE.synapse.plastic=true", "projections.EE.synapse.plastic", "unknown key"},
        NegativeCase{"stimuli.drive.type=noise", "stimuli.drive.type", "unknown stimulus type"},
        NegativeCase{"stimuli.drive.target=Z", "stimuli.drive.target", "unknown population 'Z'"},
        NegativeCase{"stimuli.drive.rate=-1", "stimuli.drive.rate", "must be >= 0"},
        NegativeCase{"stimuli.drive.rate=1e8", "stimuli.drive.rate", "capacity limit"},
        NegativeCase{"stimuli.drive.weight=w", "stimuli.drive.weight", "not a number"},
        NegativeCase{"stimuli.drive.amplitude=1", "stimuli.drive.amplitude",
                     "not a parameter of stimulus type"},
        NegativeCase{"stimuli.dc.amplitude=[1]", "stimuli.dc.amplitude", "number or an expression"},
        NegativeCase{"stimuli.dc.start=-1", "stimuli.dc.start", "must be >= 0"},
        NegativeCase{"stimuli.dc.stop=5", "stimuli.dc.stop", "must be >= start"},
        NegativeCase{"stimuli.kick.times=[0.0]", "stimuli.kick.times[0]", "at or after dt"},
        NegativeCase{"stimuli.kick.times=5", "stimuli.kick.times", "list of times"},
        NegativeCase{"recorders.spikes.type=video", "recorders.spikes.type", "unknown recorder type"},
        NegativeCase{"recorders.spikes.populations=[Q]", "recorders.spikes.populations",
                     "unknown population 'Q'"},
        NegativeCase{"recorders.spikes.interval=1", "recorders.spikes.interval",
                     "not a parameter of recorder type"},
        NegativeCase{"recorders.vm.population=Q", "recorders.vm.population", "unknown population 'Q'"},
        NegativeCase{"recorders.vm.variable=u", "recorders.vm.variable", "no state variable 'u'"},
        NegativeCase{"recorders.vm.ids=[0, 80]", "recorders.vm.ids[1]", "between 0 and 79"},
        NegativeCase{"recorders.vm.ids=[1, 1]", "recorders.vm.ids", "distinct"},
        NegativeCase{"recorders.vm.interval=0.25", "recorders.vm.interval", "multiple of dt"},
        NegativeCase{"recorders.vm2={type: state, population: E, variable: v, ids: [3]}",
                     "recorders.vm2.variable", "is already recorded by 'vm'"},
        NegativeCase{"output.path=", "output.path", "must have a value"},
        NegativeCase{"output.format=csv", "output.format", "unknown key"},
        NegativeCase{"extra=1", "extra", "unknown key"}));

TEST(Config, IndegreeAboveSourceSizeWithoutMultapses) {
    const ConfigError e =
        expect_error(base_config, {"projections.EE.connector={rule: fixed_indegree, indegree: 81, "
                                   "allow_multapses: false}"});
    EXPECT_EQ(e.key_path, "projections.EE.connector.indegree");
    EXPECT_NE(std::string(e.what()).find("exceeds the 80 available sources"), std::string::npos);
    // Without autapses one source fewer is available; at the limit it loads.
    EXPECT_NO_THROW(load_config_text(base_config, "cfg.yaml",
                                     {"projections.EE.connector={rule: fixed_indegree, "
                                      "indegree: 80, allow_multapses: false}"}));
    EXPECT_THROW(load_config_text(base_config, "cfg.yaml",
                                  {"projections.EE.connector={rule: fixed_indegree, "
                                   "indegree: 80, allow_multapses: false, allow_autapses: false}"}),
                 ConfigError);
}

TEST(Config, OneToOneNeedsEqualSizes) {
    const ConfigError e = expect_error(base_config, {"projections.EE.connector={rule: one_to_one}"});
    EXPECT_EQ(e.key_path, "projections.EE.target");
}

TEST(Config, ErrorsNameFileLineAndColumn) {
    std::string text = base_config;
    text.replace(text.find("tau_m: 20.0"), 11, "tau_m: -1.0");
    const ConfigError e = expect_error(text);
    EXPECT_EQ(e.file, "cfg.yaml");
    EXPECT_EQ(e.line, 5);
    EXPECT_EQ(e.key_path, "populations.E.params.tau_m");
    EXPECT_EQ(std::string(e.what()).rfind("cfg.yaml:5:", 0), 0u) << e.what();
}

TEST(Config, UnknownKeyPointsAtTheKey) {
    std::string text = base_config;
    text.replace(text.find("seed: 7"), 7, "sead: 7");
    const ConfigError e = expect_error(text);
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.column, 40);
    EXPECT_EQ(e.key_path, "simulation.sead");
}

TEST(Config, MalformedYamlNamesThePosition) {
    const ConfigError e = expect_error("nmsim: 1\npopulations: {E: {size: 3\n");
    EXPECT_GT(e.line, 0);
    EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos);
}

TEST(Config, DuplicateKeysAreRejected) {
    const ConfigError e = expect_error(
        "nmsim: 1\npopulations:\n  E: {size: 3, model: lif_delta}\n  E: {size: 4, model: lif_delta}\n");
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    EXPECT_EQ(e.line, 4);
}

TEST(Config, MissingRequiredSections) {
    EXPECT_EQ(expect_error("nmsim: 1\n").key_path, "populations");
    EXPECT_EQ(expect_error("populations: {E: {size: 1, model: lif_delta}}\n").key_path, "nmsim");
    EXPECT_EQ(expect_error("nmsim: 1\npopulations: {E: {model: lif_delta}}\n").key_path,
              "populations.E.size");
    EXPECT_EQ(expect_error("").line, 1);
}

TEST(Config, SetOverrideErrorsSayTheyComeFromSet) {
    const ConfigError e = expect_error(base_config, {"simulation.dt=-1"});
    EXPECT_EQ(e.file, "--set simulation.dt");
    EXPECT_THROW(load_config_text(base_config, "cfg.yaml", {"nokey"}), ConfigError);
    EXPECT_THROW(load_config_text(base_config, "cfg.yaml", {"missing.deeper.key=1"}), ConfigError);
}

TEST(Config, NeuronCountAtTheCapacityLimit) {
    // 2^32 - 1 neurons is the limit (ids are uint32 in spike lists); one more is refused.
    EXPECT_NO_THROW(
        load_config_text("nmsim: 1\npopulations: {E: {size: 4294967295, model: lif_delta}}\n", "c"));
    const ConfigError e = expect_error("nmsim: 1\npopulations: {E: {size: 4294967295, model: lif_delta},"
                                       " F: {size: 1, model: lif_delta}}\n");
    EXPECT_NE(std::string(e.what()).find("capacity limit"), std::string::npos);
}

TEST(Config, DelayAtTheCapacityLimit) {
    EXPECT_NO_THROW(load_config_text(base_config, "c", {"projections.EE.synapse.delay=6553.5"}));
    EXPECT_THROW(load_config_text(base_config, "c", {"projections.EE.synapse.delay=6553.6"}), ConfigError);
}

TEST(Config, FromFileRowsAreChecked) {
    const auto dir = std::filesystem::temp_directory_path() / "nmsim_cfg_test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "edges.csv") << "source,target,weight,delay\n0,1,0.5,1.0\n3,99,0.5,1.0\n";
    std::ofstream(dir / "c.yaml")
        << "nmsim: 1\npopulations: {E: {size: 10, model: lif_delta}}\n"
           "projections: {P: {source: E, target: E, connector: {rule: from_file, file: edges.csv}}}\n";
    const NetworkSpec spec = load_config((dir / "c.yaml").string());
    EXPECT_EQ(spec.projections[0].connector.file, (dir / "edges.csv").string());
}
