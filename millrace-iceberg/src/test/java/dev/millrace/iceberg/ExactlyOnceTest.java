package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.filesInTable;
import static dev.millrace.iceberg.TestBatches.filesOnDisk;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.table.TableCheckpointConflictException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes (two catalog instances on one SQLite file, as a zombie and its successor would be) deliver the same
 * shard; a process dies between writing data files and committing. Every row must end up in the table once.
 */
class ExactlyOnceTest {

    private static final String SHARD = "shardId-000000000007";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");

    @TempDir
    Path dir;

    private IcebergCatalogs node() {
        return new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("catalog.db"), dir.resolve("warehouse")));
    }

    private static IcebergBatchWriter writer(IcebergCatalogs node) throws IOException {
        return new IcebergBatchWriter(node.catalog(BUCKET), TABLE, TestBatches.tableSchema(), TableCompression.ZSTD,
                "ch-1");
    }

    @Test
    void aStaleWriterWhoseBatchARivalCommittedFirstFindsItAlreadyCommittedAndLeavesNoDuplicate() throws Exception {
        try (IcebergCatalogs zombieNode = node(); IcebergCatalogs rivalNode = node()) {
            IcebergBatchWriter zombie = writer(zombieNode);
            IcebergBatchWriter rival = writer(rivalNode);
            zombie.write(SHARD, 0, 10, rows(0, 10));
            // The zombie read checkpoint 10 and wrote its files; before it commits, the rival delivers the same range.
            zombie.beforeCommit(() -> {
                try {
                    rival.write(SHARD, 10, 20, rows(10, 10));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });

            // Not a conflict: the engine would move its checkpoint and drop the batch's staged dead letters, which
            // the rival may never have uploaded. The table has the batch; the zombie read all of it.
            assertThat(zombie.write(SHARD, 10, 20, rows(10, 10))).isEqualTo(new IcebergBatchWriter.AlreadyCommitted(20));

            Table table = rivalNode.catalog(BUCKET).loadTable(TABLE);
            assertThat(ids(table)).isEqualTo(range(0, 20));
            assertThat(filesOnDisk(dir)).as("the zombie deleted its uncommitted files")
                    .isEqualTo(filesInTable(table));
            assertThat(writer(node()).checkpoint(SHARD)).hasValue(20);
        }
    }

    @Test
    void aStaleWriterWhoseRangeARivalCommittedPartlyFailsValidationAndLeavesNoDuplicate() throws Exception {
        try (IcebergCatalogs zombieNode = node(); IcebergCatalogs rivalNode = node()) {
            IcebergBatchWriter zombie = writer(zombieNode);
            IcebergBatchWriter rival = writer(rivalNode);
            zombie.write(SHARD, 0, 10, rows(0, 10));
            zombie.beforeCommit(() -> {
                try {
                    rival.write(SHARD, 10, 15, rows(10, 5));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });

            assertThatThrownBy(() -> zombie.write(SHARD, 10, 20, rows(10, 10)))
                    .isInstanceOf(TableCheckpointConflictException.class)
                    .hasMessageContaining("moved to OptionalLong[15]")
                    .satisfies(e -> assertThat(((TableCheckpointConflictException) e).tableCheckpoint()).hasValue(15));

            Table table = rivalNode.catalog(BUCKET).loadTable(TABLE);
            assertThat(ids(table)).isEqualTo(range(0, 15));
            assertThat(filesOnDisk(dir)).isEqualTo(filesInTable(table));
        }
    }

    @Test
    void aRivalCommittingBetweenOurValidationAndOurSwapMakesIcebergsRetryFailValidation() throws Exception {
        // The race the catalog's compare-and-swap decides, on the mechanism IcebergBatchWriter relies on: our
        // validation passes, the rival's commit lands before our swap, the swap fails, Iceberg retries on the new
        // head and runs the validator again, which now sees the rival's checkpoint.
        try (IcebergCatalogs ours = node(); IcebergCatalogs theirs = node()) {
            IcebergBatchWriter rival = writer(theirs);
            rival.write(SHARD, 0, 5, rows(0, 5));
            Table ourTable = ours.catalog(BUCKET).loadTable(TABLE);
            String key = IcebergBatchWriter.CHECKPOINT_PREFIX + SHARD;
            int[] validations = {0};
            SnapshotAncestryValidator checkpointIs5 = new SnapshotAncestryValidator() {
                @Override
                public boolean validate(Iterable<Snapshot> ancestors) {
                    if (validations[0]++ == 0) {
                        try {
                            rival.write(SHARD, 5, 10, rows(5, 5));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    for (Snapshot snapshot : ancestors) {
                        if (snapshot.summary().containsKey(key)) {
                            return "5".equals(snapshot.summary().get(key));
                        }
                    }
                    return false;
                }

                @Override
                public String errorMessage() {
                    return key + " moved";
                }
            };
            DataFile ourCopy = ourTable.currentSnapshot().addedDataFiles(ourTable.io()).iterator().next();

            assertThatThrownBy(() -> ourTable.newAppend().appendFile(ourCopy).set(key, "10")
                    .validateWith(checkpointIs5).commit())
                    .isInstanceOf(ValidationException.class).hasMessageContaining(key + " moved");
            assertThat(validations[0]).as("validated, swap failed, validated again").isEqualTo(2);
            assertThat(ids(theirs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 10));
        }
    }

    @Test
    void withoutTheValidatorAStaleHandlesAppendIsRebasedAndDuplicatesRows() throws Exception {
        // Why the validator: Iceberg rebases a plain append from a stale handle onto the new head.
        try (IcebergCatalogs a = node(); IcebergCatalogs b = node()) {
            writer(a).write(SHARD, 0, 5, rows(0, 5));
            Table stale = b.catalog(BUCKET).loadTable(TABLE);
            DataFile file = stale.currentSnapshot().addedDataFiles(stale.io()).iterator().next();
            writer(a).write(SHARD, 5, 10, rows(5, 5));
            stale.newAppend().appendFile(file).commit();
            assertThat(ids(a.catalog(BUCKET).loadTable(TABLE))).hasSizeGreaterThan(10);
        }
    }

    @Test
    void aCrashBetweenFileWriteAndCommitLeavesAnOrphanFileButNoDuplicateRowsOnRetry() throws Exception {
        IcebergCatalogs crashed = node();
        IcebergBatchWriter before = writer(crashed);
        before.write(SHARD, 0, 10, rows(0, 10));
        before.beforeCommit(() -> {
            throw new SimulatedCrash();
        });
        assertThatThrownBy(() -> before.write(SHARD, 10, 40, rows(10, 30))).isInstanceOf(SimulatedCrash.class);
        crashed.close();
        Set<String> afterCrash = filesOnDisk(dir);

        try (IcebergCatalogs restarted = node()) {
            IcebergBatchWriter after = writer(restarted);
            assertThat(after.checkpoint(SHARD)).as("the table is the truth: the batch is not in it").hasValue(10);
            after.write(SHARD, 10, 40, rows(10, 30));
            assertThat(after.write(SHARD, 10, 40, rows(10, 30))).isInstanceOf(IcebergBatchWriter.AlreadyCommitted.class);

            Table table = restarted.catalog(BUCKET).loadTable(TABLE);
            assertThat(ids(table)).isEqualTo(range(0, 40));
            Set<String> orphans = new TreeSet<>(filesOnDisk(dir));
            orphans.removeAll(filesInTable(table));
            assertThat(orphans).as("the crashed attempt's files, referenced by no snapshot").isNotEmpty()
                    .isSubsetOf(afterCrash)
                    .allSatisfy(f -> assertThat(Path.of(f).getFileName().toString())
                            .contains("-000000000007-" + IcebergBatchWriter.base36(10) + "-"));

            assertThat(after.sweepUncommitted(SHARD, Instant.EPOCH)).as("too young to be swept").isZero();
            assertThat(after.sweepUncommitted("shardId-000000000008", Instant.now().plusSeconds(60)))
                    .as("another shard's files are not this shard's").isZero();
            assertThat(after.sweepUncommitted(Instant.EPOCH)).as("too young to be swept").isZero();
            assertThat(after.sweepUncommitted(Instant.now().plusSeconds(60))).as("every shard at once")
                    .isEqualTo(orphans.size());
            assertThat(filesOnDisk(dir)).isEqualTo(filesInTable(table));
            assertThat(ids(table)).as("the sweep left every committed file").isEqualTo(range(0, 40));
        }
    }

    @Test
    void theSweepKeepsFilesThatACompactionReplacedWhileAnOlderSnapshotStillReadsThem() throws Exception {
        try (IcebergCatalogs node = node()) {
            IcebergBatchWriter writer = writer(node);
            writer.write(SHARD, 0, 10, rows(0, 10));
            Table table = node.catalog(BUCKET).loadTable(TABLE);
            long beforeCompaction = table.currentSnapshot().snapshotId();
            // Maintenance (S3 Tables' compaction, a user's rewrite_data_files): our files replaced by copies named
            // by someone else. The current snapshot no longer lists ours; the older one still reads them.
            RewriteFiles rewrite = table.newRewrite();
            for (DataFile ours : table.currentSnapshot().addedDataFiles(table.io())) {
                Path from = Path.of(ours.location().replaceFirst("^file:", ""));
                Path to = from.resolveSibling("compacted-" + from.getFileName());
                Files.copy(from, to);
                rewrite.deleteFile(ours)
                        .addFile(DataFiles.builder(table.spec()).copy(ours).withPath(to.toString()).build());
            }
            rewrite.commit();
            Set<String> ourFiles = new TreeSet<>(filesOnDisk(dir));
            ourFiles.removeIf(f -> Path.of(f).getFileName().toString().startsWith("compacted-"));
            assertThat(ourFiles).isNotEmpty().doesNotContainAnyElementsOf(filesInTable(table));

            assertThat(writer.sweepUncommitted(SHARD, Instant.now().plusSeconds(60)))
                    .as("files an older snapshot references are not uncommitted").isZero();
            assertThat(filesOnDisk(dir)).containsAll(ourFiles);
            List<Long> asOfBefore = new ArrayList<>();
            try (CloseableIterable<Record> old = IcebergGenerics.read(table).useSnapshot(beforeCompaction).build()) {
                old.forEach(r -> asOfBefore.add((Long) r.getField("id")));
            }
            assertThat(asOfBefore).containsExactlyInAnyOrderElementsOf(range(0, 10));

            // Once the older snapshot expires, Iceberg deletes what only it read; the sweep still finds nothing.
            table.expireSnapshots().expireSnapshotId(beforeCompaction).commit();
            assertThat(filesOnDisk(dir)).doesNotContainAnyElementsOf(ourFiles);
            assertThat(writer.sweepUncommitted(SHARD, Instant.now().plusSeconds(60))).isZero();
            assertThat(ids(table)).isEqualTo(range(0, 10));
        }
    }

    /** Stands for the process dying: nothing catches it, nothing is cleaned up. */
    private static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash() {
            super("simulated crash between data file write and commit");
        }
    }
}
