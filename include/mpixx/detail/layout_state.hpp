// mpixx/detail/layout_state.hpp - the shared state behind every layout: its byte bounds (computed
// without MPI, so bad input is refused before MPI sees it) and its MPI datatype, built and committed
// once on first use, shared by every copy of the layout and freed with the last one.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/atomic.hpp>
#include <mpixx/error.hpp>
#include <mpixx/detail/std_light.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Where one instance of a layout lies relative to its base pointer, and how much data it holds.
struct layout_bounds {
    std::ptrdiff_t lb = 0;     ///< first byte holding data (may be negative: negative strides/displacements)
    std::ptrdiff_t ub = 0;     ///< one past the last byte holding data
    std::ptrdiff_t extent = 0; ///< bytes from one instance to the next; -1: MPI's (asked once built)
    std::size_t size = 0;      ///< elements of the layout's value type in one instance (bytes when untyped)
};

/// Throws MPI_ERR_ARG (or `cls`) for a layout that cannot describe memory (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_layout(const char* routine, const std::string& what,
                                                  int cls = MPI_ERR_ARG) {
    throw_usage(routine, cls, what);
}

/// a * b, refusing a layout whose byte offsets overflow (MPI_ERR_ARG).
inline std::ptrdiff_t layout_mul(const char* routine, std::ptrdiff_t a, std::ptrdiff_t b) {
    std::ptrdiff_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) [[unlikely]]
        throw_layout(routine, "the layout's byte offsets overflow");
    return r;
}

/// a + b, refusing overflow (MPI_ERR_ARG).
inline std::ptrdiff_t layout_add(const char* routine, std::ptrdiff_t a, std::ptrdiff_t b) {
    std::ptrdiff_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) [[unlikely]]
        throw_layout(routine, "the layout's byte offsets overflow");
    return r;
}

/// a - b, refusing overflow (MPI_ERR_ARG).
inline std::ptrdiff_t layout_sub(const char* routine, std::ptrdiff_t a, std::ptrdiff_t b) {
    std::ptrdiff_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) [[unlikely]]
        throw_layout(routine, "the layout's byte offsets overflow");
    return r;
}

/// Bytes [lo, hi) relative to a base address.
struct byte_range {
    long long lo = 0, hi = 0;
};

/// The bytes that `count` (> 0) items of `type` at byte offset `displ` touch: item i starts i * extent
/// after item 0, so with a NEGATIVE extent (a resized type) the items walk downwards and the range is
/// [displ + true_lb + (count - 1) * extent, displ + true_ub). False when that overflows (no buffer holds
/// it). Used by the fit checks of alltoallw-type calls, which take the caller's datatypes.
inline bool datatype_range(long long displ, std::size_t count, MPI_Datatype type, byte_range& out) {
    MPI_Aint lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    MPIXX_CALL(MPI_Type_get_extent, type, &lb, &extent);
    MPIXX_CALL(MPI_Type_get_true_extent, type, &true_lb, &true_extent);
    long long step = 0, first = 0, end = 0;
    if (count == 0 || count - 1 > static_cast<std::size_t>(LLONG_MAX)) return false;
    if (__builtin_mul_overflow(static_cast<long long>(count - 1), static_cast<long long>(extent), &step) ||
        __builtin_add_overflow(displ, static_cast<long long>(true_lb), &first) ||
        __builtin_add_overflow(first, static_cast<long long>(true_extent), &end) ||
        __builtin_add_overflow(first, std::min(0LL, step), &out.lo) ||
        __builtin_add_overflow(end, std::max(0LL, step), &out.hi)) [[unlikely]]
        return false;
    return true;
}

/// A count-like argument: non-negative and at most INT_MAX (MPI's int counts), else MPI_ERR_ARG.
inline int layout_count(const char* routine, const char* name, long long v) {
    if (v < 0 || v > INT_MAX) [[unlikely]]
        throw_layout(routine, std::string(name) + " is " + std::to_string(v) +
                                  (v < 0 ? " (negative)" : " (above INT_MAX)"));
    return static_cast<int>(v);
}

/// The datatype of a layout: built by `create()` (uncommitted) on the first native(), committed, cached,
/// freed by the destructor (the last copy of the layout). Thread-safe: concurrent first uses build once.
class layout_state {
public:
    explicit layout_state(const layout_bounds& b) noexcept : bounds_(b) {}
    layout_state(const layout_state&) = delete;
    layout_state& operator=(const layout_state&) = delete;
    virtual ~layout_state() {
        if (!ready_.load(memory_order_acquire)) return;
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Type_free(&type_); // after MPI_Finalize MPI has freed it (and may not be called)
    }

    /// The committed datatype; the common path is one acquire load.
    MPI_Datatype native() {
        if (ready_.load(memory_order_acquire)) [[likely]]
            return type_;
        return build();
    }

    /// The datatype's extent in bytes: where instance i+1 starts relative to instance i (builds it).
    std::ptrdiff_t extent() {
        native();
        return extent_;
    }

    /// Bounds and size of one instance (known without MPI).
    [[nodiscard]] const layout_bounds& bounds() const noexcept { return bounds_; }

protected:
    /// A new, uncommitted datatype for this layout (may use other layouts' committed datatypes).
    virtual MPI_Datatype create() const = 0;

private:
    [[MPIXX_COLD]] MPI_Datatype build() {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (ready_.load(memory_order_relaxed)) return type_;
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        if (!initialized || finalized)
            throw_usage("mpixx::layout::native", MPI_ERR_OTHER,
                        "a layout's datatype is built on first use, which needs MPI to be initialized (and not "
                        "finalized)");
        MPI_Datatype t = create();
        if (int rc = MPI_Type_commit(&t); rc != MPI_SUCCESS) {
            MPI_Type_free(&t);
            throw_mpi_error(rc, "MPI_Type_commit");
        }
        MPI_Aint lb = 0, extent = 0;
        if (int rc = MPI_Type_get_extent(t, &lb, &extent); rc != MPI_SUCCESS) {
            MPI_Type_free(&t);
            throw_mpi_error(rc, "MPI_Type_get_extent");
        }
        extent_ = static_cast<std::ptrdiff_t>(extent);
        type_ = t;
        ready_.store(true, memory_order_release);
        return t;
    }

    layout_bounds bounds_;
    atomic<bool> ready_{false};
    MPI_Datatype type_ = MPI_DATATYPE_NULL;
    std::ptrdiff_t extent_ = 0;
    std::mutex mutex_;
};

/// A layout_state whose datatype is made by a callable (the layout's parameters live in its captures).
template <class F>
class layout_state_of final : public layout_state {
public:
    layout_state_of(const layout_bounds& b, F f) : layout_state(b), make_(std::move(f)) {}

private:
    MPI_Datatype create() const override { return make_(); }
    F make_;
};

} // namespace mpixx::detail
