package dev.millrace.glue;

/** One Glue operation: the request's members in, the answer's JSON out, or a {@link GlueException}. Thread-safe. */
interface GlueHandler {
    byte[] handle(GlueInput request);
}
