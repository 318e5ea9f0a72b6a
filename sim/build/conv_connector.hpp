// The conv connector: a convolution (1-d or 2-d, stride, padding, dilation, groups), optionally
// preceded by a non-overlapping pooling (kernel = stride, sum or average), between a source laid out
// as (channels, height, width) and a target laid out as (out_channels, out_height, out_width), both
// row-major as PyTorch and NIR flatten them. The kernel is stored once per projection; a source's
// row of synapses is expanded from it when the source spikes (procedural storage) or once at build
// (packed). A pooling alone is a depthwise convolution whose kernel holds the pool's weights.
#pragma once
#include <cstdint>
#include <vector>

namespace nmsim {

struct ConvConnector {
    // Source layout.
    std::uint32_t in_c = 1, in_h = 1, in_w = 1;
    // Pooling before the convolution: window = stride (1: none), padding, weight per input (1 for a
    // sum, 1/(ph*pw) for an average). Pooled layout: in_c x pool_out_h x pool_out_w.
    std::uint32_t pool_h = 1, pool_w = 1, pool_pad_h = 0, pool_pad_w = 0;
    std::uint32_t pool_out_h = 1, pool_out_w = 1;
    double pool_scale = 1.0;
    // The convolution (a pooling alone is a depthwise kernel of its window's weights).
    std::uint32_t out_c = 1, k_h = 1, k_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
    std::uint32_t dil_h = 1, dil_w = 1, groups = 1;
    std::vector<double> kernel;  // out_c x (in_c / groups) x k_h x k_w
    std::vector<float> kernel32; // the same, once compact() found every weight exact in float32
    // Target layout.
    std::uint32_t out_h = 1, out_w = 1;

    std::uint64_t source_size() const { return std::uint64_t{in_c} * in_h * in_w; }
    std::uint64_t target_size() const { return std::uint64_t{out_c} * out_h * out_w; }
    // Synapses with a non-zero weight, over all sources (for estimates and reports).
    std::uint64_t synapse_count() const;
    std::uint64_t kernel_bytes() const {
        return kernel32.empty() ? kernel.size() * sizeof(double) : kernel32.size() * sizeof(float);
    }
    // Holds the kernel in float32 when that loses nothing (exported graphs' weights are float32).
    void compact();
    // The kernel's weights, whichever way they are held.
    std::vector<double> weights() const {
        return kernel32.empty() ? kernel : std::vector<double>(kernel32.begin(), kernel32.end());
    }
    std::size_t weight_count() const { return kernel32.empty() ? kernel.size() : kernel32.size(); }

    // f(target_index, weight) for every synapse of source s, target indices ascending.
    template <class F> void row(std::uint64_t s, F&& f) const {
        if (kernel32.empty())
            row_of(kernel.data(), s, f);
        else
            row_of(kernel32.data(), s, f);
    }

private:
    template <class W, class F> void row_of(const W* weights, std::uint64_t s, F& f) const {
        const std::uint32_t x = static_cast<std::uint32_t>(s % in_w);
        const std::uint32_t y = static_cast<std::uint32_t>((s / in_w) % in_h);
        const std::uint32_t c = static_cast<std::uint32_t>(s / (std::uint64_t{in_w} * in_h));
        // Pooling: the one window holding (y, x), if any.
        const std::uint32_t py = (y + pool_pad_h) / pool_h, px = (x + pool_pad_w) / pool_w;
        if (py >= pool_out_h || px >= pool_out_w) return;
        const std::uint32_t in_per_group = in_c / groups, out_per_group = out_c / groups;
        const std::uint32_t g = c / in_per_group, ci = c % in_per_group;
        // Output oy reads pooled row oy*stride - pad + ky*dil: walking ky down walks oy up.
        for (std::uint32_t co = g * out_per_group; co < (g + 1) * out_per_group; ++co) {
            const W* w = &weights[(std::uint64_t{co} * in_per_group + ci) * k_h * k_w];
            for (std::uint32_t ky = k_h; ky-- > 0;) {
                const std::int64_t ny = std::int64_t{py} + pad_h - std::int64_t{ky} * dil_h;
                if (ny < 0 || ny % stride_h) continue;
                const std::uint64_t oy = static_cast<std::uint64_t>(ny / stride_h);
                if (oy >= out_h) continue;
                for (std::uint32_t kx = k_w; kx-- > 0;) {
                    const std::int64_t nx = std::int64_t{px} + pad_w - std::int64_t{kx} * dil_w;
                    if (nx < 0 || nx % stride_w) continue;
                    const std::uint64_t ox = static_cast<std::uint64_t>(nx / stride_w);
                    const double v = static_cast<double>(w[ky * k_w + kx]);
                    if (ox >= out_w || v == 0.0) continue;
                    f((std::uint64_t{co} * out_h + oy) * out_w + ox, v * pool_scale);
                }
            }
        }
    }
};

} // namespace nmsim
