package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.model.ManifestSignature;
import dev.recops.engine.serve.AdminServer;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** {@code recops serve}: the data-plane server over the model repository and catalog. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve search, recommend and embed over HTTP from a model repository and a product catalog.",
            "%nIt listens at once; /v2/health/ready turns 200 when the primary version and its catalog index are loaded. "
                    + "Catalog embeddings are cached under --cache-dir, so a restart does not re-embed. "
                    + "On SIGTERM or Ctrl-C it drains: readiness turns 503, it keeps serving for --drain-delay, "
                    + "stops accepting connections, lets requests in flight finish within --drain-timeout, and exits 0.",
            ""
        })
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Mixin
    EngineOptions engine;

    @Mixin
    CanaryOptions canary;

    @Mixin
    AccessLogOptions accessLogOptions;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port to listen on, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--drain-delay", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "On SIGTERM, how long to keep serving while not ready, so load balancers stop sending (default: ${DEFAULT-VALUE}).")
    Duration drainDelay;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Then, how long requests in flight may take to finish before the server closes (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--admin-host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address of the admin API listener (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "8081",
            description = "Port of the admin API, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--no-admin", description = "Do not start the admin API.")
    boolean noAdmin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.config:-${sys:user.home}/.config/recops}/admin-token",
            description = "Bearer token of the admin API; created with a random token (mode 0600) when missing "
                    + "(default: $XDG_CONFIG_HOME/recops/admin-token, else ~/.config/recops/admin-token).")
    Path adminTokenFile;

    @Option(names = "--audit-log", paramLabel = "FILE", description = "Append one JSON line per admin call to FILE (default: the server log).")
    Path auditLogFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve both listeners over TLS: the PEM certificate chain, leaf first (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert (unencrypted PKCS#8: BEGIN PRIVATE KEY).")
    Path tlsKey;

    @Option(names = "--data-token-file", paramLabel = "FILE",
            description = "Require 'Authorization: Bearer <token>' on queries (/v1/search, /v1/recommend, /v1/embed, v2 infer); "
                    + "the token is read from FILE, created with a random one (mode 0600) when missing. Health and metrics stay open.")
    Path dataTokenFile;

    @Option(names = "--rate-limit", paramLabel = "PER_SECOND",
            description = "Queries a second each client (by address) may send on average; beyond it, 429 with Retry-After. Off by default.")
    Double rateLimit;

    @Option(names = "--rate-limit-burst", paramLabel = "N",
            description = "Queries a client may send at once under --rate-limit (default: the rate, at least 1).")
    Integer rateLimitBurst;

    @Option(names = "--trusted-key", paramLabel = "FILE",
            description = "Load only versions whose model.json carries an Ed25519 signature (model.json.sig) by this PEM public key.")
    Path trustedKey;

    @Option(names = "--state-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.state:-${sys:user.home}/.local/state/recops}/serving-state.json",
            description = "Where the primary, the rollback target and the traffic policy are kept across restarts "
                    + "(default: $XDG_STATE_HOME/recops/serving-state.json, else ~/.local/state/recops/...). --primary-version wins over it.")
    Path stateFile;

    @Option(names = "--catalog-journal", paramLabel = "DIR",
            description = "Where live catalog updates (the admin API, recops catalog) are journaled so a restart keeps them "
                    + "(default: catalog-journal/<catalog name>-<hash of its path> beside --state-file). One server per directory.")
    Path catalogJournal;

    @Option(names = "--no-catalog-journal", description = "Keep live catalog updates in memory only: a restart serves the catalog file as it is.")
    boolean noCatalogJournal;

    @Option(names = "--search-mode", paramLabel = "MODE", defaultValue = "vector",
            description = "How a search that names no \"mode\" retrieves: vector, lexical (BM25 over titles and brands), hybrid "
                    + "(both, reciprocal rank fusion) or hybrid-weighted (both, weighted normalised scores) (default: ${DEFAULT-VALUE}).")
    String searchMode;

    @Option(names = "--allow-fault-injection", description = "Let the admin API inject latency, errors or stalls into a version (drills).")
    boolean allowFaultInjection;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServeOptions options = options();
        ServerMetrics metrics = new ServerMetrics();
        AccessLog accessLog = accessLogOptions.open(metrics, spec);
        SearchService service = new SearchService(options, metrics, new LoadProgress(err));
        service.stateFile(stateFile);
        service.defaultSearchMode(searchMode());
        service.indexChoice(engine.indexChoice(spec));
        openJournal(options, err).ifPresent(service::catalogJournal);
        if (trustedKey != null) {
            service.trustedKey(ManifestSignature.readPublicKey(trustedKey));
        }
        canary.analysis(spec).ifPresent(service::analyseCanaries);
        // Load while the HTTP server starts: both take most of a second, and there are two cores.
        CompletableFuture<Void> loading = CompletableFuture.runAsync(service::load,
                runnable -> Thread.ofPlatform().name("recops-load").start(runnable));
        ServeServer server;
        AdminServer admin;
        try {
            server = ServeServer.start(host, port, service, metrics, drainTimeout, accessLog, tls());
            try {
                guard(server, err);
                admin = startAdmin(service, metrics, err);
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        } catch (RuntimeException e) {
            service.close();
            awaitQuietly(loading); // never leave a native model load running into JVM exit
            throw e;
        }
        StopSignals signals = new StopSignals();
        if (!signals.install()) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> stop(server, loading, service)));
        }
        String url = server.address(host);
        err.println("recops: listening on " + url + ", loading " + options.model() + " ...");
        try {
            loading.join();
        } catch (CompletionException e) {
            stop(server, loading, service);
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        double seconds = (System.currentTimeMillis() - Main.jvmStartMillis()) / 1e3;
        new ReadyRenderer(out, output.json()).render(url, service, seconds);
        String signal = signals.await();
        err.printf("recops: %s: draining: not ready, serving %s more, then up to %s for requests in flight (again to skip the wait)%n",
                signal, DurationConverter.format(drainDelay), DurationConverter.format(drainTimeout));
        server.startDraining();
        if (signals.awaitAnother(drainDelay)) {
            err.printf("recops: %s again: skipping the rest of the drain delay; up to %s for requests in flight%n", signals.last(),
                    DurationConverter.format(drainTimeout));
        }
        if (admin != null) {
            admin.close();
        }
        stop(server, loading, service);
        accessLog.close();
        err.println("recops: stopped");
        return ExitCodes.OK;
    }

    /**
     * The catalog journal: --catalog-journal, else the default beside the state file. A default
     * directory that another server holds is not an error (the two would share it): this server
     * then keeps its updates in memory, and says so.
     */
    private java.util.Optional<dev.recops.engine.catalog.CatalogJournal> openJournal(ServeOptions options, PrintWriter err) {
        if (noCatalogJournal) {
            return java.util.Optional.empty();
        }
        if (catalogJournal != null) {
            return java.util.Optional.of(dev.recops.engine.catalog.CatalogJournal.open(catalogJournal));
        }
        Path dir = stateFile.toAbsolutePath().getParent().resolve("catalog-journal")
                .resolve(options.catalog().getFileName() + "-" + dev.recops.engine.catalog.Catalog.fileKey(options.catalog()));
        try {
            return java.util.Optional.of(dev.recops.engine.catalog.CatalogJournal.open(dir));
        } catch (RecopsException.PreconditionFailed e) {
            err.println("recops: warning: live catalog updates are kept in memory only: " + e.getMessage());
            return java.util.Optional.empty();
        }
    }

    private dev.recops.engine.serve.Queries.Mode searchMode() {
        try {
            return dev.recops.engine.serve.Queries.Mode.of(searchMode);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--search-mode: " + e.getMessage());
        }
    }

    /** TLS for both listeners, when --tls-cert and --tls-key are given. */
    private java.util.Optional<io.helidon.common.tls.Tls> tls() {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        return tlsCert == null ? java.util.Optional.empty() : java.util.Optional.of(dev.recops.engine.serve.TlsFiles.load(tlsCert, tlsKey));
    }

    /** The data plane's optional token and rate limit. */
    private void guard(ServeServer server, PrintWriter err) {
        if (dataTokenFile != null) {
            BearerToken token = BearerToken.open(dataTokenFile);
            server.requireToken(token);
            err.printf("recops: queries need the bearer token %s in %s%s%n", token.id(), token.file(), token.generated() ? " (generated now)" : "");
        }
        if (rateLimit != null) {
            int burst = rateLimitBurst != null ? rateLimitBurst : (int) Math.max(1, Math.ceil(rateLimit));
            if (!(rateLimit > 0) || burst < 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--rate-limit must be positive and --rate-limit-burst at least 1");
            }
            server.limitRate(new dev.recops.engine.serve.RateLimiter(rateLimit, burst));
        }
    }

    /** The admin API, or null with --no-admin; says where it listens and where its token is. */
    private AdminServer startAdmin(SearchService service, ServerMetrics metrics, PrintWriter err) {
        if (noAdmin) {
            return null;
        }
        BearerToken tokens = BearerToken.open(adminTokenFile);
        AuditLog audit = AuditLog.open(java.util.Optional.ofNullable(auditLogFile));
        AdminServer admin = AdminServer.start(adminHost, adminPort, service, tokens, audit, metrics, allowFaultInjection, tls());
        err.printf("recops: admin API on " + (tlsCert != null ? "https" : "http") + "://%s:%d/admin/v1 (bearer token %s in %s%s)%s%n", adminHost, admin.port(), tokens.id(),
                tokens.file(), tokens.generated() ? ", generated now" : "", allowFaultInjection ? "; fault injection allowed" : "");
        return admin;
    }

    /**
     * Stops in the only safe order: no new requests, then no native work in flight (a model load
     * cannot be interrupted, so it is waited for), then native resources freed.
     */
    private static void stop(ServeServer server, CompletableFuture<Void> loading, SearchService service) {
        server.close();
        service.close();
        awaitQuietly(loading);
    }

    private static void awaitQuietly(CompletableFuture<Void> loading) {
        try {
            loading.join();
        } catch (CompletionException ignored) {
            // the load failed; nothing left to wait for
        }
    }

    private ServeOptions options() {
        return engine.options(host, port, spec);
    }
}
