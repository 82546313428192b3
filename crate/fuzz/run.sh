#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) on its corpus; exits non-zero on the first crash.
# Usage: ./run.sh [SECONDS] [TARGET...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(ber cms mime smime_open pkcs12 certificates crl)
[ -d corpus ] || { echo "no corpus: run ./seed.sh first" >&2; exit 2; }
cargo +nightly fuzz build || exit 2
summary=()
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log="artifacts/$t.log"
  mkdir -p artifacts
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 > "$log" 2>&1
  rc=$?
  done_line=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/^#([0-9]+).*cov: ([0-9]+).*corp: ([0-9]+).*/\1 runs, cov \2, corpus \3/')
  if [ $rc -eq 0 ]; then
    line="$t: ok (${secs}s, $done_line)"
  else
    crash=$(grep -oE 'artifacts/[^ ]+' "$log" | grep -v '\.log$' | tail -1)
    line="$t: CRASH rc=$rc ${crash:-(see $log)}"
    status=1
  fi
  summary+=("$line")
  echo "$line"
  [ $status -ne 0 ] && break
done
echo "---- summary"
printf '%s\n' "${summary[@]}"
exit $status
