// mpixx/group.hpp - process groups (MPI_Group) as a value type.
//
//   auto g = comm.group();                      // MPI_Comm_group
//   auto evens = g.range_incl({{0, g.size() - 1, 2}});
//   auto rest = g - evens;                      // difference; | union, & intersection
//   auto sub = comm.create_group(evens, 7);     // only the members call it (communicator.hpp)
//
// A group is cheap to copy: copies share the handle, freed (MPI_Group_free) with the last copy. Ranks
// given to incl/excl/range_incl/range_excl/translate_ranks are checked before MPI sees them (in range,
// no duplicates, non-zero strides): mpixx::error with MPI_ERR_RANK or MPI_ERR_ARG. Communicators made
// from groups are created by communicator::create and create_group. This header does not include the
// communicator (it stays light).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>
#include <mpixx/detail/owner.hpp>

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

enum class comparison : int; // communicator.hpp: identical, congruent, similar, unequal

namespace detail {

/// The i-th rank given is out of range (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_group_rank(const char* routine, std::size_t i, int rank,
                                                      int size) {
    throw_usage(routine, MPI_ERR_RANK,
                "ranks[" + std::to_string(i) + "] is " + std::to_string(rank) + ", not a rank of a group of size " +
                    std::to_string(size));
}

/// A rank given twice (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_group_duplicate(const char* routine, int rank) {
    throw_usage(routine, MPI_ERR_RANK, "rank " + std::to_string(rank) + " is given more than once");
}

/// Frees a group mpixx owns (never the predefined empty group, nor after MPI_Finalize).
inline void free_group(MPI_Group g) noexcept {
    if (g == MPI_GROUP_NULL || g == MPI_GROUP_EMPTY) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Group_free(&g);
}

} // namespace detail

/// A range of ranks for range_incl/range_excl: first, first + stride, ... up to last (MPI's triplet).
struct rank_range {
    int first;      ///< the first rank
    int last;       ///< the bound (reached when (last - first) is a multiple of stride); past it: no ranks
    int stride = 1; ///< the step (non-zero; negative counts down)
};

/// An ordered set of processes (MPI_Group). Cheap to copy; the last copy frees a group mpixx created.
class group {
public:
    /// The empty group (MPI_GROUP_EMPTY).
    group() noexcept = default;

    /// Wraps an existing group handle without owning it.
    [[nodiscard]] static group wrap(MPI_Group g) { return group(g, false); }
    /// Takes ownership of a group handle: freed (MPI_Group_free) with the last copy.
    [[nodiscard]] static group adopt(MPI_Group g) { return group(g, true); }

    /// The underlying handle, for code that calls MPI directly.
    [[nodiscard]] MPI_Group native() const noexcept { return g_; }
    /// Number of processes in the group.
    [[nodiscard]] int size() const {
        int n = 0;
        MPIXX_CALL(MPI_Group_size, g_, &n);
        return n;
    }
    /// This process's rank in the group, or mpixx::undefined (MPI_UNDEFINED) when it is not a member.
    [[nodiscard]] int rank() const {
        int r = MPI_UNDEFINED;
        MPIXX_CALL(MPI_Group_rank, g_, &r);
        return r;
    }
    /// Whether this process belongs to the group.
    [[nodiscard]] bool contains_self() const { return rank() != MPI_UNDEFINED; }

    /// The group of the processes at `ranks`, in that order (MPI_Group_incl); ranks in range, no repeats.
    [[nodiscard]] group incl(std::span<const int> ranks) const {
        check_ranks("mpixx::group::incl", ranks);
        return make(MPI_Group_incl, "MPI_Group_incl", ranks);
    }
    /// incl of a braced list of ranks.
    [[nodiscard]] group incl(std::initializer_list<int> ranks) const { return incl(std::span(ranks.begin(), ranks.size())); }
    /// The group without the processes at `ranks` (MPI_Group_excl); ranks in range, no repeats.
    [[nodiscard]] group excl(std::span<const int> ranks) const {
        check_ranks("mpixx::group::excl", ranks);
        return make(MPI_Group_excl, "MPI_Group_excl", ranks);
    }
    /// excl of a braced list of ranks.
    [[nodiscard]] group excl(std::initializer_list<int> ranks) const { return excl(std::span(ranks.begin(), ranks.size())); }
    /// The group of the ranks the triplets enumerate, in order (MPI_Group_range_incl).
    [[nodiscard]] group range_incl(std::span<const rank_range> ranges) const {
        return make_range(MPI_Group_range_incl, "MPI_Group_range_incl", "mpixx::group::range_incl", ranges);
    }
    /// range_incl of a braced list of {first, last, stride} triplets.
    [[nodiscard]] group range_incl(std::initializer_list<rank_range> ranges) const {
        return range_incl(std::span(ranges.begin(), ranges.size()));
    }
    /// The group without the ranks the triplets enumerate (MPI_Group_range_excl).
    [[nodiscard]] group range_excl(std::span<const rank_range> ranges) const {
        return make_range(MPI_Group_range_excl, "MPI_Group_range_excl", "mpixx::group::range_excl", ranges);
    }
    /// range_excl of a braced list of {first, last, stride} triplets.
    [[nodiscard]] group range_excl(std::initializer_list<rank_range> ranges) const {
        return range_excl(std::span(ranges.begin(), ranges.size()));
    }

    /// The ranks in `other` of the processes at `ranks` here (MPI_Group_translate_ranks): mpixx::undefined
    /// for a process not in `other`; proc_null stays proc_null.
    [[nodiscard]] std::vector<int> translate_ranks(std::span<const int> ranks, const group& other) const {
        const int n = size();
        for (std::size_t i = 0; i < ranks.size(); ++i)
            if ((ranks[i] < 0 || ranks[i] >= n) && ranks[i] != MPI_PROC_NULL) [[unlikely]]
                detail::throw_group_rank("mpixx::group::translate_ranks", i, ranks[i], n);
        std::vector<int> out(ranks.size());
        if (!ranks.empty())
            MPIXX_CALL(MPI_Group_translate_ranks, g_, static_cast<int>(ranks.size()), ranks.data(), other.g_, out.data());
        return out;
    }
    /// translate_ranks of a braced list.
    [[nodiscard]] std::vector<int> translate_ranks(std::initializer_list<int> ranks, const group& other) const {
        return translate_ranks(std::span(ranks.begin(), ranks.size()), other);
    }
    /// The rank in `other` of the process at `rank` here (mpixx::undefined when absent).
    [[nodiscard]] int translate_rank(int rank, const group& other) const {
        return translate_ranks(std::span<const int>(&rank, 1), other)[0];
    }

    /// identical (same processes, same order), similar (same processes), or unequal (MPI_Group_compare).
    [[nodiscard]] comparison compare(const group& other) const {
        int result = MPI_UNEQUAL;
        MPIXX_CALL(MPI_Group_compare, g_, other.g_, &result);
        return static_cast<comparison>(result);
    }

    /// Union: the processes of `a`, then those of `b` not in `a` (MPI_Group_union).
    friend group operator|(const group& a, const group& b) { return a.combine(MPI_Group_union, "MPI_Group_union", b); }
    /// Intersection: the processes of `a` that are also in `b`, in a's order (MPI_Group_intersection).
    friend group operator&(const group& a, const group& b) {
        return a.combine(MPI_Group_intersection, "MPI_Group_intersection", b);
    }
    /// Difference: the processes of `a` that are not in `b`, in a's order (MPI_Group_difference).
    friend group operator-(const group& a, const group& b) {
        return a.combine(MPI_Group_difference, "MPI_Group_difference", b);
    }

private:
    group(MPI_Group g, bool owned) : g_(g) {
        if (owned && g != MPI_GROUP_NULL && g != MPI_GROUP_EMPTY)
            owner_ = detail::on_last_copy([g]() { detail::free_group(g); });
    }

    void check_ranks(const char* routine, std::span<const int> ranks) const {
        const int n = size();
        std::vector<bool> seen(static_cast<std::size_t>(n));
        for (std::size_t i = 0; i < ranks.size(); ++i) {
            const int r = ranks[i];
            if (r < 0 || r >= n) [[unlikely]]
                detail::throw_group_rank(routine, i, r, n);
            if (seen[static_cast<std::size_t>(r)]) [[unlikely]]
                detail::throw_group_duplicate(routine, r);
            seen[static_cast<std::size_t>(r)] = true;
        }
    }

    template <class Fn>
    group make(Fn fn, const char* name, std::span<const int> ranks) const {
        MPI_Group out = MPI_GROUP_NULL;
        detail::check(fn(g_, static_cast<int>(ranks.size()), ranks.empty() ? nullptr : ranks.data(), &out), name);
        return adopt(out);
    }

    /// Checks the triplets as MPI defines them (MPI-4.1 7.3.2): a triplet names first, first + stride, ...
    /// up to first + floor((last - first) / stride) * stride, none when first is past last; only these
    /// ranks must be valid and distinct. MPI gets each non-empty triplet with `last` set to its last rank
    /// (MPICH refuses the empty ones that the standard allows), so every MPI sees the same ranks.
    template <class Fn>
    group make_range(Fn fn, const char* name, const char* routine, std::span<const rank_range> ranges) const {
        const int n = size();
        std::vector<bool> seen(static_cast<std::size_t>(n));
        const detail::box<int[][3]> triplets(new int[ranges.size() + 1][3]); // + 1: never empty
        std::size_t used = 0;
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            const rank_range& r = ranges[i];
            if (r.stride == 0) [[unlikely]]
                detail::throw_usage(routine, MPI_ERR_ARG, "ranges[" + std::to_string(i) + "] has stride 0");
            // 64-bit: last - first and the last rank reached cannot overflow.
            const long long span = static_cast<long long>(r.last) - r.first;
            if ((span < 0) != (r.stride < 0) && span != 0) continue; // first past last: no ranks
            const long long steps = span / r.stride;
            const long long end = r.first + steps * r.stride;
            if (r.first < 0 || r.first >= n) [[unlikely]]
                detail::throw_group_rank(routine, i, r.first, n);
            if (end < 0 || end >= n) [[unlikely]]
                detail::throw_group_rank(routine, i, static_cast<int>(end), n);
            for (long long k = r.first, j = 0; j <= steps; ++j, k += r.stride) {
                if (seen[static_cast<std::size_t>(k)]) [[unlikely]]
                    detail::throw_group_duplicate(routine, static_cast<int>(k));
                seen[static_cast<std::size_t>(k)] = true;
            }
            triplets[used][0] = r.first;
            triplets[used][1] = static_cast<int>(end);
            triplets[used][2] = r.stride;
            ++used;
        }
        MPI_Group out = MPI_GROUP_NULL;
        detail::check(fn(g_, static_cast<int>(used), triplets.get(), &out), name);
        return adopt(out);
    }

    template <class Fn>
    group combine(Fn fn, const char* name, const group& other) const {
        MPI_Group out = MPI_GROUP_NULL;
        detail::check(fn(g_, other.g_, &out), name);
        return adopt(out);
    }

    MPI_Group g_ = MPI_GROUP_EMPTY;
    detail::rc<void> owner_; // empty for handles mpixx does not own
};

} // namespace mpixx
