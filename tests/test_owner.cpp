// Tests of the core's replacements for costly standard headers (issue 13): mpixx/detail/owner.hpp (box,
// rc: smart pointers, no <memory>), detail::invoke and detail::mutex_lock in mpixx/detail/std_light.hpp
// (no <functional>, no timed locks and their <chrono>), mpixx/detail/atomic.hpp (no <atomic>) and
// mpixx/detail/arg_pack.hpp (an MPI argument list without std::tuple).
#include "mpixx_test.hpp"

#include <mpixx/detail/arg_pack.hpp>
#include <mpixx/detail/atomic.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>

#include <thread>
#include <utility>
#include <vector>

namespace {

struct counted_base {
    static inline int alive = 0;
    counted_base() { ++alive; }
    counted_base(const counted_base&) = delete;
    virtual ~counted_base() { --alive; }
    virtual int id() const { return 0; }
};
struct counted : counted_base {
    explicit counted(int v) : value(v) {}
    int id() const override { return value; }
    int value;
};

struct widget {
    int v = 3;
    int get() const { return v; }
    int add(int x) { return v + x; }
};

} // namespace

using mpixx::detail::box;
using mpixx::detail::rc;

TEST_CASE("owner: box owns one object, moves, converts to a base, deletes once") {
    REQUIRE(counted_base::alive == 0);
    {
        box<counted> a = mpixx::detail::make_box<counted>(7);
        CHECK(counted_base::alive == 1);
        CHECK(a->value == 7);
        CHECK((*a).id() == 7);
        box<counted_base> b = std::move(a); // derived to base: deleted through the virtual destructor
        CHECK(a == nullptr);
        CHECK(!a);
        CHECK(b->id() == 7);
        CHECK(counted_base::alive == 1);
        b = nullptr;
        CHECK(counted_base::alive == 0);
        b.reset(new counted(9));
        counted_base* raw = b.release();
        CHECK(counted_base::alive == 1);
        CHECK(!b);
        delete raw;
    }
    CHECK(counted_base::alive == 0);
}

TEST_CASE("owner: box of an array, value-initialised or for overwrite") {
    auto zeros = mpixx::detail::make_array<int>(5);
    for (int i = 0; i < 5; ++i) CHECK(zeros[i] == 0);
    auto raw = mpixx::detail::make_array_for_overwrite<double>(3);
    raw[2] = 1.5;
    CHECK(raw.get()[2] == 1.5);
    box<int[][3]> triplets(new int[4][3]);
    triplets[3][2] = 11;
    CHECK(triplets.get()[3][2] == 11);
    auto moved = std::move(zeros);
    CHECK(!zeros);
    CHECK(moved[4] == 0);
}

TEST_CASE("owner: rc shares one object; the last copy deletes it, also through a base or void") {
    REQUIRE(counted_base::alive == 0);
    {
        rc<counted> a = mpixx::detail::make_rc<counted>(5);
        CHECK(a.use_count() == 1);
        rc<counted> b = a;
        CHECK(a.use_count() == 2);
        rc<const counted_base> base = b; // to a const base
        CHECK(base->id() == 5);
        CHECK(a.use_count() == 3);
        rc<void> keep = std::move(b); // moved: the count does not change
        CHECK(b == nullptr);
        CHECK(a.use_count() == 3);
        a.reset();
        base = nullptr;
        CHECK(counted_base::alive == 1); // keep still holds it
        CHECK(keep.use_count() == 1);
        rc<void> copy = keep;
        keep = rc<void>();
        CHECK(counted_base::alive == 1);
        copy = {};
        CHECK(counted_base::alive == 0);
    }
    CHECK(counted_base::alive == 0);
}

TEST_CASE("owner: on_last_copy runs its action once, when the last copy goes") {
    int runs = 0;
    {
        rc<void> a = mpixx::detail::on_last_copy([&runs] { ++runs; });
        CHECK(static_cast<bool>(a)); // owns an action, though it points at nothing
        CHECK(a.get() == nullptr);
        rc<void> b = a;
        a = nullptr;
        CHECK(runs == 0);
        rc<void> c = std::move(b);
        CHECK(runs == 0);
    }
    CHECK(runs == 1);
}

TEST_CASE("owner: rc copies in two threads keep an exact count") {
    int runs = 0;
    rc<void> shared = mpixx::detail::on_last_copy([&runs] { ++runs; });
    auto churn = [&shared] {
        for (int i = 0; i < 20000; ++i) {
            rc<void> copy = shared;
            rc<void> again = copy;
        }
    };
    std::thread t(churn);
    churn();
    t.join();
    CHECK(shared.use_count() == 1);
    shared.reset();
    CHECK(runs == 1);
}

TEST_CASE("std_light: detail::invoke calls callables and pointers to members like std::invoke") {
    using mpixx::detail::invoke;
    widget w;
    const widget cw;
    CHECK(invoke([] { return 1; }) == 1);
    CHECK(invoke([](int a, int b) { return a - b; }, 5, 2) == 3);
    CHECK(invoke(&widget::get, cw) == 3);
    CHECK(invoke(&widget::get, &w) == 3);
    CHECK(invoke(&widget::add, w, 4) == 7);
    CHECK(invoke(&widget::v, w) == 3);
    invoke(&widget::v, w) = 8; // a data member gives a reference
    CHECK(w.v == 8);
    CHECK(invoke(&widget::v, &w) == 8);
}

TEST_CASE("atomic: loads, stores, exchanges and compare-exchanges like std::atomic") {
    namespace d = mpixx::detail;
    d::atomic<int> i{5};
    CHECK(i.load() == 5);
    i.store(7, d::memory_order_release);
    CHECK(i.load(d::memory_order_acquire) == 7);
    CHECK(i.exchange(9) == 7);
    int expected = 1;
    CHECK_FALSE(i.compare_exchange_strong(expected, 2, d::memory_order_acq_rel)); // fails: expected gets 9
    CHECK(expected == 9);
    CHECK(i.compare_exchange_strong(expected, 2, d::memory_order_acq_rel, d::memory_order_relaxed));
    CHECK(i.load() == 2);
    while (!i.compare_exchange_weak(expected, 3)) {} // weak may fail spuriously: retry
    CHECK(i.load() == 3);
    CHECK(i.fetch_add(4) == 3);
    CHECK(i.fetch_and(6) == 7);
    CHECK(i.load() == 6);

    enum class colour : unsigned char { red, green };
    d::atomic<colour> c{colour::red};
    c.store(colour::green, d::memory_order_relaxed);
    CHECK(c.load() == colour::green);
    static int target = 0;
    d::atomic<int*> p{nullptr};
    CHECK(p.exchange(&target) == nullptr);
    CHECK(p.load() == &target);
    d::atomic<char> name[4] = {};
    CHECK(name[3].load() == '\0');
    static_assert(d::atomic<std::uint64_t>::is_always_lock_free && d::atomic<bool>::is_always_lock_free);
    static_assert(alignof(d::atomic<std::uint64_t>) == 8);
    d::atomic_thread_fence(d::memory_order_seq_cst);
}

TEST_CASE("atomic: fetch_add from two threads loses no increment") {
    mpixx::detail::atomic<std::uint64_t> n{0};
    auto add = [&n] {
        for (int k = 0; k < 50000; ++k) n.fetch_add(1, mpixx::detail::memory_order_relaxed);
    };
    std::thread t(add);
    add();
    t.join();
    CHECK(n.load() == 100000);
}

TEST_CASE("std_light: mutex_lock locks, tries, unlocks and relocks like std::unique_lock") {
    using mpixx::detail::mutex_lock;
    std::mutex m;
    auto try_elsewhere = [&m] {
        bool got = false;
        std::thread t([&] {
            mutex_lock l(m, std::try_to_lock);
            got = l.owns_lock();
        });
        t.join();
        return got;
    };
    {
        mutex_lock l(m);
        CHECK(l.owns_lock());
        CHECK_FALSE(try_elsewhere()); // held here
        l.unlock();
        CHECK_FALSE(l);
        CHECK(try_elsewhere()); // released (and released again by the other thread's lock)
        l.lock();
        CHECK(bool(l));
        CHECK_FALSE(try_elsewhere());
    }
    CHECK(try_elsewhere()); // the destructor released it
    mutex_lock tried(m, std::try_to_lock);
    CHECK(tried.owns_lock());
}

TEST_CASE("arg_pack: an argument list kept by value, picked by position") {
    namespace d = mpixx::detail;
    int buffer[2] = {4, 5};
    const d::arg_pack<int*, int, double, const char*> a(buffer, 2, 0.5, "x");
    CHECK(d::arg<0>(a) == buffer);
    CHECK(d::arg<1>(a) == 2);
    CHECK(d::arg<2>(a) == 0.5);
    CHECK(std::string(d::arg<3>(a)) == "x");
    static_assert(std::is_same_v<d::arg_type<2, int*, int, double, const char*>, double>);
    static_assert(std::is_same_v<d::arg_type<3, int*, int, double, const char*>, const char*>);
    CHECK(a.apply([](int* p, int n, double f, const char*) { return p[n - 1] * f; }) == 2.5);
}
