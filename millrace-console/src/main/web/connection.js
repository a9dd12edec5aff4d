// Where the console sends its calls and with which keys. The endpoint and region are kept in localStorage (they are
// not secrets); access keys only in sessionStorage, so they end with the tab and never leave the browser except as
// SigV4 signatures made by the AWS SDK. The default endpoint is the page's own origin (the Millrace server that
// served it); blank means AWS's own endpoints for the region.
// Only the Kinesis client is made here: the CloudWatch and DynamoDB clients are made by the parts of the page that
// use them (clientOf), which are loaded when shown, so their SDK packages are not in the page's first download.
import { KinesisClient } from "@aws-sdk/client-kinesis";

const CONNECTION_KEY = "millrace-console.connection";
const KEYS_KEY = "millrace-console.keys";
export const DEFAULT_REGION = "us-east-1";
/** Any keys do with --auth none; a server that checks signatures refuses them and the console asks for real ones. */
export const PLACEHOLDER_KEYS = { accessKeyId: "millrace-console", secretAccessKey: "unsigned" };

export function loadConnection() {
  const saved = readJson(localStorage, CONNECTION_KEY);
  return {
    endpoint: typeof saved?.endpoint === "string" ? saved.endpoint : location.origin,
    region: saved?.region || DEFAULT_REGION,
  };
}

export function saveConnection({ endpoint, region }) {
  localStorage.setItem(CONNECTION_KEY, JSON.stringify({ endpoint, region }));
}

export function loadKeys() {
  const k = readJson(sessionStorage, KEYS_KEY);
  return k?.accessKeyId && k?.secretAccessKey ? k : null;
}

export function saveKeys(keys) {
  if (keys) {
    sessionStorage.setItem(KEYS_KEY, JSON.stringify(keys));
  } else {
    sessionStorage.removeItem(KEYS_KEY);
  }
}

/**
 * A connection's clients: {kinesis, config, others}: config is what every other SDK client is made with, and others
 * keeps those made (clientOf). Keys null means the placeholder keys.
 */
export function makeClients({ endpoint, region }, keys) {
  const credentials = keys
    ? { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey,
        ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}) }
    : { ...PLACEHOLDER_KEYS }; // a copy: the SDK marks the credentials object it is given
  const config = { region: region || DEFAULT_REGION, credentials, maxAttempts: 2,
    ...(endpoint ? { endpoint: endpoint.replace(/\/+$/, "") } : {}) };
  return { config, kinesis: new KinesisClient(config), others: new Map() };
}

/** The client of class `Client` (an AWS SDK v3 client) for `clients`' connection, made on first use and kept. */
export function clientOf(clients, Client) {
  let client = clients.others.get(Client);
  if (!client) {
    client = new Client(clients.config);
    clients.others.set(Client, client);
  }
  return client;
}

const AUTH_ERRORS = new Set(["UnrecognizedClientException", "InvalidSignatureException",
  "IncompleteSignatureException", "MissingAuthenticationTokenException", "MissingAuthenticationToken",
  "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredTokenException", "AccessDeniedException",
  "AccessDenied", "UnauthorizedOperation"]);

/** Whether an SDK error says the keys are missing, wrong or not allowed: the console then asks for keys. */
export function isAuthError(e) {
  const status = e?.$metadata?.httpStatusCode;
  return AUTH_ERRORS.has(e?.name) || status === 401 || status === 403;
}

/** One line for an SDK error: its AWS error code and message. */
export function describeError(e) {
  if (!e) return "";
  const name = e.name && e.name !== "Error" ? `${e.name}: ` : "";
  return `${name}${e.message || String(e)}`;
}

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}
