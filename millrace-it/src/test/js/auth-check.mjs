// One signed call with the AWS SDK for JavaScript v3 (HTTP/2), with the keys given; for the authentication tests.
// Usage: node auth-check.mjs <endpoint> <accessKeyId> <secretAccessKey>
// Prints one JSON line: {"ok":true,"streams":[...]} or {"ok":false,"name":"...","message":"...","status":N}.
import { KinesisClient, ListStreamsCommand } from "@aws-sdk/client-kinesis";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId, secretAccessKey },
});
try {
  const out = await client.send(new ListStreamsCommand({}));
  console.log(JSON.stringify({ ok: true, streams: out.StreamNames }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }));
}
client.destroy();
