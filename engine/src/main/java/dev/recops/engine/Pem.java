package dev.recops.engine;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** PEM blocks ({@code -----BEGIN TYPE-----}, base64, {@code -----END TYPE-----}), as OpenSSL writes keys and certificates. */
public final class Pem {
    private Pem() {}

    /** The bytes of the first block of this type, for example {@code PRIVATE KEY}; empty when there is none or it is not base64. */
    public static Optional<byte[]> decode(String text, String type) {
        String begin = "-----BEGIN " + type + "-----";
        int a = text.indexOf(begin);
        int b = text.indexOf("-----END " + type + "-----");
        if (a < 0 || b < a) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getMimeDecoder().decode(text.substring(a + begin.length(), b)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
