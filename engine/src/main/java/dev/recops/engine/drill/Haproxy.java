package dev.recops.engine.drill;

import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.catalog.CsvReader;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static dev.recops.engine.drill.LocalProcesses.freePorts;
import static dev.recops.engine.drill.LocalProcesses.tail;

/**
 * The real HAProxy in front of a local drill's replicas: its configuration (health checks on
 * {@code /v2/health/ready}, the experiment's retry policy, a Prometheus exporter), its start on
 * free loopback ports, and its view of the replicas.
 *
 * @param frontendPort where the replicas are reached through it
 * @param statsPort its statistics and Prometheus exporter
 */
record Haproxy(Process process, int frontendPort, int statsPort) {
    /** How HAProxy says that another process took a port it was to listen on. */
    private static final String PORT_TAKEN = "cannot bind socket";
    private static final int PORT_ATTEMPTS = 3;

    /** HAProxy must be on the PATH: a clear precondition failure otherwise. */
    static void require() {
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

    /** HAProxy's lines for the retry policy: none at all for 0 (a failed request is the client's), else to another replica. */
    static String retryPolicy(int retries) {
        if (retries == 0) {
            return "  retries 0";
        }
        return String.join("\n", "  # a refused connection, a reset or a stalled replica: the request goes to another one",
                "  retries " + retries, "  option redispatch 1", "  retry-on conn-failure empty-response junk-response response-timeout");
    }

    /**
     * Starts HAProxy over the servers on {@code serverPorts} (r1, r2, ... in order) and waits until
     * it sees every one UP. Its ports were free when chosen; when another process took one before
     * HAProxy bound it, it starts again on new ones, at most {@value #PORT_ATTEMPTS} times in all.
     */
    static Haproxy start(Path work, Experiment.Target.Local target, List<Integer> serverPorts, Consumer<String> log) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<Integer> ports = freePorts(2);
            try {
                return startOnce(work, target, serverPorts, ports.get(0), ports.get(1), log);
            } catch (RecopsException.PreconditionFailed e) {
                if (attempt == PORT_ATTEMPTS || !e.getMessage().contains(PORT_TAKEN)) {
                    throw e;
                }
                log.accept("haproxy: port " + ports.get(0) + " or " + ports.get(1) + " was taken before it could listen; again on new ones");
            }
        }
    }

    private static Haproxy startOnce(Path work, Experiment.Target.Local target, List<Integer> serverPorts, int frontendPort, int statsPort,
                                     Consumer<String> log) throws IOException {
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
                """.formatted(target.balancer(), retryPolicy(target.balancerRetries()), frontendPort, statsPort));
        for (int i = 0; i < serverPorts.size(); i++) {
            b.append("  server r").append(i + 1).append(" 127.0.0.1:").append(serverPorts.get(i)).append(" check\n");
        }
        Files.writeString(cfg, b.toString());
        Path out = work.resolve("haproxy.log");
        Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        Haproxy h = new Haproxy(haproxy, frontendPort, statsPort);
        boolean up;
        try {
            up = Poll.until(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
                if (!haproxy.isAlive()) {
                    throw new RecopsException.PreconditionFailed("haproxy_failed", "haproxy exited with " + haproxy.exitValue() + ": " + tail(out));
                }
                Map<String, String> view = h.view();
                return view.size() == serverPorts.size() && view.values().stream().allMatch(v -> v.startsWith("UP"));
            });
        } catch (RuntimeException e) {
            h.stop();
            throw e;
        }
        if (up) {
            log.accept("haproxy: pid " + haproxy.pid() + ", frontend 127.0.0.1:" + frontendPort + ", " + serverPorts.size() + " servers UP");
            return h;
        }
        Map<String, String> view = h.view();
        h.stop();
        throw new RecopsException.PreconditionFailed("haproxy_not_ready", "haproxy did not see every replica UP within 20 s: " + view);
    }

    /** HAProxy's CSV statistics: each server's status (UP, DOWN, "UP 1/2"...); empty when it does not answer. */
    Map<String, String> view() {
        AdminClient.Answer a = AdminClient.get("http://127.0.0.1:" + statsPort + "/stats;csv", Duration.ofMillis(500));
        Map<String, String> view = new LinkedHashMap<>();
        if (!a.ok()) {
            return view;
        }
        try {
            CsvReader csv = new CsvReader(new StringReader(a.body()));
            for (CsvReader.Row row; (row = csv.next()) != null; ) {
                List<String> f = row.fields(); // pxname, svname, ... status is the 18th column
                if (f.size() > 17 && f.get(0).equals("recops") && !f.get(1).equals("BACKEND") && !f.get(1).equals("FRONTEND")) {
                    view.put(f.get(1), f.get(17));
                }
            }
        } catch (IOException | CsvReader.MalformedCsvException e) {
            return Map.of(); // a half-written answer: as if it had not answered
        }
        return view;
    }

    /** Stops it and waits (it is HAProxy's job to stop quickly). */
    void stop() {
        process.destroy();
        if (!LocalProcesses.waitFor(process, 15)) {
            process.destroyForcibly();
            LocalProcesses.waitFor(process, 5);
        }
    }
}
