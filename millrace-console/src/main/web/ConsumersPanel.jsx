// A stream's enhanced fan-out consumers: register, deregister, and each one's subscriptions as the public API shows
// them, which is through CloudWatch (SubscribeToShard.Success, SubscribeToShardEvent.*: Kinesis has no call that
// lists the subscriptions open now).
import { useState } from "react";
import { DeregisterStreamConsumerCommand, RegisterStreamConsumerCommand } from "@aws-sdk/client-kinesis";
import { ErrorLine, useAction, useApi, usePoll } from "./api.jsx";
import { listConsumers } from "./kinesis.js";
import { CONSUMER_METRICS, cloudWatchOf, getMetrics } from "./metrics.js";

const REFRESH_MS = 5000;
const METRICS_REFRESH_MS = 60000;
const METRICS_MINUTES = 60;

export default function ConsumersPanel({ streamName, streamArn }) {
  const { clients } = useApi();
  const consumers = usePoll(() => listConsumers(clients.kinesis, streamArn), REFRESH_MS, [clients, streamArn]);
  const [name, setName] = useState("");
  const action = useAction();
  const register = (e) => {
    e.preventDefault();
    action.run(async () => {
      await clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }));
      setName("");
      consumers.refresh();
    });
  };
  const deregister = (c) => action.run(async () => {
    await clients.kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: c.ConsumerARN }));
    consumers.refresh();
  });
  return (
    <div className="card">
      <form className="inline" onSubmit={register}>
        <label>New consumer <input data-testid="consumer-name" value={name} required maxLength={128}
          pattern="[a-zA-Z0-9_.\-]+" onChange={(e) => setName(e.target.value)} /></label>
        <button type="submit" data-testid="consumer-register" disabled={action.busy}>Register</button>
      </form>
      <ErrorLine error={consumers.error || action.error} />
      {consumers.data?.length === 0 && <p className="dim">No enhanced fan-out consumers.</p>}
      {consumers.data?.length > 0 && (
        <table className="list" data-testid="consumers">
          <thead><tr><th>Name</th><th>Status</th><th>Registered</th><th>Subscriptions (last hour)</th><th /></tr>
          </thead>
          <tbody>
            {consumers.data.map((c) => (
              <tr key={c.ConsumerARN} data-testid={`consumer-${c.ConsumerName}`} data-arn={c.ConsumerARN}>
                <td title={c.ConsumerARN}>{c.ConsumerName}</td>
                <td className={`status ${c.ConsumerStatus}`} data-testid={`consumer-status-${c.ConsumerName}`}>{c.ConsumerStatus}</td>
                <td>{c.ConsumerCreationTimestamp ? new Date(c.ConsumerCreationTimestamp).toLocaleString() : ""}</td>
                <td><Subscriptions streamName={streamName} consumerName={c.ConsumerName} /></td>
                <td><button type="button" data-testid={`deregister-${c.ConsumerName}`} disabled={action.busy}
                  onClick={() => deregister(c)}>Deregister</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Subscriptions({ streamName, consumerName }) {
  const { clients } = useApi();
  const metrics = usePoll(() => getMetrics(cloudWatchOf(clients), CONSUMER_METRICS, [
    { Name: "StreamName", Value: streamName }, { Name: "ConsumerName", Value: consumerName }], METRICS_MINUTES),
  METRICS_REFRESH_MS, [clients, streamName, consumerName]);
  if (metrics.error) return <span className="dim" title={metrics.error}>metrics unavailable</span>;
  if (!metrics.data) return <span className="dim">…</span>;
  const [subscribed, records, behind] = metrics.data;
  if (subscribed.values.length === 0 && records.values.length === 0) return <span className="dim">no data</span>;
  const sum = (s) => s.values.reduce((a, b) => a + b, 0);
  const latestBehind = behind.values.length ? behind.values[behind.values.length - 1] : null;
  return (
    <span>{sum(subscribed)} subscriptions, {sum(records)} records pushed
      {latestBehind != null ? `, ${latestBehind} ms behind at last` : ""}</span>
  );
}
