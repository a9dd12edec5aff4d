// The streams: a list (refreshed every few seconds, so a new stream is seen going from CREATING to ACTIVE), a form
// to create one (provisioned with a shard count, or on-demand) and a delete with an inline confirmation.
import { useState } from "react";
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { ErrorLine, useAction, useApi, usePoll } from "./api.jsx";
import { listStreams } from "./kinesis.js";

const REFRESH_MS = 3000;

export default function StreamsPage() {
  const { clients } = useApi();
  const streams = usePoll(() => listStreams(clients.kinesis), REFRESH_MS, [clients]);
  return (
    <section>
      <h2>Streams</h2>
      <CreateStreamForm onCreated={streams.refresh} />
      <ErrorLine error={streams.error} />
      {streams.data && streams.data.length === 0 && <p className="dim" data-testid="no-streams">No streams yet.</p>}
      {streams.data && streams.data.length > 0 && (
        <table className="list" data-testid="streams">
          <thead><tr><th>Name</th><th>Status</th><th>Mode</th><th>Created</th><th /></tr></thead>
          <tbody>
            {streams.data.map((s) => <StreamRow key={s.StreamName} stream={s} onDeleted={streams.refresh} />)}
          </tbody>
        </table>
      )}
    </section>
  );
}

function StreamRow({ stream, onDeleted }) {
  const { clients } = useApi();
  const [confirming, setConfirming] = useState(false);
  const del = useAction();
  const name = stream.StreamName;
  const remove = () => del.run(async () => {
    await clients.kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    setConfirming(false);
    onDeleted();
  });
  return (
    <tr data-testid={`stream-row-${name}`}>
      <td><a href={`#/stream/${encodeURIComponent(name)}`} data-testid={`open-${name}`}>{name}</a></td>
      <td data-testid={`stream-status-${name}`} className={`status ${stream.StreamStatus ?? ""}`}>
        {stream.StreamStatus ?? "?"}</td>
      <td>{stream.StreamModeDetails?.StreamMode ?? ""}</td>
      <td>{stream.StreamCreationTimestamp ? new Date(stream.StreamCreationTimestamp).toLocaleString() : ""}</td>
      <td>
        {!confirming && <button type="button" onClick={() => setConfirming(true)}>Delete…</button>}
        {confirming && <>
          <button type="button" className="danger" disabled={del.busy} onClick={remove}>Delete {name} and its
            records</button>{" "}
          <button type="button" onClick={() => setConfirming(false)}>Keep</button>
        </>}
        <ErrorLine error={del.error} />
      </td>
    </tr>
  );
}

function CreateStreamForm({ onCreated }) {
  const { clients } = useApi();
  const [name, setName] = useState("");
  const [mode, setMode] = useState("PROVISIONED");
  const [shards, setShards] = useState(1);
  const create = useAction();
  const submit = (e) => {
    e.preventDefault();
    create.run(async () => {
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: name.trim(),
        StreamModeDetails: { StreamMode: mode }, ...(mode === "PROVISIONED" ? { ShardCount: Number(shards) } : {}) }));
      setName("");
      onCreated();
    });
  };
  return (
    <form className="inline card" onSubmit={submit}>
      <label>New stream <input data-testid="create-name" value={name} required pattern="[a-zA-Z0-9_.\-]+"
        maxLength={128} placeholder="name" onChange={(e) => setName(e.target.value)} /></label>
      <label>Mode <select data-testid="create-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
        <option value="PROVISIONED">provisioned</option><option value="ON_DEMAND">on-demand</option>
      </select></label>
      {mode === "PROVISIONED" && <label>Shards <input data-testid="create-shards" type="number" min={1}
        value={shards} onChange={(e) => setShards(e.target.value)} /></label>}
      <button type="submit" data-testid="create-submit" disabled={create.busy}>Create</button>
      <ErrorLine error={create.error} />
    </form>
  );
}
