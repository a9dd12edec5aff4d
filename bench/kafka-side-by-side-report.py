#!/usr/bin/env python3
"""Turns bench/kafka-side-by-side.sh's results.jsonl into the markdown table of docs/BENCHMARKS.md.

    python3 bench/kafka-side-by-side-report.py OUT_DIR/results.jsonl ["a line of settings to print"]

Each line of results.jsonl names one step (round, scenario, target) and its raw output: the text of Kafka's
ProducerPerformance / ConsumerPerformance, or the JSON report of `millrace bench`. Cells are medians over the rounds;
with several rounds the individual values follow in brackets.
"""
import json
import re
import statistics
import sys

PRODUCER = re.compile(r"(\d+) (?:steady state )?records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                      r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")
CLIENT_CPU = re.compile(r"client_cpu_s ([\d.]+) ([\d.]+)")


def producer(text):
    """The steady-state summary when warm-up records were excluded, else the last summary line."""
    lines = [line for line in text.splitlines() if PRODUCER.search(line)]
    if not lines:
        raise ValueError("no ProducerPerformance summary")
    steady = [line for line in lines if "steady state" in line.lower()]
    m = PRODUCER.search((steady or lines)[-1])
    return {"records_per_s": float(m.group(2)), "mb_per_s": float(m.group(3)), "p50_ms": float(m.group(6)),
            "p99_ms": float(m.group(8)), "p999_ms": float(m.group(9)), "avg_ms": float(m.group(4))}


def consumer(text):
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("start.time"))
    names = [n.strip() for n in lines[header].split(",")]
    values = [v.strip() for v in lines[header + 1].split(",")]
    row = dict(zip(names, values))
    return {"records_per_s": float(row["fetch.nMsg.sec"]), "records_per_s_incl_join": float(row["nMsg.sec"]),
            "mb_per_s": float(row["fetch.MB.sec"]), "records": int(row["data.consumed.in.nMsg"])}


def client_cpu(text):
    m = CLIENT_CPU.search(text)
    return float(m.group(1)) + float(m.group(2)) if m else None


def load(path):
    steps = [json.loads(line) for line in open(path) if line.strip()]
    for step in steps:
        text = open(step["raw"]).read()
        if step["target"] == "kafka-tool":
            if step["scenario"].startswith("get"):
                step["tool"] = consumer(text)
            else:
                step["tool"] = producer(text)
            step["client_cpu_s"] = client_cpu(text)
        else:
            step["report"] = json.loads(text)
    return steps


def dig(node, *path):
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return "{:,.0f}".format(v)
    if abs(v) >= 1:
        return "{:,.2f}".format(v).rstrip("0").rstrip(".")
    return "%.3g" % v


def cell(values, scale=1.0):
    values = [v * scale for v in values if v is not None]
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return fmt(median)
    return "%s (%s)" % (fmt(median), " / ".join(fmt(v) for v in values))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    steps = load(sys.argv[1])
    settings = sys.argv[2] if len(sys.argv) > 2 else ""

    def pick(scenario, target):
        return [s for s in steps if s["scenario"] == scenario and s["target"] == target]

    def tool(scenario, key):
        return [dig(s, "tool", key) for s in pick(scenario, "kafka-tool")]

    def bench(scenario, target, *path):
        return [dig(s, "report", *path) for s in pick(scenario, target)]

    def broker_per_1000(scenario_put, scenario_get, target):
        """Brokers' CPU-s per 1,000 records written and read once (a Millrace backlog step does both)."""
        if target == "kafka-tool":
            puts, gets = pick(scenario_put, target), pick(scenario_get, target)
            return [(p["broker_cpu_s"] + g["broker_cpu_s"]) / p["records"] * 1000 for p, g in zip(puts, gets)]
        return [s["broker_cpu_s"] / dig(s, "report", "settings", "records") * 1000 for s in pick(scenario_get, target)]

    loads = [s["load_start"] for s in steps] + [s["load_end"] for s in steps]
    print("Settings: %s. Load average during the steps: %s to %s (median %s)." % (
        settings, fmt(min(loads)), fmt(max(loads)), fmt(statistics.median(loads))))
    print()
    targets = ["kafka-tool", "millrace-kafka", "millrace-embedded"]
    print("| | Kafka's own tools | Millrace on Kafka | ratio Millrace/Kafka | Millrace embedded |")
    print("|---|---|---|---|---|")

    def row(label, values_by_target, ratio_wanted=False):
        k, mk, me = (values_by_target.get(t, []) for t in targets)
        ratio = None
        if ratio_wanted and median(k) and median(mk) is not None:
            ratio = "%.0f %%" % (100 * median(mk) / median(k))
        print("| %s | %s | %s | %s | %s |" % (label, cell(k), cell(mk), ratio or "", cell(me)))

    for size in (100, 1024):
        put, get = "put-%d" % size, "get-%d" % size
        row("put records/s, %d B (tool: producer, acks=all; Millrace: PutRecords 500 × %d B)" % (size, size),
            {"kafka-tool": tool(put, "records_per_s"),
             "millrace-kafka": bench(put, "millrace-kafka", "put", "recordsPerS"),
             "millrace-embedded": bench(put, "millrace-embedded", "put", "recordsPerS")}, True)
        print_latency("put latency p50 / p99 ms, %d B (tool: per record; Millrace: per PutRecords call)" % size,
                      tool, bench, put)
        row("server CPU-s per 1,000 records put, %d B (Millrace server only)" % size,
            {"millrace-kafka": bench(put, "millrace-kafka", "server", "cpuSPer1000Records"),
             "millrace-embedded": bench(put, "millrace-embedded", "server", "cpuSPer1000Records")})
        row("client CPU-s per 1,000 records put, %d B (tool: its whole JVM; Millrace: the load generator)" % size,
            {"kafka-tool": [s["client_cpu_s"] / s["records"] * 1000 for s in pick(put, "kafka-tool")],
             "millrace-kafka": bench(put, "millrace-kafka", "generator", "cpuSPer1000Records"),
             "millrace-embedded": bench(put, "millrace-embedded", "generator", "cpuSPer1000Records")})
        row("brokers' cores during the put step, %d B" % size,
            {t: [s["broker_cpu_s"] / s["wall_s"] for s in pick(put, t)] for t in targets[:2]})
        row("get records/s, %d B (tool: consumer; Millrace: GetRecords on a backlog, one reader per shard)" % size,
            {"kafka-tool": tool(get, "records_per_s"),
             "millrace-kafka": bench(get, "millrace-kafka", "reads", "polling", "recordsPerS"),
             "millrace-embedded": bench(get, "millrace-embedded", "reads", "polling", "recordsPerS")}, True)
        row("server CPU-s per 1,000 records read, %d B" % size,
            {"millrace-kafka": bench(get, "millrace-kafka", "server", "readPhaseCpuSPer1000RecordsRead"),
             "millrace-embedded": bench(get, "millrace-embedded", "server", "readPhaseCpuSPer1000RecordsRead")})
        row("brokers' CPU-s per 1,000 records written and read once, %d B" % size,
            {t: broker_per_1000(put, get, t) for t in targets[:2]}, True)
    row("low load: put records/s (tool: producer throttled; Millrace: PutRecord, open loop, lean client)",
        {"kafka-tool": tool("latency", "records_per_s"),
         "millrace-kafka": bench("latency", "millrace-kafka", "put", "recordsPerS"),
         "millrace-embedded": bench("latency", "millrace-embedded", "put", "recordsPerS")})
    row("low load: put latency p50 ms (tool: send to ack; Millrace: PutRecord request)",
        {"kafka-tool": tool("latency", "p50_ms"),
         "millrace-kafka": bench("latency", "millrace-kafka", "put", "requestLatencyMs", "p50"),
         "millrace-embedded": bench("latency", "millrace-embedded", "put", "requestLatencyMs", "p50")})
    row("low load: put latency p99 ms",
        {"kafka-tool": tool("latency", "p99_ms"),
         "millrace-kafka": bench("latency", "millrace-kafka", "put", "requestLatencyMs", "p99"),
         "millrace-embedded": bench("latency", "millrace-embedded", "put", "requestLatencyMs", "p99")})
    row("low load: fan-out put-to-push p50 ms",
        {"millrace-kafka": bench("latency", "millrace-kafka", "reads", "fanOut", "putToReadMs", "p50"),
         "millrace-embedded": bench("latency", "millrace-embedded", "reads", "fanOut", "putToReadMs", "p50")})
    row("low load: fan-out put-to-push p99 ms",
        {"millrace-kafka": bench("latency", "millrace-kafka", "reads", "fanOut", "putToReadMs", "p99"),
         "millrace-embedded": bench("latency", "millrace-embedded", "reads", "fanOut", "putToReadMs", "p99")})
    row("low load: server CPU-s per 1,000 records (PutRecord + push)",
        {"millrace-kafka": bench("latency", "millrace-kafka", "server", "cpuSPer1000Records"),
         "millrace-embedded": bench("latency", "millrace-embedded", "server", "cpuSPer1000Records")})
    problems = []
    for s in steps:
        r = s.get("report")
        if r:
            errors = sum((r.get("errors") or {}).values()) + sum((r.get("throttles") or {}).values())
            missing = sum(v.get("missingRecords", 0) for v in (r.get("reads") or {}).values())
            if errors or missing:
                problems.append("%s %s round %s: %d errors/throttles, %d records not read" % (
                    s["target"], s["scenario"], s["round"], errors, missing))
    print()
    print("Errors, throttles, records not read: %s." % ("; ".join(problems) if problems else "none"))


def print_latency(label, tool, bench, put):
    def pair(p50, p99):
        return "%s / %s" % (cell(p50), cell(p99))
    print("| %s | %s | %s | | %s |" % (
        label, pair(tool(put, "p50_ms"), tool(put, "p99_ms")),
        pair(bench(put, "millrace-kafka", "put", "requestLatencyMs", "p50"),
             bench(put, "millrace-kafka", "put", "requestLatencyMs", "p99")),
        pair(bench(put, "millrace-embedded", "put", "requestLatencyMs", "p50"),
             bench(put, "millrace-embedded", "put", "requestLatencyMs", "p99"))))


if __name__ == "__main__":
    main()
