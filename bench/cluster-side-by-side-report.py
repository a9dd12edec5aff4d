#!/usr/bin/env python3
"""Turns bench/cluster-side-by-side.sh's results.jsonl into the markdown tables of docs/BENCHMARKS.md.

    python3 bench/cluster-side-by-side-report.py OUT_DIR/results.jsonl ["a line of settings to print"]

Each line of results.jsonl is one step (round, scenario, setup "one" or "three") and its raw outputs: the JSON reports
of the three load generators that ran at once, or the JSON of bench/cluster-forwarded-latency.py. The three
generators of a step are combined as follows (and only so):
  records/s        written: the sum of the three rates (their measured windows are the same length and start within
                   a second of each other); read on a backlog: all records read / the longest of the three windows,
                   which cannot overstate the rate when the windows do not line up
  latency p50      the median of the three generators' p50; p99: the highest of their p99 (percentiles of separate
                   histograms cannot be merged exactly; this does not flatter)
  server CPU       the nodes' CPU-s each generator measured over its own measured window (one generator per node;
                   for one node, one generator only) / all records
Cells are medians over the rounds; with several rounds the individual values follow in brackets.
"""
import json
import statistics
import sys


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


def cell(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    m = statistics.median(values)
    if len(values) == 1:
        return fmt(m)
    return "%s (%s)" % (fmt(m), " / ".join(fmt(v) for v in values))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def total(values):
    return None if any(v is None for v in values) or not values else sum(values)


def combine(step):
    """One step's three generator reports as the figures of the table."""
    reps = step["reports"]
    out = {}
    out["put_rps"] = total([dig(r, "put", "recordsPerS") for r in reps])
    out["put_p50"] = median([dig(r, "put", "requestLatencyMs", "p50") for r in reps])
    p99s = [dig(r, "put", "requestLatencyMs", "p99") for r in reps]
    out["put_p99"] = max(p99s) if all(v is not None for v in p99s) else None
    acked = total([dig(r, "put", "recordsAcknowledged") for r in reps])
    server = [dig(r, "server", "cpuS") for r in reps if r.get("server")]
    out["server_cpu_per_1000"] = sum(server) / acked * 1000 if server and acked else None
    gen = total([dig(r, "generator", "cpuS") for r in reps])
    out["generator_cpu_per_1000"] = gen / acked * 1000 if gen is not None and acked else None
    read = total([dig(r, "reads", "polling", "records") for r in reps])
    windows = [dig(r, "reads", "polling", "windowS") for r in reps]
    out["get_rps"] = read / max(windows) if read and all(windows) else None
    read_cpu = [dig(r, "server", "readPhaseCpuS") for r in reps if r.get("server")]
    out["server_cpu_per_1000_read"] = sum(read_cpu) / read * 1000 if read_cpu and read else None
    out["push_p50"] = median([dig(r, "reads", "fanOut", "putToReadMs", "p50") for r in reps])
    push99 = [dig(r, "reads", "fanOut", "putToReadMs", "p99") for r in reps]
    out["push_p99"] = max(push99) if push99 and all(v is not None for v in push99) else None
    out["broker_cores"] = step["broker_cpu_s"] / step["wall_s"]
    out["nodes_cores"] = step["nodes_cpu_s"] / step["wall_s"]
    out["node_cores"] = {n: cpu / step["wall_s"] for n, cpu in (step.get("node_cpu_s") or {}).items()}
    problems = 0
    missing = 0
    for r in reps:
        problems += sum((r.get("errors") or {}).values()) + sum((r.get("throttles") or {}).values())
        missing += sum(v.get("missingRecords", 0) for v in (r.get("reads") or {}).values())
    out["problems"], out["missing"] = problems, missing
    return out


def load(path):
    steps = [json.loads(line) for line in open(path) if line.strip()]
    for s in steps:
        docs = [json.load(open(raw)) for raw in s["raws"]]
        if s["kind"] == "bench":
            s["reports"] = docs
            s["figures"] = combine(s)
        else:
            s["forward"] = docs[0]
    return steps


def main():
    steps = load(sys.argv[1])
    settings = sys.argv[2] if len(sys.argv) > 2 else ""

    def values(scenario, setup, key):
        return [s["figures"][key] for s in steps
                if s["kind"] == "bench" and s["scenario"] == scenario and s["setup"] == setup]

    loads = [s["load_start"] for s in steps] + [s["load_end"] for s in steps]
    print("Settings: %s. Load average during the steps: %s to %s (median %s)." % (
        settings, fmt(min(loads)), fmt(max(loads)), fmt(statistics.median(loads))))
    print()
    print("| | one node | three nodes | three / one |")
    print("|---|---|---|---|")

    def row(label, scenario, key, ratio=True):
        one, three = values(scenario, "one", key), values(scenario, "three", key)
        r = ""
        if ratio and median(one) and median(three) is not None:
            r = "%.0f %%" % (100 * median(three) / median(one))
        print("| %s | %s | %s | %s |" % (label, cell(one), cell(three), r))

    def per_node_row(label, scenario):
        """Each node's cores (median over the rounds), so that the writer and the followers can be told apart."""
        cells = []
        for setup in ("one", "three"):
            per = {}
            for s in steps:
                if s["kind"] == "bench" and s["scenario"] == scenario and s["setup"] == setup:
                    for n, cores in s["figures"]["node_cores"].items():
                        per.setdefault(n, []).append(cores)
            cells.append(" / ".join("%s %s" % (n, cell(v)) for n, v in sorted(per.items())) or "–")
        print("| %s | %s | %s | |" % (label, cells[0], cells[1]))

    def pair_row(label, scenario, k50, k99):
        one = "%s / %s" % (cell(values(scenario, "one", k50)), cell(values(scenario, "one", k99)))
        three = "%s / %s" % (cell(values(scenario, "three", k50)), cell(values(scenario, "three", k99)))
        print("| %s | %s | %s | |" % (label, one, three))

    for size in (100, 1024):
        put, get = "put-%d" % size, "get-%d" % size
        row("PutRecords 500 × %d B: records/s (sum of 3 generators)" % size, put, "put_rps")
        pair_row("PutRecords 500 × %d B: call latency p50 / p99 ms" % size, put, "put_p50", "put_p99")
        row("PutRecords %d B: Millrace CPU-s per 1,000 records (all nodes)" % size, put, "server_cpu_per_1000")
        row("PutRecords %d B: Millrace nodes' cores during the step" % size, put, "nodes_cores")
        per_node_row("PutRecords %d B: each node's cores during the step" % size, put)
        row("PutRecords %d B: broker's cores during the step" % size, put, "broker_cores")
        row("GetRecords on a backlog, %d B: records/s (all read / longest window)" % size, get, "get_rps")
        row("GetRecords %d B: Millrace CPU-s per 1,000 records read (all nodes)" % size, get,
            "server_cpu_per_1000_read")
    pair_row("PutRecord at a low rate: latency p50 / p99 ms", "latency", "put_p50", "put_p99")
    pair_row("PutRecord at a low rate: fan-out put-to-push p50 / p99 ms", "latency", "push_p50", "push_p99")
    row("PutRecord at a low rate: Millrace CPU-s per 1,000 records (PutRecord + push)", "latency",
        "server_cpu_per_1000")

    fwd = [s for s in steps if s["kind"] == "forward"]
    if fwd:
        print()
        print("Forwarded calls, one at a time at a low rate (ms; p50 / p99 of each kind over the nodes; "
              "\"extra\" = p50 minus the local call's p50):")
        print()
        print("| call | one node | three nodes | extra p50, three nodes |")
        print("|---|---|---|---|")

        def lat(setup, kind, q):
            return [dig(s["forward"], "latencyMs", kind, q) for s in fwd if s["setup"] == setup]

        def extra(kind, base):
            return [dig(s["forward"], "latencyMs", kind, "p50") - dig(s["forward"], "latencyMs", base, "p50")
                    for s in fwd if s["setup"] == "three" and dig(s["forward"], "latencyMs", kind, "p50") is not None]

        labels = [("describe-local", "DescribeStreamSummary (local on every node)", None),
                  ("tags-via-writer", "Add/RemoveTagsToStream via the writer", None),
                  ("tags-via-follower", "Add/RemoveTagsToStream via a follower (forwarded to the writer)",
                   "tags-via-writer"),
                  ("put-owner-here", "PutRecord, shard owned by the node called", None),
                  ("put-owner-elsewhere", "PutRecord, shard owned by another node (one internal append)",
                   "put-owner-here")]
        for kind, label, base in labels:
            one = "%s / %s" % (cell(lat("one", kind, "p50")), cell(lat("one", kind, "p99")))
            three = "%s / %s" % (cell(lat("three", kind, "p50")), cell(lat("three", kind, "p99")))
            if lat("one", kind, "p50") == [None] * len(lat("one", kind, "p50")):
                one = "– (no such call with one node)"
            print("| %s | %s | %s | %s |" % (label, one, three, cell(extra(kind, base)) if base else ""))
        owners = [s["forward"]["shardOwners"] for s in fwd if s["setup"] == "three"]
        if owners:
            counts = {}
            for o in owners[0].values():
                counts[o] = counts.get(o, 0) + 1
            print()
            print("Shard owners computed by the client (round 1, 12 shards): %s; writer: %s." % (
                ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                ", ".join(s["forward"]["writer"] for s in fwd if s["setup"] == "three")))

    problems = []
    for s in steps:
        if s["kind"] == "bench" and (s["figures"]["problems"] or s["figures"]["missing"]):
            problems.append("%s %s round %s: %d errors/throttles, %d records not read" % (
                s["setup"], s["scenario"], s["round"], s["figures"]["problems"], s["figures"]["missing"]))
        if s["kind"] == "forward" and s["forward"].get("errors"):
            problems.append("forwarded-call client, %s, round %s: %s" % (s["setup"], s["round"],
                                                                         json.dumps(s["forward"]["errors"])))
    print()
    print("Errors, throttles, records not read: %s." % ("; ".join(problems) if problems else "none"))


if __name__ == "__main__":
    main()
