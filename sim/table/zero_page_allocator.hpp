// An allocator for big tables that are filled by OR-ing bits into zeroed words: memory comes from
// calloc, which for large blocks maps fresh zero pages without touching them, and default
// construction writes nothing. So `resize(n)` on an empty vector costs no memset: each page is zeroed
// once, by the kernel, when the write pass first touches it (a 1.4 GB PD14 table: ~9 % of the build).
// Value construction (resize(n, 0), push_back) writes as usual.
// Blocks of 8 MB and more are mapped on 2 MB boundaries and advised as transparent huge pages: a
// 1.4 GB table then takes ~700 page faults instead of ~350,000 (a fault is costly in a VM), and
// delivery's random row reads miss the TLB far less.
#pragma once
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace nmsim {

namespace zero_pages {
inline constexpr std::size_t huge = std::size_t{2} << 20, mapped_from = std::size_t{8} << 20;
inline std::size_t mapped_length(std::size_t bytes) {
    return (bytes + huge - 1) / huge * huge;
}
// Fresh anonymous memory (zero), 2 MB aligned, advised for huge pages; nullptr on failure.
inline void* map(std::size_t bytes) {
    const std::size_t len = mapped_length(bytes);
    void* raw = mmap(nullptr, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto a = reinterpret_cast<std::uintptr_t>(raw), start = (a + huge - 1) / huge * huge;
    if (start > a) munmap(raw, start - a); // trim to the aligned part
    if (start + len < a + len + huge) munmap(reinterpret_cast<void*>(start + len), a + huge - start);
    madvise(reinterpret_cast<void*>(start), len, MADV_HUGEPAGE); // advice: harmless if unsupported
    return reinterpret_cast<void*>(start);
}
} // namespace zero_pages

template <class T> struct ZeroPageAllocator {
    using value_type = T;
    ZeroPageAllocator() = default;
    template <class U> ZeroPageAllocator(const ZeroPageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n * sizeof(T) >= zero_pages::mapped_from) {
            if (void* p = zero_pages::map(n * sizeof(T))) return static_cast<T*>(p);
            throw std::bad_alloc();
        }
        if (void* p = std::calloc(n, sizeof(T))) return static_cast<T*>(p);
        throw std::bad_alloc();
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) >= zero_pages::mapped_from)
            munmap(p, zero_pages::mapped_length(n * sizeof(T)));
        else
            std::free(p);
    }
    template <class U>
    void construct(U*) noexcept {} // default construction: the memory is already zero (fresh calloc)
    template <class U, class... Args> void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    template <class U> bool operator==(const ZeroPageAllocator<U>&) const noexcept { return true; }
};

} // namespace nmsim
