package dev.millrace.protocol;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A CBOR request's byte strings are read as views into the body ({@link CborByteString}) when that is safe, and
 * exactly as Jackson reads them otherwise.
 */
class CborByteStringTest {
    private final RequestReader reader = new RequestReader(ApiModel.kinesis());

    @Test
    void definiteLengthsOfEveryHeaderSizeAreViewsIntoTheBody() throws Exception {
        // 0..23 in the initial byte; 24..255 one length byte; then two, and four (65,536 and 1 MiB).
        for (int length : new int[] {0, 1, 23, 24, 255, 256, 65_535, 65_536, 1 << 20}) {
            byte[] data = new byte[length];
            new Random(length).nextBytes(data);
            byte[] body = putRecords(CBORFactory.builder().build(), List.of(data, "second".getBytes()));
            List<Struct> records = reader.read(WireFormat.CBOR, "PutRecordsInput", body).list("Records");
            Blob view = records.get(0).blobView("Data");
            assertThat(view.array()).as("length %d", length).isSameAs(body);
            assertThat(view.toArray()).isEqualTo(data);
            assertThat(records.get(0).blob("Data")).isEqualTo(data).isNotSameAs(body);
            // The parser skipped the bytes it did not read and went on where they end.
            assertThat(records.get(1).blobView("Data").toArray()).isEqualTo("second".getBytes());
            assertThat(records.get(1).string("PartitionKey")).isEqualTo("key-1");
        }
    }

    @Test
    void insideAStringReferenceNamespaceTheParserReadsThemItself() throws Exception {
        // STRINGREF wraps the document in tag 256 and sends a repeated byte string once, then refers to it: the
        // parser has to read each string to resolve those references.
        byte[] same = "the same data twice".getBytes(StandardCharsets.UTF_8);
        CBORFactory refs = CBORFactory.builder().configure(CBORGenerator.Feature.STRINGREF, true).build();
        byte[] body = putRecords(refs, List.of(same, same, "other".getBytes()));
        List<Struct> records = reader.read(WireFormat.CBOR, "PutRecordsInput", body).list("Records");
        assertThat(records.get(0).blobView("Data").array()).isNotSameAs(body);
        assertThat(records.get(0).blob("Data")).isEqualTo(same);
        assertThat(records.get(1).blob("Data")).isEqualTo(same);
        assertThat(records.get(2).blob("Data")).isEqualTo("other".getBytes());
    }

    @Test
    void otherEncodingsAreReadByJackson() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        // indefinite length: two chunks, then the break
        assertThat(data(bytes(0x5f, 0x42, 'a', 'b', 0x41, 'c', 0xff))).isEqualTo(abc);
        // tagged (22: "expected base64"): the token starts at the tag, not at the byte string
        assertThat(data(bytes(0xd6, 0x43, 'a', 'b', 'c'))).isEqualTo(abc);
        // not the shortest length encodings: still views, still the same bytes
        assertThat(data(bytes(0x58, 3, 'a', 'b', 'c'))).isEqualTo(abc);
        assertThat(data(bytes(0x5b, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'))).isEqualTo(abc);
    }

    @Test
    void aLengthPastTheBodyIsStillAMalformedBody() {
        for (byte[] bad : List.of(bytes(0x58, 16, 'a'), bytes(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
                bytes(0x5a, 0x7f, 0xff, 0xff, 0xff, 'a'), bytes(0x59))) {
            assertThatThrownBy(() -> data(bad)).isInstanceOfSatisfying(KinesisException.class,
                    e -> assertThat(e.errorType()).isEqualTo("SerializationException"));
        }
    }

    @Test
    void jsonBlobsAreArraysOfTheirOwn() {
        byte[] body = "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"YWJj\"}".getBytes(StandardCharsets.UTF_8);
        Blob blob = reader.read(WireFormat.JSON, "PutRecordInput", body).blobView("Data");
        assertThat(blob.offset()).isZero();
        assertThat(blob.length()).isEqualTo(blob.array().length).isEqualTo(3);
        assertThat(blob.toArray()).isSameAs(blob.array()).isEqualTo("abc".getBytes(StandardCharsets.US_ASCII));
    }

    /** The Data of a PutRecord body whose Data member is {@code encoded} as given, the other members plain. */
    private byte[] data(byte[] encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(0xa3));
        text(out, "StreamName");
        text(out, "s");
        text(out, "Data");
        out.writeBytes(encoded);
        text(out, "PartitionKey");
        text(out, "k");
        Struct request = reader.read(WireFormat.CBOR, "PutRecordInput", out.toByteArray());
        assertThat(request.string("PartitionKey")).isEqualTo("k");
        return request.blob("Data");
    }

    private static void text(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.write(0x60 + utf8.length); // short texts only
        out.writeBytes(utf8);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] putRecords(CBORFactory factory, List<byte[]> data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = (CBORGenerator) factory.createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("Records");
            g.writeStartArray();
            for (int i = 0; i < data.size(); i++) {
                g.writeStartObject();
                g.writeFieldName("Data");
                g.writeBinary(data.get(i));
                g.writeFieldName("PartitionKey");
                g.writeString("key-" + i);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeFieldName("StreamName");
            g.writeString("stream");
            g.writeEndObject();
        }
        return out.toByteArray();
    }
}
