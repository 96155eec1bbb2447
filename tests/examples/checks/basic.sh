# tests/examples/checks/basic.sh - checkers of the "basic" examples (sourced by
# tests/examples/check_example.sh): point-to-point (send_recv_object, send_recv_buffer, nonblocking),
# the collectives (broadcast, scatter, gather, reduce, allreduce) and reduction_ops. Every expected line
# is built here (bash arithmetic) from what the guide's Python prints, never by mpixx.
# shellcheck shell=bash disable=SC2154,SC2034 # out, np, rc, errout: from check_example.sh, which reads handles_exit_*

# Fails unless the output is exactly the given lines, in that order (one argument per line).
basic_expect_exactly() {
    local want
    want=$(printf '%s\n' "$@")
    [ "$out" = "$want" ] || fail "expected exactly these lines, in this order:"$'\n'"$want"
}

# An example that needs 2 ranks: at 1 rank it must exit non-zero, print nothing on stdout and say why
# on stderr; at 2+ ranks it must succeed (then the caller checks the output).
basic_two_ranks() {
    if [ "$np" -lt 2 ]; then
        [ "$rc" -ne 0 ] || fail "expected a non-zero exit status at 1 rank, got 0"
        [ -z "$out" ] || fail "expected no output on stdout at 1 rank"
        grep -Fxq "$name needs at least 2 ranks" <<<"$errout" ||
            fail "expected '$name needs at least 2 ranks' on stderr, got: $errout"
        return 1
    fi
    [ "$rc" -eq 0 ] || { printf '%s\n' "$errout" >&2; fail "exit status $rc"; }
}

# The dict goes from rank 0 to rank 1, printed in Python's repr by both (two ranks: either line first).
handles_exit_send_recv_object=1
check_send_recv_object() {
    basic_two_ranks || return 0
    expect_lines_any_order "Rank 0 sent: {'key': 'value', 'number': 42}" \
                           "Rank 1 received: {'key': 'value', 'number': 42}"
}

handles_exit_send_recv_buffer=1
check_send_recv_buffer() {
    basic_two_ranks || return 0
    basic_expect_exactly "Rank 1 received: [1 2 3 4]"
}

handles_exit_nonblocking=1
check_nonblocking() {
    basic_two_ranks || return 0
    basic_expect_exactly "Received: [1 2 3 4]"
}

# Every rank has rank 0's [1 2 3 4], one line per rank in rank order.
check_broadcast() {
    local want=() r
    for ((r = 0; r < np; r++)); do want+=("Rank $r has: [1 2 3 4]"); done
    basic_expect_exactly "${want[@]}"
}

# numpy's repr of an int array: "[ 8  9 10 11]", every element right-aligned to the widest.
basic_numpy() {
    local width=0 v items=()
    for v in "$@"; do ((${#v} > width)) && width=${#v}; done
    for v in "$@"; do items+=("$(printf '%*s' "$width" "$v")"); done
    local IFS=' '
    printf '[%s]' "${items[*]}"
}

# Rank r receives elements 4r .. 4r+3 of 0 .. 4*np-1, one line per rank in rank order.
check_scatter() {
    local want=() r
    for ((r = 0; r < np; r++)); do
        want+=("Rank $r received: $(basic_numpy $((4 * r)) $((4 * r + 1)) $((4 * r + 2)) $((4 * r + 3)))")
    done
    basic_expect_exactly "${want[@]}"
}

# Rank 0 alone prints every rank's four copies of its rank, in rank order.
check_gather() {
    local items=() r
    for ((r = 0; r < np; r++)); do items+=("$r" "$r" "$r" "$r"); done
    basic_expect_exactly "Gathered data: $(basic_numpy "${items[@]}")"
}

# 1 + 2 + ... + np on rank 0 alone.
check_reduce() {
    local sum=0 r
    for ((r = 1; r <= np; r++)); do sum=$((sum + r)); done
    basic_expect_exactly "Sum: $sum"
}

# Every rank prints 1 + 2 + ... + np, in rank order.
check_allreduce() {
    local want=() sum=0 r
    for ((r = 1; r <= np; r++)); do sum=$((sum + r)); done
    for ((r = 0; r < np; r++)); do want+=("Rank $r: total sum = $sum"); done
    basic_expect_exactly "${want[@]}"
}

# n in binary as Python's f"{n:#b}" (n > 0).
basic_bin() {
    local n=$1 s=""
    while ((n > 0)); do s=$((n % 2))$s; n=$((n / 2)); done
    printf '0b%s' "$s"
}

# The eight ops as the example's comment states: x = rank + 1, even = (rank % 2 == 0),
# bits = 0b11110000 | 1 << (rank % 4); rank 0 prints one line per op, in the guide's order.
check_reduction_ops() {
    local sum=0 prod=1 max=0 min=0 land=1 lor=0 band=-1 bor=0 r x bits
    for ((r = 0; r < np; r++)); do
        x=$((r + 1)) bits=$((0xF0 | 1 << (r % 4)))
        sum=$((sum + x)) prod=$((prod * x))
        if ((x > max)); then max=$x; fi
        if ((r == 0 || x < min)); then min=$x; fi
        if ((r % 2 == 0)); then lor=1; else land=0; fi
        band=$((band & bits)) bor=$((bor | bits))
    done
    local py=(False True)
    basic_expect_exactly "MPI.SUM: $sum" "MPI.PROD: $prod" "MPI.MAX: $max" "MPI.MIN: $min" \
                         "MPI.LAND: ${py[land]}" "MPI.LOR: ${py[lor]}" \
                         "MPI.BAND: $(basic_bin "$band")" "MPI.BOR: $(basic_bin "$bor")"
}
