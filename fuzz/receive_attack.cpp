// fuzz/receive_attack.cpp - a structure-aware attack of mpixx's receive path (issue #15), run under mpiexec
// with 2 or more ranks (scripts/fuzz.sh runs it with ASan and UBSan after the decoder fuzzer).
//
// Rank 0 attacks every other rank in turn. Each round it takes a base object from the seed corpus
// (fuzz/receive_corpus: messages as the object layer puts them on the wire, frame, stream, table and
// out-of-band runs), damages it in a way that knows its structure (bytes flipped or set, truncated,
// extended, inserted, deleted, oversized varints, forged run sizes with a valid check word, runs
// swapped, added, shrunk or grown, the frame or table count changed) and sends the raw parts, then a
// sentinel object on the same tag. The victim receives the object with recv, irecv().wait() or a matched
// message, as the right type or another one, and then must receive the sentinel intact: a run left on
// the wire or a receive that took the next message is a finding. Every round also runs an object
// collective (bcast, gather, allgather, scatter, alltoall) where some ranks decode as another type, and
// a typed collective, and checks that the ranks stay in step. Findings: a crash or sanitizer report, a
// hang (a round taking over 20 s), an allocation over 64 MiB, an exception other than mpixx::error, a
// sentinel not received intact, a collective out of step. Exit status 0 means none.
//
//   receive_attack [--seconds N] [--seed S] corpus-dir     (the attack, under mpiexec -n 2..4)
//   receive_attack --write-seeds corpus-dir                 (writes the seed corpus, 1 rank)
#include <mpixx/mpixx.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unistd.h>
#include <variant>
#include <vector>

// ---- huge allocations are findings ----

namespace {
constexpr std::size_t huge = std::size_t{64} << 20;
[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "receive_attack: FINDING: %s\n", what);
    std::fflush(stderr);
    std::abort();
}
void* allocate(std::size_t n) {
    if (n > huge) finding("an allocation over 64 MiB");
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
} // namespace
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace d = mpixx::detail;

// ---- the types attacked (and decoded as one another) ----

struct hooked {
    std::int64_t id = 0;
    std::string name;
    std::vector<double> data;
    template <class A>
    void serialize(A& ar) {
        ar(id, name, data);
    }
    bool operator==(const hooked&) const = default;
};
using t_big = std::tuple<std::string, std::vector<double>, std::map<int, std::string>, std::vector<std::int32_t>>;
using t_two = std::pair<std::vector<double>, std::vector<float>>;
using t_nested = std::vector<hooked>;
using t_variant = std::variant<std::monostate, std::vector<std::uint8_t>, std::string, std::array<double, 1500>>;
using t_small = std::map<std::string, std::vector<int>>;
constexpr int type_count = 5;

// ---- raw objects (the corpus) ----

struct raw_object {
    std::vector<std::byte> msg;
    std::vector<std::vector<std::byte>> runs;
};

template <class T>
raw_object raw(const T& value, bool type_name) {
    std::vector<std::byte> bytes;
    std::vector<d::oob_out> segs;
    d::encode_into(bytes, segs, value, d::default_oob_threshold, type_name, d::frame_bytes);
    const auto msg = d::frame_message(bytes, segs);
    raw_object r;
    r.msg.assign(msg.begin(), msg.end());
    for (const auto& s : segs) r.runs.emplace_back(s.data, s.data + s.bytes);
    return r;
}

/// File format: u32 part count, then per part u64 length and the bytes (part 0 is the message).
void write_seed(const std::filesystem::path& p, const raw_object& o) {
    std::ofstream f(p, std::ios::binary);
    const auto put = [&f](const std::vector<std::byte>& b) {
        const std::uint64_t n = b.size();
        f.write(reinterpret_cast<const char*>(&n), 8);
        f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    const std::uint32_t parts = static_cast<std::uint32_t>(1 + o.runs.size());
    f.write(reinterpret_cast<const char*>(&parts), 4);
    put(o.msg);
    for (const auto& r : o.runs) put(r);
}
std::optional<raw_object> read_seed(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::uint32_t parts = 0;
    if (!f.read(reinterpret_cast<char*>(&parts), 4) || parts == 0 || parts > 64) return std::nullopt;
    raw_object o;
    for (std::uint32_t i = 0; i < parts; ++i) {
        std::uint64_t n = 0;
        if (!f.read(reinterpret_cast<char*>(&n), 8) || n > (std::uint64_t{16} << 20)) return std::nullopt;
        std::vector<std::byte> b(n);
        if (!f.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(n))) return std::nullopt;
        if (i == 0) o.msg = std::move(b);
        else o.runs.push_back(std::move(b));
    }
    return o;
}

std::vector<raw_object> seeds() {
    std::vector<raw_object> s;
    for (const bool name : {true, false}) {
        s.push_back(raw(t_big{"big", std::vector<double>(1100, 0.5), {{1, "one"}, {2, "two"}},
                              std::vector<std::int32_t>(3000, 7)},
                        name));
        s.push_back(raw(t_two{std::vector<double>(2000, 1.5), std::vector<float>(4096, 2.5f)}, name));
        s.push_back(raw(t_nested{{1, "a", std::vector<double>(1200, 3.0)}, {2, "b", {1.0, 2.0}}}, name));
        s.push_back(raw(t_variant{std::array<double, 1500>{}}, name));
        s.push_back(raw(t_small{{"k", {1, 2, 3}}, {"l", {}}}, name));
    }
    return s;
}

// ---- structure-aware damage ----

struct attacker {
    std::mt19937_64 rng;
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); }

    static std::size_t table_count(const std::vector<std::byte>& m) {
        if (m.size() < 8 + 24) return 0;
        std::uint64_t last = 0;
        std::memcpy(&last, m.data() + m.size() - 8, 8);
        return (last >> 32) == d::run_table_magic ? static_cast<std::size_t>(last & 0xffffffffu) : 0;
    }
    static void forge(std::vector<std::byte>& m, std::size_t run, std::uint64_t size) {
        const std::size_t n = table_count(m);
        if (run >= n || m.size() < 8 * (n + 2) + 8) return;
        std::byte* sizes = m.data() + m.size() - 8 * (n + 2);
        std::memcpy(sizes + 8 * run, &size, 8);
        const std::uint64_t check = d::table_check(sizes, n);
        std::memcpy(m.data() + m.size() - 16, &check, 8);
    }

    /// The stream part of a message: [begin, end) (all of it without a frame).
    static std::pair<std::size_t, std::size_t> stream_part(const std::vector<std::byte>& m) {
        const std::size_t n = table_count(m);
        if (n == 0 || m.size() < d::frame_bytes + 8 * (n + 2)) return {0, m.size()};
        return {d::frame_bytes, m.size() - 8 * (n + 2)};
    }

    /// One structural damage (frame, table or runs: each keeps the other copy of the run count whole,
    /// as one damaged part of a message would), or one to three damages inside the stream.
    raw_object damage(raw_object o) {
        auto& m = o.msg;
        const auto byte = [this] { return std::byte(static_cast<unsigned char>(rng())); };
        switch (below(12)) {
        case 0: { // forged run size with a valid check word
            const std::uint64_t sizes[] = {0, 1, 8192, std::uint64_t{1} << 20, std::uint64_t{1} << 40, ~std::uint64_t{0}};
            forge(m, below(table_count(m) + 1), sizes[below(6)]);
            return o;
        }
        case 1: if (o.runs.size() >= 2) std::swap(o.runs[0], o.runs[1]); return o;
        case 2: if (o.runs.size() < 8) o.runs.emplace_back(8192 + below(8192), std::byte{0x42}); return o; // unannounced
        case 3: if (!o.runs.empty()) { auto& r = o.runs[below(o.runs.size())]; r.resize(r.size() / 2); } return o;
        case 4: if (!o.runs.empty()) { auto& r = o.runs[below(o.runs.size())]; r.resize(r.size() + 1 + below(64)); } return o;
        case 5: if (m.size() >= 8) m[4] = std::byte(static_cast<unsigned char>(rng() % 5)); return o; // frame count
        case 6: if (m.size() >= 8) m[m.size() - 8] = std::byte(static_cast<unsigned char>(rng() % 5)); return o; // table count
        case 7: m.resize(below(m.size() + 1)); return o;                                   // truncated
        case 8: for (std::size_t i = 0, n = 1 + below(16); i < n; ++i) m.push_back(byte()); return o; // extended
        default: break;
        }
        for (int k = 0, rounds = 1 + static_cast<int>(below(3)); k < rounds; ++k) {
            const auto [lo, hi] = stream_part(m);
            if (hi <= lo) break;
            const std::size_t at = lo + below(hi - lo);
            switch (below(5)) {
            case 0: m[at] ^= std::byte(1u << below(8)); break;
            case 1: m[at] = byte(); break;
            case 2: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), byte()); break;
            case 3: m.erase(m.begin() + static_cast<std::ptrdiff_t>(at)); break;
            default: { // an oversized varint
                const std::byte v[] = {std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff},
                                       std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0x7f}};
                m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), std::begin(v), std::end(v));
                break;
            }
            }
        }
        return o;
    }
};

// ---- the victim ----

template <class T>
void receive_as(const mpixx::communicator& comm, int source, int tag, int how) {
    if (how == 0) (void)comm.recv_object<T>(source, tag);
    else if (how == 1) (void)comm.irecv_object<T>(source, tag).wait();
    else (void)comm.mprobe(source, tag).recv_object<T>();
}

/// Receives one hostile object; only mpixx::error may come out. Returns whether it decoded.
bool victim_receive(const mpixx::communicator& comm, int source, int tag, int type, int how) {
    try {
        switch (type) {
        case 0: receive_as<t_big>(comm, source, tag, how); break;
        case 1: receive_as<t_two>(comm, source, tag, how); break;
        case 2: receive_as<t_nested>(comm, source, tag, how); break;
        case 3: receive_as<t_variant>(comm, source, tag, how); break;
        default: receive_as<t_small>(comm, source, tag, how); break;
        }
        return true;
    } catch (const mpixx::error&) {
        return false;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "receive_attack: exception %s\n", e.what());
        finding("an exception other than mpixx::error");
    } catch (...) {
        finding("an exception other than mpixx::error");
    }
}

/// Object and typed collectives where some ranks decode as another type: errors caught, then every
/// rank must still agree on a checked value (no rank out of step).
void collective_round(const mpixx::communicator& comm, std::uint64_t round) {
    const int size = comm.size(), rank = comm.rank();
    const bool mismatch = (round + static_cast<std::uint64_t>(rank)) % 3 == 0;
    const int root = static_cast<int>(round % static_cast<std::uint64_t>(size));
    const auto guard = [](auto&& f) {
        try {
            f();
        } catch (const mpixx::error&) {
        } catch (...) {
            finding("an exception other than mpixx::error in a collective");
        }
    };
    switch (round % 5) {
    case 0:
        guard([&] {
            if (rank == root) (void)comm.bcast(mpixx::serialized(t_two{std::vector<double>(1500, 1.0), {}}), root);
            else if (mismatch) { t_small wrong; comm.bcast(wrong, root); }
            else { t_two right; comm.bcast(right, root); }
        });
        break;
    case 1:
        guard([&] {
            if (mismatch) (void)comm.gather(t_small{{"x", {rank}}}, root);
            else (void)comm.gather(std::vector<std::string>{"a", "b"}, root);
        });
        break;
    case 2:
        guard([&] {
            if (mismatch) (void)comm.allgather(mpixx::serialized(std::string("s")));
            else (void)comm.allgather(t_small{{"y", {1}}});
        });
        break;
    case 3:
        guard([&] {
            std::vector<std::string> v(static_cast<std::size_t>(size), "piece");
            if (mismatch && rank == root) v.pop_back(); // a wrong count: every rank refuses
            (void)comm.scatter(v, root);
        });
        break;
    default:
        guard([&] { (void)comm.alltoall(std::vector<std::string>(static_cast<std::size_t>(size), std::string(round % 7, 'z'))); });
        break;
    }
    // Typed collectives, then the check that every rank is in step.
    std::vector<int> sized(rank == root ? round % 100 : 0, static_cast<int>(round));
    comm.bcast(sized, root); // resizable: sized from the root
    if (sized.size() != round % 100 || (!sized.empty() && sized.back() != static_cast<int>(round)))
        finding("typed bcast gave a wrong result");
    const std::uint64_t sum = comm.allreduce(round, mpixx::sum);
    if (sum != round * static_cast<std::uint64_t>(size)) finding("ranks out of step after a collective");
}

void on_alarm(int) {
    const char msg[] = "receive_attack: FINDING: a round took over 20 s (hang)\n";
    (void)!write(2, msg, sizeof msg - 1);
    std::abort();
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 30;
    std::uint64_t seed = 1;
    std::string dir;
    bool write = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--write-seeds") write = true;
        else dir = a;
    }
    if (write) {
        std::filesystem::create_directories(dir);
        int k = 0;
        for (const auto& s : seeds()) write_seed(std::filesystem::path(dir) / ("seed-" + std::to_string(k++)), s);
        return 0;
    }
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) {
        std::fprintf(stderr, "receive_attack: run with 2 or more ranks\n");
        return 2;
    }
    std::vector<raw_object> corpus;
    if (comm.rank() == 0) {
        if (!dir.empty())
            for (const auto& e : std::filesystem::directory_iterator(dir))
                if (auto o = read_seed(e.path())) corpus.push_back(std::move(*o));
        if (corpus.empty()) corpus = seeds();
    }
    if (comm.rank() == 0) {
        std::printf("receive_attack: seed %llu, %zu corpus objects, %d ranks\n", static_cast<unsigned long long>(seed),
                    corpus.size(), comm.size());
        std::fflush(stdout);
    }
    std::signal(SIGALRM, on_alarm);
    attacker atk{std::mt19937_64(seed)};
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t rounds = 0, decoded = 0;
    for (;; ++rounds) {
        alarm(20);
        int go = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds;
        comm.bcast(go, 0);
        if (!go) break;
        const int victim = 1 + static_cast<int>(rounds % static_cast<std::uint64_t>(comm.size() - 1));
        const int tag = static_cast<int>(rounds % 1000);
        int plan[2] = {0, 0}; // decode type, receive form
        if (comm.rank() == 0) {
            const raw_object o = atk.damage(corpus[atk.below(corpus.size())]);
            plan[0] = static_cast<int>(atk.below(type_count));
            plan[1] = static_cast<int>(atk.below(3));
            comm.send(std::span<const int>(plan, 2), victim, 9999);
            std::vector<MPI_Request> reqs;
            const auto isend = [&](const std::vector<std::byte>& b) {
                reqs.emplace_back();
                MPI_Isend(b.data(), static_cast<int>(b.size()), MPI_BYTE, victim, tag, comm.native(), &reqs.back());
            };
            isend(o.msg);
            for (const auto& r : o.runs) isend(r);
            auto sentinel = comm.isend(mpixx::serialized(std::string("sentinel-") + std::to_string(rounds)), victim, tag);
            comm.recv(std::span<int>(plan, 1), victim, 9998); // the victim is done with this round
            // A damaged object may announce fewer runs than were sent: the victim dropped the extra ones
            // as failed objects before its sentinel, or they are still here; the sender is never stuck.
            MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
            (void)sentinel.wait();
        } else if (comm.rank() == victim) {
            comm.recv(std::span<int>(plan, 2), 0, 9999);
            if (victim_receive(comm, 0, tag, plan[0], plan[1])) ++decoded;
            // Leftover runs (an object damaged to announce fewer runs than it has) arrive before the
            // sentinel; each fails as a stream. The sentinel must come intact after at most those.
            const std::string want = "sentinel-" + std::to_string(rounds);
            bool got = false;
            for (int tries = 0; tries < 10 && !got; ++tries) {
                try {
                    got = comm.recv_object<std::string>(0, tag) == want;
                    if (!got) finding("a receive took the sentinel as the object, or the sentinel came damaged");
                } catch (const mpixx::error&) { // a leftover run of a damaged object
                }
            }
            if (!got) finding("the sentinel never arrived intact");
            comm.send(std::span<const int>(plan, 1), 0, 9998);
        }
        collective_round(comm, rounds);
    }
    alarm(0);
    const std::uint64_t all_decoded = comm.allreduce(decoded, mpixx::sum);
    if (comm.rank() == 0)
        std::printf("receive_attack: %llu rounds in %.0f s on %d ranks, %llu damaged objects decoded, no findings\n",
                    static_cast<unsigned long long>(rounds), seconds, comm.size(),
                    static_cast<unsigned long long>(all_decoded));
    return 0;
}
