// Tests of mpixx/object_messaging.hpp, point-to-point: any serializable object sent like mpi4py's
// lowercase send/recv, compile-time dispatch between the typed and the serialized path, out-of-band
// bulk runs, wildcards, sendrecv, the serialized() wrapper and the wrong-type error.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>

#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

namespace {

struct record {
    std::string name;
    std::vector<double> values;
    std::map<std::string, std::set<int>> index;
    std::optional<std::variant<int, std::string>> extra;
};

// A class with private state and the one customisation hook.
class account {
public:
    account() = default;
    account(std::string owner, long cents) : owner_(std::move(owner)), cents_(cents) {}
    template <class Archive>
    void serialize(Archive& ar) {
        ar(owner_, cents_, history_);
    }
    void deposit(long c) {
        cents_ += c;
        history_.push_back(c);
    }
    const std::string& owner() const { return owner_; }
    long cents() const { return cents_; }
    const std::deque<long>& history() const { return history_; }

private:
    std::string owner_;
    long cents_ = 0;
    std::deque<long> history_;
};

// Large contiguous data inside an object: travels out of band.
struct field {
    std::string label;
    std::vector<double> data;
};

record make_record(int r) {
    record rec;
    rec.name = "rank " + std::to_string(r);
    for (int i = 0; i <= r; ++i) rec.values.push_back(i * 0.5);
    rec.index["even"] = {0, 2, 4};
    rec.index["mine"] = {r};
    if (r % 2) rec.extra = std::string("odd");
    else rec.extra = r;
    return rec;
}

void check_record(const record& rec, int r) {
    CHECK(rec.name == "rank " + std::to_string(r));
    REQUIRE(rec.values.size() == std::size_t(r + 1));
    CHECK(rec.values.back() == r * 0.5);
    CHECK(rec.index.at("mine") == std::set<int>{r});
    CHECK(rec.index.at("even").size() == 3);
    REQUIRE(rec.extra.has_value());
    if (r % 2) CHECK(std::get<std::string>(*rec.extra) == "odd");
    else CHECK(std::get<int>(*rec.extra) == r);
}

int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

} // namespace

TEST_CASE("objects: dispatch is decided at compile time") {
    STATIC_REQUIRE(mpixx::object<std::map<std::string, int>>);
    STATIC_REQUIRE(mpixx::object<std::vector<std::string>>);
    STATIC_REQUIRE(mpixx::object<record>);
    STATIC_REQUIRE(mpixx::object<account>);
    STATIC_REQUIRE_FALSE(mpixx::object<int>);              // typed path
    STATIC_REQUIRE_FALSE(mpixx::object<std::vector<int>>); // typed path
    STATIC_REQUIRE_FALSE(mpixx::object<std::string>);      // typed path (contiguous chars)
    STATIC_REQUIRE_FALSE(mpixx::object<int*>);             // neither
}

TEST_CASE("objects: the guide's dict send/recv") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) return;
    if (comm.rank() == 0) {
        std::map<std::string, std::variant<std::string, int>> data{{"key", "value"}, {"number", 42}};
        comm.send(data, 1, 11);
    } else if (comm.rank() == 1) {
        auto data = comm.recv<std::map<std::string, std::variant<std::string, int>>>(0, 11);
        REQUIRE(data.size() == 2);
        CHECK(std::get<std::string>(data["key"]) == "value");
        CHECK(std::get<int>(data["number"]) == 42);
    }
}

TEST_CASE("objects: ring of nested objects, user classes, any_source") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    // nested aggregate, through sendrecv (no deadlock even at 1 rank, sending to itself)
    auto rec = comm.sendrecv<record>(make_record(r), right, 1, left, 1);
    check_record(rec, left);

    account a("owner" + std::to_string(r), 100 * r);
    a.deposit(5);
    a.deposit(r);
    auto b = comm.sendrecv<account>(a, right, 2, left, 2);
    CHECK(b.owner() == "owner" + std::to_string(left));
    CHECK(b.cents() == 100 * left + 5 + left);
    CHECK(b.history() == std::deque<long>{5, long(left)});

    // containers of every family in one object
    using mixed = std::tuple<std::list<std::string>, std::unordered_map<int, std::string>, std::pair<bool, char>,
                             std::vector<std::vector<int>>>;
    mixed m{{"a", std::string(size_t(r), 'x')}, {{r, "r"}}, {r % 2 == 0, 'c'}, {{}, {r, r}}};
    auto got = comm.sendrecv<mixed>(m, right, 3, left, 3);
    CHECK(std::get<0>(got).back() == std::string(size_t(left), 'x'));
    CHECK(std::get<1>(got).at(left) == "r");
    CHECK(std::get<2>(got).first == (left % 2 == 0));
    CHECK(std::get<3>(got)[1] == std::vector<int>{left, left});

    // any_source / any_tag on rank 0, blocking send and ssend elsewhere
    if (r == 0) {
        std::set<int> from;
        for (int i = 1; i < comm.size(); ++i) {
            auto v = comm.recv<std::vector<std::string>>(mpixx::any_source, mpixx::any_tag);
            REQUIRE(v.size() == 2);
            from.insert(std::stoi(v[1]));
        }
        CHECK(from.size() == std::size_t(comm.size() - 1));
    } else if (r % 2) {
        comm.send(std::vector<std::string>{"from", std::to_string(r)}, 0, 40 + r);
    } else {
        comm.ssend(std::vector<std::string>{"from", std::to_string(r)}, 0, 40 + r);
    }
}

TEST_CASE("objects: large bulk runs travel out of band and land in place") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) return;
    const std::size_t n = 1 << 18; // 2 MiB of doubles: above the out-of-band threshold
    if (comm.rank() == 0) {
        field f{"big", std::vector<double>(n)};
        for (std::size_t i = 0; i < n; ++i) f.data[i] = double(i) * 0.25;
        comm.send(f, 1, 7);
        comm.send(f, 1, 8);
    } else if (comm.rank() == 1) {
        auto f = comm.recv<field>(0, 7);
        CHECK(f.label == "big");
        REQUIRE(f.data.size() == n);
        CHECK(f.data[12345] == 12345 * 0.25);
        CHECK(f.data.back() == double(n - 1) * 0.25);
        // into an existing object: the vector's storage is reused
        const double* before = f.data.data();
        std::fill(f.data.begin(), f.data.end(), -1.0);
        comm.recv(f, 0, 8);
        CHECK(f.data.data() == before);
        CHECK(f.data[777] == 777 * 0.25);
    }
}

TEST_CASE("objects: serialized() forces the object path for typed buffers") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> v{comm.rank(), 1, 2};
    if (comm.size() == 1) {
        auto got = comm.sendrecv<std::vector<std::string>>(std::vector<std::string>{"solo"}, 0, 5, 0, 5);
        CHECK(got.front() == "solo");
        return;
    }
    // even ranks send first, odd ranks receive first: works at any size with blocking calls
    auto exchange = [&] {
        comm.send(mpixx::serialized(v), right, 5);
    };
    auto receive = [&] {
        auto got = comm.recv_object<std::vector<int>>(left, 5);
        CHECK(got == std::vector<int>{left, 1, 2});
    };
    if (comm.rank() % 2 == 0) {
        exchange();
        receive();
    } else {
        receive();
        exchange();
    }
}

TEST_CASE("objects: receiving as the wrong type names both types (type-checked builds)") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2 || !mpixx::detail::type_check_enabled) return;
    if (comm.rank() == 0) {
        comm.send(std::map<std::string, int>{{"a", 1}}, 1, 9);
    } else if (comm.rank() == 1) {
        try {
            (void)comm.recv<std::vector<std::string>>(0, 9);
            FAIL("wrong type not detected");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_TYPE);
            const std::string what = e.what();
            // the fingerprints, spelled alike by every compiler, with both ranks
            CHECK(what.find("rank 0 sent std::map<std::string, int>, rank 1 expected std::vector<std::string>") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("objects: corrupt bytes on the wire raise mpixx::error, not a crash") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) return;
    if (comm.rank() == 0) {
        auto bytes = mpixx::serialize(std::map<std::string, int>{{"alpha", 1}, {"beta", 2}});
        bytes.resize(bytes.size() - 3); // truncated
        comm.send(bytes, 1, 3);         // a typed byte vector, received as an object
        std::vector<std::byte> garbage(64, std::byte{0xff});
        comm.send(garbage, 1, 4);
    } else if (comm.rank() == 1) {
        CHECK_THROWS_AS((comm.recv<std::map<std::string, int>>(0, 3)), mpixx::error);
        CHECK_THROWS_AS((comm.recv<std::map<std::string, int>>(0, 4)), mpixx::error);
    }
}

TEST_CASE("objects: misuse is reported") {
    auto comm = mpixx::world().dup();
    const std::map<int, int> m{{1, 2}};
    try {
        comm.send(m, comm.size(), 0);
        FAIL("bad rank accepted");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_RANK);
    }
    CHECK_THROWS_AS(comm.send(m, 0, -1), mpixx::error);
}

TEST_CASE("objects: isend and irecv of objects, owned and borrowed") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    auto in = comm.irecv<record>(left, 30);
    auto in2 = comm.irecv<std::vector<std::string>>(left, 31);
    const record mine = make_record(r);
    auto out = comm.isend(mine, right, 30);                                       // borrowed
    auto out2 = comm.isend(std::vector<std::string>{"moved", std::to_string(r)}, right, 31); // owned
    check_record(in.wait(), left);
    CHECK(in2.wait() == std::vector<std::string>{"moved", std::to_string(left)});
    out.wait();
    auto back = out2.wait(); // a moved-in object is handed back
    CHECK(back.back() == std::to_string(r));
    CHECK_THROWS_AS(out2.wait(), mpixx::error); // and only once
}

TEST_CASE("objects: irecv, then a blocking send of a large object, then wait: no deadlock") {
    // Boost.MPI deadlocks here (it matches the receive only inside wait, and a large send is rendezvous).
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    for (std::size_t bytes : {std::size_t(1) << 20, std::size_t(4) << 20}) {
        auto in = comm.irecv<field>(left, 50);
        auto in_str = comm.irecv<std::vector<std::string>>(left, 51);
        field f{"from " + std::to_string(comm.rank()), std::vector<double>(bytes / sizeof(double), 1.0 * comm.rank())};
        comm.send(f, right, 50);                                                   // out-of-band bulk run
        // one big inline stream: strings below the out-of-band threshold stay in it
        comm.send(std::vector<std::string>(bytes / 4096, std::string(4096, 'x')), right, 51);
        auto got = in.wait();
        CHECK(got.label == "from " + std::to_string(left));
        REQUIRE(got.data.size() == bytes / sizeof(double));
        CHECK(got.data.back() == 1.0 * left);
        const auto strings = in_str.wait();
        CHECK(strings.size() == bytes / 4096);
        CHECK(strings.back() == std::string(4096, 'x'));
    }
}

TEST_CASE("objects: an object with many out-of-band runs, blocking and non-blocking") {
    // 40 inner vectors of 16 KiB: 40 runs above the out-of-band threshold, each its own message.
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    using rows_t = std::vector<std::vector<double>>;
    const auto rows_of = [](int rank) {
        rows_t rows(40);
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i].assign(2048, rank * 100.0 + static_cast<double>(i));
        return rows;
    };
    auto in = comm.irecv<rows_t>(left, 60);
    auto out = comm.isend(rows_of(r), right, 60);
    CHECK(in.wait() == rows_of(left));
    out.wait();
    // blocking, into an existing object of the same shape: every row received in place
    rows_t into = rows_of(-1);
    const double* row7 = into[7].data();
    auto s = comm.isend(rows_of(r), right, 61);
    comm.recv(into, left, 61);
    s.wait();
    CHECK(into == rows_of(left));
    CHECK(into[7].data() == row7);
    // broadcast from the last rank
    rows_t b = r == comm.size() - 1 ? rows_of(r) : rows_t{};
    comm.bcast(b, comm.size() - 1);
    CHECK(b == rows_of(comm.size() - 1));
}

TEST_CASE("objects: an object over 2 GiB moves with its bulk out of band", "[.large]") {
    // 2^28 + 2 doubles: 2 GiB + 16 bytes in one bulk run, a count no int can hold. Ranks 0 and 1.
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) {
        WARN("needs 2 ranks");
        return;
    }
    struct big {
        std::string name;
        std::vector<double> data;
    };
    const std::size_t n = (std::size_t(1) << 28) + 2;
    const auto check_big = [n](const big& b, double offset) {
        CHECK(b.name == "big");
        REQUIRE(b.data.size() == n);
        CHECK(b.data[0] == offset);
        CHECK(b.data[n / 2] == offset + static_cast<double>(n / 2));
        CHECK(b.data[n - 1] == offset + static_cast<double>(n - 1));
    };
    big b;
#if MPI_VERSION < 4
    // No large-count calls: refused with MPI_ERR_COUNT before anything moves, on every rank for bcast.
    if (comm.rank() == 0) {
        b.name = "big";
        b.data.resize(n);
        CHECK(mpixx_test::error_class_of([&] { comm.send(b, 1, 5); }) == MPI_ERR_COUNT);
    }
    CHECK(mpixx_test::error_class_of([&] { comm.bcast(b, 0); }) == MPI_ERR_COUNT);
    (void)check_big;
    return;
#endif
    if (comm.rank() == 0) {
        b.name = "big";
        b.data.resize(n);
        for (std::size_t i = 0; i < n; ++i) b.data[i] = static_cast<double>(i);
        comm.send(b, 1, 5);
        for (double& x : b.data) x += 1.0;
        comm.send(b, 1, 6);
    } else if (comm.rank() == 1) {
        b = comm.recv<big>(0, 5); // fresh
        check_big(b, 0.0);
        const double* storage = b.data.data();
        comm.recv(b, 0, 6); // into the same object: received in place
        CHECK(b.data.data() == storage);
        check_big(b, 1.0);
    }
    // bcast from rank 1 into rank 0's object of the same size (other ranks build their own)
    if (comm.rank() == 1)
        for (double& x : b.data) x += 1.0;
    comm.bcast(b, 1);
    check_big(b, 2.0);
}
