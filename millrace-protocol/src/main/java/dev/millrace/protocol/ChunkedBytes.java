package dev.millrace.protocol;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory output of fixed 64 KiB blocks, handed on as those blocks. A 10 MiB GetRecords answer then never
 * exists as one array: one array that size is a "humongous" object for the G1 collector (allocated outside the young
 * generation, and each one can start a concurrent cycle), and would be copied once more on its way to the socket.
 *
 * <p>Not thread-safe; one per response. Buffer ownership: the blocks belong to whoever takes {@link #chunks()}; write
 * nothing after that.
 */
public final class ChunkedBytes extends OutputStream {
    static final int BLOCK_BYTES = 64 * 1024;

    private final List<byte[]> full = new ArrayList<>();
    private byte[] current;
    private int used;

    @Override
    public void write(int b) {
        if (current == null || used == current.length) {
            nextBlock(1);
        }
        current[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        int at = off;
        int left = len;
        while (left > 0) {
            if (current == null || used == current.length) {
                nextBlock(left);
            }
            int n = Math.min(left, current.length - used);
            System.arraycopy(b, at, current, used, n);
            used += n;
            at += n;
            left -= n;
        }
    }

    /**
     * Makes room for at least one more byte. Small answers (most of them) stay one small array: the first block
     * grows up to the block size; after that, full blocks are kept and a new one is started.
     */
    private void nextBlock(int wanted) {
        if (current == null) {
            current = new byte[Math.min(BLOCK_BYTES, Math.max(256, wanted))];
        } else if (current.length < BLOCK_BYTES) {
            byte[] grown = new byte[Math.min(BLOCK_BYTES, Math.max(current.length * 4, used + wanted))];
            System.arraycopy(current, 0, grown, 0, used);
            current = grown;
        } else {
            full.add(current);
            current = new byte[BLOCK_BYTES];
            used = 0;
        }
    }

    public long size() {
        return (long) full.size() * BLOCK_BYTES + used;
    }

    /** The bytes written, as read-only views of the blocks, in order. */
    public List<ByteBuffer> chunks() {
        List<ByteBuffer> chunks = new ArrayList<>(full.size() + 1);
        for (byte[] block : full) {
            chunks.add(ByteBuffer.wrap(block).asReadOnlyBuffer());
        }
        if (used > 0) {
            chunks.add(ByteBuffer.wrap(current, 0, used).slice().asReadOnlyBuffer());
        }
        return chunks;
    }

    /** The bytes written, in one array. */
    public byte[] toByteArray() {
        byte[] all = new byte[Math.toIntExact(size())];
        int at = 0;
        for (byte[] block : full) {
            System.arraycopy(block, 0, all, at, block.length);
            at += block.length;
        }
        if (current != null) {
            System.arraycopy(current, 0, all, at, used);
        }
        return all;
    }
}
