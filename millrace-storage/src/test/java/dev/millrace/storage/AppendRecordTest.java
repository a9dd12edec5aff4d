package dev.millrace.storage;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A record's payload may be a view into a larger array (a request body); what leaves the record is only the view. */
class AppendRecordTest {
    private static final byte[] BODY = "..header..payload..trailer..".getBytes(StandardCharsets.US_ASCII);
    private static final AppendRecord VIEW = new AppendRecord("k", null, BODY, 10, 7);

    @Test
    void aViewGivesOnlyItsBytes() {
        assertThat(VIEW.dataLength()).isEqualTo(7);
        assertThat(VIEW.data()).isEqualTo("payload".getBytes(StandardCharsets.US_ASCII)).isNotSameAs(BODY);
        ByteBuffer out = ByteBuffer.allocate(9);
        out.put((byte) '<');
        VIEW.copyDataTo(out);
        out.put((byte) '>');
        assertThat(out.array()).isEqualTo("<payload>".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aWholeArrayIsHandedOnAsItIs() {
        byte[] data = {1, 2, 3};
        AppendRecord whole = new AppendRecord("k", data);
        assertThat(whole.data()).isSameAs(data);
        List<AppendRecord> records = List.of(whole, AppendRecord.of("k", "x"));
        assertThat(AppendRecord.withOwnData(records)).isSameAs(records);
    }

    @Test
    void recordsThatOutliveTheCallLetGoOfTheBody() {
        AppendRecord whole = new AppendRecord("j", "h", new byte[] {9});
        List<AppendRecord> owned = AppendRecord.withOwnData(List.of(whole, VIEW));
        assertThat(owned.get(0)).isSameAs(whole);
        AppendRecord copy = owned.get(1);
        assertThat(copy.dataArray()).isNotSameAs(BODY).isEqualTo("payload".getBytes(StandardCharsets.US_ASCII));
        assertThat(copy.dataOffset()).isZero();
        assertThat(copy.partitionKey()).isEqualTo("k");
        assertThat(copy.explicitHashKey()).isNull();
    }

    @Test
    void aViewMustLieInsideItsArray() {
        assertThatThrownBy(() -> new AppendRecord("k", null, BODY, 20, 10))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new AppendRecord("k", null, BODY, -1, 2))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
