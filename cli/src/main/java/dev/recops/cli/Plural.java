package dev.recops.cli;

/** Counts in messages people read: "1 minute", "3 minutes". */
final class Plural {
    private Plural() {}

    /** {@code n} and the noun, with an "s" unless {@code n} is 1. */
    static String of(long n, String noun) {
        return n + " " + (n == 1 ? noun : noun + "s");
    }
}
