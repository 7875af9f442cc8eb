package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A kubernetes target's plan against kubectl output (see resources/kubectl/README.md): which pod, which command. */
class KubernetesDeploymentTest {
    private static final Experiment.Target.Kubernetes K = target(3);

    /** Answers kubectl from files, records every call. */
    static final class Recorded implements KubernetesDeployment.Kubectl {
        final List<List<String>> calls = new ArrayList<>();
        /** The pod list as the cluster has it now (a test may replace a pod). */
        String pods = resource("pods.json");
        /** Where the port-forwards lead: a port on this machine. */
        int forwardTo = 40_000;
        final List<Boolean> forwardsOpen = new ArrayList<>();
        int replaced;

        @Override
        public Result run(List<String> args) {
            calls.add(args);
            String line = String.join(" ", args);
            if (line.endsWith("get pods -l app.kubernetes.io/name=recops -o json")) {
                return new Result(0, pods);
            }
            if (line.endsWith("get secret recops-admin-token -o json")) {
                return new Result(0, resource("secret.json"));
            }
            if (line.endsWith("get endpointslices -l kubernetes.io/service-name=recops-serve -o json")) {
                return new Result(0, resource("endpointslices.json"));
            }
            if (line.contains(" delete pod ")) {
                // the ReplicaSet replaces a deleted pod at once, and (here) the new one is Ready at once
                String name = args.get(args.indexOf("pod") + 1);
                pods = pods.replace(name, "recops-serve-6f8d9c7b5d-n" + String.format("%04d", ++replaced));
                return new Result(0, "pod \"" + name + "\" deleted\n");
            }
            if (line.contains(" exec ")) {
                return new Result(0, "");
            }
            return new Result(1, "error: unexpected call " + line);
        }

        @Override
        public Forward forward(List<String> args) {
            calls.add(args);
            int i = forwardsOpen.size();
            forwardsOpen.add(true);
            return new Forward() {
                public int localPort() {
                    return forwardTo;
                }

                public void close() {
                    forwardsOpen.set(i, false);
                }
            };
        }
    }

    static String resource(String name) {
        try (InputStream in = KubernetesDeploymentTest.class.getResourceAsStream("/kubectl/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Experiment.Target.Kubernetes target(int replicas) {
        return new Experiment.Target.Kubernetes("shop", "app.kubernetes.io/name=recops", "prod", "serve", "recops-serve", replicas,
                "http://127.0.0.1:8080", List.of(), null, 8081, "recops-admin-token");
    }

    @Test
    void replicasAreTheRunningPodsByNameAndEachFaultIsOneKubectlCommand() {
        Recorded kubectl = new Recorded();
        KubernetesDeployment d = new KubernetesDeployment(target(3), kubectl);
        // the Pending pod and the one being deleted are not replicas
        assertThat(d.pods()).containsExactly("recops-serve-6f8d9c7b5d-4vqzl", "recops-serve-6f8d9c7b5d-bb6rn", "recops-serve-6f8d9c7b5d-x2k9p");
        assertThat(d.kill(2)).startsWith("kubectl --context prod -n shop delete pod recops-serve-6f8d9c7b5d-bb6rn --grace-period=0 --force "
                + "--wait=false: pod \"recops-serve-6f8d9c7b5d-bb6rn\" deleted");
        // not "kill -STOP 1": serve is not its namespace's init (the kernel would drop the signal)
        assertThat(d.pause(1)).isEqualTo("kubectl --context prod -n shop exec recops-serve-6f8d9c7b5d-4vqzl -c serve -- sh -c 'kill -STOP -1'");
        d.resume(1);
        // replica 3 is numbered among the pods running now (the killed one's replacement included);
        // a restart is done when as many pods are Ready again, the deleted one not among them
        assertThat(d.restart(3)).endsWith("pod \"recops-serve-6f8d9c7b5d-x2k9p\" deleted; 3 pods Ready again after 0.0 s");
        assertThat(d.readyPods()).containsExactly("recops-serve-6f8d9c7b5d-4vqzl", "recops-serve-6f8d9c7b5d-n0001", "recops-serve-6f8d9c7b5d-n0002");
        List<String> acts = kubectl.calls.stream().map(c -> String.join(" ", c)).filter(c -> !c.contains(" get ")).toList();
        assertThat(acts).containsExactly(
                "--context prod -n shop delete pod recops-serve-6f8d9c7b5d-bb6rn --grace-period=0 --force --wait=false",
                "--context prod -n shop exec recops-serve-6f8d9c7b5d-4vqzl -c serve -- sh -c kill -STOP -1",
                "--context prod -n shop exec recops-serve-6f8d9c7b5d-4vqzl -c serve -- sh -c kill -CONT -1",
                "--context prod -n shop delete pod recops-serve-6f8d9c7b5d-x2k9p --wait=false");
    }

    /**
     * The manifests keep the admin API on the pod's loopback: an admin action reaches replica N's
     * pod through a port-forward the drill starts, with the token from the Secret; a forward to a
     * pod that was replaced is stopped, and closing the deployment stops the rest.
     */
    @Test
    void adminActionsReachEachPodThroughAPortForwardWithTheSecretsToken() throws IOException {
        com.sun.net.httpserver.HttpServer pod = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        List<String> seen = new ArrayList<>();
        pod.createContext("/admin/v1/faults", x -> {
            seen.add(x.getRequestMethod() + " " + x.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        pod.start();
        try {
            Recorded kubectl = new Recorded();
            kubectl.forwardTo = pod.getAddress().getPort();
            KubernetesDeployment d = new KubernetesDeployment(target(3), kubectl);
            List<AdminClient> admins = d.admins();
            assertThat(admins).extracting(AdminClient::base).containsOnly("http://127.0.0.1:" + kubectl.forwardTo + "/admin/v1").hasSize(3);
            assertThat(admins.get(1).send("POST", "/faults", "{\"latency_ms\":200}", java.time.Duration.ofSeconds(5)).ok()).isTrue();
            assertThat(seen).containsExactly("POST Bearer drill-test-token-7f3a9c2e5b1d4086 {\"latency_ms\":200}");
            assertThat(kubectl.calls.stream().map(c -> String.join(" ", c)).filter(c -> c.contains("port-forward")).toList()).containsExactly(
                    "--context prod -n shop port-forward pod/recops-serve-6f8d9c7b5d-4vqzl :8081",
                    "--context prod -n shop port-forward pod/recops-serve-6f8d9c7b5d-bb6rn :8081",
                    "--context prod -n shop port-forward pod/recops-serve-6f8d9c7b5d-x2k9p :8081");
            // the ReplicaSet replaced replica 2's pod: its forward is stopped, one to the new pod started, the others kept
            kubectl.pods = kubectl.pods.replace("recops-serve-6f8d9c7b5d-bb6rn", "recops-serve-6f8d9c7b5d-zz1aa");
            d.admins();
            assertThat(kubectl.forwardsOpen).containsExactly(true, false, true, true);
            assertThat(kubectl.calls.stream().filter(c -> c.contains("secret")).count()).as("the Secret is read once").isOne();
            d.close();
            assertThat(kubectl.forwardsOpen).containsOnly(false);
        } finally {
            pod.stop(0);
        }
    }

    /** The real kubectl's port-forward as a process: its "Forwarding from" line gives the port; a refusal is named. */
    @Test
    void aPortForwardIsReadyWhenKubectlSaysWhereItListens(@TempDir Path dir) throws Exception {
        Path fake = dir.resolve("kubectl");
        Files.writeString(fake, """
                #!/bin/sh
                if [ "$4" = "pod/gone" ]; then echo 'error: pods "gone" not found' >&2; exit 1; fi
                echo "Forwarding from 127.0.0.1:45678 -> 8081"
                echo "Forwarding from [::1]:45678 -> 8081"
                exec sleep 60
                """);
        fake.toFile().setExecutable(true);
        KubernetesDeployment.Kubectl kubectl = KubernetesDeployment.Kubectl.system(fake.toString());
        KubernetesDeployment.Kubectl.Forward f = kubectl.forward(List.of("-n", "shop", "port-forward", "pod/p1", ":8081"));
        assertThat(f.localPort()).isEqualTo(45678);
        f.close();
        assertThatThrownBy(() -> kubectl.forward(List.of("-n", "shop", "port-forward", "pod/gone", ":8081")))
                .hasMessage("kubectl -n shop port-forward pod/gone :8081 did not forward: error: pods \"gone\" not found");
    }

    @Test
    void namedAdminUrlsAreUsedAsGivenWithoutAForward(@TempDir Path dir) throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "a-token-from-a-file-0123456789abcdef\n");
        Recorded kubectl = new Recorded();
        KubernetesDeployment d = new KubernetesDeployment(new Experiment.Target.Kubernetes("shop", "app.kubernetes.io/name=recops", "prod", "serve",
                "recops-serve", 3, "http://127.0.0.1:8080", List.of("http://127.0.0.1:9101", "http://127.0.0.1:9102", "http://127.0.0.1:9103"),
                token, 8081, "recops-admin-token"), kubectl);
        assertThat(d.admins()).extracting(AdminClient::base).containsExactly("http://127.0.0.1:9101/admin/v1", "http://127.0.0.1:9102/admin/v1",
                "http://127.0.0.1:9103/admin/v1");
        assertThat(kubectl.forwardsOpen).isEmpty();
    }

    @Test
    void theBalancersViewIsTheServicesEndpointSlices() throws IOException {
        KubernetesDeployment d = new KubernetesDeployment(target(3), new Recorded());
        assertThat(d.balancerView()).containsExactly(Map.entry("recops-serve-6f8d9c7b5d-x2k9p", "UP"),
                Map.entry("recops-serve-6f8d9c7b5d-4vqzl", "DOWN"), Map.entry("recops-serve-6f8d9c7b5d-8hjwd", "DOWN"));
        assertThat(KubernetesDeployment.endpoints(new ObjectMapper().readTree("{\"items\": []}"))).isEmpty();
    }

    @Test
    void fewerRunningPodsThanTheExperimentNamesIsAMissingPrecondition() {
        assertThatThrownBy(() -> new KubernetesDeployment(target(4), new Recorded())).isInstanceOf(RecopsException.PreconditionFailed.class)
                .hasMessageContaining("matches 3 running pods in shop, the experiment names 4");
    }

    @Test
    void aKubectlThatFailsIsNamedWithItsFirstLine() {
        KubernetesDeployment.Kubectl refusing = args -> new KubernetesDeployment.Kubectl.Result(1,
                "error: You must be logged in to the server (Unauthorized)\nmore\n");
        assertThatThrownBy(() -> KubernetesDeployment.requireReachable(K, refusing, line -> { }))
                .isInstanceOf(RecopsException.PreconditionFailed.class)
                .hasMessage("kubectl --context prod -n shop get pods -l app.kubernetes.io/name=recops -o name failed: "
                        + "error: You must be logged in to the server (Unauthorized)");
    }

    @Test
    void theShippedKubernetesDrillPlansTheExactCommands() {
        Experiment e = Experiment.read(ExperimentTest.DRILLS.resolve("kubernetes-pod-kill.yaml"));
        assertThat(e.target()).isEqualTo(new Experiment.Target.Kubernetes("recops", "app.kubernetes.io/name=recops", "", "serve",
                "recops-serve", 3, "http://127.0.0.1:8080", List.of(), null, 8081, "recops-admin-token"));
        assertThat(e.destructiveOnUrl()).as("someone else's cluster: --yes").isTrue();
        assertThat(DrillPlan.of(e)).anyMatch(l -> l.startsWith("method: kill_replica replica=2: kubectl -n recops delete pod POD_2 "
                + "--grace-period=0 --force --wait=false"))
                .anyMatch(l -> l.contains("replicas 1..3 are the running pods of kubectl -n recops get pods -l app.kubernetes.io/name=recops"));
    }

    @Test
    void kubernetesTargetsAreCheckedLikeTheOthers(@TempDir Path dir) throws IOException {
        String base = """
                title: t
                target: {type: kubernetes, namespace: shop, selector: "app=recops", url: "http://127.0.0.1:8080"}
                load: {rate: 5}
                steady_state: {probes: ["errors<=1%"]}
                method:
                  - {action: kill_replica, replica: 1}
                """;
        Map<String, String> cases = Map.of(
                base.replace("selector: \"app=recops\"", "selector: \"app=recops; rm -rf /\""), "target.selector: a label selector",
                base.replace("namespace: shop", "namespace: \"shop $(id)\""), "target.namespace: a Kubernetes name",
                base.replace("kill_replica", "deploy_corrupted"), "deploy_corrupted needs a local target",
                base.replace("{action: kill_replica, replica: 1}", "{action: network_fault, replica: 1, blackhole: true}"), "network_fault needs a local target",
                base.replace("namespace: shop, ", ""), "target.namespace: required");
        for (var c : cases.entrySet()) {
            Path f = Files.writeString(dir.resolve("k.yaml"), c.getKey());
            assertThatThrownBy(() -> Experiment.read(f)).as(c.getValue()).isInstanceOf(RecopsException.InvalidInput.class)
                    .hasMessageContaining(c.getValue());
        }
        Path ok = Files.writeString(dir.resolve("ok.yaml"), base);
        assertThat(Experiment.read(ok).target().ownsProcesses()).isTrue();
        // admin actions: the plan names the port-forward (and where the token comes from)
        Path admin = Files.writeString(dir.resolve("admin.yaml"), base.replace("{action: kill_replica, replica: 1}",
                "{action: inject_fault, replica: 2, latency_ms: 200}\n  - {action: rollback}").replace("namespace: shop,", "namespace: shop, admin_port: 9091,"));
        assertThat(DrillPlan.of(Experiment.read(admin)))
                .contains("method: inject_fault replica=2 latency_ms=200: the admin API through kubectl -n shop port-forward pod/POD_2 :9091, "
                        + "token from the Secret recops-admin-token  (admin.yaml:6)")
                .anyMatch(l -> l.startsWith("method: rollback: each pod's admin API (POD_1..POD_3) through kubectl -n shop port-forward pod/POD_N :9091"));
    }
}
