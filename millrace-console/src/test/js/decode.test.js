import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "../../main/web/decode.js";

const bytes = (s) => new TextEncoder().encode(s);

test("auto shows JSON indented, text as text, anything else as hex", () => {
  assert.deepEqual(render(bytes('{"a":1}'), "auto"), { text: '{\n  "a": 1\n}', kind: "json" });
  assert.deepEqual(render(bytes("héllo"), "auto"), { text: "héllo", kind: "utf-8" });
  assert.deepEqual(render(Uint8Array.of(0xff, 0x00, 0x10), "auto"), { text: "ff 00 10", kind: "hex" });
});

test("asked formats are kept, and a large record is cut with a note", () => {
  assert.equal(render(bytes("AB"), "hex").text, "41 42");
  assert.equal(render(bytes("not json"), "json").text, "(not JSON) not json");
  const big = render(new Uint8Array(10000).fill(0x61), "utf-8");
  assert.ok(big.text.startsWith("a".repeat(4096)));
  assert.match(big.text, /10000 bytes, first 4096 shown/);
});
