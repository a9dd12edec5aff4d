// De-aggregation of records written by the Kinesis Producer Library. An aggregated record is
//
//   [F3 89 9A C2][protobuf AggregatedRecord][16-byte MD5 of the protobuf bytes]
//
//   message AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
//                              repeated Record records = 3; }
//   message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
//                    required bytes data = 3; repeated Tag tags = 4; }
//
// As KCL does, a record is taken as aggregated only when the magic bytes match and the MD5 checks out; anything else
// is shown as the plain record it is. The protobuf wire format is read with protobufjs's reader (its minimal build:
// no code generation, nothing evaluated, so the page's content security policy holds). protobufjs and js-md5 are
// loaded (dynamic import, a chunk of their own) when the first record with the magic bytes comes: most streams carry
// none, and the page's first load is smaller without them.

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const MD5_BYTES = 16;
const LENGTH_DELIMITED = 2;

let libraries = null;

/** {Reader, md5}, loaded once; a failed load is not kept, so the next aggregated record tries again. */
function loadLibraries() {
  libraries ??= Promise.all([import("protobufjs/minimal.js"), import("js-md5")])
    .then(([protobuf, md5]) => ({ Reader: (protobuf.default ?? protobuf).Reader, md5: md5.default ?? md5 }))
    .catch((e) => {
      libraries = null;
      throw e;
    });
  return libraries;
}

/**
 * The user records inside a KPL aggregated record, each {partitionKey, explicitHashKey, data, subSequenceNumber},
 * or null when `bytes` (a Uint8Array) is not one. Asynchronous only for the first aggregated record, whose decoding
 * libraries are loaded then; it rejects if they cannot be.
 */
export async function deaggregate(bytes) {
  if (bytes.length <= MAGIC.length + MD5_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    return null;
  }
  const { Reader, md5 } = await loadLibraries();
  const message = bytes.subarray(MAGIC.length, bytes.length - MD5_BYTES);
  const digest = new Uint8Array(md5.arrayBuffer(message));
  const sent = bytes.subarray(bytes.length - MD5_BYTES);
  if (digest.some((b, i) => b !== sent[i])) {
    return null;
  }
  try {
    return decodeAggregated(Reader, message);
  } catch {
    return null; // magic and digest match, yet no protobuf message: shown as the bytes it is
  }
}

function decodeAggregated(Reader, message) {
  const r = Reader.create(message);
  const partitionKeys = [];
  const hashKeys = [];
  const records = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LENGTH_DELIMITED) {
      partitionKeys.push(r.string());
    } else if (field === 2 && (tag & 7) === LENGTH_DELIMITED) {
      hashKeys.push(r.string());
    } else if (field === 3 && (tag & 7) === LENGTH_DELIMITED) {
      records.push(decodeRecord(r, r.uint32()));
    } else {
      r.skipType(tag & 7);
    }
  }
  return records.map((rec, i) => ({
    partitionKey: partitionKeys[rec.partitionKeyIndex] ?? null,
    explicitHashKey: rec.explicitHashKeyIndex == null ? null : hashKeys[rec.explicitHashKeyIndex] ?? null,
    data: rec.data,
    subSequenceNumber: i,
  }));
}

function decodeRecord(r, length) {
  const end = r.pos + length;
  const rec = { partitionKeyIndex: 0, explicitHashKeyIndex: null, data: new Uint8Array(0) };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: rec.partitionKeyIndex = toNumber(r.uint64()); break;
      case 2: rec.explicitHashKeyIndex = toNumber(r.uint64()); break;
      case 3: rec.data = r.bytes(); break;
      default: r.skipType(tag & 7);
    }
  }
  if (r.pos !== end) {
    throw new Error("a record runs past its length");
  }
  return rec;
}

function toNumber(value) {
  return typeof value === "number" ? value : Number(value.toString());
}
