// Layer-mapped chips on the NIR paper's networks: Speck sizes each layer of the Sinabs CNN as sinabs'
// dynapcnn backend does (DynapcnnLayer.memory_summary, worked by hand below) and finds a core for
// each; Xylo takes the Braille RNN and refuses the CNN, saying why.
#include <gtest/gtest.h>

#include "hw/layer_footprint.hpp"
#include "sim/nir/nir_import.hpp"

using namespace nmsim;

namespace {

NetworkSpec graph(const std::string& file) {
    NirImportOptions opt;
    return load_nir(std::string(NMSIM_SOURCE_DIR) + "/tests/data/nir/" + file, opt);
}
ChipProfile chip(const std::string& name) {
    return select_chips(name, {}).at(0);
}

TEST(LayerChips, SpeckSizesTheSinabsCnnLayerByLayer) {
    const NetworkSpec spec = graph("cnn_sinabs.nir");
    // kernel = c 2^(ceil log2(kh kw) + ceil log2 f), neurons = f 2^(ceil log2 h + ceil log2 w):
    // conv 16x2x5x5 -> 16x16x16: 2 * 32 * 16 = 1024, 16 * 16 * 16 = 4096
    // conv 16x16x3x3 -> 16x16x16: 16 * 16 * 16 = 4096, 4096
    // pool 2, conv 8x16x3x3 -> 8x8x8: 16 * 16 * 8 = 2048, 8 * 8 * 8 = 512
    // pool 2, flatten, linear 256x128 = conv 256x8x4x4: 8 * 16 * 256 = 32768, 256
    // linear 10x256 = conv 10x256x1x1: 256 * 1 * 16 = 4096, 10
    const std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> expect = {{"n1", {1024, 4096}},
                                                                                   {"n3", {4096, 4096}},
                                                                                   {"n6", {2048, 512}},
                                                                                   {"n10", {32768, 256}},
                                                                                   {"n12", {4096, 10}}};
    const auto layers = conv_layer_memory(spec);
    ASSERT_EQ(layers.size(), expect.size());
    for (const auto& l : layers) {
        ASSERT_TRUE(expect.count(l.population)) << l.population;
        EXPECT_EQ(l.kernel, expect.at(l.population).first) << l.population;
        EXPECT_EQ(l.neurons, expect.at(l.population).second) << l.population;
        EXPECT_EQ(l.bias, 0u);
    }
    const ChipFootprint f = conv_layer_footprint(chip("speck"), spec);
    EXPECT_TRUE(f.violations.empty()) << (f.violations.empty() ? "" : f.violations.front());
    EXPECT_EQ(f.cores, 5u);
    // The 32 Ki kernel goes to a core with at least 32 Ki of kernel memory (3 to 6).
    for (const auto& p : f.populations) {
        if (p.population == "n10") {
            EXPECT_NE(p.detail.find("kernel 32,768 of"), std::string::npos) << p.detail;
        }
    }
}

TEST(LayerChips, XyloTakesTheBrailleRnnNotTheCnn) {
    const ChipFootprint rnn = xylo_footprint(chip("xylo"), graph("braille_noDelay_bias_zero.nir"));
    EXPECT_TRUE(rnn.violations.empty()) << (rnn.violations.empty() ? "" : rnn.violations.front());
    const ChipFootprint cnn = xylo_footprint(chip("xylo"), graph("cnn_sinabs.nir"));
    auto says = [&](const std::string& what) {
        for (const auto& v : cnn.violations)
            if (v.find(what) != std::string::npos) return true;
        return false;
    };
    EXPECT_TRUE(says("8,960 hidden neurons but xylo has 1,000"));
    EXPECT_TRUE(says("2,312 input channels but xylo has 16"));
    EXPECT_TRUE(says("integrate-and-fire"));
    // And Speck refuses the RNN's leaky neurons.
    const ChipFootprint speck = conv_layer_footprint(chip("speck"), graph("braille_noDelay_bias_zero.nir"));
    EXPECT_FALSE(speck.violations.empty());
}

} // namespace
