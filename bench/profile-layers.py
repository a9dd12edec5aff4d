#!/usr/bin/env python3
"""Where a Millrace server's CPU goes, per layer, from async-profiler's collapsed stacks (issue 20).

    python3 bench/profile-layers.py FILE.collapsed [MORE.collapsed ...]

Record the stacks with async-profiler 4.1 (Maven Central: tools.profiler:async-profiler:4.1, classifier linux-x64;
unzip it and load linux-x64/libasyncProfiler.so as an agent), e.g. one file every 20 s while a benchmark runs:

    java -agentpath:/path/libasyncProfiler.so=start,event=cpu,interval=1ms,file=/tmp/p-%t.collapsed,collapsed,loop=20s \
         -jar millrace-app/target/millrace.jar server ...

and pass the files of the measured window (after the warm-up). Each sample is put in the layer of the deepest frame
(nearest the leaf) that matches one of the patterns below, in the order listed; so time in MessageDigest under
HashKeys counts as "MD5", a futex under a lock in the storage code as "thread hand-offs". Shares of all samples.
"""
import collections
import sys

CATEGORIES = [
 ("fsync (segment or write-ahead log)", ["Segment.force", "fdatasync", "fsync", "FileChannelImpl.force"]),
 ("storage: write-ahead log (copy, write)", ["WriteAheadLog"]),
 ("storage: write to segment file", ["ActiveSegment.append", "Segment.write", "pwrite"]),
 ("storage: encode batch", ["RecordBatch.encode", "RecordBatch.stamp", "Varint"]),
 ("storage: locks, snapshot, other", ["dev/millrace/storage/"]),
 ("MD5 of partition keys", ["HashKeys.ofPartitionKey", "MessageDigest"]),
 ("sequence numbers", ["SequenceNumbers"]),
 ("validation", ["Validator."]),
 ("parse request (CBOR/JSON)", ["RequestReader", "CBORParser", "JsonParser", "ReaderBasedJson", "UTF8StreamJson"]),
 ("answer (encode + write)", ["WireWriter", "KinesisHttpHandler.respond", "CBORGenerator", "ResponseWriter"]),
 ("routing, throttles, metering", ["RecordRouting", "Throttles", "RecordWriter.admit", "AutoScaler", "StreamRegistry", "ShardRouter"]),
 ("metrics", ["dev/millrace/metrics"]),
 ("auth / gate", ["sigv4", "KinesisGate", "auth/"]),
 ("record writer (groups, entries, outcomes)", ["RecordWriter", "PutRecordsHandler"]),
 ("HTTP / Netty (read, decode, aggregate, socket)", ["io/netty", "BodyAggregator", "ReadTimeouts", "KinesisHttpHandler", "epoll", "sock_", "tcp_"]),
 ("thread hand-offs (park/unpark, executor)", ["ThreadPoolExecutor", "LockSupport", "futex", "CompletableFuture", "ForkJoin", "Unsafe_Park", "Unsafe_Unpark"]),
 ("GC", ["G1", "GC", "gc_"]),
 ("JIT compiler", ["Compile", "C2", "C1", "PhaseIdealLoop", "Matcher"]),
]


def category(frames):
    for frame in reversed(frames):
        for name, patterns in CATEGORIES:
            if any(p in frame for p in patterns):
                return name
    return "other"


def main():
    total = 0
    shares = collections.Counter()
    for path in sys.argv[1:]:
        for line in open(path):
            stack, _, count = line.rstrip().rpartition(" ")
            total += int(count)
            shares[category(stack.split(";"))] += int(count)
    print("samples", total)
    for name, count in shares.most_common():
        print("%6.1f%%  %s" % (100.0 * count / total, name))


if __name__ == "__main__":
    main()
