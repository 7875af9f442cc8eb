package dev.recops.engine.serve;

/**
 * A problem found by the HTTP layer itself (route, method, headers, body), with the status it
 * deserves. {@code closeConnection} marks a broken message frame (a body shorter than its length,
 * a bad chunk): where the next request would start is unknown, so the answer closes the connection.
 */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;
    final boolean closeConnection;

    HttpProblem(int status, String code, String message) {
        this(status, code, message, false);
    }

    HttpProblem(int status, String code, String message, boolean closeConnection) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.closeConnection = closeConnection;
    }
}
