// mpixx/communicator.hpp - the communicator value type: world/self, dup, split, compare, wrapping of
// an existing MPI_Comm, and (through its layers) every communication operation.
//
// The operations live in layers, one header each, stacked by inheritance:
//   comm_base -> p2p_layer (point_to_point.hpp) -> nonblocking_layer (nonblocking.hpp)
//   -> collective_layer (collectives.hpp) -> object_collective_layer -> object_layer (detail/object_api.hpp,
//   whose object members are defined by <mpixx/object_messaging.hpp>) -> communicator
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/info.hpp>
#include <mpixx/group.hpp>
#include <mpixx/detail/object_api.hpp>

#include <string>

namespace mpixx::inline MPIXX_ABI {

/// Result of comparing two communicators (MPI_Comm_compare).
enum class comparison : int {
    identical = MPI_IDENT,
    congruent = MPI_CONGRUENT,
    similar = MPI_SIMILAR,
    unequal = MPI_UNEQUAL,
};

/// Pass as split's color to leave this process out of every new communicator.
inline constexpr int undefined = MPI_UNDEFINED;

class communicator;
namespace detail {
/// Owns a communicator MPI created for mpixx (communicator::created; for the topology constructors).
inline communicator own_created(MPI_Comm c);
} // namespace detail

/// A communicator. Cheap to copy: copies share the handle; one mpixx created is freed with the last copy.
class communicator : public detail::object_layer {
public:
    /// A null communicator.
    communicator() = default;

    /// Wraps an existing handle without owning it (interop with code that calls MPI directly).
    [[nodiscard]] static communicator wrap(MPI_Comm comm) { return communicator(comm, false); }
    /// Takes ownership of a handle: it is freed (MPI_Comm_free) with the last copy.
    [[nodiscard]] static communicator adopt(MPI_Comm comm) { return communicator(comm, true); }

    /// A new communicator with the same group and its own message space (MPI_Comm_dup).
    [[nodiscard]] communicator dup() const {
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Comm_dup, comm_, &c);
        return created(c);
    }

    /// A duplicate carrying `hints` instead of this communicator's (MPI_Comm_dup_with_info).
    [[nodiscard]] communicator dup(const info& hints) const {
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Comm_dup_with_info, comm_, hints.native(), &c);
        return created(c);
    }

    /// Partitions by color, ordering by key (any int) then old rank (MPI_Comm_split); color `undefined`
    /// gives null. A negative color other than `undefined` (MPI says: erroneous; MPICH would group such
    /// ranks together) throws MPI_ERR_ARG on the ranks that passed it, after they took part as `undefined`,
    /// so that no rank is left waiting and the others get the communicators of the valid colors.
    [[nodiscard]] communicator split(int color, int key = 0) const {
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        const bool bad = color < 0 && color != MPI_UNDEFINED;
        MPIXX_CALL(MPI_Comm_split, comm_, bad ? MPI_UNDEFINED : color, key, &c);
        if (bad) [[unlikely]]
            throw_bad_color(color);
        return created(c);
    }

    /// One communicator per shared-memory node (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED).
    /// `hints` are passed to MPI (MPI_Comm_split_type's info).
    [[nodiscard]] communicator split_shared(int key = 0, const info& hints = {}) const {
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Comm_split_type, comm_, MPI_COMM_TYPE_SHARED, key, hints.native(), &c);
        return created(c);
    }

    /// An intercommunicator between this communicator's group and another group (MPI_Intercomm_create).
    /// Collective over both groups: `local_leader` is a rank of this communicator, `remote_leader` the
    /// other group's leader as a rank of `peer` (significant at the leaders only), `tag` unused elsewhere.
    [[nodiscard]] communicator create_intercomm(int local_leader, const communicator& peer, int remote_leader,
                                                int tag = 0) const {
        check_intra("mpixx::create_intercomm");
        check_root(local_leader, "mpixx::create_intercomm");
        if (rank_ == local_leader) {
            peer.check_dest(remote_leader, "mpixx::create_intercomm");
            check_send_tag(tag, "mpixx::create_intercomm");
        }
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Intercomm_create, comm_, local_leader, peer.comm_, remote_leader, tag, &c);
        return created(c);
    }

    /// The intracommunicator of both groups of an intercommunicator (MPI_Intercomm_merge); the group
    /// passing `high` = true is ordered after the other.
    [[nodiscard]] communicator merge(bool high = false) const {
        if (!inter_) [[unlikely]]
            detail::throw_usage("mpixx::merge", MPI_ERR_COMM, "merge() needs an intercommunicator");
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Intercomm_merge, comm_, high ? 1 : 0, &c);
        return created(c);
    }

    /// The group of this communicator's processes (MPI_Comm_group; the local group of an intercommunicator).
    [[nodiscard]] mpixx::group group() const {
        MPI_Group g = MPI_GROUP_NULL;
        MPIXX_CALL(MPI_Comm_group, comm_, &g);
        return mpixx::group::adopt(g);
    }

    /// A communicator of the processes of `g`, a subgroup of this communicator's group (MPI_Comm_create;
    /// collective over this communicator). Processes outside `g` get a null communicator.
    [[nodiscard]] communicator create(const mpixx::group& g) const {
        check_subgroup(g, "mpixx::communicator::create");
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Comm_create, comm_, g.native(), &c);
        return created(c);
    }

    /// A communicator of the processes of `g` (MPI_Comm_create_group; MPI-3): collective over `g` only,
    /// so only its members call it; `tag` tells apart concurrent creations. MPI_ERR_GROUP when this
    /// process is not a member or `g` is not a subgroup.
    [[nodiscard]] communicator create_group(const mpixx::group& g, int tag = 0) const {
        check_intra("mpixx::communicator::create_group");
        check_send_tag(tag, "mpixx::communicator::create_group");
        if (!g.contains_self()) [[unlikely]]
            detail::throw_usage("mpixx::communicator::create_group", MPI_ERR_GROUP,
                                "this process is not in the group (only its members call create_group)");
        check_subgroup(g, "mpixx::communicator::create_group");
        MPI_Comm c = MPI_COMM_NULL;
        detail::settle_collectives(comm_);
        MPIXX_CALL(MPI_Comm_create_group, comm_, g.native(), tag, &c);
        return created(c);
    }

    /// How this communicator relates to another (MPI_Comm_compare).
    [[nodiscard]] comparison compare(const communicator& other) const {
        int result = MPI_UNEQUAL;
        MPIXX_CALL(MPI_Comm_compare, comm_, other.comm_, &result);
        return static_cast<comparison>(result);
    }

    /// Aborts every process of the communicator (MPI_Abort).
    [[noreturn]] void abort(int errorcode = 1) const {
        MPI_Abort(comm_, errorcode);
        std::abort();
    }

    /// True when both wrap the same handle.
    friend bool operator==(const communicator& a, const communicator& b) noexcept { return a.comm_ == b.comm_; }

private:
    communicator(MPI_Comm comm, bool owned) : object_layer(comm, owned) {}

    [[noreturn, MPIXX_COLD]] static void throw_bad_color(int color) {
        detail::throw_usage("mpixx::communicator::split", MPI_ERR_ARG,
                            "color " + std::to_string(color) +
                                " is negative (colors are >= 0, or mpixx::undefined to get a null communicator)");
    }

    /// MPI_ERR_GROUP unless every process of `g` is in this communicator's group.
    void check_subgroup(const mpixx::group& g, const char* routine) const {
        const int n = g.size();
        std::vector<int> ranks(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) ranks[static_cast<std::size_t>(i)] = i;
        const std::vector<int> here = g.translate_ranks(ranks, group());
        for (int r : here)
            if (r == MPI_UNDEFINED) [[unlikely]]
                detail::throw_usage(routine, MPI_ERR_GROUP, "the group has processes outside this communicator");
    }

    /// Owns a communicator mpixx created and makes it report errors as exceptions too (in checked mode
    /// it also gets the duplicate that carries point-to-point signatures: collective, as its creation).
    static communicator created(MPI_Comm c) {
        if (c == MPI_COMM_NULL) return communicator();
        try {
            MPIXX_CALL(MPI_Comm_set_errhandler, c, MPI_ERRORS_RETURN);
            detail::enable_signatures(c);
        } catch (...) {
            free_comm(c);
            throw;
        }
        return communicator(c, true); // frees c itself if it throws
    }
    friend communicator detail::own_created(MPI_Comm c);
};

inline communicator detail::own_created(MPI_Comm c) { return communicator::created(c); }

/// MPI_COMM_WORLD (not owned).
[[nodiscard]] inline communicator world() { return communicator::wrap(MPI_COMM_WORLD); }
/// MPI_COMM_SELF (not owned).
[[nodiscard]] inline communicator self() { return communicator::wrap(MPI_COMM_SELF); }

} // namespace mpixx
