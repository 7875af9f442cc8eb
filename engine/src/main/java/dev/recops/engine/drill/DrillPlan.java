package dev.recops.engine.drill;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a drill will do, as a person reads it before it runs ({@code recops drill --dry-run}). */
public final class DrillPlan {
    private DrillPlan() {}

    /** What the drill would do, one line per step, for {@code --dry-run}. */
    public static List<String> of(Experiment e) {
        List<String> plan = new ArrayList<>();
        Experiment.Target t = e.target();
        plan.add(switch (t) {
            case Experiment.Target.Local l -> "start " + l.replicas() + " recops serve replicas on free loopback ports"
                    + (l.serveArgs().isEmpty() ? "" : " with " + String.join(" ", l.serveArgs()))
                    + ", HAProxy in front (health checks on /v2/health/ready; " + l.balancer() + ")"
                    + (e.breaksNetwork() ? ", a TCP fault proxy between HAProxy and each replica" : "");
            case Experiment.Target.Url u -> "use the deployment at " + u.url() + (u.adminUrls().isEmpty() ? "" : ", admin APIs " + u.adminUrls());
            case Experiment.Target.Kubernetes k -> "use the deployment at " + k.url() + (k.adminUrls().isEmpty() ? "" : ", admin APIs " + k.adminUrls())
                    + "; replicas 1.." + k.replicas() + " are the running pods of kubectl " + String.join(" ", KubernetesDeployment.scope(k))
                    + " get pods -l " + k.selector() + " in name order when each action runs"
                    + (k.service().isEmpty() ? "" : "; the balancer's view is service " + k.service() + "'s EndpointSlices");
        });
        plan.add(String.format(Locale.ROOT, "send %.1f search requests/s, open loop, timeout %s, for the whole drill", e.load().rate(),
                Experiment.format(e.load().timeout())));
        Experiment.SteadyState s = e.steadyState();
        plan.add("check the steady state for " + Experiment.format(s.before()) + ": " + s.probes().stream().map(Experiment.Probe::text).toList()
                + " over " + Experiment.format(s.window()) + " windows");
        e.method().forEach(m -> plan.add("method: " + m.describe() + kubectl(t, m) + "  (" + m.where() + ")"));
        plan.add("watch until the steady state holds for " + Experiment.format(s.hold()) + " (at most " + Experiment.format(observeLimit(e)) + ")");
        e.rollbacks().forEach(m -> plan.add("rollback: " + m.describe() + kubectl(t, m) + "  (" + m.where() + ")"));
        plan.add("check the steady state for " + Experiment.format(s.hold()) + " after");
        e.stopConditions().forEach(c -> plan.add("abort when " + c.text()));
        e.alerting().ifPresent(a -> plan.add("alongside: Prometheus (scrape and evaluate every 1s) with the shipped rules over the replicas and "
                + "HAProxy, Alertmanager to a webhook in the drill; after the steady state after, keep the load and watch alerts until the "
                + "alert expectations are decided, at most " + Experiment.format(a.observe()) + " after the fault"));
        e.expect().forEach(x -> plan.add("expect " + x.text()));
        if (t.local()) {
            plan.add("stop HAProxy and the replicas");
        }
        return plan;
    }

    /** For a kubernetes target, the exact kubectl command a process action runs (POD_N: the replica's pod at that moment). */
    private static String kubectl(Experiment.Target t, Experiment.Step m) {
        if (!(t instanceof Experiment.Target.Kubernetes k)) {
            return "";
        }
        if (!(m.action() instanceof Action.OnProcess a)) {
            int replica = switch (m.action()) {
                case Action.InjectFault f -> f.replica();
                case Action.ClearFaults c -> c.replica();
                case Action.Rollback _, Action.HotSwap _, Action.ReloadCatalog _ -> 0;
                default -> -1;
            };
            if (replica < 0 || !k.adminUrls().isEmpty()) {
                return "";
            }
            return (replica == 0 ? ": each pod's admin API (POD_1..POD_" + k.replicas() + ")" : ": the admin API")
                    + " through " + KubernetesDeployment.shell(KubernetesDeployment.forward(k, replica == 0 ? "POD_N" : "POD_" + replica))
                    + (k.adminTokenFile() == null ? ", token from the Secret " + k.adminSecret() : "");
        }
        String pod = "POD_" + Math.max(1, a.replica());
        String run = KubernetesDeployment.shell(KubernetesDeployment.command(k, a.name(), pod));
        if (a instanceof Action.PauseReplica p && p.lasting() != null) {
            run += ", then after " + Experiment.format(p.lasting()) + " " + KubernetesDeployment.shell(KubernetesDeployment.command(k, "resume_replica", pod));
        }
        if (a instanceof Action.RestartReplica) {
            run += ", then until " + k.replicas() + " pods are Ready, " + pod + " not among them";
        }
        return ": " + run;
    }

    /** How long the drill watches for the steady state to return after the method: ten hold times, at least 15 s. */
    static Duration observeLimit(Experiment e) {
        return Duration.ofMillis(Math.max(15_000, 10 * e.steadyState().hold().toMillis()));
    }
}
