package dev.recops.engine;

import java.util.Objects;

/**
 * Every failure the engine reports on purpose. Sealed, so the two places that translate it (exit
 * codes in the CLI, HTTP statuses in the server) switch over it exhaustively and the compiler
 * flags a missing case.
 *
 * <p>{@link #code()} is a short, stable, machine-readable identifier (for example
 * {@code invalid_json}); {@link #getMessage()} is one line a person can act on.
 */
public abstract sealed class RecopsException extends RuntimeException
        permits RecopsException.InvalidInput,
                RecopsException.NotFound,
                RecopsException.Conflict,
                RecopsException.PreconditionFailed,
                RecopsException.VerificationFailed,
                RecopsException.Unavailable,
                RecopsException.DeadlineExceeded,
                RecopsException.Cancelled,
                RecopsException.Failure {

    private static final long serialVersionUID = 1L;

    private final String code;

    private RecopsException(String code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** A stable machine-readable error code, lower_snake_case. */
    public String code() {
        return code;
    }

    /** The caller sent or wrote something wrong: a request, a file, an option value. */
    public static final class InvalidInput extends RecopsException {
        private static final long serialVersionUID = 1L;

        public InvalidInput(String code, String message) {
            super(code, message, null);
        }

        public InvalidInput(String code, String message, Throwable cause) {
            super(code, message, cause);
        }
    }

    /** A named thing (model, version, product, route) does not exist. */
    public static final class NotFound extends RecopsException {
        private static final long serialVersionUID = 1L;

        public NotFound(String code, String message) {
            super(code, message, null);
        }
    }

    /** The request contradicts the current state: loading a loaded version, unloading the primary. */
    public static final class Conflict extends RecopsException {
        private static final long serialVersionUID = 1L;

        public Conflict(String code, String message) {
            super(code, message, null);
        }
    }

    /** The environment is not as required: a missing file or directory, a busy port. */
    public static final class PreconditionFailed extends RecopsException {
        private static final long serialVersionUID = 1L;

        public PreconditionFailed(String code, String message) {
            super(code, message, null);
        }

        public PreconditionFailed(String code, String message, Throwable cause) {
            super(code, message, cause);
        }
    }

    /** A check failed: a checksum, a manifest against its model, a warm-up. */
    public static final class VerificationFailed extends RecopsException {
        private static final long serialVersionUID = 1L;

        public VerificationFailed(String code, String message) {
            super(code, message, null);
        }

        public VerificationFailed(String code, String message, Throwable cause) {
            super(code, message, cause);
        }
    }

    /** The service cannot answer right now (not ready, shedding); the caller may retry. */
    public static final class Unavailable extends RecopsException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String code, String message) {
            super(code, message, null);
        }
    }

    /** The request's deadline passed before it could be answered; its work was not done or was discarded. */
    public static final class DeadlineExceeded extends RecopsException {
        private static final long serialVersionUID = 1L;

        public DeadlineExceeded(String code, String message) {
            super(code, message, null);
        }
    }

    /** The caller went away (the client disconnected) before the answer was ready; its queued work was withdrawn. */
    public static final class Cancelled extends RecopsException {
        private static final long serialVersionUID = 1L;

        public Cancelled(String code, String message) {
            super(code, message, null);
        }
    }

    /** Something broke while running: an inference error, an I/O error. */
    public static final class Failure extends RecopsException {
        private static final long serialVersionUID = 1L;

        public Failure(String code, String message, Throwable cause) {
            super(code, message, cause);
        }
    }
}
