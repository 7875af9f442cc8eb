package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import smile.data.DataFrame;
import smile.data.formula.Formula;
import smile.regression.LinearModel;
import smile.regression.OLS;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Service time composed with a batch-service queue, so that latency rises without bound as the
 * offered rate approaches capacity, which a regression from features alone cannot extrapolate.
 *
 * <p>For {@code c} workers taking up to {@code B} texts per call, each call taking {@code S(b)} ms:
 * <ul>
 *   <li>Largest call under overload: the batcher splits a batch into calls of similar length, so
 *       calls stay below {@code B}: {@code Be = B·β/(B+β)}, with {@code β} fitted to the
 *       configurations driven past capacity (infinite, i.e. {@code Be = B}, without such data).
 *   <li>Capacity (max throughput): calls of {@code Be} back to back on every worker,
 *       {@code μ = 1000·c·Be/S(Be)} per second.
 *   <li>Utilisation {@code ρ = λ/μ}. Waiting grows like {@code 1/(1-ρ)} (M/G/c heavy traffic):
 *       each percentile is {@code log p = θ0 + θ1·log S(1) + θ2·log(1/(1-ρ)) + θ3·ρ + θ4·log c +
 *       θ5·log threads}, the θ fitted by least squares on the steady-state runs. (The unloaded call
 *       time S(1), not a modelled batch size: the fixed point {@code b = λ·S(b)/c} overshot the
 *       batches measured under load several times over.)
 * </ul>
 */
@SuppressWarnings("serial") // the Map field holds an EnumMap or Map.of: both serializable
final class QueueModel implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Utilisation is capped here inside the latency formula; beyond capacity there is no steady state to predict. */
    static final double RHO_CAP = 0.95;
    private static final String[] CALIBRATION = {"log_service", "log_slack", "rho", "log_workers", "log_threads"};

    private final ServiceTime service;
    private final double beta;
    private final Map<Target, LinearModel> percentiles;

    private QueueModel(ServiceTime service, double beta, Map<Target, LinearModel> percentiles) {
        this.service = service;
        this.beta = beta;
        this.percentiles = percentiles;
    }

    ServiceTime service() {
        return service;
    }

    /** The batch size at which length grouping halves the calls; infinite when never seen. */
    double beta() {
        return beta;
    }

    double largestCall(Config c) {
        return Double.isInfinite(beta) ? c.batchMax() : c.batchMax() * beta / (c.batchMax() + beta);
    }

    /** Requests per second one replica sustains at most. */
    double capacity(Config c, double tokens) {
        return capacity(service, largestCall(c), c, tokens);
    }

    private static double capacity(ServiceTime s, double call, Config c, double tokens) {
        return 1000.0 * c.workers() * call / s.millis(call, tokens, c.workers(), c.threads());
    }

    double utilisation(Query q) {
        return q.rate() / capacity(q.config(), q.queryTokens());
    }

    double latency(Target t, Query q) {
        LinearModel m = percentiles.get(t);
        if (m == null) {
            throw new IllegalStateException("no " + t.label() + " was in the training data");
        }
        return Math.exp(m.predict(DataFrame.of(new double[][] {x(q)}, CALIBRATION))[0]);
    }

    private double[] x(Query q) {
        Config c = q.config();
        double s = service.millis(1, q.queryTokens(), c.workers(), c.threads());
        double rho = Math.min(utilisation(q), RHO_CAP);
        return new double[] {Math.log(s), -Math.log(1 - rho), rho, Math.log(c.workers()), Math.log(c.threads())};
    }

    static QueueModel fit(List<Observation> observations) {
        Samples saturated = Samples.of(Target.MAX_THROUGHPUT, observations);
        ServiceTime service = null;
        double beta = Double.POSITIVE_INFINITY;
        double error = Double.POSITIVE_INFINITY;
        for (ServiceTime.Kind kind : ServiceTime.Kind.values()) {
            ServiceTime s = ServiceTime.fit(observations, kind);
            if (saturated.size() == 0) {
                if (service == null || s.cvMape() < service.cvMape()) {
                    service = s;
                }
                continue;
            }
            for (double b : betas()) {
                double e = capacityError(s, b, saturated);
                if (e < error) {
                    error = e;
                    service = s;
                    beta = b;
                }
            }
        }
        QueueModel shape = new QueueModel(service, beta, Map.of());
        Map<Target, LinearModel> fitted = new EnumMap<>(Target.class);
        for (Target t : List.of(Target.P50, Target.P95, Target.P99)) {
            Samples s = Samples.forTraining(t, observations);
            if (s.size() < CALIBRATION.length + 2) {
                continue;
            }
            double[][] rows = new double[s.size()][];
            for (int i = 0; i < s.size(); i++) {
                rows[i] = Arrays.copyOf(shape.x(s.queries().get(i)), CALIBRATION.length + 1);
                rows[i][CALIBRATION.length] = Math.log(s.values()[i]);
            }
            String[] names = Arrays.copyOf(CALIBRATION, CALIBRATION.length + 1);
            names[CALIBRATION.length] = "y";
            fitted.put(t, OLS.fit(Formula.lhs("y"), DataFrame.of(rows, names), new OLS.Options(OLS.Method.SVD, false, false)));
        }
        if (fitted.isEmpty()) {
            throw AnalysisException.invalid("too few sustainable runs to fit the queueing model");
        }
        return new QueueModel(service, beta, fitted);
    }

    /** Candidate β: 1 to 256 in steps of 2^(1/8), and infinity. */
    private static List<Double> betas() {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i <= 64; i++) {
            out.add(Math.pow(2, i / 8.0));
        }
        out.add(Double.POSITIVE_INFINITY);
        return out;
    }

    /** Squared log error of the implied capacity against the max throughput measured. */
    private static double capacityError(ServiceTime s, double beta, Samples saturated) {
        double sum = 0;
        for (int i = 0; i < saturated.size(); i++) {
            Config c = saturated.queries().get(i).config();
            double call = Double.isInfinite(beta) ? c.batchMax() : c.batchMax() * beta / (c.batchMax() + beta);
            double d = Math.log(capacity(s, call, c, saturated.queries().get(i).queryTokens()) / saturated.values()[i]);
            sum += d * d;
        }
        return sum;
    }

    /** One target of this model. */
    record ForTarget(QueueModel model, Target target) implements Predictor {
        @Override
        public double predict(Query q) {
            return target.latency() ? model.latency(target, q) : model.capacity(q.config(), q.queryTokens());
        }
    }
}
