package dev.recops.analysis;

/**
 * A file or request the analysis cannot use, with a message for the person who gave it. The
 * command line maps {@link Kind#INVALID_INPUT} to exit code 2 and {@link Kind#MISSING} to 4.
 */
public final class AnalysisException extends RuntimeException {
    public enum Kind { INVALID_INPUT, MISSING }

    private static final long serialVersionUID = 1L;

    private final Kind kind;

    public AnalysisException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public static AnalysisException invalid(String message) {
        return new AnalysisException(Kind.INVALID_INPUT, message);
    }

    public static AnalysisException missing(String message) {
        return new AnalysisException(Kind.MISSING, message);
    }

    public Kind kind() {
        return kind;
    }
}
