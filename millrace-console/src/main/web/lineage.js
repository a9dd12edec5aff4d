// The shard map's layout: one column per generation (a shard is one column right of its latest parent), and within a
// column each shard placed by its hash key range over the whole key space 0 .. 2^128-1, so that a split shows as one
// box becoming two that cover the same span and a merge as two becoming one. Hash keys are 128-bit: BigInt.
const KEY_SPACE = 1n << 128n;
const SCALE = 1_000_000n;

/** The fraction of the key space before `key` (a decimal string), as a number in [0, 1]. */
export function fractionOf(key) {
  return Number((BigInt(key) * SCALE) / KEY_SPACE) / Number(SCALE);
}

/** The part of the key space a shard covers, as a percentage with two decimals. */
export function shareOf(shard) {
  const r = shard.HashKeyRange;
  const span = BigInt(r.EndingHashKey) - BigInt(r.StartingHashKey) + 1n;
  return Number((span * 10000n) / KEY_SPACE) / 100;
}

/** The midpoint of a shard's hash range: where "split in half" splits it (a valid NewStartingHashKey). */
export function midpointOf(shard) {
  const r = shard.HashKeyRange;
  const start = BigInt(r.StartingHashKey);
  const end = BigInt(r.EndingHashKey);
  return ((start + end + 1n) / 2n).toString();
}

/**
 * {nodes: [{shard, column, top, bottom}], edges: [{parent, child}], columns} for a list of shards, top and bottom
 * as fractions of the key space. A parent that is no longer listed (past the retention) draws no edge.
 */
export function layout(shards) {
  const byId = new Map(shards.map((s) => [s.ShardId, s]));
  const columns = new Map();
  const columnOf = (shard, seen = new Set()) => {
    if (columns.has(shard.ShardId)) return columns.get(shard.ShardId);
    if (seen.has(shard.ShardId)) return 0; // a cycle cannot happen in Kinesis; never loop on a bad answer
    seen.add(shard.ShardId);
    const parents = parentsOf(shard).map((p) => byId.get(p)).filter(Boolean);
    const column = parents.length ? Math.max(...parents.map((p) => columnOf(p, seen))) + 1 : 0;
    columns.set(shard.ShardId, column);
    return column;
  };
  const nodes = shards.map((shard) => ({
    shard,
    column: columnOf(shard),
    top: fractionOf(shard.HashKeyRange.StartingHashKey),
    bottom: fractionOf((BigInt(shard.HashKeyRange.EndingHashKey) + 1n).toString()),
  }));
  const edges = [];
  for (const shard of shards) {
    for (const parent of parentsOf(shard)) {
      if (byId.has(parent)) edges.push({ parent, child: shard.ShardId });
    }
  }
  const width = nodes.reduce((m, n) => Math.max(m, n.column + 1), 0);
  return { nodes, edges, columns: width };
}

export function parentsOf(shard) {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter(Boolean);
}
