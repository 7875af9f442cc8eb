package dev.recops.engine.load;

import dev.recops.engine.telemetry.PrometheusText;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
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
     * @param failure empty with a response; else {@code timeout} (no answer in time),
     *     {@code connect} (no connection: refused, unreachable), {@code reset} (the server reset
     *     the connection), {@code eof} (the server closed it before a whole response) or {@code io}
     *     (any other transport failure)
     * @param degraded a 2xx answer from the server's fallback (BM25), not its model
     */
    record Outcome(int status, String failure, boolean degraded) {
        static final Outcome TIMEOUT = new Outcome(0, "timeout");
        static final Outcome CONNECT = new Outcome(0, "connect");
        static final Outcome RESET = new Outcome(0, "reset");
        static final Outcome EOF = new Outcome(0, "eof");
        static final Outcome IO = new Outcome(0, "io");

        public Outcome(int status, String failure) {
            this(status, failure, false);
        }

        /** The kind of a transport failure after the connection was made. */
        static Outcome of(IOException e) {
            return switch (e) {
                case SocketTimeoutException x -> TIMEOUT;
                case EOFException x -> EOF;
                case ConnectException x -> CONNECT;
                case SocketException x when isReset(x) -> RESET;
                default -> IO;
            };
        }

        private static boolean isReset(SocketException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("reset") || m.contains("Broken pipe") || m.contains("abort");
        }

        /** A 2xx answer from the model: a fallback answer is not a good one. */
        public boolean ok() {
            return answered() && !degraded;
        }

        /** A 2xx answer, the model's or the fallback's. */
        public boolean answered() {
            return status >= 200 && status < 300;
        }

        /** {@code status_503}, {@code timeout}...; empty when answered (ok or degraded). */
        public String errorKind() {
            return answered() ? "" : failure.isEmpty() ? "status_" + status : failure;
        }
    }

    /**
     * Connections the target opened and requests it sent on a kept-alive one, so far; a run reports
     * the differences over its measured window.
     */
    record Connections(long opened, long reused) {
        public static final Connections NONE = new Connections(0, 0);

        Connections minus(Connections before) {
            return new Connections(opened - before.opened, reused - before.reused);
        }
    }

    /**
     * A request the load did not send (open loop, {@code maxInFlight} unanswered), at the time it
     * was due: a target that observes the load (a drill's) counts it where it should have been
     * sent. Nothing by default.
     */
    default void dropped(long intendedNanos) {}

    /** Connections so far; {@link Connections#NONE} for a target without any (in-process). */
    default Connections connections() {
        return Connections.NONE;
    }

    /**
     * How the target serves, when it can tell (recorded beside each run).
     *
     * @param batchDelayMillis may be fractional
     * @param cpus processors the server's JVM may use (they follow taskset and container limits); 0 when it does not tell
     */
    record Facts(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads, int catalogProducts,
                 String index, int cpus) {}

    /**
     * Running totals the target keeps, read before and after the measured window; a run reports
     * their differences. Either pair may be zero when the target cannot tell.
     *
     * @param tokenSum query tokens of the search requests answered so far
     * @param tokenCount search requests answered so far
     * @param calls model calls so far (every version)
     * @param texts texts in those calls
     * @param inferenceSeconds time spent in those calls
     * @param cacheHits query cache lookups that found the vector (every version)
     * @param cacheLookups query cache lookups
     * @param cpuSeconds CPU time the server's process has used ({@code process_cpu_seconds_total}); NaN when it does not say
     */
    record Counters(double tokenSum, double tokenCount, double calls, double texts, double inferenceSeconds, double cacheHits,
                    double cacheLookups, double cpuSeconds) {
        static final Counters NONE = new Counters(0, 0, 0, 0, 0, 0, 0, Double.NaN);

        /** The totals in a recops server's Prometheus text exposition, summed over label values. */
        static Counters parse(String exposition) {
            double[] v = new double[8];
            v[7] = Double.NaN;
            for (PrometheusText.Sample s : PrometheusText.parse(exposition)) {
                int i = switch (s.name()) {
                    case "recops_query_tokens_sum" -> 0;
                    case "recops_query_tokens_count" -> 1;
                    case "recops_batch_size_count" -> 2;
                    case "recops_batch_size_sum" -> 3;
                    case "recops_inference_duration_seconds_sum" -> 4;
                    case "recops_query_cache_requests_total" -> 6;
                    case "process_cpu_seconds_total" -> 7;
                    default -> -1;
                };
                if (i == 7) {
                    v[7] = s.value();
                } else if (i >= 0) {
                    v[i] += s.value();
                }
                if (i == 6 && "hit".equals(s.labels().get("result"))) {
                    v[5] += s.value();
                }
            }
            return new Counters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
    }

    /** Performs one call; failures are outcomes, never exceptions. */
    Outcome call(Workload.Call call, long deadlineNanos);

    /** For the report: the URL, or "in-process". */
    String describe();

    /** How the target serves; empty when it cannot tell. */
    default Optional<Facts> facts() {
        return Optional.empty();
    }

    /** The running totals now; empty when the target cannot tell. */
    default Optional<Counters> counters() {
        return Optional.empty();
    }

    /** Releases what the target holds; nothing by default. */
    @Override
    default void close() {}
}
