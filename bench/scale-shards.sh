#!/usr/bin/env bash
# Scale on one node: streams totalling many shards (default 10 x 1,000 = 10,000), written to, then the server
# restarted (stopped with SIGTERM, or killed with SIGNAL=KILL to time recovery after a crash). Prints the server's
# time to ready, heap, RSS and open files after the writes and after the restart, and
# the put throughput before and after the restart.
#
#   bench/scale-shards.sh [STREAMS] [SHARDS_PER_STREAM] [RECORDS]       (defaults: 10 1000 2000000)
#
# Millrace runs from millrace-app/target/millrace.jar on 127.0.0.1:$PORT (default 4730) with a fresh temporary data
# dir and --throughput-limits off; JAVA_OPTS goes to its JVM. The writes use `millrace bench` (100-byte records,
# PutRecords of 500, 100,000 partition keys, so that every shard gets records). Needs java and jcmd.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
streams="${1:-10}"
shards="${2:-1000}"
records="${3:-2000000}"
port="${PORT:-4730}"
server_jar="$repo/millrace-app/target/millrace.jar"
loadgen_jar="$repo/millrace-loadgen/target/millrace-loadgen.jar"
if [[ ! -f "$server_jar" || ! -f "$loadgen_jar" ]]; then
  (cd "$repo" && mvn -q -B -DskipTests package -pl millrace-app,millrace-loadgen -am) >&2
fi
data_dir="$(mktemp -d /tmp/millrace-scale.XXXXXX)"
log=""
starts=0
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  rm -rf "$data_dir" "$data_dir".log.*
}
trap cleanup EXIT

start_server() {
  local started_ns
  starts=$((starts + 1))
  log="$data_dir.log.$starts"
  started_ns=$(date +%s%N)
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of words on purpose.
  java ${JAVA_OPTS:-} -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$data_dir" \
       --throughput-limits off --shard-limit $((streams * shards + 100)) >"$log" 2>&1 &
  pid=$!
  until grep -q "Millrace listening" "$log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the server exited; see $log" >&2; exit 1; }
    sleep 0.05
  done
  echo "time to ready: $(( ($(date +%s%N) - started_ns) / 1000000 )) ms (from launching the JVM to its ready line)"
}

report() {
  echo "--- $1"
  echo "open files: $(ls /proc/"$pid"/fd | wc -l)"
  grep -E "VmRSS|VmHWM" /proc/"$pid"/status | tr -s ' \t' ' '
  jcmd "$pid" GC.heap_info | grep -E "garbage-first heap|total|used" | head -2
  jcmd "$pid" GC.run >/dev/null
  echo "heap after a full GC: $(jcmd "$pid" GC.heap_info | grep -oE 'used [0-9]+K' | head -1)"
}

bench() {
  java -jar "$loadgen_jar" bench --endpoint "http://127.0.0.1:$port" --server-pid "$pid" --streams "$streams" \
       --shards "$shards" --stream-prefix scale --keep-streams --record-bytes 100 --batch-size 500 \
       --partition-keys 100000 --concurrency 16 --records "$1" --warmup-s 0 --readers none 2>/dev/null \
    | grep -E "^(put|latency|errors|server) "
}

start_server
echo "--- writing $records records to $streams streams of $shards shards"
bench "$records"
report "after the writes"
kill -"${SIGNAL:-TERM}" "$pid"; wait "$pid" || true
echo "--- restart after SIG${SIGNAL:-TERM}"
start_server
grep -ohE "Write-ahead log in .*" "$log" || true
report "after the restart (before any request)"
echo "--- writing $((records / 4)) more records after the restart"
bench $((records / 4))
report "after writing again"
