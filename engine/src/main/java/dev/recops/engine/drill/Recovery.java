package dev.recops.engine.drill;

import java.util.function.IntPredicate;

/**
 * When the drill's probes first failed after a fault and when service recovered, from what the
 * drill recorded: a pure function of slot verdicts and change times, so it is tested on recorded
 * data. Times are milliseconds from the drill's first slot; {@link #NEVER} when it did not happen.
 *
 * <p>Recovery is the latest of the end of the last failing slot, the first sign of the fault (a
 * probe failing, a replica not ready, the balancer taking one out) and isolation (service is not
 * back before the fault was noticed and routed around), and counts only if every probe then held
 * for the hold time within what was observed.
 *
 * @param probeMs when a probe first failed after the fault (the drill's own detection)
 * @param recoveredMs when every probe held again (for the hold time after)
 */
record Recovery(long probeMs, long recoveredMs) {
    static final long NEVER = -1;

    /**
     * @param holds whether every probe held over the window ending at a slot
     * @param faultMs when the fault was injected
     * @param observeEndSlot the last slot observed after the method
     * @param holdSlots slots every probe must hold to call it recovered
     * @param changeMs the first change seen after the fault (readiness, balancer), or {@link #NEVER}
     * @param isolatedMs when the balancer marked a server down after the fault, or {@link #NEVER}
     */
    static Recovery measure(IntPredicate holds, long faultMs, int observeEndSlot, int holdSlots, long changeMs, long isolatedMs) {
        int faultSlot = (int) (faultMs / Observations.SLOT_MS);
        int firstBreach = -1;
        int lastBreach = -1;
        for (int i = faultSlot + 1; i <= observeEndSlot; i++) {
            if (!holds.test(i)) {
                if (firstBreach < 0) {
                    firstBreach = i;
                }
                lastBreach = i;
            }
        }
        long probe = firstBreach < 0 ? NEVER : Math.max(faultMs, (long) firstBreach * Observations.SLOT_MS);
        long noticed = probe == NEVER ? changeMs : changeMs == NEVER ? probe : Math.min(probe, changeMs);
        long recovered = lastBreach < 0 ? faultMs : Math.max(faultMs, (long) (lastBreach + 1) * Observations.SLOT_MS);
        recovered = Math.max(recovered, Math.max(noticed, isolatedMs));
        boolean heldAfter = recovered / Observations.SLOT_MS + holdSlots <= observeEndSlot;
        return new Recovery(probe, heldAfter ? recovered : NEVER);
    }
}
