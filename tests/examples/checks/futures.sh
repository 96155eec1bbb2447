# tests/examples/checks/futures.sh - the checker of examples/futures.cpp (sourced by
# tests/examples/check_example.sh). The Collatz step counts are computed here, in bash.
# shellcheck shell=bash disable=SC2154 # out, np: set by check_example.sh

# Rank 0 alone prints: the pool's size, one line per input in input order (collatz(0) fails with the
# task's message), the total of the steps, and the map's results in order.
check_futures() {
    local inputs=(27 9 1 0 97 871 6 7 15 31) expected=() total=0 n m steps
    expected+=("10 tasks on $((np - 1)) worker(s): 9 done, 1 failed")
    for n in "${inputs[@]}"; do
        if ((n <= 0)); then
            expected+=("collatz($n) failed: collatz is undefined for $n")
            continue
        fi
        m=$n steps=0
        while ((m != 1)); do
            if ((m % 2)); then m=$((3 * m + 1)); else m=$((m / 2)); fi
            steps=$((steps + 1))
        done
        expected+=("collatz($n) = $steps steps")
        total=$((total + steps))
    done
    expected+=("total steps = $total" "map(square, 1..5) = [1, 4, 9, 16, 25]")
    local want
    want=$(printf '%s\n' "${expected[@]}")
    [ "$out" = "$want" ] || fail "expected exactly:"$'\n'"$want"
}
