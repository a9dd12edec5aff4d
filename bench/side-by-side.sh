#!/usr/bin/env bash
# Runs the same `millrace bench` settings against Millrace, kinesalite and kinesis-mock, each started fresh on a
# loopback port, N runs each, and prints a markdown table of the medians.
#
#   bench/side-by-side.sh [-n RUNS] [-t "millrace kinesalite kinesis-mock"] [-- BENCH OPTIONS...]
#   bench/side-by-side.sh -n 3 -- --duration-s 20 --warmup-s 10 --record-bytes 100 --batch-size 500
#
# - Millrace: java -jar millrace-app/target/millrace.jar server, a fresh temporary data dir, --throughput-limits off
#   (JAVA_OPTS is passed to its JVM, e.g. a JFR recording).
# - kinesalite and kinesis-mock: /work/shared/peers/start.sh (which installs them first if needed; override the
#   directory with PEERS_DIR). Their code is not part of this repository.
# - kinesalite gets --protocol json (its CBOR responses break the Java SDK), HTTP/1.1 only and no fan-out readers
#   (it has no SubscribeToShard): with --readers fanout or both it reads with polling only, and the table says so.
#   Millrace and kinesis-mock get the options as given (CBOR unless --protocol json is passed).
# - Every run is `java -jar millrace-loadgen/target/millrace-loadgen.jar bench --json --server-pid PID ...`; the
#   JSON reports are kept in $OUT_DIR (default: a new temporary directory) and named in the output.
# Needs java, python3 (for the medians) and, for the peers, node and npm. Ports: $PORT_BASE (default 4710) .. +3.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
peers_dir="${PEERS_DIR:-/work/shared/peers}"
runs=3
targets="millrace kinesalite kinesis-mock"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    -t) targets="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
bench_args=("$@")
if [[ ${#bench_args[@]} -eq 0 ]]; then
  bench_args=(--duration-s 20 --warmup-s 10 --shards 4 --record-bytes 100 --batch-size 500 --concurrency 8
              --readers polling --poll-idle-ms 50)
fi
port_base="${PORT_BASE:-4710}"
out_dir="${OUT_DIR:-$(mktemp -d /tmp/millrace-side-by-side.XXXXXX)}"
mkdir -p "$out_dir"

server_jar="$repo/millrace-app/target/millrace.jar"
loadgen_jar="$repo/millrace-loadgen/target/millrace-loadgen.jar"
if [[ ! -f "$server_jar" || ! -f "$loadgen_jar" ]]; then
  echo "building millrace.jar and millrace-loadgen.jar" >&2
  (cd "$repo" && mvn -q -B -DskipTests package -pl millrace-app,millrace-loadgen -am) >&2
fi

# What this script started, so that it stops exactly that (and nothing else) even when a run fails.
millrace_pid=""
millrace_dir=""
started_peers=()
cleanup() {
  if [[ -n "$millrace_pid" ]] && kill -0 "$millrace_pid" 2>/dev/null; then
    kill "$millrace_pid"
    wait "$millrace_pid" || echo "millrace (pid $millrace_pid) exited with status $? after SIGTERM" >&2
  fi
  [[ -n "$millrace_dir" ]] && rm -rf "$millrace_dir"
  # shellcheck disable=SC2086 # each entry is "NAME PORT", two arguments of stop.sh.
  for peer in "${started_peers[@]}"; do "$peers_dir/stop.sh" $peer || echo "could not stop $peer" >&2; done
  millrace_pid=""; millrace_dir=""; started_peers=()
}
trap cleanup EXIT

# Starts a target; sets target_pid, target_endpoint and target_args (options this target needs).
start_target() {
  local name="$1" port="$2"
  target_args=()
  case "$name" in
    millrace)
      millrace_dir="$(mktemp -d /tmp/millrace-side-by-side-data.XXXXXX)"
      # shellcheck disable=SC2086 # JAVA_OPTS is a list of words on purpose.
      java ${JAVA_OPTS:-} -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$millrace_dir/data" \
        --throughput-limits off >"$out_dir/millrace-server.log" 2>&1 &
      millrace_pid=$!
      for _ in $(seq 1 300); do
        grep -q "Millrace listening" "$out_dir/millrace-server.log" 2>/dev/null && break
        kill -0 "$millrace_pid" 2>/dev/null || { cat "$out_dir/millrace-server.log" >&2; exit 1; }
        sleep 0.2
      done
      target_pid="$millrace_pid" ;;
    kinesalite|kinesis-mock)
      target_pid="$("$peers_dir/start.sh" "$name" "$port" | tail -1)"
      started_peers+=("$name $port")
      if [[ "$name" == kinesalite ]]; then
        target_args=(--protocol json --http 1.1)
      fi ;;
    *) echo "unknown target $name" >&2; exit 2 ;;
  esac
  target_endpoint="http://127.0.0.1:$port"
}

# kinesalite has no SubscribeToShard: read with polling only.
adjust_readers() {
  local name="$1"; shift
  local args=("$@") i
  if [[ "$name" == kinesalite ]]; then
    for i in "${!args[@]}"; do
      if [[ "${args[$i]}" == --readers && ( "${args[$((i + 1))]:-}" == fanout || "${args[$((i + 1))]:-}" == both ) ]]
      then
        args[$((i + 1))]=polling
      fi
    done
  fi
  printf '%s\n' "${args[@]}"
}

port="$port_base"
for name in $targets; do
  start_target "$name" "$port"
  mapfile -t args < <(adjust_readers "$name" "${bench_args[@]}")
  for run in $(seq 1 "$runs"); do
    report="$out_dir/$name-$run.json"
    echo "$name run $run/$runs: bench ${args[*]} ${target_args[*]}" >&2
    java -jar "$loadgen_jar" bench --json --endpoint "$target_endpoint" --server-pid "$target_pid" \
      --stream-prefix "side-by-side-$run" "${args[@]}" "${target_args[@]}" >"$report" 2>"$out_dir/$name-$run.log" \
      || { echo "$name run $run failed; see $out_dir/$name-$run.log" >&2; rm -f "$report"; }
  done
  cleanup
  port=$((port + 2))
done

python3 - "$out_dir" "$runs" $targets <<'PY'
import json, os, statistics, sys

out_dir, runs, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def get(report, *path):
    node = report
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node

def read_kind(report):
    reads = report.get("reads") or {}
    return next(iter(reads), None)

rows = [
    ("protocol / HTTP (puts)", lambda r: "%s / %s" % (get(r, "settings", "protocol"), get(r, "settings", "http"))),
    ("readers", lambda r: ", ".join((r.get("reads") or {}).keys()) or "none"),
    ("put records/s", lambda r: get(r, "put", "recordsPerS")),
    ("put MB/s", lambda r: get(r, "put", "mbPerS")),
    ("put request p50 ms", lambda r: get(r, "put", "requestLatencyMs", "p50")),
    ("put request p99 ms", lambda r: get(r, "put", "requestLatencyMs", "p99")),
    ("put request p99.9 ms", lambda r: get(r, "put", "requestLatencyMs", "p999")),
    ("put request max ms", lambda r: get(r, "put", "requestLatencyMs", "max")),
    ("read records/s (polling)", lambda r: get(r, "reads", "polling", "recordsPerS")),
    ("put-to-read p50 ms (polling)", lambda r: get(r, "reads", "polling", "putToReadMs", "p50")),
    ("put-to-read p99 ms (polling)", lambda r: get(r, "reads", "polling", "putToReadMs", "p99")),
    ("read records/s (fan-out)", lambda r: get(r, "reads", "fanOut", "recordsPerS")),
    ("put-to-read p50 ms (fan-out)", lambda r: get(r, "reads", "fanOut", "putToReadMs", "p50")),
    ("put-to-read p99 ms (fan-out)", lambda r: get(r, "reads", "fanOut", "putToReadMs", "p99")),
    ("records not read", lambda r: sum(v.get("missingRecords", 0) for v in (r.get("reads") or {}).values())),
    ("errors", lambda r: sum((r.get("errors") or {}).values())),
    ("throttles", lambda r: sum((r.get("throttles") or {}).values())),
    ("server CPU-s per 1,000 records", lambda r: get(r, "server", "cpuSPer1000Records")),
    ("server cores used", lambda r: get(r, "server", "cores")),
    ("server peak RSS MiB (since start)", lambda r: round(get(r, "server", "peakRssKib") / 1024, 1)
        if get(r, "server", "peakRssKib") else None),
    ("generator CPU-s per 1,000 records", lambda r: get(r, "generator", "cpuSPer1000Records")),
    ("generator cores used", lambda r: get(r, "generator", "cores")),
]

reports = {}
for t in targets:
    reports[t] = []
    for run in range(1, runs + 1):
        path = os.path.join(out_dir, "%s-%d.json" % (t, run))
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                reports[t].append(json.load(f))

def cell(t, fn):
    values = [fn(r) for r in reports[t]]
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if all(isinstance(v, (int, float)) for v in values):
        m = statistics.median(values)
        return ("%.4g" % m) if isinstance(m, float) and abs(m) < 1 else ("{:,.1f}".format(m) if isinstance(m, float)
                                                                            else "{:,}".format(m))
    return values[0] if len(set(map(str, values))) == 1 else " / ".join(map(str, values))

first = next((r for t in targets for r in reports[t]), None)
if first:
    s = first["settings"]
    print("Settings: %s × %s B records per request, %s stream(s) × %s shards, concurrency %s, %s, readers %s; "
          "median of %d run(s) per target (n = successful runs: %s)." % (
              s["batchSize"], s["recordBytes"], s["streams"], s["shardsPerStream"], s["concurrency"],
              "rate %s requests/s" % s["rateRequestsPerS"] if s["rateRequestsPerS"] else "back to back",
              s["readers"], runs, ", ".join("%s %d" % (t, len(reports[t])) for t in targets)))
    print()
print("| | " + " | ".join(targets) + " |")
print("|---|" + "---|" * len(targets))
for label, fn in rows:
    print("| %s | %s |" % (label, " | ".join(str(cell(t, fn)) for t in targets)))
print()
print("Reports: %s" % out_dir)
PY
