// A stream's metrics from CloudWatch GetMetricData (namespace AWS/Kinesis, dimension StreamName), refreshed every
// minute; a server that has no data yet, or does not answer GetMetricData, is said so plainly.
import { useState } from "react";
import { ErrorLine, useApi, usePoll } from "./api.jsx";
import { getMetrics, STREAM_METRICS } from "./metrics.js";
import Chart from "./Chart.jsx";

const REFRESH_MS = 60000;

export default function MetricsPanel({ streamName }) {
  const { clients } = useApi();
  const [minutes, setMinutes] = useState(60);
  const metrics = usePoll(() => getMetrics(clients.cloudWatch, STREAM_METRICS,
    [{ Name: "StreamName", Value: streamName }], minutes), REFRESH_MS, [clients, streamName, minutes]);
  return (
    <div className="card">
      <div className="inline">
        <label>Last <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          <option value={60}>hour</option><option value={180}>3 hours</option><option value={720}>12 hours</option>
          <option value={1440}>day</option></select></label>
        <button type="button" onClick={metrics.refresh}>Refresh</button>
      </div>
      <ErrorLine error={metrics.error && `GetMetricData failed: ${metrics.error}`} />
      {metrics.data && metrics.data.every((s) => s.timestamps.length === 0) && (
        <p className="dim" data-testid="metrics-empty">No data for this stream in this period yet.</p>)}
      <div className="charts">
        {metrics.data && metrics.data.map((s) => <Chart key={s.name} series={s} />)}
      </div>
    </div>
  );
}
