package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * recops serve running in a Kubernetes cluster (deploy/kubernetes), acted on with kubectl: the
 * drill's traffic goes to {@code target.url} (an ingress, a load balancer, or a
 * {@code kubectl port-forward svc/...} you run), replicas are the pods the selector matches in
 * name order at the moment of each action, and the load balancer's view is the Service's
 * EndpointSlices (a pod's endpoint ready or not). Process faults map onto kubectl:
 * <ul>
 * <li>kill_replica: {@code kubectl delete pod POD --grace-period=0 --force --wait=false}
 * <li>pause_replica / resume_replica: {@code kubectl exec POD -c CONTAINER -- kill -STOP 1} / {@code -CONT 1}
 * <li>restart_replica: {@code kubectl delete pod POD --wait=false} (graceful: preStop, then serve's drain)
 * </ul>
 * Admin-API actions go to the URLs in {@code target.admin} (a port-forward per pod). Every
 * kubectl call goes through {@link Kubectl}, so the plan is tested against recorded output.
 */
final class KubernetesDeployment implements Deployment {
    /** Runs kubectl with these arguments; the real one or, in tests, recorded answers. */
    interface Kubectl {
        Result run(List<String> args);

        record Result(int exit, String out) {}

        Kubectl SYSTEM = args -> {
            List<String> cmd = new ArrayList<>();
            cmd.add("kubectl");
            cmd.addAll(args);
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, "kubectl did not finish within 30 s");
                }
                return new Result(p.exitValue(), out);
            } catch (IOException e) {
                throw new RecopsException.PreconditionFailed("kubectl_missing", "a kubernetes target needs kubectl on the PATH: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RecopsException.Cancelled("interrupted", "interrupted while running kubectl");
            }
        };
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The balancer's view is read at most this often: each read is a kubectl process. */
    private static final long VIEW_EVERY_NANOS = 1_000_000_000L;

    private final Experiment.Target.Kubernetes target;
    private final Kubectl kubectl;
    private final UrlDeployment url;
    private Map<String, String> view = Map.of();
    private long viewAt;

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
            case "pause_replica" -> c.addAll(List.of("exec", pod, "-c", k.container(), "--", "kill", "-STOP", "1"));
            case "resume_replica" -> c.addAll(List.of("exec", pod, "-c", k.container(), "--", "kill", "-CONT", "1"));
            default -> throw new IllegalArgumentException(action + " has no kubectl form");
        }
        return c;
    }

    /** Running pods the selector matches, by name. */
    List<String> pods() {
        Experiment.Target.Kubernetes k = target;
        List<String> args = new ArrayList<>(scope(k));
        args.addAll(List.of("get", "pods", "-l", k.selector(), "-o", "json"));
        JsonNode items = json(args).path("items");
        List<String> names = new ArrayList<>();
        for (JsonNode pod : items) {
            if (pod.path("status").path("phase").asText().equals("Running") && pod.path("metadata").path("deletionTimestamp").isMissingNode()) {
                names.add(pod.path("metadata").path("name").asText());
            }
        }
        names.sort(null);
        return names;
    }

    private JsonNode json(List<String> args) {
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new RecopsException.Failure("kubectl_failed", "kubectl " + String.join(" ", args) + " exited with " + r.exit() + ": "
                    + r.out().strip().lines().findFirst().orElse(""), null);
        }
        try {
            return JSON.readTree(r.out());
        } catch (IOException e) {
            throw new RecopsException.Failure("kubectl_failed", "kubectl " + String.join(" ", args) + " did not print JSON", e);
        }
    }

    private String act(String action, int replica) {
        List<String> pods = pods();
        if (replica > pods.size()) {
            throw new IllegalStateException("replica " + replica + ": only " + pods.size() + " running pods match " + target.selector());
        }
        String pod = pods.get(replica - 1);
        List<String> args = command(target, action, pod);
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " exited with " + r.exit() + ": " + r.out().strip());
        }
        return "kubectl " + String.join(" ", args) + (r.out().isBlank() ? "" : ": " + r.out().strip().replaceAll("\\s+", " "));
    }

    @Override
    public String kill(int replica) {
        return act("kill_replica", replica);
    }

    @Override
    public String pause(int replica) {
        return act("pause_replica", replica);
    }

    @Override
    public String resume(int replica) {
        return act("resume_replica", replica);
    }

    @Override
    public String restart(int replica) {
        return act("restart_replica", replica);
    }

    @Override
    public String dataUrl() {
        return url.dataUrl();
    }

    @Override
    public List<AdminApi> admins() {
        return url.admins();
    }

    @Override
    public List<String> readinessUrls() {
        return url.readinessUrls();
    }

    @Override
    public List<String> metricsUrls() {
        return url.metricsUrls();
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

    @Override
    public void close() {
        // the cluster's; nothing of it was started by the drill
    }

    /** Checks kubectl reaches the cluster before anything runs, naming the context it used. */
    static void requireReachable(Experiment.Target.Kubernetes k, Kubectl kubectl, Consumer<String> log) {
        List<String> args = new ArrayList<>(scope(k));
        args.addAll(List.of("get", "pods", "-l", k.selector(), "-o", "name"));
        Kubectl.Result r = kubectl.run(args);
        if (r.exit() != 0) {
            throw new RecopsException.PreconditionFailed("kubernetes_unreachable", "kubectl " + String.join(" ", args) + " failed: "
                    + r.out().strip().lines().findFirst().orElse("exit " + r.exit()));
        }
        log.accept("kubernetes: " + r.out().strip().lines().count() + " pods match " + k.selector() + " in " + k.namespace()
                + (k.context().isEmpty() ? "" : " (context " + k.context() + ")"));
    }
}
