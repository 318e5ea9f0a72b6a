// NIR import: the conv connector against the convolution's gather definition, the nir_neuron model
// against closed-form solutions, and one hand-made graph per NIR node type, written with nmsim's NIR
// writer, read back, run, and compared with what the node's equations give by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <random>

#include "models/neuron_model.hpp"
#include "sim/build/connectivity.hpp"
#include "sim/build/conv_connector.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/io/nir_file.hpp"
#include "sim/nir/nir_export.hpp"
#include "sim/nir/nir_import.hpp"
#include "sim/run/run_service.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

// ---- the conv connector ---------------------------------------------------------------------------

struct Geometry {
    std::uint32_t in_c, in_h, in_w, out_c, k_h, k_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
    std::uint32_t pool = 1; // non-overlapping pooling before the convolution
};

// Dense matrix [target][source] by the gather definition: out[o, y, x] = sum_{c, i, j} W[o, c, i, j] *
// pooled[g(o) * C/g + c, y*s - p + i*d, x*s - p + j*d], pooled = sum of a pool x pool window.
std::vector<std::vector<double>> gather_matrix(const Geometry& g, const std::vector<double>& kernel) {
    const std::uint32_t ph = g.in_h / g.pool, pw = g.in_w / g.pool;
    const auto oh = (ph + 2 * g.pad_h - g.dil_h * (g.k_h - 1) - 1) / g.stride_h + 1;
    const auto ow = (pw + 2 * g.pad_w - g.dil_w * (g.k_w - 1) - 1) / g.stride_w + 1;
    const std::uint32_t cpg = g.in_c / g.groups, opg = g.out_c / g.groups;
    std::vector<std::vector<double>> m(std::size_t{g.out_c} * oh * ow,
                                       std::vector<double>(std::size_t{g.in_c} * g.in_h * g.in_w, 0.0));
    for (std::uint32_t o = 0; o < g.out_c; ++o)
        for (std::uint32_t y = 0; y < oh; ++y)
            for (std::uint32_t x = 0; x < ow; ++x)
                for (std::uint32_t c = 0; c < cpg; ++c)
                    for (std::uint32_t i = 0; i < g.k_h; ++i)
                        for (std::uint32_t j = 0; j < g.k_w; ++j) {
                            const long py = long(y * g.stride_h) - long(g.pad_h) + long(i * g.dil_h);
                            const long px = long(x * g.stride_w) - long(g.pad_w) + long(j * g.dil_w);
                            if (py < 0 || px < 0 || py >= long(ph) || px >= long(pw)) continue;
                            const std::uint32_t ci = (o / opg) * cpg + c;
                            const double w = kernel[((std::size_t{o} * cpg + c) * g.k_h + i) * g.k_w + j];
                            for (std::uint32_t a = 0; a < g.pool; ++a)
                                for (std::uint32_t b = 0; b < g.pool; ++b) {
                                    const std::size_t s =
                                        (std::size_t{ci} * g.in_h + std::size_t(py) * g.pool + a) * g.in_w +
                                        std::size_t(px) * g.pool + b;
                                    m[(std::size_t{o} * oh + y) * ow + x][s] += w;
                                }
                        }
    return m;
}

TEST(ConvConnector, RowsEqualTheGatherDefinition) {
    const std::vector<Geometry> cases = {
        {2, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // same-size 3x3
        {2, 9, 8, 4, 5, 3, 2, 3, 1, 0, 1, 1, 1},    // strides, asymmetric kernel, padding
        {4, 8, 8, 6, 3, 3, 1, 2, 2, 1, 2, 1, 2},    // dilation, groups
        {3, 7, 7, 3, 3, 3, 1, 1, 0, 0, 1, 1, 3},    // depthwise
        {1, 1, 11, 2, 1, 4, 1, 2, 0, 2, 1, 2, 1},   // 1-d: stride, padding, dilation
        {2, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2}, // after a 2x2 sum pool (the Sinabs CNN's pattern)
        {1, 9, 9, 2, 2, 2, 2, 2, 0, 0, 1, 1, 1, 3}, // after a 3x3 pool
    };
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (const Geometry& g : cases) {
        ConvConnector c;
        c.in_c = g.in_c;
        c.in_h = g.in_h;
        c.in_w = g.in_w;
        c.pool_h = c.pool_w = g.pool;
        c.pool_out_h = g.in_h / g.pool;
        c.pool_out_w = g.in_w / g.pool;
        c.out_c = g.out_c;
        c.k_h = g.k_h;
        c.k_w = g.k_w;
        c.stride_h = g.stride_h;
        c.stride_w = g.stride_w;
        c.pad_h = g.pad_h;
        c.pad_w = g.pad_w;
        c.dil_h = g.dil_h;
        c.dil_w = g.dil_w;
        c.groups = g.groups;
        c.kernel.resize(std::size_t{g.out_c} * (g.in_c / g.groups) * g.k_h * g.k_w);
        for (auto& w : c.kernel) w = u(rng);
        c.kernel[1] = 0.0; // zero weights make no synapse
        const auto m = gather_matrix(g, c.kernel);
        c.out_h = static_cast<std::uint32_t>(
            (c.pool_out_h + 2 * g.pad_h - g.dil_h * (g.k_h - 1) - 1) / g.stride_h + 1);
        c.out_w = static_cast<std::uint32_t>(
            (c.pool_out_w + 2 * g.pad_w - g.dil_w * (g.k_w - 1) - 1) / g.stride_w + 1);
        ASSERT_EQ(c.target_size(), m.size());
        std::uint64_t nonzero = 0;
        for (std::uint64_t s = 0; s < c.source_size(); ++s) {
            std::vector<double> col(m.size(), 0.0);
            long last = -1;
            c.row(s, [&](std::uint64_t t, double w) {
                EXPECT_GT(long(t), last) << "targets ascending";
                last = long(t);
                col[t] += w;
            });
            for (std::size_t t = 0; t < m.size(); ++t) {
                EXPECT_NEAR(col[t], m[t][s], 1e-15) << "source " << s << " target " << t;
                nonzero += m[t][s] != 0.0;
            }
        }
        EXPECT_EQ(c.synapse_count(), nonzero);
    }
}

// ---- the nir_neuron model against closed forms ----------------------------------------------------

std::map<std::string, double> nir_params(std::map<std::string, double> set) {
    const ModelInfo* m = find_model("nir_neuron");
    std::map<std::string, double> p;
    for (const auto& info : m->params) p[info.name] = info.default_value;
    for (const auto& [k, v] : set) p[k] = v;
    return p;
}

// Runs one neuron for `steps` steps under constant input u (arriving as synaptic input each step);
// returns v after each step (double, from the group) and the spike steps.
std::pair<std::vector<double>, std::vector<int>> drive(const std::map<std::string, double>& p, double h,
                                                       double u, int steps, double v0 = 0.0) {
    const ModelInfo* m = find_model("nir_neuron");
    auto g = m->create(1, p, h);
    g->set(0, 0, v0);
    std::vector<double> v;
    std::vector<int> spikes;
    for (int k = 0; k < steps; ++k) {
        double syn = u, zero = 0.0, current = 0.0;
        StepInput in{{&syn, &zero}, &current, 1, static_cast<std::uint64_t>(k)};
        std::vector<std::uint32_t> spiked;
        g->update(0, 1, in, spiked);
        if (!spiked.empty()) spikes.push_back(k);
        v.push_back(g->get(0, 0));
    }
    return {v, spikes};
}

double rel(double a, double b) {
    return std::fabs(a - b) / std::max(std::fabs(b), 1e-300);
}

TEST(NirNeuron, LeakyIntegratorIsExactUnderConstantInput) {
    // tau dv/dt = (v_leak - v) + r u: v(t) = v_inf + (v0 - v_inf) e^{-t/tau}, v_inf = v_leak + r u.
    const double tau = 2.5, r = 1.7, vl = -0.3, u = 0.8, h = 0.1, v0 = 0.4;
    const auto [v, spikes] =
        drive(nir_params({{"tau_mem", tau}, {"r", r}, {"v_leak", vl}, {"spiking", 0}}), h, u, 500, v0);
    const double vinf = vl + r * u;
    for (int k = 0; k < 500; ++k)
        ASSERT_LT(rel(v[k], vinf + (v0 - vinf) * std::exp(-(k + 1) * h / tau)), 1e-12) << k;
    EXPECT_TRUE(spikes.empty());
}

TEST(NirNeuron, CurrentBasedIsExactUnderConstantInput) {
    // tau_s dI/dt = -I + w u, tau_m dv/dt = -v + r I from rest: I = J (1 - e^{-t/ts}) with J = w u,
    // v = r J [1 - (ts e^{-t/ts} - tm e^{-t/tm}) / (ts - tm)]; equal time constants:
    // v = r J [1 - e^{-t/tau} (1 + t/tau)]. Close time constants exercise the expm1 form.
    for (const double ts : {0.5, 2.0, 2.0 * (1 + 1e-9), 7.0}) {
        const double tm = 2.0, r = 3.0, w = 1.5, u = 0.25, h = 0.1, j = w * u;
        const auto [v, spikes] = drive(
            nir_params({{"tau_mem", tm}, {"tau_syn", ts}, {"r", r}, {"w_in", w}, {"spiking", 0}}), h, u, 400);
        for (int k = 0; k < 400; ++k) {
            const double t = (k + 1) * h;
            const double exact =
                std::fabs(ts - tm) < 1e-6
                    ? r * j * (1 - std::exp(-t / tm) * (1 + t / tm))
                    : r * j * (1 - (ts * std::exp(-t / ts) - tm * std::exp(-t / tm)) / (ts - tm));
            ASSERT_LT(rel(v[k], exact), std::fabs(ts - tm) < 1e-6 ? 1e-8 : 1e-12)
                << "ts " << ts << " step " << k;
        }
    }
}

TEST(NirNeuron, IntegrateAndFireCountsAndResets) {
    // dv/dt = r u: v grows by r u h per step (0.375: exact in binary, so every sum is exact); v > 1
    // fires, then v <- 0, or v <- v - 1 with reset by subtraction; exactly 1 does not fire (NIR: >).
    const double r = 0.375, u = 1.0, h = 1.0;
    auto [v, spikes] = drive(nir_params({{"dynamics", 1}, {"r", r}, {"v_threshold", 1.0}}), h, u, 12);
    EXPECT_EQ(spikes, (std::vector<int>{2, 5, 8, 11}));
    EXPECT_EQ(v[1], 0.75);
    EXPECT_EQ(v[2], 0.0);
    auto [vs, ss] =
        drive(nir_params({{"dynamics", 1}, {"r", r}, {"v_threshold", 1.0}, {"reset", 1}}), h, u, 12);
    EXPECT_EQ(ss, (std::vector<int>{2, 5, 8, 10})); // step 7 lands exactly on 1.0: no spike
    EXPECT_EQ(vs[2], 0.125);
    EXPECT_EQ(vs[7], 1.0);
}

TEST(NirNeuron, ThresholdNodeFollowsItsInput) {
    // dynamics 2: v = r u each step, spikes while above threshold, no reset.
    auto [v, spikes] = drive(nir_params({{"dynamics", 2}, {"v_threshold", 0.5}, {"reset", 2}}), 0.1, 0.7, 4);
    EXPECT_EQ(spikes, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(v[3], 0.7);
}

// ---- hand-made graphs -----------------------------------------------------------------------------

NirArray arr(std::vector<double> v, std::vector<std::uint64_t> shape = {}) {
    if (shape.empty()) shape = {v.size()};
    return {std::move(v), std::move(shape)};
}

NirNode node(const std::string& name, const std::string& type, std::map<std::string, NirArray> a = {}) {
    NirNode n;
    n.name = name;
    n.type = type;
    n.arrays = std::move(a);
    return n;
}

class NirGraphs : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("nmsim_nir_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes the graph and `events` ("time,node,index,value" rows), runs it for `steps` steps of dt 1
    // (time unit ms), everything recorded.
    RunOutcome run(std::vector<NirNode> nodes, std::vector<std::pair<std::string, std::string>> edges,
                   const std::string& events, int steps, NirImportOptions opt = {}) {
        NirFile f;
        f.graph.nodes = std::move(nodes);
        f.graph.edges = std::move(edges);
        const std::string path = (dir_ / "graph.nir").string();
        write_nir(path, f);
        const std::string in = (dir_ / "events.csv").string();
        std::ofstream(in) << "time,node,index,value\n" << events;
        opt.dt = 1.0;
        opt.time_unit = "ms";
        opt.input = in;
        opt.record_state = true;
        NetworkSpec spec = load_nir(path, opt, {"simulation.duration=" + std::to_string(steps)});
        return run_network(std::move(spec), {});
    }
    // v of population `pop` after step k (report row k + 1), neuron i.
    static double v(const RunOutcome& o, const std::string& pop, std::uint64_t k, std::uint64_t i = 0) {
        for (const auto& r : o.result.reports)
            if (r.population == pop && r.variable == "v") return r.data.at((k + 1) * r.ids.size() + i);
        ADD_FAILURE() << "no v report for " << pop;
        return 0.0;
    }
    static std::vector<std::pair<int, std::uint64_t>> spikes(const RunOutcome& o, const std::string& pop) {
        std::vector<std::pair<int, std::uint64_t>> s;
        const auto& r = o.result.spikes.at(pop);
        for (std::size_t k = 0; k < r.times_ms.size(); ++k)
            s.push_back({static_cast<int>(std::lround(r.times_ms[k])) - 1, r.node_ids[k]});
        return s;
    }

    std::filesystem::path dir_;
};

NirNode input(std::vector<double> shape) {
    return node("input", "Input", {{"shape", arr(std::move(shape))}});
}
NirNode output(std::vector<double> shape) {
    return node("output", "Output", {{"shape", arr(std::move(shape))}});
}
// A non-spiking integrator of n neurons (r = 1): after an input u in one step, v grows by u.
NirNode integrator(const std::string& name, std::vector<std::uint64_t> shape) {
    std::uint64_t n = 1;
    for (auto d : shape) n *= d;
    return node(name, "I", {{"r", arr(std::vector<double>(n, 1.0), shape)}});
}

TEST_F(NirGraphs, LinearAndLIF) {
    // Input(2) -> Linear [[2, 0], [0.5, -1]] -> LIF(2): an event of input 0 at step 0 reaches the LIF in
    // step 1: v = r w (1 - e^{-1/tau}); neuron 0 (w = 2 r: above threshold 1) fires in step 1.
    const double tau = 1.0, r = 1.5, p = 1 - std::exp(-1.0 / tau);
    const auto o = run({input({2}), node("w", "Linear", {{"weight", arr({2, 0, 0.5, -1}, {2, 2})}}),
                        node("lif", "LIF",
                             {{"tau", arr({tau, tau})},
                              {"r", arr({r, r})},
                              {"v_leak", arr({0, 0})},
                              {"v_threshold", arr({0.9, 1.0})}}),
                        output({2})},
                       {{"input", "w"}, {"w", "lif"}, {"lif", "output"}}, "0,input,0,1\n3,input,1,1\n", 8);
    EXPECT_EQ(spikes(o, "lif"), (std::vector<std::pair<int, std::uint64_t>>{{1, 0}}));
    EXPECT_FLOAT_EQ(v(o, "lif", 1, 1), static_cast<float>(0.5 * r * p));
    EXPECT_FLOAT_EQ(v(o, "lif", 2, 1), static_cast<float>(0.5 * r * p * std::exp(-1.0 / tau)));
    EXPECT_FLOAT_EQ(v(o, "lif", 4, 1), static_cast<float>(0.5 * r * p * std::exp(-3.0 / tau) - r * p));
    EXPECT_EQ(v(o, "lif", 1, 0), 0.0f); // reset to v_reset = 0
}

TEST_F(NirGraphs, AffineBiasDrivesTheTarget) {
    // Affine bias b is a constant input: LI v(t) = r b (1 - e^{-t/tau}); the weights are unused here.
    const double tau = 3.0, r = 2.0, b = 0.25;
    const auto o =
        run({input({1}), node("fc", "Affine", {{"weight", arr({1}, {1, 1})}, {"bias", arr({b})}}),
             node("li", "LI", {{"tau", arr({tau})}, {"r", arr({r})}, {"v_leak", arr({0})}}), output({1})},
            {{"input", "fc"}, {"fc", "li"}, {"li", "output"}}, "", 10);
    for (int k = 0; k < 9; ++k)
        EXPECT_FLOAT_EQ(v(o, "li", k), static_cast<float>(r * b * (1 - std::exp(-(k + 1) / tau))));
}

TEST_F(NirGraphs, ScaleAndIntegrator) {
    // Input(3) -> Scale [1, -2, 0.5] -> I(3): one event per input at step 0, v = scale after step 1.
    const auto o = run(
        {input({3}), node("s", "Scale", {{"scale", arr({1, -2, 0.5})}}), integrator("acc", {3}), output({3})},
        {{"input", "s"}, {"s", "acc"}, {"acc", "output"}}, "0,input,0,1\n0,input,1,1\n0,input,2,1\n", 4);
    EXPECT_EQ(v(o, "acc", 0, 1), 0.0f);
    EXPECT_EQ(v(o, "acc", 1, 0), 1.0f);
    EXPECT_EQ(v(o, "acc", 1, 1), -2.0f);
    EXPECT_EQ(v(o, "acc", 2, 2), 0.5f);
}

TEST_F(NirGraphs, IFAndCubaLIF) {
    // IF: dv/dt = r u, one step of input 0.6 per event; fires when > 1 (second event), resets to 0.
    // CubaLIF from the same input: closed form of one step-held pulse.
    const double ts = 2.0, tm = 5.0, r = 1.0, w = 3.0;
    const auto o = run({input({1}), node("w", "Linear", {{"weight", arr({0.6}, {1, 1})}}),
                        node("if", "IF", {{"r", arr({1.0})}, {"v_threshold", arr({1.0})}}),
                        node("cuba", "CubaLIF",
                             {{"tau_syn", arr({ts})},
                              {"tau_mem", arr({tm})},
                              {"r", arr({r})},
                              {"v_leak", arr({0})},
                              {"v_threshold", arr({100.0})},
                              {"w_in", arr({w})}}),
                        output({1})},
                       {{"input", "w"}, {"w", "if"}, {"w", "cuba"}, {"if", "output"}},
                       "0,input,0,1\n1,input,0,1\n2,input,0,1\n", 6);
    EXPECT_EQ(spikes(o, "if"), (std::vector<std::pair<int, std::uint64_t>>{{2, 0}}));
    EXPECT_FLOAT_EQ(v(o, "if", 1), 0.6f);
    EXPECT_EQ(v(o, "if", 2), 0.0f);
    EXPECT_FLOAT_EQ(v(o, "if", 3), 0.6f);
    // After the first pulse (step 1, u = 0.6 held for 1 ms): I = J(1 - e^{-1/ts}),
    // v = r J [1 - (ts e^{-1/ts} - tm e^{-1/tm}) / (ts - tm)], J = w u.
    const double j = w * 0.6;
    EXPECT_FLOAT_EQ(
        v(o, "cuba", 1),
        static_cast<float>(r * j * (1 - (ts * std::exp(-1 / ts) - tm * std::exp(-1 / tm)) / (ts - tm))));
}

TEST_F(NirGraphs, CubaLIAndFusedThreshold) {
    // CubaLI -> Threshold: fused into a spiking population without reset: spikes in every step where
    // v > threshold; v keeps its trajectory.
    const double ts = 1.0, tm = 2.0;
    const auto o = run({input({1}), node("w", "Linear", {{"weight", arr({8.0}, {1, 1})}}),
                        node("li", "CubaLI",
                             {{"tau_syn", arr({ts})},
                              {"tau_mem", arr({tm})},
                              {"r", arr({1.0})},
                              {"v_leak", arr({0})},
                              {"w_in", arr({1.0})}}),
                        node("thr", "Threshold", {{"threshold", arr({0.9})}}), output({1})},
                       {{"input", "w"}, {"w", "li"}, {"li", "thr"}, {"thr", "output"}}, "0,input,0,1\n", 12);
    std::vector<std::pair<int, std::uint64_t>> expect;
    for (int k = 0; k < 11; ++k)
        if (v(o, "li", k) > 0.9f) expect.push_back({k, 0});
    EXPECT_GE(expect.size(), 2u);
    EXPECT_EQ(spikes(o, "li"), expect);
}

TEST_F(NirGraphs, ThresholdOnItsOwnAndDelay) {
    // Input -> Delay(3 ms) -> Linear(2) -> Threshold(1.5): spikes exactly 1 + 3 steps after each event.
    const auto o =
        run({input({1}), node("d", "Delay", {{"delay", arr({3.0})}}),
             node("w", "Linear", {{"weight", arr({2.0}, {1, 1})}}),
             node("thr", "Threshold", {{"threshold", arr({1.5})}}), output({1})},
            {{"input", "d"}, {"d", "w"}, {"w", "thr"}, {"thr", "output"}}, "0,input,0,1\n2,input,0,1\n", 10);
    EXPECT_EQ(spikes(o, "thr"), (std::vector<std::pair<int, std::uint64_t>>{{4, 0}, {6, 0}}));
}

TEST_F(NirGraphs, Conv1dConv2dAndPooling) {
    // Conv1d kernel [1, 2, 3], padding 1: input 2 reaches outputs 3, 2, 1 with weights 1, 2, 3.
    {
        const auto o = run({input({1, 5}),
                            node("c", "Conv1d",
                                 {{"weight", arr({1, 2, 3}, {1, 1, 3})},
                                  {"stride", arr({1}, {})},
                                  {"padding", arr({1}, {})},
                                  {"dilation", arr({1}, {})},
                                  {"groups", arr({1}, {})},
                                  {"bias", arr({0})}}),
                            integrator("acc", {1, 5}), output({1, 5})},
                           {{"input", "c"}, {"c", "acc"}, {"acc", "output"}}, "0,input,2,1\n", 3);
        const float expect[5] = {0, 3, 2, 1, 0};
        for (int i = 0; i < 5; ++i) EXPECT_EQ(v(o, "acc", 1, static_cast<std::uint64_t>(i)), expect[i]) << i;
    }
    // Conv2d 2x2 kernel, stride 2 on 4x4 with a bias per output channel; input (0, 3, 2) reaches output
    // (c, 1, 1) through kernel element (1, 0).
    {
        const auto o = run({input({1, 4, 4}),
                            node("c", "Conv2d",
                                 {{"weight", arr({1, 2, 3, 4, -1, -2, -3, -4}, {2, 1, 2, 2})},
                                  {"stride", arr({2, 2})},
                                  {"padding", arr({0, 0})},
                                  {"dilation", arr({1, 1})},
                                  {"groups", arr({1}, {})},
                                  {"bias", arr({0.0, 0.5})}}),
                            integrator("acc", {2, 2, 2}), output({2, 2, 2})},
                           {{"input", "c"}, {"c", "acc"}, {"acc", "output"}}, "0,input,14,1\n", 3);
        // step 1: bias (0 / 0.5 per channel) + the event; index (c, y, x) = c*4 + y*2 + x
        for (std::uint64_t i = 0; i < 8; ++i) {
            const float bias = i < 4 ? 0.0f : 0.5f;
            const float event = i == 3 ? 3.0f : i == 7 ? -3.0f : 0.0f;
            EXPECT_EQ(v(o, "acc", 1, i), 2 * bias + event) << i; // bias also in step 0
        }
    }
    // SumPool2d and AvgPool2d 2x2 on 4x4: an event at (1, 2) lands in window (0, 1) with 1 or 1/4.
    for (const std::string type : {"SumPool2d", "AvgPool2d"}) {
        const auto o =
            run({input({1, 4, 4}),
                 node("p", type,
                      {{"kernel_size", arr({2, 2})}, {"stride", arr({2, 2})}, {"padding", arr({0, 0})}}),
                 integrator("acc", {1, 2, 2}), output({1, 2, 2})},
                {{"input", "p"}, {"p", "acc"}, {"acc", "output"}}, "0,input,6,1\n", 3);
        EXPECT_EQ(v(o, "acc", 1, 1), type == "SumPool2d" ? 1.0f : 0.25f) << type;
        EXPECT_EQ(v(o, "acc", 1, 0), 0.0f);
    }
}

TEST_F(NirGraphs, FlattenNestedGraphAndReadout) {
    // Input(1, 2, 2) -> Flatten -> [subgraph: Input -> Linear(4 -> 2) -> Output] -> Output: the Output is
    // fed by a weight node, so a readout population (v = its input) computes it.
    NirNode sub = node("sub", "NIRGraph");
    auto g = std::make_shared<NirGraph>();
    g->nodes = {node("input", "Input", {{"shape", arr({4})}}),
                node("w", "Linear", {{"weight", arr({1, 2, 3, 4, 0, 0, 0, -1}, {2, 4})}}),
                node("output", "Output", {{"shape", arr({2})}})};
    g->edges = {{"input", "w"}, {"w", "output"}};
    sub.graph = g;
    NirNode flat =
        node("flat", "Flatten",
             {{"start_dim", arr({0}, {})}, {"end_dim", arr({-1}, {})}, {"input_type", arr({1, 2, 2})}});
    const auto o =
        run({input({1, 2, 2}), flat, sub, output({2})},
            {{"input", "flat"}, {"flat", "sub"}, {"sub", "output"}}, "0,input,3,1\n1,input,1,1\n", 4);
    EXPECT_EQ(v(o, "output_readout", 1, 0), 4.0f);
    EXPECT_EQ(v(o, "output_readout", 1, 1), -1.0f);
    EXPECT_EQ(v(o, "output_readout", 2, 0), 2.0f);
    EXPECT_EQ(v(o, "output_readout", 2, 1), 0.0f);
}

TEST_F(NirGraphs, UnsupportedGraphsNameTheNode) {
    auto expect_error = [&](std::vector<NirNode> nodes,
                            std::vector<std::pair<std::string, std::string>> edges,
                            const std::string& needle) {
        try {
            run(std::move(nodes), std::move(edges), "", 2);
            ADD_FAILURE() << "no error for " << needle;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    // A non-spiking node feeding another neuron: its output is a continuous value.
    expect_error({input({1}), node("li", "LI", {{"tau", arr({1})}, {"r", arr({1})}, {"v_leak", arr({0})}}),
                  node("w", "Linear", {{"weight", arr({1}, {1, 1})}}), integrator("acc", {1}), output({1})},
                 {{"input", "li"}, {"li", "w"}, {"w", "acc"}, {"acc", "output"}}, "'li' (LI)");
    // A weight matrix that does not fit its input.
    expect_error({input({3}), node("w", "Linear", {{"weight", arr({1, 2}, {1, 2})}}), integrator("acc", {1}),
                  output({1})},
                 {{"input", "w"}, {"w", "acc"}, {"acc", "output"}}, "'w' (Linear)");
    // An edge to a node that does not exist.
    expect_error({input({1}), integrator("acc", {1}), output({1})}, {{"input", "accc"}, {"acc", "output"}},
                 "unknown node 'accc'");
}

} // namespace

// ---- export and round trips -----------------------------------------------------------------------

namespace {

// Every synapse of a projection as (source, target, weight, delay), sorted.
std::vector<std::tuple<std::uint64_t, std::uint64_t, double, std::uint32_t>>
synapses(const NetworkSpec& spec, const ProjectionSpec& pr) {
    const ProjectionGenerator gen(spec, pr);
    std::vector<std::tuple<std::uint64_t, std::uint64_t, double, std::uint32_t>> out;
    gen.generate_from_sources(
        0, gen.source_size(), 0, spec.total_neurons(),
        [&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t d) { out.emplace_back(s, t, w, d); });
    std::sort(out.begin(), out.end());
    return out;
}

// The network a graph describes, independent of how it is cut into nodes: populations (size, model,
// every neuron's parameters) and the summed weight of each (source population, neuron, target neuron).
std::map<std::string, std::vector<double>> network_of(const NetworkSpec& spec) {
    std::map<std::string, std::vector<double>> out;
    for (const auto& p : spec.populations) {
        out["size " + p.name] = {static_cast<double>(p.size)};
        if (p.model != "nir_neuron") continue;
        for (const auto& [k, v] : p.params) {
            auto a = p.param_arrays.find(k);
            out[p.name + "." + k] = a != p.param_arrays.end() ? a->second : std::vector<double>(p.size, v);
        }
    }
    // Targets by population name and local id (graphs may order populations differently).
    auto local = [&](std::uint64_t t) {
        for (const auto& p : spec.populations)
            if (t >= p.first_id && t < p.first_id + p.size)
                return fmt::format("{} {}", p.name, t - p.first_id);
        return std::string("?");
    };
    std::map<std::string, double> w;
    for (const auto& pr : spec.projections)
        for (const auto& [s, t, weight, d] : synapses(spec, pr))
            w[fmt::format("w {} {} -> {} delay {}", pr.source, s, local(t), d)] += weight;
    for (const auto& [k, v] : w) out[k] = {v};
    return out;
}

TEST(NirExport, RoundTripsTheFrameworksGraphs) {
    // NIR -> nmsim -> NIR -> nmsim: the same populations, parameters and weights (kernels stay kernels).
    for (const std::string f : {"lif_norse", "two_lif_neurons", "braille_noDelay_bias_zero", "cnn_sinabs"}) {
        NirImportOptions opt;
        const NetworkSpec a = load_nir(std::string(NMSIM_SOURCE_DIR) + "/tests/data/nir/" + f + ".nir", opt);
        const std::string path = (std::filesystem::temp_directory_path() /
                                  ("nmsim_rt_" + std::to_string(::getpid()) + "_" + f + ".nir"))
                                     .string();
        write_nir(path, export_nir(a));
        const NetworkSpec b = load_nir(path, opt);
        std::filesystem::remove(path);
        std::size_t kernels_a = 0, kernels_b = 0;
        for (const auto& pr : a.projections) kernels_a += pr.connector.rule == ConnectorRule::conv;
        for (const auto& pr : b.projections) kernels_b += pr.connector.rule == ConnectorRule::conv;
        EXPECT_EQ(kernels_a, kernels_b) << f;
        const auto na = network_of(a), nb = network_of(b);
        ASSERT_EQ(na.size(), nb.size()) << f;
        for (const auto& [k, v] : na) {
            ASSERT_TRUE(nb.count(k)) << f << ": " << k;
            ASSERT_EQ(v.size(), nb.at(k).size()) << f << ": " << k;
            for (std::size_t i = 0; i < v.size(); ++i)
                EXPECT_NEAR(v[i], nb.at(k)[i], 1e-12 * std::max(1.0, std::fabs(v[i])))
                    << f << ": " << k << "[" << i << "]";
        }
    }
}

TEST(NirExport, RefusesWhatNirCannotSay) {
    const NetworkSpec brunel =
        load_config(std::string(NMSIM_SOURCE_DIR) + "/configs/brunel_delta.yaml", {"vars.order=10"});
    try {
        export_nir(brunel);
        ADD_FAILURE() << "lif_delta exported";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("populations.E"), std::string::npos) << e.what();
    }
    NirImportOptions opt;
    const NetworkSpec rnn =
        load_nir(std::string(NMSIM_SOURCE_DIR) + "/tests/data/nir/braille_noDelay_bias_zero.nir", opt);
    NirExportOptions small;
    small.max_dense_weights = 100; // the 38 x 38 recurrent matrix is larger
    // Dense layers are kernels here; a small limit only binds edge lists, so force one:
    NetworkSpec listed = rnn;
    for (auto& pr : listed.projections)
        if (pr.connector.rule == ConnectorRule::conv) {
            auto edges = std::make_shared<std::vector<ListedEdge>>();
            const ConvConnector& c = *pr.connector.conv;
            for (std::uint64_t s = 0; s < c.source_size(); ++s)
                c.row(s, [&](std::uint64_t t, double w) {
                    edges->push_back({s, t, w, listed.simulation.dt});
                });
            pr.connector.rule = ConnectorRule::from_file;
            pr.connector.conv.reset();
            pr.connector.edge_list = edges;
        }
    EXPECT_THROW(export_nir(listed, small), ConfigError);
    EXPECT_NO_THROW(export_nir(listed));
    // Plasticity: NIR has none; the refusal names the key (a learned network exports via from_file).
    NetworkSpec plastic = listed;
    plastic.projections.at(0).plasticity.enabled = true;
    try {
        export_nir(plastic);
        ADD_FAILURE() << "plastic projection exported";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key_path, "projections." + plastic.projections[0].name + ".synapse.plasticity");
    }
}

} // namespace

namespace {

TEST_F(NirGraphs, SparseDenseLayersBecomeEdgeLists) {
    // A Linear with 1 non-zero weight of 6 is stored as an edge list (its one synapse), a full one as a
    // kernel; both deliver the same.
    for (const bool sparse : {true, false}) {
        const std::vector<double> w =
            sparse ? std::vector<double>{0, 0, 2.5, 0, 0, 0} : std::vector<double>{1, 1, 2.5, 1, 1, 1};
        NirFile f;
        f.graph.nodes = {input({3}), node("w", "Linear", {{"weight", arr(w, {2, 3})}}),
                         integrator("acc", {2}), output({2})};
        f.graph.edges = {{"input", "w"}, {"w", "acc"}, {"acc", "output"}};
        const std::string path = (dir_ / "g.nir").string();
        write_nir(path, f);
        NirImportOptions opt;
        const NetworkSpec spec = load_nir(path, opt);
        EXPECT_EQ(spec.projections.at(0).connector.rule,
                  sparse ? ConnectorRule::from_file : ConnectorRule::conv);
        if (sparse) {
            EXPECT_EQ(spec.projections.at(0).connector.edge_list->size(), 1u);
        }
        const auto o = run(f.graph.nodes, f.graph.edges, "0,input,2,1\n", 3);
        EXPECT_EQ(v(o, "acc", 1, 0), 2.5f);
    }
}

} // namespace
