package dev.recops.engine.drill;

import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;

import static dev.recops.engine.drill.LocalProcesses.copyTree;
import static dev.recops.engine.drill.LocalProcesses.freePorts;
import static dev.recops.engine.drill.LocalProcesses.signalQuietly;
import static dev.recops.engine.drill.LocalProcesses.tail;
import static dev.recops.engine.drill.LocalProcesses.waitFor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * N {@code recops serve} replicas on free loopback ports behind a real HAProxy (health checks on
 * {@code /v2/health/ready}; retries to another replica as the experiment says, none being the
 * shape of a plain Kubernetes Service), all started by the drill in its work directory and torn
 * down afterwards, whatever happened.
 */
final class LocalDeployment implements Deployment {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    /** How serve says that it cannot bind its port. */
    private static final String PORT_TAKEN = "cannot listen on";
    private static final int PORT_ATTEMPTS = 3;

    private final List<String> serveCommand;
    private final Experiment.Target.Local target;
    private final Path work;
    private final Path modelRepo;
    private final Path catalog;
    private final String token;
    private final Consumer<String> log;
    private final List<Replica> replicas = new ArrayList<>();
    private Haproxy haproxy;

    private static final class Replica {
        final int index;
        int port; // chosen again when another process took it before the replica bound it
        int adminPort;
        volatile Process process;
        /** Between HAProxy and the replica when the drill breaks links; else null, HAProxy talks to the replica. */
        FaultProxy link;

        Replica(int index, int port, int adminPort) {
            this.index = index;
            this.port = port;
            this.adminPort = adminPort;
        }
    }

    private LocalDeployment(List<String> serveCommand, Experiment.Target.Local target, Path work, Path modelRepo, Path catalog, String token,
                            Consumer<String> log) {
        this.serveCommand = List.copyOf(serveCommand);
        this.target = target;
        this.work = work;
        this.modelRepo = modelRepo;
        this.catalog = catalog;
        this.token = token;
        this.log = log;
        List<Integer> ports = freePorts(2 * target.replicas());
        for (int i = 0; i < target.replicas(); i++) {
            replicas.add(new Replica(i + 1, ports.get(2 * i), ports.get(2 * i + 1)));
        }
    }

    /**
     * Starts the replicas (the first alone, so that it fills the embedding cache the others then
     * read) and HAProxy in front of them, and waits until traffic flows through it.
     *
     * @param serveCommand how to run {@code recops serve} (the JVM and class path of this one)
     * @param ownRepo copy the model repository into the work directory (the drill will plant versions in it)
     * @param ownCatalog copy the catalog into the work directory (the drill will damage it)
     */
    static LocalDeployment start(List<String> serveCommand, Experiment.Target.Local target, Path work, Path modelRepo, boolean ownRepo,
                                 Path catalog, boolean ownCatalog, boolean faultProxies, Consumer<String> log) {
        Haproxy.require();
        try {
            Files.createDirectories(work);
            Path repo = modelRepo;
            if (ownRepo) {
                repo = work.resolve("models");
                copyTree(modelRepo, repo);
            }
            Path products = catalog;
            if (ownCatalog) {
                products = work.resolve("products.csv");
                Files.copy(catalog, products, StandardCopyOption.REPLACE_EXISTING);
            }
            Path tokenFile = work.resolve("admin.token");
            String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Files.writeString(tokenFile, token + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            LocalDeployment d = new LocalDeployment(serveCommand, target, work, repo, products, token, log);
            // Ctrl-C or a kill of the drill must not leave replicas and HAProxy running
            Runtime.getRuntime().addShutdownHook(d.onExit);
            try {
                d.launch(d.replicas.getFirst());
                d.awaitReady(d.replicas.getFirst());
                d.replicas.stream().skip(1).forEach(d::launch);
                d.replicas.stream().skip(1).forEach(d::awaitReady);
                if (faultProxies) {
                    for (Replica r : d.replicas) {
                        r.link = FaultProxy.start(0, r.port); // bound at once: no port to lose
                        log.accept("replica " + r.index + ": behind a fault proxy on port " + r.link.port());
                    }
                }
                d.haproxy = Haproxy.start(work, target, d.replicas.stream().map(r -> r.link != null ? r.link.port() : r.port).toList(), log);
                return d;
            } catch (RuntimeException | IOException e) {
                d.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the drill's work directory " + work + ": " + e.getMessage(), e);
        }
    }

    /**
     * How long a restarted replica keeps serving after readiness turned 503: longer than HAProxy
     * takes to mark it down (two failed checks 250 ms apart), as a Kubernetes preStop and
     * readiness probe would be set, so that a graceful restart relies on no retry.
     */
    static final String DRAIN_DELAY = "1s";

    private final Thread onExit = Thread.ofPlatform().unstarted(this::stopAll);

    private void launch(Replica r) {
        List<String> cmd = new ArrayList<>(serveCommand);
        cmd.addAll(List.of("--host", "127.0.0.1", "--port", String.valueOf(r.port), "--admin-port", String.valueOf(r.adminPort),
                "--admin-token-file", work.resolve("admin.token").toString(), "--allow-fault-injection", "--drain-delay", DRAIN_DELAY,
                "--model-repo", modelRepo.toString(), "--catalog", catalog.toString(),
                "--catalog-journal", work.resolve("replica-" + r.index + ".catalog-journal").toString(), "--access-log", work.resolve("replica-" + r.index + ".access.jsonl").toString(),
                // its own serving state: a hot swap or rollback in a drill must not become the primary of the user's own serve
                "--state-file", work.resolve("replica-" + r.index + ".serving-state.json").toString(),
                "--audit-log", work.resolve("replica-" + r.index + ".audit.jsonl").toString()));
        cmd.addAll(target.serveArgs());
        Path out = work.resolve("replica-" + r.index + ".log");
        try {
            r.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("cannot_start", "cannot start replica " + r.index + ": " + e.getMessage());
        }
        log.accept("replica " + r.index + ": pid " + r.process.pid() + ", port " + r.port + ", admin " + r.adminPort);
    }

    /**
     * Waits until the replica is ready. Its ports were free when chosen, but another process may
     * have taken one before the replica bound it: then it is started again on new ones, at most
     * {@value #PORT_ATTEMPTS} times in all.
     */
    private void awaitReady(Replica r) {
        Path replicaLog = work.resolve("replica-" + r.index + ".log");
        int[] attempts = {1};
        boolean ready = Poll.until(READY_TIMEOUT, Duration.ofMillis(100), () -> {
            if (!r.process.isAlive()) {
                String why = tail(replicaLog);
                if (why.contains(PORT_TAKEN) && attempts[0]++ < PORT_ATTEMPTS) {
                    List<Integer> ports = freePorts(2);
                    log.accept("replica " + r.index + ": port " + r.port + " or " + r.adminPort + " was taken before it could listen; again on "
                            + ports);
                    r.port = ports.get(0);
                    r.adminPort = ports.get(1);
                    launch(r);
                    return false;
                }
                throw new RecopsException.PreconditionFailed("replica_failed", "replica " + r.index + " exited with " + r.process.exitValue()
                        + " before it was ready: " + why);
            }
            return AdminClient.get(readyUrl(r), Duration.ofSeconds(1)).ok();
        });
        if (ready) {
            return;
        }
        throw new RecopsException.PreconditionFailed("replica_not_ready", "replica " + r.index + " was not ready within " + READY_TIMEOUT.toSeconds()
                + " s: " + tail(work.resolve("replica-" + r.index + ".log")));
    }

    @Override
    public String dataUrl() {
        return "http://127.0.0.1:" + haproxy.frontendPort();
    }

    @Override
    public List<AdminClient> admins() {
        return replicas.stream().map(r -> new AdminClient("http://127.0.0.1:" + r.adminPort + "/admin/v1", token)).toList();
    }

    @Override
    public List<String> readinessUrls() {
        return replicas.stream().map(LocalDeployment::readyUrl).toList();
    }

    @Override
    public List<String> metricsUrls() {
        return replicas.stream().map(r -> "http://127.0.0.1:" + r.port + "/metrics").toList();
    }

    @Override
    public Map<String, List<String>> scrapeTargets() {
        return Map.of("recops", replicas.stream().map(r -> "127.0.0.1:" + r.port).toList(), "haproxy", List.of("127.0.0.1:" + haproxy.statsPort()));
    }

    private static String readyUrl(Replica r) {
        return "http://127.0.0.1:" + r.port + "/v2/health/ready";
    }

    @Override
    public String balancerName() {
        return "haproxy";
    }

    /** HAProxy's view: each server's status (UP, DOWN, "UP 1/2"...). */
    @Override
    public Map<String, String> balancerView() {
        return haproxy == null ? Map.of() : haproxy.view();
    }

    @Override
    public String network(int replica, FaultProxy.Fault fault) {
        Replica r = replicas.get(replica - 1);
        if (r.link == null) {
            throw new IllegalStateException("replica " + replica + " has no fault proxy");
        }
        r.link.set(fault);
        return "link to replica " + replica + ": " + fault.describe();
    }

    @Override
    public String kill(int replica) {
        Replica r = replicas.get(replica - 1);
        Process p = r.process;
        p.destroyForcibly(); // SIGKILL on Linux
        waitFor(p, 10);
        return "SIGKILL to replica " + replica + " (pid " + p.pid() + ", port " + r.port + ")";
    }

    @Override
    public String pause(int replica) {
        return signal(replica, "STOP");
    }

    @Override
    public String resume(int replica) {
        return signal(replica, "CONT");
    }

    private String signal(int replica, String signal) {
        Process p = replicas.get(replica - 1).process;
        if (!p.isAlive()) {
            throw new IllegalStateException("replica " + replica + " is not running");
        }
        try {
            Process k = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).redirectErrorStream(true).start();
            String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        return "SIG" + signal + " to replica " + replica + " (pid " + p.pid() + ")";
    }

    @Override
    public String restart(int replica) {
        Replica r = replicas.get(replica - 1);
        long t0 = System.nanoTime();
        Process old = r.process;
        if (old.isAlive()) {
            signalQuietly(old, "CONT");
            old.destroy(); // SIGTERM: drains
            if (!waitFor(old, 15)) {
                old.destroyForcibly();
                waitFor(old, 10);
            }
        }
        launch(r);
        awaitReady(r);
        double ready = (System.nanoTime() - t0) / 1e9;
        // back in service means back in the balancer: its health checks take it in a moment after
        // ready, and until then clients still get HAProxy's 503 for a lone replica
        String server = "r" + r.index;
        if (!Poll.until(Duration.ofSeconds(20), Duration.ofMillis(50), () -> balancerView().getOrDefault(server, "").startsWith("UP"))) {
            throw new IllegalStateException(String.format(Locale.ROOT, "replica %d restarted (pid %d), ready after %.1f s, "
                    + "but haproxy has not taken it back within 20 s: %s", replica, r.process.pid(), ready, balancerView().get(server)));
        }
        return String.format(Locale.ROOT, "replica %d restarted (pid %d), ready after %.1f s, UP in haproxy after %.1f s", replica,
                r.process.pid(), ready, (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public String plantCorrupted(String version) {
        String model = modelName();
        Path modelDir = modelRepo.resolve(model);
        try (Stream<Path> versions = Files.list(modelDir)) {
            Path source = versions.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no version of " + model + " in " + modelDir));
            Path dest = modelDir.resolve(version);
            if (Files.exists(dest)) {
                throw new IllegalStateException("version " + version + " already exists in " + modelDir);
            }
            copyTree(source, dest);
            Path onnx = dest.resolve("model.onnx");
            byte[] bytes = Files.readAllBytes(onnx);
            // flip a run of bytes in the middle: the weights no longer match the manifest's checksum
            for (int i = bytes.length / 2; i < Math.min(bytes.length, bytes.length / 2 + 4096); i++) {
                bytes[i] = (byte) ~bytes[i];
            }
            Files.write(onnx, bytes);
            return "version " + version + " planted in " + modelDir + " as a copy of " + source.getFileName() + " with 4096 bytes of model.onnx flipped";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String damageCatalog(String how) {
        Path saved = catalog.resolveSibling(catalog.getFileName() + ".saved");
        try {
            Files.move(catalog, saved, StandardCopyOption.REPLACE_EXISTING);
            if (how.equals("corrupt")) {
                byte[] bytes = Files.readAllBytes(saved);
                // half a file, cut inside a row, with bytes that are not UTF-8: a copy that failed midway
                byte[] cut = Arrays.copyOf(bytes, bytes.length / 2 + 2);
                cut[cut.length - 2] = (byte) 0xff;
                cut[cut.length - 1] = (byte) 0xfe;
                Files.write(catalog, cut);
                return catalog + " cut to " + cut.length + " of " + bytes.length + " bytes, ending in bytes that are not UTF-8";
            }
            return catalog + " moved away";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void restoreCatalog() {
        try {
            Files.move(catalog.resolveSibling(catalog.getFileName() + ".saved"), catalog, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String modelName() {
        int i = target.serveArgs().indexOf("--model");
        return i >= 0 && i + 1 < target.serveArgs().size() ? target.serveArgs().get(i + 1) : "search-encoder";
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook is running or has run stopAll
        }
        stopAll();
    }

    private synchronized void stopAll() {
        replicas.stream().map(r -> r.link).filter(l -> l != null).forEach(FaultProxy::close);
        List<Process> all = new ArrayList<>();
        if (haproxy != null) {
            all.add(haproxy.process());
        }
        replicas.stream().map(r -> r.process).filter(p -> p != null).forEach(all::add);
        for (Process p : all) {
            if (p.isAlive()) {
                signalQuietly(p, "CONT");
                p.destroy();
            }
        }
        for (Process p : all) {
            if (!waitFor(p, 15)) {
                p.destroyForcibly();
                waitFor(p, 5);
            }
        }
    }
}
