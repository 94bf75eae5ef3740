#!/usr/bin/env bash
# Reproduces the Parquet writer comparison (parquet-go vs arrow-go) on this machine:
#   1. benchstat-friendly benchmarks: time, file size, bytes and allocations per 10,000 rows;
#   2. CPU time per file (less sensitive than wall time to a busy machine);
#   3. binary size and cold compile time of each writer on top of the same baseline program.
# Usage: tools/parquetbench/measure.sh   (takes several minutes: step 3 compiles from scratch)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -run '^$' -bench . -count 8 -benchtime 30x -cpu 1 . | tee "$tmp/bench.txt"
command -v benchstat >/dev/null && benchstat "$tmp/bench.txt"

go test -c -o "$tmp/pb.test" .
cpu() { # CPU seconds (user+sys) of one benchmark run of $2 iterations
  /usr/bin/time -f '%U %S' "$tmp/pb.test" -test.run '^$' -test.bench "Write/$1\$" -test.benchtime "$2x" -test.cpu 1 2>&1 >/dev/null |
    tail -1 | awk '{print $1 + $2}'
}
for w in parquet-go arrow-go; do
  base=$(cpu "$w" 1) all=$(cpu "$w" 101)
  echo "$w: $(echo "($all - $base) * 10" | bc -l | xargs printf '%.1f') ms CPU per 10,000-row file"
done

for c in pgo arrow; do
  cache="$tmp/cache-$c"
  GOCACHE=$cache go build -trimpath -ldflags='-s -w' -o "$tmp/base" ./cmd/base
  start=$(date +%s.%N)
  GOCACHE=$cache go build -trimpath -ldflags='-s -w' -o "$tmp/$c" ./cmd/$c
  end=$(date +%s.%N)
  printf '%s: cold compile over the baseline %.0f s; binary %d bytes (baseline %d)\n' \
    "$c" "$(echo "$end - $start" | bc)" "$(stat -c %s "$tmp/$c")" "$(stat -c %s "$tmp/base")"
done
