// mpixx/partition.hpp - block partition of n items over p parts, correct for every n >= 0 and p >= 1.
//
// The guide's `local_N = N // size` drops the remainder (or piles it on the last rank). Here the first
// n % p blocks get one extra item, so block sizes differ by at most one and every index has one owner:
//
//   auto [begin, end] = mpixx::block_range(N, comm);   // this rank's half-open share of [0, N)
//   auto counts = mpixx::block_counts<int>(N, comm.size()); // int: what scatterv/gatherv take
//   auto displs = mpixx::block_displs<int>(N, comm.size());
//
// Pure arithmetic, constexpr, no MPI call (except the communicator convenience) and no overflow for
// any n up to SIZE_MAX. Signed arguments (an int n, comm.size(), comm.rank()) are checked: a negative
// one throws MPI_ERR_ARG rather than wrapping around to a huge std::size_t.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/comm_base.hpp>
#include <mpixx/error.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// A half-open index range [begin, end).
struct index_range {
    std::size_t begin = 0; ///< First index.
    std::size_t end = 0;   ///< One past the last index.

    /// Number of indices in the range.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return end - begin; }
    /// Whether the range holds no index.
    [[nodiscard]] constexpr bool empty() const noexcept { return begin == end; }
    /// Whether `i` lies in [begin, end).
    [[nodiscard]] constexpr bool contains(std::size_t i) const noexcept { return begin <= i && i < end; }

    friend constexpr bool operator==(const index_range&, const index_range&) = default;
};

namespace detail {

/// Throws MPI_ERR_ARG for zero parts (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_no_parts(const char* routine) {
    throw_usage(routine, MPI_ERR_ARG, "cannot partition into 0 parts (parts must be >= 1)");
}

/// Throws MPI_ERR_ARG for a part index outside [0, parts) (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_bad_part(const char* routine, std::size_t index,
                                                    std::size_t parts) {
    throw_usage(routine, MPI_ERR_ARG,
                "part " + std::to_string(index) + " is out of range for " + std::to_string(parts) + " part(s)");
}

/// Throws MPI_ERR_ARG for a global index outside [0, n) (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_bad_index(const char* routine, std::size_t i,
                                                     std::size_t n) {
    throw_usage(routine, MPI_ERR_ARG,
                "index " + std::to_string(i) + " is out of range for " + std::to_string(n) + " item(s)");
}

/// Throws MPI_ERR_ARG for a negative item count, part count or index (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_negative(const char* routine, const char* what, long long v) {
    throw_usage(routine, MPI_ERR_ARG, std::string(what) + " is " + std::to_string(v) + ": it must not be negative");
}

/// A signed argument as std::size_t: converted implicitly, -1 would become SIZE_MAX items or parts and
/// give a huge range instead of an error, so the signed overloads below check it first.
template <std::integral V>
constexpr std::size_t to_size(V v, const char* routine, const char* what) {
    if constexpr (std::is_signed_v<V>) {
        if (v < 0) [[unlikely]]
            throw_negative(routine, what, static_cast<long long>(v));
        if constexpr (sizeof(V) > sizeof(std::size_t)) // e.g. __int128
            if (v > static_cast<V>(SIZE_MAX)) [[unlikely]]
                throw_usage(routine, MPI_ERR_ARG, std::string(what) + " does not fit std::size_t");
    }
    return static_cast<std::size_t>(v);
}

/// Arguments of which at least one is a signed integer: the overloads that check for negative values.
template <class... V>
concept any_signed = (std::integral<V> && ...) && (std::signed_integral<V> || ...);

constexpr void check_parts(std::size_t parts, const char* routine) {
    if (parts == 0) [[unlikely]]
        throw_no_parts(routine);
}

/// The communicator's size as a part count; a null communicator cannot own a share.
inline std::size_t comm_parts(const comm_base& comm, const char* routine) {
    if (comm.is_null()) [[unlikely]]
        throw_usage(routine, MPI_ERR_COMM, "the communicator is null");
    return static_cast<std::size_t>(comm.size());
}

} // namespace detail

/// Number of items in part `index` of n items split into `parts` blocks: n / parts, plus one for the
/// first n % parts parts.
[[nodiscard]] constexpr std::size_t block_count(std::size_t n, std::size_t parts, std::size_t index) {
    detail::check_parts(parts, "mpixx::block_count");
    if (index >= parts) [[unlikely]]
        detail::throw_bad_part("mpixx::block_count", index, parts);
    return n / parts + (index < n % parts ? 1 : 0);
}

/// The half-open range [begin, end) of part `index` of n items split into `parts` blocks.
[[nodiscard]] constexpr index_range block_range(std::size_t n, std::size_t parts, std::size_t index) {
    detail::check_parts(parts, "mpixx::block_range");
    if (index >= parts) [[unlikely]]
        detail::throw_bad_part("mpixx::block_range", index, parts);
    const std::size_t q = n / parts, r = n % parts;
    // index * q <= n, so nothing here can overflow.
    const std::size_t begin = index * q + (index < r ? index : r);
    return {begin, begin + q + (index < r ? 1 : 0)};
}

/// The part that owns global index `i` of n items split into `parts` blocks (the inverse of block_range).
[[nodiscard]] constexpr std::size_t block_owner(std::size_t n, std::size_t parts, std::size_t i) {
    detail::check_parts(parts, "mpixx::block_owner");
    if (i >= n) [[unlikely]]
        detail::throw_bad_index("mpixx::block_owner", i, n);
    const std::size_t q = n / parts, r = n % parts;
    const std::size_t big = r * (q + 1); // the first r parts hold q + 1 items each
    // When q == 0 every index lies below `big`, so the second branch never divides by zero.
    return i < big ? i / (q + 1) : r + (i - big) / q;
}

namespace detail {
/// Throws MPI_ERR_ARG for more parts than a std::vector<I> can hold (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_too_many_parts(const char* routine, std::size_t parts, std::size_t max) {
    throw_usage(routine, MPI_ERR_ARG,
                std::to_string(parts) + " parts do not fit a std::vector (max_size() is " + std::to_string(max) + ")");
}

/// Throws MPI_ERR_NO_MEM when the vector of `parts` values could not be allocated (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_no_mem_parts(const char* routine, std::size_t parts, std::size_t bytes) {
    throw_usage(routine, MPI_ERR_NO_MEM,
                "no memory for " + std::to_string(parts) + " parts (" + std::to_string(bytes) + " bytes)");
}

/// `parts` copies of `v`: an mpixx::error rather than std::length_error / std::bad_alloc from the vector
/// (a part count that big is a wrong argument, e.g. a negative count cast to std::size_t).
template <class I>
constexpr std::vector<I> part_vector(std::size_t parts, I v, const char* routine) {
    std::vector<I> out;
    if (parts > out.max_size()) [[unlikely]]
        throw_too_many_parts(routine, parts, out.max_size());
    try {
        out.assign(parts, v);
    } catch (const std::bad_alloc&) {
        throw_no_mem_parts(routine, parts, parts * sizeof(I)); // parts <= max_size(): no overflow
    }
    return out;
}

/// `v` as an I; MPI_ERR_COUNT when it does not fit (e.g. block_counts<int> of more than INT_MAX items).
template <std::integral I>
constexpr I narrow_count(std::size_t v, const char* routine) {
    static_assert(!std::is_same_v<I, bool>, "mpixx: counts of type bool");
    if (v > static_cast<std::make_unsigned_t<I>>(std::numeric_limits<I>::max())) [[unlikely]]
        throw_usage(routine, MPI_ERR_COUNT, std::to_string(v) + " does not fit the requested integer type");
    return static_cast<I>(v);
}
} // namespace detail

/// Items per part, in part order (the counts of a scatterv/gatherv of n items over `parts` ranks).
/// `block_counts<int>` gives what the v-collectives take (std::span<const int>); values that do not fit
/// I throw MPI_ERR_COUNT, more parts than a std::vector holds MPI_ERR_ARG, no memory MPI_ERR_NO_MEM.
template <std::integral I = std::size_t>
[[nodiscard]] constexpr std::vector<I> block_counts(std::size_t n, std::size_t parts) {
    detail::check_parts(parts, "mpixx::block_counts");
    const std::size_t q = n / parts, r = n % parts; // the first r parts get q + 1
    std::vector<I> counts = detail::part_vector(parts, detail::narrow_count<I>(q, "mpixx::block_counts"),
                                                "mpixx::block_counts");
    if (r != 0) {
        const I bigger = detail::narrow_count<I>(q + 1, "mpixx::block_counts");
        for (std::size_t i = 0; i < r; ++i) counts[i] = bigger;
    }
    return counts;
}

/// Offset of each part's first item (the displacements of a scatterv/gatherv of n items); I and the
/// errors as in block_counts.
template <std::integral I = std::size_t>
[[nodiscard]] constexpr std::vector<I> block_displs(std::size_t n, std::size_t parts) {
    detail::check_parts(parts, "mpixx::block_displs");
    std::vector<I> displs = detail::part_vector(parts, I{0}, "mpixx::block_displs");
    for (std::size_t i = 0; i < parts; ++i)
        displs[i] = detail::narrow_count<I>(block_range(n, parts, i).begin, "mpixx::block_displs");
    return displs;
}

/// As above, for signed arguments (an int count, comm.size(), comm.rank()): a negative one throws
/// MPI_ERR_ARG instead of wrapping around to a huge std::size_t.
template <class N, class P, class X>
    requires detail::any_signed<N, P, X>
[[nodiscard]] constexpr std::size_t block_count(N n, P parts, X index) {
    constexpr const char* r = "mpixx::block_count";
    return block_count(detail::to_size(n, r, "n"), detail::to_size(parts, r, "parts"), detail::to_size(index, r, "index"));
}
/// block_range with signed arguments; a negative one throws MPI_ERR_ARG.
template <class N, class P, class X>
    requires detail::any_signed<N, P, X>
[[nodiscard]] constexpr index_range block_range(N n, P parts, X index) {
    constexpr const char* r = "mpixx::block_range";
    return block_range(detail::to_size(n, r, "n"), detail::to_size(parts, r, "parts"), detail::to_size(index, r, "index"));
}
/// block_owner with signed arguments; a negative one throws MPI_ERR_ARG.
template <class N, class P, class X>
    requires detail::any_signed<N, P, X>
[[nodiscard]] constexpr std::size_t block_owner(N n, P parts, X i) {
    constexpr const char* r = "mpixx::block_owner";
    return block_owner(detail::to_size(n, r, "n"), detail::to_size(parts, r, "parts"), detail::to_size(i, r, "index"));
}
/// block_counts with signed arguments; a negative one throws MPI_ERR_ARG.
template <std::integral I = std::size_t, class N, class P>
    requires detail::any_signed<N, P>
[[nodiscard]] constexpr std::vector<I> block_counts(N n, P parts) {
    constexpr const char* r = "mpixx::block_counts";
    return block_counts<I>(detail::to_size(n, r, "n"), detail::to_size(parts, r, "parts"));
}
/// block_displs with signed arguments; a negative one throws MPI_ERR_ARG.
template <std::integral I = std::size_t, class N, class P>
    requires detail::any_signed<N, P>
[[nodiscard]] constexpr std::vector<I> block_displs(N n, P parts) {
    constexpr const char* r = "mpixx::block_displs";
    return block_displs<I>(detail::to_size(n, r, "n"), detail::to_size(parts, r, "parts"));
}

/// This rank's share of n items block-partitioned over the communicator (collective-free).
[[nodiscard]] inline index_range block_range(std::size_t n, const detail::comm_base& comm) {
    const std::size_t parts = detail::comm_parts(comm, "mpixx::block_range");
    return block_range(n, parts, static_cast<std::size_t>(comm.rank()));
}

/// Number of items this rank owns of n items block-partitioned over the communicator.
[[nodiscard]] inline std::size_t block_count(std::size_t n, const detail::comm_base& comm) {
    const std::size_t parts = detail::comm_parts(comm, "mpixx::block_count");
    return block_count(n, parts, static_cast<std::size_t>(comm.rank()));
}

/// The rank that owns global index `i` of n items block-partitioned over the communicator.
[[nodiscard]] inline int block_owner(std::size_t n, const detail::comm_base& comm, std::size_t i) {
    const std::size_t parts = detail::comm_parts(comm, "mpixx::block_owner");
    return static_cast<int>(block_owner(n, parts, i));
}

/// The communicator forms with a signed item count (or index); a negative one throws MPI_ERR_ARG.
template <std::signed_integral N>
[[nodiscard]] index_range block_range(N n, const detail::comm_base& comm) {
    return block_range(detail::to_size(n, "mpixx::block_range", "n"), comm);
}
/// block_count over the communicator with a signed item count; a negative one throws MPI_ERR_ARG.
template <std::signed_integral N>
[[nodiscard]] std::size_t block_count(N n, const detail::comm_base& comm) {
    return block_count(detail::to_size(n, "mpixx::block_count", "n"), comm);
}
/// block_owner over the communicator with signed arguments; a negative one throws MPI_ERR_ARG.
template <class N, class X>
    requires detail::any_signed<N, X>
[[nodiscard]] int block_owner(N n, const detail::comm_base& comm, X i) {
    constexpr const char* r = "mpixx::block_owner";
    return block_owner(detail::to_size(n, r, "n"), comm, detail::to_size(i, r, "index"));
}

} // namespace mpixx
