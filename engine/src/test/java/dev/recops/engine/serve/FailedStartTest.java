package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A start that fails on its catalog while the first version's model is still being opened (the
 * model opens ahead, while the catalog is read) ends only after that open has finished, and
 * closes what it opened: with ONNX Runtime, a session created while the JVM exits crashes the
 * process (SIGSEGV, an hs_err file) instead of exiting with the documented code.
 */
class FailedStartTest {
    @TempDir
    Path dir;

    @Test
    void aBadCatalogEndsTheStartOnlyOnceTheModelBeingOpenedIsOpenAndClosed() throws Exception {
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean opened = new AtomicBoolean();
        Encoder.Factory fake = FakeEncoder.factory(new FakeEncoder.Gate());
        Encoder.Factory slow = (version, threads) -> {
            opening.countDown();
            try {
                release.await(60, TimeUnit.SECONDS); // a session being created
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            opened.set(true);
            return fake.open(version, threads);
        };
        Path repo = FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "", dir.resolve("missing.csv"), Optional.empty(), 1, 1,
                OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        SearchService service = new SearchService(options, ServiceSetup.DEFAULT, new ServerMetrics(), ServeListener.NONE, slow);

        AtomicBoolean loadReturned = new AtomicBoolean();
        Thread starting = Thread.ofPlatform().start(() -> {
            assertThatThrownBy(service::load).isInstanceOf(RecopsException.PreconditionFailed.class).hasMessageContaining("missing.csv");
            loadReturned.set(true);
        });
        assertThat(opening.await(60, TimeUnit.SECONDS)).as("the model started opening").isTrue();
        dev.recops.engine.Await.until("the failed start has ended or waits for the model", () -> !starting.isAlive()
                || java.util.Arrays.stream(starting.getStackTrace()).anyMatch(f -> f.getMethodName().equals("dropPrefetched")));
        assertThat(starting.isAlive()).as("the failed start returned while the model was still being opened").isTrue();
        assertThat(loadReturned).isFalse();
        release.countDown();
        starting.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(loadReturned).isTrue();
        assertThat(opened).isTrue();
        service.close();
    }
}
