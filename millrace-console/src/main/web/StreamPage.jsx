// One stream: its summary and settings (retention, capacity mode, shard count), its shard map, a form to put a record,
// the live tail, its consumers and its metrics. The summary and the shard map are refreshed every few seconds, so a
// reshard done here or elsewhere shows up without a reload.
import { lazy, useState } from "react";
import {
  DescribeStreamSummaryCommand, IncreaseStreamRetentionPeriodCommand, DecreaseStreamRetentionPeriodCommand,
  UpdateStreamModeCommand, UpdateShardCountCommand, EnableEnhancedMonitoringCommand,
  DisableEnhancedMonitoringCommand,
} from "@aws-sdk/client-kinesis";
import { ErrorLine, useAction, useApi, usePoll } from "./api.jsx";
import { listShards } from "./kinesis.js";
import ShardMap from "./ShardMap.jsx";
import PutForm from "./PutForm.jsx";
import TailPanel from "./TailPanel.jsx";
import Lazy from "./Lazy.jsx";

// The panels that read CloudWatch (its SDK client) and draw charts (uPlot) come in chunks of their own, after the
// stream's summary and shard map.
const ConsumersPanel = lazy(() => import("./ConsumersPanel.jsx"));
const MetricsPanel = lazy(() => import("./MetricsPanel.jsx"));

const REFRESH_MS = 3000;

export default function StreamPage({ streamName }) {
  const { clients } = useApi();
  const summary = usePoll(async () => (await clients.kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary, REFRESH_MS,
  [clients, streamName]);
  const shards = usePoll(() => listShards(clients.kinesis, streamName), REFRESH_MS, [clients, streamName]);
  const s = summary.data;
  const changed = () => { summary.refresh(); shards.refresh(); };
  return (
    <section>
      <h2><a href="#/">Streams</a> / <span data-testid="stream-name">{streamName}</span></h2>
      <ErrorLine error={summary.error} />
      {s && (
        <dl className="summary" data-testid="stream-summary">
          <dt>Status</dt><dd data-testid="stream-status" className={`status ${s.StreamStatus}`}>{s.StreamStatus}</dd>
          <dt>ARN</dt><dd className="mono">{s.StreamARN}</dd>
          <dt>Mode</dt><dd data-testid="stream-mode">{s.StreamModeDetails?.StreamMode}</dd>
          <dt>Open shards</dt><dd data-testid="open-shards">{s.OpenShardCount}</dd>
          <dt>Retention</dt><dd data-testid="retention">{s.RetentionPeriodHours} hours</dd>
          <dt>Consumers</dt><dd>{s.ConsumerCount ?? 0}</dd>
          <dt>Encryption</dt><dd>{s.EncryptionType ?? "NONE"}</dd>
          <dt>Shard-level metrics</dt>
          <dd>{(s.EnhancedMonitoring ?? []).flatMap((m) => m.ShardLevelMetrics ?? []).join(", ") || "none"}</dd>
        </dl>
      )}
      {/* Keyed by what its inputs start from, so a change made here or elsewhere shows in them. */}
      {s && <Settings key={`${s.OpenShardCount}/${s.RetentionPeriodHours}`} summary={s} onChanged={changed} />}
      <h3>Shard map</h3>
      <ErrorLine error={shards.error} />
      {shards.data && <ShardMap streamName={streamName} shards={shards.data} onChanged={changed} />}
      <div className="columns">
        <div><h3>Put a record</h3><PutForm streamName={streamName} /></div>
        <div><h3>Live tail</h3><TailPanel streamName={streamName} /></div>
      </div>
      {s && <><h3>Consumers</h3><Lazy what="consumers">
        <ConsumersPanel streamName={streamName} streamArn={s.StreamARN} /></Lazy></>}
      <h3>Metrics</h3>
      <Lazy what="metrics"><MetricsPanel streamName={streamName} /></Lazy>
    </section>
  );
}

function Settings({ summary, onChanged }) {
  const { clients } = useApi();
  const [hours, setHours] = useState(summary.RetentionPeriodHours);
  const [shardCount, setShardCount] = useState(summary.OpenShardCount);
  const action = useAction();
  const name = summary.StreamName;
  const mode = summary.StreamModeDetails?.StreamMode;
  const retention = (e) => {
    e.preventDefault();
    const target = Number(hours);
    if (target === summary.RetentionPeriodHours) return;
    action.run(async () => {
      const Command = target > summary.RetentionPeriodHours ? IncreaseStreamRetentionPeriodCommand
        : DecreaseStreamRetentionPeriodCommand;
      await clients.kinesis.send(new Command({ StreamName: name, RetentionPeriodHours: target }));
      onChanged();
    });
  };
  const switchMode = () => action.run(async () => {
    await clients.kinesis.send(new UpdateStreamModeCommand({ StreamARN: summary.StreamARN,
      StreamModeDetails: { StreamMode: mode === "ON_DEMAND" ? "PROVISIONED" : "ON_DEMAND" } }));
    onChanged();
  });
  const monitored = (summary.EnhancedMonitoring ?? []).some((m) => (m.ShardLevelMetrics ?? []).length > 0);
  const monitoring = () => action.run(async () => {
    const Command = monitored ? DisableEnhancedMonitoringCommand : EnableEnhancedMonitoringCommand;
    await clients.kinesis.send(new Command({ StreamName: name, ShardLevelMetrics: ["ALL"] }));
    onChanged();
  });
  const reshard = (e) => {
    e.preventDefault();
    action.run(async () => {
      await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: name,
        TargetShardCount: Number(shardCount), ScalingType: "UNIFORM_SCALING" }));
      onChanged();
    });
  };
  return (
    <div className="card settings">
      <form className="inline" onSubmit={retention}>
        <label>Retention (hours) <input data-testid="retention-hours" type="number" min={24} max={8760}
          value={hours} onChange={(e) => setHours(e.target.value)} /></label>
        <button type="submit" data-testid="retention-submit" disabled={action.busy}>Set retention</button>
      </form>
      <form className="inline" onSubmit={reshard}>
        <label>Open shards <input data-testid="target-shards" type="number" min={1} value={shardCount}
          onChange={(e) => setShardCount(e.target.value)} /></label>
        <button type="submit" data-testid="reshard-submit" disabled={action.busy || mode === "ON_DEMAND"}
          title="UpdateShardCount, uniform scaling">Reshard</button>
      </form>
      <button type="button" data-testid="switch-mode" disabled={action.busy} onClick={switchMode}>
        Switch to {mode === "ON_DEMAND" ? "provisioned" : "on-demand"}</button>
      <button type="button" disabled={action.busy} onClick={monitoring}
        title="EnableEnhancedMonitoring / DisableEnhancedMonitoring">
        {monitored ? "Stop shard-level metrics" : "Collect shard-level metrics"}</button>
      {action.error && <div data-testid="settings-error"><ErrorLine error={action.error} /></div>}
    </div>
  );
}
