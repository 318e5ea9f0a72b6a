#include "sim/build/conv_connector.hpp"

namespace nmsim {

std::uint64_t ConvConnector::synapse_count() const {
    std::uint64_t n = 0;
    for (std::uint64_t s = 0; s < source_size(); ++s) row(s, [&](std::uint64_t, double) { ++n; });
    return n;
}

void ConvConnector::compact() {
    for (double w : kernel)
        if (static_cast<double>(static_cast<float>(w)) != w) return;
    kernel32.assign(kernel.begin(), kernel.end());
    kernel.clear();
    kernel.shrink_to_fit();
}

} // namespace nmsim
