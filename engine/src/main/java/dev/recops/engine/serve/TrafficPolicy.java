package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;

/**
 * How requests that name no version are split: {@code canaryPercent} of routing keys go to the
 * canary version, the rest to the primary; the shadow version, when set, gets a copy of each
 * search whose answer is discarded (its latency and its agreement with the primary are measured).
 *
 * @param canaryVersion empty for no canary
 * @param canaryPercent 0..100
 * @param shadowVersion empty for no shadow
 */
public record TrafficPolicy(String canaryVersion, int canaryPercent, String shadowVersion) {
    public static final TrafficPolicy NONE = new TrafficPolicy("", 0, "");

    public TrafficPolicy {
        Objects.requireNonNull(canaryVersion, "canaryVersion");
        Objects.requireNonNull(shadowVersion, "shadowVersion");
        if (canaryPercent < 0 || canaryPercent > 100) {
            throw new RecopsException.InvalidInput("invalid_field", "the canary percent must be in 0..100, not " + canaryPercent);
        }
        if (canaryVersion.isEmpty() && canaryPercent > 0) {
            throw new RecopsException.InvalidInput("invalid_field", "a canary percent needs a canary version");
        }
    }

    /** This policy without {@code version} as its canary (it graduated or failed). */
    TrafficPolicy withoutCanary(String version) {
        return canaryVersion.equals(version) ? new TrafficPolicy("", 0, shadowVersion) : this;
    }

    /** This policy without {@code version} as canary or shadow (it is no longer loaded). */
    TrafficPolicy without(String version) {
        TrafficPolicy p = withoutCanary(version);
        return p.shadowVersion.equals(version) ? new TrafficPolicy(p.canaryVersion, p.canaryPercent, "") : p;
    }

    /** Whether a request with this routing key goes to the canary: the same key always decides the same way. */
    boolean toCanary(String routingKey) {
        if (canaryVersion.isEmpty() || canaryPercent == 0) {
            return false;
        }
        int bucket;
        if (routingKey.isEmpty()) {
            bucket = ThreadLocalRandom.current().nextInt(100);
        } else {
            CRC32 crc = new CRC32();
            crc.update(routingKey.getBytes(StandardCharsets.UTF_8));
            bucket = (int) (crc.getValue() % 100);
        }
        return bucket < canaryPercent;
    }
}
