package dev.recops.engine.model;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * One version of a model in the repository: {@code <repo>/<name>/<version>/}.
 *
 * @param name the model name (directory name)
 * @param version the version (directory name; numeric versions sort numerically)
 * @param dir the version directory
 * @param manifest its validated manifest
 */
public record ModelVersion(String name, String version, Path dir, ModelManifest manifest) {
    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";

    public ModelVersion {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(manifest, "manifest");
    }

    /** {@code name:version}, the form used in messages and logs. */
    public String id() {
        return name + ":" + version;
    }

    /**
     * Hashes every file the manifest lists and compares it with the manifest.
     *
     * @throws RecopsException.PreconditionFailed when a listed file is missing
     * @throws RecopsException.VerificationFailed when a checksum does not match, naming the file
     */
    public void verifyChecksums() {
        for (Map.Entry<String, String> e : manifest.sha256().entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (!Files.isRegularFile(file)) {
                throw new RecopsException.PreconditionFailed(
                        "model_file_missing", "model file " + file + " not found (listed in " + ModelManifest.FILE_NAME + ")");
            }
            String actual = sha256(file);
            if (!actual.equals(e.getValue())) {
                throw new RecopsException.VerificationFailed(
                        "checksum_mismatch",
                        "checksum mismatch for " + file + ": manifest says " + e.getValue() + ", file has " + actual);
            }
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
