#!/usr/bin/env bash
# Issue 13's overload measurement, end to end, on a fresh Millrace server:
#   1. capacity: PutRecords of 500 × 100 B records, back to back (closed loop) with CAPACITY_CONCURRENCY calls in
#      flight (128: fewer leave the server's group commit room to grow, 32 found about 35% less), CAPACITY_S seconds
#      -> requests/s;
#   2. overload: FACTOR × that rate, open loop (each request leaves at its time, whatever the answers do), OVERLOAD_S
#      seconds, then the rate drops to RECOVERY_FACTOR × capacity for RECOVERY_S seconds;
#   3. prints the p50/p99 of served calls and of shed calls (503 ServiceUnavailableException) apart, the share shed,
#      other failures, and how long after the drop the last call not yet recovered (shed, failed, or slower than
#      RECOVERED_MS) was answered.
#
#   bench/overload.sh [-f FACTOR] [-- SERVER OPTIONS...]
#   bench/overload.sh                                     # defaults: 3× for 30 s, then 0.5× for 20 s
#   bench/overload.sh -- --max-queued-requests 128        # the same against a server with a shorter queue
#
# Environment: PORT (default 4730), CAPACITY_S (20), CAPACITY_CONCURRENCY (128), OVERLOAD_S (30), RECOVERY_S (20), RECOVERY_FACTOR (0.5),
# RECOVERED_MS (500), CONCURRENCY (in-flight calls the generator allows, default 4000: at 3× a served call may wait
# behind the whole queue, and a full slot pool would delay the schedule), PUT_CLIENT (lean: the generator's own
# HTTP/1.1 client, a fraction of the SDK's CPU, so that the generator can offer 3× on the same machine; sdk for the
# AWS SDK's), OUT_DIR (reports; default a
# new temporary directory), JAVA_OPTS (the server's JVM). The server runs with --throughput-limits off (the
# per-shard limits would throttle long before the machine is full) on a fresh temporary data dir; both JVMs run on
# this machine, so the generator's CPU is part of "the machine's capacity" in both phases alike.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
factor=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    -f) factor="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (server options go after --)" >&2; exit 2 ;;
  esac
done
server_args=("$@")
port="${PORT:-4730}"
capacity_s="${CAPACITY_S:-20}"
capacity_concurrency="${CAPACITY_CONCURRENCY:-128}"
overload_s="${OVERLOAD_S:-30}"
recovery_s="${RECOVERY_S:-20}"
recovery_factor="${RECOVERY_FACTOR:-0.5}"
recovered_ms="${RECOVERED_MS:-500}"
concurrency="${CONCURRENCY:-4000}"
put_client="${PUT_CLIENT:-lean}"
out_dir="${OUT_DIR:-$(mktemp -d /tmp/millrace-overload.XXXXXX)}"
mkdir -p "$out_dir"

server_jar="$repo/millrace-app/target/millrace.jar"
loadgen_jar="$repo/millrace-loadgen/target/millrace-loadgen.jar"
if [[ ! -f "$server_jar" || ! -f "$loadgen_jar" ]]; then
  echo "building millrace.jar and millrace-loadgen.jar" >&2
  (cd "$repo" && mvn -q -B -DskipTests package -pl millrace-app,millrace-loadgen -am) >&2
fi

# The server this script started, stopped (and its data removed) however the script ends.
data_dir="$(mktemp -d /tmp/millrace-overload-data.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" || echo "millrace (pid $server_pid) exited with status $? after SIGTERM" >&2
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # JAVA_OPTS is a list of words on purpose.
java ${JAVA_OPTS:-} -jar "$server_jar" server --port "$port" --host 127.0.0.1 --data-dir "$data_dir/data" \
  --throughput-limits off "${server_args[@]}" >"$out_dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "Millrace listening" "$out_dir/server.log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out_dir/server.log" >&2; exit 1; }
  sleep 0.2
done

bench() {
  local name="$1"; shift
  echo "$name: bench $*" >&2
  java -jar "$loadgen_jar" bench --json --endpoint "http://127.0.0.1:$port" --server-pid "$server_pid" \
    --readers none --batch-size 500 --record-bytes 100 --shards 4 --put-client "$put_client" --stream-prefix "overload-$name" \
    "$@" >"$out_dir/$name.json" 2>"$out_dir/$name.log" \
    || { echo "$name failed; see $out_dir/$name.log" >&2; exit 1; }
}

bench capacity --warmup-s 5 --duration-s "$capacity_s" --concurrency "$capacity_concurrency"
capacity="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["put"]["requestsPerS"])' \
  "$out_dir/capacity.json")"
rate="$(python3 -c "print(round($capacity * $factor, 1))")"
recovery_rate="$(python3 -c "print(round($capacity * $recovery_factor, 1))")"
bench overload --warmup-s 5 --duration-s "$overload_s" --rate "$rate" --concurrency "$concurrency" \
  --sender-threads 2 --recovery-rate "$recovery_rate" --recovery-s "$recovery_s" \
  --recovered-latency-ms "$recovered_ms"

python3 - "$out_dir" "$factor" "${server_args[*]:-}" <<'PY'
import json, os, sys

out_dir, factor, server_args = sys.argv[1], sys.argv[2], sys.argv[3]
cap = json.load(open(os.path.join(out_dir, "capacity.json")))
over = json.load(open(os.path.join(out_dir, "overload.json")))
put, rec = over["put"], over["put"]["recovery"]
lat = lambda l: "p50 %s ms, p99 %s ms, max %s ms (%s calls)" % (l["p50"], l["p99"], l["max"], l["count"])
other = {k: v for k, v in over["errors"].items() if not k.endswith(":ServiceUnavailableException")}
print("Server options: %s" % (server_args or "defaults"))
print("| | |")
print("|---|---|")
print("| capacity (closed loop, concurrency %s) | %s PutRecords/s = %s records/s; p99 %s ms |" % (
    cap["settings"]["concurrency"], cap["put"]["requestsPerS"], cap["put"]["recordsPerS"], cap["put"]["requestLatencyMs"]["p99"]))
print("| offered (open loop, %s×) | %s requests/s for %s s (+%s s warm-up) |" % (
    factor, over["settings"]["rateRequestsPerS"], over["settings"]["durationS"], over["settings"]["warmupS"]))
print("| generator's send lag (in the served and shed rows, which count from each call's due time) | %s |"
      % lat(put["sendLagMs"]))
print("| served | %s requests/s; %s |" % (
    round(put["servedLatencyMs"]["count"] / put["windowS"], 1) if put["windowS"] else "-", lat(put["servedLatencyMs"])))
print("| shed (503 ServiceUnavailableException) | %s of calls; %s |" % (put["shedShare"], lat(put["shedLatencyMs"])))
print("| served, from the actual send (the server's part) | %s |" % lat(put["servedFromSendMs"]))
print("| shed, from the actual send (the server's part) | %s |" % lat(put["shedFromSendMs"]))
print("| other failures | %s |" % (other or "none"))
print("| after the drop to %s requests/s (%s overload calls the generator had not sent by then left out) | "
      "%s served (%s slower than %s ms), %s shed, %s failed; %s |" % (
    rec["rateRequestsPerS"], rec["overloadRequestsUnsentAtDrop"], rec["served"], rec["servedSlowerThanRecovered"], rec["recoveredLatencyMs"], rec["shed"],
    rec["failed"], lat(rec["latencyMs"])))
print("| recovered | %s |" % ("%s ms after the drop" % rec["recoveryMs"] if rec["recovered"] else "NOT within the run"))
print("| server peak RSS | %s MiB |" % (round(over["server"]["peakRssKib"] / 1024, 1) if over.get("server") else "?"))
print()
print("Reports: %s" % out_dir)
PY
