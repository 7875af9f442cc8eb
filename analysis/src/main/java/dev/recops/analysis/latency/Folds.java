package dev.recops.analysis.latency;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/** Configurations dealt into k folds: seeded, so the same data always gives the same report. */
final class Folds {
    static final long SEED = 20261122L;

    private Folds() {}

    static List<List<Config>> assign(List<Config> configs, int k) {
        List<Config> order = new ArrayList<>(configs);
        order.sort(Comparator.comparing(Config::toString));
        Collections.shuffle(order, new Random(SEED));
        List<List<Config>> folds = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            folds.add(new ArrayList<>());
        }
        for (int i = 0; i < order.size(); i++) {
            folds.get(i % k).add(order.get(i));
        }
        return folds;
    }
}
