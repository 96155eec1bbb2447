// mpixx/detail/topology_common.hpp - what the topology communicators share: argument lists that take a
// std::vector, a std::span or a braced list alike (int_args, bool_args), owning a communicator MPI
// created, and the (cold) errors of bad topology arguments.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/error.hpp>
#include <mpixx/detail/std_light.hpp>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A read-only list of ints given by the caller: any contiguous range of int (std::vector, std::array,
/// std::span) or a braced list {2, 3}. Refers to the caller's memory for the duration of the call.
class int_args {
public:
    /// The elements of a contiguous range of int.
    template <class R>
        requires(!std::same_as<std::remove_cvref_t<R>, int_args>) && std::ranges::contiguous_range<const R&> &&
                std::ranges::sized_range<const R&> && std::same_as<std::ranges::range_value_t<const R&>, int>
    int_args(const R& r) noexcept // NOLINT(google-explicit-constructor): implicit by design
        : s_(std::ranges::data(r), static_cast<std::size_t>(std::ranges::size(r))) {}
    /// A braced list (lives until the end of the full expression, as the call does).
    int_args(std::initializer_list<int> l) noexcept : s_(l.begin(), l.size()) {}

    [[nodiscard]] std::span<const int> span() const noexcept { return s_; }
    [[nodiscard]] std::size_t size() const noexcept { return s_.size(); }
    [[nodiscard]] int operator[](std::size_t i) const noexcept { return s_[i]; }
    [[nodiscard]] const int* data() const noexcept { return s_.data(); }

private:
    std::span<const int> s_;
};

/// A read-only list of flags given by the caller: std::span<const bool>, std::vector<bool>,
/// std::array<bool, N>, a braced list {true, false}, or one bool meaning "the same for every entry".
class bool_args {
public:
    /// One flag for every entry.
    template <std::same_as<bool> B>
    bool_args(B all) noexcept : all_(all), uniform_(true) {} // NOLINT(google-explicit-constructor)
    /// The flags of a contiguous range of bool.
    template <class R>
        requires(!std::same_as<std::remove_cvref_t<R>, bool_args>) && std::ranges::contiguous_range<const R&> &&
                std::ranges::sized_range<const R&> && std::same_as<std::ranges::range_value_t<const R&>, bool>
    bool_args(const R& r) noexcept // NOLINT(google-explicit-constructor)
        : s_(std::ranges::data(r), static_cast<std::size_t>(std::ranges::size(r))), n_(s_.size()) {}
    /// The flags of a std::vector<bool> (not contiguous, read through its interface).
    bool_args(const std::vector<bool>& v) noexcept : vb_(&v), n_(v.size()) {} // NOLINT(google-explicit-constructor)
    /// A braced list.
    bool_args(std::initializer_list<bool> l) noexcept : s_(l.begin(), l.size()), n_(l.size()) {}

    /// Whether one flag stands for every entry.
    [[nodiscard]] bool uniform() const noexcept { return uniform_; }
    /// Number of flags given (meaningless when uniform()).
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    /// Flag i.
    [[nodiscard]] bool operator[](std::size_t i) const noexcept {
        if (uniform_) return all_;
        return vb_ ? static_cast<bool>((*vb_)[i]) : s_[i];
    }

private:
    std::span<const bool> s_;
    const std::vector<bool>* vb_ = nullptr;
    std::size_t n_ = 0;
    bool all_ = false;
    bool uniform_ = false;
};

/// The communicator must be a non-null intracommunicator (MPI_ERR_COMM otherwise).
inline void check_topology_parent(const communicator& comm, const char* routine) {
    if (comm.is_null()) [[unlikely]]
        throw_usage(routine, MPI_ERR_COMM, "the communicator is null");
    if (comm.is_inter()) [[unlikely]]
        throw_intercomm(routine);
}

/// "[2, 3]": a list of ints for error messages (cold path).
[[MPIXX_COLD]] inline std::string describe_ints(std::span<const int> v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

/// A list of the wrong length: `what` has `have` entries, `need` were expected (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_length(const char* routine, int cls, const char* what,
                                                  std::size_t have, std::size_t need,
                                                  const char* unit) {
    throw_usage(routine, cls,
                std::string(what) + " has " + std::to_string(have) + " entries but " + std::to_string(need) + " " +
                    unit + " expected");
}

/// An entry of a list out of its range (cold path): "`what`[i] is v (`rule`)".
[[noreturn, MPIXX_COLD]] inline void throw_entry(const char* routine, int cls, const char* what,
                                                 std::size_t i, long long v, const std::string& rule) {
    throw_usage(routine, cls,
                std::string(what) + "[" + std::to_string(i) + "] is " + std::to_string(v) + " (" + rule + ")");
}

/// An operation on a null topology communicator (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_null_topology(const char* routine) {
    throw_usage(routine, MPI_ERR_COMM,
                "the communicator is null (a process left out of the topology, or a default-constructed one)");
}

/// A communicator without the topology an mpixx type needs (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_not_topology(const char* routine, const char* wanted,
                                                        int status) {
    const char* has = status == MPI_CART        ? "a Cartesian topology"
                      : status == MPI_GRAPH     ? "a graph topology"
                      : status == MPI_DIST_GRAPH ? "a distributed-graph topology"
                                                 : "no topology";
    throw_usage(routine, MPI_ERR_TOPOLOGY, std::string("the communicator has ") + has + ", not " + wanted);
}

/// The topology of `comm` (MPI_Topo_test): MPI_CART, MPI_GRAPH, MPI_DIST_GRAPH or MPI_UNDEFINED.
inline int topo_status(const communicator& comm, const char* routine) {
    if (comm.is_null()) [[unlikely]]
        throw_null_topology(routine);
    int status = MPI_UNDEFINED;
    MPIXX_CALL(MPI_Topo_test, comm.native(), &status);
    return status;
}

} // namespace mpixx::detail
