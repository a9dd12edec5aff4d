// Drives a Millrace endpoint with the AWS SDK for JavaScript v3 default Kinesis client, which speaks HTTP/2.
// Usage: node kinesis-sdk-v3.mjs <endpoint> <streamName> <calls>
// Prints one JSON line: {"calls":N,"errors":N,"firstError":"...","recordsWritten":N,"recordsRead":N,"protocols":[...]};
// exits 1 on any error or if the records read back differ in number from those written.
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand,
  ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand, ListStreamsCommand,
} from "@aws-sdk/client-kinesis";

const [endpoint, streamName, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 1000);
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});
const protocols = new Set();
client.middlewareStack.add((next) => async (args) => {
  const result = await next(args);
  const res = result.response;
  protocols.add(res && res.headers && res.headers[":status"] !== undefined ? "h2" : "http/1.1");
  return result;
}, { step: "deserialize", name: "recordProtocol" });

let done = 0, errors = 0, firstError = null, recordsRead = 0, recordsWritten = 0;
async function call(command) {
  try {
    const out = await client.send(command);
    done++;
    return out;
  } catch (e) {
    done++; errors++;
    if (firstError === null) firstError = `${e.name}: ${e.message}`;
    return null;
  }
}

await call(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
for (let i = 0; i < 50; i++) {
  const d = await call(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  if (d && d.StreamDescriptionSummary.StreamStatus === "ACTIVE") break;
  await new Promise((r) => setTimeout(r, 100));
}
const enc = new TextEncoder();
while (done < calls - 4) {
  const n = done % 10;
  if (n === 0) {
    const out = await call(new PutRecordsCommand({ StreamName: streamName, Records: [
      { PartitionKey: `k${done}`, Data: enc.encode(`batch-${done}-a`) },
      { PartitionKey: `k${done + 1}`, Data: enc.encode(`batch-${done}-b`) }] }));
    if (out) recordsWritten += 2 - out.FailedRecordCount;
  } else if (n === 5) {
    await call(new ListStreamsCommand({}));
  } else {
    if (await call(new PutRecordCommand({ StreamName: streamName, PartitionKey: `k${done}`, Data: enc.encode(`r-${done}`) }))) {
      recordsWritten++;
    }
  }
}
const shards = await call(new ListShardsCommand({ StreamName: streamName }));
for (const shard of (shards ? shards.Shards : [])) {
  const it = await call(new GetShardIteratorCommand({
    StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }));
  if (!it) continue;
  const got = await call(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 10000 }));
  if (got) recordsRead += got.Records.length;
}
console.log(JSON.stringify({ calls: done, errors, firstError, recordsWritten, recordsRead, protocols: [...protocols] }));
client.destroy();
process.exit(errors === 0 && recordsRead === recordsWritten ? 0 : 1);
