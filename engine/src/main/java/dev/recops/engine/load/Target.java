package dev.recops.engine.load;

import java.util.Optional;

/**
 * Where load goes: an HTTP server ({@link HttpTarget}) or the engine in this JVM
 * ({@link InProcessTarget}). Thread-safe: many calls run at once.
 */
public interface Target extends AutoCloseable {

    /**
     * What answered one call: a status code, or no response and why.
     *
     * @param status the HTTP status (the engine's status mapping in-process); 0 without a response
     * @param failure empty with a response; else {@code timeout}, {@code connect} or {@code io}
     */
    record Outcome(int status, String failure) {
        static final Outcome TIMEOUT = new Outcome(0, "timeout");
        static final Outcome CONNECT = new Outcome(0, "connect");
        static final Outcome IO = new Outcome(0, "io");

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** {@code status_503}, {@code timeout}...; empty when ok. */
        public String errorKind() {
            return ok() ? "" : failure.isEmpty() ? "status_" + status : failure;
        }
    }

    /**
     * How the target serves, when it can tell (recorded beside each run).
     *
     * @param batchDelayMillis may be fractional
     */
    record Facts(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads, int catalogProducts) {}

    /** Query tokens seen so far, as a running sum and count, when the target can tell. */
    record TokenCount(double sum, double count) {}

    /** Performs one call; failures are outcomes, never exceptions. */
    Outcome call(Workload.Call call, long deadlineNanos);

    /** For the report: the URL, or "in-process". */
    String describe();

    Optional<Facts> facts();

    Optional<TokenCount> tokens();

    @Override
    void close();
}
