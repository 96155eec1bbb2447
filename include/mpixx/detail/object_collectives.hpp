// mpixx/detail/object_collectives.hpp - collectives of serialized objects (mpi4py's lowercase bcast,
// scatter, gather, allgather, alltoall, reduce, allreduce, scan, exscan), the layer below the
// point-to-point object messaging of object_messaging.hpp.
//
// A wrapped value (mpixx::serialized(x)) always takes this path, with mpi4py's meaning: gather of
// serialized(std::string) gives one string per rank, scatter/alltoall of serialized(std::vector<E>) hand
// out one E per rank. A std::vector<E> of non-typed elements (std::vector<std::string>, of dicts, ...) is
// a list in the same sense without the wrapper.
//
// Sizes are exchanged first, and every rank reaches the same verdict before data moves: a rank that
// cannot send (a message over the count limit, a wrong number of objects, an encode that threw at the
// root of a bcast) announces a refusal instead of a size, and then every rank throws. Intracommunicators
// only (MPI_ERR_COMM on an intercommunicator).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/collectives.hpp>
#include <mpixx/detail/object_protocol.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A reduction of whole objects: `op` combines two T's into a T, and the typed (element-wise) path
/// does not apply. So std::string with a concatenating lambda is reduced as a whole, while
/// std::string with mpixx::max is reduced element-wise like any buffer.
template <class T, class Op>
concept object_reduction = serializable<std::remove_cvref_t<T>> && !serialized_wrapper<T> &&
                           std::is_invocable_r_v<std::remove_cvref_t<T>, Op&, const std::remove_cvref_t<T>&,
                                                 const std::remove_cvref_t<T>&> &&
                           !typed_reduction<std::remove_cvref_t<T>, std::remove_cvref_t<Op>>();

/// A std::vector handed out one element per rank (scatter, alltoall): elements serializable, and not a
/// typed buffer (a std::vector<int> is scattered in blocks by the typed path; wrap it to get one int each).
template <class V>
concept object_list = is_instance_of<std::remove_cvref_t<V>, std::vector> && serializable<std::remove_cvref_t<V>> &&
                      !send_buffer<std::remove_cvref_t<V>>;

/// Sizes exchanged by the collectives: 64-bit, whatever MPI's count type.
using wire_size = std::uint64_t;
inline MPI_Datatype wire_size_type() noexcept { return MPI_UINT64_T; }

/// What a rank announces instead of a size when it cannot send; every rank then throws.
inline constexpr wire_size refused_too_large = ~wire_size{0};
inline constexpr wire_size refused_count = ~wire_size{0} - 1;
inline constexpr wire_size refused_failed = ~wire_size{0} - 2;
inline constexpr bool is_refusal(wire_size n) noexcept { return n >= refused_failed; }

[[noreturn, MPIXX_COLD]] inline void throw_refused(const char* routine, wire_size code,
                                                   std::size_t limit) {
    if (code == refused_too_large) throw_too_large(routine, limit);
    if (code == refused_count)
        throw_usage(routine, MPI_ERR_COUNT, "a rank did not pass one object per rank of the communicator");
    throw_usage(routine, MPI_ERR_OTHER, "the root could not encode its object (it reports why)");
}

[[noreturn, MPIXX_COLD]] inline void throw_wrong_count(const char* routine, std::size_t got, int size) {
    throw_usage(routine, MPI_ERR_COUNT,
                "got " + std::to_string(got) + " objects for " + std::to_string(size) + " ranks (one per rank)");
}

/// Counts and displacements (in bytes) from per-rank sizes; MPI-4 takes them as MPI_Count/MPI_Aint.
struct byte_layout {
    std::vector<wire_size> sizes;
    std::vector<wire_size> displs;
    wire_size total = 0;
    explicit byte_layout(std::vector<wire_size> s) : sizes(std::move(s)), displs(sizes.size()) {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            displs[i] = total;
            total = sizes[i] > ~wire_size{0} - total ? ~wire_size{0} : total + sizes[i];
        }
    }
    /// Whether every count and displacement fits one MPI call of at most `limit` bytes.
    [[nodiscard]] bool fits(std::size_t limit) const noexcept {
        for (std::size_t i = 0; i < sizes.size(); ++i)
            if (sizes[i] > limit || displs[i] > limit) return false;
        return total != ~wire_size{0};
    }
};

/// Splits a concatenation of streams and decodes each into a T.
template <class T>
std::vector<T> decode_all(const std::vector<std::byte>& bytes, const byte_layout& layout) {
    std::vector<T> out(layout.sizes.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        deserialize_received(std::span<const std::byte>(bytes).subspan(layout.displs[i], layout.sizes[i]), out[i]);
    return out;
}

/// Serializes each value, one after the other; their sizes in `sizes`.
template <class T>
std::vector<std::byte> serialize_all(const std::vector<T>& values, std::vector<wire_size>& sizes) {
    std::vector<std::byte> all;
    sizes.clear();
    for (const auto& v : values) {
        auto b = serialize(v);
        sizes.push_back(b.size());
        all.insert(all.end(), b.begin(), b.end());
    }
    return all;
}

#if MPI_VERSION >= 4
using vcount = MPI_Count;
using vdispl = MPI_Aint;
#else
using vcount = int;
using vdispl = int;
#endif

/// The v-collective argument arrays of a layout every rank already agreed fits (byte_layout::fits).
inline std::pair<std::vector<vcount>, std::vector<vdispl>> v_args(const byte_layout& l) {
    std::vector<vcount> c(l.sizes.size());
    std::vector<vdispl> d(l.sizes.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
        c[i] = static_cast<vcount>(l.sizes[i]);
        d[i] = static_cast<vdispl>(l.displs[i]);
    }
    return {std::move(c), std::move(d)};
}

} // namespace mpixx::detail

/// A v-collective on byte counts: `fn_c` with MPI-4 (MPI_Count counts), `fn` before; errors name the
/// routine really called (the argument is expanded before MPIXX_COLL_CALL turns it into a string).
#if MPI_VERSION >= 4
#define MPIXX_OBJ_V(fn, ifn, ...) MPIXX_COLL_CALL(fn##_c, ifn##_c, __VA_ARGS__)
#else
#define MPIXX_OBJ_V(fn, ifn, ...) MPIXX_COLL_CALL(fn, ifn, __VA_ARGS__)
#endif

namespace mpixx::inline MPIXX_ABI::detail {

/// Takes part in the broadcast of every run of `t` without keeping them (after a failed decode).
inline void drop_bcast_runs(const run_table& t, int root, MPI_Comm comm) noexcept {
    try {
        std::size_t most = 0;
        for (std::size_t i = 0; i < t.count; ++i) most = std::max(most, t.size(i));
        std::vector<std::byte> scratch(most);
        for (std::size_t i = 0; i < t.count; ++i)
            MPIXX_COLL_BLOCKING(t.size(i), MPI_Bcast, MPI_Ibcast, scratch.data(), count_t(t.size(i)), MPI_BYTE,
                                root, comm);
    } catch (...) { // out of memory or MPI failed: the collective cannot be kept in step
    }
}

// ---- the object collectives' helpers, declared in detail/object_api.hpp ----

template <class T>
void object_collective_layer::bcast_into(T& value, int root) const {
    check_intra("mpixx::bcast");
    check_root(root, "mpixx::bcast");
    if (rank_ == root) bcast_object_root(value, root);
    else bcast_object_into(value, root);
}

/// Broadcasts root's value and returns it on every rank.
template <class T>
std::remove_cvref_t<T> object_collective_layer::bcast_value(const T& value, int root) const {
    check_intra("mpixx::bcast");
    check_root(root, "mpixx::bcast");
    std::remove_cvref_t<T> out{};
    if (rank_ == root) {
        bcast_object_root(value, root);
        out = value;
    } else {
        bcast_object_into(out, root);
    }
    return out;
}

/// Gathers the serialized form of every rank's value on root (any serializable T). With a finite
/// `limit` (no large-count calls) the sizes go to every rank, which all reach the same verdict.
template <class T>
std::vector<T> object_collective_layer::gather_objects(const T& value, int root, std::size_t limit) const {
    check_intra("mpixx::gather");
    check_root(root, "mpixx::gather");
    const auto mine = serialize(value);
    wire_size n = mine.size();
    const bool agree = limit != no_count_limit, at_root = rank_ == root;
    std::vector<wire_size> sizes(at_root || agree ? static_cast<std::size_t>(size_) : 0);
    if (agree)
        MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, &n, 1, wire_size_type(), sizes.data(), 1, wire_size_type(),
                        comm_);
    else
        MPIXX_COLL_CALL(MPI_Gather, MPI_Igather, &n, 1, wire_size_type(), sizes.data(), 1, wire_size_type(), root,
                        comm_);
    std::optional<byte_layout> layout;
    if (at_root || agree) {
        layout.emplace(std::move(sizes));
        if (!layout->fits(limit)) [[unlikely]]
            throw_too_large("mpixx::gather", limit);
    }
    if (!at_root) {
        MPIXX_OBJ_V(MPI_Gatherv, MPI_Igatherv, mine.data(), static_cast<vcount>(n), MPI_BYTE, nullptr, nullptr,
                    nullptr, MPI_BYTE, root, comm_);
        return {};
    }
    auto [counts, displs] = v_args(*layout);
    std::vector<std::byte> all(layout->total);
    MPIXX_OBJ_V(MPI_Gatherv, MPI_Igatherv, mine.data(), static_cast<vcount>(n), MPI_BYTE, all.data(), counts.data(),
                displs.data(), MPI_BYTE, root, comm_);
    return decode_all<T>(all, *layout);
}

/// Gathers the serialized form of every rank's value on every rank (any serializable T).
template <class T>
std::vector<T> object_collective_layer::allgather_objects(const T& value, std::size_t limit) const {
    check_intra("mpixx::allgather");
    const auto mine = serialize(value);
    wire_size n = mine.size();
    std::vector<wire_size> sizes(static_cast<std::size_t>(size_));
    MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, &n, 1, wire_size_type(), sizes.data(), 1, wire_size_type(),
                    comm_);
    byte_layout layout(std::move(sizes));
    if (!layout.fits(limit)) [[unlikely]] // every rank has the same sizes: the same verdict
        throw_too_large("mpixx::allgather", limit);
    auto [counts, displs] = v_args(layout);
    std::vector<std::byte> all(layout.total);
    MPIXX_OBJ_V(MPI_Allgatherv, MPI_Iallgatherv, mine.data(), static_cast<vcount>(n), MPI_BYTE, all.data(),
                counts.data(), displs.data(), MPI_BYTE, comm_);
    return decode_all<T>(all, layout);
}

/// Root hands element i to rank i. The root announces a refusal in place of the sizes when it
/// cannot send (wrong number of values, over the limit), so every rank throws together.
template <class E>
E object_collective_layer::scatter_objects(const std::vector<E>& values, int root, std::size_t limit) const {
    check_intra("mpixx::scatter");
    check_root(root, "mpixx::scatter");
    const auto ranks = static_cast<std::size_t>(size_);
    std::vector<std::byte> all;
    std::vector<wire_size> sizes;
    std::optional<byte_layout> layout;
    if (rank_ == root) {
        if (values.size() != ranks) {
            sizes.assign(ranks, refused_count);
        } else {
            all = serialize_all(values, sizes);
            layout.emplace(sizes);
            if (!layout->fits(limit)) sizes.assign(ranks, refused_too_large);
        }
    }
    wire_size n = 0;
    MPIXX_COLL_CALL(MPI_Scatter, MPI_Iscatter, sizes.data(), 1, wire_size_type(), &n, 1, wire_size_type(), root,
                    comm_);
    if (is_refusal(n)) [[unlikely]] {
        if (rank_ == root && n == refused_count) throw_wrong_count("mpixx::scatter", values.size(), size_);
        throw_refused("mpixx::scatter", n, limit);
    }
    std::vector<std::byte> mine(n);
    if (rank_ == root) {
        auto [counts, displs] = v_args(*layout);
        MPIXX_OBJ_V(MPI_Scatterv, MPI_Iscatterv, all.data(), counts.data(), displs.data(), MPI_BYTE, mine.data(),
                    static_cast<vcount>(n), MPI_BYTE, root, comm_);
    } else {
        MPIXX_OBJ_V(MPI_Scatterv, MPI_Iscatterv, nullptr, nullptr, nullptr, MPI_BYTE, mine.data(),
                    static_cast<vcount>(n), MPI_BYTE, root, comm_);
    }
    E out{};
    deserialize_received(std::span<const std::byte>(mine), out);
    return out;
}

/// Every rank sends values[i] to rank i. A rank that cannot send announces a refusal to every rank;
/// with a finite `limit` the ranks also agree that what each receives fits.
template <class E>
std::vector<E> object_collective_layer::alltoall_objects(const std::vector<E>& values, std::size_t limit) const {
    check_intra("mpixx::alltoall");
    const auto ranks = static_cast<std::size_t>(size_);
    std::vector<std::byte> out_bytes;
    std::vector<wire_size> out_sizes;
    if (values.size() != ranks) {
        out_sizes.assign(ranks, refused_count);
    } else {
        out_bytes = serialize_all(values, out_sizes);
        if (!byte_layout(out_sizes).fits(limit)) out_sizes.assign(ranks, refused_too_large);
    }
    std::vector<wire_size> in_sizes(ranks);
    MPIXX_COLL_CALL(MPI_Alltoall, MPI_Ialltoall, out_sizes.data(), 1, wire_size_type(), in_sizes.data(), 1,
                    wire_size_type(), comm_);
    auto worst = in_sizes[0]; // the largest: a refusal, if any (in_sizes holds one entry per rank)
    for (const auto s : in_sizes) worst = std::max(worst, s);
    if (is_refusal(worst)) [[unlikely]] {
        if (values.size() != ranks) throw_wrong_count("mpixx::alltoall", values.size(), size_);
        throw_refused("mpixx::alltoall", worst, limit);
    }
    byte_layout out_layout(std::move(out_sizes)), in_layout(std::move(in_sizes));
    if (limit != no_count_limit) { // only this rank knows what it receives: agree first
        int ok = in_layout.fits(limit) ? 1 : 0;
        MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm_);
        if (!ok) [[unlikely]]
            throw_too_large("mpixx::alltoall", limit);
    }
    auto [sc, sd] = v_args(out_layout);
    auto [rc, rd] = v_args(in_layout);
    std::vector<std::byte> in_bytes(in_layout.total);
    MPIXX_OBJ_V(MPI_Alltoallv, MPI_Ialltoallv, out_bytes.data(), sc.data(), sd.data(), MPI_BYTE, in_bytes.data(),
                rc.data(), rd.data(), MPI_BYTE, comm_);
    return decode_all<E>(in_bytes, in_layout);
}

/// Root side of an object broadcast: the message size (or a refusal), the message (stream and run
/// table), then each out-of-band run in place.
template <class T>
void object_collective_layer::bcast_object_root(const T& value, int root, std::size_t limit) const {
    std::vector<std::byte> bytes;
    std::vector<oob_out> runs;
    wire_size header = refused_failed;
    std::exception_ptr failed;
    std::span<const std::byte> msg;
    try {
        encode_into(bytes, runs, value, default_oob_threshold, type_check_enabled, frame_bytes);
        msg = frame_message(bytes, runs);
        header = message_fits(msg.size(), runs, limit) ? msg.size() : refused_too_large;
    } catch (...) { // tell the others before rethrowing, so that none waits for data
        failed = std::current_exception();
    }
    MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, &header, 1, wire_size_type(), root, comm_);
    if (failed) std::rethrow_exception(failed);
    if (is_refusal(header)) [[unlikely]]
        throw_refused("mpixx::bcast", header, limit);
    MPIXX_COLL_BLOCKING(msg.size(), MPI_Bcast, MPI_Ibcast, const_cast<std::byte*>(msg.data()), count_t(msg.size()),
                        MPI_BYTE, root, comm_);
    for (const auto& r : runs)
        MPIXX_COLL_BLOCKING(r.bytes, MPI_Bcast, MPI_Ibcast, const_cast<std::byte*>(r.data), count_t(r.bytes),
                            MPI_BYTE, root, comm_);
}

/// Receiving side of an object broadcast. A failed decode still takes part in the broadcast of
/// every run (into scratch memory), so all ranks stay in step and the next collective is intact.
template <class T>
void object_collective_layer::bcast_object_into(T& out, int root, std::size_t limit) const {
    wire_size header = 0;
    MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, &header, 1, wire_size_type(), root, comm_);
    if (is_refusal(header)) [[unlikely]]
        throw_refused("mpixx::bcast", header, limit);
    std::vector<std::byte> bytes(header);
    MPIXX_COLL_BLOCKING(bytes.size(), MPI_Bcast, MPI_Ibcast, bytes.data(), count_t(bytes.size()), MPI_BYTE, root,
                        comm_);
    const run_table t = split_message(bytes); // the root's own table: valid unless memory was damaged
    if (t.bad != nullptr) [[unlikely]]
        throw_corrupt(t.bad); // the run sizes are unknown: this rank cannot take part in their broadcasts
    std::vector<oob_in> in;
    try {
        decode_received(t.stream, out, in, t.total);
        if (!t.matches(in)) [[unlikely]]
            throw_corrupt("the out-of-band runs differ from the root's table");
    } catch (...) {
        drop_bcast_runs(t, root, comm_);
        throw;
    }
    for (const auto& r : in)
        MPIXX_COLL_BLOCKING(r.bytes, MPI_Bcast, MPI_Ibcast, r.data, count_t(r.bytes), MPI_BYTE, root, comm_);
}

} // namespace mpixx::detail

#undef MPIXX_OBJ_V
