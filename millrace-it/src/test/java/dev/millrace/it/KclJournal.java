package dev.millrace.it;

import software.amazon.kinesis.exceptions.InvalidStateException;
import software.amazon.kinesis.exceptions.KinesisClientLibRetryableException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.ShardRecordProcessorFactory;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What one KCL worker's record processors saw, one line per event, appended to a file: the worker may be a child JVM
 * that is killed, so the file is the only account that survives it, and the test reads every worker's file the same
 * way ({@link #read}).
 *
 * <p>A line is {@code <epoch micros> <type> <shardId> [<sequence number> [<data>]]}; the types are
 * {@link Event.Type}. Every call to a {@link Processor} writes its lines and flushes them before it returns (a
 * {@code processRecords} batch: the records first, then the checkpoint once it is written), so a killed worker loses
 * at most a torn last line, which {@link #read} skips. Times are wall-clock microseconds, comparable between the JVMs
 * of one machine: they order the events of different workers (a shard's parent ending before its child starts, a
 * record first processed before the next one of its key).
 *
 * <p>Thread-safe: KCL calls the processors of different shards from different threads; lines are appended under
 * the journal's lock.
 */
final class KclJournal implements ShardRecordProcessorFactory, AutoCloseable {
    private final Path file;
    private final BufferedWriter out;

    KclJournal(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public ShardRecordProcessor shardRecordProcessor() {
        return new Processor(this);
    }

    private synchronized void write(List<String> lines) {
        try {
            for (String line : lines) {
                out.write(line);
                out.write('\n');
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the journal " + file, e);
        }
    }

    private static String line(Event.Type type, String shardId, String... rest) {
        StringBuilder b = new StringBuilder().append(KclHarness.nowMicros()).append(' ').append(type.name()).append(' ')
                .append(shardId);
        for (String r : rest) {
            b.append(' ').append(r);
        }
        return b.toString();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    /** One line of a journal; {@code file} and {@code line} keep the order of events that share a time. */
    record Event(long micros, Type type, String shardId, String sequenceNumber, String data, int file, int line) {
        enum Type {
            /** initialize: {@code sequenceNumber} is the checkpoint the shard starts after (or TRIM_HORIZON). */
            I,
            /** one record of a processRecords batch. */
            P,
            /** the checkpoint at the end of a batch is written: {@code sequenceNumber}. */
            C,
            /** shardEnded was called (written before its checkpoint). */
            E,
            /** the SHARD_END checkpoint is written. */
            X,
            /** leaseLost. */
            L,
            /** shutdownRequested (graceful handoff or shutdown), once its checkpoint is written. */
            S
        }
    }

    /**
     * Every complete line of the given journals, ordered by time; events of one file that share a time keep their
     * file order, and files are numbered in argument order.
     */
    static List<Event> read(List<Path> journals) {
        List<Event> all = new ArrayList<>();
        for (int f = 0; f < journals.size(); f++) {
            String text;
            try {
                text = Files.exists(journals.get(f)) ? Files.readString(journals.get(f)) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                continue;
            }
            String[] lines = text.substring(0, end).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String[] p = lines[i].split(" ");
                all.add(new Event(Long.parseLong(p[0]), Event.Type.valueOf(p[1]), p[2], p.length > 3 ? p[3] : null,
                        p.length > 4 ? p[4] : null, f, i));
            }
        }
        all.sort((a, b) -> a.micros != b.micros ? Long.compare(a.micros, b.micros)
                : a.file != b.file ? Integer.compare(a.file, b.file) : Integer.compare(a.line, b.line));
        return all;
    }

    /**
     * A record processor as an application would write one: it checkpoints after every batch, at the end of a
     * shard, and when asked to shut down; a lost lease only means stopping. It notes each step in the journal.
     *
     * <p>Not thread-safe; KCL calls one processor from one thread at a time.
     */
    private static final class Processor implements ShardRecordProcessor {
        private final KclJournal journal;
        private String shardId;

        Processor(KclJournal journal) {
            this.journal = journal;
        }

        @Override
        public void initialize(InitializationInput input) {
            shardId = input.shardId();
            journal.write(List.of(line(Event.Type.I, shardId, input.extendedSequenceNumber().sequenceNumber())));
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            List<KinesisClientRecord> records = input.records();
            if (records.isEmpty()) {
                return;
            }
            List<String> lines = new ArrayList<>(records.size());
            for (KinesisClientRecord r : records) {
                lines.add(line(Event.Type.P, shardId, r.sequenceNumber(),
                        StandardCharsets.UTF_8.decode(r.data()).toString()));
            }
            journal.write(lines);
            String last = records.get(records.size() - 1).sequenceNumber();
            if (checkpoint(input.checkpointer(), last)) {
                journal.write(List.of(line(Event.Type.C, shardId, last)));
            }
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
            journal.write(List.of(line(Event.Type.L, shardId)));
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            journal.write(List.of(line(Event.Type.E, shardId)));
            if (checkpoint(input.checkpointer(), null)) {
                journal.write(List.of(line(Event.Type.X, shardId)));
            }
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            if (checkpoint(input.checkpointer(), null)) {
                journal.write(List.of(line(Event.Type.S, shardId)));
            }
        }

        /**
         * Checkpoints at {@code sequenceNumber}, or at what was last delivered if it is null; false if it could not.
         * Two failures are expected and left to KCL: a lease lost in the meantime ({@link ShutdownException}:
         * another worker has the shard and starts from the previous checkpoint), and a retryable one (DynamoDB
         * unreachable or throttling: the next batch's checkpoint covers this one; at a shard's end KCL calls
         * {@code shardEnded} again until it checkpoints). Anything else fails the call, which KCL reports.
         */
        private static boolean checkpoint(RecordProcessorCheckpointer checkpointer, String sequenceNumber) {
            try {
                if (sequenceNumber == null) {
                    checkpointer.checkpoint();
                } else {
                    checkpointer.checkpoint(sequenceNumber);
                }
                return true;
            } catch (ShutdownException | KinesisClientLibRetryableException e) {
                return false;
            } catch (InvalidStateException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
