package dev.millrace.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A failed request leaves one log line, however deep the stack that failed. */
class FailuresTest {
    private static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    @Test
    void aStackOverflowIsOneLineWithTheFirstFrames() {
        StackOverflowError overflow = null;
        try {
            recurse(0);
        } catch (StackOverflowError e) {
            overflow = e;
        }
        assertThat(overflow).isNotNull();
        assertThat(overflow.getStackTrace().length).isGreaterThan(Failures.FRAMES);
        String line = Failures.brief(overflow);
        assertThat(line).doesNotContain("\n").startsWith("java.lang.StackOverflowError at ")
                .contains("FailuresTest.recurse").contains(" more)");
        assertThat(line.split(" <- ")).hasSize(Failures.FRAMES);
        assertThat(line.length()).isLessThan(2_000);
    }

    @Test
    void causesAreSummarisedAndMessagesFlattened() {
        Exception root = new IllegalArgumentException("bad\nvalue " + "x".repeat(1_000));
        String line = Failures.brief(new RuntimeException("wrapper", root));
        assertThat(line).doesNotContain("\n").contains("java.lang.RuntimeException: wrapper")
                .contains("; caused by java.lang.IllegalArgumentException: bad value").contains("...");
    }

    @Test
    void aThrowableWhoseToStringFailsIsStillDescribed() {
        Throwable hostile = new Error() {
            @Override
            public String toString() {
                throw new IllegalStateException("no");
            }
        };
        assertThat(Failures.brief(hostile)).startsWith(hostile.getClass().getName());
    }
}
