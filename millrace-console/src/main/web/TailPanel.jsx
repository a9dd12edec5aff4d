// The live tail's controls and its records, newest first, at most MAX_SHOWN of them (older ones are dropped).
import { useEffect, useRef, useState } from "react";
import { useApi } from "./api.jsx";
import { Tail } from "./tail.js";
import { FORMATS, render } from "./decode.js";

const MAX_SHOWN = 500;

export default function TailPanel({ streamName }) {
  const { clients, report } = useApi();
  const [from, setFrom] = useState("LATEST");
  const [format, setFormat] = useState("auto");
  const [running, setRunning] = useState(false);
  const [records, setRecords] = useState([]);
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const tail = useRef(null);

  useEffect(() => () => tail.current?.stop(), []);
  useEffect(() => { tail.current?.stop(); setRunning(false); }, [clients, streamName]);

  const start = async () => {
    tail.current?.stop();
    setRecords([]);
    setError(null);
    const t = new Tail({
      kinesis: clients.kinesis, streamName, from,
      onRecords: (list) => setRecords((old) => [...list.reverse(), ...old].slice(0, MAX_SHOWN)),
      onState: (s) => { setState(s); setError(s.error ? report(s.error) : null); },
    });
    tail.current = t;
    setRunning(true);
    try {
      await t.start();
    } catch (e) {
      t.stop();
      setRunning(false);
      setError(report(e));
    }
  };
  const stop = () => {
    tail.current?.stop();
    setRunning(false);
  };

  return (
    <div className="card tail">
      <div className="inline">
        <label>From <select data-testid="tail-from" value={from} disabled={running}
          onChange={(e) => setFrom(e.target.value)}>
          <option value="LATEST">now (latest)</option><option value="TRIM_HORIZON">the oldest record</option>
        </select></label>
        <label>Show as <select data-testid="tail-format" value={format} onChange={(e) => setFormat(e.target.value)}>
          {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}</select></label>
        {!running && <button type="button" data-testid="tail-start" onClick={start}>Start tail</button>}
        {running && <button type="button" data-testid="tail-stop" onClick={stop}>Stop</button>}
        <button type="button" onClick={() => setRecords([])}>Clear</button>
      </div>
      {running && state && <p className="dim" data-testid="tail-state" data-following={state.following.join(" ")}>
        Following {state.following.length} shard{state.following.length === 1 ? "" : "s"}
        {state.following.length ? `: ${state.following.join(", ")}` : ""}
        {state.waiting.length ? `; waiting for parents: ${state.waiting.join(", ")}` : ""}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <table className="list records" data-testid="tail-records">
        <thead><tr><th>Arrived</th><th>Shard</th><th>Sequence number</th><th>Partition key</th><th>Data</th></tr>
        </thead>
        <tbody>
          {records.map((r) => {
            const shown = render(r.data, format);
            return (
              <tr key={`${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber ?? ""}`} data-testid="tail-record"
                data-shard-id={r.shardId} data-sub-sequence={r.subSequenceNumber ?? undefined}>
                <td className="small">{r.arrival ? new Date(r.arrival).toLocaleTimeString() : ""}</td>
                <td className="mono small">{r.shardId}</td>
                <td className="mono small" title={r.sequenceNumber}>…{r.sequenceNumber.slice(-8)}
                  {r.aggregated ? ` · KPL ${r.subSequenceNumber}` : ""}</td>
                <td className="mono small">{r.partitionKey}</td>
                <td><pre className={`data ${shown.kind}`} data-testid="tail-data">{shown.text}</pre></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {records.length === 0 && running && <p className="dim">No records yet.</p>}
    </div>
  );
}
