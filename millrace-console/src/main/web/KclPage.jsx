// KCL applications, found as KCL leaves them: a DynamoDB table keyed by leaseKey (the lease table, named after the
// application) with one item per shard saying which worker holds it (leaseOwner) and where it is (checkpoint).
// Lag is measured on request (two calls per lease, so never on a timer): a GetRecords of one record just after the
// checkpoint gives the oldest record the application has not processed, and the lag is that record's age, which is
// what KCL's iterator age would be at the checkpoint (MillisBehindLatest would be that of the record read, not of the
// checkpoint). Its arrival time is the server's clock and the age is taken with this browser's.
import { useState } from "react";
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-kinesis";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { ErrorLine, useAction, useApi, usePoll } from "./api.jsx";
import { clientOf } from "./connection.js";
import { listStreams } from "./kinesis.js";

const REFRESH_MS = 10000;
const MAX_PAGES = 20;
const SENTINELS = new Set(["TRIM_HORIZON", "LATEST", "SHARD_END", "AT_TIMESTAMP"]);

async function findApplications(dynamo) {
  const tables = [];
  let start;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await dynamo.send(new ListTablesCommand(start ? { ExclusiveStartTableName: start } : {}));
    tables.push(...(out.TableNames ?? []));
    start = out.LastEvaluatedTableName;
    if (!start) break;
  }
  const apps = [];
  for (const table of tables) {
    const d = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    const hash = d.Table?.KeySchema?.find((k) => k.KeyType === "HASH");
    if (hash?.AttributeName !== "leaseKey") continue;
    const leases = [];
    let from;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await dynamo.send(new ScanCommand({ TableName: table,
        ...(from ? { ExclusiveStartKey: from } : {}) }));
      leases.push(...(out.Items ?? []).map((item) => unmarshall(item)));
      from = out.LastEvaluatedKey;
      if (!from) break;
    }
    leases.sort((a, b) => String(a.leaseKey).localeCompare(String(b.leaseKey)));
    apps.push({ table, leases });
  }
  return apps;
}

/** A lease's stream and shard: "account:stream:epoch:shardId" for a multi-stream application, else the shard id. */
function shardOf(lease, streamName) {
  const parts = String(lease.leaseKey).split(":");
  return parts.length >= 4 ? { streamName: parts[1], shardId: parts[parts.length - 1] }
    : { streamName, shardId: lease.leaseKey };
}

export default function KclPage() {
  const { clients } = useApi();
  const apps = usePoll(() => findApplications(clientOf(clients, DynamoDBClient)), REFRESH_MS, [clients]);
  const streams = usePoll(() => listStreams(clients.kinesis), 0, [clients]);
  return (
    <section>
      <h2>KCL applications</h2>
      <p className="dim">Lease tables found through DynamoDB (ListTables, DescribeTable, Scan): tables keyed by
        <code> leaseKey</code>.</p>
      <ErrorLine error={apps.error} />
      {apps.data?.length === 0 && <p data-testid="no-kcl">No lease tables.</p>}
      {apps.data?.map((a) => <Application key={a.table} app={a}
        streamNames={(streams.data ?? []).map((s) => s.StreamName)} />)}
    </section>
  );
}

function Application({ app, streamNames }) {
  const { clients } = useApi();
  const multiStream = app.leases.some((l) => String(l.leaseKey).split(":").length >= 4);
  const [streamName, setStreamName] = useState(streamNames.includes(app.table) ? app.table : "");
  const [lag, setLag] = useState({});
  const action = useAction();
  const owners = new Map();
  for (const l of app.leases) owners.set(l.leaseOwner ?? "(none)", (owners.get(l.leaseOwner ?? "(none)") ?? 0) + 1);

  const measure = () => action.run(async () => {
    const found = {};
    for (const lease of app.leases) {
      const { streamName: stream, shardId } = shardOf(lease, streamName);
      const checkpoint = String(lease.checkpoint ?? "");
      if (!stream || checkpoint === "SHARD_END" || checkpoint === "AT_TIMESTAMP" || !checkpoint) continue;
      const it = await clients.kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId,
        ...(SENTINELS.has(checkpoint) ? { ShardIteratorType: checkpoint }
          : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: checkpoint }) }));
      const out = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 1 }));
      const oldest = (out.Records ?? [])[0];
      found[lease.leaseKey] = oldest
        ? { ageMs: Math.max(0, Date.now() - new Date(oldest.ApproximateArrivalTimestamp).getTime()) } : {};
    }
    setLag(found);
  });

  return (
    <div className="card" data-testid={`kcl-app-${app.table}`}>
      <h3>{app.table} <span className="dim">({app.leases.length} leases)</span></h3>
      <p>Workers: {[...owners].map(([o, n]) => `${o} holds ${n}`).join("; ") || "none"}</p>
      <div className="inline">
        {!multiStream && <label>Stream <select data-testid={`kcl-stream-${app.table}`} value={streamName}
          onChange={(e) => setStreamName(e.target.value)}>
          <option value="">choose the application's stream</option>
          {streamNames.map((n) => <option key={n} value={n}>{n}</option>)}</select></label>}
        <button type="button" data-testid={`kcl-measure-${app.table}`}
          disabled={action.busy || (!multiStream && !streamName)} onClick={measure}>
          Measure lag</button>
      </div>
      <ErrorLine error={action.error} />
      <table className="list">
        <thead><tr><th>Lease (shard)</th><th>Owner</th><th>Counter</th><th>Checkpoint</th><th>Parents</th>
          <th>Lag</th></tr></thead>
        <tbody>
          {app.leases.map((l) => {
            const m = lag[l.leaseKey];
            return (
              <tr key={l.leaseKey} data-testid="lease" data-lease-key={l.leaseKey}>
                <td className="mono small">{l.leaseKey}</td>
                <td data-testid="lease-owner">{l.leaseOwner ?? <span className="dim">none</span>}</td>
                <td>{l.leaseCounter != null ? String(l.leaseCounter) : ""}</td>
                <td className="mono small" data-testid="lease-checkpoint">
                  {l.checkpoint != null ? String(l.checkpoint) : ""}
                  {l.checkpointSubSequenceNumber ? ` / ${l.checkpointSubSequenceNumber}` : ""}</td>
                <td className="mono small">{l.parentShardId ? [...l.parentShardId].join(", ") : ""}</td>
                <td data-testid="lease-lag">{String(l.checkpoint) === "SHARD_END" ? "done (shard ended)"
                  : !m ? "" : m.ageMs != null ? `${m.ageMs} ms behind (the oldest unprocessed record's age)`
                    : "caught up (no record after the checkpoint)"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
