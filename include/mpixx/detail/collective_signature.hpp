// mpixx/detail/collective_signature.hpp - checked mode (MPIXX_CHECKED) for collectives: the record each
// rank contributes (did every rank call the same operation, with the same root, op, amount of data and
// in-place choice?), how records are compared and the error that lists each rank's view.
//
// A collective called differently on different ranks is undefined in MPI: it hangs (allreduce on one
// rank, barrier on the other), truncates, or silently combines the wrong data. Checked mode exchanges a
// fixed 96-byte record per rank before the collective runs (detail/deferred_collectives.hpp) and
// compares them; on any disagreement EVERY rank throws the same mpixx::error. The record is read from
// the MPI arguments themselves (collective_site.hpp). Off, nothing here is compiled in.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collective_site.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// What one rank says about the collective it is calling; plain bytes on the wire (same layout on every
/// rank of one program). Names are cut to fit: they only make the report readable.
struct collective_record {
    char routine[32];    ///< MPI routine, without the large-count "_c" (it matches the int form)
    char type[24];       ///< name of the datatype of this rank's data block ("" for none, "derived")
    char op[12];         ///< reduction op ("" for none, "user op")
    std::int32_t root;   ///< root, or -1
    std::int32_t flags;  ///< 1: send in place, 2: receive in place, 4: rooted, on an intercommunicator
    std::int64_t block;  ///< bytes of this rank's block that must agree across ranks (-1: none)
    std::int64_t root_block; ///< at the root of gather/scatter: the bytes it expects per rank (-1: none)
};
static_assert(sizeof(collective_record) == 96);

template <std::size_t N>
void copy_name(char (&to)[N], std::string_view from) noexcept {
    const std::size_t n = std::min(from.size(), N - 1);
    std::memcpy(to, from.data(), n);
    std::memset(to + n, 0, N - n);
}

/// The standard name of a predefined datatype, "derived" for any other (whose type signature is only
/// compared through its size: a vector of 4 ints matches 4 ints).
inline std::string type_label(MPI_Datatype t) {
    if (t == MPI_DATATYPE_NULL) return {};
    int ni = 0, na = 0, nd = 0, combiner = 0;
    if (MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner) != MPI_SUCCESS || combiner != MPI_COMBINER_NAMED)
        return "derived";
    char name[MPI_MAX_OBJECT_NAME] = {};
    int len = 0;
    if (MPI_Type_get_name(t, name, &len) != MPI_SUCCESS || len == 0) return "named";
    return std::string(name, static_cast<std::size_t>(len));
}

/// The name of a predefined op ("user op" for any other; Open MPI's handles differ per process, names don't).
inline const char* op_label(MPI_Op op) noexcept {
    if (op == MPI_OP_NULL) return "";
    struct entry {
        MPI_Op op;
        const char* name;
    };
    const entry table[] = {{MPI_SUM, "MPI_SUM"},   {MPI_PROD, "MPI_PROD"},     {MPI_MAX, "MPI_MAX"},
                           {MPI_MIN, "MPI_MIN"},   {MPI_LAND, "MPI_LAND"},     {MPI_LOR, "MPI_LOR"},
                           {MPI_LXOR, "MPI_LXOR"}, {MPI_BAND, "MPI_BAND"},     {MPI_BOR, "MPI_BOR"},
                           {MPI_BXOR, "MPI_BXOR"}, {MPI_MAXLOC, "MPI_MAXLOC"}, {MPI_MINLOC, "MPI_MINLOC"},
                           {MPI_REPLACE, "MPI_REPLACE"}, {MPI_NO_OP, "MPI_NO_OP"}};
    for (const entry& e : table)
        if (e.op == op) return e.name;
    return "user op";
}

/// Whether `routine` (large-count suffix removed) is MPI_<name> or its non-blocking twin MPI_I<lowercased>.
inline bool is_routine(std::string_view routine, std::string_view name) {
    if (!routine.starts_with("MPI_")) return false;
    routine.remove_prefix(4);
    if (routine == name) return true;
    return routine.size() == name.size() + 1 && routine[0] == 'I' && routine[1] == name[0] + ('a' - 'A') &&
           routine.substr(2) == name.substr(1);
}

inline std::int64_t block_bytes(long long count, MPI_Datatype type) {
    if (count < 0 || type == MPI_DATATYPE_NULL) return -1;
    int size = 0;
    MPIXX_CALL(MPI_Type_size, type, &size);
    return static_cast<std::int64_t>(count) * size;
}

/// The part of a record that needs no datatype: routine, op, root and in-place flags (no blocks).
inline collective_record record_of_call(const collective_site& s) {
    collective_record r{};
    std::string_view routine = s.routine;
    if (routine.ends_with("_c")) routine.remove_suffix(2);
    copy_name(r.routine, routine);
    copy_name(r.op, op_label(s.op));
    r.root = s.root;
    r.flags = (s.send_in_place ? 1 : 0) | (s.recv_in_place ? 2 : 0);
    r.block = r.root_block = -1;
    return r;
}

/// This rank's record of collective `s` (rank `rank` of its communicator).
inline collective_record make_record(const collective_site& s, int rank) {
    collective_record r = record_of_call(s);
    const bool at_root = s.root >= 0 && rank == s.root;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    switch (s.shape) {
    case coll_shape::bcast:
    case coll_shape::reduce:
    case coll_shape::allreduce: // sizes and types must agree everywhere (in place: the other buffer)
        r.block = block_bytes(s.scount, s.stype);
        type = s.stype;
        break;
    case coll_shape::rooted: // gather: what each rank sends, scatter: what each rank receives
        if (is_routine(r.routine, "Gather")) {
            const bool own = at_root && s.send_in_place;
            r.block = own ? block_bytes(s.rcount, s.rtype) : block_bytes(s.scount, s.stype);
            type = own ? s.rtype : s.stype;
            if (at_root) r.root_block = block_bytes(s.rcount, s.rtype);
        } else {
            const bool own = at_root && s.recv_in_place;
            r.block = own ? block_bytes(s.scount, s.stype) : block_bytes(s.rcount, s.rtype);
            type = own ? s.stype : s.rtype;
            if (at_root) r.root_block = block_bytes(s.scount, s.stype);
        }
        break;
    case coll_shape::all: // allgather, alltoall: one block size for all (in place: the receive buffer's)
        r.block = s.send_in_place ? block_bytes(s.rcount, s.rtype) : block_bytes(s.scount, s.stype);
        r.root_block = block_bytes(s.rcount, s.rtype); // what each expects per peer
        type = s.send_in_place ? s.rtype : s.stype;
        break;
    default: // v-collectives: their counts are checked by checked_counts.hpp; others: routine and root only
        break;
    }
    copy_name(r.type, type_label(type));
    return r;
}

/// Whether `type` is a predefined datatype's name (derived types are compared through their size only).
inline bool named(const char* type) noexcept { return type[0] && std::strcmp(type, "derived") != 0; }

/// One rank's view, for the report: "MPI_Allreduce(8 bytes of MPI_DOUBLE, MPI_SUM, in place)".
[[MPIXX_COLD]] inline std::string describe(const collective_record& r) {
    std::string s = r.routine;
    std::string args;
    auto add = [&](const std::string& a) { args += (args.empty() ? "" : ", ") + a; };
    if (r.root >= 0) add("root " + std::to_string(r.root));
    else if (r.flags & 4) add(r.root == MPI_ROOT ? "intercomm_root" : "proc_null");
    if (r.block >= 0) add(std::to_string(r.block) + " bytes" + (r.type[0] ? std::string(" of ") + r.type : ""));
    if (r.op[0]) add(r.op);
    if (r.flags & 1) add("send in place");
    if (r.flags & 2) add("receive in place");
    return s + "(" + args + ")";
}

/// Sets `what` to "<field> (rank i and rank j)" and returns `code` (cold: only on a mismatch).
[[MPIXX_COLD]] inline int differs(std::string& what, const char* field, std::size_t i, std::size_t j, int code) {
    what = std::string(field) + " (rank " + std::to_string(i) + " and rank " + std::to_string(j) + ")";
    return code;
}

/// Rank `i` expects `expects` bytes per rank where rank `ref` sends `has` (cold: only on a mismatch).
[[MPIXX_COLD]] inline int block_differs(std::string& what, std::size_t i, std::int64_t expects,
                                        std::size_t ref, std::int64_t has) {
    what = "amount of data (rank " + std::to_string(i) + " expects " + std::to_string(expects) +
           " bytes per rank, rank " + std::to_string(ref) + " has " + std::to_string(has) + ")";
    return MPI_ERR_COUNT;
}

/// Compares every rank's record with the first that has each field; returns the MPI error class of the
/// first disagreement (MPI_SUCCESS if none) and says in `what` which field and ranks disagree.
inline int compare_records(const std::vector<collective_record>& all, std::string& what) {
    const collective_record& a = all.front();
    const std::string_view routine = a.routine;
    const bool all_in_place =
        is_routine(routine, "Allreduce") || is_routine(routine, "Allgather") || is_routine(routine, "Alltoall");
    std::size_t block_ref = all.size(), type_ref = all.size();
    for (std::size_t i = 0; i < all.size(); ++i) {
        const collective_record& b = all[i];
        if (std::strcmp(a.routine, b.routine) != 0) return differs(what, "operation", 0, i, MPI_ERR_OTHER);
        if (a.root != b.root) return differs(what, "root", 0, i, MPI_ERR_ROOT);
        if (std::strcmp(a.op, b.op) != 0) return differs(what, "op", 0, i, MPI_ERR_OP);
        if (all_in_place && (b.flags & 1) != (a.flags & 1))
            return what = "in-place choice (MPI needs it on every rank or none)", MPI_ERR_BUFFER;
        if (b.block >= 0) {
            if (block_ref == all.size()) block_ref = i;
            else if (b.block != all[block_ref].block)
                return differs(what, "amount of data", block_ref, i, MPI_ERR_COUNT);
        }
        if (named(b.type)) {
            if (type_ref == all.size()) type_ref = i;
            else if (std::strcmp(b.type, all[type_ref].type) != 0)
                return differs(what, "datatype", type_ref, i, MPI_ERR_TYPE);
        }
    }
    if (block_ref == all.size()) return MPI_SUCCESS;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (all[i].root_block >= 0 && all[i].root_block != all[block_ref].block)
            return block_differs(what, i, all[i].root_block, block_ref, all[block_ref].block);
    return MPI_SUCCESS;
}

/// The error every rank throws when the ranks called different collectives (cold path).
[[MPIXX_COLD]] inline error collective_mismatch(const char* routine, int code, const std::string& what,
                                                const std::vector<collective_record>& all) {
    std::string text = "checked mode: the ranks called different collectives (" + what + " differs):";
    for (std::size_t i = 0; i < all.size(); ++i) text += "\n  rank " + std::to_string(i) + ": " + describe(all[i]);
    return error(routine, code, text);
}

} // namespace mpixx::detail
