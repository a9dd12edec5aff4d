// A stream's metrics from CloudWatch GetMetricData (dimension StreamName), refreshed every minute: Kinesis's own
// (namespace AWS/Kinesis), or those a client published about the stream in a namespace of its own (the KPL's, an
// application's: AWS keeps AWS/ namespaces for its services, so published metrics are never in AWS/Kinesis), found
// with ListMetrics. Before the first minute with data has ended there is nothing to draw, and the panel says so.
import { useState } from "react";
import { ErrorLine, useApi, usePoll } from "./api.jsx";
import {
  cloudWatchOf, getMetrics, KINESIS_NAMESPACE, listMetricsOf, MAX_PUBLISHED_METRICS, STREAM_METRICS,
} from "./metrics.js";
import Chart from "./Chart.jsx";

const REFRESH_MS = 60000;
const STATISTICS = ["Sum", "Average", "Maximum", "Minimum", "SampleCount"];

export default function MetricsPanel({ streamName }) {
  const { clients } = useApi();
  const [minutes, setMinutes] = useState(60);
  const [namespace, setNamespace] = useState(KINESIS_NAMESPACE);
  const [stat, setStat] = useState("Sum");
  const dimensions = [{ Name: "StreamName", Value: streamName }];
  const published = usePoll(() => listMetricsOf(cloudWatchOf(clients), dimensions), REFRESH_MS,
    [clients, streamName]);
  const publishedNames = published.data?.byNamespace.get(namespace) ?? [];
  const kinesis = namespace === KINESIS_NAMESPACE;
  const wanted = kinesis ? STREAM_METRICS
    : publishedNames.slice(0, MAX_PUBLISHED_METRICS).map((name) => ({ name, stat, unit: "as published" }));
  const metrics = usePoll(() => (wanted.length === 0 ? Promise.resolve([])
    : getMetrics(cloudWatchOf(clients), wanted, dimensions, minutes, Date.now(), namespace)), REFRESH_MS,
  [clients, streamName, minutes, namespace, stat, wanted.map((m) => m.name).join(",")]);
  const namespaces = [KINESIS_NAMESPACE, ...(published.data?.namespaces ?? []).filter((n) => n !== KINESIS_NAMESPACE)];
  const refresh = () => { published.refresh(); metrics.refresh(); };
  const empty = metrics.data && metrics.data.every((s) => s.timestamps.length === 0);
  return (
    <div className="card" data-testid="metrics-panel" data-namespace={namespace}
      data-state={metrics.error ? "error" : !metrics.data ? "loading" : empty ? "empty" : "data"}>
      <div className="inline">
        <label>Namespace <select data-testid="metrics-namespace" value={namespace}
          onChange={(e) => setNamespace(e.target.value)}>
          {namespaces.map((n) => <option key={n} value={n}>{n}</option>)}</select></label>
        {!kinesis && <label>Statistic <select data-testid="metrics-stat" value={stat}
          onChange={(e) => setStat(e.target.value)}>
          {STATISTICS.map((s) => <option key={s} value={s}>{s}</option>)}</select></label>}
        <label>Last <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          <option value={60}>hour</option><option value={180}>3 hours</option><option value={720}>12 hours</option>
          <option value={1440}>day</option></select></label>
        <button type="button" data-testid="metrics-refresh" onClick={refresh}>Refresh</button>
      </div>
      <ErrorLine error={metrics.error && `GetMetricData failed: ${metrics.error}`} />
      <ErrorLine error={published.error && `ListMetrics failed: ${published.error}`} />
      {empty && (
        <p className="dim" data-testid="metrics-empty">{kinesis
          ? "No data for this stream in this period yet: Kinesis's metrics are stored a few seconds after each "
            + "minute ends."
          : "No data in this namespace for this stream in this period."}</p>)}
      <div className="charts">
        {metrics.data && metrics.data.map((s) => <Chart key={`${namespace}/${s.name}`} series={s} />)}
      </div>
    </div>
  );
}
