package dev.recops.engine.serve;

import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rollout core with fake encoders: control-plane changes never wait for a load, and
 * unloading never fails a request that had chosen the version. Each test holds a version's
 * inference at a gate, so "while it loads" and "while a request uses it" are facts, not timing.
 */
class RolloutTest {
    private static final Executor PLATFORM = r -> Thread.ofPlatform().start(r);

    @TempDir
    Path dir;
    private final FakeEncoder.Gate gate = new FakeEncoder.Gate();
    private SearchService service;

    @BeforeEach
    void start() {
        Path repo = FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1", "2", "3");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "2", TestData.esciProducts(), Optional.empty(),
                2, 1, OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        service = new SearchService(options, ServiceSetup.DEFAULT.withStateFile(dir.resolve("state.json")), new ServerMetrics(),
                ServeListener.NONE, FakeEncoder.factory(gate));
        service.load();
    }

    @AfterEach
    void stop() {
        gate.release();
        service.close();
    }

    @Test
    void rollbackPromoteAndTrafficTakeEffectWhileAnotherVersionIsStillLoading() throws Exception {
        service.promote("1"); // primary 1, rollback target 2
        service.unloadVersion("3");
        gate.arm("3");
        CompletableFuture<Duration> loading = async(() -> service.loadVersion("3"));
        gate.awaitEntered(); // version 3 is embedding the catalog, and stays there

        assertThat(service.rollback()).isEqualTo("2");
        assertThat(search("gaming chair", "").version()).isEqualTo("2");
        service.traffic(new TrafficPolicy("1", 50, ""));
        assertThat(service.promote("1")).isEqualTo("2");
        assertThat(loading).as("the load is still held at the gate").isNotDone();

        gate.release();
        loading.get(60, TimeUnit.SECONDS);
        assertThat(service.versions()).containsExactly("1", "2", "3");
        assertThat(search("gaming chair", "3").results()).isNotEmpty();
    }

    @Test
    void aVersionLoadingAlreadyIsNotLoadedTwice() throws Exception {
        service.unloadVersion("3");
        gate.arm("3");
        CompletableFuture<Duration> loading = async(() -> service.loadVersion("3"));
        gate.awaitEntered();

        assertThatThrownBy(() -> service.loadVersion("3")).isInstanceOf(RecopsException.Conflict.class).hasMessageContaining("loading");
        gate.release();
        loading.get(60, TimeUnit.SECONDS);
    }

    @Test
    void unloadWaitsForTheRequestThatChoseTheVersionAndNeverFailsIt() throws Exception {
        gate.arm("1");
        CompletableFuture<Queries.Ranked> request = async(() -> search("gaming chair", "1"));
        gate.awaitEntered(); // the request chose version 1 and its inference is held
        CompletableFuture<Void> unload = async(() -> {
            service.unloadVersion("1");
            return null;
        });
        while (service.versions().contains("1")) {
            Thread.onSpinWait(); // until the unload has taken version 1 out of service
        }
        assertThatThrownBy(() -> search("gaming chair", "1")).isInstanceOf(RecopsException.NotFound.class);
        assertThat(unload).as("the unload waits for the request holding version 1").isNotDone();

        gate.release();
        Queries.Ranked answered = request.get(60, TimeUnit.SECONDS);
        assertThat(answered.version()).isEqualTo("1");
        assertThat(answered.degraded()).isFalse();
        assertThat(answered.results()).isNotEmpty();
        unload.get(60, TimeUnit.SECONDS);
    }

    @Test
    void theRollbackTargetAndPolicySurviveARestartThroughTheStateFile() {
        service.promote("3");
        service.traffic(new TrafficPolicy("1", 10, "2"));
        service.close();
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("models"), "search-encoder", "", TestData.esciProducts(),
                Optional.empty(), 2, 1, OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        service = new SearchService(options, ServiceSetup.DEFAULT.withStateFile(dir.resolve("state.json")), new ServerMetrics(),
                ServeListener.NONE, FakeEncoder.factory(gate));
        service.load();

        assertThat(service.primaryVersion()).isEqualTo("3");
        assertThat(service.lastKnownGood()).isEqualTo("2");
        assertThat(service.traffic()).isEqualTo(new TrafficPolicy("1", 10, "2"));
    }

    /**
     * An unload that requests still hold says its model is not freed yet (it used to say unloaded
     * and leave the model to leak); the request holding it is answered, and a later unload of a
     * version nothing holds is freed at once.
     */
    @Test
    void anUnloadThatRequestsStillHoldSaysItsModelIsNotFreedYet() throws Exception {
        service.unloadVersion("3");
        service.loadVersion("3");
        gate.arm("3");
        CompletableFuture<Queries.Ranked> held = async(() -> search("gaming chair", "3"));
        gate.awaitEntered(); // the search holds version 3 in its model call
        assertThat(service.unloadVersion("3", Duration.ofMillis(200))).as("freed while a request holds it").isFalse();
        assertThat(service.versions()).doesNotContain("3");
        gate.release();
        assertThat(held.get(60, TimeUnit.SECONDS).results()).isNotEmpty();
        assertThat(service.unloadVersion("1")).as("nothing holds it").isTrue();
    }

    private Queries.Ranked search(String query, String version) {
        return service.search(new Queries.Search(query, 5, ProductFilter.NONE, new Queries.Target(version)),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    private static <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, PLATFORM);
    }
}
