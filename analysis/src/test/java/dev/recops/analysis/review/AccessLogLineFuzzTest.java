package dev.recops.analysis.review;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

import java.nio.charset.StandardCharsets;

/**
 * Fuzzing access-log lines: a line is either a request (a timestamp, a status code, a finite
 * non-negative latency) or counted as malformed; no line throws, and none is taken with a
 * latency that would poison every percentile after it.
 */
@Tag("fuzz")
class AccessLogLineFuzzTest {

    @FuzzTest(maxDuration = "15s")
    void everyLineIsARequestOrMalformed(byte[] bytes) {
        AccessLogs.Columns columns = new AccessLogs.Columns();
        if (columns.add(new String(bytes, StandardCharsets.UTF_8), Long.MIN_VALUE, Long.MAX_VALUE) && columns.size == 1) {
            double latency = columns.latency[0];
            if (!Double.isFinite(latency) || latency < 0 || columns.status[0] < 100 || columns.status[0] > 599) {
                throw new AssertionError("took a line with latency " + latency + " and status " + columns.status[0]);
            }
        }
    }
}
