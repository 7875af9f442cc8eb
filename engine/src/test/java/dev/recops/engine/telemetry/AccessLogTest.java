package dev.recops.engine.telemetry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTest {
    @TempDir
    Path dir;

    private static AccessLog.Entry entry(int i) {
        return new AccessLog.Entry(Instant.parse("2026-11-22T10:00:00.123Z"), "r" + i, "search", "m", "1", 200,
                1.5, 0.25, 1.0, 4, 10, 6, 10, false, "");
    }

    @Test
    void writesOneJsonObjectPerLineWithMillisecondUtcTimestamps() throws Exception {
        Path file = dir.resolve("a.jsonl");
        try (AccessLog log = AccessLog.open(file, 1 << 20, 2, () -> {})) {
            log.log(entry(1));
        }
        assertThat(Files.readAllLines(file)).containsExactly(
                "{\"ts\":\"2026-11-22T10:00:00.123Z\",\"request_id\":\"r1\",\"endpoint\":\"search\",\"model\":\"m\",\"version\":\"1\","
                        + "\"status\":200,\"latency_ms\":1.5,\"queue_ms\":0.25,\"inference_ms\":1.0,\"batch_size\":4,\"k\":10,"
                        + "\"query_tokens\":6,\"results\":10,\"degraded\":false,\"error\":null}");
    }

    @Test
    void saysWhetherTheQueryVectorCameFromTheCacheOnlyWhenACacheWasAsked() throws Exception {
        Path file = dir.resolve("a.jsonl");
        try (AccessLog log = AccessLog.open(file, 1 << 20, 2, () -> {})) {
            log.log(new AccessLog.Entry(Instant.parse("2026-11-22T10:00:00.123Z"), "r1", "search", "m", "1", 200, 0.5, 0, 0, 0, 10, 6, 10,
                    false, "", "hit"));
            log.log(entry(2));
        }
        var lines = Files.readAllLines(file);
        assertThat(lines.get(0)).endsWith("\"error\":null,\"cache\":\"hit\"}");
        assertThat(lines.get(1)).doesNotContain("cache");
    }

    @Test
    void rotatesBySizeKeepingTheConfiguredNumberOfOldFiles() throws Exception {
        Path file = dir.resolve("a.jsonl");
        try (AccessLog log = AccessLog.open(file, 1024, 2, () -> {})) {
            for (int i = 0; i < 60; i++) {
                log.log(entry(i));
            }
        }
        assertThat(file).exists();
        assertThat(dir.resolve("a.jsonl.1")).exists();
        assertThat(dir.resolve("a.jsonl.2")).exists();
        assertThat(dir.resolve("a.jsonl.3")).doesNotExist();
        assertThat(Files.size(file)).isLessThanOrEqualTo(1024);
    }

    @Test
    void linesLoggedAfterCloseAreDroppedAndCountedNotBlocked() throws Exception {
        int[] drops = {0};
        AccessLog log = AccessLog.open(dir.resolve("b.jsonl"), 1 << 20, 1, () -> drops[0]++);
        log.close(Duration.ofSeconds(5));
        log.log(entry(1));
        assertThat(log.dropped()).isEqualTo(1);
        assertThat(drops[0]).isEqualTo(1);
    }

    /** Lines the writer cannot write (here a full disk: Linux's /dev/full) are dropped and counted, as lines it cannot keep up with are. */
    @Test
    void linesThatCannotBeWrittenAreCountedAsDropped() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isWritable(java.nio.file.Path.of("/dev/full")), "/dev/full is Linux's");
        java.util.concurrent.atomic.AtomicInteger drops = new java.util.concurrent.atomic.AtomicInteger();
        AccessLog log = AccessLog.open(java.nio.file.Path.of("/dev/full"), 1 << 20, 0, drops::incrementAndGet);
        for (int i = 0; i < 5; i++) {
            log.log(entry(i));
        }
        // the writer counts a line, then tells the listener: wait for both (asserting the second after the first raced)
        dev.recops.engine.Await.until("the five lines counted as dropped", () -> log.dropped() == 5 && drops.get() == 5);
        log.close(Duration.ofSeconds(5));
    }
}
