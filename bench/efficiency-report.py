#!/usr/bin/env python3
"""Turns bench/efficiency.sh's results.jsonl into the markdown tables of docs/BENCHMARKS.md (issue 20).

    python3 bench/efficiency-report.py OUT_DIR/results.jsonl ["a line of settings to print"]

Each line names one step (round, scenario, target) and its raw output: the text of Kafka's ProducerPerformance, or
the JSON report of `millrace bench`. Cells are medians over the rounds, the single values in brackets.
"""
import json
import re
import statistics
import sys

PRODUCER = re.compile(r"(\d+) (?:steady state )?records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), "
                      r"([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, "
                      r"(\d+) ms 99th, (\d+) ms 99.9th")
CLIENT_CPU = re.compile(r"client_cpu_s ([\d.]+) ([\d.]+)")


def producer(text):
    lines = [line for line in text.splitlines() if PRODUCER.search(line)]
    if not lines:
        raise ValueError("no ProducerPerformance summary")
    steady = [line for line in lines if "steady state" in line.lower()]
    m = PRODUCER.search((steady or lines)[-1])
    cpu = CLIENT_CPU.search(text)
    return {"records_per_s": float(m.group(2)), "p50_ms": float(m.group(6)), "p99_ms": float(m.group(8)),
            "client_cpu_s": float(cpu.group(1)) + float(cpu.group(2)) if cpu else None}


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return "{:,.0f}".format(v)
    if abs(v) >= 1:
        return "{:,.2f}".format(v).rstrip("0").rstrip(".")
    return "%.3g" % v


def cell(values, scale=1.0, suffix=""):
    values = [v * scale for v in values if v is not None]
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return fmt(median) + suffix
    return "%s%s (%s)" % (fmt(median), suffix, " / ".join(fmt(v) for v in values))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def dig(node, *path):
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def main():
    steps = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    for s in steps:
        text = open(s["raw"]).read()
        if s["target"] == "kafka":
            s.update(producer(text))
        else:
            s["report"] = json.loads(text)

    def kafka(scenario, key):
        return [s.get(key) for s in steps if s["scenario"] == scenario and s["target"] == "kafka"]

    def kafka_per_1000(scenario, key):
        return [s[key] / s["records"] * 1000 if s.get(key) is not None else None
                for s in steps if s["scenario"] == scenario and s["target"] == "kafka"]

    def mill(scenario, *path):
        return [dig(s["report"], *path) for s in steps if s["scenario"] == scenario and s["target"] == "millrace"]

    if len(sys.argv) > 2:
        print("Settings: " + sys.argv[2] + ".")
    loads = [s["load_start"] for s in steps] + [s["load_end"] for s in steps]
    print("Load average at the steps' starts and ends: %s to %s (median %s).\n"
          % (fmt(min(loads)), fmt(max(loads)), fmt(statistics.median(loads))))

    print("| | Kafka 4.4, one broker, producer perf tool (acks=all, defaults) | Millrace embedded, PutRecords of 500 "
          "(SYNC) | Millrace / Kafka |")
    print("|---|---|---|---|")
    for size in (100, 1024):
        sc = "put-%d" % size
        k, m = kafka(sc, "records_per_s"), mill(sc, "put", "recordsPerS")
        if not k and not m:
            continue
        ratio = median(m) / median(k) * 100 if median(k) and median(m) else None
        print("| records/s, %d B | %s | %s | %s |" % (size, cell(k), cell(m), fmt(ratio) + " %" if ratio else "–"))
        print("| server CPU-ms per 1,000 records, %d B (Kafka: the broker) | %s | %s | |"
              % (size, cell(kafka_per_1000(sc, "broker_cpu_s"), 1000), cell(mill(sc, "server", "cpuSPer1000Records"),
                                                                             1000)))
        print("| client CPU-ms per 1,000 records, %d B (Kafka: the tool's whole JVM; Millrace: the generator) | %s "
              "| %s | |" % (size, cell(kafka_per_1000(sc, "client_cpu_s"), 1000),
                            cell(mill(sc, "generator", "cpuSPer1000Records"), 1000)))
        print("| latency p50 / p99 ms, %d B (Kafka: per record; Millrace: per call) | %s / %s | %s / %s | |"
              % (size, cell(kafka(sc, "p50_ms")), cell(kafka(sc, "p99_ms")),
                 cell(mill(sc, "put", "requestLatencyMs", "p50")), cell(mill(sc, "put", "requestLatencyMs", "p99"))))

    base = median(mill("shards-4", "put", "recordsPerS"))
    if base:
        print("\n| PutRecords of 500 x 100 B, 100,000 partition keys | records/s | share of 4 shards | server CPU-ms "
              "per 1,000 | generator CPU-ms per 1,000 | call p50 / p99 ms |")
        print("|---|---|---|---|---|---|")
        for sc, label in (("shards-4", "4 shards"), ("shards-1000", "1,000 shards (1 stream)"),
                          ("shards-10000", "10,000 shards (10 streams of 1,000)")):
            r = mill(sc, "put", "recordsPerS")
            if not r:
                continue
            print("| %s | %s | %s | %s | %s | %s / %s |" % (
                label, cell(r), fmt(median(r) / base * 100) + " %", cell(mill(sc, "server", "cpuSPer1000Records"),
                                                                           1000),
                cell(mill(sc, "generator", "cpuSPer1000Records"), 1000), cell(mill(sc, "put", "requestLatencyMs",
                                                                                   "p50")),
                cell(mill(sc, "put", "requestLatencyMs", "p99"))))

    if mill("latency", "put", "recordsPerS"):
        print("\n| Low load, 100 B | p50 ms | p99 ms | p99.9 ms | server CPU-ms per call | client CPU-ms per call |")
        print("|---|---|---|---|---|---|")
        print("| Kafka producer, send to ack (whole ms) | %s | %s | – | %s | %s |" % (
            cell(kafka("latency", "p50_ms")), cell(kafka("latency", "p99_ms")),
            cell(kafka_per_1000("latency", "broker_cpu_s")), cell(kafka_per_1000("latency", "client_cpu_s"))))
        print("| Millrace PutRecord, lean client, open loop | %s | %s | %s | %s | %s |" % (
            cell(mill("latency", "put", "requestLatencyMs", "p50")),
            cell(mill("latency", "put", "requestLatencyMs", "p99")),
            cell(mill("latency", "put", "requestLatencyMs", "p999")),
            cell(mill("latency", "server", "cpuSPer1000Records")),
            cell(mill("latency", "generator", "cpuSPer1000Records"))))

    bad = []
    for s in steps:
        r = s.get("report")
        if r:
            errors = sum((r.get("errors") or {}).values()) + sum((r.get("throttles") or {}).values())
            failed = dig(r, "put", "recordsFailed") or 0
            if errors or failed:
                bad.append("%s round %s: %d errors/throttles, %d records failed" % (s["scenario"], s["round"],
                                                                                  errors, failed))
    print("\n" + ("; ".join(bad) if bad else "Errors, throttles, failed records: none."))


if __name__ == "__main__":
    main()
