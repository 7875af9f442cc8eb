package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.SelfSignedCert;
import dev.recops.engine.TestData;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both listeners over TLS from PEM files (a self-signed certificate made with the JDK's keytool). */
class TlsServeTest {
    @TempDir
    Path dir;

    @Test
    void bothListenersServeHttpsFromPemFilesAndRefusePlainHttp() throws Exception {
        SelfSignedCert self = SelfSignedCert.create(dir);
        Path certFile = self.certFile();
        Path keyFile = self.keyFile();
        Certificate cert = self.certificate();

        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "", TestData.esciProducts(),
                Optional.empty(), 1, 1, OptionalInt.empty(), Optional.empty(), 16, Duration.ofSeconds(1));
        ServerMetrics metrics = new ServerMetrics();
        try (SearchService service = new SearchService(options, metrics, ServeListener.NONE)) {
            ServeServer server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(1), AccessLog.DISABLED,
                    Optional.of(TlsFiles.load(certFile, keyFile)));
            AdminServer admin = AdminServer.start("127.0.0.1", 0, service, BearerToken.open(dir.resolve("token")), AuditLog.open(Optional.empty()),
                    metrics, false, Optional.of(TlsFiles.load(certFile, keyFile)));
            try {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                trust.setCertificateEntry("server", cert);
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(null, tmf.getTrustManagers(), null);
                HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
                assertThat(server.address("127.0.0.1")).startsWith("https://");
                assertThat(https.send(HttpRequest.newBuilder(URI.create(server.address("127.0.0.1") + "/v2/health/live")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                String token = Files.readString(dir.resolve("token")).strip();
                assertThat(https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + admin.port() + "/admin/v1/status"))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v2/health/live"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
            } finally {
                admin.close();
                server.close();
            }
        }
        assertThatThrownBy(() -> TlsFiles.load(certFile, certFile)).isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("PKCS#8");
    }
}
