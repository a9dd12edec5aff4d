// The live tail: polls GetRecords on every open shard of a stream and, when a shard ends (a split or a merge), goes on
// with its children from their start, each child once all of its parents that the tail reads have ended, so a key's
// records come in order across a reshard. Bounded: one GetRecords per shard per round, at most LIMIT records each.
import { GetShardIteratorCommand, GetRecordsCommand } from "@aws-sdk/client-kinesis";
import { listShards, isOpen } from "./kinesis.js";
import { deaggregate } from "./kpl.js";

const LIMIT = 1000;

/**
 * One tail of one stream. `onRecords(list)` gets [{shardId, sequenceNumber, subSequenceNumber, partitionKey,
 * arrival, data, aggregated}]; `onState({following, ended, error})` is told what the tail reads.
 * Not reentrant: one tail, one polling loop.
 */
export class Tail {
  constructor({ kinesis, streamName, from, intervalMs = 1000, onRecords, onState }) {
    this.kinesis = kinesis;
    this.streamName = streamName;
    this.from = from;
    this.intervalMs = intervalMs;
    this.onRecords = onRecords;
    this.onState = onState;
    /** shardId -> {iterator, lastSequence, parents, state: "waiting" | "reading" | "ended"} */
    this.shards = new Map();
    this.stopped = false;
    this.timer = null;
  }

  async start() {
    const shards = await listShards(this.kinesis, this.streamName);
    for (const s of shards.filter(isOpen)) {
      this.shards.set(s.ShardId, { state: "waiting", parents: [], iterator: null, lastSequence: null,
        startType: this.from });
    }
    await this.openReady();
    this.report(null);
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  schedule() {
    if (!this.stopped) {
      this.timer = setTimeout(() => this.round(), this.intervalMs);
    }
  }

  async round() {
    let error = null;
    try {
      for (const [shardId, s] of this.shards) {
        if (this.stopped) return;
        if (s.state === "reading") {
          await this.poll(shardId, s);
        }
      }
      await this.openReady();
    } catch (e) {
      error = e;
    }
    this.report(error);
    this.schedule();
  }

  async poll(shardId, s) {
    let out;
    try {
      out = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: s.iterator, Limit: LIMIT }));
    } catch (e) {
      if (e.name === "ExpiredIteratorException") {
        s.iterator = await this.iterator(shardId, s.lastSequence ? "AFTER_SEQUENCE_NUMBER" : s.startType,
          s.lastSequence);
        return;
      }
      if (e.name === "ProvisionedThroughputExceededException") return; // the next round tries again
      throw e;
    }
    const records = [];
    for (const r of out.Records ?? []) {
      s.lastSequence = r.SequenceNumber;
      const base = { shardId, sequenceNumber: r.SequenceNumber, arrival: r.ApproximateArrivalTimestamp };
      const users = await deaggregate(r.Data);
      if (users) {
        for (const u of users) {
          records.push({ ...base, subSequenceNumber: u.subSequenceNumber, partitionKey: u.partitionKey,
            data: u.data, aggregated: true });
        }
      } else {
        records.push({ ...base, subSequenceNumber: null, partitionKey: r.PartitionKey, data: r.Data,
          aggregated: false });
      }
    }
    if (records.length) this.onRecords(records);
    s.iterator = out.NextShardIterator ?? null;
    if (!s.iterator) {
      s.state = "ended";
      await this.addChildren(shardId, out.ChildShards);
    }
  }

  /** Learns an ended shard's children: from GetRecords' ChildShards, or from ListShards if it gave none. */
  async addChildren(shardId, childShards) {
    let children = (childShards ?? []).map((c) => ({ id: c.ShardId, parents: c.ParentShards ?? [shardId] }));
    if (children.length === 0) {
      const shards = await listShards(this.kinesis, this.streamName);
      children = shards.filter((c) => c.ParentShardId === shardId || c.AdjacentParentShardId === shardId)
        .map((c) => ({ id: c.ShardId, parents: [c.ParentShardId, c.AdjacentParentShardId].filter(Boolean) }));
    }
    for (const c of children) {
      if (!this.shards.has(c.id)) {
        this.shards.set(c.id, { state: "waiting", parents: c.parents, iterator: null, lastSequence: null,
          startType: "TRIM_HORIZON" });
      }
    }
  }

  /** Gets iterators for the waiting shards whose parents (those this tail reads) have all ended. */
  async openReady() {
    for (const [shardId, s] of this.shards) {
      if (s.state !== "waiting") continue;
      const ready = s.parents.every((p) => !this.shards.has(p) || this.shards.get(p).state === "ended");
      if (ready) {
        s.iterator = await this.iterator(shardId, s.startType, null);
        s.state = "reading";
      }
    }
  }

  async iterator(shardId, type, sequence) {
    const out = await this.kinesis.send(new GetShardIteratorCommand({ StreamName: this.streamName, ShardId: shardId,
      ShardIteratorType: type, ...(sequence ? { StartingSequenceNumber: sequence } : {}) }));
    return out.ShardIterator;
  }

  report(error) {
    const ids = (state) => [...this.shards].filter(([, s]) => s.state === state).map(([id]) => id);
    this.onState({ following: ids("reading"), waiting: ids("waiting"), ended: ids("ended"), error });
  }
}
