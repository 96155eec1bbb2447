// mpixx/detail/p2p_signature.hpp - checked mode (MPIXX_CHECKED) for point-to-point messages: every
// send says what it sends, every receive compares that with what it expects.
//
// Protocol: on a communicator mpixx created (world, dup, split, topologies, ...; each gets, collectively
// and only in checked mode, a private duplicate: signature_comm), a send first sends a signature of 88
// bytes (eagerly: it never waits for the receiver) to the same destination with the same tag on the
// duplicate: typed or serialized, the element type's class (kind and size of a predefined MPI datatype;
// derived ones are not compared), the count, the message's size in bytes and a name.
// The data follows on the user's communicator, unchanged (zero copy, the same MPI call). A receive, once
// its message is matched or received (its source, tag and size known), takes the next signature from
// that source and tag and throws MPI_ERR_TYPE, naming both ranks and both types, when they disagree:
//   rank 0 sent 3 x MPI_DOUBLE (24 bytes), rank 1 expected MPI_INT elements
//   rank 0 sent a serialized std::list<int> (819 bytes), rank 1 expected MPI_INT elements
// Pairing: MPI keeps the order of messages per (source, tag, communicator), and a signature leaves
// before its data, so the k-th message from a source and tag meets its k-th signature. (Signatures a
// process sends itself stay in the process, in order: MPI may make a send to oneself wait for its
// receive.) Signatures whose size disagrees with the message's (left by a receive that took no
// signature: raw MPI) are dropped. Persistent sends announce each start; persistent receives check each
// completion (persistent_check). A message without a signature (a raw MPI send) is waited for briefly
// (100 ms) once per source and communicator, then that pair is taken as unsigned (a few tries,
// microseconds) until a signature arrives from it again. Bytes
// (MPI_BYTE, chars) match anything on either side: raw access to a message is legitimate. Integers
// match integers of the same size, signed or not. Derived datatypes are not compared.
// Off (MPIXX_CHECKED=0): nothing here is called; the hooks are `if constexpr`.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/private_comm.hpp>
#include <mpixx/detail/yield.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

inline constexpr bool checked_p2p = MPIXX_CHECKED != 0;

/// The duplicate that carries checked mode's signatures (made for communicators mpixx creates).
using signature_comm = private_comm_t<1>;

/// Makes `comm`'s signature duplicate (collective over `comm`) in checked mode; nothing otherwise.
inline void enable_signatures(MPI_Comm comm) {
    if constexpr (checked_p2p)
        if (comm != MPI_COMM_NULL) (void)signature_comm::get(comm);
}

/// What the elements of a datatype are: bytes match anything; integers match by size.
enum class elem_kind : std::uint8_t { none, bytes, boolean, integer, real, complex, wide_char, other, derived };

struct elem_class {
    elem_kind kind = elem_kind::none;
    std::uint8_t size = 0; ///< bytes of one element (0 for derived)
    std::uint8_t id = 0;   ///< for `other`: which predefined type (pairs such as MPI_DOUBLE_INT)
};

/// The class of a predefined datatype (compared by handle: Open MPI's differ between processes only in
/// address, never in meaning).
inline elem_class named_class(MPI_Datatype t) noexcept {
    struct entry {
        MPI_Datatype type;
        elem_kind kind;
    };
    const entry table[] = {
        {MPI_BYTE, elem_kind::bytes},          {MPI_CHAR, elem_kind::bytes},
        {MPI_SIGNED_CHAR, elem_kind::bytes},   {MPI_UNSIGNED_CHAR, elem_kind::bytes},
        {MPI_INT8_T, elem_kind::bytes},        {MPI_UINT8_T, elem_kind::bytes},
        {MPI_PACKED, elem_kind::bytes},        {MPI_C_BOOL, elem_kind::boolean},
        {MPI_CXX_BOOL, elem_kind::boolean},    {MPI_SHORT, elem_kind::integer},
        {MPI_UNSIGNED_SHORT, elem_kind::integer}, {MPI_INT, elem_kind::integer},
        {MPI_UNSIGNED, elem_kind::integer},    {MPI_LONG, elem_kind::integer},
        {MPI_UNSIGNED_LONG, elem_kind::integer}, {MPI_LONG_LONG, elem_kind::integer},
        {MPI_UNSIGNED_LONG_LONG, elem_kind::integer}, {MPI_INT16_T, elem_kind::integer},
        {MPI_UINT16_T, elem_kind::integer},    {MPI_INT32_T, elem_kind::integer},
        {MPI_UINT32_T, elem_kind::integer},    {MPI_INT64_T, elem_kind::integer},
        {MPI_UINT64_T, elem_kind::integer},    {MPI_AINT, elem_kind::integer},
        {MPI_OFFSET, elem_kind::integer},      {MPI_COUNT, elem_kind::integer},
        {MPI_FLOAT, elem_kind::real},          {MPI_DOUBLE, elem_kind::real},
        {MPI_LONG_DOUBLE, elem_kind::real},    {MPI_C_FLOAT_COMPLEX, elem_kind::complex},
        {MPI_C_DOUBLE_COMPLEX, elem_kind::complex}, {MPI_C_LONG_DOUBLE_COMPLEX, elem_kind::complex},
        {MPI_CXX_FLOAT_COMPLEX, elem_kind::complex}, {MPI_CXX_DOUBLE_COMPLEX, elem_kind::complex},
        {MPI_CXX_LONG_DOUBLE_COMPLEX, elem_kind::complex}, {MPI_WCHAR, elem_kind::wide_char},
    };
    int size = 0;
    MPI_Type_size(t, &size);
    const auto sz = static_cast<std::uint8_t>(size > 255 ? 255 : size);
    for (const entry& e : table)
        if (e.type == t) return {e.kind, sz, 0};
    const MPI_Datatype pairs[] = {MPI_FLOAT_INT, MPI_DOUBLE_INT, MPI_LONG_INT,
                                  MPI_2INT,      MPI_SHORT_INT,  MPI_LONG_DOUBLE_INT};
    for (std::uint8_t i = 0; i < 6; ++i)
        if (pairs[i] == t) return {elem_kind::other, sz, static_cast<std::uint8_t>(i + 1)};
    return {elem_kind::other, sz, 0};
}

/// The class of any datatype. A derived one (a layout, an aggregate's struct type) is `derived` and
/// never compared: walking it (MPI_Type_get_contents) would hand out new references to the types it is
/// built from, and MPI already refuses a message larger than the receive.
inline elem_class class_of(MPI_Datatype t) noexcept {
    int ni = 0, na = 0, nd = 0, combiner = 0;
    if (MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner) != MPI_SUCCESS || combiner != MPI_COMBINER_NAMED)
        return {elem_kind::derived, 0, 0};
    return named_class(t);
}

/// What a send announces (88 bytes on the wire, sent as MPI_BYTE).
struct p2p_sig {
    static constexpr std::uint32_t magic_value = 0x6d707873; // "mpxs"
    std::uint32_t magic = magic_value;
    std::uint8_t object = 0; ///< 1: a serialized object (its name is its type's fingerprint)
    elem_class elem;
    std::uint64_t bytes = 0; ///< size of the data message
    std::uint64_t count = 0; ///< elements (typed)
    char name[64] = {};      ///< the MPI datatype's name, or the object's fingerprint (cut at 63)
};

inline void set_name(p2p_sig& s, std::string_view name) noexcept {
    const std::size_t n = name.size() < sizeof s.name - 1 ? name.size() : sizeof s.name - 1;
    std::memcpy(s.name, name.data(), n);
    s.name[n] = '\0';
}

inline std::string datatype_name(MPI_Datatype t) {
    if (t == MPI_DATATYPE_NULL) return "a derived datatype";
    char name[MPI_MAX_OBJECT_NAME] = "";
    int len = 0;
    MPI_Type_get_name(t, name, &len);
    return len > 0 ? std::string(name, static_cast<std::size_t>(len)) : std::string("a derived datatype");
}

/// The signatures a process sends to itself (kept here, in order: MPI may make a send to oneself wait
/// for its receive) and the sources whose messages came without one (raw MPI sends).
class sig_state {
public:
    static sig_state& instance() {
        // Never destroyed: communicators may be freed after static destructors ran (MPI_Finalize then).
        static sig_state& s = *new sig_state;
        return s;
    }
    sig_state() {
        signature_comm::on_free = [](MPI_Comm comm) noexcept { instance().forget(comm); };
    }

    /// Keeps the signature of a message this process sends to itself on (comm, tag).
    void post_self(MPI_Comm comm, int tag, const p2p_sig& s) {
        std::lock_guard lock(mutex_);
        self_.push_back({comm, tag, s});
    }
    /// Takes the oldest signature this process sent itself on (comm, tag) whose message has `bytes`
    /// bytes, dropping older ones that do not (their messages were taken without them).
    bool take_self(MPI_Comm comm, int tag, std::uint64_t bytes, p2p_sig& out, bool any_size = false) {
        std::lock_guard lock(mutex_);
        for (auto it = self_.begin(); it != self_.end();) {
            if (it->comm != comm || it->tag != tag) {
                ++it;
                continue;
            }
            const p2p_sig s = it->sig;
            it = self_.erase(it);
            if (s.bytes == bytes || any_size) {
                out = s;
                return true;
            }
        }
        return false;
    }

    bool is_unsigned(MPI_Comm comm, int source) {
        std::lock_guard lock(mutex_);
        return find_unsigned(comm, source) != unsigned_.end();
    }
    void set_unsigned(MPI_Comm comm, int source, bool on) {
        std::lock_guard lock(mutex_);
        const auto at = find_unsigned(comm, source);
        if (on && at == unsigned_.end()) unsigned_.emplace_back(comm, source);
        if (!on && at != unsigned_.end()) unsigned_.erase(at);
    }
    /// Forgets what was kept for a communicator being freed (MPI reuses the handles).
    void forget(MPI_Comm comm) noexcept {
        std::lock_guard lock(mutex_);
        std::erase_if(unsigned_, [comm](const std::pair<MPI_Comm, int>& p) { return p.first == comm; });
        std::erase_if(self_, [comm](const self_sig& e) { return e.comm == comm; });
    }

private:
    struct self_sig {
        MPI_Comm comm;
        int tag;
        p2p_sig sig;
    };
    std::vector<std::pair<MPI_Comm, int>>::iterator find_unsigned(MPI_Comm comm, int source) {
        auto at = unsigned_.begin();
        while (at != unsigned_.end() && *at != std::pair(comm, source)) ++at;
        return at;
    }
    std::mutex mutex_;
    std::vector<self_sig> self_; // in send order; a few entries at most
    std::vector<std::pair<MPI_Comm, int>> unsigned_; // a few pairs at most: a list
};

/// This process's rank in `comm`, or MPI_PROC_NULL on an intercommunicator (no send reaches oneself).
inline int self_rank(MPI_Comm comm) noexcept {
    int inter = 0, me = MPI_PROC_NULL;
    MPI_Comm_test_inter(comm, &inter);
    if (!inter) MPI_Comm_rank(comm, &me);
    return me;
}

/// The signature of `count` elements of `type`, or of a serialized object of `count` bytes named
/// `object_name`.
inline p2p_sig make_signature(std::size_t count, MPI_Datatype type, std::string_view object_name = {}) {
    p2p_sig s;
    MPI_Count size = 0;
    MPI_Type_size_x(type, &size);
    s.bytes = static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(size);
    s.count = count;
    if (!object_name.empty()) {
        s.object = 1;
        set_name(s, object_name);
    } else {
        s.elem = class_of(type);
        set_name(s, datatype_name(type));
    }
    return s;
}

/// Sends signature `s` on `sc`, the signature duplicate of `comm`, ahead of a message to (dest, tag).
inline void post_signature(MPI_Comm sc, MPI_Comm comm, int dest, int tag, const p2p_sig& s) {
    // To a peer, 88 bytes go eagerly: MPI_Send returns without its receiver and leaves no request
    // behind. To oneself MPI may wait for the receive (MPICH does): kept in this process instead.
    if (dest != self_rank(comm)) check(MPI_Send(&s, sizeof s, MPI_BYTE, dest, tag, sc), "MPI_Send");
    else sig_state::instance().post_self(comm, tag, s);
}

/// Sends the signature of `count` elements of `type` (or of a serialized object of `bytes` bytes named
/// `object_name`) ahead of a message to (dest, tag) on `comm`. Does nothing on a communicator mpixx did
/// not create, or to proc_null.
inline void send_signature(MPI_Comm comm, int dest, int tag, std::size_t count, MPI_Datatype type,
                           std::string_view object_name = {}) {
    if (dest == MPI_PROC_NULL || comm == MPI_COMM_NULL) return;
    const MPI_Comm sc = signature_comm::find(comm);
    if (sc == MPI_COMM_NULL) return;
    post_signature(sc, comm, dest, tag, make_signature(count, type, object_name));
}

/// The size in bytes of a matched or received message.
inline std::uint64_t message_bytes(const MPI_Status& st) {
    MPI_Count n = 0;
    MPI_Get_elements_x(&st, MPI_BYTE, &n);
    return n < 0 ? 0 : static_cast<std::uint64_t>(n);
}

/// Takes the signature of the message with status `st` (of a matched probe or a completed, not cancelled
/// receive) on `comm` into `out`; false when there is none (not a communicator mpixx created,
/// proc_null, an unsigned sender). `any_size`: the status holds no size (the oldest signature is taken).
inline bool take_signature(MPI_Comm comm, const MPI_Status& st, p2p_sig& out, bool any_size = false) {
    if (comm == MPI_COMM_NULL || st.MPI_SOURCE == MPI_PROC_NULL || st.MPI_SOURCE < 0) return false;
    const MPI_Comm sc = signature_comm::find(comm);
    if (sc == MPI_COMM_NULL) return false;
    const std::uint64_t bytes = message_bytes(st);
    sig_state& state = sig_state::instance();
    if (st.MPI_SOURCE == self_rank(comm)) // kept here before the message was sent: no waiting
        return state.take_self(comm, st.MPI_TAG, bytes, out, any_size);
    double deadline = 0; // MPI_Wtime: no <chrono> in every translation unit for a 100 ms wait
    bool waiting = false;
    for (unsigned spins = 0;; ++spins) {
        int flag = 0;
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status sst;
        check(MPI_Improbe(st.MPI_SOURCE, st.MPI_TAG, sc, &flag, &m, &sst), "MPI_Improbe");
        if (flag) {
            int n = 0;
            MPI_Get_count(&sst, MPI_BYTE, &n);
            p2p_sig s;
            const bool fits = n == static_cast<int>(sizeof s);
            std::vector<std::byte> other(fits || n < 0 ? 0 : static_cast<std::size_t>(n)); // not a signature
            check(MPI_Mrecv(fits ? static_cast<void*>(&s) : other.data(), fits ? n : static_cast<int>(other.size()),
                            MPI_BYTE, &m, MPI_STATUS_IGNORE),
                  "MPI_Mrecv");
            if (fits && s.magic == p2p_sig::magic_value && (s.bytes == bytes || any_size)) {
                s.name[sizeof s.name - 1] = '\0';
                out = s;
                state.set_unsigned(comm, st.MPI_SOURCE, false);
                return true;
            }
            continue; // a stale signature (its message was taken without one): dropped
        }
        // An unsigned pair gets a few tries (its next signature, if any, left before its data), not 100 ms.
        if (spins >= 64 && state.is_unsigned(comm, st.MPI_SOURCE)) return false;
        if (!waiting) {
            deadline = MPI_Wtime() + 0.1;
            waiting = true;
        } else if (MPI_Wtime() > deadline) {
            state.set_unsigned(comm, st.MPI_SOURCE, true);
            return false;
        }
        if (spins >= 64) yield_cpu();
    }
}

/// Whether what was sent (`s`) fits a receive of `mine` elements.
inline bool typed_fits(const p2p_sig& s, const elem_class& mine) noexcept {
    if (mine.kind == elem_kind::bytes || mine.kind == elem_kind::none || mine.kind == elem_kind::derived) return true;
    if (s.object) return false;
    const elem_class& theirs = s.elem;
    if (theirs.kind == elem_kind::bytes || theirs.kind == elem_kind::derived) return true;
    if (mine.kind == elem_kind::boolean && theirs.kind == elem_kind::bytes) return true;
    return theirs.kind == mine.kind && theirs.size == mine.size && theirs.id == mine.id;
}

/// "rank 0 sent 3 x MPI_DOUBLE (24 bytes)" or "rank 0 sent a serialized std::list<int> (812 bytes)".
[[MPIXX_COLD]] inline std::string describe_sent(const p2p_sig& s, int source) {
    std::string d = "rank " + std::to_string(source) + " sent ";
    if (s.object) d += "a serialized " + std::string(s.name);
    else d += std::to_string(s.count) + " x " + std::string(s.name);
    return d + " (" + std::to_string(s.bytes) + " bytes)";
}

[[MPIXX_COLD]] inline std::string my_rank_text(MPI_Comm comm) {
    int me = -1;
    MPI_Comm_rank(comm, &me);
    return "rank " + std::to_string(me);
}

/// What a typed receive expects: the class of its datatype, and the handle when it is predefined (kept
/// for the message: a derived one may be freed before a non-blocking receive completes).
struct receive_type {
    receive_type() = default;
    explicit receive_type(MPI_Datatype t)
        : elem(class_of(t)), named(elem.kind == elem_kind::derived ? MPI_DATATYPE_NULL : t) {}
    elem_class elem{};
    MPI_Datatype named = MPI_DATATYPE_NULL;
};

/// Checked mode, typed receive: the message with status `st` on `comm` was received (or is about to be)
/// as elements of `mine`; throws MPI_ERR_TYPE from `routine` when its sender sent something else.
[[gnu::noinline]] inline void check_typed_receive(MPI_Comm comm, const MPI_Status& st, const receive_type& mine,
                                                  const char* routine, bool any_size = false) {
    p2p_sig s;
    if (!take_signature(comm, st, s, any_size)) return;
    if (typed_fits(s, mine.elem)) return;
    throw_usage(routine, MPI_ERR_TYPE,
                describe_sent(s, st.MPI_SOURCE) + ", " + my_rank_text(comm) + " expected " + datatype_name(mine.named) +
                    " elements (checked mode)");
}

/// check_typed_receive of a receive of `type` (a handle alive during the call).
[[gnu::noinline]] inline void check_typed_receive(MPI_Comm comm, const MPI_Status& st, MPI_Datatype type,
                                                  const char* routine) {
    check_typed_receive(comm, st, receive_type(type), routine);
}

/// Checked mode, object receive: throws MPI_ERR_TYPE when the message was sent typed (not as bytes).
/// A serialized object of another type is left to the stream's own type check, which names both.
[[gnu::noinline]] inline void check_object_receive(MPI_Comm comm, const MPI_Status& st, std::string_view mine,
                                                   const char* routine) {
    p2p_sig s;
    if (!take_signature(comm, st, s)) return;
    if (s.object || s.elem.kind == elem_kind::bytes) return;
    throw_usage(routine, MPI_ERR_TYPE,
                describe_sent(s, st.MPI_SOURCE) + ", " + my_rank_text(comm) + " expected a serialized " +
                    std::string(mine) + " (checked mode)");
}

/// Checked mode's part of a persistent point-to-point request: a send's signature, sent again before
/// each start(), or a receive's expected type, compared at each completion.
struct persistent_check {
    MPI_Comm comm = MPI_COMM_NULL; ///< MPI_COMM_NULL: nothing to check
    MPI_Comm sig_comm = MPI_COMM_NULL;
    int dest = MPI_PROC_NULL;
    int tag = 0;
    bool send = false;
    p2p_sig sig{};        ///< a send's signature
    receive_type expect;  ///< a receive's element type

    /// A persistent send of `count` elements of `type` to (dest, tag) on `comm`.
    static persistent_check of_send(MPI_Comm comm, int dest, int tag, std::size_t count, MPI_Datatype type) {
        persistent_check c;
        if (dest == MPI_PROC_NULL || (c.sig_comm = signature_comm::find(comm)) == MPI_COMM_NULL) return c;
        c.comm = comm;
        c.dest = dest;
        c.tag = tag;
        c.send = true;
        c.sig = make_signature(count, type);
        return c;
    }
    /// A persistent receive of elements of `type` on `comm`.
    static persistent_check of_recv(MPI_Comm comm, MPI_Datatype type) {
        persistent_check c;
        c.comm = comm;
        c.expect = receive_type(type);
        return c;
    }
    /// Before each start: a send announces its message.
    void on_start() const {
        if (send) post_signature(sig_comm, comm, dest, tag, sig);
    }
    /// At each completion with status `st`: a receive compares its message's signature.
    void on_complete(const MPI_Status& st) const {
        if (send || comm == MPI_COMM_NULL || st.MPI_SOURCE == MPI_PROC_NULL) return;
        int cancelled = 0;
        MPI_Test_cancelled(&st, &cancelled);
        if (!cancelled) check_typed_receive(comm, st, expect, "mpixx::persistent_request::wait");
    }
};

/// Checked mode: the message with status `st` was dropped or taken without a type to compare; its
/// signature is taken off so that it cannot meet a later message.
inline void skip_signature(MPI_Comm comm, const MPI_Status& st) noexcept {
    try {
        p2p_sig s;
        (void)take_signature(comm, st, s);
    } catch (...) {
    }
}

} // namespace mpixx::detail
