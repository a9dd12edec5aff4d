package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the metadata topic's records are read back into commits ({@link MetadataAssembler}), no broker. */
class MetadataAssemblerTest {
    private long offset;

    private ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ConsumerRecord<>("p.metadata", 0, offset++, key, value);
    }

    private ConsumerRecord<byte[], byte[]> data(String key, String value) {
        return record(key.getBytes(StandardCharsets.UTF_8), value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private ConsumerRecord<byte[], byte[]> version(long version) {
        return record(KafkaMetadataStore.VERSION_KEY, KafkaMetadataStore.versionValue(version));
    }

    @Test
    void dataRecordsAreGatheredUntilTheirVersionRecordClosesThem() {
        MetadataAssembler assembler = new MetadataAssembler();
        assertThat(assembler.accept(data("b", "2"))).isNull();
        assertThat(assembler.accept(data("a", null))).isNull();
        KafkaMetadataStore.Commit commit = assembler.accept(version(7));
        assertThat(commit.version()).isEqualTo(7);
        assertThat(commit.changes().keySet()).containsExactly("b", "a");
        assertThat(new String(commit.changes().get("b"), StandardCharsets.UTF_8)).isEqualTo("2");
        assertThat(commit.changes().get("a")).isNull();
        assertThat(commit.changes()).containsKey("a");
        // The next commit starts empty.
        assertThat(assembler.accept(version(8)).changes()).isEmpty();
    }

    @Test
    void commitsMergedByCompactionKeepEachKeysLastRecordInLogOrder() {
        MetadataAssembler assembler = new MetadataAssembler();
        // Versions 1..3 whose version records compaction removed: k was written at 1 and deleted at 3.
        assembler.accept(data("k", "old"));
        assembler.accept(data("x", "1"));
        assembler.accept(data("k", null));
        KafkaMetadataStore.Commit commit = assembler.accept(version(3));
        assertThat(commit.changes().keySet()).containsExactly("x", "k");
        assertThat(commit.changes().get("k")).isNull();
    }

    @Test
    void anEmptyKeyIsAnOrdinaryKey() {
        MetadataAssembler assembler = new MetadataAssembler();
        assembler.accept(data("", "v"));
        assertThat(assembler.accept(version(1)).changes()).containsKey("");
    }

    @Test
    void foreignOrDamagedRecordsAreReportedWithTheirOffset() {
        MetadataAssembler assembler = new MetadataAssembler();
        assertThatThrownBy(() -> assembler.accept(record(null, new byte[1])))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("without a key").hasMessageContaining("offset 0");
        assertThatThrownBy(() -> assembler.accept(record("\0other".getBytes(StandardCharsets.UTF_8), new byte[8])))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("unknown reserved key");
        assertThatThrownBy(() -> assembler.accept(record(KafkaMetadataStore.VERSION_KEY, new byte[4])))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> assembler.accept(record(KafkaMetadataStore.VERSION_KEY, null)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> assembler.accept(version(0)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("positive");
    }

    @Test
    void aWriterRecordIsHandedOnByItselfAndLeavesTheGatheredRecordsAlone() {
        List<WriterInfo> writers = new ArrayList<>();
        MetadataAssembler assembler = new MetadataAssembler(writers::add);
        WriterInfo written = new WriterInfo("n\u00e9ud-1", "http://127.0.0.1:4567", 7);
        // After compaction a writer record can sit between a commit's surviving data records and its version record.
        assertThat(assembler.accept(data("a", "1"))).isNull();
        assertThat(assembler.accept(record(KafkaMetadataStore.WRITER_KEY, written.encode())))
                .isNull();
        assertThat(assembler.accept(data("b", "2"))).isNull();
        assertThat(assembler.accept(version(3)).changes().keySet()).containsExactly("a", "b");
        assertThat(writers).containsExactly(written);
        WriterInfo unreachable = new WriterInfo("pid 1", "", 8);
        assembler.accept(record(KafkaMetadataStore.WRITER_KEY, unreachable.encode()));
        assertThat(writers).containsExactly(written, unreachable);
    }

    @Test
    void damagedWriterRecordsAreReportedWithTheirOffset() {
        MetadataAssembler assembler = new MetadataAssembler(w -> { });
        byte[] good = new WriterInfo("node", "host:1", 2).encode();
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        byte[] shorter = Arrays.copyOf(good, good.length - 1);
        byte[] otherFormat = good.clone();
        otherFormat[0] = 2;
        byte[] zeroEpoch = new WriterInfo("node", "host:1", 0).encode();
        byte[] emptyId = good.clone();
        emptyId[9] = 0;
        emptyId[10] = 0;
        for (byte[] damaged : new byte[][] {longer, shorter, otherFormat, zeroEpoch, emptyId, null, new byte[0]}) {
            assertThatThrownBy(() -> assembler.accept(record(KafkaMetadataStore.WRITER_KEY, damaged)))
                    .isInstanceOf(CorruptDataException.class).hasMessageContaining("writer record")
                    .hasMessageContaining("offset");
        }
    }
}
