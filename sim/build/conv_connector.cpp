#include "sim/build/conv_connector.hpp"

namespace nmsim {

std::uint64_t ConvConnector::synapse_count() const {
    std::uint64_t n = 0;
    for (std::uint64_t s = 0; s < source_size(); ++s) row(s, [&](std::uint64_t, double) { ++n; });
    return n;
}

} // namespace nmsim
