// The shard map's layout: generations as columns, hash ranges as fractions of the key space, edges from parents.
import { test } from "node:test";
import assert from "node:assert/strict";
import { layout, midpointOf, shareOf } from "../../main/web/lineage.js";

const MAX = ((1n << 128n) - 1n).toString();
const HALF = (1n << 127n).toString();
const shard = (id, start, end, parent, adjacent, closed) => ({
  ShardId: id, HashKeyRange: { StartingHashKey: start, EndingHashKey: end },
  SequenceNumberRange: { StartingSequenceNumber: "1", ...(closed ? { EndingSequenceNumber: "2" } : {}) },
  ...(parent ? { ParentShardId: parent } : {}), ...(adjacent ? { AdjacentParentShardId: adjacent } : {}),
});

test("a split draws one parent and two children, a merge two parents and one child", () => {
  const shards = [
    shard("s0", "0", MAX, null, null, true),
    shard("s1", "0", (BigInt(HALF) - 1n).toString(), "s0", null, true),
    shard("s2", HALF, MAX, "s0", null, true),
    shard("s3", "0", MAX, "s1", "s2", false),
  ];
  const { nodes, edges, columns } = layout(shards);
  assert.equal(columns, 3);
  assert.deepEqual(Object.fromEntries(nodes.map((n) => [n.shard.ShardId, [n.column, n.top, n.bottom]])), {
    s0: [0, 0, 1], s1: [1, 0, 0.5], s2: [1, 0.5, 1], s3: [2, 0, 1] });
  assert.deepEqual(edges, [{ parent: "s0", child: "s1" }, { parent: "s0", child: "s2" },
    { parent: "s1", child: "s3" }, { parent: "s2", child: "s3" }]);
});

test("a parent past the retention draws no edge and its child starts a column", () => {
  const { nodes, edges } = layout([shard("s5", "0", MAX, "gone", null, false)]);
  assert.deepEqual(edges, []);
  assert.equal(nodes[0].column, 0);
});

test("split in half at the middle of the range; shares in percent", () => {
  const whole = shard("s0", "0", MAX);
  assert.equal(midpointOf(whole), HALF);
  assert.equal(shareOf(whole), 100);
  assert.equal(shareOf(shard("s1", HALF, MAX)), 50);
});
