package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.engine.SelfSignedCert;
import dev.recops.engine.TestData;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.serve.TlsFiles;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The load generator against an HTTPS server: trusted through --ca-cert, refused without it. */
class HttpsLoadTest {
    @TempDir
    Path dir;

    @Test
    void loadsAnHttpsServerItTrustsAndRefusesOneItDoesNot() throws Exception {
        SelfSignedCert cert = SelfSignedCert.create(dir);
        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "", TestData.esciProducts(),
                Optional.empty(), 1, 1, OptionalInt.empty(), Optional.empty(), 16, Duration.ofSeconds(1));
        ServerMetrics metrics = new ServerMetrics();
        try (SearchService service = new SearchService(options, metrics, ServeListener.NONE)) {
            ServeServer server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(1), AccessLog.DISABLED,
                    Optional.of(TlsFiles.load(cert.certFile(), cert.keyFile())));
            String url = "https://127.0.0.1:" + server.port();
            try (HttpTarget target = HttpTarget.connect(url, Optional.of(cert.certFile()))) {
                Workload w = Workload.build(new Workload.Spec(List.of("x"), Map.of(Workload.Endpoint.GET, 1), 10, "", "search-encoder",
                        List.of(), Optional.empty(), "/v2/health/live", List.of(), Workload.Order.SEQUENTIAL, 1, 1), target.hostHeader());
                RunResult r = new LoadRun(target, w, new LoadSpec(LoadSpec.Mode.CLOSED, 0, LoadSpec.Arrivals.CONSTANT, 2,
                        Duration.ofSeconds(1), Duration.ZERO, 10, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run();
                assertThat(r.errors()).isEmpty();
                assertThat(r.ok()).isPositive();
            } finally {
                server.close();
            }
            assertThatThrownBy(() -> HttpTarget.connect(url)).as("the JDK's authorities do not know this certificate")
                    .isInstanceOf(RecopsException.PreconditionFailed.class);
        }
    }
}
