package dev.millrace.storage.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The index {@link WalTail} builds at start-up: for each shard, where its entries lie in the WAL files, oldest first.
 *
 * <p>A start after a crash indexes every entry of the WAL's tail before the server is ready, up to a few hundred
 * thousand per file over thousands of shards (one entry per shard a call touched), so the cost per entry bounds how
 * many files the cleaner may leave behind (issue 20: 10,000 shards ready in at most 5 s). An entry is therefore looked
 * up by its key's bytes where they lie in the read buffer, in an open-addressing table of its own: a shard's key
 * becomes a {@code String} once, when the shard is first seen, and whether its directory exists is asked then, once;
 * its entries are kept as two growing arrays of primitives, not an object each. (The generic way, a {@code String}
 * decoded and hashed per entry and two hash-map lookups, took ~2.5 µs per entry at a cold start.)
 *
 * <p>A reference packs the file's index (in the order the files were read) above the entry's offset in that file:
 * {@code file << OFFSET_BITS | offset}. WAL files are at most 2^31 - 1 bytes ({@link LogConfig#walSegmentBytes}).
 *
 * <p>Not thread-safe: built by one thread; {@link WalTail} publishes what it built through a concurrent map.
 */
final class WalIndex {
    static final int OFFSET_BITS = 40;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    /** Files one index can name: far more than the WAL's backlog limit lets exist. */
    static final int MAX_FILES = 1 << (63 - OFFSET_BITS);

    /** One shard's entries, oldest first. */
    static final class Entries {
        final String key;
        /** Whether the shard's directory exists; entries of a shard that does not are dropped, not kept. */
        final boolean exists;
        final byte[] keyBytes;
        final int hash;
        private long[] refs = new long[4];
        private int[] sizes = new int[4];
        private int count;

        private Entries(byte[] keyBytes, String key, int hash, boolean exists) {
            this.keyBytes = keyBytes;
            this.key = key;
            this.hash = hash;
            this.exists = exists;
        }

        private void add(int file, long offset, int entryBytes) {
            if (count == refs.length) {
                refs = Arrays.copyOf(refs, count * 2);
                sizes = Arrays.copyOf(sizes, count * 2);
            }
            refs[count] = (long) file << OFFSET_BITS | offset;
            sizes[count] = entryBytes;
            count++;
        }

        int count() {
            return count;
        }

        /** The index of entry {@code i}'s file, in the order the files were read. */
        int file(int i) {
            return (int) (refs[i] >>> OFFSET_BITS);
        }

        long offset(int i) {
            return refs[i] & OFFSET_MASK;
        }

        int entryBytes(int i) {
            return sizes[i];
        }
    }

    private final Predicate<String> shardExists;
    private Entries[] table = new Entries[1024];
    private int shards;
    private long entries;

    /** {@code shardExists}: asked once per distinct key; a shard it denies keeps no entries. */
    WalIndex(Predicate<String> shardExists) {
        this.shardExists = shardExists;
    }

    /**
     * Adds the entry of file {@code file} at {@code offset}, {@code entryBytes} long, whose key is the
     * {@code keyBytes} bytes at {@code keyAt} in {@code buf} (a heap buffer).
     */
    void add(ByteBuffer buf, int keyAt, int keyBytes, int file, long offset, int entryBytes) {
        if (file < 0 || file >= MAX_FILES || offset < 0 || offset > OFFSET_MASK) {
            throw new IllegalArgumentException("WAL entry out of the index's range: file " + file + ", offset "
                    + offset);
        }
        entries++;
        byte[] array = buf.array();
        int from = buf.arrayOffset() + keyAt;
        int hash = hash(array, from, keyBytes);
        Entries e = find(array, from, keyBytes, hash);
        if (e.exists) {
            e.add(file, offset, entryBytes);
        }
    }

    /** The shard whose key is those bytes, made (its directory asked about once) if it is new. */
    private Entries find(byte[] array, int from, int keyBytes, int hash) {
        int mask = table.length - 1;
        int slot = hash & mask;
        for (Entries e = table[slot]; e != null; slot = (slot + 1) & mask, e = table[slot]) {
            if (e.hash == hash && Arrays.equals(e.keyBytes, 0, e.keyBytes.length, array, from, from + keyBytes)) {
                return e;
            }
        }
        byte[] k = Arrays.copyOfRange(array, from, from + keyBytes);
        String key = new String(k, StandardCharsets.UTF_8);
        Entries made = new Entries(k, key, hash, shardExists.test(key));
        table[slot] = made;
        if (++shards * 2 > table.length) {
            grow();
        }
        return made;
    }

    private void grow() {
        Entries[] old = table;
        table = new Entries[old.length * 2];
        int mask = table.length - 1;
        for (Entries e : old) {
            if (e != null) {
                int slot = e.hash & mask;
                while (table[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                table[slot] = e;
            }
        }
    }

    /** A 32-bit hash of the bytes, spread so that the table's low bits depend on all of them. */
    private static int hash(byte[] a, int from, int length) {
        int h = 1;
        for (int i = from; i < from + length; i++) {
            h = 31 * h + a[i];
        }
        return h ^ (h >>> 16);
    }

    /** Every entry seen, of existing shards or not. */
    long entries() {
        return entries;
    }

    /** The existing shards that have entries, by key. */
    Map<String, Entries> byShard() {
        Map<String, Entries> out = new LinkedHashMap<>();
        for (Entries e : table) {
            if (e != null && e.exists && e.count > 0) {
                out.put(e.key, e);
            }
        }
        return out;
    }
}
