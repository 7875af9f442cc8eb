package dev.recops.engine.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.objective.Durations;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The data a latency model is trained on, measured on the machine in hand: the model's call-time
 * profile, then per server configuration a capacity search and runs at fractions of that
 * capacity, each appended to a calibration directory as it completes ({@code profile.csv},
 * {@code capacity.csv}, {@code runs.csv}, and {@code journal.jsonl}, which lists the steps done,
 * so a calibration stopped by Ctrl-C or a crash resumes where it stopped, and a larger budget or
 * more configurations in the same directory measure only what is new). The server runs as
 * {@code recops serve} on every CPU but one and the load generator as {@code recops bench} on that
 * one ({@code taskset}), so that they never take each other's CPU; with one CPU, or no taskset,
 * they share and the plan says so. Against a server the user runs ({@code url}), its own
 * configuration is the only one.
 */
public final class Calibration {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Calibration() {}

    /**
     * Which CPUs the server and the load generator get.
     *
     * @param server taskset's CPU list for the server, empty when not pinned
     * @param load the load generator's, empty when not pinned
     * @param why why they are not pinned (empty when they are)
     */
    public record Pinning(String server, String load, String why) {
        /** From this process' allowed CPUs ({@code Cpus_allowed_list}) and whether taskset is installed. */
        public static Pinning detect(List<Integer> cpus, boolean taskset) {
            if (cpus.size() < 2) {
                return new Pinning("", "", "one CPU: the server and the load generator share it, which adds the generator's own work to every figure");
            }
            if (!taskset) {
                return new Pinning("", "", "taskset (Debian package util-linux) is not installed: the server and the load generator share "
                        + cpus.size() + " CPUs");
            }
            List<String> rest = cpus.subList(1, cpus.size()).stream().map(String::valueOf).toList();
            return new Pinning(String.join(",", rest), String.valueOf(cpus.getFirst()), "");
        }

        public boolean pinned() {
            return why.isEmpty();
        }

        /** CPUs the server gets: all but the load generator's when pinned. */
        public int serverCpus(int all) {
            return pinned() ? server.split(",").length : all;
        }

        List<String> server(List<String> command) {
            return prefix(server, command);
        }

        List<String> load(List<String> command) {
            return prefix(load, command);
        }

        private static List<String> prefix(String cpus, List<String> command) {
            if (cpus.isEmpty()) {
                return command;
            }
            List<String> c = new ArrayList<>(List.of("taskset", "-c", cpus));
            c.addAll(command);
            return c;
        }

        public String describe() {
            return pinned() ? "the server on CPU " + server + ", the load generator on CPU " + load + " (taskset)" : "not pinned: " + why;
        }
    }

    /** What a calibration directory holds. */
    public record Dir(Path dir) {
        public Path profile() {
            return dir.resolve("profile.csv");
        }

        public Path capacity() {
            return dir.resolve("capacity.csv");
        }

        public Path runs() {
            return dir.resolve("runs.csv");
        }

        Path journal() {
            return dir.resolve("journal.jsonl");
        }

        Path plan() {
            return dir.resolve("method.json");
        }

        Path log() {
            return dir.resolve("calibration.log");
        }

        Path stepCsv() {
            return dir.resolve("step.csv.tmp");
        }
    }

    /** Progress: a step begins ({@code done} of {@code total} done so far), with the time left estimated from the steps done. */
    public interface Progress {
        void step(CalibrationPlan.Step step, int done, int total, Duration left);

        void finished(CalibrationPlan.Step step, String outcome);
    }

    /**
     * Runs the steps of {@code plan} not yet in the directory's journal.
     *
     * @param recops the command line of {@code recops} with these arguments (the same JVM and class path as this one)
     * @param serveArgs options for every {@code recops serve} and for the profile (the user's model and catalog)
     * @return how many steps ran now (0 when everything was measured before)
     */
    public static int run(CalibrationPlan plan, Path dir, Pinning pinning, Function<List<String>, List<String>> recops, List<String> serveArgs,
            Progress progress) {
        Dir f = new Dir(dir);
        Map<String, JsonNode> done = begin(plan, f);
        List<CalibrationPlan.Step> steps = plan.steps();
        Duration estimatedDone = Duration.ZERO;
        long spentNanos = 0;
        int ran = 0;
        Server server = null;
        AtomicReference<Server> running = new AtomicReference<>();
        Thread onExit = new Thread(() -> { // Ctrl-C: the server we started goes with us
            Server s = running.get();
            if (s != null) {
                s.process.destroyForcibly();
            }
        }, "calibration-exit");
        Runtime.getRuntime().addShutdownHook(onExit);
        try {
            for (int i = 0; i < steps.size(); i++) {
                CalibrationPlan.Step s = steps.get(i);
                if (done.containsKey(s.key())) {
                    continue;
                }
                Duration left = steps.subList(i, steps.size()).stream().filter(x -> !done.containsKey(x.key())).map(plan::estimate)
                        .reduce(Duration.ZERO, Duration::plus);
                if (estimatedDone.toNanos() > 0) { // scaled by how the estimates held so far
                    left = Duration.ofNanos((long) (left.toNanos() * ((double) spentNanos / estimatedDone.toNanos())));
                }
                progress.step(s, i, steps.size(), left);
                long t0 = System.nanoTime();
                CalibrationPlan.ServerConfig config = s instanceof CalibrationPlan.Step.Capacity c ? c.config() : s instanceof CalibrationPlan.Step.Run r ? r.config() : null;
                String url = plan.url().orElse(null);
                if (config != null && plan.url().isEmpty()) {
                    if (server == null || !server.config.equals(config)) {
                        if (server != null) {
                            server.close();
                        }
                        server = Server.start(config, pinning, recops, serveArgs, f);
                        running.set(server);
                        // a third at the capacity search's first rate, then closed loop with every worker's batches full: a server
                        // warmed at less met its larger batches (new tensor shapes, code the JIT had not compiled, which on one CPU
                        // took a fifth of it for a minute) inside the search, and failed rates it passed once warm (docs/performance.md)
                        Duration third = plan.warmup().dividedBy(3);
                        load(pinning, recops, f, server.url,
                                List.of("--rate", CalibrationPlan.CAPACITY_START, "--duration", Durations.format(third), "--warmup", "0s"));
                        load(pinning, recops, f, server.url, List.of("--concurrency", String.valueOf(CalibrationPlan.warmupClients(config)),
                                "--duration", Durations.format(plan.warmup().minus(third)), "--warmup", "0s"));
                        forgetStepRows(f); // the warm-up is not data
                    }
                    url = server.url;
                }
                ObjectNode entry = JSON.createObjectNode().put("step", s.key());
                String outcome = switch (s) {
                    case CalibrationPlan.Step.Profile p -> {
                        List<String> args = new ArrayList<>(List.of("bench", "--profile", f.profile().toString()));
                        args.addAll(serveArgs);
                        exec(pinning.server(recops.apply(args)), f);
                        yield "written to " + f.profile();
                    }
                    case CalibrationPlan.Step.Capacity c -> {
                        JsonNode r = load(pinning, recops, f, url, List.of("--find-max-rate", "--slo", "errors<=1%", "--rate", CalibrationPlan.CAPACITY_START,
                                "--duration", Durations.format(plan.probeLength()), "--warmup", Durations.format(CalibrationPlan.min(Duration.ofSeconds(3), plan.probeLength())),
                                "--seed", String.valueOf(c.find()), "--format", "json"));
                        append(f, f.capacity());
                        JsonNode best = r.path("max_rate");
                        if (best.isNumber()) {
                            entry.put("max_rate", best.asDouble());
                        }
                        yield best.isNumber() ? String.format(Locale.ROOT, "%.0f/s", best.asDouble()) : "no rate met errors<=1%";
                    }
                    case CalibrationPlan.Step.Run r -> {
                        OptionalDouble capacity = capacity(done, r.config(), plan.finds());
                        if (capacity.isEmpty()) {
                            entry.put("skipped", "no capacity");
                            yield "skipped: no capacity was found";
                        }
                        double rate = Math.max(1, Math.round(capacity.getAsDouble() * r.fraction()));
                        JsonNode res = load(pinning, recops, f, url, List.of("--rate", String.valueOf(rate), "--duration", Durations.format(plan.runLength()),
                                "--warmup", Durations.format(CalibrationPlan.min(Duration.ofSeconds(5), plan.runLength())), "--seed", String.valueOf(r.repeat()),
                                "--format", "json"));
                        append(f, f.runs());
                        entry.put("rate", rate);
                        JsonNode l = res.path("latency_ms");
                        // the generator's own delay is in every latency: a neighbour on its CPU shows here first
                        yield String.format(Locale.ROOT, "%.0f/s: p50 %.1f ms, p99 %.1f ms (generator lag p99 %.1f ms)", rate, l.path("p50").asDouble(),
                                l.path("p99").asDouble(), res.path("scheduler_lag_ms").path("p99").asDouble());
                    }
                };
                appendLine(f.journal(), entry.toString());
                done.put(s.key(), entry);
                ran++;
                spentNanos += System.nanoTime() - t0;
                estimatedDone = estimatedDone.plus(plan.estimate(s));
                progress.finished(s, outcome);
            }
        } finally {
            if (server != null) {
                server.close();
            }
            running.set(null);
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
        return ran;
    }

    /** The median of a configuration's capacity searches that found a rate; empty when none did (or none ran). */
    static OptionalDouble capacity(Map<String, JsonNode> done, CalibrationPlan.ServerConfig c, int finds) {
        double[] found = IntStream.rangeClosed(1, finds).mapToObj(i -> done.get(new CalibrationPlan.Step.Capacity(c, i).key()))
                .filter(n -> n != null && n.path("max_rate").isNumber()).mapToDouble(n -> n.path("max_rate").asDouble()).sorted().toArray();
        return found.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(found[(found.length - 1) / 2]);
    }

    /** Checks the directory's runs were measured as this plan measures (or records how) and reads the journal of the steps done. */
    static Map<String, JsonNode> begin(CalibrationPlan plan, Dir f) {
        try {
            Files.createDirectories(f.dir());
            if (Files.exists(f.plan())) {
                JsonNode before = JSON.readTree(f.plan().toFile());
                if (!before.equals(JSON.readTree(plan.method().toString()))) { // both as read from text: numbers of one type
                    throw new RecopsException.InvalidInput("bad_calibration", f.dir() + " holds runs measured another way (" + f.plan().getFileName() + "): the same "
                            + "--fractions, lengths, --finds and --url resume or extend it; other ones need another directory");
                }
            } else {
                Files.writeString(f.plan(), plan.method().toPrettyString());
            }
            Map<String, JsonNode> done = new LinkedHashMap<>();
            if (Files.exists(f.journal())) {
                for (String line : Files.readAllLines(f.journal())) {
                    if (!line.isBlank()) {
                        JsonNode n = JSON.readTree(line);
                        done.put(n.path("step").asText(), n);
                    }
                }
            }
            return done;
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("cannot_calibrate", "cannot use " + f.dir() + " for the calibration: " + e.getMessage());
        }
    }

    /** One {@code recops bench} against {@code url}, pinned to the load's CPU, its rows (if any) in the step's CSV; its JSON result. */
    private static JsonNode load(Pinning pinning, Function<List<String>, List<String>> recops, Dir f, String url, List<String> more) {
        forgetStepRows(f); // rows of a step that did not finish (a crash, Ctrl-C) are measured again
        List<String> args = new ArrayList<>(List.of("bench", "--url", url, "--arrivals", "poisson", "--timeout", "2s", "--csv", f.stepCsv().toString()));
        args.addAll(more);
        String out = exec(pinning.load(recops.apply(args)), f);
        try {
            return out.isBlank() ? JSON.createObjectNode() : JSON.readTree(out);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /** Runs a command to its end; its stdout, its stderr to the calibration log. Exit 3 (an objective breached) is a result, not a failure. */
    private static String exec(List<String> command, Dir f) {
        try {
            appendLine(f.log(), "$ " + String.join(" ", command));
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(f.log().toFile())).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            if (exit != 0 && exit != 3) {
                throw new RecopsException.Failure("calibration_failed", "recops " + (command.contains("bench") ? "bench" : "serve") + " exited "
                        + exit + lastLine(f.log()) + " (the whole output is in " + f.log() + ")", null);
            }
            return out;
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("cannot_run", "cannot run " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecopsException.Cancelled("interrupted", "the calibration was interrupted; run the same command again to resume it");
        }
    }

    private static void forgetStepRows(Dir f) {
        try {
            Files.deleteIfExists(f.stepCsv());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + f.stepCsv() + ": " + e.getMessage(), e);
        }
    }

    /** ": " and the log's last line (what a failed command said), or "" when there is none. */
    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank() && !l.startsWith("WARNING: ")).toList();
            return lines.isEmpty() ? "" : ": " + lines.getLast().strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Moves the step's rows into {@code to}, with the header only when {@code to} is new. */
    private static void append(Dir f, Path to) {
        try {
            if (!Files.exists(f.stepCsv())) {
                return;
            }
            List<String> lines = Files.readAllLines(f.stepCsv());
            if (Files.exists(to) && !lines.isEmpty()) {
                lines = lines.subList(1, lines.size());
            }
            Files.write(to, lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Files.delete(f.stepCsv());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + to + ": " + e.getMessage(), e);
        }
    }

    private static void appendLine(Path file, String line) throws UncheckedIOException {
        try {
            Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** A {@code recops serve} of one configuration, on the server's CPUs, on a free loopback port. */
    private static final class Server implements AutoCloseable {
        final CalibrationPlan.ServerConfig config;
        final Process process;
        final String url;

        private Server(CalibrationPlan.ServerConfig config, Process process, String url) {
            this.config = config;
            this.process = process;
            this.url = url;
        }

        static Server start(CalibrationPlan.ServerConfig c, Pinning pinning, Function<List<String>, List<String>> recops, List<String> serveArgs, Dir f) {
            int port = freePort();
            List<String> args = new ArrayList<>(List.of("serve", "--host", "127.0.0.1", "--port", String.valueOf(port), "--admin-port", "0",
                    "--batch-max", String.valueOf(c.batchMax()), "--workers", String.valueOf(c.workers()), "--threads", String.valueOf(c.threads()),
                    "--query-cache", "0", "--drain-delay", "0s", "--no-catalog-journal"));
            args.addAll(serveArgs);
            List<String> command = pinning.server(recops.apply(args));
            try {
                appendLine(f.log(), "$ " + String.join(" ", command));
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(f.log().toFile()))
                        .start();
                Server s = new Server(c, p, "http://127.0.0.1:" + port);
                s.awaitReady(Duration.ofMinutes(10));
                return s;
            } catch (IOException e) {
                throw new RecopsException.PreconditionFailed("cannot_run", "cannot start recops serve: " + e.getMessage(), e);
            }
        }

        /** Polls readiness every 100 ms until 200, the process exits, or the time is up. */
        private void awaitReady(Duration timeout) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                if (!process.isAlive()) {
                    throw new RecopsException.Failure("calibration_failed", "recops serve " + config + " exited " + process.exitValue()
                            + " before it was ready (its output is in the calibration log)", null);
                }
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(url + "/v2/health/ready")).timeout(Duration.ofSeconds(1)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                    throw new RecopsException.Cancelled("interrupted", "the calibration was interrupted; run the same command again to resume it");
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                    throw new RecopsException.Cancelled("interrupted", "the calibration was interrupted; run the same command again to resume it");
                }
            }
            close();
            throw new RecopsException.Failure("calibration_failed", "recops serve " + config + " was not ready within " + CalibrationPlan.format(timeout), null);
        }

        @Override
        public void close() {
            process.destroy(); // SIGTERM: drains (no delay) and exits
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        private static int freePort() {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("no free port: " + e.getMessage(), e);
            }
        }
    }

    /** The CPUs this process may run on, from {@code /proc/self/status} (0..n-1 where that is not readable). */
    public static List<Integer> allowedCpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return cpuList(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        return IntStream.range(0, Runtime.getRuntime().availableProcessors()).boxed().toList();
    }

    /** "0-2,5" as [0, 1, 2, 5]. */
    static List<Integer> cpuList(String s) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : s.split(",")) {
            String[] r = part.strip().split("-");
            int from = Integer.parseInt(r[0]);
            int to = r.length > 1 ? Integer.parseInt(r[1]) : from;
            for (int i = from; i <= to; i++) {
                cpus.add(i);
            }
        }
        return cpus;
    }

    /** Whether {@code taskset} is on the PATH. */
    public static boolean tasksetInstalled() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "taskset")));
    }
}
