#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS (default 60) each on its corpus, JOBS at a time
# (default 1; FUZZ_JOBS=2 or -j 2 on a 2-core machine), and prints one summary line per target.
# Exits 1 when any target crashed (its input is in artifacts/<target>/, its log in artifacts/<target>.log),
# 2 when it cannot run at all (no corpus: ./seed.sh; the build failed).
# Usage: ./run.sh [-j JOBS] [SECONDS] [TARGET...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
jobs=${FUZZ_JOBS:-1}
if [ "${1:-}" = -j ]; then
  jobs=${2:?"-j needs a number"}
  shift 2
fi
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(cargo +nightly fuzz list)
[ ${#targets[@]} -gt 0 ] || { echo "run.sh: no fuzz targets (is cargo-fuzz installed?)" >&2; exit 2; }
[ -d corpus ] || { echo "no corpus: run ./seed.sh first" >&2; exit 2; }
cargo +nightly fuzz build || exit 2
mkdir -p artifacts

# One target: its line goes to artifacts/<target>.summary (and stdout).
run_one() {
  local t=$1 log="artifacts/$1.log" rc line stats crash
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    > "$log" 2>&1
  rc=$?
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1 |
    sed -E 's/^#([0-9]+).*cov: ([0-9]+).*corp: ([0-9]+).*exec\/s: ([0-9]+).*/\1 runs, cov \2, corpus \3, \4 exec\/s/')
  if [ $rc -eq 0 ]; then
    line="$t: ok (${secs}s, ${stats:-no stats, see $log})"
  else
    crash=$(grep -oE "artifacts/$t/[^ ]+" "$log" | tail -1)
    line="$t: CRASH rc=$rc ${crash:-(see $log)}"
  fi
  echo "$line" | tee "artifacts/$t.summary"
}

rm -f artifacts/*.summary
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

echo "---- summary"
status=0
for t in "${targets[@]}"; do
  if [ -f "artifacts/$t.summary" ]; then
    cat "artifacts/$t.summary"
    grep -q ': ok ' "artifacts/$t.summary" || status=1
  else
    echo "$t: did not run"
    status=1
  fi
done
exit $status
