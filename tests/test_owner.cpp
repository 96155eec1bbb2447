// Tests of mpixx/detail/owner.hpp (box, rc: the core's smart pointers, which replace <memory>) and of
// detail::invoke in mpixx/detail/std_light.hpp (std::invoke without <functional>).
#include "mpixx_test.hpp"

#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

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
