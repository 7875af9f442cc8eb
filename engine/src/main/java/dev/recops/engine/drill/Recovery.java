package dev.recops.engine.drill;

import java.util.function.IntPredicate;

/**
 * When a fault was detected and when service recovered, from what the drill recorded: a pure
 * function of slot verdicts and change times, so it is tested on recorded data. Times are
 * milliseconds from the drill's first slot; {@link #NEVER} when it did not happen.
 *
 * <p>Detection is the earlier of the first slot whose probes failed after the fault and the first
 * change seen (a replica not ready, the balancer marking a server down). Recovery is the latest of
 * the end of the last failing slot, detection and isolation (service is not back before the fault
 * was noticed and routed around), and counts only if every probe then held for the hold time
 * within what was observed.
 *
 * @param detectedMs when the fault was detected
 * @param detectedBy {@code a failing probe} or the change that detected it
 * @param recoveredMs when every probe held again (for the hold time after)
 */
record Recovery(long detectedMs, String detectedBy, long recoveredMs) {
    static final long NEVER = -1;

    /**
     * @param holds whether every probe held over the window ending at a slot
     * @param faultMs when the fault was injected
     * @param observeEndSlot the last slot observed after the method
     * @param holdSlots slots every probe must hold to call it recovered
     * @param changeMs the first change seen after the fault, or {@link #NEVER}
     * @param change what that change was
     * @param isolatedMs when the balancer marked a server down after the fault, or {@link #NEVER}
     */
    static Recovery measure(IntPredicate holds, long faultMs, int observeEndSlot, int holdSlots, long changeMs, String change,
            long isolatedMs) {
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
        long detected = firstBreach < 0 ? NEVER : Math.max(faultMs, (long) firstBreach * Observations.SLOT_MS);
        String by = firstBreach < 0 ? "" : "a failing probe";
        if (changeMs != NEVER && (detected == NEVER || changeMs < detected)) {
            detected = changeMs;
            by = change;
        }
        long recovered = lastBreach < 0 ? faultMs : Math.max(faultMs, (long) (lastBreach + 1) * Observations.SLOT_MS);
        recovered = Math.max(recovered, Math.max(detected, isolatedMs));
        boolean heldAfter = recovered / Observations.SLOT_MS + holdSlots <= observeEndSlot;
        return new Recovery(detected, by, heldAfter ? recovered : NEVER);
    }
}
