package dev.recops.cli;

import dev.recops.engine.catalog.CatalogJournal;
import dev.recops.engine.model.ManifestSignature;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.serve.AdminServer;
import dev.recops.engine.serve.Queries;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServiceSetup;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import io.helidon.common.tls.Tls;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code recops serve}: the data-plane server over the model repository and catalog.
 *
 * <p>Longer than a command should be, because it owns the server's life and must orchestrate: the
 * model load beside the listeners' start, the stop signals, the drain, and the only safe stop
 * order (no new requests, no native work in flight, then native resources freed). Each part is
 * the engine's; only here do they meet.
 */
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

    @Mixin
    DataPlaneOptions dataPlane;

    @Mixin
    AdminListenerOptions adminOptions;

    @Mixin
    StateOptions state;

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

    @Option(names = "--trusted-key", paramLabel = "FILE",
            description = "Load only versions whose model.json carries an Ed25519 signature (model.json.sig) by this PEM public key.")
    Path trustedKey;

    @Option(names = "--search-mode", paramLabel = "MODE", defaultValue = "vector",
            description = "How a search that names no \"mode\" retrieves: vector, lexical (BM25 over titles and brands), hybrid "
                    + "(both, reciprocal rank fusion) or hybrid-weighted (both, weighted normalised scores) (default: ${DEFAULT-VALUE}).")
    String searchMode;

    @Override
    public Integer call() throws InterruptedException {
        TextEncoder.initialiseRuntimeInBackground();
        try {
            return serve();
        } finally {
            // a start that fails at once (a bad option value, a busy port) must not exit while
            // the runtime's native libraries are still loading: that crashes the JVM (SIGSEGV)
            TextEncoder.awaitRuntimeInitialisation();
        }
    }

    private int serve() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServeOptions options = options();
        ServerMetrics metrics = new ServerMetrics();
        Optional<Tls> tls = dataPlane.tls(spec); // both listeners; checked and read before anything starts
        AccessLog accessLog = accessLogOptions.open(metrics, spec);
        ServiceSetup setup = ServiceSetup.DEFAULT.withStateFile(state.stateFile).withSearchMode(searchMode())
                .withIndexChoice(engine.indexChoice(spec));
        if (trustedKey != null) {
            setup = setup.withTrustedKey(ManifestSignature.readPublicKey(trustedKey));
        }
        Optional<CatalogJournal> journal = state.openJournal(options.catalog(), err);
        if (journal.isPresent()) {
            setup = setup.withJournal(journal.get());
        }
        SearchService service = new SearchService(options, setup, metrics, new LoadProgress(err));
        canary.analysis(spec).ifPresent(service::analyseCanaries);
        // Load while the HTTP server starts: both take most of a second, and there are two cores.
        CompletableFuture<Void> loading = CompletableFuture.runAsync(service::load,
                runnable -> Thread.ofPlatform().name("recops-load").start(runnable));
        ServeServer server;
        AdminServer admin;
        try {
            server = ServeServer.start(host, port, service, metrics, drainTimeout, accessLog, tls);
            try {
                dataPlane.guard(server, err, spec);
                admin = adminOptions.start(service, metrics, tls, err);
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

    private Queries.Mode searchMode() {
        try {
            return Queries.Mode.of(searchMode);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--search-mode: " + e.getMessage());
        }
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
