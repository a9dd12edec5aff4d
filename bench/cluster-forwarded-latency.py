#!/usr/bin/env python3
"""The extra latency of a call one Millrace node forwards to another (issue 15), measured from outside.

    python3 bench/cluster-forwarded-latency.py --endpoints http://127.0.0.1:4821,http://127.0.0.1:4822,... \
        [--samples N] [--shards N] [--stream NAME] [--pause-ms MS]

Prints one JSON object: per kind of call, the latency (p50, p99, mean, max, in ms) of N sequential calls, one at a
time, over one kept-alive HTTP/1.1 connection per node, AWS JSON 1.1, 100-byte records:
  describe-local          DescribeStreamSummary: answered from the node's own view on every node
  tags-via-writer         AddTagsToStream / RemoveTagsFromStream (alternately) sent to the metadata writer
  tags-via-follower       the same sent to a follower, which forwards it whole to the writer and answers once its
                          own view holds the writer's change (ClusterCalls)
  put-owner-here          PutRecord whose ExplicitHashKey falls in a shard the called node owns
  put-owner-elsewhere     PutRecord whose shard another node owns: one internal append call (RemoteAppend)
With one endpoint, every call is local (the writer, the owner of every shard): the baseline of a single node.

Who owns a shard is not visible from outside. This script computes it as the server does (ShardOwners: rendezvous
hashing with FNV-1a 64 and MurmurHash3's fmix64 of region, stream name, the stream's creation time in ms and the
shard index, against each live node's id from GET /_millrace/cluster) and then checks it against the latencies:
"ownership_check" compares the two put groups' medians. A difference in ShardOwners would show up there as two
groups with the same latency.

The signature is not checked by Millrace (only its shape), so requests carry a well-formed dummy one. Calls are
interleaved (node by node, kind by kind, sample by sample) so that the machine's noise hits every kind alike.
"""
import argparse
import base64
import http.client
import json
import statistics
import sys
import time
import urllib.parse

REGION = "us-east-1"
MASK = (1 << 64) - 1


def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & MASK
    return h


def mix(z):
    z &= MASK
    z = ((z ^ (z >> 33)) * 0xff51afd7ed558ccd) & MASK
    z = ((z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53) & MASK
    return z ^ (z >> 33)


def owner_of(node_ids, stream, epoch_ms, shard_index, region=REGION):
    """ShardOwners.ownerOf: Java's signed 64-bit arithmetic is the same modulo 2^64; scores compare unsigned."""
    if len(node_ids) <= 1:
        return node_ids[0]
    shard = mix((fnv(region) * 31 + fnv(stream)) & MASK) ^ mix((epoch_ms * 31 + shard_index) & MASK)
    best, best_score = None, -1
    for node in node_ids:
        score = mix(shard ^ fnv(node))
        if best is None or score > best_score or (score == best_score and node < best):
            best, best_score = node, score
    return best


class Node:
    """One kept-alive connection to one Millrace node. Not thread-safe."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        u = urllib.parse.urlparse(endpoint)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                # A connection the server closed while idle: one reconnect, outside any timed call's result.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise

    def cluster(self):
        status, body = self.request("GET", "/_millrace/cluster")
        if status != 200:
            raise SystemExit("%s: GET /_millrace/cluster answered %d: %s" % (self.endpoint, status, body[:200]))
        return json.loads(body)

    def call(self, operation, payload):
        """One Kinesis call; (latency in seconds, status, parsed body)."""
        body = json.dumps(payload).encode()
        now = time.gmtime()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202." + operation,
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", now),
            "Authorization": "AWS4-HMAC-SHA256 Credential=bench/%s/%s/kinesis/aws4_request, SignedHeaders=host, "
                             "Signature=0" % (time.strftime("%Y%m%d", now), REGION),
        }
        t0 = time.perf_counter()
        status, raw = self.request("POST", "/", body, headers)
        elapsed = time.perf_counter() - t0
        return elapsed, status, (json.loads(raw) if raw else {})


def must(node, operation, payload):
    _, status, answer = node.call(operation, payload)
    if status != 200:
        raise SystemExit("%s %s answered %d: %s" % (node.endpoint, operation, status, answer))
    return answer


def summary(seconds):
    if not seconds:
        return None
    ms = sorted(s * 1000 for s in seconds)

    def rank(q):
        return ms[min(len(ms) - 1, max(0, int(round(q * len(ms) + 0.5)) - 1))]
    return {"count": len(ms), "p50": round(rank(0.50), 3), "p99": round(rank(0.99), 3),
            "mean": round(statistics.fmean(ms), 3), "max": round(ms[-1], 3)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoints", required=True, help="comma-separated node URLs")
    p.add_argument("--samples", type=int, default=300, help="timed calls per kind and node (default 300)")
    p.add_argument("--warmup", type=int, default=30, help="untimed calls per kind and node first (default 30)")
    p.add_argument("--shards", type=int, default=12, help="shards of the stream (default 12)")
    p.add_argument("--stream", default="forwarded-latency-%d" % int(time.time()))
    p.add_argument("--pause-ms", type=float, default=2.0, help="pause between calls: a low rate (default 2)")
    args = p.parse_args()

    nodes = [Node(e) for e in args.endpoints.split(",")]
    views = [n.cluster() for n in nodes]
    writer_id = views[0]["writerNode"]
    live = sorted(v["id"] for v in views[0]["liveNodes"])
    ids = [v["node"] for v in views]
    for v in views:
        if v["writerNode"] != writer_id or sorted(x["id"] for x in v["liveNodes"]) != live:
            raise SystemExit("the nodes do not agree on their cluster yet: %s" % json.dumps(views))
    if sorted(ids) != live:
        raise SystemExit("the endpoints %s are not the live nodes %s" % (ids, live))
    by_id = dict(zip(ids, nodes))
    writer = by_id[writer_id]

    must(writer, "CreateStream", {"StreamName": args.stream, "ShardCount": args.shards})
    deadline = time.time() + 120
    while True:
        d = must(writer, "DescribeStreamSummary", {"StreamName": args.stream})["StreamDescriptionSummary"]
        if d["StreamStatus"] == "ACTIVE":
            break
        if time.time() > deadline:
            raise SystemExit("stream %s not ACTIVE within 120 s" % args.stream)
        time.sleep(0.1)
    epoch_ms = int(round(float(d["StreamCreationTimestamp"]) * 1000))
    shards = must(writer, "ListShards", {"StreamName": args.stream})["Shards"]
    owners = {}
    for s in shards:
        index = int(s["ShardId"].split("-")[-1])
        owners[s["ShardId"]] = (owner_of(live, args.stream, epoch_ms, index), s["HashKeyRange"]["StartingHashKey"])
    # Every node must know the stream before it is timed (a follower learns it from the change feed).
    for n in nodes:
        deadline = time.time() + 30
        while n.call("DescribeStreamSummary", {"StreamName": args.stream})[1] != 200:
            if time.time() > deadline:
                raise SystemExit("%s does not see stream %s" % (n.endpoint, args.stream))
            time.sleep(0.05)

    latencies = {k: [] for k in ("describe-local", "tags-via-writer", "tags-via-follower", "put-owner-here",
                                 "put-owner-elsewhere")}
    errors = {}
    tag_added = {node_id: False for node_id in ids}
    data = base64.b64encode(b"x" * 100).decode()

    def timed(kind, node, operation, request, keep):
        elapsed, status, answer = node.call(operation, request)
        if status != 200:
            key = "%s %s %d %s" % (kind, operation, status, answer.get("__type", ""))
            errors[key] = errors.get(key, 0) + 1
        elif keep:
            latencies[kind].append(elapsed)
        if args.pause_ms > 0:
            time.sleep(args.pause_ms / 1000)

    for sample in range(args.warmup + args.samples):
        keep = sample >= args.warmup
        for node_id, node in by_id.items():
            timed("describe-local", node, "DescribeStreamSummary", {"StreamName": args.stream}, keep)
            kind = "tags-via-writer" if node_id == writer_id else "tags-via-follower"
            tag = "bench-" + node_id
            if tag_added[node_id]:
                timed(kind, node, "RemoveTagsFromStream", {"StreamName": args.stream, "TagKeys": [tag]}, keep)
            else:
                timed(kind, node, "AddTagsToStream", {"StreamName": args.stream, "Tags": {tag: str(sample)}}, keep)
            tag_added[node_id] = not tag_added[node_id]
            here = [sid for sid, (o, _) in owners.items() if o == node_id]
            elsewhere = [sid for sid, (o, _) in owners.items() if o != node_id]
            for kind, group in (("put-owner-here", here), ("put-owner-elsewhere", elsewhere)):
                if group:
                    sid = group[sample % len(group)]
                    timed(kind, node, "PutRecord", {"StreamName": args.stream, "PartitionKey": "k",
                                                    "ExplicitHashKey": owners[sid][1],
                                                    "Data": data}, keep)

    must(writer, "DeleteStream", {"StreamName": args.stream, "EnforceConsumerDeletion": True})
    out = {"nodes": ids, "writer": writer_id, "stream": args.stream, "streamEpochMs": epoch_ms,
           "shardOwners": {sid: o for sid, (o, _) in sorted(owners.items())},
           "samplesPerKindAndNode": args.samples, "pauseMs": args.pause_ms,
           "latencyMs": {k: summary(v) for k, v in latencies.items()}, "errors": errors}
    lat = out["latencyMs"]
    if lat["put-owner-here"] and lat["put-owner-elsewhere"]:
        out["ownership_check"] = {
            "putElsewhereMinusHereP50Ms": round(lat["put-owner-elsewhere"]["p50"] - lat["put-owner-here"]["p50"], 3),
            "note": "positive and about one internal call: the computed owners match the server's"}
    json.dump(out, sys.stdout, indent=1)
    print()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
