package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.admin.BearerToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * recops serve running in a Kubernetes cluster (deploy/kubernetes), acted on with kubectl: the
 * drill's traffic goes to {@code target.url} (an ingress, a load balancer, or a
 * {@code kubectl port-forward svc/...} you run), replicas are the pods the selector matches in
 * name order at the moment of each action, and the load balancer's view is the Service's
 * EndpointSlices (a pod's endpoint ready or not). Process faults map onto kubectl:
 * <ul>
 * <li>kill_replica: {@code kubectl delete pod POD --grace-period=0 --force --wait=false}
 * <li>pause_replica / resume_replica: {@code kubectl exec POD -c CONTAINER -- sh -c 'kill -STOP -1'} / {@code -CONT}:
 *     every process of the pod the container's user may signal, except init and the shell itself. Not
 *     {@code kill -STOP 1}: the kernel drops SIGSTOP sent to a PID namespace's init from inside it,
 *     which is why the shipped Deployment shares the pod's process namespace (serve is not init)
 * <li>restart_replica: {@code kubectl delete pod POD --wait=false} (graceful: preStop, then serve's drain), done when
 *     as many pods as the experiment names are Ready again without it
 * </ul>
 * Admin-API actions (inject_fault, clear_faults, rollback, hot_swap, reload_catalog) go to the
 * replica's pod through a {@code kubectl port-forward pod/POD :ADMIN_PORT} the drill starts (the
 * manifests keep the admin API on the pod's loopback), or to the URLs in {@code target.admin} when
 * given; the token is {@code target.admin_token_file} or the Secret's {@code token}. Every
 * kubectl call goes through {@link Kubectl}, so the plan is tested against recorded output.
 */
final class KubernetesDeployment implements Deployment {
    /** Runs kubectl with these arguments; the real one or, in tests, recorded answers. */
    interface Kubectl {
        Result run(List<String> args);

        record Result(int exit, String out) {}

        /** A running {@code kubectl port-forward}: the local port it listens on, closed by stopping it. */
        interface Forward extends AutoCloseable {
            int localPort();

            @Override
            void close();
        }

        /** Starts {@code kubectl ARGS} (a port-forward to {@code :PORT}) and returns once it says where it listens. */
        default Forward forward(List<String> args) {
            throw new UnsupportedOperationException("port-forward");
        }

        Kubectl SYSTEM = system("kubectl");

        /** The kubectl at {@code executable} (a name on the PATH, or a path). */
        static Kubectl system(String executable) {
            return new Kubectl() {
                @Override
                public Result run(List<String> args) {
                    try {
                        Process p = start(args);
                        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                        if (!p.waitFor(30, TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                            return new Result(-1, "kubectl did not finish within 30 s");
                        }
                        return new Result(p.exitValue(), out);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RecopsException.Cancelled("interrupted", "interrupted while running kubectl");
                    } catch (IOException e) {
                        throw new RecopsException.Failure("kubectl_failed", "reading kubectl's output: " + e.getMessage(), e);
                    }
                }

                /** kubectl prints "Forwarding from 127.0.0.1:PORT -> TARGET" once it listens; its output is drained after. */
                @Override
                public Forward forward(List<String> args) {
                    Process p = start(args);
                    CompletableFuture<Integer> port = new CompletableFuture<>();
                    StringBuilder said = new StringBuilder();
                    Thread.ofVirtual().name("kubectl-port-forward").start(() -> {
                        try (var lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                            for (String line; (line = lines.readLine()) != null; ) {
                                Matcher m = FORWARDING.matcher(line);
                                if (m.find()) {
                                    port.complete(Integer.parseInt(m.group(1)));
                                } else if (!port.isDone() && said.length() < 500) {
                                    said.append(line.strip()).append(' ');
                                }
                            }
                        } catch (IOException e) {
                            // the process ended
                        }
                        port.completeExceptionally(new IllegalStateException(said.toString().strip()));
                    });
                    try {
                        int local = port.get(20, TimeUnit.SECONDS);
                        return new Forward() {
                            public int localPort() {
                                return local;
                            }

                            public void close() {
                                p.destroy();
                            }
                        };
                    } catch (ExecutionException | TimeoutException e) {
                        p.destroyForcibly();
                        throw new IllegalStateException(shell(args) + " did not forward"
                                + (e.getCause() == null || e.getCause().getMessage().isEmpty() ? " within 20 s" : ": " + e.getCause().getMessage()));
                    } catch (InterruptedException e) {
                        p.destroyForcibly();
                        Thread.currentThread().interrupt();
                        throw new RecopsException.Cancelled("interrupted", "interrupted while starting kubectl port-forward");
                    }
                }

                private Process start(List<String> args) {
                    List<String> cmd = new ArrayList<>();
                    cmd.add(executable);
                    cmd.addAll(args);
                    try {
                        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
                    } catch (IOException e) {
                        throw new RecopsException.PreconditionFailed("kubectl_missing", "a kubernetes target needs kubectl on the PATH: " + e.getMessage());
                    }
                }
            };
        }

        Pattern FORWARDING = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) ->");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The balancer's view is read at most this often: each read is a kubectl process. */
    private static final long VIEW_EVERY_NANOS = 1_000_000_000L;
    /** How long a restarted pod's replacement may take to be Ready: scheduling, image, model load. */
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(300);

    private final Experiment.Target.Kubernetes target;
    private final Kubectl kubectl;
    private final UrlDeployment url;
    private Map<String, String> view = Map.of();
    private long viewAt;
    /** Port-forwards to the admin API, by pod; one to a pod that is gone is stopped. */
    private final Map<String, Kubectl.Forward> forwards = new LinkedHashMap<>();
    private String token;

    KubernetesDeployment(Experiment.Target.Kubernetes target, Kubectl kubectl) {
        this.target = target;
        this.kubectl = kubectl;
        this.url = new UrlDeployment(target.url(), target.adminUrls(), target.adminTokenFile());
        List<String> pods = pods();
        if (pods.size() < target.replicas()) {
            throw new RecopsException.PreconditionFailed("too_few_pods", "the selector " + target.selector() + " matches "
                    + pods.size() + " running pods in " + target.namespace() + ", the experiment names " + target.replicas() + ": "
                    + pods);
        }
    }

    /** A kubectl command line as a shell would take it: arguments with spaces in single quotes. */
    static String shell(List<String> args) {
        StringBuilder b = new StringBuilder("kubectl");
        for (String a : args) {
            b.append(' ').append(a.matches("[A-Za-z0-9._/:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** kubectl's global arguments for this target: the context if named, then the namespace. */
    static List<String> scope(Experiment.Target.Kubernetes k) {
        List<String> a = new ArrayList<>();
        if (!k.context().isEmpty()) {
            a.addAll(List.of("--context", k.context()));
        }
        a.addAll(List.of("-n", k.namespace()));
        return a;
    }

    /** The commands an action runs, with {@code pod} for the replica's pod: what --dry-run prints and what runs. */
    static List<String> command(Experiment.Target.Kubernetes k, String action, String pod) {
        List<String> c = new ArrayList<>(scope(k));
        switch (action) {
            case "kill_replica" -> c.addAll(List.of("delete", "pod", pod, "--grace-period=0", "--force", "--wait=false"));
            case "restart_replica" -> c.addAll(List.of("delete", "pod", pod, "--wait=false"));
            case "pause_replica" -> c.addAll(List.of("exec", pod, "-c", k.container(), "--", "sh", "-c", "kill -STOP -1"));
            case "resume_replica" -> c.addAll(List.of("exec", pod, "-c", k.container(), "--", "sh", "-c", "kill -CONT -1"));
            default -> throw new IllegalArgumentException(action + " has no kubectl form");
        }
        return c;
    }

    /** Running pods the selector matches, by name (not those being deleted). */
    List<String> pods() {
        return pods(false);
    }

    /** Those of {@link #pods()} whose Ready condition is True. */
    List<String> readyPods() {
        return pods(true);
    }

    private List<String> pods(boolean ready) {
        Experiment.Target.Kubernetes k = target;
        List<String> args = new ArrayList<>(scope(k));
        args.addAll(List.of("get", "pods", "-l", k.selector(), "-o", "json"));
        JsonNode items = json(args).path("items");
        List<String> names = new ArrayList<>();
        for (JsonNode pod : items) {
            boolean isReady = false;
            for (JsonNode c : pod.path("status").path("conditions")) {
                isReady |= c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True");
            }
            if (pod.path("status").path("phase").asText().equals("Running") && pod.path("metadata").path("deletionTimestamp").isMissingNode()
                    && (isReady || !ready)) {
                names.add(pod.path("metadata").path("name").asText());
            }
        }
        names.sort(null);
        return names;
    }

    private JsonNode json(List<String> args) {
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new RecopsException.Failure("kubectl_failed", shell(args) + " exited with " + r.exit() + ": "
                    + r.out().strip().lines().findFirst().orElse(""), null);
        }
        try {
            return JSON.readTree(r.out());
        } catch (IOException e) {
            throw new RecopsException.Failure("kubectl_failed", shell(args) + " did not print JSON", e);
        }
    }

    /** Replica N's pod: the N-th running pod by name, now. */
    private String pod(int replica) {
        List<String> pods = pods();
        if (replica > pods.size()) {
            throw new IllegalStateException("replica " + replica + ": only " + pods.size() + " running pods match " + target.selector());
        }
        return pods.get(replica - 1);
    }

    private String act(String action, String pod) {
        List<String> args = command(target, action, pod);
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new IllegalStateException(shell(args) + " exited with " + r.exit() + ": " + r.out().strip());
        }
        return shell(args) + (r.out().isBlank() ? "" : ": " + r.out().strip().replaceAll("\\s+", " "));
    }

    @Override
    public String kill(int replica) {
        return act("kill_replica", pod(replica));
    }

    @Override
    public String pause(int replica) {
        return act("pause_replica", pod(replica));
    }

    @Override
    public String resume(int replica) {
        return act("resume_replica", pod(replica));
    }

    /**
     * Deletes the pod gracefully and is done, like a local restart, when the Deployment is back
     * in service: as many Ready pods as the experiment names, the deleted one not among them
     * (its replacement scheduled, started, loaded and passing readiness). Polled once a second.
     */
    @Override
    public String restart(int replica) {
        String pod = pod(replica);
        String out = act("restart_replica", pod);
        long t0 = System.nanoTime();
        AtomicReference<List<String>> ready = new AtomicReference<>(List.of());
        if (!Poll.until(RESTART_TIMEOUT, Duration.ofSeconds(1), () -> {
            ready.set(readyPods());
            return !ready.get().contains(pod) && ready.get().size() >= target.replicas();
        })) {
            throw new IllegalStateException(out + "; " + ready.get().size() + " pods Ready (of " + target.replicas() + ") "
                    + RESTART_TIMEOUT.toSeconds() + " s later: " + ready.get());
        }
        return String.format(Locale.ROOT, "%s; %d pods Ready again after %.1f s", out, ready.get().size(), (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public String dataUrl() {
        return url.dataUrl();
    }

    /** The port-forward to a pod's admin API: what --dry-run prints and what runs. */
    static List<String> forward(Experiment.Target.Kubernetes k, String pod) {
        List<String> c = new ArrayList<>(scope(k));
        c.addAll(List.of("port-forward", "pod/" + pod, ":" + k.adminPort()));
        return c;
    }

    /**
     * The admin APIs named in the target, else each running pod's (in name order, as replicas
     * are numbered when the action runs) through a port-forward the drill keeps while the pod lives.
     */
    @Override
    public synchronized List<AdminClient> admins() {
        if (!target.adminUrls().isEmpty()) {
            return url.admins();
        }
        List<String> pods = pods();
        forwards.entrySet().removeIf(f -> {
            if (!pods.contains(f.getKey())) {
                f.getValue().close();
                return true;
            }
            return false;
        });
        String t = token();
        List<AdminClient> admins = new ArrayList<>();
        for (String pod : pods) {
            Kubectl.Forward f = forwards.computeIfAbsent(pod, p -> kubectl.forward(forward(target, p)));
            admins.add(new AdminClient("http://127.0.0.1:" + f.localPort() + "/admin/v1", t));
        }
        return admins;
    }

    /** target.admin_token_file, else the {@code token} of the Secret target.admin_secret, read once. */
    private String token() {
        if (token == null) {
            if (target.adminTokenFile() != null) {
                token = BearerToken.readForClient(target.adminTokenFile());
            } else {
                List<String> args = new ArrayList<>(scope(target));
                args.addAll(List.of("get", "secret", target.adminSecret(), "-o", "json"));
                String data = json(args).path("data").path("token").asText("");
                if (data.isEmpty()) {
                    throw new IllegalStateException("the Secret " + target.adminSecret() + " in " + target.namespace()
                            + " has no key token (set target.admin_secret or target.admin_token_file)");
                }
                token = new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8).strip();
            }
        }
        return token;
    }

    @Override
    public List<String> readinessUrls() {
        return url.readinessUrls();
    }

    @Override
    public List<String> metricsUrls() {
        return url.metricsUrls();
    }

    @Override
    public String balancerName() {
        return "the endpoints of service " + target.service();
    }

    /**
     * The Service's endpoints: pod name to UP (ready) or DOWN (not ready, or terminating),
     * from its EndpointSlices; empty without {@code target.service}. Read at most once a second.
     */
    @Override
    public synchronized Map<String, String> balancerView() {
        Experiment.Target.Kubernetes k = target;
        if (k.service().isEmpty()) {
            return Map.of();
        }
        if (System.nanoTime() - viewAt < VIEW_EVERY_NANOS) {
            return view;
        }
        viewAt = System.nanoTime();
        List<String> args = new ArrayList<>(scope(k));
        args.addAll(List.of("get", "endpointslices", "-l", "kubernetes.io/service-name=" + k.service(), "-o", "json"));
        try {
            view = endpoints(json(args));
        } catch (RecopsException e) {
            // a missed read: the last view stands
        }
        return view;
    }

    /** Pod name to UP or DOWN from an EndpointSliceList. */
    static Map<String, String> endpoints(JsonNode slices) {
        Map<String, String> view = new LinkedHashMap<>();
        for (JsonNode slice : slices.path("items")) {
            for (JsonNode e : slice.path("endpoints")) {
                String name = e.path("targetRef").path("name").asText(e.path("addresses").path(0).asText("?"));
                JsonNode c = e.path("conditions");
                boolean ready = c.path("ready").asBoolean(true) && !c.path("terminating").asBoolean(false);
                view.put(name, ready ? "UP" : "DOWN");
            }
        }
        return view;
    }

    /** Stops the drill's port-forwards; the pods are the cluster's. */
    @Override
    public synchronized void close() {
        forwards.values().forEach(Kubectl.Forward::close);
        forwards.clear();
    }

    /** Checks kubectl reaches the cluster before anything runs, naming the context it used. */
    static void requireReachable(Experiment.Target.Kubernetes k, Kubectl kubectl, Consumer<String> log) {
        List<String> args = new ArrayList<>(scope(k));
        args.addAll(List.of("get", "pods", "-l", k.selector(), "-o", "name"));
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new RecopsException.PreconditionFailed("kubernetes_unreachable", shell(args) + " failed: "
                    + r.out().strip().lines().findFirst().orElse("exit " + r.exit()));
        }
        log.accept("kubernetes: " + r.out().strip().lines().count() + " pods match " + k.selector() + " in " + k.namespace()
                + (k.context().isEmpty() ? "" : " (context " + k.context() + ")"));
    }
}
