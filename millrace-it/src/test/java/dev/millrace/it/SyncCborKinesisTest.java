package dev.millrace.it;

import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.net.URI;

/** The contract with the sync client in its default wire format, CBOR, over HTTP/1.1. */
class SyncCborKinesisTest extends KinesisApiContract {
    @Override
    protected KinesisClient newClient(URI endpoint, Clients.Recorder recorder) {
        return Clients.sync(endpoint, true, recorder);
    }

    @Override
    protected String wireContentType() {
        return Clients.CBOR;
    }
}
