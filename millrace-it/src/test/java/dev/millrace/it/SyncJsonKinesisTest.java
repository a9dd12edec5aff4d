package dev.millrace.it;

import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.net.URI;

/**
 * The contract with the sync client sending JSON 1.1, as it does with {@code -Daws.cborEnabled=false} (the recorder
 * checks that every request and response really is JSON).
 */
class SyncJsonKinesisTest extends KinesisApiContract {
    @Override
    protected KinesisClient newClient(URI endpoint, Clients.Recorder recorder) {
        return Clients.sync(endpoint, false, recorder);
    }

    @Override
    protected String wireContentType() {
        return Clients.JSON;
    }
}
