package dev.recops.engine.model;

import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestSignatureTest {
    @TempDir
    Path dir;

    private Path version() throws Exception {
        Path v = Files.createDirectories(dir.resolve("m/1"));
        Files.writeString(v.resolve(ModelManifest.FILE_NAME), "{\"task\": \"text-embedding\", \"sha256\": {\"model.onnx\": \"ab\"}}\n");
        return v;
    }

    @Test
    void aSignedManifestVerifiesAndAnyChangeOrAnotherKeyFails() throws Exception {
        Path v = version();
        ManifestSignature.generate(dir.resolve("key.pem"), dir.resolve("key.pub.pem"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("key.pem")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        ManifestSignature.sign(v, ManifestSignature.readPrivateKey(dir.resolve("key.pem")));
        PublicKey trusted = ManifestSignature.readPublicKey(dir.resolve("key.pub.pem"));
        assertThatCode(() -> ManifestSignature.verify(v, trusted)).doesNotThrowAnyException();

        ManifestSignature.generate(dir.resolve("other.pem"), dir.resolve("other.pub.pem"));
        assertThatThrownBy(() -> ManifestSignature.verify(v, ManifestSignature.readPublicKey(dir.resolve("other.pub.pem"))))
                .isInstanceOf(RecopsException.VerificationFailed.class).hasMessageContaining("does not match the trusted key");

        Files.writeString(v.resolve(ModelManifest.FILE_NAME), Files.readString(v.resolve(ModelManifest.FILE_NAME)).replace("ab", "cd"));
        assertThatThrownBy(() -> ManifestSignature.verify(v, trusted)).isInstanceOf(RecopsException.VerificationFailed.class);
    }

    @Test
    void anUnsignedVersionFailsWhenAKeyIsTrusted() throws Exception {
        Path v = version();
        ManifestSignature.generate(dir.resolve("key.pem"), dir.resolve("key.pub.pem"));
        assertThatThrownBy(() -> ManifestSignature.verify(v, ManifestSignature.readPublicKey(dir.resolve("key.pub.pem"))))
                .isInstanceOf(RecopsException.VerificationFailed.class).hasMessageContaining("has no model.json.sig");
    }

    @Test
    void keysAreNotOverwrittenAndBadKeysAreInvalidInput() throws Exception {
        ManifestSignature.generate(dir.resolve("key.pem"), dir.resolve("key.pub.pem"));
        assertThatThrownBy(() -> ManifestSignature.generate(dir.resolve("key.pem"), dir.resolve("x.pub.pem")))
                .isInstanceOf(RecopsException.PreconditionFailed.class);
        Files.writeString(dir.resolve("junk.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> ManifestSignature.readPublicKey(dir.resolve("junk.pem"))).isInstanceOf(RecopsException.InvalidInput.class);
        assertThatThrownBy(() -> ManifestSignature.readPublicKey(dir.resolve("key.pem"))).hasMessageContaining("not a PEM public key");
    }
}
