package dev.millrace.server;

import dev.millrace.storage.embedded.EmbeddedStorage;

import java.time.Clock;

/** Servers for tests: on the embedded backend, in the config's data directory, on the system clock. */
public final class TestServers {
    private TestServers() {
    }

    public static MillraceServer embedded(ServerConfig config) {
        Clock clock = Clock.systemUTC();
        return new MillraceServer(config, clock, () -> EmbeddedStorage.open(config.logConfig(), clock));
    }
}
