#!/usr/bin/env bash
# What recording metrics costs (issue 17): a JFR profile of a warm server under PutRecords, with the share of its
# execution samples spent in dev.millrace.metrics, and the same step alternated between a build from before the
# metrics and the current one.
#
#   OLD=/path/to/old/millrace.jar bench/metrics-cost.sh [PAIRS]     (PAIRS default 3; without OLD: the profile only)
#
# Build an old jar with: git worktree add /tmp/old d9d32a3 && (cd /tmp/old && mvn -B -q -o -pl millrace-app -am
# package -DskipTests). Each run: a fresh server (embedded, SYNC, --throughput-limits off) on a fresh data dir, then
# `millrace bench` PutRecords of 500 x 100 B, 8 in flight, 4 shards, one polling reader per shard following,
# WARMUP_S (default 45) of warm-up, then DURATION_S (default 30) measured. PORT (default 4790) and the next ports.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
NEW="${NEW:-$repo/millrace-app/target/millrace.jar}"
loadgen="$repo/millrace-loadgen/target/millrace-loadgen.jar"
port="${PORT:-4790}"; warmup="${WARMUP_S:-45}"; duration="${DURATION_S:-30}"; pairs="${1:-3}"
out="$(mktemp -d /tmp/millrace-metrics-cost.XXXXXX)"

run() { # jar label [jfr]
  local jar=$1 label=$2 jfr=${3:-} d pid opts=()
  d=$(mktemp -d /tmp/millrace-metrics-cost-data.XXXXXX)
  [[ -n $jfr ]] && opts=("-XX:StartFlightRecording=filename=$out/$label.jfr,settings=profile")
  java "${opts[@]}" -jar "$jar" server --port "$port" --host 127.0.0.1 --data-dir "$d/data" \
    --throughput-limits off >"$out/$label-server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q "Millrace listening" "$out/$label-server.log" && break; sleep 0.2; done
  java -jar "$loadgen" bench --json --endpoint "http://127.0.0.1:$port" --server-pid "$pid" --stream-prefix p \
    --shards 4 --record-bytes 100 --batch-size 500 --concurrency 8 --readers polling --poll-idle-ms 50 \
    --duration-s "$duration" --warmup-s "$warmup" >"$out/$label.json" 2>"$out/$label.log"
  kill "$pid"; wait "$pid" || true
  rm -rf "$d"
  port=$((port + 1))
  python3 -c "import json; r = json.load(open('$out/$label.json')); print('%-10s put records/s %10.0f  server CPU-s per 1,000 records %.5f' % ('$label', r['put']['recordsPerS'], r['server']['cpuSPer1000Records']))"
}

run "$NEW" profile jfr
jfr print --events jdk.ExecutionSample --stack-depth 80 "$out/profile.jfr" | python3 -c "
import re, sys
samples = sys.stdin.read().split('jdk.ExecutionSample')[1:]
stacks = [re.findall(r'^\s+([\w\$.<>/]+)\(', s, re.M) for s in samples]
stacks = [s for s in stacks if s]
hits = sum(1 for s in stacks if any(f.startswith('dev.millrace.metrics') for f in s))
print('profile: %d of %d server samples in dev.millrace.metrics (%.2f %%)' % (hits, len(stacks), 100.0 * hits / len(stacks)))"
if [[ -n "${OLD:-}" ]]; then
  for i in $(seq 1 "$pairs"); do run "$OLD" "before-$i"; run "$NEW" "after-$i"; done
fi
echo "raw reports: $out"
