package dev.recops.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one client of a running server: its admin API with the bearer token ({@link #send} for the
 * answer as it came, {@link #call} for the JSON or the engine failure the status means, which the
 * command line turns into exit codes), and a plain GET of its other URLs without a token ({@link
 * #get}: readiness, {@code /metrics}, {@code /v1/models}, HAProxy's stats). The JDK's HTTP client.
 */
public final class AdminClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One exchange: the status and body, or status 0 and what failed when nothing answered.
     *
     * @param failure the I/O failure when there was no response, else null
     */
    public record Answer(int status, String body, IOException failure) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** Nothing listened at the address. */
        public boolean refused() {
            return failure instanceof ConnectException;
        }

        @Override
        public String toString() {
            return (status == 0 ? "no response" : "HTTP " + status) + (body.isBlank() ? "" : ": " + body.strip().replaceAll("\\s+", " "));
        }
    }

    private final String base;
    private final String token;

    /**
     * @param base the admin API's root, for example {@code http://127.0.0.1:9090/admin/v1}
     * @param token its bearer token
     */
    public AdminClient(String base, String token) {
        this.base = base.replaceAll("/+$", "");
        this.token = token;
    }

    /** The admin API of the admin listener at {@code url}, with the token in {@code tokenFile} ({@link BearerToken#readForClient}). */
    public static AdminClient of(String url, Path tokenFile) {
        return new AdminClient(url.replaceAll("/+$", "") + "/admin/v1", BearerToken.readForClient(tokenFile));
    }

    /** The admin API's root. */
    public String base() {
        return base;
    }

    /**
     * One call of the admin API, its answer as it came.
     *
     * @param path under the root, for example {@code versions/2/promote}
     * @param body a body of {@code contentType}, null or empty for none
     */
    public Answer send(String method, String path, String body, String contentType, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/" + path.replaceAll("^/+", ""))).timeout(timeout)
                .header("Authorization", "Bearer " + token);
        if (body == null || body.isEmpty()) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return exchange(b.build());
    }

    /** {@link #send} with a JSON body, null for none. */
    public Answer send(String method, String path, String json, Duration timeout) {
        return send(method, path, json, "application/json", timeout);
    }

    /** {@link #call(String, String, String, String, Duration)} without a body. */
    public JsonNode call(String method, String path, Duration timeout) {
        return call(method, path, "", timeout);
    }

    /** {@link #call(String, String, String, String, Duration)} with a JSON body. */
    public JsonNode call(String method, String path, String json, Duration timeout) {
        return call(method, path, json, "application/json", timeout);
    }

    /**
     * One call of the admin API whose answer is JSON: the JSON of a 200, else the engine failure
     * its status and error body say.
     *
     * @throws RecopsException the admin API unreachable, the token refused, or the call's own error
     */
    public JsonNode call(String method, String path, String body, String contentType, Duration timeout) {
        Answer r = send(method, path, body, contentType, timeout);
        if (r.refused()) {
            throw new RecopsException.PreconditionFailed("admin_unreachable", "no admin API at " + base + " (see --admin-url)");
        }
        if (r.status() == 0) {
            if (Thread.currentThread().isInterrupted()) {
                throw new RecopsException.Failure("interrupted", "interrupted", r.failure());
            }
            throw new RecopsException.Failure("admin_failed", "the admin API at " + base + " failed: " + r.failure().getMessage(), r.failure());
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new RecopsException.Failure("admin_failed", "the admin API answered " + r.status() + " with something that is not JSON", e);
        }
        if (r.status() == 200) {
            return answer;
        }
        String code = answer.path("error").path("code").asText("error");
        String message = answer.path("error").path("message").asText("the admin API answered " + r.status());
        throw switch (r.status()) {
            case 401 -> new RecopsException.PreconditionFailed("admin_token_rejected",
                    "the admin API refused the token in the token file (see --admin-token-file)");
            case 404 -> new RecopsException.NotFound(code, message);
            case 409 -> new RecopsException.Conflict(code, message);
            case 422 -> new RecopsException.VerificationFailed(code, message);
            case 503 -> new RecopsException.Unavailable(code, message);
            default -> r.status() < 500 ? new RecopsException.InvalidInput(code, message) : new RecopsException.Failure(code, message, null);
        };
    }

    /** A GET of a plain URL without the token; status 0 when nothing answers (a malformed URL too). */
    public static Answer get(String url, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return new Answer(0, "", new IOException("not a URL: " + e.getMessage()));
        }
        return exchange(HttpRequest.newBuilder(uri).timeout(timeout).GET().build());
    }

    private static Answer exchange(HttpRequest request) {
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), null);
        } catch (IOException e) {
            return new Answer(0, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, "interrupted", new InterruptedIOException("interrupted"));
        } catch (IllegalArgumentException e) {
            return new Answer(0, "", new IOException(e.getMessage()));
        }
    }
}
