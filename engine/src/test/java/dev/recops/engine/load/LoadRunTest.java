package dev.recops.engine.load;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generator against a local server that stalls for one second in the middle of the run.
 * These tests mostly wait in real time on their own fake server, so they run beside the other
 * test classes (and each other), not after them.
 */
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
class LoadRunTest {
    private FakeServer server;
    private HttpTarget target;

    @BeforeEach
    void start() throws Exception {
        server = new FakeServer();
        target = HttpTarget.connect(server.url());
    }

    @AfterEach
    void stop() {
        target.close();
        server.close();
    }

    static Workload workload(String host) {
        return Workload.build(new Workload.Spec(List.of("desk lamp", "gaming chair", "6 dining chairs"), Map.of(Workload.Endpoint.SEARCH, 1),
                10, "", "search-encoder", List.of(), Optional.empty(), "/v1/search", List.of(), Workload.Order.SEQUENTIAL, 1, 1), host);
    }

    private RunResult runWithStall(LoadSpec spec, long stallAtPost) {
        server.stallAfter(stallAtPost, 1_000);
        return new LoadRun(target, workload(target.hostHeader()), spec, Optional.empty(), p -> {}).run();
    }

    @Test
    void openLoopP99ShowsAOneSecondStall() {
        RunResult r = runWithStall(new LoadSpec(LoadSpec.Mode.OPEN, 200, LoadSpec.Arrivals.CONSTANT, 1, Duration.ofSeconds(4),
                Duration.ZERO, 1_000, Duration.ofSeconds(5)), 300); // 1.5 s into the run
        // every scheduled request is sent or, when it could not go on time, counted as dropped
        assertThat(r.sent() + r.dropped()).isEqualTo(800);
        assertThat(r.errors().keySet()).isSubsetOf("dropped");
        // A quarter of the requests were due during the stall and waited up to a whole second.
        assertThat(r.latency().p99()).isGreaterThan(800);
        assertThat(r.latency().p90()).isGreaterThan(100);
        // Most requests were not due during the stall: the median is far from the tail (a ratio,
        // not a time bound, so a slow runner does not fail it).
        assertThat(r.latency().p50()).isLessThan(r.latency().p99() / 4);
        // The distribution for a log-scale plot reaches p99.99, never falls, and agrees with the summary.
        assertThat(r.distribution().getLast().percentile()).isEqualTo(99.99);
        assertThat(r.distribution()).extracting(RunResult.Percentile::millis).isSorted();
        assertThat(r.distribution()).filteredOn(p -> p.percentile() == 99).extracting(RunResult.Percentile::millis)
                .containsExactly(r.latency().p99());
    }

    @Test
    void closedLoopCorrectedP99ShowsTheStallToo() {
        RunResult r = runWithStall(new LoadSpec(LoadSpec.Mode.CLOSED, 0, LoadSpec.Arrivals.CONSTANT, 4, Duration.ofSeconds(4),
                Duration.ZERO, 1_000, Duration.ofSeconds(5)), 2_000); // within the first second at thousands per second
        assertThat(r.errors()).isEmpty();
        // Raw, as wrk and hey report it: exactly the responses received, each of the 4 clients'
        // one 1 s request among thousands, so the stall shows in the max only.
        assertThat(r.latency().count()).isEqualTo(r.responses());
        assertThat(r.latency().max()).isGreaterThan(900);
        assertThat(r.latency().p99()).isLessThan(r.latency().max());
        // Corrected, beside it: the requests the clients did not send during the stall are
        // estimated too, so the count exceeds the responses and the tail shows the stall.
        assertThat(r.corrected()).hasValueSatisfying(c -> {
            assertThat(c.count()).isGreaterThan(r.responses());
            assertThat(c.p99()).isGreaterThan(300);
            assertThat(c.max()).isGreaterThan(900);
        });
        assertThat(RunJson.write(r).path("latency_ms").path("count").asLong()).as("the JSON's latency is the raw one").isEqualTo(r.responses());
        assertThat(RunJson.write(r).has("latency_corrected_ms")).isTrue();
    }

    @Test
    void openLoopDropsWhatCannotBeSentOnTimeInsteadOfQueueingIt() {
        server.stallAfter(1, 2_500);
        RunResult r = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 200, LoadSpec.Arrivals.CONSTANT,
                1, Duration.ofSeconds(1), Duration.ZERO, 10, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run();
        assertThat(r.sent()).as(r.errors().toString()).isEqualTo(10);
        assertThat(r.sent() + r.dropped()).isEqualTo(200);
        assertThat(r.errors()).containsEntry("dropped", r.dropped());
        // the schedule was kept: sent and dropped are counted over the second planned
        assertThat(r.achievedRate()).isEqualTo(200 / r.measuredSeconds(), org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void errorsAreCountedByKind() {
        server.failWith(503);
        RunResult r = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 100, LoadSpec.Arrivals.POISSON,
                1, Duration.ofSeconds(1), Duration.ZERO, 100, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run();
        assertThat(r.errors()).as(r.errors().toString()).containsOnlyKeys("status_503");
        assertThat(r.intervals().stream().mapToLong(RunResult.Interval::errors).sum()).isEqualTo(r.errors().get("status_503"));
        assertThat(r.errorRate()).isEqualTo(1.0);
        assertThat(r.responses()).isEqualTo(r.sent());
    }

    /**
     * Answers from the server's fallback (200 with the degraded header) are counted as degraded:
     * neither ok nor errors, per second too, and a gate without a degraded objective of its own
     * holds the default one (none), so a run of fallback answers never passes as a clean one.
     */
    @Test
    void answersFromTheFallbackAreCountedAsDegradedAndFailTheDefaultGate() {
        server.degradeWith("breaker_open");
        RunResult r = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 100, LoadSpec.Arrivals.CONSTANT,
                1, Duration.ofSeconds(1), Duration.ZERO, 100, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run();
        assertThat(r.responses()).isEqualTo(r.sent()).isPositive();
        assertThat(r.degraded()).isEqualTo(r.responses());
        assertThat(r.ok()).isZero();
        assertThat(r.errors()).doesNotContainKey("status_200");
        assertThat(r.degradedShare()).isEqualTo(r.sent() / (double) (r.sent() + r.dropped()));
        assertThat(r.intervals().stream().mapToLong(RunResult.Interval::degraded).sum()).isEqualTo(r.degraded());
        List<Slo> gate = Slo.withDefaults(List.of(Slo.parse("p99<=5s")));
        assertThat(gate).extracting(Slo::text).containsExactly("p99<=5s", "degraded<=0%");
        assertThat(gate.stream().map(s -> s.evaluate(r))).filteredOn(v -> !v.met()).singleElement()
                .satisfies(v -> assertThat(v.describe()).startsWith("degraded<=0%: 100.000% (BREACHED, by default"));
        assertThat(Slo.withDefaults(List.of(Slo.parse("degraded<=100%")))).as("a degraded objective of one's own replaces the default")
                .extracting(Slo::text).containsExactly("degraded<=100%");
        assertThat(RunJson.write(r).path("degraded_share").asDouble()).isEqualTo(r.degradedShare());
    }

    @Test
    void warmUpIsSentButNotMeasured() {
        RunResult r = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 100, LoadSpec.Arrivals.CONSTANT,
                1, Duration.ofSeconds(1), Duration.ofSeconds(1), 100, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run();
        assertThat(server.requests()).isGreaterThanOrEqualTo(195);
        assertThat(r.sent()).isEqualTo(100);
        assertThat(r.latency().count()).isEqualTo(100);
    }

    @Test
    void endsAndReportsTheServersModelCallsEvenWhenReadingThemSwallowsAnInterrupt() {
        var calls = new java.util.concurrent.atomic.AtomicLong();
        Target counting = new Target() {
            @Override
            public Outcome call(Workload.Call call, long deadlineNanos) {
                calls.incrementAndGet();
                return target.call(call, deadlineNanos);
            }

            @Override
            public String describe() {
                return target.describe();
            }

            @Override
            public Optional<Facts> facts() {
                return Optional.empty();
            }

            @Override
            public Optional<Counters> counters() {
                Thread.interrupted(); // as library code reading counters may do
                long n = calls.get();
                return Optional.of(new Counters(0, 0, n / 2.0, n, n * 0.004, 3 * n / 4.0, n, n * 0.005));
            }

            @Override
            public void close() {}
        };
        RunResult r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> new LoadRun(counting, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 100, LoadSpec.Arrivals.CONSTANT, 1,
                        Duration.ofSeconds(2), Duration.ofSeconds(1), 1_000, Duration.ofSeconds(5)), Optional.empty(), p -> {}).run());
        assertThat(r.batches()).hasValueSatisfying(b -> {
            assertThat(b.meanBatch()).isEqualTo(2.0, org.assertj.core.api.Assertions.within(1e-9));
            assertThat(b.meanCallMillis()).isEqualTo(8.0, org.assertj.core.api.Assertions.within(1e-9));
            // Counted from the end of the warm-up: the requests of the measured window, two to a call
            // (give or take the calls in flight at either end of it).
            assertThat(b.calls()).isBetween((r.sent() - 10) / 2, (r.sent() + 10) / 2);
        });
        assertThat(r.cacheHitRatio()).hasValueCloseTo(0.75, org.assertj.core.api.Assertions.within(1e-9));
        // 5 ms of the server's CPU per call counted, over the responses of the window (give or take those in flight at its ends)
        assertThat(r.serverCpuMillisPerRequest()).hasValueCloseTo(5.0, org.assertj.core.api.Assertions.within(0.5));
        Target.Counters parsed = Target.Counters.parse("""
                recops_query_cache_requests_total{model="m",result="hit",version="1"} 30.0
                recops_query_cache_requests_total{model="m",result="miss",version="1"} 10.0
                recops_query_cache_requests_total{model="m",result="hit",version="2"} 5.0
                """);
        assertThat(parsed.cacheHits()).isEqualTo(35.0);
        assertThat(parsed.cacheLookups()).isEqualTo(45.0);
    }

    /**
     * A load stopped early (as a drill stops its load) reports rates over the time it ran, not
     * the planned duration, and every request it counts as sent is one the target received and
     * one it counts as answered or failed: no request goes out after the stop uncounted.
     */
    @Test
    void aLoadStoppedEarlyCountsEveryRequestOnceAndRatesOverWhatRan() throws Exception {
        LoadRun run = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(LoadSpec.Mode.OPEN, 200, LoadSpec.Arrivals.CONSTANT,
                1, Duration.ofSeconds(30), Duration.ZERO, 1_000, Duration.ofSeconds(5)), Optional.empty(), p -> {});
        java.util.concurrent.CompletableFuture<RunResult> done = java.util.concurrent.CompletableFuture.supplyAsync(run::run,
                r -> Thread.ofPlatform().start(r));
        dev.recops.engine.Await.until("300 requests sent", () -> server.posts() >= 300);
        run.stop();
        RunResult r = done.get(60, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(server.posts()).as("requests the server received").isEqualTo(r.sent());
        long failed = r.errors().entrySet().stream().filter(e -> !e.getKey().equals("dropped")).mapToLong(java.util.Map.Entry::getValue).sum();
        assertThat(r.ok() + failed).as("answered or failed").isEqualTo(r.sent());
        assertThat(r.measuredSeconds()).as("it ran until stopped, not the 30 s planned").isLessThan(30);
        assertThat(r.achievedRate()).as("over the time it ran").isEqualTo((r.sent() + r.dropped()) / r.measuredSeconds(),
                org.assertj.core.api.Assertions.within(1e-9));
    }

    /**
     * Interrupting the thread that runs a load (Ctrl-C in recops shell) ends it as stop() does, in
     * open and closed loop: every request counted once, and the thread left interrupted so its
     * caller knows.
     */
    @Test
    void anInterruptedLoadEndsEarlyAndCountsEveryRequestOnce() throws Exception {
        for (LoadSpec.Mode mode : LoadSpec.Mode.values()) {
            long before = server.posts();
            LoadRun run = new LoadRun(target, workload(target.hostHeader()), new LoadSpec(mode, mode == LoadSpec.Mode.OPEN ? 200 : 0,
                    LoadSpec.Arrivals.CONSTANT, 2, Duration.ofSeconds(60), Duration.ZERO, 1_000, Duration.ofSeconds(5)), Optional.empty(), p -> {});
            java.util.concurrent.CompletableFuture<RunResult> done = new java.util.concurrent.CompletableFuture<>();
            boolean[] leftInterrupted = new boolean[1];
            Thread runner = Thread.ofPlatform().start(() -> {
                done.complete(run.run());
                leftInterrupted[0] = Thread.currentThread().isInterrupted();
            });
            dev.recops.engine.Await.until("100 requests sent", () -> server.posts() - before >= 100);
            runner.interrupt();
            RunResult r = done.get(30, java.util.concurrent.TimeUnit.SECONDS); // the 60 s planned would fail this
            runner.join();
            assertThat(leftInterrupted[0]).as(mode + ": the caller sees the interrupt").isTrue();
            if (mode == LoadSpec.Mode.OPEN) {
                assertThat(server.posts() - before).as(mode + ": requests the server received").isEqualTo(r.sent());
            } else { // closed-loop clients start at once, and what they send before the measured start (1 ms) is not counted
                assertThat(server.posts() - before).as(mode + ": requests the server received").isBetween(r.sent(), r.sent() + 100);
            }
            long failed = r.errors().entrySet().stream().filter(e -> !e.getKey().equals("dropped")).mapToLong(java.util.Map.Entry::getValue).sum();
            assertThat(r.ok() + failed).as(mode + ": answered or failed").isEqualTo(r.sent());
        }
    }
}
