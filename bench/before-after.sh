#!/usr/bin/env bash
# PutRecords and PutRecord throughput/latency of two Millrace builds, alternated on a fresh server and data dir each
# run, so that the machine's drift hits both alike (docs/BENCHMARKS.md, "Quiet re-runs (issue #13)").
#
#   OLD=/path/to/old/millrace.jar NEW=millrace-app/target/millrace.jar bench/before-after.sh [PAIRS]
#
# Build an old jar with: git worktree add /tmp/old <commit> && (cd /tmp/old && mvn -B -q -pl millrace-app -am
# package -DskipTests). PORT (default 4700) moves the server. Each run prints the generator's summary lines.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
cd "$repo"
: "${OLD:?set OLD to the old build: its millrace.jar}"
NEW="${NEW:-$repo/millrace-app/target/millrace.jar}"
PORT="${PORT:-4700}"
pairs="${1:-3}"
run() { # jar label mode
  local jar=$1 label=$2 mode=$3 d pid out
  d=$(mktemp -d)
  java -jar "$jar" server --port "$PORT" --host 127.0.0.1 --data-dir "$d" --throughput-limits off >"$d.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
  local B=(./millrace bench --endpoint "http://127.0.0.1:$PORT" --server-pid "$pid" --shards 4 --readers none
           --duration-s 25 --warmup-s 10)
  out=$(mktemp)
  if [[ $mode == putrecords ]]; then
    "${B[@]}" --record-bytes 100 --batch-size 500 --concurrency 16 >"$out" 2>&1
  else
    "${B[@]}" --record-bytes 100 --batch-size 1 --rate 1000 --concurrency 64 --put-client lean >"$out" 2>&1
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$d" "$d.log"
  echo "== $label $mode (load $(cut -d' ' -f1 /proc/loadavg))"
  grep -E '^(put|latency|server) ' "$out"; rm -f "$out"
}
for _ in $(seq 1 "$pairs"); do run "$OLD" before putrecords; run "$NEW" after putrecords; done
for _ in $(seq 1 "$pairs"); do run "$NEW" after putrecord; run "$OLD" before putrecord; done
