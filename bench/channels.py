#!/usr/bin/env python3
"""What channel delivery (issue 18) does and costs, measured side by side in one run.

    bench/channels.py [-n ROUNDS] [--steps put,delay] [-o OUT_DIR]

Steps:
  put    For each round, one after the other on fresh servers and data dirs (so the machine's noise hits all alike):
         PutRecords of 1 KiB records into a 4-shard stream with no channel, with a channel delivering to local files
         (no --s3-endpoint), with one delivering to s3proxy (an S3 API server over a directory, resolved from
         Maven Central with bench/s3proxy/pom.xml) and with one delivering to an Iceberg table in the embedded
         catalog (SQLite, warehouse in the data dir; the table's schema registered in the server's Glue Schema
         Registry, partitioned by the hour of the records' ts field). `millrace bench --payload json` puts (closed loop, 500-record PutRecords,
         CONCURRENCY in flight, WARMUP_S then DURATION_S measured, no readers); meanwhile this script reads the server's
         /metrics every 0.5 s for the channel's delivered records and bytes. Reported: put records/s (the write
         path's cost is the ratio to the no-channel run), delivered records/s and MB/s over the measured window,
         the lag when the puts end, and how long the rest took to be delivered.
  delay  A JSON channel at the lowest freshness (DataFreshnessInSeconds 1, allowed by --channel-min-freshness-seconds
         1; AWS's lowest is 300) to local files; PutRecord of one small record every 50 ms for DELAY_S; a watcher
         reads every object as it appears (every 20 ms) and takes, per record, the time from its put to the
         object holding it being readable.

Records are JSON objects of RECORD_BYTES (ts, run, sent, pad: see RecordPayload in millrace-loadgen) in every run,
so the runs without a channel put the same bytes. Channels read them as RecordFormatType JSON (each record parsed:
the S3 channels check it is JSON, the table channel maps it to a row), S3 objects with CompressionType COMPRESSION
(NONE), Parquet files with ICEBERG_COMPRESSION (ZSTD), DataFreshnessInSeconds FRESHNESS_S (default 10: a batch is cut
every 10 s or at 64 MiB, whichever is first).
Servers run with --throughput-limits off and SYNC durability (the default); the stream is on-demand (channels
deliver on-demand streams only) and keeps its 4 shards (no scaling decision within the run). Sizes are environment variables:
DURATION_S (30), WARMUP_S (30: the JIT still compiles Iceberg and Parquet code for most of a 10 s warm-up), CONCURRENCY (16), RECORD_BYTES (1024), FRESHNESS_S (10), COMPRESSION
(NONE), ICEBERG_COMPRESSION (ZSTD), DELAY_S (30), PORT_BASE (4800); DESTINATIONS (none,local,s3,iceberg) picks the
runs of each round; RATE (requests/s of 500 records) puts at that fixed rate (open loop) instead of flat out, so
that the cost shows as the server's CPU and the puts' latency at the same write rate. Needs java 17+, mvn and python3; builds millrace.jar and
millrace-loadgen.jar if missing. Keeps every raw output (server logs, bench JSON, metric samples) in OUT_DIR, and stops
everything it started on exit.
"""
import argparse
import base64
import json
import os
import re
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
ACCOUNT = "000000000000"
ENV = os.environ
DURATION_S = int(ENV.get("DURATION_S", "30"))
WARMUP_S = int(ENV.get("WARMUP_S", "30"))
CONCURRENCY = int(ENV.get("CONCURRENCY", "16"))
SHARDS = 4  # an on-demand stream's shards at creation
RECORD_BYTES = int(ENV.get("RECORD_BYTES", "1024"))
FRESHNESS_S = int(ENV.get("FRESHNESS_S", "10"))
COMPRESSION = ENV.get("COMPRESSION", "NONE")
ICEBERG_COMPRESSION = ENV.get("ICEBERG_COMPRESSION", "ZSTD")
DESTINATIONS = ENV.get("DESTINATIONS", "none,local,s3,iceberg").split(",")
RATE = ENV.get("RATE")  # PutRecords requests per second: an open loop at a fixed write rate instead of flat out
DELAY_S = int(ENV.get("DELAY_S", "30"))
PORT_BASE = int(ENV.get("PORT_BASE", "4800"))
BUCKET = "bench-data"
STREAM = "ch-0"  # millrace bench's first stream for --stream-prefix ch
TABLE_BUCKET = "bench-lake"
DLQ_BUCKET = "bench-errors"
# Per destination kind: the counters of records delivered and their bytes, and the DataFreshness gauge (docs/METRICS.md)
# and the records dead-lettered, then the records the stream took (what delivery must account for)
PUT = "kinesis_put_records_successful_records_total"
S3_METRICS = ("kinesis_channel_delivery_to_s3_successful_records_total",
              "kinesis_channel_delivery_to_s3_bytes_in_total", "kinesis_channel_delivery_to_s3_data_freshness_seconds",
              "kinesis_channel_delivery_to_s3_failed_records_total", PUT)
ICEBERG_METRICS = ("kinesis_channel_delivery_to_iceberg_successful_rows_total",
                   "kinesis_channel_delivery_to_iceberg_bytes_in_total",
                   "kinesis_channel_delivery_to_iceberg_data_freshness_seconds",
                   "kinesis_channel_delivery_to_iceberg_failed_rows_total", PUT)
SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                     "properties": {"ts": {"type": "string", "format": "date-time"}, "run": {"type": "string"},
                                    "sent": {"type": "string"}, "pad": {"type": "string"}},
                     "required": ["ts", "run", "sent", "pad"]})

children = []


def say(*words):
    print("channels-bench:", *words, file=sys.stderr, flush=True)


def start(args, log_path, **kw):
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


def kinesis(port, operation, body, target="Kinesis_20131202."):
    request = urllib.request.Request(
        "http://127.0.0.1:%d/" % port, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target + operation,
                 # --auth none (the default on loopback) reads the account from the access key but checks no signature
                 "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
                 "Authorization": "AWS4-HMAC-SHA256 Credential=bench/%s/us-east-1/kinesis/aws4_request, "
                                  "SignedHeaders=host, Signature=0" % time.strftime("%Y%m%d", time.gmtime())})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise RuntimeError("%s answered %d: %s" % (operation, e.code, e.read().decode(errors="replace"))) from None


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


def metrics(port, names):
    """The sums over all labels of the metrics called names, from the server's /metrics."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as answer:
        text = answer.read().decode()
    values = []
    for name in names:
        total = 0.0
        for match in re.finditer(r"^%s(?:\{[^}]*\})? ([0-9.eE+-]+)$" % name, text, re.M):
            total += float(match.group(1))
        values.append(total)
    return values


def s3proxy_classpath(out):
    cp_file = os.path.join(out, "s3proxy.classpath")
    pom_dir = os.path.join(REPO, "bench", "s3proxy")
    for offline in (["-o"], []):
        done = subprocess.run(["mvn", "-q", "-B"] + offline + ["dependency:build-classpath",
                              "-Dmdep.outputFile=" + cp_file], cwd=pom_dir, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        if done.returncode == 0:
            return open(cp_file).read().strip()
    raise RuntimeError("could not resolve s3proxy's jars with bench/s3proxy/pom.xml")


class Server:
    """One Millrace server (and, for an S3 destination, its s3proxy) on fresh directories."""

    def __init__(self, out, label, port, destination, s3_classpath=None):
        self.out, self.label, self.port, self.destination = out, label, port, destination
        self.scratch = tempfile.mkdtemp(prefix="millrace-channels-bench-")
        self.s3 = None
        extra = []
        if destination == "s3":
            s3_port = port + 50
            blobs = os.path.join(self.scratch, "s3")
            os.makedirs(blobs)
            props = os.path.join(self.scratch, "s3proxy.properties")
            with open(props, "w") as f:
                f.write("s3proxy.endpoint=http://127.0.0.1:%d\ns3proxy.authorization=none\n"
                        "jclouds.provider=filesystem\njclouds.filesystem.basedir=%s\n" % (s3_port, blobs))
            self.s3 = start(["java", "-Xmx1g", "-cp", s3_classpath, "org.gaul.s3proxy.Main", "--properties", props],
                            os.path.join(out, label + "-s3proxy.log"), env=dict(os.environ, LOG_LEVEL="warn"))
            bucket_url = "http://127.0.0.1:%d/%s" % (s3_port, BUCKET)
            wait_for("s3proxy", lambda: urllib.request.urlopen(
                urllib.request.Request(bucket_url, method="PUT"), timeout=5).status == 200)
            extra = ["--s3-endpoint", "http://127.0.0.1:%d" % s3_port, "--s3-path-style",
                     "--s3-access-key-id", "bench", "--s3-secret-access-key", "bench"]
        self.data_dir = os.path.join(self.scratch, "data")
        self.log_path = os.path.join(out, label + "-server.log")
        self.proc = start(["java", "-jar", JAR, "server", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
                           self.data_dir, "--throughput-limits", "off", "--channel-min-freshness-seconds", "1",
                           # the on-demand stream keeps its 4 shards for the whole run (no scaling decision in an hour)
                           "--autoscale-interval-ms", "3600000"]
                          + extra, self.log_path)
        wait_for("the server", lambda: "Millrace listening" in open(self.log_path).read())

    def create_stream(self):
        # Channels deliver on-demand streams only (as on AWS); an on-demand stream starts with 4 shards.
        kinesis(self.port, "CreateStream", {"StreamName": STREAM, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
        wait_for("the stream", lambda: kinesis(self.port, "DescribeStreamSummary", {"StreamName": STREAM})
                 ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")

    def create_channel(self, record_format, freshness_s, compression):
        arn = kinesis(self.port, "CreateChannel", {
            "ChannelName": "bench-channel",
            "ServiceExecutionRoleARN": "arn:aws:iam::%s:role/delivery" % ACCOUNT,
            "StreamConfigurationList": [{
                "StreamARN": "arn:aws:kinesis:us-east-1:%s:stream/%s" % (ACCOUNT, STREAM),
                "RecordConfiguration": {"RecordFormatType": record_format}}],
            "S3DestinationConfiguration": {
                "DataFreshnessInSeconds": freshness_s,
                "StorageConfiguration": {"BucketARN": "arn:aws:s3:::" + BUCKET, "ExpectedBucketOwner": ACCOUNT,
                                         "CompressionType": compression}}})["ChannelDescription"]["ChannelARN"]
        self.await_active(arn)

    def create_table_channel(self, freshness_s, compression):
        """A JSON channel into table lake.bench of the embedded catalog, its schema registered in Glue first."""
        schema_arn = kinesis(self.port, "CreateSchema", {"SchemaName": "bench", "DataFormat": "JSON",
                                                         "Compatibility": "NONE", "SchemaDefinition": SCHEMA},
                             target="AWSGlue.")["SchemaArn"]
        arn = kinesis(self.port, "CreateChannel", {
            "ChannelName": "bench-table-channel",
            "ServiceExecutionRoleARN": "arn:aws:iam::%s:role/delivery" % ACCOUNT,
            "StreamConfigurationList": [{
                "StreamARN": "arn:aws:kinesis:us-east-1:%s:stream/%s" % (ACCOUNT, STREAM),
                "RecordConfiguration": {"RecordFormatType": "JSON", "GSRSchemaARN": schema_arn}}],
            "S3TablesDestinationConfiguration": {
                "DataFreshnessInSeconds": freshness_s,
                "DeadLetterQueueS3Configuration": {"BucketARN": "arn:aws:s3:::" + DLQ_BUCKET,
                                                   "ExpectedBucketOwner": ACCOUNT, "ErrorOutputPrefix": "errors/"},
                "S3TablesConfigurationList": [{
                    "TableBucketARN": "arn:aws:s3tables:us-east-1:%s:bucket/%s" % (ACCOUNT, TABLE_BUCKET),
                    "Namespace": "lake", "TableName": "bench", "CompressionType": compression,
                    "PartitionSpec": {"PartitionFields": [{"Transform": "TIME_HOUR", "SourceName": "ts"}]}}]}}
                      )["ChannelDescription"]["ChannelARN"]
        self.await_active(arn)

    def await_active(self, arn):
        wait_for("the channel", lambda: kinesis(self.port, "DescribeChannel", {"ChannelARN": arn})
                 ["ChannelDescription"]["ChannelStatus"] == "ACTIVE")

    def close(self):
        stop(self.proc)
        if self.s3:
            stop(self.s3)
        shutil.rmtree(self.scratch, ignore_errors=True)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The server's threads by what they do, from the names Linux keeps (the first 15 characters): channel delivery
# (millrace-channel-delivery-N, -poll-N, millrace-channels; Iceberg's worker pool), the write path (Netty's event
# loops, millrace-api-N, millrace-append), the JIT compilers, the garbage collector, and the rest.
THREAD_GROUPS = (("delivery", ("millrace-channe", "iceberg-worker")),
                 ("write", ("millrace-api", "millrace-append", "multiThreadIoEv")),
                 ("jit", ("C1 CompilerThre", "C2 CompilerThre")), ("gc", ("GC Thread", "G1 ")))


def thread_cpu(pid):
    """CPU seconds (user + system) the process's threads used so far, summed per THREAD_GROUPS group and "other"."""
    totals = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        group = next((g for g, prefixes in THREAD_GROUPS if name.startswith(prefixes)), "other")
        totals[group] = totals.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return totals


class Sampler(threading.Thread):
    """Reads the channel's counters from /metrics every 0.5 s: (time, delivered records, bytes in, freshness), and
    the server's CPU per thread group (cpu: (time, thread_cpu))."""

    def __init__(self, port, names, pid):
        super().__init__(daemon=True)
        self.port, self.names, self.pid, self.samples, self.done = port, names, pid, [], threading.Event()
        self.cpu = []

    def run(self):
        while not self.done.is_set():
            try:
                now = time.time()
                self.cpu.append((now, thread_cpu(self.pid)))
                self.samples.append(tuple([now] + metrics(self.port, self.names)))
            except Exception:
                pass
            self.done.wait(0.5)

    def cpu_at(self, t):
        before = [c for c in self.cpu if c[0] <= t]
        return before[-1] if before else (t, {})

    def cpu_per_record(self, start, end, put_records, delivered_records):
        """Microseconds of CPU per record between start and end: the write path's per record put, delivery's per
        record delivered, and the cores each group used."""
        (ta, a), (tb, b) = self.cpu_at(start), self.cpu_at(end)
        span = max(tb - ta, 1e-9)
        used = {g: b.get(g, 0.0) - a.get(g, 0.0) for g in b}
        row = {"cores": {g: round(v / span, 3) for g, v in sorted(used.items())}}
        if put_records:
            row["writeCpuUsPerRecord"] = round(used.get("write", 0.0) / put_records * 1e6, 2)
        if delivered_records:
            row["deliveryCpuUsPerRecord"] = round(used.get("delivery", 0.0) / delivered_records * 1e6, 2)
        return row

    def at(self, t):
        """The last sample taken at or before t."""
        before = [s for s in self.samples if s[0] <= t]
        return before[-1] if before else (t, 0.0, 0.0, 0.0, 0.0, 0.0)


def put_step(out, label, port, destination, s3_classpath):
    server = Server(out, label, port, destination, s3_classpath)
    try:
        server.create_stream()
        if destination == "iceberg":
            server.create_table_channel(FRESHNESS_S, ICEBERG_COMPRESSION)
        elif destination != "none":
            server.create_channel("JSON", FRESHNESS_S, COMPRESSION)
        sampler = Sampler(port, ICEBERG_METRICS if destination == "iceberg" else S3_METRICS, server.proc.pid)
        sampler.start()
        report_path = os.path.join(out, label + ".json")
        started = time.time()
        with open(report_path, "w") as report, open(os.path.join(out, label + "-bench.log"), "w") as log:
            subprocess.run(["java", "-jar", LOADGEN, "bench", "--json", "--endpoint", "http://127.0.0.1:%d" % port,
                            "--server-pid", str(server.proc.pid), "--stream-prefix", "ch", "--shards", str(SHARDS),
                            "--record-bytes", str(RECORD_BYTES), "--payload", "json", "--batch-size", "500", "--concurrency",
                            str(CONCURRENCY), "--duration-s", str(DURATION_S), "--warmup-s", str(WARMUP_S),
                            "--readers", "none"] + (["--rate", RATE] if RATE else []),
                           stdout=report, stderr=log, check=True)
        ended = time.time()
        result = json.load(open(report_path))
        row = {"label": label, "destination": destination, "putRecordsPerS": result["put"]["recordsPerS"],
               "serverCpuSPer1000": result["server"]["cpuSPer1000Records"], "serverCores": result["server"]["cores"],
               "putP50Ms": result["put"]["requestLatencyMs"]["p50"], "putP99Ms": result["put"]["requestLatencyMs"]["p99"],
               "errors": result["errors"], "throttles": result["throttles"]}
        if destination != "none":
            row.update(drain(sampler, started, ended))
        else:
            sampler.done.wait(1.0)  # a sample after the puts' end
        a, b = sampler.at(started + WARMUP_S), sampler.at(ended)
        row.update(sampler.cpu_per_record(started + WARMUP_S, ended, b[5] - a[5], b[1] - a[1]))
        sampler.done.set()
        sampler.join()
        with open(os.path.join(out, label + "-samples.json"), "w") as f:
            json.dump(sampler.samples, f)
        return row
    finally:
        server.close()


def drain(sampler, started, ended):
    """Waits until the channel has accounted for every record the stream took (delivered or dead-lettered, freshness
    0) and measures delivery; fails after 10 minutes without that."""
    last_change, last_value = ended, None
    deadline = time.time() + 600
    while True:
        time.sleep(0.5)
        if time.time() > deadline:
            raise RuntimeError("delivery did not account for every record in 10 minutes: " + str(sampler.samples[-1:]))
        if not sampler.samples:
            continue
        t, delivered, _, freshness, failed, put = sampler.samples[-1]
        if delivered != last_value:
            last_value, last_change = delivered, t if last_value is not None else ended
        if freshness == 0 and put > 0 and delivered + failed >= put:
            break
    window_start, window_end = started + WARMUP_S, ended
    a, b = sampler.at(window_start), sampler.at(window_end)
    span = max(b[0] - a[0], 1e-9)
    return {"deliveredRecordsPerS": (b[1] - a[1]) / span, "deliveredMBPerS": (b[2] - a[2]) / span / 1e6,
            "deliveredTotal": last_value, "deliveredAtPutEnd": b[1], "deadLettered": sampler.samples[-1][4],
            "put": sampler.samples[-1][5], "drainS": max(0.0, last_change - ended)}


def delay_step(out, port):
    server = Server(out, "delay", port, "local")
    try:
        server.create_stream()
        server.create_channel("JSON", 1, "NONE")
        root = os.path.join(server.data_dir, "channels", BUCKET)
        seen, delays, stop_watch = {}, [], threading.Event()

        def watch():
            read = set()
            while not stop_watch.is_set():
                for parent, _, files in os.walk(root):
                    for name in files:
                        path = os.path.join(parent, name)
                        if path in read or name.endswith(".millrace-tmp"):
                            continue
                        read.add(path)
                        now_ms = time.time() * 1000
                        with open(path) as f:
                            for line in f:
                                record = json.loads(line)
                                seen.setdefault(record["i"], now_ms - record["t"])
                stop_watch.wait(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        sent = 0
        end = time.time() + DELAY_S
        while time.time() < end:
            data = json.dumps({"i": sent, "t": time.time() * 1000}).encode()
            kinesis(port, "PutRecord", {"StreamName": STREAM, "PartitionKey": "k%d" % (sent % 16),
                                        "Data": base64.b64encode(data).decode()})
            sent += 1
            time.sleep(0.05)
        wait_for("every record delivered", lambda: len(seen) >= sent, timeout_s=60, every_s=0.1)
        stop_watch.set()
        watcher.join()
        delays = sorted(seen.values())
        return {"records": sent, "p50Ms": percentile(delays, 50), "p90Ms": percentile(delays, 90),
                "p99Ms": percentile(delays, 99), "maxMs": delays[-1]}
    finally:
        server.close()


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def build_if_missing():
    if os.path.exists(JAR) and os.path.exists(LOADGEN):
        return
    say("building millrace.jar and millrace-loadgen.jar")
    subprocess.run(["mvn", "-q", "-B", "-o", "-pl", "millrace-app,millrace-loadgen", "-am", "package", "-DskipTests",
                    "-Dconsole.skip"], cwd=REPO, check=True)


def summary(rows, delay):
    lines = []
    by = {}
    for row in rows:
        by.setdefault(row["destination"], []).append(row)
    base = statistics.median(r["putRecordsPerS"] for r in by.get("none", [])) if by.get("none") else None
    names = {"none": "no channel", "local": "channel to local files", "s3": "channel to s3proxy",
             "iceberg": "channel to an Iceberg table (embedded catalog)"}
    lines.append("| | put records/s | write-path cost | delivered records/s (measured window) | delivered MB/s |"
                 " delivered when the puts ended / in all | drain after the puts ended, s | server CPU-s per 1,000 "
                 "records put |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for destination in ("none", "local", "s3", "iceberg"):
        group = by.get(destination)
        if not group:
            continue

        def med(key, fmt="{:,.0f}"):
            values = [r[key] for r in group]
            text = fmt.format(statistics.median(values))
            return text + (" (" + " / ".join(fmt.format(v) for v in values) + ")" if len(values) > 1 else "")

        put = statistics.median(r["putRecordsPerS"] for r in group)
        cost = "" if destination == "none" or not base else "{:+.1f} %".format(100.0 * (put - base) / base)
        if RATE:
            lat = "p50 %s ms, p99 %s ms, server %s cores" % (med("putP50Ms", "{:.1f}"), med("putP99Ms", "{:.1f}"),
                                                            med("serverCores", "{:.2f}"))
            lines.append("| %s (%s) | %s | %s | %s | %s | | %s | %s |" % (
                names[destination], lat, med("putRecordsPerS"), cost,
                med("deliveredRecordsPerS") if destination != "none" else "",
                med("deliveredMBPerS", "{:.1f}") if destination != "none" else "",
                med("drainS", "{:.1f}") if destination != "none" else "", med("serverCpuSPer1000", "{:.5f}")))
        elif destination == "none":
            lines.append("| %s | %s | | | | | | %s |" % (names[destination], med("putRecordsPerS"),
                                                         med("serverCpuSPer1000", "{:.5f}")))
        else:
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                names[destination], med("putRecordsPerS"), cost, med("deliveredRecordsPerS"),
                med("deliveredMBPerS", "{:.1f}"),
                " / ".join("{:,.0f} of {:,.0f}".format(r["deliveredAtPutEnd"], r["deliveredTotal"]) for r in group),
                med("drainS", "{:.1f}"), med("serverCpuSPer1000", "{:.5f}")))
    lines.append("")
    lines.append("The server's CPU by thread (from /proc over the measured window): microseconds per record put on "
                 "the write path (Netty, millrace-api, millrace-append) and per record delivered on delivery's "
                 "threads; cores used per group (medians):")
    lines.append("")
    lines.append("| | write path, us/record | delivery, us/record | cores: write / delivery / JIT / GC / other |")
    lines.append("|---|---|---|---|")
    for destination in ("none", "local", "s3", "iceberg"):
        group = [r for r in by.get(destination, []) if "cores" in r]
        if not group:
            continue

        def med_of(values, fmt):
            values = [v for v in values if v is not None]
            return fmt.format(statistics.median(values)) if values else ""

        cores = " / ".join(med_of([r["cores"].get(g, 0.0) for r in group], "{:.2f}")
                           for g in ("write", "delivery", "jit", "gc", "other"))
        lines.append("| %s | %s | %s | %s |" % (
            names[destination], med_of([r.get("writeCpuUsPerRecord") for r in group], "{:.2f}"),
            med_of([r.get("deliveryCpuUsPerRecord") for r in group], "{:.2f}"), cores))
    lines.append("")
    lines.append("Errors reported by the generator: %s; throttles: %s; records dead-lettered: %s." % (
        [r["errors"] for r in rows], [r["throttles"] for r in rows],
        [int(r.get("deadLettered", 0)) for r in rows if r["destination"] != "none"]))
    if delay:
        lines.append("")
        lines.append("End-to-end delay at DataFreshnessInSeconds 1 (put to object readable), %d records: p50 %.0f ms,"
                     " p90 %.0f ms, p99 %.0f ms, max %.0f ms." % (delay["records"], delay["p50Ms"], delay["p90Ms"],
                                                                   delay["p99Ms"], delay["maxMs"]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--rounds", type=int, default=2)
    parser.add_argument("--steps", default="put,delay")
    parser.add_argument("-o", "--out", default=None)
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="millrace-channels-bench-out-")
    os.makedirs(out, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(143)))
    steps = set(args.steps.split(","))
    try:
        build_if_missing()
        rows, delay = [], None
        if "put" in steps:
            s3_classpath = s3proxy_classpath(out)
            port = PORT_BASE
            for round_number in range(1, args.rounds + 1):
                for destination in DESTINATIONS:
                    label = "%s-%d" % (destination, round_number)
                    say("round %d: %s (load average %.2f)" % (round_number, destination, os.getloadavg()[0]))
                    rows.append(put_step(out, label, port, destination, s3_classpath))
                    say(json.dumps(rows[-1]))
                    port += 1
        if "delay" in steps:
            say("delay at the lowest freshness")
            delay = delay_step(out, PORT_BASE + 40)
        text = summary(rows, delay)
        with open(os.path.join(out, "summary.md"), "w") as f:
            f.write(text + "\n")
        print(text)
        say("raw outputs:", out)
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    finally:
        stop_all()


if __name__ == "__main__":
    main()
