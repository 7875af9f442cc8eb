package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import io.helidon.common.tls.Tls;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The data-plane HTTP server: {@code /v1/search}, {@code /v1/recommend}, {@code /v1/embed},
 * KServe v2 health, and {@code /metrics}.
 *
 * <p>Every response to a client error is JSON {@code {"error": {"code", "message"}}} with a 4xx
 * status; an unexpected failure is a 500 with a request id to find it in the server's log, never a
 * stack trace. Every request gets an id: the client's {@code X-Request-Id} when it is sane, else a
 * generated one; it is echoed in the response header and body.
 */
public final class ServeServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ServeServer.class.getName());
    private static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    /** On an answer from the fallback (BM25) instead of the model: its reason ({@code timeout}, {@code breaker_open}...). */
    public static final String DEGRADED_HEADER = "X-Recops-Degraded";
    private static final HeaderName DEGRADED = HeaderNames.create(DEGRADED_HEADER);
    private static final HeaderName REQUEST_TIMEOUT = HeaderNames.create("X-Request-Timeout-Ms");
    /** Longest deadline a client may ask for. */
    static final long MAX_TIMEOUT_MS = 60_000;
    /** nginx's status for a request whose client closed the connection first; logged, never received. */
    static final int CLIENT_CLOSED = 499;
    /** Keeps a caller on one side of a canary split, for example a session id. */
    static final HeaderName ROUTING_KEY = HeaderNames.create("X-Recops-Key");
    /** The paths serve answers besides the admin API: queries, health and metrics (probes and scrapers point here). */
    public static final Set<String> ROUTES = Set.of(
            "/v1/search", "/v1/recommend", "/v1/embed", "/v2/health/live", "/v2/health/ready", "/metrics");

    private final SearchService service;
    private final ServerMetrics metrics;
    private final ObjectMapper json = new ObjectMapper();
    private final RequestParser parser = new RequestParser(json);
    private final OpenInference v2;
    private final WebServer server;
    private final boolean tls;
    private volatile boolean draining;
    private final AccessLog accessLog;
    private final Duration drainTimeout;
    private final DataPlaneGuard guard;

    private ServeServer(String host, int port, SearchService service, ServerMetrics metrics, Duration drainTimeout,
            AccessLog accessLog, Optional<Tls> tls) {
        this.service = service;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.drainTimeout = drainTimeout;
        this.guard = new DataPlaneGuard(metrics);
        metrics.readiness(() -> service.ready() && !draining);
        this.v2 = new OpenInference(service, json, parser,
                Objects.requireNonNullElse(ServeServer.class.getPackage().getImplementationVersion(), "dev"));
        this.tls = tls.isPresent();
        var builder = WebServer.builder();
        tls.ifPresent(builder::tls);
        this.server = builder
                .host(host)
                .port(port)
                .shutdownHook(false)
                // Blocking sockets: only they can watch for a client that leaves (see ClientWatch).
                .useNio(false)
                .shutdownGracePeriod(drainTimeout)
                .directHandlers(d -> d.addHandler(DirectHandler.EventType.INTERNAL_ERROR, ServeServer::unparsable))
                .routing(this::routes)
                .build();
    }

    /**
     * Helidon answers a request it could not even parse (a method token with a byte no token may
     * hold, found by the zzuf corpus) as an internal error, 500. Before a request is parsed there
     * is nothing of ours that could have failed: the client sent something that is not HTTP, so it
     * gets a 400 and the connection closes. Errors inside our routes never come here: {@link
     * #answer} turns them into JSON itself.
     */
    private static DirectHandler.TransportResponse unparsable(DirectHandler.TransportRequest request,
            DirectHandler.EventType type, Status status, ServerResponseHeaders headers, String message) {
        if (request != DirectHandler.TransportRequest.empty()) {
            return DirectHandler.defaultHandler().handle(request, type, status, headers, message);
        }
        return DirectHandler.TransportResponse.builder().status(Status.BAD_REQUEST_400).headers(headers)
                .header(HeaderValues.CONNECTION_CLOSE).header(HeaderNames.CONTENT_TYPE, "application/json").keepAlive(false)
                .entity("{\"error\":{\"code\":\"malformed_request\",\"message\":\"the request line or headers are not HTTP/1.1\"}}")
                .build();
    }

    /**
     * Binds and starts serving. Queries answer 503 until the service has loaded.
     *
     * @param drainTimeout how long {@link #close()} lets requests in flight finish
     * @param accessLog where each request is logged ({@link AccessLog#DISABLED} for nowhere)
     * @throws RecopsException.PreconditionFailed when the address is in use or cannot be bound
     */
    public static ServeServer start(String host, int port, SearchService service, ServerMetrics metrics, Duration drainTimeout,
            AccessLog accessLog) {
        return start(host, port, service, metrics, drainTimeout, accessLog, Optional.empty());
    }

    /** As {@link #start(String, int, SearchService, ServerMetrics, Duration, AccessLog)}, over TLS when given. */
    public static ServeServer start(String host, int port, SearchService service, ServerMetrics metrics, Duration drainTimeout,
            AccessLog accessLog, Optional<Tls> tls) {
        checkBindable(host, port, "--port, --host");
        ServeServer s = new ServeServer(host, port, service, metrics, drainTimeout, accessLog, tls);
        try {
            s.server.start();
        } catch (RuntimeException e) {
            throw new RecopsException.Failure("server_start_failed", "cannot start the HTTP server: " + e.getMessage(), e);
        }
        if (!s.server.isRunning()) {
            // Helidon logs a listener that fails to bind and returns; say it plainly instead.
            throw new RecopsException.PreconditionFailed("port_busy", "cannot listen on " + host + ":" + port + " (see --port, --host)");
        }
        return s;
    }

    /**
     * Binds and releases the address first, so a busy port or a host that is not ours is one
     * clear error; Helidon itself only logs such failures.
     */
    static void checkBindable(String host, int port, String options) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (BindException e) {
            throw new RecopsException.PreconditionFailed("port_busy",
                    "cannot listen on " + host + ":" + port + ": " + e.getMessage() + " (see " + options + ")", e);
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            throw new RecopsException.PreconditionFailed("bind_failed",
                    "cannot listen on " + host + ":" + port + ": " + e.getMessage() + " (see " + options + ")", e);
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.port();
    }

    private void routes(HttpRouting.Builder r) {
        r.addFilter(this::closeAnnounced);
        r.post("/v1/search", (req, res) -> handle("search", req, res, this::search))
                .post("/v1/recommend", (req, res) -> handle("recommend", req, res, this::recommend))
                .post("/v1/embed", (req, res) -> handle("embed", req, res, this::embed))
                .get("/v1/models", (req, res) -> handle("models", req, res, this::models))
                .get("/v2/health/live", (req, res) -> handle("live", req, res, this::live))
                .get("/v2/health/ready", (req, res) -> handle("ready", req, res, this::ready))
                .get("/metrics", this::metrics)
                .get("/v2", (req, res) -> handle("v2_server", req, res, (q, id) -> v2.server()))
                .get("/v2/models/{model}", (req, res) -> handle("v2_metadata", req, res,
                        (q, id) -> v2.metadata(param(q, "model"), "")))
                .get("/v2/models/{model}/versions/{version}", (req, res) -> handle("v2_metadata", req, res,
                        (q, id) -> v2.metadata(param(q, "model"), param(q, "version"))))
                .get("/v2/models/{model}/ready", (req, res) -> handle("v2_ready", req, res,
                        (q, id) -> v2.ready(param(q, "model"), "")))
                .get("/v2/models/{model}/versions/{version}/ready", (req, res) -> handle("v2_ready", req, res,
                        (q, id) -> v2.ready(param(q, "model"), param(q, "version"))))
                .post("/v2/models/{model}/infer", (req, res) -> handle("v2_infer", req, res,
                        (q, id) -> v2.infer(param(q, "model"), "", RequestBodies.json(q), deadline(q), new ClientWatch(q))))
                .post("/v2/models/{model}/versions/{version}/infer", (req, res) -> handle("v2_infer", req, res,
                        (q, id) -> v2.infer(param(q, "model"), param(q, "version"), RequestBodies.json(q), deadline(q), new ClientWatch(q))))
                .any((req, res) -> handle("other", req, res, this::noRoute));
    }

    /**
     * A response that says {@code Connection: close} closes its connection once it is sent. While
     * draining every response says so, as Envoy and nginx do: a keep-alive client then opens a new
     * connection for its next request (answered while the listener is open, refused after) instead
     * of writing it on a connection the server is about to close. A connection is never closed
     * after a response that did not announce it: that unannounced close is the race this avoids.
     */
    private void closeAnnounced(FilterChain chain, RoutingRequest req,
            RoutingResponse res) {
        res.beforeSend(() -> {
            if (draining) {
                res.header(HeaderValues.CONNECTION_CLOSE);
            }
        });
        chain.proceed();
        if (res.isSent() && res.headers().contains(HeaderValues.CONNECTION_CLOSE)) {
            throw new CloseConnectionException("the response said Connection: close");
        }
    }

    private static String param(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    @FunctionalInterface
    private interface Endpoint {
        Reply answer(ServerRequest req, String requestId);
    }

    private void handle(String endpoint, ServerRequest req, ServerResponse res, Endpoint fn) {
        long start = System.nanoTime();
        metrics.requestStarted();
        try {
            answer(endpoint, start, req, res, fn);
        } finally {
            metrics.requestFinished();
        }
    }

    private void answer(String endpoint, long start, ServerRequest req, ServerResponse res, Endpoint fn) {
        String requestId = requestId(req);
        Reply reply;
        try {
            if (DataPlaneGuard.GUARDED.contains(endpoint)) {
                guard.check(endpoint, req, res);
            }
            reply = fn.answer(req, requestId);
        } catch (HttpProblem p) {
            reply = error(endpoint, requestId, p.status, p.code, p.getMessage());
            metrics.invalidRequest(endpoint, p.code);
            if (p.closeConnection) {
                res.header(HeaderValues.CONNECTION_CLOSE);
            }
        } catch (RecopsException e) {
            if (e instanceof RecopsException.InvalidInput || e instanceof RecopsException.NotFound) {
                metrics.invalidRequest(endpoint, e.code());
            }
            reply = error(endpoint, requestId, status(e), e.code(), e.getMessage());
            if (e instanceof RecopsException.Unavailable) {
                res.header(HeaderNames.RETRY_AFTER, "1");
                if (e.code().equals("not_ready")) {
                    metrics.shedBeforeModel("not_ready");
                }
            }
            // Shedding and deadlines are expected under load and counted in metrics; logging each
            // one would put a synchronous stderr write on the overload path.
            if (status(e) >= 500 && !(e instanceof RecopsException.Unavailable) && !(e instanceof RecopsException.DeadlineExceeded)) {
                LOG.log(Level.WARNING, "request " + requestId + " failed: " + e.getMessage(), e);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "request " + requestId + " failed unexpectedly", e);
            reply = error(endpoint, requestId, 500, "internal_error",
                    "internal error; the server log has details under request id " + requestId);
        }
        res.status(Status.create(reply.status()));
        res.header(REQUEST_ID, requestId);
        if (reply.degraded()) {
            // the answer came from the fallback, not the model: said in a header too, so that a
            // load generator or a proxy can count it without parsing the body
            res.header(DEGRADED, reply.degradedReason());
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(reply.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int delivered = reply.status();
        try {
            res.send(bytes);
        } catch (UncheckedIOException e) {
            // counted as what happened, not as the status it never delivered
            delivered = CLIENT_CLOSED;
            LOG.log(Level.FINE, "request " + requestId + ": the client left before the response was sent", e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.recordRequest(endpoint, reply.model(), reply.version(), delivered, seconds);
        if (!endpoint.equals("live") && !endpoint.equals("ready") && !endpoint.equals("models")) {
            Queries.Timings t = reply.timings();
            accessLog.log(new AccessLog.Entry(Instant.now(), requestId, endpoint, reply.model(), reply.version(),
                    delivered, seconds * 1e3, t.queueNanos() / 1e6, t.encodeNanos() / 1e6, t.batchSize(), reply.k(),
                    reply.queryTokens(), reply.results(), reply.degraded(), delivered == CLIENT_CLOSED ? "client_closed" : reply.error(),
                    t.cached().label));
        }
    }

    /** Queries need {@code Authorization: Bearer <token>} from now on (401 otherwise). */
    public void requireToken(BearerToken token) {
        guard.requireToken(token);
    }

    /** Queries beyond each client's rate get 429 with {@code Retry-After} from now on. */
    public void limitRate(RateLimiter limiter) {
        guard.limitRate(limiter);
    }

    /** Maps every engine failure to an HTTP status; exhaustive by construction. */
    public static int status(RecopsException e) {
        return switch (e) {
            case RecopsException.InvalidInput x -> 400;
            case RecopsException.NotFound x -> 404;
            case RecopsException.Conflict x -> 409;
            case RecopsException.Unavailable x -> 503;
            case RecopsException.DeadlineExceeded x -> 504;
            case RecopsException.Cancelled x -> CLIENT_CLOSED;
            case RecopsException.PreconditionFailed x -> 503;
            case RecopsException.VerificationFailed x -> 500;
            case RecopsException.Failure x -> 500;
        };
    }

    private Reply search(ServerRequest req, String requestId) {
        long deadline = deadline(req);
        service.admitEarly(deadline);
        Queries.Search parsed = parser.search(RequestBodies.json(req));
        Queries.Search q = new Queries.Search(parsed.query(), parsed.k(), parsed.filters(),
                parsed.target().withRoutingKey(req.headers().first(ROUTING_KEY).orElse("")), parsed.mode());
        Queries.Ranked r = service.search(q, deadline, new ClientWatch(req));
        metrics.queryTokens(r.model(), r.version(), r.queryTokens());
        return Reply.ranked(json.createObjectNode(), requestId, r, q.k());
    }

    /** From {@code X-Request-Timeout-Ms} (1..60000), else the server's default timeout. */
    private long deadline(ServerRequest req) {
        long now = System.nanoTime();
        return req.headers().first(REQUEST_TIMEOUT).map(v -> {
            long ms;
            try {
                ms = Long.parseLong(v.strip());
            } catch (NumberFormatException e) {
                ms = -1;
            }
            if (ms < 1 || ms > MAX_TIMEOUT_MS) {
                throw new HttpProblem(400, "invalid_header",
                        "X-Request-Timeout-Ms must be an integer in 1.." + MAX_TIMEOUT_MS + ", not " + v);
            }
            return now + ms * 1_000_000;
        }).orElseGet(service::defaultDeadlineNanos);
    }

    private Reply recommend(ServerRequest req, String requestId) {
        Queries.Recommend q = parser.recommend(RequestBodies.json(req));
        Queries.Ranked r = service.recommend(q);
        return Reply.ranked(json.createObjectNode(), requestId, r, q.k());
    }

    private Reply embed(ServerRequest req, String requestId) {
        long deadline = deadline(req);
        service.admitEarly(deadline);
        Queries.Embedded e = service.embed(parser.embed(RequestBodies.json(req)), deadline, new ClientWatch(req));
        return Reply.embedded(json.createObjectNode(), requestId, e);
    }

    /** What is served and how: the facts a benchmark records beside its latencies. */
    private Reply models(ServerRequest req, String requestId) {
        SearchService.Serving s = service.serving()
                .orElseThrow(() -> new RecopsException.Unavailable("not_ready", "the model is still loading"));
        ObjectNode out = json.createObjectNode().put("model", s.model()).put("primary_version", s.primaryVersion());
        s.versions().forEach(out.putArray("versions")::add);
        out.put("catalog_products", s.catalogProducts());
        out.putObject("serving").put("batch_max", s.batchMax()).put("batch_delay_ms", s.batchDelay().toNanos() / 1e6)
                .put("batch_max_tokens", s.batchMaxTokens()).put("workers", s.workers()).put("threads", s.threads())
                .put("queue_capacity", s.queueCapacity()).put("query_cache_bytes", s.queryCacheBytes())
                .put("cpus", Runtime.getRuntime().availableProcessors());
        ObjectNode index = out.putObject("index").put("kind", s.index().kind()).put("bytes_on_disk", s.index().bytesOnDisk());
        s.index().hnsw().ifPresent(p -> index.put("m", p.maxConn()).put("beam_width", p.beamWidth()).put("ef_search", p.efSearch())
                .put("shared_read_only", s.index().sharedReadOnly()));
        return Reply.plain(200, out);
    }

    private Reply live(ServerRequest req, String requestId) {
        return Reply.plain(200, json.createObjectNode().put("live", true));
    }

    /**
     * Readiness turns false for good (the process is going away), while requests are still
     * served: load balancers stop sending before the listener closes.
     */
    public void startDraining() {
        draining = true;
    }

    private Reply ready(ServerRequest req, String requestId) {
        boolean ready = service.ready() && !draining;
        ObjectNode out = json.createObjectNode().put("ready", ready);
        if (draining) {
            out.put("draining", true);
        }
        if (ready) {
            out.put("model", service.modelName()).put("primary_version", service.primaryVersion());
            ArrayNode versions = out.putArray("versions");
            service.versions().forEach(versions::add);
            out.put("catalog_products", service.catalogSize());
        }
        return Reply.plain(ready ? 200 : 503, out);
    }

    private Reply noRoute(ServerRequest req, String requestId) {
        String path = req.path().path();
        String method = req.prologue().method().text();
        if (ROUTES.contains(path)) {
            throw new HttpProblem(405, "method_not_allowed", method + " is not allowed on " + path);
        }
        throw new HttpProblem(404, "not_found", "no endpoint " + method + " " + path);
    }

    private void metrics(ServerRequest req, ServerResponse res) throws IOException {
        String accept = req.headers().first(HeaderNames.ACCEPT).orElse("");
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        metrics.write(accept, out);
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType(accept));
        res.send(out.toByteArray());
    }

    /** The v1 error shape {@code {"error": {"code", "message"}}}; the KServe v2 one {@code {"error": "message"}}. */
    private Reply error(String endpoint, String requestId, int status, String code, String message) {
        ObjectNode out = json.createObjectNode();
        if (endpoint.startsWith("v2_")) {
            out.put("error", message);
        } else {
            out.putObject("error").put("code", code).put("message", message);
        }
        out.put("request_id", requestId);
        return new Reply(status, out, "", "", Reply.NO_TIMINGS, 0, 0, 0, "", code);
    }

    private static String requestId(ServerRequest req) {
        return req.headers().first(REQUEST_ID)
                .filter(id -> !id.isEmpty() && id.length() <= 128 && id.chars().allMatch(c -> c > 32 && c < 127))
                .orElseGet(() -> Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE));
    }

    /**
     * Stops accepting connections, lets requests in flight finish within the drain timeout, and
     * closes. After {@link #startDraining()}, the listener is drained first (see
     * {@link ListenerDrain}): no request a client already sent is lost to the close.
     */
    @Override
    public void close() {
        if (draining) {
            ListenerDrain.drain(server, port(), drainTimeout);
        }
        server.stop();
    }

    /** For the log line on start: {@code http://host:port} or {@code https://host:port}. */
    public String address(String host) {
        return (tls ? "https://" : "http://") + host + ":" + port();
    }
}
