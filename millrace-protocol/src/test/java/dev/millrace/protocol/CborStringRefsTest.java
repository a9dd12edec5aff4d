package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CBOR parser without its synchronized stack ({@link CborStringRefs}) still reads every string it read. */
class CborStringRefsTest {
    private final RequestReader reader = new RequestReader(ApiModel.kinesis());

    @Test
    void theStackIsReplacedInThisJacksonVersion() throws Exception {
        // Fails when a Jackson upgrade moves the fields: the parsers would quietly keep taking a lock per string.
        JsonParser parser = CborStringRefs.unlocked(new CBORFactory().createParser(new byte[] {(byte) 0xa0}));
        assertThat(CborStringRefs.isUnlocked(parser)).isTrue();
    }

    @Test
    void stringReferencesStillResolve() throws Exception {
        // With STRINGREF the generator sends each repeated string once and refers back to it (tag 256 and 25):
        // the replaced stack is what the parser resolves those references through.
        byte[] plain = putRecords(false);
        byte[] withRefs = putRecords(true);
        assertThat(withRefs.length).isLessThan(plain.length);
        for (byte[] body : List.of(plain, withRefs)) {
            Struct request = reader.read(WireFormat.CBOR, "PutRecordsInput", body);
            List<Struct> records = request.list("Records");
            assertThat(records).hasSize(40);
            for (int i = 0; i < records.size(); i++) {
                assertThat(records.get(i).string("PartitionKey")).isEqualTo("partition-key-" + (i % 3));
                assertThat(new String(records.get(i).blob("Data"), StandardCharsets.UTF_8)).isEqualTo("data " + i);
            }
            assertThat(request.string("StreamName")).isEqualTo("stream-with-a-long-enough-name");
        }
    }

    private static byte[] putRecords(boolean stringRefs) throws Exception {
        CBORFactory factory = CBORFactory.builder().configure(CBORGenerator.Feature.STRINGREF, stringRefs).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = (CBORGenerator) factory.createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("Records");
            g.writeStartArray();
            for (int i = 0; i < 40; i++) {
                g.writeStartObject();
                g.writeFieldName("PartitionKey");
                g.writeString("partition-key-" + (i % 3));
                g.writeFieldName("Data");
                g.writeBinary(("data " + i).getBytes(StandardCharsets.UTF_8));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeFieldName("StreamName");
            g.writeString("stream-with-a-long-enough-name");
            g.writeEndObject();
        }
        return out.toByteArray();
    }
}
