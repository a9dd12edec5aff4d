// KPL de-aggregation against records made here the way the KPL makes them (protobufjs's writer, MD5 of the message),
// and against the near misses KCL also leaves alone: a wrong digest, no magic, a cut record.
import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs/minimal.js";
import md5 from "js-md5";
import { deaggregate } from "../../main/web/kpl.js";

const { Writer } = protobuf;
const MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

function aggregated({ keys, hashKeys = [], records }) {
  const w = Writer.create();
  for (const k of keys) w.uint32((1 << 3) | 2).string(k);
  for (const h of hashKeys) w.uint32((2 << 3) | 2).string(h);
  for (const r of records) {
    w.uint32((3 << 3) | 2).fork();
    w.uint32(1 << 3).uint64(r.key);
    if (r.hashKey != null) w.uint32(2 << 3).uint64(r.hashKey);
    w.uint32((3 << 3) | 2).bytes(new TextEncoder().encode(r.data));
    if (r.tag) w.uint32((4 << 3) | 2).fork().uint32((1 << 3) | 2).string(r.tag).ldelim();
    w.ldelim();
  }
  const message = w.finish();
  const digest = new Uint8Array(md5.arrayBuffer(message));
  const all = new Uint8Array(MAGIC.length + message.length + digest.length);
  all.set(MAGIC, 0);
  all.set(message, MAGIC.length);
  all.set(digest, MAGIC.length + message.length);
  return all;
}

const text = (bytes) => new TextDecoder().decode(bytes);

test("the user records of an aggregated record, with their keys, in order", async () => {
  const bytes = aggregated({ keys: ["alpha", "beta"], hashKeys: ["12345"], records: [
    { key: 0, data: "one" }, { key: 1, hashKey: 0, data: "two", tag: "t" }, { key: 0, data: "three" }] });
  const users = await deaggregate(bytes);
  assert.deepEqual(users.map((u) => [u.partitionKey, u.explicitHashKey, text(u.data), u.subSequenceNumber]), [
    ["alpha", null, "one", 0], ["beta", "12345", "two", 1], ["alpha", null, "three", 2]]);
});

test("a plain record, a wrong digest and a cut record are not aggregated", async () => {
  assert.equal(await deaggregate(new TextEncoder().encode("just some text, long enough to be checked")), null);
  const bytes = aggregated({ keys: ["k"], records: [{ key: 0, data: "x" }] });
  const tampered = bytes.slice();
  tampered[MAGIC.length + 2] ^= 0xff;
  assert.equal(await deaggregate(tampered), null, "the MD5 no longer matches");
  assert.equal(await deaggregate(bytes.subarray(0, bytes.length - 1)), null, "cut short");
  assert.equal(await deaggregate(MAGIC), null);
});

test("a message whose digest matches but which is no AggregatedRecord is not one", async () => {
  const message = Uint8Array.of(0x1a, 0x7f, 0x01); // a record claiming 127 bytes, of which there is one
  const digest = new Uint8Array(md5.arrayBuffer(message));
  const all = new Uint8Array([...MAGIC, ...message, ...digest]);
  assert.equal(await deaggregate(all), null);
});
