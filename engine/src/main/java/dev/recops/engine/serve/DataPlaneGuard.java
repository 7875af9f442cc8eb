package dev.recops.engine.serve;

import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.ServerMetrics;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Optional;
import java.util.Set;

/** The data plane's optional guards: a bearer token for queries, and a rate per client. */
final class DataPlaneGuard {
    /** The query endpoints: the ones behind the optional token and the per-client rate limit. */
    static final Set<String> GUARDED = Set.of("search", "recommend", "embed", "v2_infer");

    private volatile Optional<BearerToken> dataToken = Optional.empty();
    private volatile Optional<RateLimiter> rateLimiter = Optional.empty();
    private final ServerMetrics metrics;

    DataPlaneGuard(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    /** Queries need {@code Authorization: Bearer <token>} from now on (401 otherwise). */
    void requireToken(BearerToken token) {
        this.dataToken = Optional.of(token);
    }

    /** Queries beyond each client's rate get 429 with {@code Retry-After} from now on. */
    void limitRate(RateLimiter limiter) {
        this.rateLimiter = Optional.of(limiter);
    }

    /** Refuses a query without the token (401) or beyond its client's rate (429, with {@code Retry-After}). */
    void check(String endpoint, ServerRequest req, ServerResponse res) {
        if (dataToken.isPresent() && dataToken.get().authenticate(req.headers().first(HeaderNames.AUTHORIZATION)).isEmpty()) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"recops\"");
            throw new HttpProblem(401, "unauthorized", "this server needs 'Authorization: Bearer <token>' for queries");
        }
        if (rateLimiter.isPresent()) {
            long waitNanos = rateLimiter.get().acquire(req.remotePeer().host());
            if (waitNanos > 0) {
                metrics.rateLimited(endpoint);
                res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, (waitNanos + 999_999_999) / 1_000_000_000)));
                throw new HttpProblem(429, "rate_limited", "too many requests from this client; retry later");
            }
        }
    }
}
