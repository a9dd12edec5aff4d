// Endpoint, region and keys. The keys form opens by itself when a call is refused for its signature or keys (a
// server run with --auth sigv4); keys are kept in sessionStorage only.
import { useState } from "react";

export default function ConnectionBar({ connection, keys, authProblem, onConnection, onKeys }) {
  const [endpoint, setEndpoint] = useState(connection.endpoint);
  const [region, setRegion] = useState(connection.region);
  const [showKeys, setShowKeys] = useState(false);
  const [accessKeyId, setAccessKeyId] = useState(keys?.accessKeyId ?? "");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const keysOpen = showKeys || authProblem != null;

  const applyConnection = (e) => {
    e.preventDefault();
    onConnection({ endpoint: endpoint.trim(), region: region.trim() });
  };
  const applyKeys = (e) => {
    e.preventDefault();
    onKeys({ accessKeyId: accessKeyId.trim(), secretAccessKey, sessionToken: sessionToken.trim() || undefined });
    setSecretAccessKey("");
    setSessionToken("");
    setShowKeys(false);
  };

  return (
    <div className="connection">
      <form onSubmit={applyConnection} className="inline">
        <label>Endpoint <input data-testid="endpoint" value={endpoint} size={28}
          placeholder="AWS's own for the region" onChange={(e) => setEndpoint(e.target.value)} /></label>
        <label>Region <input data-testid="region" value={region} size={10}
          onChange={(e) => setRegion(e.target.value)} /></label>
        <button type="submit">Connect</button>
        <button type="button" onClick={() => setShowKeys(!keysOpen)}>
          {keys ? `Keys: ${keys.accessKeyId}` : "Keys…"}</button>
      </form>
      {keysOpen && (
        <form onSubmit={applyKeys} className="keys" data-testid="keys-form">
          {authProblem && <p className="error" data-testid="auth-problem">The server refused the call:
            {" "}{authProblem.replace(/\.$/, "")}. Enter an access key that it knows (with
            <code> --auth sigv4</code>, one of its identities).</p>}
          <label>Access key id <input data-testid="key-id" value={accessKeyId} required autoComplete="username"
            onChange={(e) => setAccessKeyId(e.target.value)} /></label>
          <label>Secret access key <input data-testid="key-secret" type="password" value={secretAccessKey}
            required autoComplete="current-password" onChange={(e) => setSecretAccessKey(e.target.value)} /></label>
          <label>Session token <input value={sessionToken} placeholder="optional"
            onChange={(e) => setSessionToken(e.target.value)} /></label>
          <button type="submit" data-testid="keys-submit">Use these keys</button>
          {keys && <button type="button" onClick={() => { onKeys(null); setShowKeys(false); }}>Forget keys</button>}
          <p className="dim">Kept in this tab's session storage only; sent nowhere, used to sign requests.</p>
        </form>
      )}
    </div>
  );
}
