// Runs inside the browser page, bundled by bundle-page.mjs: the AWS SDK for JavaScript v3 Kinesis client (its browser
// build: fetch, WebCrypto) against a Millrace endpoint of another origin, so every call passes the browser's CORS
// checks, preflights for the SDK's own headers (x-amz-target, x-amz-user-agent, amz-sdk-*) included.
// Query: ?endpoint=<url>&stream=<name>&records=<n>&prefix=<text>. Writes records <prefix>-0 .. <prefix>-(n-1), half
// with PutRecord and half in one PutRecords, then reads every shard from TRIM_HORIZON with GetShardIterator and
// GetRecords. The report goes into #result as JSON, with data-state "done" or "failed" (which step, which error).
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand,
  ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand,
} from "@aws-sdk/client-kinesis";

const query = new URLSearchParams(location.search);
const endpoint = query.get("endpoint");
const streamName = query.get("stream");
const recordCount = Number(query.get("records"));
const prefix = query.get("prefix");
const calls = [];
let step = "start";

const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});

async function call(command) {
  step = command.constructor.name;
  const out = await client.send(command);
  calls.push(step);
  return out;
}

async function run() {
  await call(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
  for (let i = 0; ; i++) {
    const d = await call(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") break;
    if (i === 50) throw new Error("stream not ACTIVE after 50 DescribeStreamSummary calls");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const enc = new TextEncoder();
  const written = [...Array(recordCount).keys()].map((i) => `${prefix}-${i}`);
  const single = written.slice(0, Math.ceil(recordCount / 2));
  const batch = written.slice(single.length);
  for (const data of single) {
    await call(new PutRecordCommand({ StreamName: streamName, PartitionKey: data, Data: enc.encode(data) }));
  }
  const put = await call(new PutRecordsCommand({ StreamName: streamName,
    Records: batch.map((data) => ({ PartitionKey: data, Data: enc.encode(data) })) }));
  if (put.FailedRecordCount !== 0) throw new Error(`PutRecords failed ${put.FailedRecordCount} records`);

  const dec = new TextDecoder();
  const read = [];
  const { Shards: shards } = await call(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of shards) {
    let { ShardIterator: iterator } = await call(new GetShardIteratorCommand({
      StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }));
    // Until a call returns nothing: records are readable once acknowledged, so one call with data is enough here.
    for (let n = 0; iterator && n < 5; n++) {
      const got = await call(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
      for (const record of got.Records) read.push(dec.decode(record.Data));
      if (got.Records.length === 0) break;
      iterator = got.NextShardIterator;
    }
  }
  return { pageOrigin: location.origin, shards: shards.length, calls, written, read };
}

const result = document.getElementById("result");
run().then((report) => {
  result.textContent = JSON.stringify(report);
  result.dataset.state = "done";
}, (e) => {
  result.textContent = JSON.stringify({ pageOrigin: location.origin, calls, failedStep: step,
    error: `${e.name}: ${e.message}` });
  result.dataset.state = "failed";
});
