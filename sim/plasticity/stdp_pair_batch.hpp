// The pair rule's batch kernel as the catch-up calls it: stdp_pair_batch's results (weights, levels, and
// which synapses were complete, as a bit mask), written with AVX-512 intrinsics where the build has
// them. GCC's vectorisation of stdp_pair_batch (the reference, and the path without AVX-512) spent
// much of its time moving masks and halves of registers, and it computes all four potentiation slots
// for every synapse; here eight synapses go through each step, and a slot no lane reaches is skipped
// (the oldest kept spikes reach few updates). Skipping is exact: a missed slot leaves w as it is in
// stdp_pair_update too (w + 0, and w <= w_max). Every value is computed with the same operations in the
// same order as stdp_pair_update, so the results are bitwise the same (test).
#pragma once
#include <cstdint>

#include "sim/plasticity/stdp.hpp"

#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace nmsim {

#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512BW__)
template <bool Additive, bool Facilitate, bool Spike, bool Round>
inline std::uint64_t stdp_pair_batch_mask(const StdpRule& rule, const StdpState& st, std::size_t n,
                                          const std::uint32_t* target, const std::uint32_t* delay,
                                          const std::uint16_t* level, std::uint32_t last, double k_plus,
                                          std::uint32_t pre, double* w_out, std::uint16_t* q_out) {
    const StdpRule::Pair rule_ = rule.pair();
    const auto* stamps = reinterpret_cast<const long long*>(st.recent_stamps());
    const double* k_afters = st.recent_k_after();
    // (maskz forms of the 512-bit operations: the unmasked ones trip GCC 12's -Wuninitialized)
    constexpr __mmask8 all = 0xFF;
    const __m512d zero = _mm512_setzero_pd();
    const __m512d a_plus = _mm512_set1_pd(rule_.a_plus), a_minus = _mm512_set1_pd(rule_.a_minus);
    const __m512d w_min = _mm512_set1_pd(rule_.w_min), w_max = _mm512_set1_pd(rule_.w_max);
    const __m512d levels = _mm512_set1_pd(rule_.levels), step = _mm512_set1_pd(rule_.step);
    const __m512d inverse_step = _mm512_set1_pd(rule_.inverse_step), kp = _mm512_set1_pd(k_plus);
    const __m256i last_v = _mm256_set1_epi32(static_cast<int>(last)),
                  pre_v = _mm256_set1_epi32(static_cast<int>(pre));
    const __m256i minus_end = _mm256_set1_epi32(static_cast<int>(rule_.minus_end));
    const __m256i one = _mm256_set1_epi32(1);
    const auto negate = [](__m512d x) { // -x exactly (0 - x is +0 for x = 0)
        return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MIN)));
    };
    const auto decode = [&](__m256i q) {
        const __m512d qd = _mm512_maskz_cvtepi32_pd(all, q);
        const __m512d w = _mm512_maskz_fmadd_pd(all, qd, step, w_min);
        return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(qd, levels, _CMP_GE_OQ), w, w_max);
    };
    std::uint64_t complete_mask = 0;
    for (std::size_t b = 0; b < n; b += 8) {
        const unsigned m = static_cast<unsigned>(std::min<std::size_t>(8, n - b));
        const __mmask8 lanes = static_cast<__mmask8>((1u << m) - 1);
        const __m256i line = _mm256_maskz_loadu_epi32(lanes, target + b);
        const __m256i d = _mm256_maskz_loadu_epi32(lanes, delay + b);
        const __m256i q0 = _mm256_cvtepu16_epi32(_mm_maskz_loadu_epi16(lanes, level + b));
        __m512d w = decode(q0);
        // The four newest stamps, newest first, as two 64-bit pairs per target line.
        const __m256i stamp_index = _mm256_slli_epi32(line, 3); // StdpState::recent_stamp_stride
        const __m512i pair01 =
            _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), lanes, stamp_index, stamps, 4);
        const __m512i pair23 =
            _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), lanes, stamp_index, stamps + 1, 4);
        const __m256i s[4] = {_mm512_maskz_cvtepi64_epi32(all, pair01),
                              _mm512_maskz_cvtepi64_epi32(all, _mm512_maskz_srli_epi64(all, pair01, 32)),
                              _mm512_maskz_cvtepi64_epi32(all, pair23),
                              _mm512_maskz_cvtepi64_epi32(all, _mm512_maskz_srli_epi64(all, pair23, 32))};
        __mmask8 complete = lanes;
        if constexpr (Facilitate) {
            complete &= _mm256_cmple_epu32_mask(_mm256_add_epi32(s[3], d), last_v);
            for (int i = 4; i-- > 0;) { // oldest first
                const __m256i sd = _mm256_add_epi32(s[i], d);
                const __mmask8 hit =
                    _mm256_mask_cmple_epu32_mask(_mm256_mask_cmpgt_epu32_mask(lanes, sd, last_v), sd, pre_v);
                if (hit == 0) continue; // w + 0 for every lane: w as it is
                const __m512d plus =
                    _mm512_mask_i32gather_pd(zero, hit, _mm256_sub_epi32(sd, last_v), rule_.plus, 8);
                const __m512d x = _mm512_maskz_mul_pd(all, kp, plus); // k_plus plus[.] (times hit = 1)
                const __m512d a =
                    Additive ? a_plus : _mm512_maskz_mul_pd(all, a_plus, _mm512_maskz_sub_pd(all, w_max, w));
                w = _mm512_mask_min_pd(w, hit, w_max,
                                       _mm512_maskz_fmadd_pd(all, a, x, w)); // std::min(., w_max)
            }
        }
        if constexpr (Spike) {
            // The newest stamp strictly before t (stamps descend; none: the oldest), and how many are not.
            const __m256i t = _mm256_sub_epi32(pre_v, d);
            __m256i newest = s[3], count = _mm256_setzero_si256();
            for (int k = 4; k-- > 0;) {
                const __mmask8 before = _mm256_cmplt_epu32_mask(s[k], t);
                newest = _mm256_mask_blend_epi32(before, newest, s[k]);
                count = _mm256_mask_add_epi32(count, static_cast<__mmask8>(~before), count, one);
            }
            complete &= _mm256_cmplt_epu32_mask(d, pre_v) &
                        _mm256_cmplt_epu32_mask(count, _mm256_set1_epi32(StdpState::recent_k_afters));
            const __m256i k_index = _mm256_add_epi32(_mm256_slli_epi32(line, 2), // recent_k_after_stride
                                                     _mm256_and_si256(count, one));
            const __m512d k_after = _mm512_mask_i32gather_pd(zero, lanes, k_index, k_afters, 8);
            const __m256i age = _mm256_min_epu32(_mm256_sub_epi32(t, newest), minus_end);
            const __m512d decay = _mm512_mask_i32gather_pd(zero, lanes, age, rule_.minus, 8);
            const __m512d y = _mm512_maskz_mul_pd(all, k_after, decay);
            const __m512d a =
                Additive ? negate(a_minus)
                         : negate(_mm512_maskz_mul_pd(all, a_minus, _mm512_maskz_sub_pd(all, w, w_min)));
            w = _mm512_maskz_max_pd(all, w_min, _mm512_maskz_fmadd_pd(all, a, y, w)); // std::max(., w_min)
        }
        if constexpr (Round) {
            // std::clamp((w - w_min) inverse_step, 0, levels), nearest (ties to even), and back.
            const __m512d x = _mm512_maskz_min_pd(
                all, levels,
                _mm512_maskz_max_pd(
                    all, zero, _mm512_maskz_mul_pd(all, _mm512_maskz_sub_pd(all, w, w_min), inverse_step)));
            const __m256i q = _mm512_maskz_cvtpd_epi32(all, x);
            _mm_mask_storeu_epi16(q_out + b, lanes, _mm256_maskz_cvtepi32_epi16(all, q));
            w = decode(_mm256_and_si256(q, _mm256_set1_epi32(0xFFFF)));
        }
        _mm512_mask_storeu_pd(w_out + b, lanes, w);
        complete_mask |= std::uint64_t{complete} << b;
    }
    return complete_mask;
}
#endif

// stdp_pair_batch for at most 64 synapses, returning bit k set where synapse k was complete.
template <bool Additive, bool Facilitate, bool Spike, bool Round>
inline std::uint64_t stdp_pair_batch_complete(const StdpRule& rule, const StdpState& st, std::size_t n,
                                              const std::uint32_t* target, const std::uint32_t* delay,
                                              const std::uint16_t* level, std::uint32_t last, double k_plus,
                                              std::uint32_t pre, double* w, std::uint16_t* q) {
#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512BW__)
    return stdp_pair_batch_mask<Additive, Facilitate, Spike, Round>(rule, st, n, target, delay, level, last,
                                                                    k_plus, pre, w, q);
#else
    std::uint8_t complete[64];
    stdp_pair_batch<Additive, Facilitate, Spike, Round>(rule, st, n, target, delay, level, last, k_plus, pre,
                                                        w, q, complete);
    std::uint64_t mask = 0;
    for (std::size_t k = 0; k < n; ++k) mask |= std::uint64_t{complete[k] != 0} << k;
    return mask;
#endif
}

} // namespace nmsim
