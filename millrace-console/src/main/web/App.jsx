// The console's frame: the connection bar (endpoint, region, keys), the navigation (a hash route, so a stream's page
// can be bookmarked and reloaded: #/, #/stream/NAME, #/kcl) and the page shown.
import { lazy, useEffect, useMemo, useState } from "react";
import { ApiContext, makeReporter } from "./api.jsx";
import { loadConnection, loadKeys, makeClients, saveConnection, saveKeys } from "./connection.js";
import ConnectionBar from "./ConnectionBar.jsx";
import StreamsPage from "./StreamsPage.jsx";
import Lazy from "./Lazy.jsx";

// The first screen is the streams list: a stream's page and the KCL page come in chunks of their own when opened.
const StreamPage = lazy(() => import("./StreamPage.jsx"));
const KclPage = lazy(() => import("./KclPage.jsx"));

function currentRoute() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
  const stream = hash.match(/^\/stream\/(.+)$/);
  if (stream) return { page: "stream", streamName: stream[1] };
  if (hash === "/kcl") return { page: "kcl" };
  return { page: "streams" };
}

export default function App() {
  const [connection, setConnection] = useState(loadConnection);
  const [keys, setKeys] = useState(loadKeys);
  const [authProblem, setAuthProblem] = useState(null);
  const [route, setRoute] = useState(currentRoute);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const api = useMemo(() => ({
    clients: makeClients(connection, keys),
    connection,
    report: makeReporter(setAuthProblem),
  }), [connection, keys]);

  const applyConnection = (c) => {
    saveConnection(c);
    setConnection(c);
  };
  const applyKeys = (k) => {
    saveKeys(k);
    setKeys(k);
    setAuthProblem(null);
  };

  return (
    <ApiContext.Provider value={api}>
      <header className="top">
        <h1><a href="#/">Millrace</a> <span className="dim">console</span></h1>
        <nav>
          <a href="#/" className={route.page !== "kcl" ? "current" : ""}>Streams</a>
          <a href="#/kcl" className={route.page === "kcl" ? "current" : ""}>KCL applications</a>
        </nav>
        <ConnectionBar connection={connection} keys={keys} authProblem={authProblem}
          onConnection={applyConnection} onKeys={applyKeys} />
      </header>
      <main>
        {route.page === "streams" && <StreamsPage />}
        {route.page === "stream" && <Lazy key={route.streamName} what="stream's page">
          <StreamPage streamName={route.streamName} /></Lazy>}
        {route.page === "kcl" && <Lazy what="KCL page"><KclPage /></Lazy>}
      </main>
    </ApiContext.Provider>
  );
}
