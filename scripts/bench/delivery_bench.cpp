// Delivery layouts side by side on one built network: the same network simulated with the ring and
// with the queue input buffer, interleaved, so a noisy machine slows both alike.
// Usage: nmsim_delivery_bench CONFIG [repeats=3] [--set key=value]... [--threads N]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"

using namespace nmsim;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CONFIG [repeats] [--set k=v]... [--threads N]\n", argv[0]);
        return 2;
    }
    std::vector<std::string> sets;
    int repeats = 3, threads = 0;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--set" && i + 1 < argc)
            sets.push_back(argv[++i]);
        else if (a == "--threads" && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else
            repeats = std::atoi(argv[i]);
    }
    NetworkSpec spec = load_config(argv[1], sets);
    if (threads > 0) spec.simulation.threads = threads;
    BuiltNetwork net = build_network(spec, spec.simulation.threads);
    std::printf("built in %.2f s: %llu synapses, max delay %u steps\n", net.build_seconds,
                static_cast<unsigned long long>(net.tables.synapses), net.max_delay_steps);
    simulate(net); // warm up: first touch, queue capacities, initial transient
    std::vector<double> times[2];
    std::uint64_t events = 0;
    const int kinds = net.float32_weights ? 2 : 1; // the queue holds float32 weights only
    for (int r = 0; r < repeats; ++r)
        for (int k = 0; k < kinds; ++k) {
            RunOptions o;
            o.input_buffer = k == 0 ? InputBufferKind::ring : InputBufferKind::queue;
            const RunResult res = simulate(net, o);
            times[k].push_back(res.sim_seconds);
            events = res.synaptic_events;
        }
    for (int k = 0; k < kinds; ++k) {
        std::sort(times[k].begin(), times[k].end());
        std::printf("%-6s min %.3f s  median %.3f s  %.3g events/s/core\n", k == 0 ? "ring" : "queue",
                    times[k][0], times[k][times[k].size() / 2],
                    events / times[k][0] / spec.simulation.threads);
    }
    std::printf(
        "chosen by default: %s\n",
        choose_input_buffer((spec.total_neurons() + spec.simulation.threads - 1) / spec.simulation.threads,
                            net.channels, net.max_delay_steps, net.float32_weights) == InputBufferKind::ring
            ? "ring"
            : "queue");
}
