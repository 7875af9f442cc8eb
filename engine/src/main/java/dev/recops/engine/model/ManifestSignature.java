package dev.recops.engine.model;

import dev.recops.engine.Pem;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Locale;

/**
 * Ed25519 signatures over a version's manifest ({@code model.json}), with the JDK's own crypto.
 * The manifest holds the SHA-256 of every file, so its signature covers the whole version. The
 * signature is {@code model.json.sig} beside it (base64); keys are PEM, as OpenSSL writes them
 * ({@code openssl genpkey -algorithm ed25519}; {@code openssl pkey -pubout}).
 */
public final class ManifestSignature {
    public static final String SIGNATURE_FILE = ModelManifest.FILE_NAME + ".sig";
    private static final String ALGORITHM = "Ed25519";

    private ManifestSignature() {}

    /**
     * @throws RecopsException.VerificationFailed when the version is unsigned or the signature
     *     does not match the manifest under this key
     */
    public static void verify(Path versionDir, PublicKey trusted) {
        byte[] manifest = read(versionDir.resolve(ModelManifest.FILE_NAME));
        byte[] signature;
        try {
            signature = Base64.getMimeDecoder().decode(Files.readString(versionDir.resolve(SIGNATURE_FILE), StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            throw new RecopsException.VerificationFailed("unsigned", versionDir + " has no " + SIGNATURE_FILE + " and a trusted key is required");
        } catch (IOException | IllegalArgumentException e) {
            throw new RecopsException.VerificationFailed("signature_invalid", "cannot read " + versionDir.resolve(SIGNATURE_FILE) + ": " + e.getMessage());
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(trusted);
            s.update(manifest);
            if (!s.verify(signature)) {
                throw new RecopsException.VerificationFailed("signature_invalid",
                        "the signature of " + versionDir.resolve(ModelManifest.FILE_NAME) + " does not match the trusted key");
            }
        } catch (GeneralSecurityException e) {
            throw new RecopsException.VerificationFailed("signature_invalid", "cannot verify " + versionDir + ": " + e.getMessage());
        }
    }

    /** Writes {@code model.json.sig} for the manifest as it is now. */
    public static void sign(Path versionDir, PrivateKey key) {
        byte[] manifest = read(versionDir.resolve(ModelManifest.FILE_NAME));
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(manifest);
            Files.writeString(versionDir.resolve(SIGNATURE_FILE), Base64.getEncoder().encodeToString(s.sign()) + "\n", StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new RecopsException.InvalidInput("bad_key", "cannot sign with this key: " + e.getMessage());
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write " + versionDir.resolve(SIGNATURE_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Creates a key pair: {@code prefix.pem} (private, mode 0600) and {@code prefix.pub.pem}. */
    public static KeyPair generate(Path privateFile, Path publicFile) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(privateFile, Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.writeString(publicFile, Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded()));
            return pair;
        } catch (FileAlreadyExistsException e) {
            throw new RecopsException.PreconditionFailed("file_exists", e.getFile() + " exists; not overwriting a key");
        } catch (IOException | GeneralSecurityException e) {
            throw new RecopsException.Failure("keygen_failed", "cannot create the key pair: " + e.getMessage(), e);
        }
    }

    public static PublicKey readPublicKey(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(pemBody(file, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new RecopsException.InvalidInput("bad_key", file + " is not an Ed25519 public key: " + e.getMessage());
        }
    }

    public static PrivateKey readPrivateKey(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(pemBody(file, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new RecopsException.InvalidInput("bad_key", file + " is not an Ed25519 private key: " + e.getMessage());
        }
    }

    private static byte[] pemBody(Path file, String type) {
        return Pem.decode(new String(read(file), StandardCharsets.US_ASCII), type).orElseThrow(() ->
                new RecopsException.InvalidInput("bad_key", file + " is not a PEM " + type.toLowerCase(Locale.ROOT)));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", file + " not found");
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
