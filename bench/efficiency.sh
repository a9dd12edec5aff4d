#!/usr/bin/env bash
# Efficiency at Kafka's level (issue 20): Millrace's embedded engine side by side with one Apache Kafka broker and
# Kafka's own producer perf tool, in one run, on this machine.
#
#   bench/efficiency.sh [-n ROUNDS] [-o OUT_DIR] [--quick]
#
# Starts, on 127.0.0.1 only, one fresh KRaft Kafka 4.4.0 node with Kafka's default settings (child JVM -Xmx1g) and one
# Millrace server on the embedded engine with its default durability (SYNC: every acknowledgement after fsync),
# --throughput-limits off. Then, ROUNDS times, one after the other so that the machine's noise hits all alike:
#   put-100, put-1024   kafka-producer-perf-test (ProducerPerformance) with Kafka's default producer settings
#                       (acks=all) on a topic of 4 partitions; then `millrace bench` PutRecords of 500 records of the
#                       same size to a stream of 4 shards, lean client, closed loop
#   shards-1000, shards-10000
#                       PutRecords of 500 x 100 B over 1 stream of 1,000 shards and 10 streams of 1,000 shards
#                       (100,000 partition keys, so every shard is written; the streams are kept between rounds)
#   latency             PutRecord at RATE calls/s (default 1,000), open loop, lean client, 4 shards; and Kafka's
#                       producer at RATE records/s (its send-to-ack latency, for reference)
# Each step records the broker's and the Millrace server's CPU (/proc utime + stime), the client's own CPU (Kafka's
# tool: its whole JVM by bash `time`; millrace bench: its JVM over the measured window) and the load average. At the
# end it prints a markdown table (medians over the rounds, single values in brackets) and keeps every raw output.
#
# Options (environment variables in brackets):
#   -n N       rounds (default 1)
#   -o DIR     where raw outputs go (default: a new directory under /tmp)
#   --quick    short runs, to check the script (not for numbers)
#   [STEPS]    any of "put shards latency" (default: all)
#   [PORT_BASE] first of 3 loopback ports (default 4760): broker, controller, Millrace
#   [CONCURRENCY] [PUT_DURATION_S] [PUT_WARMUP_S] [KAFKA_RECORDS_100] [KAFKA_RECORDS_1024] [RATE]
#   [LATENCY_DURATION_S] [PUT_CLIENT] (lean|sdk, default lean) [SERVER_JAVA_OPTS]
#   [SETTLE_S]  seconds of rest before each step, after a `sync` (default 3)
#   [SERVER_JAR]  another build of millrace.jar to measure (e.g. an older commit's, for a before/after)
# Needs java 17+, mvn and python3. Builds millrace.jar and millrace-loadgen.jar if missing (delete them to rebuild).
# Stops everything it started on exit, Ctrl-C included; exits non-zero when a step fails.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
rounds=1
quick=0
out_dir="${OUT_DIR:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -o) out_dir="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,32p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "-n must be positive" >&2; exit 2; }
if [[ $quick -eq 1 ]]; then
  : "${PUT_DURATION_S:=5}" "${PUT_WARMUP_S:=3}" "${KAFKA_RECORDS_100:=500000}" "${KAFKA_RECORDS_1024:=200000}"
  : "${LATENCY_DURATION_S:=5}"
fi
concurrency="${CONCURRENCY:-16}"
put_duration_s="${PUT_DURATION_S:-30}"
put_warmup_s="${PUT_WARMUP_S:-15}"
kafka_records_100="${KAFKA_RECORDS_100:-10000000}"
kafka_records_1024="${KAFKA_RECORDS_1024:-3000000}"
rate="${RATE:-1000}"
latency_duration_s="${LATENCY_DURATION_S:-30}"
put_client="${PUT_CLIENT:-lean}"
port_base="${PORT_BASE:-4760}"
steps=" ${STEPS:-put shards latency} "
broker_port=$port_base
controller_port=$((port_base + 1))
millrace_port=$((port_base + 2))

out_dir="${out_dir:-$(mktemp -d /tmp/millrace-efficiency.XXXXXX)}"
mkdir -p "$out_dir"
results="$out_dir/results.jsonl"
: >"$results"
work="$(mktemp -d /tmp/millrace-efficiency-work.XXXXXX)"

pids=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null && echo "pid $pid did not stop within 30 s of SIGTERM: killed" >&2
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  [[ $status -ne 0 ]] && echo "FAILED (status $status); raw outputs in $out_dir" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
clk_tck="$(getconf CLK_TCK)"
cpu_s() {
  local fields
  fields="$(sed 's/^.*) //' "/proc/$1/stat")" || die "process $1 is gone"
  awk -v t="$(echo "$fields" | awk '{ print $12 + $13 }')" -v hz="$clk_tck" 'BEGIN { printf "%.3f", t / hz }'
}
record() {
  python3 - "$results" "$@" <<'PY'
import json, sys
path, kv = sys.argv[1], sys.argv[2:]
entry = {}
for item in kv:
    key, _, value = item.partition("=")
    try:
        entry[key] = json.loads(value)
    except ValueError:
        entry[key] = value
with open(path, "a") as f:
    f.write(json.dumps(entry) + "\n")
PY
}

# --- build and Kafka's jars ------------------------------------------------------------------------------------------
server_jar="${SERVER_JAR:-$repo/millrace-app/target/millrace.jar}"
loadgen_jar="$repo/millrace-loadgen/target/millrace-loadgen.jar"
if [[ ! -f "$server_jar" || ! -f "$loadgen_jar" ]]; then
  say "building millrace.jar and millrace-loadgen.jar"
  (cd "$repo" && mvn -q -B -DskipTests package -pl millrace-app,millrace-loadgen -am) >&2 || die "the build failed"
fi
cp_file="$work/kafka-classpath.txt"
say "resolving Kafka 4.4.0 (broker and perf tools) with bench/kafka/pom.xml"
(cd "$repo/bench/kafka" && { mvn -q -B -o dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null 2>&1 \
  || mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2; }) || die "could not resolve Kafka's jars"
kafka_cp="$(cat "$cp_file")"
kafka_java() { java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Xmx512m -cp "$kafka_cp" "$@"; }

# --- one Kafka node, Kafka's defaults (but no automatic topic creation and a 2 MiB cleaner buffer) --------------------
cat >"$work/kafka.properties" <<EOF
process.roles=broker,controller
node.id=0
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=0@127.0.0.1:$controller_port
log.dirs=$work/kafka
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.dedupe.buffer.size=2097152
EOF
kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
  -c "$work/kafka.properties" >"$out_dir/kafka-format.log" 2>&1 || { cat "$out_dir/kafka-format.log" >&2; die "format"; }
say "starting one Kafka node on 127.0.0.1:$broker_port"
java -Xms1g -Xmx1g -cp "$kafka_cp" kafka.Kafka "$work/kafka.properties" >"$out_dir/kafka.log" 2>&1 &
broker_pid=$!; pids+=("$broker_pid")
for attempt in $(seq 1 600); do
  grep -q "Kafka Server started" "$out_dir/kafka.log" && break
  kill -0 "$broker_pid" 2>/dev/null || { tail -30 "$out_dir/kafka.log" >&2; die "Kafka exited"; }
  [[ $attempt -eq 600 ]] && die "Kafka not started within 120 s"
  sleep 0.2
done
create_topic() {
  local attempt
  for attempt in $(seq 1 10); do
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$broker_port" --create \
      --topic "$1" --partitions 4 --replication-factor 1 >"$out_dir/topic-$1.log" 2>&1 && return 0
    sleep 2
  done
  cat "$out_dir/topic-$1.log" >&2; die "could not create topic $1"
}

# --- Millrace --------------------------------------------------------------------------------------------------------
say "starting Millrace (embedded engine, SYNC durability) on 127.0.0.1:$millrace_port"
# shellcheck disable=SC2086 # SERVER_JAVA_OPTS is a list of words on purpose.
java ${SERVER_JAVA_OPTS:-} -jar "$server_jar" server --port "$millrace_port" --host 127.0.0.1 \
  --data-dir "$work/millrace" --throughput-limits off --shard-limit 20000 >"$out_dir/millrace.log" 2>&1 &
server_pid=$!; pids+=("$server_pid")
for attempt in $(seq 1 600); do
  grep -q "Millrace listening" "$out_dir/millrace.log" && break
  kill -0 "$server_pid" 2>/dev/null || { tail -30 "$out_dir/millrace.log" >&2; die "Millrace exited"; }
  [[ $attempt -eq 600 ]] && die "Millrace not listening within 120 s"
  sleep 0.2
done

# --- steps -------------------------------------------------------------------------------------------------------------
# Before each step: the page cache's dirty data written back (the step before, Kafka's 1 GB included, must not be
# written out during the next one, which it would otherwise share the disk and the CPU with), then a short rest.
settle() { sync; sleep "${SETTLE_S:-3}"; }
producer_perf() {
  local round="$1" scenario="$2" size="$3" records="$4" throughput="$5" topic raw b0 b1 load0
  topic="perf-r$round-$scenario"; create_topic "$topic"; settle
  raw="$out_dir/r$round-$scenario-kafka.txt"
  say "round $round: $scenario: kafka-producer-perf-test, $records x $size B, throughput $throughput"
  load0="$(loadavg)"; b0="$(cpu_s "$broker_pid")"
  local TIMEFORMAT="client_cpu_s %U %S"
  { time kafka_java org.apache.kafka.tools.ProducerPerformance --bootstrap-server "127.0.0.1:$broker_port" \
      --topic "$topic" --num-records "$records" --record-size "$size" --throughput "$throughput" \
      --warmup-records "$((records / 5))" --command-property acks=all ; } >"$raw" 2>&1 \
    || { cat "$raw" >&2; die "ProducerPerformance failed"; }
  b1="$(cpu_s "$broker_pid")"
  record round="$round" scenario="$scenario" target=kafka raw="\"$raw\"" load_start="$load0" load_end="$(loadavg)" \
    broker_cpu_s="$(minus "$b1" "$b0")" records="$records" size="$size"
}
millrace_bench() {
  local round="$1" scenario="$2"; shift 2
  local raw="$out_dir/r$round-$scenario-millrace.json" load0
  settle
  say "round $round: $scenario: millrace bench $*"
  load0="$(loadavg)"
  java -jar "$loadgen_jar" bench --json --endpoint "http://127.0.0.1:$millrace_port" --server-pid "$server_pid" "$@" \
    >"$raw" 2>"${raw%.json}.log" || { tail -20 "${raw%.json}.log" >&2; die "millrace bench ($scenario) failed"; }
  kill -0 "$server_pid" 2>/dev/null || die "the Millrace server died"
  record round="$round" scenario="$scenario" target=millrace raw="\"$raw\"" load_start="$load0" load_end="$(loadavg)"
}
wants() { [[ "$steps" == *" $1 "* ]]; }

say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out_dir"
put_args=(--batch-size 500 --concurrency "$concurrency" --duration-s "$put_duration_s" --warmup-s "$put_warmup_s"
  --readers none --put-client "$put_client")
for round in $(seq 1 "$rounds"); do
  if wants put; then
    for size in 100 1024; do
      records=$([[ $size -eq 100 ]] && echo "$kafka_records_100" || echo "$kafka_records_1024")
      producer_perf "$round" "put-$size" "$size" "$records" -1
      millrace_bench "$round" "put-$size" --stream-prefix "put-r$round-$size" --shards 4 --record-bytes "$size" \
        "${put_args[@]}"
    done
  fi
  if wants shards; then
    millrace_bench "$round" shards-4 --stream-prefix "shards4-r$round" --shards 4 --record-bytes 100 \
      --partition-keys 100000 "${put_args[@]}"
    millrace_bench "$round" shards-1000 --stream-prefix wide1k --keep-streams --streams 1 --shards 1000 \
      --record-bytes 100 --partition-keys 100000 "${put_args[@]}"
    millrace_bench "$round" shards-10000 --stream-prefix wide10k --keep-streams --streams 10 --shards 1000 \
      --record-bytes 100 --partition-keys 100000 "${put_args[@]}"
  fi
  if wants latency; then
    producer_perf "$round" latency 100 "$((rate * (latency_duration_s + 10)))" "$rate"
    millrace_bench "$round" latency --stream-prefix "latency-r$round" --shards 4 --record-bytes 100 --batch-size 1 \
      --rate "$rate" --concurrency 64 --duration-s "$latency_duration_s" --warmup-s 10 --readers none \
      --put-client lean
  fi
done

python3 "$repo/bench/efficiency-report.py" "$results" \
  "rounds=$rounds concurrency=$concurrency put_client=$put_client cores=$(nproc)"
say "raw outputs: $out_dir"
