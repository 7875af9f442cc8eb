package dev.recops.engine.serve;

/** A problem found by the HTTP layer itself (route, method, headers, body), with the status it deserves. */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    HttpProblem(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }
}
