#!/usr/bin/env bash
# tests/hang/check_hang.sh <mpiexec> <ranks> <program> <case>
#
# Runs tests/hang/hang_cases.cpp's <case> under mpiexec and checks the hang report (MPIXX_HANG_TIMEOUT):
#   collective, p2p, wait, dup, other_abi, fence, halo, file
#                          (timeout 2 s) the job ends with a non-zero status within timeout + 8 s, every
#                          rank prints its line naming the routine it is stuck in (with communicator,
#                          window or file, root or peer and tag, count and datatype), and the ending line
#                          is there; for collective and p2p every rank also prints its call stack, whose
#                          frames in the program resolve (addr2line, when the build has debug info) to
#                          hang_cases.cpp;
#   no_hang                (timeout 1 s) calls that wait 0.3 s: no report line, exit status 0, report on;
#   late                   (timeout 1 s) a receive that blocks 2 s: its line, then "completed after
#                          all", exit status 0;
#   off                    (variable unset) no report line, exit status 0, nothing was started.
# Only mpixx's own lines are matched: MPICH's and Open MPI's launchers word the abort differently.
set -uo pipefail
mpiexec=$1 ranks=$2 program=$3 case=$4
n=$ranks

case $case in
collective | p2p | wait | dup | other_abi | fence | halo | file) timeout=2 ;;
no_hang | late) timeout=1 ;;
off) timeout= ;;
*) echo "check_hang: unknown case $case" && exit 2 ;;
esac

# Every process writes straight into a file of its own: a launcher can drop output still in flight when
# MPI_Abort tears the job down. The variable is set by the inner shell, so it reaches every rank whatever
# the launcher forwards.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
start=$(date +%s%N)
# shellcheck disable=SC2016 # expanded by the inner shell
launcher=$(timeout 60 "$mpiexec" -n "$ranks" bash -c '
  if [[ -n $3 ]]; then export MPIXX_HANG_TIMEOUT=$3; else unset MPIXX_HANG_TIMEOUT; fi
  exec "$1" "$4" "$2" >"$2/rank-output.$$" 2>&1' run "$program" "$logs" "$timeout" "$case" 2>&1)
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
output=$(cat "$logs"/rank-output.* 2>/dev/null; printf '%s\n' "$launcher")
printf '%s\n' "$output"
echo "check_hang: $case, $ranks rank(s), MPIXX_HANG_TIMEOUT=${timeout:-unset}: exit status $rc after ${elapsed_ms} ms"

fail=0
expect() { # expect <extended regex> <what>
  grep -Eq -- "$1" <<<"$output" || { echo "check_hang: FAIL: no line matches: $1 ($2)"; fail=1; }
}
count_lines() { grep -Ec -- "$1" <<<"$output"; }
of_ranks="$n rank$( ((n == 1)) || echo s)" # "1 rank", "3 ranks"
world="MPI_COMM_WORLD of $of_ranks"
num='[0-9]+\.[0-9]'

case $case in
collective | p2p | wait | dup | other_abi | fence | halo | file)
  if ((rc == 0)); then
    echo "check_hang: FAIL: the job exited with status 0"
    fail=1
  elif ((rc == 124 || rc == 137)); then
    echo "check_hang: FAIL: the job hung (killed by timeout after 60 s)"
    fail=1
  fi
  if ((elapsed_ms > (timeout + 8) * 1000)); then
    echo "check_hang: FAIL: the job took ${elapsed_ms} ms to end (limit $((timeout + 8)) s)"
    fail=1
  fi
  expect "^mpixx hang report: rank [0-9]+ ending the job \(MPIXX_HANG_TIMEOUT=$timeout\); ranks that printed no line were not waiting in an mpixx call$" "ending line"
  ;;
esac

prefix() { echo "^mpixx hang report: rank $1 of $n has waited $num s in"; }
# check_stack <rank>: the rank printed its call stack (lines "mpixx hang report: rank R:   #I MODULE+0xOFF"),
# and addr2line finds hang_cases.cpp among the program's frames (skipped without addr2line or debug info).
check_stack() {
  local r=$1 frames module
  frames=$(grep -E "^mpixx hang report: rank $r:   #[0-9]+ [^ ]+\+0x[0-9a-f]+" <<<"$output" |
    sed -E 's/^.*#[0-9]+ ([^ ]+)\+(0x[0-9a-f]+).*$/\1 \2/')
  if [[ -z $frames ]]; then
    echo "check_hang: FAIL: rank $r printed no call stack"
    fail=1
    return
  fi
  expect "^mpixx hang report: rank $r: frames are module\+offset; .*addr2line -f -C -i -e <module> <offset>" "rank $r's addr2line hint"
  command -v addr2line >/dev/null || { echo "check_hang: rank $r: no addr2line, frames not resolved"; return; }
  local program_path offsets resolved
  program_path=$(realpath "$program")
  offsets=$(awk -v m="$program_path" '$1 == m { print $2 }' <<<"$frames")
  if [[ -z $offsets ]]; then
    echo "check_hang: FAIL: rank $r's stack has no frame in $program_path"
    fail=1
    return
  fi
  # shellcheck disable=SC2086 # one argument per offset
  resolved=$(addr2line -f -C -i -e "$program_path" $offsets)
  if ! grep -q ':[0-9]' <<<"$resolved"; then
    echo "check_hang: rank $r: $program has no line information (no -g): stack not resolved, sub-check skipped"
  elif grep -q 'hang_cases\.cpp:[0-9]' <<<"$resolved"; then
    echo "check_hang: rank $r's stack resolves to $(grep -m1 -o 'hang_cases\.cpp:[0-9]*' <<<"$resolved")"
  else
    printf '%s\n' "$resolved"
    echo "check_hang: FAIL: rank $r's frames in the program do not name hang_cases.cpp"
    fail=1
  fi
}
case $case in
collective)
  # Every rank reports: it is a summary of what each one is blocked in.
  expect "$(prefix 0) MPI_Allreduce \($world, root -, count 1 MPI_DOUBLE\)$" "rank 0 in the allreduce"
  for ((r = 1; r < n; ++r)); do expect "$(prefix $r) MPI_Barrier \($world, root -\)$" "rank $r in the barrier"; done
  for ((r = 0; r < n; ++r)); do check_stack $r; done
  ;;
p2p)
  for ((r = 0; r < n; ++r)); do
    expect "$(prefix $r) MPI_Recv \($world, peer $(((r + 1) % n)), tag $((5 + r)), count 3 MPI_INT\)$" "rank $r's receive"
    check_stack $r
  done
  ;;
fence | halo | file)
  case $case in
  fence) expect "$(prefix 0) MPI_Win_fence \(window 0x[0-9a-f]+ of $of_ranks\)$" "rank 0 in the fence" ;;
  halo) expect "$(prefix 0) MPI_Waitall \(halo exchange on communicator 0x[0-9a-f]+, 4 requests\)$" "rank 0's halo wait" ;;
  file)
    # MPI lets a collective file call return before the others join (Open MPI's OMPIO does, for this
    # write): rank 0 then blocks in the close of the file's destructor, also collective.
    file='file "[^"]*/hang\.dat" on communicator 0x[0-9a-f]+'
    expect "$(prefix 0) (MPI_File_write_at_all \($file, count 4 MPI_INT\)|MPI_File_close \($file\))$" \
      "rank 0's collective write (or the close after it)"
    ;;
  esac
  for ((r = 1; r < n; ++r)); do expect "$(prefix $r) MPI_Barrier \($world, root -\)$" "rank $r in the barrier"; done
  ;;
other_abi)
  for ((r = 0; r < n; ++r)); do
    expect "$(prefix $r) MPI_Recv \($world, peer $(((r + 1) % n)), tag $((8 + r)), count 4 MPI_INT\)$" "rank $r's receive"
  done
  ;;
dup)
  # With MPI_THREAD_MULTIPLE the watchdog may ask MPI for the name and size; otherwise only the handle.
  comm='communicator 0x[0-9a-f]+'
  grep -q "thread level multiple" <<<"$output" && comm="communicator hang_dup \(0x[0-9a-f]+\) of $of_ranks"
  for ((r = 0; r < n; ++r)); do
    expect "$(prefix $r) MPI_Recv \($comm, peer $(((r + 1) % n)), tag 4, count 2 MPI_DOUBLE\)$" "rank $r's receive"
  done
  ;;
wait)
  expect "$(prefix 0) MPI_Wait \(1 request\)$" "rank 0's wait"
  for ((r = 1; r < n; ++r)); do expect "$(prefix $r) MPI_Barrier \($world, root -\)$" "rank $r in the barrier"; done
  ;;
no_hang | off | late)
  ((rc == 0)) || { echo "check_hang: FAIL: exit status $rc (expected 0)"; fail=1; }
  state=on
  [[ $case == off ]] && state=off
  for ((r = 0; r < n; ++r)); do expect "^hang_cases: rank $r: report $state" "rank $r finished, report $state"; done
  if [[ $case == late ]]; then
    expect "$(prefix 1) MPI_Recv \($world, peer 0, tag 3, count 1 MPI_INT\)$" "rank 1's slow receive"
    expect "^mpixx hang report: rank 1: the call completed after all; going on$" "no abort"
    # Its line and the "completed" one; the call stack's lines (frames, hint) come between.
    reports=$(grep -E '^mpixx hang report:' <<<"$output" | grep -Evc '^mpixx hang report: rank [0-9]+: +(#[0-9]+ |frames are)')
    ((reports == 2)) || { echo "check_hang: FAIL: expected exactly 2 report lines, got $reports"; fail=1; }
    expect "^mpixx hang report: rank 1:   #[0-9]+ " "rank 1's call stack"
  else
    (($(count_lines 'mpixx hang report') == 0)) || { echo "check_hang: FAIL: a report without a hang"; fail=1; }
  fi
  [[ $case == off ]] && expect "^hang_cases: rank 0: report off, slots unused$" "nothing started when off"
  ;;
esac
((fail == 0)) && echo "check_hang: PASS: $case at $ranks rank(s) in ${elapsed_ms} ms"
exit "$fail"
