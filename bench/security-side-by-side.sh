#!/usr/bin/env bash
# What security costs (issue 16): the same `millrace bench` runs against a Millrace server as it is by default
# (--auth none, no encryption), with --auth sigv4 (every request's signature verified, every call's IAM policy
# evaluated), with encryption at rest (a --kms-keys file and the stream encrypted with StartStreamEncryption), and with
# both, interleaved round by round so that the machine's noise hits every configuration alike.
#
#   bench/security-side-by-side.sh [-n ROUNDS] [-t "plain sigv4 kms sigv4+kms"] [--warmup-s S] [--duration-s S]
#                                  [--kafka] [--quick]
#
# Each round, for each configuration, a fresh server (embedded storage, SYNC durability, --throughput-limits off) on a
# fresh data dir, then:
#   put-100, put-1024  PutRecords of 500 x 100 B (1 KiB) records, closed loop, 8 in flight, 4 shards, with one
#                      polling reader per shard following (SDK CBOR client for puts, lean client for reads);
#                      put-100 warms the fresh server up first for --warmup-s (default 5; the JIT compiler is still
#                      busy for a minute or more: a quarter of the server's CPU 15-35 s after start), put-1024 for 5 s
#   latency            PutRecord of 100 B at 1,000 calls/s, open loop, lean client (signs each call), no readers
# The encrypted configurations create the stream first and encrypt it (the AWS CLI: create-stream,
# start-stream-encryption), and the bench then uses it as it is. With --auth sigv4 the bench signs with an identity
# allowed everything ("Action": "*"): the policy is evaluated on every call all the same.
# At the end: a markdown table of the medians per configuration, and each configuration's cost relative to plain.
# With --kafka every server runs on Apache Kafka storage instead (--storage kafka), on one KRaft Kafka 4.4.0 node
# (a child JVM, -Xmx1g, replication factor 1) that the script starts first and stops at the end; each server gets a
# topic prefix of its own. Encryption there seals each record (a Kafka record per Kinesis record), not each batch.
# Raw JSON reports and server logs stay in $OUT_DIR (default: a new directory under /tmp).
# Needs java, python3 and /usr/bin/aws. Ports: $PORT_BASE (default 4760) .. +3.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
rounds=3
targets="plain sigv4 kms sigv4+kms"
quick=0
kafka=0
first_warmup=""
duration_arg=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -t) targets="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --kafka) kafka=1; shift ;;
    --warmup-s) first_warmup="$2"; shift 2 ;;
    --duration-s) duration_arg="$2"; shift 2 ;;
    -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
duration=20; warmup=5; latency_duration=15
if [[ "$quick" == 1 ]]; then duration=3; warmup=1; latency_duration=3; fi
[[ -n "$duration_arg" ]] && duration="$duration_arg"
first_warmup="${first_warmup:-$warmup}"
port_base="${PORT_BASE:-4760}"
out_dir="${OUT_DIR:-$(mktemp -d /tmp/millrace-security-bench.XXXXXX)}"
mkdir -p "$out_dir"

server_jar="$repo/millrace-app/target/millrace.jar"
loadgen_jar="$repo/millrace-loadgen/target/millrace-loadgen.jar"
if [[ ! -f "$server_jar" || ! -f "$loadgen_jar" ]]; then
  echo "building millrace.jar and millrace-loadgen.jar" >&2
  (cd "$repo" && mvn -q -B -DskipTests package -pl millrace-app,millrace-loadgen -am) >&2
fi

key_id="AKIABENCH0000000001"
secret="millrace-bench-secret"
cat >"$out_dir/identities.json" <<EOF
{"identities": [{"name": "bench", "accountId": "111122223333", "accessKeyId": "$key_id",
  "secretAccessKey": "$secret",
  "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}
EOF
cat >"$out_dir/kms-keys.json" <<EOF
{"keys": [{"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "aliases": ["alias/bench"],
  "material": "$(head -c 32 /dev/urandom | base64)"}]}
EOF
chmod 600 "$out_dir/identities.json" "$out_dir/kms-keys.json"

broker_pid=""
bootstrap=""
if [[ "$kafka" == 1 ]]; then
  echo "resolving Kafka 4.4.0 with bench/kafka/pom.xml" >&2
  (cd "$repo/bench/kafka" && { mvn -q -B -o dependency:build-classpath -Dmdep.outputFile="$out_dir/kafka-cp.txt" \
    >/dev/null 2>&1 || mvn -q -B dependency:build-classpath -Dmdep.outputFile="$out_dir/kafka-cp.txt" >&2; })
  kafka_cp="$(cat "$out_dir/kafka-cp.txt")"
  bootstrap="127.0.0.1:$((port_base + 10))"
  cat >"$out_dir/kafka.properties" <<EOF
process.roles=broker,controller
node.id=0
listeners=PLAINTEXT://$bootstrap,CONTROLLER://127.0.0.1:$((port_base + 11))
advertised.listeners=PLAINTEXT://$bootstrap
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=0@127.0.0.1:$((port_base + 11))
log.dirs=$out_dir/kafka-data
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
  java -Xmx512m -cp "$kafka_cp" kafka.tools.StorageTool format \
    -t "$(java -Xmx512m -cp "$kafka_cp" kafka.tools.StorageTool random-uuid)" -c "$out_dir/kafka.properties" \
    >"$out_dir/kafka-format.log" 2>&1 || { cat "$out_dir/kafka-format.log" >&2; exit 1; }
  java -Xms1g -Xmx1g -cp "$kafka_cp" kafka.Kafka "$out_dir/kafka.properties" >"$out_dir/kafka.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 600); do
    grep -q "Kafka Server started" "$out_dir/kafka.log" 2>/dev/null && break
    kill -0 "$broker_pid" 2>/dev/null || { tail -30 "$out_dir/kafka.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "Kafka on $bootstrap" >&2
fi
stop_broker() {
  if [[ -n "$broker_pid" ]] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid"; wait "$broker_pid" || true
  fi
}

server_pid=""
server_dir=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" || echo "millrace (pid $server_pid) exited with status $? after SIGTERM" >&2
  fi
  [[ -n "$server_dir" ]] && rm -rf "$server_dir"
  server_pid=""; server_dir=""
}
trap 'cleanup; stop_broker' EXIT

# Starts a server for configuration $1 on port $2; sets server_pid and endpoint.
start_server() {
  local target="$1" port="$2" args=(--throughput-limits off)
  [[ "$target" == *sigv4* ]] && args+=(--auth sigv4 --identities "$out_dir/identities.json")
  [[ "$target" == *kms* ]] && args+=(--kms-keys "$out_dir/kms-keys.json")
  [[ "$kafka" == 1 ]] && args+=(--storage kafka --kafka-bootstrap-servers "$bootstrap"
    --kafka-topic-prefix "sec-$round-${target/+/-}.")
  server_dir="$(mktemp -d /tmp/millrace-security-bench-data.XXXXXX)"
  java -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$server_dir/data" "${args[@]}" \
    >"$out_dir/server-$target.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    grep -q "Millrace listening" "$out_dir/server-$target.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out_dir/server-$target.log" >&2; exit 1; }
    sleep 0.2
  done
  endpoint="http://127.0.0.1:$port"
}

aws_cli() {
  AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    /usr/bin/aws --endpoint-url "$endpoint" --output text kinesis "$@"
}

# Creates stream $1 with 4 shards and encrypts it with the bench key; waits until it is ACTIVE.
encrypted_stream() {
  aws_cli create-stream --stream-name "$1" --shard-count 4
  until [[ "$(aws_cli describe-stream-summary --stream-name "$1" --query StreamDescriptionSummary.StreamStatus)" \
           == ACTIVE ]]; do sleep 0.2; done
  aws_cli start-stream-encryption --stream-name "$1" --encryption-type KMS --key-id alias/bench
  until [[ "$(aws_cli describe-stream-summary --stream-name "$1" --query StreamDescriptionSummary.StreamStatus)" \
           == ACTIVE ]]; do sleep 0.2; done
}

run_bench() {
  local target="$1" step="$2" round="$3"; shift 3
  local report="$out_dir/$target-$step-$round.json" creds=()
  [[ "$target" == *sigv4* ]] && creds=(--default-credentials)
  echo "round $round, $target, $step" >&2
  AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" java -jar "$loadgen_jar" bench --json \
    --endpoint "$endpoint" --server-pid "$server_pid" "${creds[@]}" "$@" \
    >"$report" 2>"$out_dir/$target-$step-$round.log" \
    || { echo "$target $step round $round failed; see $out_dir/$target-$step-$round.log" >&2; rm -f "$report"; }
}

for round in $(seq 1 "$rounds"); do
  port="$port_base"
  for target in $targets; do
    start_server "$target" "$port"
    for step in put-100 put-1024 latency; do
      prefix="sec-$step"
      [[ "$target" == *kms* ]] && encrypted_stream "$prefix-0"
      step_warmup="$warmup"
      [[ "$step" == put-100 ]] && step_warmup="$first_warmup"
      case "$step" in
        put-100|put-1024)
          run_bench "$target" "$step" "$round" --stream-prefix "$prefix" --shards 4 --record-bytes "${step#put-}" \
            --batch-size 500 --concurrency 8 --readers polling --poll-idle-ms 50 --duration-s "$duration" \
            --warmup-s "$step_warmup" ;;
        latency)
          run_bench "$target" "$step" "$round" --stream-prefix "$prefix" --shards 4 --record-bytes 100 \
            --batch-size 1 --rate 1000 --put-client lean --readers none --duration-s "$latency_duration" \
            --warmup-s "$warmup" ;;
      esac
    done
    cleanup
    port=$((port + 1))
  done
done

python3 - "$out_dir" "$rounds" $targets <<'PY'
import json, os, statistics, sys

out_dir, rounds, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def get(report, *path):
    node = report
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node

def median(target, step, *path):
    values = []
    for r in range(1, rounds + 1):
        p = os.path.join(out_dir, "%s-%s-%d.json" % (target, step, r))
        if os.path.exists(p) and os.path.getsize(p) > 0:
            with open(p) as f:
                v = get(json.load(f), *path)
            if v is not None:
                values.append(v)
    return (statistics.median(values), len(values)) if values else (None, 0)

rows = [
    ("PutRecords 500 x 100 B: put records/s", "put-100", ("put", "recordsPerS"), True),
    ("  read records/s (polling readers following)", "put-100", ("reads", "polling", "recordsPerS"), True),
    ("  server CPU-s per 1,000 records", "put-100", ("server", "cpuSPer1000Records"), False),
    ("PutRecords 500 x 1 KiB: put records/s", "put-1024", ("put", "recordsPerS"), True),
    ("  read records/s (polling readers following)", "put-1024", ("reads", "polling", "recordsPerS"), True),
    ("  server CPU-s per 1,000 records", "put-1024", ("server", "cpuSPer1000Records"), False),
    ("PutRecord at 1,000/s: p50 ms", "latency", ("put", "requestLatencyMs", "p50"), False),
    ("  p99 ms", "latency", ("put", "requestLatencyMs", "p99"), False),
    ("errors (all steps)", None, None, False),
]

def fmt(v):
    if v is None:
        return "–"
    return "{:,.0f}".format(v) if abs(v) >= 100 else "%.3g" % v

print("Median of %d round(s); each cell: value (change against plain)." % rounds)
print()
print("| | " + " | ".join(targets) + " |")
print("|---|" + "---|" * len(targets))
for label, step, path, higher_better in rows:
    cells = []
    base = median(targets[0], step, *path)[0] if step else None
    for t in targets:
        if step is None:
            total = 0
            for s in ("put-100", "put-1024", "latency"):
                for r in range(1, rounds + 1):
                    p = os.path.join(out_dir, "%s-%s-%d.json" % (t, s, r))
                    if os.path.exists(p) and os.path.getsize(p) > 0:
                        with open(p) as f:
                            total += sum((json.load(f).get("errors") or {}).values())
            cells.append(str(total))
            continue
        v, n = median(t, step, *path)
        change = "" if base in (None, 0) or v is None or t == targets[0] else " (%+.1f%%)" % (100.0 * (v - base) / base)
        cells.append(fmt(v) + change + ("" if n == rounds else " [n=%d]" % n))
    print("| %s | %s |" % (label, " | ".join(cells)))
print()
print("Reports: %s" % out_dir)
PY
