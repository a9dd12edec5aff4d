// The console's one connection, shared by every page through React context: the AWS clients, and report(e), which
// turns an SDK error into one line and, when the error says the keys are missing or refused, asks for keys.
import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import { describeError, isAuthError } from "./connection.js";

export const ApiContext = createContext(null);

export function useApi() {
  return useContext(ApiContext);
}

/**
 * Runs `load` now, again every `intervalMs` (0: only when refresh() is called) and whenever `deps` change;
 * {data, error, loading, refresh}. A slow answer never overwrites a newer one.
 */
export function usePoll(load, intervalMs, deps) {
  const { report } = useApi();
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const inFlight = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    inFlight.current = true;
    try {
      const data = await loadRef.current();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (e) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error: report(e), loading: false }));
    } finally {
      if (mine === generation.current) inFlight.current = false;
    }
  }, [report]);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    refresh();
    if (!intervalMs) return () => { generation.current++; };
    // A timer tick while the last load is still out waits for the next tick: a slow server is not piled on.
    const timer = setInterval(() => { if (!inFlight.current) refresh(); }, intervalMs);
    return () => { clearInterval(timer); generation.current++; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh, intervalMs, ...deps]);
  return { ...state, refresh };
}

/** An action button's state: run(fn) shows "working" while fn runs, then its error (one line) or nothing. */
export function useAction() {
  const { report } = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = useCallback(async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(report(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, [report]);
  return { busy, error, run, setError };
}

export function makeReporter(onAuthProblem) {
  return (e) => {
    const line = describeError(e);
    if (isAuthError(e)) onAuthProblem(line);
    return line;
  };
}

export function ErrorLine({ error }) {
  return error ? <p className="error" role="alert">{error}</p> : null;
}
