// How a record's bytes are shown in the tail: as UTF-8 text, as JSON (indented), as hex, or "auto" (JSON if the
// bytes are UTF-8 JSON, text if they are UTF-8, hex otherwise). Display is bounded: a large record is cut, and says so.
export const FORMATS = ["auto", "utf-8", "json", "hex"];
const MAX_SHOWN_BYTES = 4096;
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

/** {text, kind} for `bytes` (a Uint8Array) in `format`; kind is what it was shown as. */
export function render(bytes, format) {
  const shown = bytes.length > MAX_SHOWN_BYTES ? bytes.subarray(0, MAX_SHOWN_BYTES) : bytes;
  const cut = bytes.length > MAX_SHOWN_BYTES ? ` … (${bytes.length} bytes, first ${MAX_SHOWN_BYTES} shown)` : "";
  switch (format) {
    case "hex":
      return { text: hex(shown) + cut, kind: "hex" };
    case "utf-8":
      return { text: lenient.decode(shown) + cut, kind: "utf-8" };
    case "json": {
      const json = asJson(bytes);
      return json != null ? { text: json, kind: "json" }
        : { text: `(not JSON) ${lenient.decode(shown)}${cut}`, kind: "utf-8" };
    }
    default: {
      const text = asText(bytes);
      if (text == null) return { text: hex(shown) + cut, kind: "hex" };
      const json = /^\s*[[{]/.test(text) ? asJson(bytes) : null;
      return json != null ? { text: json, kind: "json" }
        : { text: text.slice(0, MAX_SHOWN_BYTES) + cut, kind: "utf-8" };
    }
  }
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function asText(bytes) {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

function asJson(bytes) {
  if (bytes.length > MAX_SHOWN_BYTES * 4) return null;
  const text = asText(bytes);
  if (text == null) return null;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return null;
  }
}
