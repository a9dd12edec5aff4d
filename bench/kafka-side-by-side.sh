#!/usr/bin/env bash
# Millrace on Apache Kafka, side by side with Kafka's own perf tools and with the embedded engine (issue 14).
#
#   bench/kafka-side-by-side.sh [-b BROKERS] [-n ROUNDS] [-s SHARDS] [--quick] [--jfr] [-o OUT_DIR]
#   bench/kafka-side-by-side.sh -b 1 -n 3          # one broker, three interleaved rounds
#   bench/kafka-side-by-side.sh -b 3 -n 3          # three brokers, replication factor 3, min ISR 2
#
# Starts, on 127.0.0.1 only, a fresh KRaft Kafka 4.4.0 cluster of BROKERS combined broker+controller nodes (child JVMs,
# -Xmx1g each; replication factor min(3, BROKERS), min.insync.replicas 2 when it is 3), a Millrace server on it
# (--storage kafka --throughput-limits off) and a Millrace server on the embedded engine (--throughput-limits off,
# SYNC durability). Then, ROUNDS times, every measurement on every target one after the other, so that the machine's
# noise hits all of them alike:
#   for 100 B and 1 KiB records:
#     kafka-producer-perf-test (ProducerPerformance) on a topic of SHARDS partitions, acks=all, with the producer
#       settings Millrace's own producer uses; then kafka-consumer-perf-test (ConsumerPerformance) reading it back
#     millrace bench PutRecords 500 x SIZE, closed loop, CONCURRENCY requests in flight: on Kafka, then embedded
#     millrace bench GetRecords on a backlog (puts first, then one lean GetRecords reader per shard from
#       TRIM_HORIZON): on Kafka, then embedded
#   at low load (100 B): kafka-producer-perf-test at RATE records/s (its ack latency); millrace bench PutRecord at
#     RATE calls/s, open loop, lean client, with a fan-out reader (put-to-push latency): on Kafka, then embedded.
# Every step records the brokers' CPU (/proc, utime + stime of all broker JVMs) and the load average; the Millrace
# steps also the Millrace server's CPU (the load generator's --server-pid). At the end it prints a markdown table
# (medians over the rounds) and keeps every raw output in OUT_DIR.
#
# Options (environment variables in brackets):
#   -b N           Kafka nodes, 1..3 (default 1)
#   -n N           rounds (default 1)
#   -s N           shards per stream = partitions of the perf topics (default 4)
#   --quick        short runs, to check the script (not for numbers)
#   --jfr          a JFR recording (settings=profile) of each Millrace server, OUT_DIR/millrace-NAME.jfr, written
#                  when the script stops it (costs the servers a few per cent)
#   -o DIR         where raw outputs go [OUT_DIR] (default: a new directory under /tmp)
#   [PORT_BASE]    first of 30 loopback ports (default 4740): brokers, controllers, the two Millrace servers
#   [SERVER_JAVA_OPTS]  extra JVM options of both Millrace servers (e.g. -XX:StartFlightRecording=...)
#   [KAFKA_SERVER_ARGS] extra options of the Millrace server on Kafka, e.g. "--kafka-property linger.ms=5" (client
#                  properties override the backend's own producer and consumer settings)
#   [STEPS]        which steps to run, any of "put get latency" (default: all three)
#   [CONCURRENCY] [PUT_DURATION_S] [PUT_WARMUP_S] [BACKLOG_100] [BACKLOG_1024] [KAFKA_RECORDS_100]
#   [KAFKA_RECORDS_1024] [RATE] [LATENCY_DURATION_S]   override the sizes below
# Needs java 17+, mvn (the first run resolves Kafka's jars from Maven Central) and python3. Builds millrace.jar and
# millrace-loadgen.jar if missing (delete them to rebuild after a pull). Stops everything it started on exit,
# Ctrl-C included; exits non-zero when a step fails.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
brokers=1
rounds=1
shards=4
quick=0
jfr=0
out_dir="${OUT_DIR:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -b) brokers="$2"; shift 2 ;;
    -n) rounds="$2"; shift 2 ;;
    -s) shards="$2"; shift 2 ;;
    -o) out_dir="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --jfr) jfr=1; shift ;;
    -h|--help) sed -n '2,43p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$brokers" =~ ^[1-3]$ ]] || { echo "-b must be 1, 2 or 3" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "-n and -s must be positive" >&2; exit 2; }

if [[ $quick -eq 1 ]]; then
  : "${PUT_DURATION_S:=5}" "${PUT_WARMUP_S:=2}" "${BACKLOG_100:=100000}" "${BACKLOG_1024:=50000}"
  : "${KAFKA_RECORDS_100:=200000}" "${KAFKA_RECORDS_1024:=100000}" "${LATENCY_DURATION_S:=5}"
fi
concurrency="${CONCURRENCY:-64}"
put_duration_s="${PUT_DURATION_S:-30}"
put_warmup_s="${PUT_WARMUP_S:-15}"
backlog_100="${BACKLOG_100:-3000000}"
backlog_1024="${BACKLOG_1024:-1000000}"
kafka_records_100="${KAFKA_RECORDS_100:-6000000}"
kafka_records_1024="${KAFKA_RECORDS_1024:-2000000}"
rate="${RATE:-200}"
latency_duration_s="${LATENCY_DURATION_S:-30}"
port_base="${PORT_BASE:-4740}"
steps=" ${STEPS:-put get latency} "
# shellcheck disable=SC2206 # KAFKA_SERVER_ARGS is a list of words on purpose.
kafka_server_args=(${KAFKA_SERVER_ARGS:-})
replication=$((brokers < 3 ? brokers : 3))
min_isr=$((replication >= 3 ? 2 : 1))

out_dir="${out_dir:-$(mktemp -d /tmp/millrace-kafka-bench.XXXXXX)}"
mkdir -p "$out_dir"
results="$out_dir/results.jsonl"
: >"$results"
work="$(mktemp -d /tmp/millrace-kafka-bench-work.XXXXXX)"

# What this script started, so that it stops exactly that and nothing else, whichever way it ends.
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

# --- build ---------------------------------------------------------------------------------------------------------
server_jar="$repo/millrace-app/target/millrace.jar"
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

# --- Kafka cluster -------------------------------------------------------------------------------------------------
bootstrap=""
voters=""
for ((i = 0; i < brokers; i++)); do
  bootstrap+="${bootstrap:+,}127.0.0.1:$((port_base + i))"
  voters+="${voters:+,}$i@127.0.0.1:$((port_base + 10 + i))"
done
cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)" || die "StorageTool random-uuid failed"
broker_pids=()
for ((i = 0; i < brokers; i++)); do
  cat >"$work/node-$i.properties" <<EOF
process.roles=broker,controller
node.id=$i
listeners=PLAINTEXT://127.0.0.1:$((port_base + i)),CONTROLLER://127.0.0.1:$((port_base + 10 + i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((port_base + i))
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=$voters
log.dirs=$work/node-$i
offsets.topic.replication.factor=$replication
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.dedupe.buffer.size=2097152
EOF
done
say "formatting $brokers Kafka node(s)"
for ((i = 0; i < brokers; i++)); do
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$work/node-$i.properties" \
    >"$out_dir/kafka-format-$i.log" 2>&1 &
  format_pids[i]=$!
done
for ((i = 0; i < brokers; i++)); do
  wait "${format_pids[i]}" || { cat "$out_dir/kafka-format-$i.log" >&2; die "formatting node $i failed"; }
done
say "starting $brokers Kafka node(s) on $bootstrap (replication factor $replication, min ISR $min_isr)"
for ((i = 0; i < brokers; i++)); do
  java -Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$kafka_cp" kafka.Kafka \
    "$work/node-$i.properties" >"$out_dir/kafka-$i.log" 2>&1 &
  pids+=($!); broker_pids+=($!)
done
for ((i = 0; i < brokers; i++)); do
  for attempt in $(seq 1 600); do
    grep -q "Kafka Server started" "$out_dir/kafka-$i.log" && break
    kill -0 "${broker_pids[i]}" 2>/dev/null || { tail -30 "$out_dir/kafka-$i.log" >&2; die "Kafka node $i exited"; }
    [[ $attempt -eq 600 ]] && die "Kafka node $i not started within 120 s (see $out_dir/kafka-$i.log)"
    sleep 0.2
  done
done

# CPU seconds (utime + stime) of the given processes, from /proc/PID/stat.
clk_tck="$(getconf CLK_TCK)"
cpu_s() {
  local total=0 pid fields
  for pid in "$@"; do
    fields="$(sed 's/^.*) //' "/proc/$pid/stat")" || die "process $pid is gone"
    total=$((total + $(echo "$fields" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$total" -v hz="$clk_tck" 'BEGIN { printf "%.3f", t / hz }'
}

# Creates a topic shaped like Millrace's shard topics (replication, min ISR, LogAppendTime) but with $shards partitions
# instead of $shards topics; retried while brokers settle.
create_topic() {
  local topic="$1" attempt
  for attempt in $(seq 1 10); do
    if kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --topic "$topic" \
        --partitions "$shards" --replication-factor "$replication" --config "min.insync.replicas=$min_isr" \
        --config message.timestamp.type=LogAppendTime \
        >"$out_dir/topic-$topic.log" 2>&1; then
      return 0
    fi
    sleep 2
  done
  cat "$out_dir/topic-$topic.log" >&2
  die "could not create topic $topic"
}

# --- Millrace servers ----------------------------------------------------------------------------------------------
kafka_server_port=$((port_base + 20))
embedded_server_port=$((port_base + 21))
start_millrace() {
  local name="$1" port="$2"; shift 2
  mkdir -p "$work/$name"
  local jfr_opts=()
  [[ $jfr -eq 1 ]] && jfr_opts=("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=$out_dir/millrace-$name.jfr")
  # shellcheck disable=SC2086 # SERVER_JAVA_OPTS is a list of words on purpose.
  java ${SERVER_JAVA_OPTS:-} "${jfr_opts[@]}" -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$work/$name" \
    --throughput-limits off "$@" >"$out_dir/millrace-$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for attempt in $(seq 1 600); do
    grep -q "Millrace listening" "$out_dir/millrace-$name.log" && break
    kill -0 "$pid" 2>/dev/null || { tail -30 "$out_dir/millrace-$name.log" >&2; die "Millrace ($name) exited"; }
    [[ $attempt -eq 600 ]] && die "Millrace ($name) not listening within 120 s"
    sleep 0.2
  done
  server_pid="$pid"
}
say "starting Millrace on Kafka (port $kafka_server_port) and on the embedded engine (port $embedded_server_port)"
start_millrace kafka "$kafka_server_port" --storage kafka --kafka-bootstrap-servers "$bootstrap" \
  --kafka-topic-prefix bench. "${kafka_server_args[@]}"
kafka_server_pid="$server_pid"
start_millrace embedded "$embedded_server_port"
embedded_server_pid="$server_pid"

# --- steps ---------------------------------------------------------------------------------------------------------
# Appends one JSON line to results.jsonl: the step's identity, wall time, load average, brokers' CPU, raw file.
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

# Kafka's producer perf test; the producer settings are Millrace's own (KafkaLogStore), so only the layer differs.
producer_perf() {
  local round="$1" scenario="$2" topic="$3" size="$4" records="$5" throughput="$6" raw cpu0 cpu1 t0 t1 load0
  raw="$out_dir/r$round-$scenario-kafka-producer.txt"
  say "round $round: $scenario: kafka-producer-perf-test, $records x $size B, throughput $throughput"
  load0="$(loadavg)"; cpu0="$(cpu_s "${broker_pids[@]}")"; t0="$(date +%s.%N)"
  local TIMEFORMAT="client_cpu_s %U %S"
  { time kafka_java org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
      --num-records "$records" --record-size "$size" --throughput "$throughput" \
      --warmup-records "$((records / 5))" \
      --command-property acks=all enable.idempotence=true max.in.flight.requests.per.connection=5 linger.ms=0 \
      batch.size=262144 buffer.memory=67108864 ; } >"$raw" 2>&1 || { cat "$raw" >&2; die "ProducerPerformance failed"; }
  t1="$(date +%s.%N)"; cpu1="$(cpu_s "${broker_pids[@]}")"
  record round="$round" scenario="$scenario" target=kafka-tool raw="\"$raw\"" wall_s="$(minus "$t1" "$t0")" \
    load_start="$load0" load_end="$(loadavg)" broker_cpu_s="$(minus "$cpu1" "$cpu0")" records="$records"
}

consumer_perf() {
  local round="$1" scenario="$2" topic="$3" records="$4" raw cpu0 cpu1 t0 t1 load0
  raw="$out_dir/r$round-$scenario-kafka-consumer.txt"
  say "round $round: $scenario: kafka-consumer-perf-test, $records records"
  load0="$(loadavg)"; cpu0="$(cpu_s "${broker_pids[@]}")"; t0="$(date +%s.%N)"
  local TIMEFORMAT="client_cpu_s %U %S"
  { time kafka_java org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
      --num-records "$records" --timeout 120000 --group "bench-$topic" ; } >"$raw" 2>&1 \
    || { cat "$raw" >&2; die "ConsumerPerformance failed"; }
  t1="$(date +%s.%N)"; cpu1="$(cpu_s "${broker_pids[@]}")"
  record round="$round" scenario="$scenario" target=kafka-tool raw="\"$raw\"" wall_s="$(minus "$t1" "$t0")" \
    load_start="$load0" load_end="$(loadavg)" broker_cpu_s="$(minus "$cpu1" "$cpu0")" records="$records"
}

# millrace bench against one of the two servers; its JSON report is the raw output.
millrace_bench() {
  local round="$1" scenario="$2" target="$3"; shift 3
  local port pid raw cpu0 cpu1 t0 t1 load0
  if [[ "$target" == millrace-kafka ]]; then port=$kafka_server_port; pid=$kafka_server_pid
  else port=$embedded_server_port; pid=$embedded_server_pid; fi
  raw="$out_dir/r$round-$scenario-$target.json"
  say "round $round: $scenario: $target: bench $*"
  load0="$(loadavg)"; cpu0="$(cpu_s "${broker_pids[@]}")"; t0="$(date +%s.%N)"
  java -jar "$loadgen_jar" bench --json --endpoint "http://127.0.0.1:$port" --server-pid "$pid" \
    --stream-prefix "bench-r$round-$scenario" --shards "$shards" "$@" >"$raw" 2>"${raw%.json}.log" \
    || { tail -20 "${raw%.json}.log" >&2; die "millrace bench ($target, $scenario) failed"; }
  t1="$(date +%s.%N)"; cpu1="$(cpu_s "${broker_pids[@]}")"
  kill -0 "$pid" 2>/dev/null || die "the Millrace server ($target) died"
  record round="$round" scenario="$scenario" target="$target" raw="\"$raw\"" wall_s="$(minus "$t1" "$t0")" \
    load_start="$load0" load_end="$(loadavg)" broker_cpu_s="$(minus "$cpu1" "$cpu0")"
}

say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out_dir"
wants() { [[ "$steps" == *" $1 "* ]]; }
for round in $(seq 1 "$rounds"); do
  for size in 100 1024; do
    wants put || wants get || continue
    if [[ $size -eq 100 ]]; then kafka_records=$kafka_records_100; backlog=$backlog_100
    else kafka_records=$kafka_records_1024; backlog=$backlog_1024; fi
    topic="perf-r$round-$size"
    create_topic "$topic"
    # The consumer reads what the producer wrote, so a get step runs the producer too.
    producer_perf "$round" "put-$size" "$topic" "$size" "$kafka_records" -1
    wants get && consumer_perf "$round" "get-$size" "$topic" "$kafka_records"
    for target in millrace-kafka millrace-embedded; do
      wants put || break
      millrace_bench "$round" "put-$size" "$target" --record-bytes "$size" --batch-size 500 \
        --concurrency "$concurrency" --duration-s "$put_duration_s" --warmup-s "$put_warmup_s" --readers none
    done
    for target in millrace-kafka millrace-embedded; do
      wants get || break
      millrace_bench "$round" "get-$size" "$target" --record-bytes "$size" --batch-size 500 \
        --concurrency "$concurrency" --records "$backlog" --warmup-s 0 --readers polling --read-backlog
    done
  done
  wants latency || continue
  topic="perf-r$round-latency"
  create_topic "$topic"
  producer_perf "$round" latency "$topic" 100 "$((rate * (latency_duration_s + 10)))" "$rate"
  for target in millrace-kafka millrace-embedded; do
    millrace_bench "$round" latency "$target" --record-bytes 100 --batch-size 1 --rate "$rate" --concurrency 64 \
      --duration-s "$latency_duration_s" --warmup-s 10 --readers fanout --put-client lean
  done
done

# What the topics looked like (replication factor, ISR, configs): Millrace's metadata topic stands for its shard topics,
# which are deleted with each run's stream.
kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --describe >"$out_dir/topics.txt" 2>&1 \
  || say "could not describe the topics (see $out_dir/topics.txt)"

# --- report --------------------------------------------------------------------------------------------------------
python3 "$repo/bench/kafka-side-by-side-report.py" "$results" \
  "brokers=$brokers replication=$replication min_isr=$min_isr shards=$shards rounds=$rounds concurrency=$concurrency\
${KAFKA_SERVER_ARGS:+ millrace-on-kafka extra options: $KAFKA_SERVER_ARGS}"
say "raw outputs: $out_dir"
