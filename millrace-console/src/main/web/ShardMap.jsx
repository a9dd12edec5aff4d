// A stream's shards drawn as their lineage: generations left to right, each shard as tall as its share of the hash
// key space, an edge from each parent to each child (a split: one to two; a merge: two to one). Below, the shards as a
// table with their hash and sequence ranges, and the reshard actions Kinesis has per shard: split an open shard at
// the middle of its range, merge it with the open shard whose range follows it.
import { MergeShardsCommand, SplitShardCommand } from "@aws-sdk/client-kinesis";
import { ErrorLine, useAction, useApi } from "./api.jsx";
import { isOpen } from "./kinesis.js";
import { layout, midpointOf, parentsOf, shareOf } from "./lineage.js";

const COLUMN_PX = 170;
const GAP_PX = 70;
const NODE_PX = 120;
const MIN_NODE_PX = 16;
const MAP_HEIGHT_PX = 280;

export default function ShardMap({ streamName, shards, onChanged }) {
  const { clients } = useApi();
  const action = useAction();
  const { nodes, edges, columns } = layout(shards);
  const tallest = Math.max(1, ...Array.from({ length: columns }, (_, c) => nodes.filter((n) => n.column === c).length));
  const height = Math.max(MAP_HEIGHT_PX, tallest * (MIN_NODE_PX + 4));
  const width = Math.max(1, columns) * (NODE_PX + GAP_PX);
  const place = new Map(nodes.map((n) => [n.shard.ShardId, {
    x: n.column * (NODE_PX + GAP_PX) + 4,
    y: n.top * height,
    h: Math.max(MIN_NODE_PX, (n.bottom - n.top) * height - 3),
  }]));
  const open = shards.filter(isOpen);
  const next = (shard) => open.find((o) => BigInt(o.HashKeyRange.StartingHashKey)
    === BigInt(shard.HashKeyRange.EndingHashKey) + 1n);

  const split = (shard) => action.run(async () => {
    await clients.kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shard.ShardId,
      NewStartingHashKey: midpointOf(shard) }));
    onChanged();
  });
  const merge = (shard, adjacent) => action.run(async () => {
    await clients.kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shard.ShardId,
      AdjacentShardToMerge: adjacent.ShardId }));
    onChanged();
  });

  return (
    <div>
      <svg className="shard-map" data-testid="shard-map" width={width + 8} height={height + 4}
        viewBox={`0 0 ${width + 8} ${height + 4}`} role="img" aria-label={`Shard lineage of ${streamName}`}>
        {edges.map(({ parent, child }) => {
          const p = place.get(parent);
          const c = place.get(child);
          const x1 = p.x + NODE_PX;
          const y1 = p.y + p.h / 2;
          const x2 = c.x;
          const y2 = c.y + c.h / 2;
          const mid = (x1 + x2) / 2;
          return <path key={`${parent}>${child}`} className="edge" data-edge={`${parent}>${child}`}
            data-parent={parent} data-child={child} d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />;
        })}
        {nodes.map(({ shard }) => {
          const at = place.get(shard.ShardId);
          return (
            <g key={shard.ShardId} data-shard-id={shard.ShardId} data-open={isOpen(shard)}
              className={isOpen(shard) ? "shard open" : "shard closed"}>
              <title>{`${shard.ShardId}\nhash keys ${shard.HashKeyRange.StartingHashKey} .. `
                + `${shard.HashKeyRange.EndingHashKey}\n${isOpen(shard) ? "open" : "closed"}`}</title>
              <rect x={at.x} y={at.y} width={NODE_PX} height={at.h} rx={4} />
              {at.h >= 14 && <text x={at.x + 6} y={at.y + Math.min(at.h / 2 + 4, 16)}>
                {shortId(shard.ShardId)} · {shareOf(shard)}%</text>}
            </g>
          );
        })}
      </svg>
      <ErrorLine error={action.error} />
      <table className="list shards" data-testid="shards">
        <thead><tr><th>Shard</th><th>State</th><th>Parents</th><th>Hash keys</th><th>Sequence numbers</th><th /></tr>
        </thead>
        <tbody>
          {shards.map((shard) => {
            const adjacent = isOpen(shard) ? next(shard) : null;
            return (
              <tr key={shard.ShardId}>
                <td className="mono">{shard.ShardId}</td>
                <td>{isOpen(shard) ? "open" : "closed"}</td>
                <td className="mono">{parentsOf(shard).join(", ")}</td>
                <td className="mono small">{shard.HashKeyRange.StartingHashKey}<br />
                  {shard.HashKeyRange.EndingHashKey}</td>
                <td className="mono small">{shard.SequenceNumberRange?.StartingSequenceNumber}<br />
                  {shard.SequenceNumberRange?.EndingSequenceNumber ?? "…"}</td>
                <td>
                  {isOpen(shard) && <button type="button" data-testid={`split-${shard.ShardId}`}
                    disabled={action.busy} onClick={() => split(shard)}>Split in half</button>}
                  {adjacent && <button type="button" data-testid={`merge-${shard.ShardId}`}
                    disabled={action.busy} onClick={() => merge(shard, adjacent)}>
                    Merge with {shortId(adjacent.ShardId)}</button>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function shortId(shardId) {
  const m = shardId.match(/^shardId-0*(\d+)$/);
  return m ? `shard ${m[1]}` : shardId;
}
