// PutRecord from a form: the data as UTF-8 text or as hex, a partition key (a random one if left blank) and an
// optional explicit hash key. The answer (shard and sequence number) is shown under the form.
import { useState } from "react";
import { PutRecordCommand } from "@aws-sdk/client-kinesis";
import { ErrorLine, useAction, useApi } from "./api.jsx";

export default function PutForm({ streamName }) {
  const { clients } = useApi();
  const [data, setData] = useState("");
  const [encoding, setEncoding] = useState("utf-8");
  const [partitionKey, setPartitionKey] = useState("");
  const [hashKey, setHashKey] = useState("");
  const [result, setResult] = useState(null);
  const put = useAction();

  const submit = (e) => {
    e.preventDefault();
    let bytes;
    try {
      bytes = encoding === "hex" ? fromHex(data) : new TextEncoder().encode(data);
    } catch (err) {
      put.setError(err.message);
      return;
    }
    setResult(null);
    put.run(async () => {
      const out = await clients.kinesis.send(new PutRecordCommand({ StreamName: streamName, Data: bytes,
        PartitionKey: partitionKey || randomKey(), ...(hashKey ? { ExplicitHashKey: hashKey } : {}) }));
      setResult(out);
    });
  };

  return (
    <form className="card put" onSubmit={submit}>
      <label>Data <textarea data-testid="put-data" rows={4} value={data}
        onChange={(e) => setData(e.target.value)} /></label>
      <div className="inline">
        <label>As <select data-testid="put-encoding" value={encoding} onChange={(e) => setEncoding(e.target.value)}>
          <option value="utf-8">UTF-8 text</option><option value="hex">hex</option></select></label>
        <label>Partition key <input data-testid="put-key" value={partitionKey} maxLength={256}
          placeholder="random" onChange={(e) => setPartitionKey(e.target.value)} /></label>
        <label>Explicit hash key <input value={hashKey} placeholder="optional" pattern="[0-9]{1,39}"
          onChange={(e) => setHashKey(e.target.value)} /></label>
        <button type="submit" data-testid="put-submit" disabled={put.busy}>Put record</button>
      </div>
      <ErrorLine error={put.error} />
      {result && !put.error && <p data-testid="put-result" className="ok">Put in <span className="mono">
        {result.ShardId}</span> as <span className="mono">{result.SequenceNumber}</span></p>}
    </form>
  );
}

/** A random partition key; crypto.randomUUID exists only in secure contexts (not on http:// of a network host). */
function randomKey() {
  return crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(text) {
  const digits = text.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) {
    throw new Error("Hex data must be pairs of hex digits (spaces allowed).");
  }
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => parseInt(h, 16));
}
