package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyTemplateTest {

    private static final Instant ARRIVAL = Instant.parse("2026-07-20T14:30:59.999Z");
    private static final String SUFFIX = KeyTemplate.suffix("abcd1234efgh5678", 3, 42);

    @Test
    void defaultTemplateExpandsAsAwsShowsWithTheSuffixBeforeTheExtension() {
        KeyTemplate template = KeyTemplate.parse(null, "GZIP");
        assertThat(template.template()).isEqualTo(KeyTemplate.DEFAULT);
        assertThat(template.expand("my-channel", "abc123def456", "my-stream", ARRIVAL, "-SUFFIX"))
                .isEqualTo("kinesis-channel/my-channel/abc123def456/2026/07/20/14/"
                        + "my-channel-abc123def456-2026-07-20-14-30-SUFFIX.gz");
    }

    @ParameterizedTest
    @CsvSource({"NONE,''", "GZIP,.gz", "ZSTD,.zst"})
    void extensionFollowsCompression(String compression, String extension) {
        KeyTemplate template = KeyTemplate.parse("x/!{extension}", compression);
        assertThat(template.extension()).isEqualTo(extension);
        assertThat(template.expand("c", "i", "s", ARRIVAL, "-u")).isEqualTo("x/-u" + extension);
    }

    @Test
    void everyVariableExpandsInUtcZeroPadded() {
        KeyTemplate template = KeyTemplate.parse(
                "!{channel-name}/!{channel-id}/!{stream-name}/!{yyyy}/!{yy}/!{MM}/!{dd}/!{HH}/!{mm}", "NONE");
        Instant early = Instant.parse("2009-01-02T03:04:05Z");
        assertThat(template.expand("ch", "id", "st", early, "-u")).isEqualTo("ch/id/st/2009/09/01/02/03/04-u");
    }

    @Test
    void validExamplesFromTheDocsParse() {
        assertThat(KeyTemplate.problem("!{channel-name}/!{channel-id}", "NONE")).isEmpty();
        assertThat(KeyTemplate.problem(
                "data/stream=!{stream-name}/!{yyyy}-!{MM}-!{dd}/!{HH}!{mm}!{extension:.json}", "NONE")).isEmpty();
        assertThat(KeyTemplate.problem("year=!{yyyy}/month=!{MM}/!{extension:.json.gz}", "GZIP")).isEmpty();
        assertThat(KeyTemplate.problem("a!b-c_d'e.f*g(h)i/j=k", "NONE")).isEmpty();
        assertThat(KeyTemplate.problem(null, "ZSTD")).isEmpty();
        assertThat(KeyTemplate.problem(KeyTemplate.DEFAULT, "NONE")).isEmpty();
    }

    @Test
    void literalExtensionIsTheWholeExtension() {
        KeyTemplate template = KeyTemplate.parse("d/!{extension:.json.gz}", "GZIP");
        assertThat(template.expand("c", "i", "s", ARRIVAL, "-u")).isEqualTo("d/-u.json.gz");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // rule 2
        "a/../b|'..'",
        "a..b|'..'",
        "a/./b|only '.'",
        "./b|only '.'",
        "/a|start with '/'",
        "a//b|'//'",
        // rule 3
        "a/!{channel-name|unclosed",
        "a/!{partition-id}|unknown variable !{partition-id}",
        "a/!{}|unknown variable",
        "a/!{YYYY}|unknown variable",
        // rule 4
        "a b|character ' '",
        "a+b|character '+'",
        "a{b|character '{'",
        "a}b|character '}'",
        "a:b|character ':'",
        "a%b|character '%'",
        // rule 5
        "!{extension}/a|at the end",
        "a!{extension}!{extension}|at the end",
        "a!{extension:JSON}|literal extension 'JSON'",
        "a!{extension:json}|literal extension 'json'",
        "a!{extension:.Json}|literal extension",
        "a!{extension:.json..gz}|literal extension",
        "a!{extension:.}|literal extension",
    })
    void invalidTemplatesAreRejectedWithTheirReason(String template, String reason) {
        assertThat(KeyTemplate.problem(template, "NONE")).hasValueSatisfying(message -> {
            assertThat(message).startsWith("OutputKeyTemplate ").contains(reason);
        });
        assertThatThrownBy(() -> KeyTemplate.parse(template, "NONE")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoExtensionPlaceholdersAreRejectedEvenAtTheEnd() {
        assertThat(KeyTemplate.problem("a/!{extension:.json}!{extension}", "GZIP"))
                .hasValueSatisfying(m -> assertThat(m).contains("at the end"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"GZIP", "ZSTD"})
    void compressionNeedsAnExtensionPlaceholder(String compression) {
        assertThat(KeyTemplate.problem("!{channel-name}/!{channel-id}", compression))
                .hasValueSatisfying(m -> assertThat(m).contains("must end with !{extension}").contains(compression));
        assertThat(KeyTemplate.problem("!{channel-name}/!{channel-id}", "NONE")).isEmpty();
    }

    @Test
    void unknownOrMissingCompressionIsReported() {
        assertThat(KeyTemplate.problem("a", "SNAPPY")).hasValueSatisfying(m -> assertThat(m).contains("SNAPPY"));
        assertThat(KeyTemplate.problem("a", null)).isPresent();
    }

    @Test
    void lengthLimitsLeaveRoomForTheSuffix() {
        assertThat(KeyTemplate.problem("", "NONE")).hasValueSatisfying(m -> assertThat(m).contains("1 to 1024"));
        assertThat(KeyTemplate.problem("a".repeat(1025), "NONE")).isPresent();
        assertThat(KeyTemplate.problem("a".repeat(986), "NONE")).isEmpty();
        assertThat(KeyTemplate.problem("a".repeat(987), "NONE")).hasValueSatisfying(m -> assertThat(m).contains("986"));
        assertThat(KeyTemplate.problem("a".repeat(983) + "!{extension}", "ZSTD")).isPresent();
        assertThat(KeyTemplate.problem("a".repeat(982) + "!{extension}", "ZSTD")).isEmpty();
        // Counted after expansion: 987 characters of template that expand to 984.
        assertThat(KeyTemplate.problem("a".repeat(980) + "!{yyyy}", "NONE")).isEmpty();
        assertThat(KeyTemplate.problem("a".repeat(983) + "!{yyyy}", "NONE")).isPresent();
    }

    @Test
    void expandedNamesAreCheckedWhenKnown() {
        String template = "!{channel-name}/!{stream-name}/";
        assertThat(KeyTemplate.problem(template, "NONE", "ch", "id", "st")).isEmpty();
        assertThat(KeyTemplate.problem(template, "NONE", "..", "id", "st"))
                .hasValueSatisfying(m -> assertThat(m).contains("'..'"));
        assertThat(KeyTemplate.problem(template, "NONE", ".", "id", "st"))
                .hasValueSatisfying(m -> assertThat(m).contains("only '.'"));
        assertThat(KeyTemplate.problem(template, "NONE", "c".repeat(128), "id", "s".repeat(900)))
                .hasValueSatisfying(m -> assertThat(m).contains("986"));
        assertThatThrownBy(() -> KeyTemplate.parse(template, "NONE").expand("..", "i", "s", ARRIVAL, SUFFIX))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void suffixIsDeterministicUniqueAndAtMost38Characters() {
        assertThat(SUFFIX).isEqualTo(KeyTemplate.suffix("abcd1234efgh5678", 3, 42));
        assertThat(SUFFIX).matches("-[0-9a-f]{8}-000000000003-0000000000016");
        assertThat(KeyTemplate.suffix("other", 3, 42)).isNotEqualTo(SUFFIX);
        assertThat(KeyTemplate.suffix("abcd1234efgh5678", 4, 42)).isNotEqualTo(SUFFIX);
        assertThat(KeyTemplate.suffix("abcd1234efgh5678", 3, 43)).isNotEqualTo(SUFFIX);
        String widest = KeyTemplate.suffix("x", 999_999_999_999L, Long.MAX_VALUE);
        assertThat(widest).hasSize(36).endsWith("-1y2p0ij32e8e7");
        assertThat(widest.length()).isLessThanOrEqualTo(KeyTemplate.MAX_SUFFIX_CHARS);
        assertThatThrownBy(() -> KeyTemplate.suffix("x", -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyTemplate.parse("a", "NONE").expand("c", "i", "s", ARRIVAL, "x".repeat(39)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sortedSuffixesFollowPositionOrder() {
        // Keys of one shard sort by position within a minute: useful to anyone listing a prefix.
        assertThat(KeyTemplate.suffix("c", 1, 35).compareTo(KeyTemplate.suffix("c", 1, 36))).isNegative();
    }
}
