package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node record's layout: what it writes reads back, and every malformed value is refused, never guessed at. */
class NodeInfoTest {
    private static final NodeInfo NODE = new NodeInfo("node-1.a_B", "http://10.0.0.5:4567/é", 1_733_000_000_123L);

    @Test
    void roundTripsAndFollowsTheDrawnLayout() {
        byte[] encoded = NODE.encode();
        assertThat(NodeInfo.decode(encoded)).isEqualTo(NODE);
        ByteBuffer buf = ByteBuffer.wrap(encoded);
        assertThat(buf.get()).isEqualTo((byte) 1);
        assertThat(buf.getShort()).isEqualTo((short) 10);
        byte[] endpoint = NODE.endpoint().getBytes(StandardCharsets.UTF_8);
        assertThat(buf.getShort(13)).isEqualTo((short) endpoint.length);
        assertThat(buf.getLong(15 + endpoint.length)).isEqualTo(NODE.startedMs());
        assertThat(encoded).hasSize(23 + endpoint.length);
    }

    @Test
    void refusesEveryTruncationAndTrailingBytes() {
        byte[] encoded = NODE.encode();
        for (int length = 0; length < encoded.length; length++) {
            byte[] cut = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> NodeInfo.decode(cut)).as("first %d bytes", length)
                    .isInstanceOf(CorruptDataException.class);
        }
        assertThatThrownBy(() -> NodeInfo.decode(Arrays.copyOf(encoded, encoded.length + 1)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("after the end");
    }

    @Test
    void refusesUnknownFormatsBadIdsAndBadUtf8() {
        byte[] format2 = NODE.encode();
        format2[0] = 2;
        assertThatThrownBy(() -> NodeInfo.decode(format2)).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("unknown format 2");
        byte[] badId = NODE.encode();
        badId[3] = '/';
        assertThatThrownBy(() -> NodeInfo.decode(badId)).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("node id");
        byte[] badUtf8 = NODE.encode();
        badUtf8[3] = (byte) 0xC3; // a lead byte followed by ASCII
        assertThatThrownBy(() -> NodeInfo.decode(badUtf8)).isInstanceOf(CorruptDataException.class);
        byte[] hugeLength = NODE.encode();
        hugeLength[1] = (byte) 0xFF;
        assertThatThrownBy(() -> NodeInfo.decode(hugeLength)).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> NodeInfo.decode("{\"nodeId\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptDataException.class);
    }

    @Test
    void refusesInvalidFieldsWhenBuilt() {
        assertThatThrownBy(() -> new NodeInfo("", "http://x", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeInfo("a".repeat(65), "http://x", 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeInfo("a b", "http://x", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeInfo("a", "", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeInfo("a", "http://x\n", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NodeInfo("a", "x".repeat(NodeInfo.MAX_ENDPOINT_BYTES + 1), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new NodeInfo("a".repeat(64), "x".repeat(NodeInfo.MAX_ENDPOINT_BYTES), -1).nodeId()).hasSize(64);
    }
}
