package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.ProductPatch;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.telemetry.ServerMetrics;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The admin API, on its own listener (by default 127.0.0.1:8081): list, load, unload and promote
 * model versions, roll back, and inject faults for drills. Every call needs the bearer token
 * ({@link BearerToken}); every call, allowed or not, is written to the audit log. Bodies are
 * limited to {@value #MAX_BODY_BYTES} bytes; model version names must be plain names.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdminServer.class.getName());
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** Largest body of a product update: some 100,000 products. */
    static final int MAX_PRODUCTS_BYTES = 64 << 20;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String PREFIX = "/admin/v1";
    /** A field an action may add to its answer for the audit log; taken out before the answer is sent. */
    private static final String AUDIT = "_audit";

    private final SearchService service;
    private final BearerToken tokens;
    private final AuditLog audit;
    private final ServerMetrics metrics;
    private final boolean allowFaults;
    private final ObjectMapper json = new ObjectMapper();
    private final WebServer server;

    private interface Action {
        /** @param body the request body, empty when there is none */
        ObjectNode run(ServerRequest req, byte[] body);
    }

    private AdminServer(String host, int port, SearchService service, BearerToken tokens, AuditLog audit, ServerMetrics metrics,
            boolean allowFaults, Optional<Tls> tls) {
        this.service = service;
        this.tokens = tokens;
        this.audit = audit;
        this.metrics = metrics;
        this.allowFaults = allowFaults;
        var builder = WebServer.builder();
        tls.ifPresent(builder::tls);
        this.server = builder.host(host).port(port).shutdownHook(false).routing(this::routes).build();
    }

    /**
     * @param allowFaults whether fault injection may be used (serve's {@code --allow-fault-injection})
     * @throws RecopsException.PreconditionFailed when the address cannot be bound
     */
    public static AdminServer start(String host, int port, SearchService service, BearerToken tokens, AuditLog audit,
            ServerMetrics metrics, boolean allowFaults) {
        return start(host, port, service, tokens, audit, metrics, allowFaults, Optional.empty());
    }

    /** As the other {@code start}, over TLS when given. */
    public static AdminServer start(String host, int port, SearchService service, BearerToken tokens, AuditLog audit,
            ServerMetrics metrics, boolean allowFaults, Optional<Tls> tls) {
        ServeServer.checkBindable(host, port, "--admin-port, --admin-host, --no-admin");
        AdminServer s = new AdminServer(host, port, service, tokens, audit, metrics, allowFaults, tls);
        s.server.start();
        if (!s.server.isRunning()) {
            audit.close();
            throw new RecopsException.PreconditionFailed("port_busy", "cannot listen on " + host + ":" + port + " (see --admin-port)");
        }
        return s;
    }

    public int port() {
        return server.port();
    }

    private void routes(HttpRouting.Builder r) {
        r.get(PREFIX + "/status", (req, res) -> handle("status", req, res, this::status))
                .get(PREFIX + "/versions", (req, res) -> handle("versions", req, res, this::versions))
                .post(PREFIX + "/versions/{version}/load", (req, res) -> handle("load", req, res, this::load))
                .post(PREFIX + "/versions/{version}/unload", (req, res) -> handle("unload", req, res, this::unload))
                .post(PREFIX + "/versions/{version}/promote", (req, res) -> handle("promote", req, res, this::promote))
                .post(PREFIX + "/rollback", (req, res) -> handle("rollback", req, res, this::rollback))
                .post(PREFIX + "/catalog/reload", (req, res) -> handle("reload_catalog", req, res,
                        (q, b) -> json.createObjectNode().put("products",
                                service.catalog().reload(q.query().first("force").map("true"::equals).orElse(false)))))
                .get(PREFIX + "/catalog", (req, res) -> handle("catalog", req, res, (q, b) -> catalogStatus()))
                .post(PREFIX + "/catalog/products", (req, res) -> handle("upsert_products", req, res, AdminServer::productsBody,
                        this::upsertProducts))
                .patch(PREFIX + "/catalog/products", (req, res) -> handle("patch_products", req, res, AdminServer::productsBody,
                        this::patchProducts))
                .delete(PREFIX + "/catalog/products", (req, res) -> handle("delete_products", req, res, AdminServer::productsBody,
                        this::deleteProducts))
                .get(PREFIX + "/traffic", (req, res) -> handle("traffic", req, res, (q, b) -> traffic()))
                .put(PREFIX + "/traffic", (req, res) -> handle("set_traffic", req, res, this::setTraffic))
                .get(PREFIX + "/faults", (req, res) -> handle("faults", req, res, (q, b) -> faults()))
                .post(PREFIX + "/faults", (req, res) -> handle("inject_fault", req, res, this::injectFault))
                .delete(PREFIX + "/faults", (req, res) -> handle("clear_faults", req, res, this::clearFaults))
                .any((req, res) -> handle("unknown", req, res, (q, b) -> {
                    throw new HttpProblem(404, "not_found", "no admin route " + q.prologue().method().text() + " " + q.path().path());
                }));
    }

    private void handle(String action, ServerRequest req, ServerResponse res, Action fn) {
        handle(action, req, res, AdminServer::body, fn);
    }

    private void handle(String action, ServerRequest req, ServerResponse res, Function<ServerRequest, byte[]> reader,
            Action fn) {
        Optional<String> tokenId = tokens.authenticate(req.headers().first(HeaderNames.AUTHORIZATION));
        ObjectNode body;
        int status;
        String outcome;
        String detail = "";
        if (tokenId.isEmpty()) {
            status = 401;
            outcome = "denied";
            body = error("unauthorized", "the admin API needs 'Authorization: Bearer <token>' with the server's admin token");
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"recops-admin\"");
        } else {
            try {
                body = fn.run(req, reader.apply(req));
                status = 200;
                outcome = "ok";
                JsonNode summary = body.remove(AUDIT);
                detail = summary == null ? "" : summary.asText();
            } catch (HttpProblem p) {
                status = p.status;
                outcome = "rejected";
                detail = p.getMessage();
                body = error(p.code, p.getMessage());
            } catch (RecopsException e) {
                status = e instanceof RecopsException.VerificationFailed ? 422 : ServeServer.status(e);
                outcome = status >= 500 ? "failed" : "rejected";
                detail = e.getMessage();
                body = error(e.code(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "admin " + action + " failed unexpectedly", e);
                status = 500;
                outcome = "failed";
                detail = e.toString();
                body = error("internal_error", "internal error; see the server log");
            }
        }
        audit.record(new AuditLog.Entry(tokenId.orElse(""), req.remotePeer().host(), req.prologue().method().text(), req.path().path(),
                action, status, outcome, detail));
        metrics.adminCall(action, outcome);
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(json.writeValueAsBytes(body));
        } catch (IOException e) {
            LOG.log(Level.FINE, "admin response not sent", e);
        }
    }

    /** The limit holds for every call; a body, where one is sent, must be JSON. */
    private static byte[] body(ServerRequest req) {
        boolean hasBody = req.headers().contentLength().orElse(0) > 0
                || req.headers().first(HeaderNames.TRANSFER_ENCODING).isPresent();
        return hasBody ? RequestBodies.json(req, MAX_BODY_BYTES) : new byte[0];
    }

    /** Product updates: JSON Lines, up to {@value #MAX_PRODUCTS_BYTES} bytes. */
    private static byte[] productsBody(ServerRequest req) {
        return RequestBodies.jsonLines(req, MAX_PRODUCTS_BYTES);
    }

    private ObjectNode catalogStatus() {
        LiveCatalog.Status s = service.catalog().status();
        ObjectNode out = json.createObjectNode().put("products", s.products()).put("embedding_backlog", s.backlog());
        s.journal().ifPresentOrElse(j -> out.putObject("journal").put("dir", j.dir().toString()).put("origin_sha256", j.originSha256())
                        .put("generation", j.generation()).put("changes", j.changes()).put("products", j.products()),
                () -> out.putNull("journal"));
        return out;
    }

    private ObjectNode updated(LiveCatalog.Result r) {
        ObjectNode out = json.createObjectNode().put("op", r.op()).put("requested", r.requested()).put("changed", r.changed())
                .put("embedded", r.embedded()).put("products", r.products());
        if (!r.notFound().isEmpty()) {
            r.notFound().forEach(out.putArray("not_found")::add);
        }
        out.put(AUDIT, r.op() + " requested " + r.requested() + " changed " + r.changed() + " embedded " + r.embedded());
        return out;
    }

    /** JSON Lines of whole products, the catalog's columns as fields; one bad line refuses the call. */
    private ObjectNode upsertProducts(ServerRequest req, byte[] body) {
        CatalogLoader.Parsed parsed = CatalogLoader.parseJsonLines(utf8(body));
        if (!parsed.rejected().isEmpty()) {
            throw new HttpProblem(400, "invalid_products", parsed.rejected().size() + " line(s) rejected, nothing was changed: "
                    + String.join("; ", parsed.rejected().stream().limit(5).map(Object::toString).toList()));
        }
        if (parsed.products().isEmpty()) {
            throw new HttpProblem(400, "invalid_products", "the body holds no product (JSON Lines, one product object per line)");
        }
        return updated(service.catalog().upsert(parsed.products()));
    }

    /** {@code {"product_ids": ["B0...", ...]}}. */
    private ObjectNode deleteProducts(ServerRequest req, byte[] body) {
        JsonNode ids = object(body).get("product_ids");
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw new HttpProblem(400, "invalid_field", "product_ids must be a non-empty array of product ids");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode id : ids) {
            if (!id.isTextual() || id.asText().isBlank()) {
                throw new HttpProblem(400, "invalid_field", "product_ids must hold non-empty strings");
            }
            list.add(id.asText().strip());
        }
        return updated(service.catalog().delete(list));
    }

    /**
     * JSON Lines of {@code {"product_id": ..., "price": 12.5, "in_stock": false, "color": ..., "size": ...}}:
     * what needs no new embedding; an empty or null attribute removes it. One bad line refuses the call.
     */
    private ObjectNode patchProducts(ServerRequest req, byte[] body) {
        List<ProductPatch> patches = new ArrayList<>();
        String[] lines = utf8(body).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                patches.add(ProductPatch.fromJson(json.readTree(lines[i])));
            } catch (IOException | IllegalArgumentException e) {
                throw new HttpProblem(400, "invalid_patch", "line " + (i + 1) + ": "
                        + (e instanceof IOException ? "not valid JSON" : e.getMessage()) + "; nothing was changed");
            }
        }
        if (patches.isEmpty()) {
            throw new HttpProblem(400, "invalid_patch", "the body holds no patch (JSON Lines, one object with a product_id per line)");
        }
        return updated(service.catalog().patch(patches));
    }

    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new HttpProblem(400, "invalid_encoding", "the body is not UTF-8");
        }
    }

    private ObjectNode error(String code, String message) {
        ObjectNode out = json.createObjectNode();
        out.putObject("error").put("code", code).put("message", message);
        return out;
    }

    private static String version(ServerRequest req) {
        String v = req.path().pathParameters().first("version").orElse("");
        if (!NAME.matcher(v).matches() || v.equals("..")) {
            throw new HttpProblem(400, "invalid_name", "a version is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return v;
    }

    private ObjectNode status(ServerRequest req, byte[] body) {
        ObjectNode out = json.createObjectNode().put("model", service.modelName()).put("primary_version", service.primaryVersion())
                .put("last_known_good", service.lastKnownGood()).put("ready", service.ready());
        service.versions().forEach(out.putArray("loaded_versions")::add);
        out.putObject("fault_injection").put("allowed", allowFaults).set("active", faultList());
        out.set("traffic", traffic());
        service.lastCanaryVerdict().ifPresentOrElse(v -> out.putObject("canary_verdict").put("canary", v.canary()).put("primary", v.primary())
                .put("decision", v.decision()).put("at", v.at().toString())
                .put("canary_requests", v.canaryWindow().requests()).put("canary_error_rate", v.canaryWindow().errorRate())
                .put("canary_p99_ms", v.canaryWindow().p99Millis())
                .put("primary_requests", v.primaryWindow().requests()).put("primary_error_rate", v.primaryWindow().errorRate())
                .put("primary_p99_ms", v.primaryWindow().p99Millis()), () -> out.putNull("canary_verdict"));
        return out;
    }

    private ObjectNode versions(ServerRequest req, byte[] body) {
        ModelRepository.Scan scan = new ModelRepository(service.repository()).scan();
        ObjectNode out = json.createObjectNode().put("model", service.modelName());
        ArrayNode list = out.putArray("versions");
        for (ModelVersion v : scan.versionsOf(service.modelName())) {
            list.addObject().put("version", v.version()).put("valid", true).put("loaded", service.versions().contains(v.version()))
                    .put("primary", v.version().equals(service.primaryVersion()));
        }
        scan.rejected().stream().filter(r -> r.dir().getParent() != null && r.dir().getParent().getFileName().toString().equals(service.modelName()))
                .forEach(r -> list.addObject().put("version", r.dir().getFileName().toString()).put("valid", false).put("reason", r.reason()));
        return out;
    }

    private ObjectNode load(ServerRequest req, byte[] body) {
        String v = version(req);
        Duration took = service.loadVersion(v);
        return json.createObjectNode().put("loaded", v).put("load_seconds", took.toMillis() / 1e3);
    }

    private ObjectNode unload(ServerRequest req, byte[] body) {
        String v = version(req);
        boolean freed = service.unloadVersion(v);
        return json.createObjectNode().put("unloaded", v).put("freed", freed);
    }

    private ObjectNode promote(ServerRequest req, byte[] body) {
        String v = version(req);
        String previous = service.promote(v);
        return json.createObjectNode().put("primary_version", v).put("previous", previous).put("last_known_good", service.lastKnownGood());
    }

    private ObjectNode rollback(ServerRequest req, byte[] body) {
        String now = service.rollback();
        return json.createObjectNode().put("primary_version", now).put("last_known_good", service.lastKnownGood());
    }

    private ObjectNode traffic() {
        TrafficPolicy p = service.traffic();
        ObjectNode out = json.createObjectNode().put("primary_version", service.primaryVersion());
        out.putObject("canary").put("version", p.canaryVersion()).put("percent", p.canaryPercent());
        out.put("shadow", p.shadowVersion());
        return out;
    }

    /** {@code {"canary": {"version": "2", "percent": 10}, "shadow": "1"}}; omitted parts are cleared. */
    private ObjectNode setTraffic(ServerRequest req, byte[] bytes) {
        JsonNode body = object(bytes);
        JsonNode canary = body.path("canary");
        if (!canary.isMissingNode() && !canary.isNull() && !canary.isObject()) {
            throw new HttpProblem(400, "invalid_field", "canary must be an object such as {\"version\": \"2\", \"percent\": 10}");
        }
        String canaryVersion = canary.isObject() ? text(canary, "version", "") : "";
        double percent = canary.isObject() ? number(canary, "percent", 0) : 0;
        if (percent != Math.rint(percent) || percent < 0 || percent > 100) {
            throw new HttpProblem(400, "invalid_field", "percent must be a whole number in 0..100");
        }
        service.traffic(new TrafficPolicy(canaryVersion, (int) percent, text(body, "shadow", "")));
        return traffic();
    }

    private JsonNode object(byte[] bytes) {
        JsonNode body;
        try {
            body = bytes.length == 0 ? null : json.readTree(bytes);
        } catch (IOException e) {
            throw new HttpProblem(400, "invalid_json", "the body is not JSON");
        }
        if (body == null || !body.isObject()) {
            throw new HttpProblem(400, "invalid_json", "the body must be a JSON object");
        }
        return body;
    }

    private ObjectNode faults() {
        ObjectNode out = json.createObjectNode().put("allowed", allowFaults);
        out.set("active", faultList());
        return out;
    }

    private ArrayNode faultList() {
        ArrayNode list = json.createArrayNode();
        for (Faults.Fault f : service.faults().active()) {
            ObjectNode o = list.addObject().put("version", f.version()).put("latency_ms", f.latency().toMillis())
                    .put("error_rate", f.errorRate()).put("stall", f.stall()).put("expires", f.expires().toString());
            f.kinds().forEach(o.putArray("kinds")::add);
        }
        return list;
    }

    private void requireFaultsAllowed() {
        if (!allowFaults) {
            throw new HttpProblem(403, "fault_injection_disabled", "fault injection is off; start serve with --allow-fault-injection");
        }
    }

    /** {@code {"version": "2", "latency_ms": 200, "error_rate": 0.1, "stall": false, "duration_s": 60}}. */
    private ObjectNode injectFault(ServerRequest req, byte[] bytes) {
        requireFaultsAllowed();
        JsonNode body = object(bytes);
        String version = text(body, "version", service.primaryVersion());
        if (!service.versions().contains(version)) {
            throw new RecopsException.NotFound("version_not_loaded", "version " + version + " is not loaded");
        }
        double seconds = number(body, "duration_s", 60);
        if (!(seconds > 0 && seconds <= Faults.MAX_DURATION.toSeconds())) {
            throw new HttpProblem(400, "invalid_field", "duration_s must be in (0, " + Faults.MAX_DURATION.toSeconds() + "]");
        }
        JsonNode stall = body.get("stall");
        if (stall != null && !stall.isBoolean()) {
            throw new HttpProblem(400, "invalid_field", "stall must be true or false");
        }
        Faults.Fault f = new Faults.Fault(version, Duration.ofMillis((long) number(body, "latency_ms", 0)), number(body, "error_rate", 0),
                stall != null && stall.asBoolean(), Instant.now().plusMillis((long) (seconds * 1000)));
        service.faults().inject(f);
        LOG.warning("fault injected into " + service.modelName() + ":" + version + " " + f.kinds() + " until " + f.expires());
        return faults();
    }

    private ObjectNode clearFaults(ServerRequest req, byte[] body) {
        requireFaultsAllowed();
        String version = req.query().first("version").orElse("");
        int cleared = service.faults().clear(version);
        ObjectNode out = faults();
        out.put("cleared", cleared);
        return out;
    }

    private static String text(JsonNode body, String field, String otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isTextual() || !NAME.matcher(n.asText()).matches()) {
            throw new HttpProblem(400, "invalid_field", field + " must be a version name");
        }
        return n.asText();
    }

    private static double number(JsonNode body, String field, double otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new HttpProblem(400, "invalid_field", field + " must be a number");
        }
        return n.asDouble();
    }

    /** Stops the listener and closes the audit log. */
    @Override
    public void close() {
        server.stop();
        audit.close();
    }
}
