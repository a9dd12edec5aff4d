// Enhanced fan-out with the AWS SDK for JavaScript v3 default Kinesis client (HTTP/2): creates a one-shard stream,
// writes N records, registers a consumer, waits for it to be ACTIVE, subscribes from TRIM_HORIZON and iterates the
// event stream until the N records have arrived; then writes L more ("live", pushed on the open subscription) and
// iterates until those have arrived too.
// Usage: node subscribe-to-shard.mjs <endpoint> <streamName> <records> [liveRecords] [timeoutSeconds]
// Prints one JSON line: {"written":N+L,"received":N+L,"inOrder":bool,"events":N,"otherEvents":[...],
// "continuationIsLast":bool,"protocols":[...],"ms":N,"error":null|"..."}; exits 0 only if every record arrived once,
// in order, byte for byte, over HTTP/2 and without an error; 1 otherwise (or when the timeout passes first).
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand, SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";

const [endpoint, streamName, recordsArg, liveArg, timeoutArg] = process.argv.slice(2);
const backlog = Number(recordsArg ?? 5000);
const live = Number(liveArg ?? 10);
const total = backlog + live;
const timeoutMs = 1000 * Number(timeoutArg ?? 60);
const started = Date.now();
const result = {
  written: 0, received: 0, inOrder: true, events: 0, otherEvents: [], continuationIsLast: false, protocols: [],
  ms: 0, error: null,
};

function finish(code) {
  result.ms = Date.now() - started;
  result.protocols = [...protocols];
  console.log(JSON.stringify(result));
  process.exit(code);
}

setTimeout(() => {
  result.error = result.error ?? `timed out after ${timeoutMs} ms`;
  finish(1);
}, timeoutMs).unref();

const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});
const protocols = new Set();
client.middlewareStack.add((next) => async (args) => {
  const out = await next(args);
  const res = out.response;
  protocols.add(res && res.headers && res.headers[":status"] !== undefined ? "h2" : "http/1.1");
  return out;
}, { step: "deserialize", name: "recordProtocol" });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();
const dec = new TextDecoder();

try {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  let stream;
  for (let i = 0; i < 100; i++) {
    stream = (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
      .StreamDescriptionSummary;
    if (stream.StreamStatus === "ACTIVE") break;
    await sleep(100);
  }
  if (stream.StreamStatus !== "ACTIVE") throw new Error(`stream still ${stream.StreamStatus}`);

  const sequenceNumbers = [];
  async function put(from, to) {
    for (let done = from; done < to; done += 500) {
      const Records = [];
      for (let i = done; i < Math.min(to, done + 500); i++) {
        Records.push({ PartitionKey: `k${i % 17}`, Data: enc.encode(`r-${i}`) });
      }
      const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records }));
      if (out.FailedRecordCount !== 0) throw new Error(`PutRecords failed ${out.FailedRecordCount} records`);
      for (const r of out.Records) sequenceNumbers.push(r.SequenceNumber);
    }
    result.written = sequenceNumbers.length;
  }
  await put(0, backlog);

  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({
    StreamARN: stream.StreamARN, ConsumerName: `${streamName}-js` }));
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") break;
    await sleep(100);
  }

  const response = await client.send(new SubscribeToShardCommand({
    ConsumerARN: Consumer.ConsumerARN, ShardId: "shardId-000000000000",
    StartingPosition: { Type: "TRIM_HORIZON" } }));
  if (backlog === 0) {
    await put(0, total);
  }
  let lastContinuation = null;
  for await (const event of response.EventStream) {
    if (!event.SubscribeToShardEvent) {
      result.otherEvents.push(Object.keys(event).join(","));
      continue;
    }
    result.events++;
    const e = event.SubscribeToShardEvent;
    for (const r of e.Records) {
      const i = result.received++;
      if (result.inOrder && (i >= total || dec.decode(r.Data) !== `r-${i}` || r.SequenceNumber !== sequenceNumbers[i])) {
        result.inOrder = false;
        result.error = `record ${i}: expected r-${i} ${sequenceNumbers[i]}, got ${dec.decode(r.Data)} ${r.SequenceNumber}`;
      }
    }
    if (!result.inOrder) break;
    lastContinuation = e.ContinuationSequenceNumber;
    if (result.received === backlog && result.written < total) {
      await put(backlog, total);
    }
    if (result.received >= total) break;
  }
  if (result.received < total && result.error === null) {
    result.error = `the event stream ended after ${result.received} of ${total} records`;
  }
  result.continuationIsLast = lastContinuation === sequenceNumbers[total - 1];
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}
client.destroy();
const ok = result.error === null && result.received === total && result.written === total && result.inOrder
  && result.continuationIsLast && result.otherEvents.length === 0
  && protocols.size === 1 && protocols.has("h2");
finish(ok ? 0 : 1);
