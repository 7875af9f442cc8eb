package dev.recops.engine.drill;

import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.LinkedHashMap;
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

    private final List<String> serveCommand;
    private final Experiment.Target.Local target;
    private final Path work;
    private final Path modelRepo;
    private final Path catalog;
    private final String token;
    private final Consumer<String> log;
    private final List<Replica> replicas = new ArrayList<>();
    private final int balancerPort;
    private final int statsPort;
    private Process haproxy;

    private static final class Replica {
        final int index;
        final int port;
        final int adminPort;
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
        List<Integer> ports = freePorts(2 * target.replicas() + 2);
        for (int i = 0; i < target.replicas(); i++) {
            replicas.add(new Replica(i + 1, ports.get(2 * i), ports.get(2 * i + 1)));
        }
        balancerPort = ports.get(ports.size() - 2);
        statsPort = ports.getLast();
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
        requireHaproxy();
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
                        r.link = FaultProxy.start(freePorts(1).getFirst(), r.port);
                        log.accept("replica " + r.index + ": behind a fault proxy on port " + r.link.port());
                    }
                }
                d.startHaproxy();
                return d;
            } catch (RuntimeException | IOException e) {
                d.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the drill's work directory " + work + ": " + e.getMessage(), e);
        }
    }

    private static void requireHaproxy() {
        try {
            Process p = new ProcessBuilder("haproxy", "-v").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("haproxy_missing",
                    "a local drill target needs HAProxy on the PATH (Debian: apt-get install haproxy)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecopsException.Cancelled("interrupted", "interrupted while checking for haproxy");
        }
    }

    /**
     * How long a restarted replica keeps serving after readiness turned 503: longer than HAProxy
     * takes to mark it down (two failed checks 250 ms apart), as a Kubernetes preStop and
     * readiness probe would be set, so that a graceful restart relies on no retry.
     */
    static final String DRAIN_DELAY = "1s";

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

    private void awaitReady(Replica r) {
        boolean ready = Poll.until(READY_TIMEOUT, Duration.ofMillis(100), () -> {
            if (!r.process.isAlive()) {
                throw new RecopsException.PreconditionFailed("replica_failed", "replica " + r.index + " exited with " + r.process.exitValue()
                        + " before it was ready: " + tail(work.resolve("replica-" + r.index + ".log")));
            }
            return AdminClient.get(readyUrl(r), Duration.ofSeconds(1)).ok();
        });
        if (ready) {
            return;
        }
        throw new RecopsException.PreconditionFailed("replica_not_ready", "replica " + r.index + " was not ready within " + READY_TIMEOUT.toSeconds()
                + " s: " + tail(work.resolve("replica-" + r.index + ".log")));
    }

    /** HAProxy's lines for the retry policy: none at all for 0 (a failed request is the client's), else to another replica. */
    static String retryPolicy(int retries) {
        if (retries == 0) {
            return "  retries 0";
        }
        return String.join("\n", "  # a refused connection, a reset or a stalled replica: the request goes to another one",
                "  retries " + retries, "  option redispatch 1", "  retry-on conn-failure empty-response junk-response response-timeout");
    }

    private void startHaproxy() throws IOException {
        Path cfg = work.resolve("haproxy.cfg");
        StringBuilder b = new StringBuilder();
        b.append("""
                # written by recops drill: the replicas behind one frontend; %s
                global
                  maxconn 4096
                defaults
                  mode http
                  timeout connect 500ms
                  timeout client 30s
                  timeout server 1s
                  timeout check 500ms
                  timeout http-request 10s
                  option http-buffer-request
                %s
                frontend drill
                  bind 127.0.0.1:%d
                  default_backend recops
                frontend stats
                  bind 127.0.0.1:%d
                  # Prometheus exposition; the shipped rules read the backend "recops" as the balancer's view
                  http-request use-service prometheus-exporter if { path /metrics }
                  stats enable
                  stats uri /stats
                backend recops
                  balance roundrobin
                  # HTTP/1.1: the replicas' server answers HAProxy's default HTTP/1.0 check with 505
                  option httpchk
                  http-check send meth GET uri /v2/health/ready ver HTTP/1.1 hdr Host localhost
                  http-check expect status 200
                  default-server inter 250ms fastinter 250ms downinter 500ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
                """.formatted(target.balancer(), retryPolicy(target.balancerRetries()), balancerPort, statsPort));
        for (Replica r : replicas) {
            b.append("  server r").append(r.index).append(" 127.0.0.1:").append(r.link != null ? r.link.port() : r.port).append(" check\n");
        }
        Files.writeString(cfg, b.toString());
        Path out = work.resolve("haproxy.log");
        haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        boolean up = Poll.until(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
            if (!haproxy.isAlive()) {
                throw new RecopsException.PreconditionFailed("haproxy_failed", "haproxy exited with " + haproxy.exitValue() + ": " + tail(out));
            }
            Map<String, String> view = balancerView();
            return view.size() == replicas.size() && view.values().stream().allMatch(v -> v.startsWith("UP"));
        });
        if (up) {
            log.accept("haproxy: pid " + haproxy.pid() + ", frontend 127.0.0.1:" + balancerPort + ", " + replicas.size() + " servers UP");
            return;
        }
        throw new RecopsException.PreconditionFailed("haproxy_not_ready", "haproxy did not see every replica UP within 20 s: " + balancerView());
    }

    @Override
    public String dataUrl() {
        return "http://127.0.0.1:" + balancerPort;
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
        return Map.of("recops", replicas.stream().map(r -> "127.0.0.1:" + r.port).toList(), "haproxy", List.of("127.0.0.1:" + statsPort));
    }

    private static String readyUrl(Replica r) {
        return "http://127.0.0.1:" + r.port + "/v2/health/ready";
    }

    @Override
    public String balancerName() {
        return "haproxy";
    }

    /** HAProxy's CSV statistics: each server's status (UP, DOWN, "UP 1/2"...). */
    @Override
    public Map<String, String> balancerView() {
        AdminClient.Answer a = AdminClient.get("http://127.0.0.1:" + statsPort + "/stats;csv", Duration.ofMillis(500));
        Map<String, String> view = new LinkedHashMap<>();
        if (!a.ok()) {
            return view;
        }
        for (String line : a.body().split("\n")) {
            String[] f = line.split(",", -1);
            if (f.length > 17 && f[0].equals("recops") && !f[1].equals("BACKEND") && !f[1].equals("FRONTEND")) {
                view.put(f[1], f[17]);
            }
        }
        return view;
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

    private final Thread onExit = Thread.ofPlatform().unstarted(this::stopAll);

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
            all.add(haproxy);
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

    private static void signalQuietly(Process p, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the process is gone or kill is missing: destroy() follows
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean waitFor(Process p, int seconds) {
        try {
            return p.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static List<Integer> freePorts(int n) {
        List<ServerSocket> open = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                open.add(s);
            }
            return open.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("no_ports", "cannot find free loopback ports: " + e.getMessage());
        } finally {
            for (ServerSocket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a listening socket we own; nothing to do
                }
            }
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
