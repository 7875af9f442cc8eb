package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/** Calls a running server's admin API with its bearer token; its errors become engine failures (and so exit codes). */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    AdminClient(String url, Path tokenFile) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.token = dev.recops.engine.admin.BearerToken.readForClient(tokenFile);
    }

    /** @param path relative to {@code /admin/v1/}, for example {@code versions/2/promote} */
    JsonNode call(String method, String path, Duration timeout) {
        return call(method, path, "", timeout);
    }

    /** @param body a JSON body, empty for none */
    JsonNode call(String method, String path, String body, Duration timeout) {
        return call(method, path, body, "application/json", timeout);
    }

    /** @param body a body of {@code contentType}, empty for none */
    JsonNode call(String method, String path, String body, String contentType, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("admin/v1/" + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token);
        if (body.isEmpty()) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpRequest request = b.build();
        HttpResponse<String> r;
        try {
            r = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new RecopsException.PreconditionFailed("admin_unreachable", "no admin API at " + base + " (see --admin-url)");
        } catch (IOException e) {
            throw new RecopsException.Failure("admin_failed", "the admin API at " + base + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecopsException.Failure("interrupted", "interrupted", e);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new RecopsException.Failure("admin_failed", "the admin API answered " + r.statusCode() + " with something that is not JSON", e);
        }
        if (r.statusCode() == 200) {
            return answer;
        }
        String code = answer.path("error").path("code").asText("error");
        String message = answer.path("error").path("message").asText("the admin API answered " + r.statusCode());
        throw switch (r.statusCode()) {
            case 401 -> new RecopsException.PreconditionFailed("admin_token_rejected",
                    "the admin API refused the token in the token file (see --admin-token-file)");
            case 404 -> new RecopsException.NotFound(code, message);
            case 409 -> new RecopsException.Conflict(code, message);
            case 422 -> new RecopsException.VerificationFailed(code, message);
            case 503 -> new RecopsException.Unavailable(code, message);
            default -> r.statusCode() < 500 ? new RecopsException.InvalidInput(code, message)
                    : new RecopsException.Failure(code, message, null);
        };
    }
}
