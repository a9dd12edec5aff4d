package dev.millrace.auth.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 CIDR block of an {@code IpAddress} condition; a bare address is its own /32 or /128, as in IAM.
 * Addresses are read as literals only: text that is not one is refused before {@link InetAddress} sees it, so a
 * condition value or a request's source address can never cause a DNS lookup.
 *
 * <p>Immutable, thread-safe.
 */
final class CidrBlock {
    private static final int MAX_TEXT_CHARS = 64;

    private final byte[] network;
    private final int prefixBits;

    private CidrBlock(byte[] network, int prefixBits) {
        this.network = network;
        this.prefixBits = prefixBits;
    }

    /** The block, or {@code null} if the text is not an address or CIDR block. */
    static CidrBlock parse(String text) {
        int slash = text.indexOf('/');
        byte[] address = address(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            return null;
        }
        int maxBits = address.length * 8;
        int bits = maxBits;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
                return null;
            }
            bits = Integer.parseInt(digits);
            if (bits > maxBits) {
                return null;
            }
        }
        return new CidrBlock(address, bits);
    }

    /** The bytes of an IPv4 (dotted quad) or IPv6 literal, or {@code null}. */
    static byte[] address(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_CHARS) {
            return null;
        }
        if (text.indexOf(':') < 0) {
            return ipv4(text);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return null;
            }
        }
        try {
            // Contains ':' and only hex digits, ':' and '.': InetAddress reads it as an IPv6 literal, no lookup.
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    /** Whether the address is in the block; an IPv4 address is never in an IPv6 block, nor the reverse. */
    boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int fullBytes = prefixBits / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int restBits = prefixBits % 8;
        if (restBits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - restBits)) & 0xFF;
        return (address[fullBytes] & mask) == (network[fullBytes] & mask);
    }
}
