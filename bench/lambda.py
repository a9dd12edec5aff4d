#!/usr/bin/env python3
"""What an event source mapping (issue 19) delivers and costs, next to a KCL consumer of the same load, in one run.

    bench/lambda.py [-n ROUNDS] [--steps drain,delay] [--quick] [-o OUT_DIR]

Steps (each run on a fresh server and data dir, one after the other, so that the machine's noise hits all alike):
  drain  A stream of SHARDS shards is preloaded with N records of RECORD_BYTES (`millrace bench`: 500-record
         PutRecords, 16 in flight, no readers, the stream kept), then consumed from TRIM_HORIZON by
         - an event source mapping per ParallelizationFactor in PFS: BatchSize BATCH_SIZE,
           MaximumBatchingWindowInSeconds 0, to a trivial function (bench/lambda/TrivialFunction.java: a JDK HTTP
           server that counts the records of each event and answers {} at once, 64 threads);
         - a KCL application per retrieval in KCL_RETRIEVALS (bench/lambda/KclCounter.java: KCL 3.x at millrace-it's
           version, leases in Millrace's DynamoDB subset, KCL's metrics to its CloudWatch subset at KCL's default level
           and buffering, all on the server's port; processRecords counts and checkpoints once CHECKPOINT_MS have
           passed since its last checkpoint). polling:MS reads with GetRecords, KCL's PollingConfig with
           idleTimeBetweenReadsInMillis MS (KCL's default 1500, its floor 200; KCL waits that long between any two
           GetRecords calls of a shard, so it also caps a shard at 10,000 records per MS); fanout is SubscribeToShard,
           KCL's default retrieval.
         Reported per run: when the consumer was ready to read after its start (a mapping: at once; KCL: its last
         shard processor initialized, after KCL's lease table, leader and lease assignment); records/s from ready to
         the last delivery (the first fetch included) and from the first delivery (an invocation, a processRecords
         call with records) to the last, as issue 19 asks (it leaves out what the first deliveries carry: KCL's first
         GetRecords on each shard may bring thousands); deliveries/s from first to last and their mean size; CPU from
         /proc/PID/stat sampled every 100 ms: the server's and the consumer's (the function's or the KCL JVM's) in
         microseconds per record from ready to the last delivery, and from the consumer's start (its JVM's start-up
         and KCL's set-up included); the server's idle cores before the consumer started.
  delay  On an empty stream of SHARDS shards, one small record ({"i": N, "t": send time in epoch ms}) put every 50 ms
         for DELAY_S, the shards taken in turn (ExplicitHashKey), after one warm-up record per shard has gone
         through; the consumer takes, per record, its receive time minus the send time (same machine, same clock):
         the function at the invocation's arrival (a mapping with BatchSize BATCH_SIZE, window 0, PF 1), KCL when
         processRecords gets the record (each retrieval of KCL_RETRIEVALS). p50/p90/p99/max.

-n ROUNDS (default 2) repeats the drain runs (round after round, all runs in each); a cell is the median, each
round's value in brackets. KCL runs with its defaults but for what delays a lone worker's start (KclCounter.tune: a
shard sync every 5 s rather than 60, no worker metrics, lease-count assignment). CHECKPOINT_MS (1000): KCL applications
usually checkpoint periodically rather than per batch; at the default idle time that is still once per GetRecords
batch, at 200 ms once per ~5 batches.

Sizes are environment variables: N (200000, a multiple of 500), SHARDS (4), RECORD_BYTES (1024), BATCH_SIZE (100),
PFS (1,10), KCL_RETRIEVALS (polling:1500,polling:200), CHECKPOINT_MS (1000), DELAY_S (30), DRAIN_TIMEOUT_S (900),
PORT_BASE (4900). --quick is N=20000 DELAY_S=5 and one round, for smoke tests (environment variables still win).
Servers run with --throughput-limits off (GetRecords and puts unthrottled) and SYNC durability (the default).

Needs java 17+, mvn and python3: builds millrace.jar and millrace-loadgen.jar if missing (never installs), resolves
KCL's class path offline with bench/lambda/pom.xml (KCL's version read from millrace-it/pom.xml), compiles the two
Java programs into OUT_DIR. Keeps every raw output (server, function, KCL and preload logs, status samples, delays,
results.json, summary.md, the exact commands) in OUT_DIR, and stops everything it started on exit.
"""
import argparse
import base64
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
JAR = os.path.join(REPO, "millrace-app", "target", "millrace.jar")
LOADGEN = os.path.join(REPO, "millrace-loadgen", "target", "millrace-loadgen.jar")
HERE = os.path.join(REPO, "bench", "lambda")
ACCOUNT = "000000000000"
REGION = "us-east-1"
ENV = os.environ
QUICK = "--quick" in sys.argv
N = int(ENV.get("N", "20000" if QUICK else "200000"))
SHARDS = int(ENV.get("SHARDS", "4"))
RECORD_BYTES = int(ENV.get("RECORD_BYTES", "1024"))
BATCH_SIZE = int(ENV.get("BATCH_SIZE", "100"))
PFS = [int(p) for p in ENV.get("PFS", "1,10").split(",") if p]
KCL_RETRIEVALS = [r for r in ENV.get("KCL_RETRIEVALS", "polling:1500,polling:200").split(",") if r]
CHECKPOINT_MS = int(ENV.get("CHECKPOINT_MS", "1000"))
DELAY_S = int(ENV.get("DELAY_S", "5" if QUICK else "30"))
DRAIN_TIMEOUT_S = int(ENV.get("DRAIN_TIMEOUT_S", "900"))
PORT_BASE = int(ENV.get("PORT_BASE", "4900"))
STREAM = "lam-0"  # millrace bench's first stream for --stream-prefix lam
FUNCTION = "fn"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

children = []
commands = []


def say(*words):
    print("lambda-bench:", *words, file=sys.stderr, flush=True)


def start(args, log_path, **kw):
    commands.append(shlex.join(args))
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    children.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in children:
        children.remove(proc)


def stop_all(*_):
    for proc in list(children):
        stop(proc)


def sign(service):
    # --auth none (the default on loopback) reads the account from the access key but checks no signature
    return {"X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": "AWS4-HMAC-SHA256 Credential=bench/%s/%s/%s/aws4_request, SignedHeaders=host, "
                             "Signature=0" % (time.strftime("%Y%m%d", time.gmtime()), REGION, service)}


def call(request, what):
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise RuntimeError("%s answered %d: %s" % (what, e.code, e.read().decode(errors="replace"))) from None


def kinesis(port, operation, body):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202." + operation}
    headers.update(sign("kinesis"))
    return call(urllib.request.Request("http://127.0.0.1:%d/" % port, data=json.dumps(body).encode(), method="POST",
                                       headers=headers), operation)


def lambda_api(port, method, path, body=None):
    headers = {"Content-Type": "application/json"}
    headers.update(sign("lambda"))
    return call(urllib.request.Request("http://127.0.0.1:%d/2015-03-31/event-source-mappings%s" % (port, path),
                                       data=None if body is None else json.dumps(body).encode(), method=method,
                                       headers=headers), method + " event-source-mappings" + path)


def wait_for(what, check, timeout_s=120, every_s=0.2):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(every_s)
    raise RuntimeError("timed out waiting for " + what)


def cpu_s(pid):
    """CPU seconds (user + system) the process used so far, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def read_status(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def kcl_version():
    pom = open(os.path.join(REPO, "millrace-it", "pom.xml")).read()
    match = re.search(r"<artifactId>amazon-kinesis-client</artifactId>\s*<version>([^<]+)</version>", pom)
    if not match:
        raise RuntimeError("no amazon-kinesis-client version in millrace-it/pom.xml")
    return match.group(1)


def prepare(out):
    """Builds the jars if missing, resolves KCL's class path and compiles the two Java programs; returns the class
    path KclCounter runs with."""
    if not (os.path.exists(JAR) and os.path.exists(LOADGEN)):
        say("building millrace.jar and millrace-loadgen.jar")
        subprocess.run(["mvn", "-q", "-B", "-o", "-pl", "millrace-app,millrace-loadgen", "-am", "package",
                        "-DskipTests", "-Dconsole.skip"], cwd=REPO, check=True)
    cp_file = os.path.join(out, "kcl.classpath")
    version = kcl_version()
    for offline in (["-o"], []):
        done = subprocess.run(["mvn", "-q", "-B"] + offline + ["dependency:build-classpath", "-Dkcl.version=" + version,
                              "-Dmdep.outputFile=" + cp_file], cwd=HERE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        if done.returncode == 0:
            break
    else:
        raise RuntimeError("could not resolve KCL %s's jars with bench/lambda/pom.xml" % version)
    classes = os.path.join(out, "classes")
    os.makedirs(classes, exist_ok=True)
    kcl_cp = open(cp_file).read().strip()
    subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", kcl_cp, os.path.join(HERE, "KclCounter.java"),
                    os.path.join(HERE, "TrivialFunction.java")], check=True)
    say("KCL", version, "with", len(kcl_cp.split(":")), "jars; classes in", classes)
    return classes + ":" + kcl_cp


class Server:
    """One Millrace server on a fresh data dir, the trivial function registered as fn."""

    def __init__(self, out, label, port):
        self.out, self.label, self.port = out, label, port
        self.function_port = port + 100
        self.scratch = tempfile.mkdtemp(prefix="millrace-lambda-bench-")
        self.log_path = os.path.join(out, label + "-server.log")
        self.proc = start(["java", "-jar", JAR, "server", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
                           os.path.join(self.scratch, "data"), "--throughput-limits", "off",
                           "--function", "%s=http://127.0.0.1:%d/" % (FUNCTION, self.function_port)], self.log_path)
        wait_for("the server", lambda: "Millrace listening" in open(self.log_path).read())

    def create_stream(self):
        kinesis(self.port, "CreateStream", {"StreamName": STREAM, "ShardCount": SHARDS})
        wait_for("the stream", lambda: kinesis(self.port, "DescribeStreamSummary", {"StreamName": STREAM})
                 ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")

    def hash_keys(self):
        """A hash key in each shard (its starting one), for puts that take the shards in turn."""
        shards = kinesis(self.port, "ListShards", {"StreamName": STREAM})["Shards"]
        return [s["HashKeyRange"]["StartingHashKey"] for s in shards]

    def preload(self):
        """Puts N records of RECORD_BYTES into a new stream of SHARDS shards; returns how many it took."""
        report_path = os.path.join(self.out, self.label + "-preload.json")
        args = ["java", "-jar", LOADGEN, "bench", "--json", "--endpoint", "http://127.0.0.1:%d" % self.port,
                "--stream-prefix", "lam", "--shards", str(SHARDS), "--keep-streams", "--record-bytes",
                str(RECORD_BYTES), "--batch-size", "500", "--concurrency", "16", "--records", str(N), "--warmup-s",
                "0", "--readers", "none"]
        commands.append(shlex.join(args))
        with open(report_path, "w") as report, open(os.path.join(self.out, self.label + "-preload.log"), "w") as log:
            subprocess.run(args, stdout=report, stderr=log, check=True)
        result = json.load(open(report_path))
        if result["errors"] or result["throttles"] or result["put"]["recordsAcknowledged"] != N:
            raise RuntimeError("the preload did not put every record without errors or throttles: " + report_path)
        return N

    def create_mapping(self, pf):
        uuid = lambda_api(self.port, "POST", "", {
            "FunctionName": FUNCTION, "EventSourceArn": "arn:aws:kinesis:%s:%s:stream/%s" % (REGION, ACCOUNT, STREAM),
            "BatchSize": BATCH_SIZE, "StartingPosition": "TRIM_HORIZON", "MaximumBatchingWindowInSeconds": 0,
            "ParallelizationFactor": pf})["UUID"]
        return uuid

    def await_mapping_enabled(self, uuid):
        wait_for("the mapping", lambda: lambda_api(self.port, "GET", "/" + uuid)["State"] == "Enabled")

    def close(self):
        stop(self.proc)
        shutil.rmtree(self.scratch, ignore_errors=True)


def start_function(out, label, server, delays=None):
    status = os.path.join(out, label + "-function-status.json")
    # FUNCTION_JAVA_OPTS: the function's extra JVM options. By default TCP_NODELAY for the JDK's HTTP server, which
    # otherwise leaves Nagle's algorithm on: each answer's body then waits for the ACK of its headers, which the
    # caller delays ~40 ms (measured: PF 1 drained 6,900-7,000 records/s without it, 9,800-15,200 with it).
    args = (["java", "-Xmx256m"] + ENV.get("FUNCTION_JAVA_OPTS", "-Dsun.net.httpserver.nodelay=true").split()
            + ["-cp", CLASSPATH, "TrivialFunction", str(server.function_port), status])
    proc = start(args + ([delays] if delays else []), os.path.join(out, label + "-function.log"))
    wait_for("the function", lambda: "listening" in open(os.path.join(out, label + "-function.log")).read())
    return proc, status


def start_kcl(out, label, server, retrieval, delays=None):
    status = os.path.join(out, label + "-kcl-status.json")
    args = ["java", "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", CLASSPATH, "KclCounter",
            "http://127.0.0.1:%d" % server.port, STREAM, "bench-" + label, retrieval, str(CHECKPOINT_MS), status]
    proc = start(args + ([delays] if delays else []), os.path.join(out, label + "-kcl.log"))
    return proc, status


class Sampler(threading.Thread):
    """Every 100 ms: (time, the server's CPU seconds, the consumer's, the consumer's status)."""

    def __init__(self, server_pid, consumer_pid, status_path):
        super().__init__(daemon=True)
        self.server_pid, self.consumer_pid, self.status_path = server_pid, consumer_pid, status_path
        self.samples, self.done = [], threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.samples.append((time.time(), cpu_s(self.server_pid), cpu_s(self.consumer_pid),
                                     read_status(self.status_path)))
            except OSError:  # the consumer ended
                pass
            self.done.wait(0.1)

    def latest(self):
        return self.samples[-1] if self.samples else (time.time(), 0.0, 0.0, None)

    def before(self, t):
        earlier = [s for s in self.samples if s[0] <= t]
        return earlier[-1] if earlier else self.samples[0]

    def after(self, t):
        later = [s for s in self.samples if s[0] >= t]
        return later[0] if later else self.samples[-1]


def idle_cores(pid, seconds=2.0):
    a, ta = cpu_s(pid), time.time()
    time.sleep(seconds)
    return (cpu_s(pid) - a) / (time.time() - ta)


def drain(sampler, started, records, ready_of):
    """Waits until the consumer has had every record; returns the run's figures. ready_of(status) is when the
    consumer could start reading, in epoch s: a mapping's creation, KCL's last shard processor initialized."""
    deadline = time.time() + DRAIN_TIMEOUT_S
    while True:
        status = sampler.latest()[3]
        if status and status["records"] >= records:
            break
        if time.time() > deadline:
            raise RuntimeError("the consumer had %s records after %d s" % (status, DRAIN_TIMEOUT_S))
        time.sleep(0.1)
    time.sleep(0.3)  # a sample after the last delivery
    status = sampler.latest()[3]
    ready, first, last = ready_of(status), status["firstMs"] / 1000.0, status["lastMs"] / 1000.0
    deliveries = status.get("invocations", status.get("batches"))
    a, b, s0 = sampler.before(ready), sampler.after(last), sampler.before(started)
    got = status["records"]
    window = max(b[0] - a[0], 1e-9)
    return {"records": got, "recordsPerS": got / max(last - ready, 1e-9),
            "recordsPerSFirstToLast": got / max(last - first, 1e-9),
            "deliveriesPerS": deliveries / max(last - first, 1e-9), "meanBatch": got / max(deliveries, 1),
            "readyAfterS": ready - started, "firstDeliveryAfterS": first - ready, "drainS": last - ready,
            "serverCpuUsPerRecord": (b[1] - a[1]) / got * 1e6, "consumerCpuUsPerRecord": (b[2] - a[2]) / got * 1e6,
            "serverCores": (b[1] - a[1]) / window, "consumerCores": (b[2] - a[2]) / window,
            "serverCpuUsPerRecordWholeRun": (b[1] - s0[1]) / got * 1e6,
            "consumerCpuUsPerRecordWholeRun": b[2] / got * 1e6, "status": status}


def drain_mapping(out, label, port, pf):
    server = Server(out, label, port)
    function = None
    try:
        function, status = start_function(out, label, server)
        records = server.preload()
        idle = idle_cores(server.proc.pid)
        sampler = Sampler(server.proc.pid, function.pid, status)
        sampler.start()
        started = time.time()
        server.create_mapping(pf)
        row = drain(sampler, started, records, lambda status: started)
        sampler.done.set()
        sampler.join()
        dump_samples(out, label, sampler)
        row.update({"label": label, "consumer": "mapping", "variant": "PF %d" % pf, "serverIdleCores": idle})
        return row
    finally:
        if function:
            stop(function)
        server.close()


def drain_kcl(out, label, port, retrieval):
    server = Server(out, label, port)
    kcl = None
    try:
        records = server.preload()
        idle = idle_cores(server.proc.pid)
        started = time.time()
        kcl, status = start_kcl(out, label, server, retrieval)
        sampler = Sampler(server.proc.pid, kcl.pid, status)
        sampler.start()
        row = drain(sampler, started, records, lambda status: status["initializedMs"] / 1000.0)
        sampler.done.set()
        sampler.join()
        dump_samples(out, label, sampler)
        row.update({"label": label, "consumer": "kcl", "variant": retrieval, "serverIdleCores": idle})
        return row
    finally:
        if kcl:
            stop(kcl)
        server.close()


def dump_samples(out, label, sampler):
    with open(os.path.join(out, label + "-samples.json"), "w") as f:
        json.dump(sampler.samples, f)


def put_timed(port, i, hash_key):
    data = json.dumps({"i": i, "t": time.time() * 1000}, separators=(",", ":")).encode()
    kinesis(port, "PutRecord", {"StreamName": STREAM, "PartitionKey": "k", "ExplicitHashKey": hash_key,
                                "Data": base64.b64encode(data).decode()})


def read_delays(path):
    seen = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    seen.setdefault(int(parts[0]), float(parts[1]))
    except OSError:
        pass
    return seen


def measure_delay(server, delays_path):
    """Warm-up records (negative ids, one per shard) until all arrived, then one record every 50 ms for DELAY_S."""
    keys = server.hash_keys()
    for j, key in enumerate(keys):
        put_timed(server.port, -1 - j, key)
    wait_for("the warm-up records", lambda: sum(1 for i in read_delays(delays_path) if i < 0) >= len(keys),
             timeout_s=120, every_s=0.1)
    sent, begin = 0, time.time()
    while time.time() < begin + DELAY_S:
        put_timed(server.port, sent, keys[sent % len(keys)])
        sent += 1
        time.sleep(max(0.0, begin + sent * 0.05 - time.time()))
    wait_for("every record", lambda: sum(1 for i in read_delays(delays_path) if i >= 0) >= sent, timeout_s=60,
             every_s=0.1)
    delays = sorted(d for i, d in read_delays(delays_path).items() if i >= 0)
    return {"records": sent, "p50Ms": percentile(delays, 50), "p90Ms": percentile(delays, 90),
            "p99Ms": percentile(delays, 99), "maxMs": delays[-1], "minMs": delays[0]}


def delay_mapping(out, port):
    label = "delay-mapping"
    server = Server(out, label, port)
    function = None
    try:
        delays = os.path.join(out, label + "-delays.txt")
        function, _ = start_function(out, label, server, delays)
        server.create_stream()
        server.await_mapping_enabled(server.create_mapping(1))
        row = measure_delay(server, delays)
        row.update({"consumer": "mapping", "variant": "PF 1, window 0"})
        return row
    finally:
        if function:
            stop(function)
        server.close()


def delay_kcl(out, port, retrieval):
    label = "delay-kcl-" + retrieval.replace(":", "-")
    server = Server(out, label, port)
    kcl = None
    try:
        delays = os.path.join(out, label + "-delays.txt")
        server.create_stream()
        kcl, status = start_kcl(out, label, server, retrieval, delays)
        wait_for("KCL's shard consumers", lambda: read_status(status)["initialized"] >= SHARDS, timeout_s=300,
                 every_s=0.2)
        row = measure_delay(server, delays)
        row.update({"consumer": "kcl", "variant": retrieval})
        return row
    finally:
        if kcl:
            stop(kcl)
        server.close()


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


NAMES = {"mapping": "event source mapping", "kcl": "KCL 3.x"}


def summary(rows, delays, command):
    lines = ["Command: " + command]
    if rows:
        lines += ["", "Drain of %s records of %d bytes in %d shards from TRIM_HORIZON (mappings: BatchSize %d, "
                  "window 0; KCL: checkpoint every %d ms). CPU in microseconds per record from ready to the last "
                  "delivery, and from the consumer's start." % (
                      "{:,}".format(N), RECORD_BYTES, SHARDS, BATCH_SIZE, CHECKPOINT_MS),
                  "", "| consumer | ready after, s | records/s, ready to last | records/s, first to last | "
                  "deliveries/s | mean batch | first delivery after ready, s | server us/record | consumer us/record | "
                  "server / consumer cores | from start: server / consumer us/record | server idle cores |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    for row in rows:
        groups.setdefault((row["consumer"], row["variant"]), []).append(row)

    def med(group, key, fmt):
        values = [r[key] for r in group]
        text = fmt.format(statistics.median(values))
        return text + (" (" + " / ".join(fmt.format(v) for v in values) + ")" if len(values) > 1 else "")

    for (consumer, variant), group in groups.items():
        lines.append("| %s, %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s |" % (
            NAMES[consumer], variant, med(group, "readyAfterS", "{:.1f}"), med(group, "recordsPerS", "{:,.0f}"),
            med(group, "recordsPerSFirstToLast", "{:,.0f}"), med(group, "deliveriesPerS", "{:,.1f}"),
            med(group, "meanBatch", "{:,.0f}"), med(group, "firstDeliveryAfterS", "{:.2f}"),
            med(group, "serverCpuUsPerRecord", "{:.1f}"), med(group, "consumerCpuUsPerRecord", "{:.1f}"),
            med(group, "serverCores", "{:.2f}"), med(group, "consumerCores", "{:.2f}"),
            med(group, "serverCpuUsPerRecordWholeRun", "{:.1f}"),
            med(group, "consumerCpuUsPerRecordWholeRun", "{:.1f}"),
            med(group, "serverIdleCores", "{:.2f}")))
    if delays:
        lines += ["", "Delay from put to delivery, one record every 50 ms for %d s over %d shards:" % (DELAY_S, SHARDS),
                  "", "| consumer | records | p50 ms | p90 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
        for d in delays:
            lines.append("| %s, %s | %d | %.1f | %.1f | %.1f | %.1f |" % (
                NAMES[d["consumer"]], d["variant"], d["records"], d["p50Ms"], d["p90Ms"], d["p99Ms"], d["maxMs"]))
    return "\n".join(lines)


def main():
    global CLASSPATH
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--rounds", type=int, default=None)
    parser.add_argument("--steps", default="drain,delay")
    parser.add_argument("--quick", action="store_true", help="N=20000, DELAY_S=5, one round: a smoke test")
    parser.add_argument("-o", "--out", default=None)
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 2)
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="millrace-lambda-bench-out-"))
    os.makedirs(out, exist_ok=True)
    sized = " ".join("%s=%s" % (k, shlex.quote(ENV[k])) for k in ("N", "SHARDS", "RECORD_BYTES", "BATCH_SIZE", "PFS",
                                                    "KCL_RETRIEVALS", "CHECKPOINT_MS", "DELAY_S", "DRAIN_TIMEOUT_S",
                                                    "PORT_BASE") if k in ENV)
    command = (sized + " " if sized else "") + shlex.join([sys.argv[0]] + sys.argv[1:])
    say("command:", command)
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(143)))
    steps = set(args.steps.split(","))
    began = time.time()
    try:
        CLASSPATH = prepare(out)
        rows, delays = [], []
        port = PORT_BASE
        if "drain" in steps:
            for round_number in range(1, rounds + 1):
                runs = [("mapping-pf%d" % pf, drain_mapping, pf) for pf in PFS] + \
                       [("kcl-" + r.replace(":", "-"), drain_kcl, r) for r in KCL_RETRIEVALS]
                for name, run, variant in runs:
                    label = "%s-%d" % (name, round_number)
                    say("round %d: %s (load average %.2f)" % (round_number, name, os.getloadavg()[0]))
                    row = run(out, label, port, variant)
                    rows.append(row)
                    say(json.dumps({k: v for k, v in row.items() if k != "status"}))
                    port += 1
        if "delay" in steps:
            say("delay: event source mapping")
            delays.append(delay_mapping(out, port))
            say(json.dumps(delays[-1]))
            for retrieval in KCL_RETRIEVALS:
                port += 1
                say("delay: KCL " + retrieval)
                delays.append(delay_kcl(out, port, retrieval))
                say(json.dumps(delays[-1]))
        text = summary(rows, delays, command)
        with open(os.path.join(out, "summary.md"), "w") as f:
            f.write(text + "\n")
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump({"command": command, "settings": {"N": N, "SHARDS": SHARDS, "RECORD_BYTES": RECORD_BYTES,
                                                        "BATCH_SIZE": BATCH_SIZE, "PFS": PFS,
                                                        "KCL_RETRIEVALS": KCL_RETRIEVALS,
                                                        "CHECKPOINT_MS": CHECKPOINT_MS, "DELAY_S": DELAY_S,
                                                        "rounds": rounds, "kclVersion": kcl_version()},
                       "drain": rows, "delay": delays, "elapsedS": time.time() - began}, f, indent=1)
        print(text)
        say("took %.0f s; raw outputs: %s" % (time.time() - began, out))
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    finally:
        with open(os.path.join(out, "commands.txt"), "w") as f:
            f.write("\n".join(commands) + "\n")
        stop_all()


CLASSPATH = None

if __name__ == "__main__":
    main()
