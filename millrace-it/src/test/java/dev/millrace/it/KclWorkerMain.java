package dev.millrace.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The main class of a KCL worker run in a child JVM ({@link KclWorker#launch}), so that a test can kill it for real:
 * {@code <endpoint> <stream> <application> <FAN_OUT|POLLING> <metrics> <accessKeyId> <secretAccessKey> <workerId>
 * <journal file>}. It runs until
 * it is killed, or until its standard input ends: the test JVM holds the other end, so a worker never outlives the
 * test run that started it.
 */
public final class KclWorkerMain {
    private KclWorkerMain() {
    }

    public static void main(String[] args) {
        if (args.length != KclWorker.App.ARGS + 2) {
            throw new IllegalArgumentException("usage: endpoint stream application retrieval metrics accessKeyId "
                    + "secretAccessKey workerId journal; got " + Arrays.toString(args));
        }
        Thread orphanWatch = new Thread(KclWorkerMain::exitWhenStdinEnds, "orphan-watch");
        orphanWatch.setDaemon(true);
        orphanWatch.start();
        KclWorker.runHere(KclWorker.App.fromArgs(args), args[KclWorker.App.ARGS],
                Path.of(args[KclWorker.App.ARGS + 1]));
    }

    private static void exitWhenStdinEnds() {
        try {
            while (System.in.read() >= 0) {
                // nothing is sent; only the end matters
            }
        } catch (IOException e) {
            // a broken pipe is an end too
        }
        System.err.println("standard input closed: the test JVM is gone; exiting");
        System.exit(3);
    }
}
