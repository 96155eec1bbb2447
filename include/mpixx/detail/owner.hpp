// mpixx/detail/owner.hpp - the two smart pointers the core needs: box<T> (sole owner) and rc<T>
// (shared, reference counted).
//
// Why not <memory>: in C++20 libstdc++'s <memory> brings the ranges uninitialized algorithms and
// atomic waits, and its unique_ptr brings <ostream>: together 0.5 s of every translation unit that
// includes the core, more than mpixx's whole typed core costs. These two cover what the core uses:
// moving ownership of a payload or table, and a handle freed by its last copy.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Sole owner of a heap object (T) or array (T[]), deleted with delete / delete[]; move-only.
template <class T>
class box {
    using E = std::remove_extent_t<T>;
    static constexpr bool array = std::is_array_v<T>;

public:
    box() noexcept = default;
    box(std::nullptr_t) noexcept {}
    explicit box(E* p) noexcept : p_(p) {}
    /// From a box of a derived class (an object, not an array).
    template <class U>
        requires(!array && !std::is_array_v<U> && std::is_convertible_v<U*, E*>)
    box(box<U>&& o) noexcept : p_(o.release()) {}
    box(box&& o) noexcept : p_(o.release()) {}
    box& operator=(box&& o) noexcept {
        reset(o.release());
        return *this;
    }
    box& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    ~box() { reset(); }

    void reset(E* p = nullptr) noexcept {
        E* old = std::exchange(p_, p);
        if constexpr (array) delete[] old;
        else delete old;
    }
    [[nodiscard]] E* release() noexcept { return std::exchange(p_, nullptr); }
    [[nodiscard]] E* get() const noexcept { return p_; }
    E* operator->() const noexcept { return p_; }
    E& operator*() const noexcept
        requires(!array)
    {
        return *p_;
    }
    E& operator[](std::size_t i) const noexcept
        requires array
    {
        return p_[i];
    }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    friend bool operator==(const box& b, std::nullptr_t) noexcept { return b.p_ == nullptr; }

private:
    E* p_ = nullptr;
};

/// A new T made from args, in a box.
template <class T, class... A>
    requires(!std::is_array_v<T>)
box<T> make_box(A&&... args) {
    return box<T>(new T(std::forward<A>(args)...));
}

/// A box of n value-initialized T (zeros for scalars).
template <class T>
box<T[]> make_array(std::size_t n) {
    return box<T[]>(new T[n]());
}

/// A box of n default-initialized T (scalars left unset, to be overwritten).
template <class T>
box<T[]> make_array_for_overwrite(std::size_t n) {
    return box<T[]>(new T[n]);
}

/// The shared part behind rc<T>: a count and what the last copy does.
struct rc_block {
    long count = 1;
    virtual ~rc_block() = default;
};

/// Shared ownership of a heap object (or, as rc<void>, of an action run by the last copy); copies
/// count atomically, so copies may live in different threads.
template <class T>
class rc {
public:
    rc() noexcept = default;
    rc(std::nullptr_t) noexcept {}
    rc(T* p, rc_block* b) noexcept : p_(p), b_(b) {}
    rc(const rc& o) noexcept : p_(o.p_), b_(o.b_) { acquire(); }
    rc(rc&& o) noexcept : p_(std::exchange(o.p_, nullptr)), b_(std::exchange(o.b_, nullptr)) {}
    /// From an rc of a derived (or less const) class, or any rc as rc<void>.
    template <class U>
        requires std::is_convertible_v<U*, T*>
    rc(const rc<U>& o) noexcept : p_(o.get()), b_(o.block()) {
        acquire();
    }
    template <class U>
        requires std::is_convertible_v<U*, T*>
    rc(rc<U>&& o) noexcept : p_(o.get()), b_(o.take_block()) {}
    rc& operator=(rc o) noexcept {
        std::swap(p_, o.p_);
        std::swap(b_, o.b_);
        return *this;
    }
    ~rc() { release(); }

    void reset() noexcept { rc().swap(*this); }
    void swap(rc& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(b_, o.b_);
    }
    [[nodiscard]] T* get() const noexcept { return p_; }
    T* operator->() const noexcept { return p_; }
    template <class U = T>
        requires(!std::is_void_v<U>)
    U& operator*() const noexcept {
        return *p_;
    }
    explicit operator bool() const noexcept { return b_ != nullptr; }
    friend bool operator==(const rc& r, std::nullptr_t) noexcept { return r.b_ == nullptr; }
    /// How many copies share it (0 when empty); for tests.
    [[nodiscard]] long use_count() const noexcept { return b_ ? __atomic_load_n(&b_->count, __ATOMIC_RELAXED) : 0; }

    [[nodiscard]] rc_block* block() const noexcept { return b_; }
    [[nodiscard]] rc_block* take_block() noexcept {
        p_ = nullptr;
        return std::exchange(b_, nullptr);
    }

private:
    void acquire() noexcept {
        if (b_) __atomic_fetch_add(&b_->count, 1, __ATOMIC_RELAXED);
    }
    void release() noexcept {
        if (b_ && __atomic_sub_fetch(&b_->count, 1, __ATOMIC_ACQ_REL) == 0) delete b_;
    }
    T* p_ = nullptr;
    rc_block* b_ = nullptr;
};

template <class T>
struct rc_object final : rc_block {
    template <class... A>
    explicit rc_object(A&&... args) : value(std::forward<A>(args)...) {}
    T value;
};

template <class F>
struct rc_action final : rc_block {
    explicit rc_action(F f) : fn(std::move(f)) {}
    ~rc_action() override { fn(); }
    F fn;
};

/// A new T made from args, shared.
template <class T, class... A>
rc<T> make_rc(A&&... args) {
    auto* b = new rc_object<T>(std::forward<A>(args)...);
    return rc<T>(&b->value, b);
}

/// A share whose last copy calls f() (to free an MPI handle), as an rc<void>.
template <class F>
rc<void> on_last_copy(F f) {
    return rc<void>(nullptr, new rc_action<F>(std::move(f)));
}

} // namespace mpixx::detail
