// Where a projection's or stimulus's events enter each target: the named receptor resolved to an
// input channel per target population (models may map receptors differently), or, with no receptor
// named, the weight's sign: negative weights to the model's "inhibitory" port, others to "excitatory".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/spec/network_spec.hpp"

namespace nmsim {

struct ReceptorRoute {
    struct Segment {
        std::uint64_t first, end; // a target population's global ids
        int channel;              // the receptor's channel, or "excitatory"'s when by sign
        int inhibitory_channel;   // by sign: where negative weights go
    };
    std::vector<Segment> segments; // ascending by global id
    bool by_sign = true;

    // The channel of weight w for a target in segments[k].
    int channel(std::size_t k, double w) const {
        return by_sign && w < 0.0 ? segments[k].inhibitory_channel : segments[k].channel;
    }
    // The one channel of every synapse onto global ids [begin, end) whose weights have sign `sign`
    // (PackedTable::weight_sign: +1 none negative, -1 all negative, 0 mixed or unknown); -1 if the
    // channel varies.
    int fixed_channel(std::uint64_t begin, std::uint64_t end, int sign) const;
};

ReceptorRoute route_receptor(const NetworkSpec& spec, const std::vector<std::string>& targets,
                             const std::string& receptor);

} // namespace nmsim
