package dev.recops.engine.serve;

import dev.recops.engine.Pem;
import dev.recops.engine.RecopsException;
import io.helidon.common.tls.Tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS for a listener from PEM files, as certificate authorities and OpenSSL write them: a
 * certificate chain (leaf first) and an unencrypted PKCS#8 private key (RSA, EC or Ed25519).
 */
public final class TlsFiles {
    private TlsFiles() {}

    /**
     * @throws RecopsException.PreconditionFailed when a file is missing
     * @throws RecopsException.InvalidInput when a file is not what it should be
     */
    public static Tls load(Path certChain, Path key) {
        List<X509Certificate> chain = certificates(certChain);
        PrivateKey privateKey = privateKey(key);
        try {
            return Tls.builder().privateKey(privateKey).privateKeyCertChain(chain).build();
        } catch (RuntimeException e) {
            throw new RecopsException.InvalidInput("bad_tls", "cannot use " + certChain + " and " + key + " for TLS: " + e.getMessage());
        }
    }

    private static List<X509Certificate> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> chain.add((X509Certificate) c));
            if (chain.isEmpty()) {
                throw new RecopsException.InvalidInput("bad_tls", file + " holds no certificate");
            }
            return chain;
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "TLS certificate " + file + " not found");
        } catch (IOException | GeneralSecurityException e) {
            throw new RecopsException.InvalidInput("bad_tls", file + " is not a PEM certificate chain: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "TLS key " + file + " not found");
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read " + file + ": " + e.getMessage(), e);
        }
        byte[] der = Pem.decode(text, "PRIVATE KEY").orElseThrow(() -> new RecopsException.InvalidInput("bad_tls",
                file + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem"));
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new RecopsException.InvalidInput("bad_tls", file + " holds no RSA, EC or EdDSA private key");
    }
}
