// The Kinesis calls the console makes more than once, with their pagination, each bounded (a stream has at most a few
// thousand shards; the console lists at most MAX_PAGES pages of anything).
import {
  ListStreamsCommand, ListShardsCommand, ListStreamConsumersCommand,
} from "@aws-sdk/client-kinesis";

const MAX_PAGES = 50;

/** Every stream: [{StreamName, StreamARN, StreamStatus, StreamModeDetails, StreamCreationTimestamp}]. */
export async function listStreams(kinesis) {
  const streams = [];
  let token;
  let lastName;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await kinesis.send(new ListStreamsCommand(token ? { NextToken: token }
      : lastName ? { ExclusiveStartStreamName: lastName } : {}));
    const summaries = out.StreamSummaries?.length ? out.StreamSummaries
      : (out.StreamNames ?? []).map((StreamName) => ({ StreamName }));
    streams.push(...summaries);
    if (!out.HasMoreStreams || summaries.length === 0) break;
    token = out.NextToken;
    lastName = summaries[summaries.length - 1].StreamName;
  }
  return streams;
}

/** Every shard of a stream that ListShards still returns (open ones and closed ones within the retention). */
export async function listShards(kinesis, streamName) {
  const shards = [];
  let token;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
    if (!token) break;
  }
  return shards;
}

export async function listConsumers(kinesis, streamArn) {
  const consumers = [];
  let token;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn,
      ...(token ? { NextToken: token } : {}) }));
    consumers.push(...(out.Consumers ?? []));
    token = out.NextToken;
    if (!token) break;
  }
  return consumers;
}

export function isOpen(shard) {
  return shard.SequenceNumberRange?.EndingSequenceNumber == null;
}
