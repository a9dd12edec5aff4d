#!/usr/bin/env bash
# One Millrace node against three on the same Kafka cluster (issue 15). On a 2-core machine this shows what the
# coordination of several nodes costs, not how they scale.
#
#   bench/cluster-side-by-side.sh [-n ROUNDS] [-s SHARDS] [--quick] [-o OUT_DIR]
#   bench/cluster-side-by-side.sh -n 3             # three interleaved rounds
#
# Starts, on 127.0.0.1 only, one KRaft Kafka 4.4.0 node (a child JVM, -Xmx1g, as bench/kafka-side-by-side.sh -b 1
# starts it), then four Millrace servers on it, all with --storage kafka --throughput-limits off:
#   one node:    node "a0" alone on topic prefix "one."
#   three nodes: nodes "b0", "b1", "b2" on topic prefix "three." (they find each other through the prefix's nodes
#                topic, elect a metadata writer and place each shard on one owner)
# Then, ROUNDS times, every step on one setup then on the other, so that the machine's noise hits both alike. Every
# step runs THREE load generators at once (millrace bench takes one --endpoint), each on its own stream of SHARDS
# shards and at a third of the concurrency (or rate): all three on node a0 for "one node", one per node for "three
# nodes". So the client load is the same; only the number of nodes behind it differs. With three nodes about two
# thirds of each generator's shards are owned by another node than the one it calls: those entries cost one internal
# call per shard (RemoteAppend), and its GetRecords calls are relayed whole to the owner.
#   for 100 B and 1 KiB records:
#     PutRecords 500 x SIZE, closed loop, CONCURRENCY/3 requests in flight per generator (SDK client, as the old
#       script), no readers
#     GetRecords on a backlog: BACKLOG/3 records put per generator, then one lean GetRecords reader per shard from
#       TRIM_HORIZON
#   PutRecord at RATE/3 calls/s per generator, open loop, lean client, with an enhanced fan-out reader (p50/p99,
#     put-to-push)
#   forwarded-call latency: bench/cluster-forwarded-latency.py, one call at a time at a low rate: DescribeStreamSummary
#     (local on every node); AddTagsToStream/RemoveTagsFromStream via the writer and via a follower (forwarded whole
#     to the writer); PutRecord to the node that owns the shard and to one that does not. The owner is computed
#     in that script from the node ids with ShardOwners' rendezvous hash, and checked against the latencies.
# Every step records the broker's CPU, the setup's Millrace nodes' CPU (/proc, utime + stime) and the load average;
# the generators report their own CPU and, via --server-pid, their node's (for "one node" only the first generator
# does, so that node a0's CPU is counted once). At the end it prints a markdown table (medians over the rounds) and
# keeps every raw output in OUT_DIR.
#
# Options (environment variables in brackets):
#   -n N           rounds (default 1)
#   -s N           shards per stream, per generator (default 4: 12 shards in all)
#   --quick        short runs, to check the script (not for numbers)
#   -o DIR         where raw outputs go [OUT_DIR] (default: a new directory under /tmp)
#   [PORT_BASE]    first of 30 loopback ports (default 4800): broker +0, controller +10, Millrace +20..+23
#   [SERVER_JAVA_OPTS]  extra JVM options of the Millrace servers
#   [STEPS]        which steps to run, any of "put get latency forward" (default: all four)
#   [CONCURRENCY] [PUT_DURATION_S] [PUT_WARMUP_S] [BACKLOG_100] [BACKLOG_1024] [RATE] [LATENCY_DURATION_S]
#   [LATENCY_WARMUP_S] [FORWARD_SAMPLES] [FORWARD_WARMUP] [PUT_CLIENT]   override the sizes below
#                  (CONCURRENCY, BACKLOG_*, RATE are totals over the three generators)
# Needs java 17+, mvn and python3. Builds millrace.jar and millrace-loadgen.jar if missing. Stops everything it
# started on exit, Ctrl-C included; exits non-zero when a step fails.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
rounds=1
shards=4
quick=0
out_dir="${OUT_DIR:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -s) shards="$2"; shift 2 ;;
    -o) out_dir="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,47p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "-n and -s must be positive" >&2; exit 2; }

if [[ $quick -eq 1 ]]; then
  : "${PUT_DURATION_S:=5}" "${PUT_WARMUP_S:=2}" "${BACKLOG_100:=30000}" "${BACKLOG_1024:=15000}"
  : "${LATENCY_DURATION_S:=5}" "${LATENCY_WARMUP_S:=2}" "${FORWARD_SAMPLES:=30}" "${FORWARD_WARMUP:=5}"
fi
concurrency="${CONCURRENCY:-63}"
put_duration_s="${PUT_DURATION_S:-30}"
put_warmup_s="${PUT_WARMUP_S:-15}"
backlog_100="${BACKLOG_100:-1500000}"
backlog_1024="${BACKLOG_1024:-600000}"
rate="${RATE:-201}"
latency_duration_s="${LATENCY_DURATION_S:-30}"
latency_warmup_s="${LATENCY_WARMUP_S:-10}"
forward_samples="${FORWARD_SAMPLES:-300}"
forward_warmup="${FORWARD_WARMUP:-30}"
put_client="${PUT_CLIENT:-sdk}"
port_base="${PORT_BASE:-4800}"
steps=" ${STEPS:-put get latency forward} "
generators=3
per_gen_concurrency=$(( (concurrency + generators - 1) / generators ))
per_gen_rate="$(awk -v r="$rate" -v g="$generators" 'BEGIN { printf "%.3f", r / g }')"
# Each generator's backlog is a whole number of 500-record calls.
per_gen_backlog() { echo $(( ($1 / generators / 500) * 500 )); }

out_dir="${out_dir:-$(mktemp -d /tmp/millrace-cluster-bench.XXXXXX)}"
mkdir -p "$out_dir"
results="$out_dir/results.jsonl"
: >"$results"
work="$(mktemp -d /tmp/millrace-cluster-bench-work.XXXXXX)"

# What this script started, so that it stops exactly that and nothing else, whichever way it ends.
pids=()
broker_pid=""
stop_pids() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null && echo "pid $pid did not stop within 30 s of SIGTERM: killed" >&2
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  local status=$? pid others=()
  trap - EXIT INT TERM
  # The Millrace nodes first, while the broker still answers: they leave the writer election and write their
  # departure to the nodes topic, as in production, instead of logging a lost broker.
  for pid in "${pids[@]}"; do [[ "$pid" != "$broker_pid" ]] && others+=("$pid"); done
  stop_pids "${others[@]}"
  [[ -n "$broker_pid" ]] && stop_pids "$broker_pid"
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
say "resolving Kafka 4.4.0 with bench/kafka/pom.xml"
(cd "$repo/bench/kafka" && { mvn -q -B -o dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null 2>&1 \
  || mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2; }) || die "could not resolve Kafka's jars"
kafka_cp="$(cat "$cp_file")"
kafka_java() { java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Xmx512m -cp "$kafka_cp" "$@"; }

# --- Kafka: one combined broker+controller, configured as bench/kafka-side-by-side.sh -b 1 does -------------------
bootstrap="127.0.0.1:$port_base"
cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)" || die "StorageTool random-uuid failed"
cat >"$work/node-0.properties" <<EOF
process.roles=broker,controller
node.id=0
listeners=PLAINTEXT://127.0.0.1:$port_base,CONTROLLER://127.0.0.1:$((port_base + 10))
advertised.listeners=PLAINTEXT://127.0.0.1:$port_base
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=0@127.0.0.1:$((port_base + 10))
log.dirs=$work/node-0
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.dedupe.buffer.size=2097152
EOF
say "formatting and starting one Kafka node on $bootstrap"
kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$work/node-0.properties" \
  >"$out_dir/kafka-format.log" 2>&1 || { cat "$out_dir/kafka-format.log" >&2; die "formatting Kafka failed"; }
java -Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$kafka_cp" kafka.Kafka \
  "$work/node-0.properties" >"$out_dir/kafka.log" 2>&1 &
broker_pid=$!
pids+=("$broker_pid")
for attempt in $(seq 1 600); do
  grep -q "Kafka Server started" "$out_dir/kafka.log" && break
  kill -0 "$broker_pid" 2>/dev/null || { tail -30 "$out_dir/kafka.log" >&2; die "Kafka exited"; }
  [[ $attempt -eq 600 ]] && die "Kafka not started within 120 s (see $out_dir/kafka.log)"
  sleep 0.2
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

# --- Millrace nodes ------------------------------------------------------------------------------------------------
declare -A node_pid node_port
start_node() {
  local name="$1" port="$2" prefix="$3"
  mkdir -p "$work/$name"
  # shellcheck disable=SC2086 # SERVER_JAVA_OPTS is a list of words on purpose.
  java ${SERVER_JAVA_OPTS:-} -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$work/$name" \
    --throughput-limits off --storage kafka --kafka-bootstrap-servers "$bootstrap" --kafka-topic-prefix "$prefix" \
    --node-id "$name" --advertised-endpoint "http://127.0.0.1:$port" >"$out_dir/millrace-$name.log" 2>&1 &
  node_pid[$name]=$!
  node_port[$name]=$port
  pids+=("${node_pid[$name]}")
}
await_node() {
  local name="$1"
  for attempt in $(seq 1 900); do
    grep -q "Millrace listening" "$out_dir/millrace-$name.log" && return 0
    kill -0 "${node_pid[$name]}" 2>/dev/null || { tail -30 "$out_dir/millrace-$name.log" >&2; die "Millrace $name exited"; }
    [[ $attempt -eq 900 ]] && die "Millrace $name not listening within 180 s"
    sleep 0.2
  done
}
# Waits until every node of a setup sees all of them live and the same writer (GET /_millrace/cluster).
await_cluster() {
  local expected="$1"; shift
  local name attempt views
  for attempt in $(seq 1 300); do
    views=""
    for name in "$@"; do
      views+="$(curl -s --max-time 2 "http://127.0.0.1:${node_port[$name]}/_millrace/cluster" || true)"$'\n'
    done
    if python3 -c '
import json, sys
views = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
ok = len(views) == int(sys.argv[1]) and all(len(v["liveNodes"]) == int(sys.argv[1]) for v in views) \
    and len({v["writerNode"] for v in views}) == 1 and views[0]["writerNode"]
sys.exit(0 if ok else 1)' "$expected" <<<"$views" 2>/dev/null; then
      echo "$views" >"$out_dir/cluster-view-$1.json"
      return 0
    fi
    sleep 0.2
  done
  echo "$views" >&2
  die "the nodes $* did not agree on $expected live nodes and one writer within 60 s"
}
port=$((port_base + 20))
say "starting Millrace: a0 (prefix one.) and b0, b1, b2 (prefix three.) on ports $port..$((port + 3))"
start_node a0 "$port" one.
start_node b0 "$((port + 1))" three.
start_node b1 "$((port + 2))" three.
start_node b2 "$((port + 3))" three.
for name in a0 b0 b1 b2; do await_node "$name"; done
await_cluster 1 a0
await_cluster 3 b0 b1 b2
say "three nodes: writer $(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["writerNode"])' \
  <"$out_dir/cluster-view-b0.json")"

setup_nodes() { if [[ "$1" == one ]]; then echo a0; else echo b0 b1 b2; fi; }

# --- steps ---------------------------------------------------------------------------------------------------------
# Appends one JSON line to results.jsonl: the step's identity, wall time, load average, CPU, raw files.
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

# Three millrace bench runs at once, generator i on node i of the setup (or all on a0); each its own stream.
generators_run() {
  local round="$1" scenario="$2" setup="$3"; shift 3
  local nodes node_pids=() raws=() gen_pids=() i name raw cpu0 cpu1 ncpu0 ncpu1 t0 t1 load0 pid_opt
  read -r -a nodes <<<"$(setup_nodes "$setup")"
  for name in "${nodes[@]}"; do node_pids+=("${node_pid[$name]}"); done
  say "round $round: $scenario: $setup node(s): 3 generators: bench $*"
  load0="$(loadavg)"; cpu0="$(cpu_s "$broker_pid")"; ncpu0="$(cpu_s "${node_pids[@]}")"; t0="$(date +%s.%N)"
  local -A each0
  for name in "${nodes[@]}"; do each0[$name]="$(cpu_s "${node_pid[$name]}")"; done
  for ((i = 0; i < generators; i++)); do
    name="${nodes[$((i % ${#nodes[@]}))]}"
    raw="$out_dir/r$round-$scenario-$setup-g$i.json"
    raws+=("\"$raw\"")
    pid_opt=()
    # Node a0 serves all three generators of "one node": only the first reports its CPU, so it is counted once.
    [[ ${#nodes[@]} -gt 1 || $i -eq 0 ]] && pid_opt=(--server-pid "${node_pid[$name]}")
    java -jar "$loadgen_jar" bench --json --endpoint "http://127.0.0.1:${node_port[$name]}" "${pid_opt[@]}" \
      --stream-prefix "c-r$round-$scenario-$setup-g$i" --shards "$shards" "$@" >"$raw" 2>"${raw%.json}.log" &
    gen_pids+=($!)
  done
  local failed=0
  for ((i = 0; i < generators; i++)); do
    wait "${gen_pids[i]}" || { failed=1; tail -20 "$out_dir/r$round-$scenario-$setup-g$i.log" >&2; }
  done
  [[ $failed -eq 0 ]] || die "millrace bench ($setup, $scenario) failed"
  t1="$(date +%s.%N)"; cpu1="$(cpu_s "$broker_pid")"; ncpu1="$(cpu_s "${node_pids[@]}")"
  # Each node's own CPU over the step (the writer and the followers differ), as {"b0": s, ...}.
  local each=""
  for name in "${nodes[@]}"; do
    each+="${each:+,}\"$name\":$(minus "$(cpu_s "${node_pid[$name]}")" "${each0[$name]}")"
  done
  for name in "${nodes[@]}"; do kill -0 "${node_pid[$name]}" 2>/dev/null || die "Millrace $name died"; done
  record round="$round" scenario="$scenario" setup="$setup" kind=bench raws="[$(IFS=,; echo "${raws[*]}")]" \
    wall_s="$(minus "$t1" "$t0")" load_start="$load0" load_end="$(loadavg)" broker_cpu_s="$(minus "$cpu1" "$cpu0")" \
    nodes_cpu_s="$(minus "$ncpu1" "$ncpu0")" node_cpu_s="{$each}"
}

forwarded() {
  local round="$1" setup="$2" nodes endpoints="" name raw load0 t0 t1
  read -r -a nodes <<<"$(setup_nodes "$setup")"
  for name in "${nodes[@]}"; do endpoints+="${endpoints:+,}http://127.0.0.1:${node_port[$name]}"; done
  raw="$out_dir/r$round-forward-$setup.json"
  say "round $round: forwarded-call latency: $setup node(s)"
  load0="$(loadavg)"; t0="$(date +%s.%N)"
  python3 "$repo/bench/cluster-forwarded-latency.py" --endpoints "$endpoints" --samples "$forward_samples" \
    --warmup "$forward_warmup" --shards 12 --stream "fwd-r$round-$setup" >"$raw" 2>"${raw%.json}.log" \
    || { cat "${raw%.json}.log" >&2; head -c 2000 "$raw" >&2; die "the forwarded-call latency client failed ($setup)"; }
  t1="$(date +%s.%N)"
  record round="$round" scenario=forward setup="$setup" kind=forward raws="[\"$raw\"]" wall_s="$(minus "$t1" "$t0")" \
    load_start="$load0" load_end="$(loadavg)"
}

say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out_dir"
wants() { [[ "$steps" == *" $1 "* ]]; }
for round in $(seq 1 "$rounds"); do
  for size in 100 1024; do
    if [[ $size -eq 100 ]]; then backlog=$backlog_100; else backlog=$backlog_1024; fi
    for setup in one three; do
      wants put || break
      generators_run "$round" "put-$size" "$setup" --record-bytes "$size" --batch-size 500 \
        --concurrency "$per_gen_concurrency" --duration-s "$put_duration_s" --warmup-s "$put_warmup_s" \
        --readers none --put-client "$put_client"
    done
    for setup in one three; do
      wants get || break
      generators_run "$round" "get-$size" "$setup" --record-bytes "$size" --batch-size 500 \
        --concurrency "$per_gen_concurrency" --records "$(per_gen_backlog "$backlog")" --warmup-s 0 \
        --readers polling --read-backlog
    done
  done
  for setup in one three; do
    wants latency || break
    generators_run "$round" latency "$setup" --record-bytes 100 --batch-size 1 --rate "$per_gen_rate" \
      --concurrency 64 --duration-s "$latency_duration_s" --warmup-s "$latency_warmup_s" --readers fanout \
      --put-client lean
  done
  for setup in one three; do
    wants forward || break
    forwarded "$round" "$setup"
  done
done

# The topics left (shard topics of deleted streams are deleted with them; --list, since a topic deleted while
# --describe runs fails the whole command).
kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --list >"$out_dir/topics.txt" 2>&1 \
  || say "could not list the topics (see $out_dir/topics.txt)"
for name in a0 b0 b1 b2; do
  curl -s --max-time 2 "http://127.0.0.1:${node_port[$name]}/_millrace/cluster" >"$out_dir/cluster-view-end-$name.json" \
    || true
done

# --- report --------------------------------------------------------------------------------------------------------
python3 "$repo/bench/cluster-side-by-side-report.py" "$results" \
  "one Kafka node; shards=$shards per generator ($((shards * generators)) in all); rounds=$rounds;\
 concurrency=$concurrency ($per_gen_concurrency per generator); PutRecords client $put_client;\
 PutRecord rate $rate/s ($per_gen_rate per generator); forwarded-call samples=$forward_samples per kind and node"
say "raw outputs: $out_dir"
