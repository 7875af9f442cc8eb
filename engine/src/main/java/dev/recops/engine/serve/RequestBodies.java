package dev.recops.engine.serve;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;

/** Reads a JSON request body, enforcing the content type and the size limit. */
final class RequestBodies {
    /** Largest request body accepted, in bytes. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private RequestBodies() {}

    /**
     * @throws HttpProblem 415 when the body is not declared JSON, 413 when it is over 1 MiB
     */
    static byte[] json(ServerRequest req) {
        return json(req, MAX_BODY_BYTES);
    }

    /** As {@link #json(ServerRequest)} with another size limit, in bytes. */
    static byte[] json(ServerRequest req, int maxBytes) {
        return read(req, maxBytes, "application/json");
    }

    /** A JSON Lines body ({@code application/x-ndjson}, {@code application/jsonl} or {@code application/json}) of at most {@code maxBytes}. */
    static byte[] jsonLines(ServerRequest req, int maxBytes) {
        return read(req, maxBytes, "application/x-ndjson", "application/jsonl", "application/json");
    }

    private static byte[] read(ServerRequest req, int maxBytes, String... types) {
        String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        String declared = type.toLowerCase(Locale.ROOT).strip();
        if (Arrays.stream(types).noneMatch(declared::startsWith)) {
            throw new HttpProblem(415, "unsupported_media_type",
                    "Content-Type must be " + String.join(" or ", types) + (type.isEmpty() ? "" : ", not " + type));
        }
        if (req.headers().contentLength().orElse(0) > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try (InputStream in = req.content().inputStream()) {
            body = in.readNBytes(maxBytes + 1);
        } catch (IOException | UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
            // The client closed or broke the connection before its body was complete.
            throw new HttpProblem(400, "incomplete_body", "the request body ended before its declared length", true);
        } catch (RequestException e) {
            // Helidon's own framing checks (chunk sizes, terminators, the payload limit) fail while
            // the body is read: they are the client's errors, never the server's.
            int status = e.status().code();
            throw new HttpProblem(status == 413 ? 413 : 400, status == 413 ? "body_too_large" : "malformed_body",
                    "the request body is not well framed" + (e.getMessage() == null ? "" : ": " + e.getMessage()), true);
        } catch (RuntimeException e) {
            // Anything else Helidon's entity reader throws is a frame it could not read: a chunk size
            // that is not hexadecimal, too large or has an extension; a CR without LF (found by zzuf).
            throw new HttpProblem(400, "malformed_body", "the request body is not well framed", true);
        }
        // Checked here, not inside the try: a body without a Content-Length (chunked) that is too
        // large was thrown there as a 413 and then caught as a framing error, answered 400.
        if (body.length > maxBytes) {
            // the rest of the body is still on the connection, unread: close it after the answer
            throw new HttpProblem(413, "body_too_large", "the request body is over " + maxBytes + " bytes", true);
        }
        return body;
    }

    private static HttpProblem tooLarge(int maxBytes) {
        return new HttpProblem(413, "body_too_large", "the request body is over " + maxBytes + " bytes");
    }
}
