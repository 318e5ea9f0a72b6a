// An allocator for big tables that are filled by OR-ing bits into zeroed words: memory comes from
// calloc, which for large blocks maps fresh zero pages without touching them, and default
// construction writes nothing. So `resize(n)` on an empty vector costs no memset: each page is zeroed
// once, by the kernel, when the write pass first touches it (a 1.4 GB PD14 table: ~9 % of the build).
// Value construction (resize(n, 0), push_back) writes as usual.
#pragma once
#include <cstdlib>
#include <new>
#include <utility>

namespace nmsim {

template <class T> struct ZeroPageAllocator {
    using value_type = T;
    ZeroPageAllocator() = default;
    template <class U> ZeroPageAllocator(const ZeroPageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (void* p = std::calloc(n, sizeof(T))) return static_cast<T*>(p);
        throw std::bad_alloc();
    }
    void deallocate(T* p, std::size_t) noexcept { std::free(p); }
    template <class U>
    void construct(U*) noexcept {} // default construction: the memory is already zero (fresh calloc)
    template <class U, class... Args> void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    template <class U> bool operator==(const ZeroPageAllocator<U>&) const noexcept { return true; }
};

} // namespace nmsim
