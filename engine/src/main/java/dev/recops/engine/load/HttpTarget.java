package dev.recops.engine.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * An HTTP/1.1 server over keep-alive connections from a shared pool: a call takes an idle
 * connection or opens one, so connections grow to the number of requests in flight.
 */
public final class HttpTarget implements Target {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * A kept-alive connection idle longer than this is closed, not reused: servers and balancers
     * close idle connections after their own timeout (HAProxy's http-keep-alive, 10 s in the
     * drills; nginx 75 s; Go 90 s), and a request written just as they do is lost. Go's client
     * and Apache HttpClient evict idle connections the same way. Nothing is ever re-sent.
     */
    static final Duration MAX_IDLE = Duration.ofSeconds(2);

    private final URI base;
    private final InetSocketAddress address;
    private final ConcurrentLinkedDeque<HttpConnection> idle = new ConcurrentLinkedDeque<>();
    private final HttpClient sideClient;
    private final LongAdder opened = new LongAdder();
    private final LongAdder reused = new LongAdder();
    private volatile long maxIdleNanos = MAX_IDLE.toNanos();

    private final Optional<SSLSocketFactory> tls;

    private HttpTarget(URI base, Optional<SSLContext> ssl) {
        this.base = base;
        boolean https = base.getScheme().equals("https");
        this.address = new InetSocketAddress(base.getHost(), base.getPort() < 0 ? (https ? 443 : 80) : base.getPort());
        this.tls = ssl.map(SSLContext::getSocketFactory);
        this.sideClient = ssl.map(c -> HttpClient.newBuilder().sslContext(c)).orElseGet(HttpClient::newBuilder)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** {@link #connect(String, Optional)} trusting the JDK's certificate authorities for https. */
    public static HttpTarget connect(String url) {
        return connect(url, Optional.empty());
    }

    /**
     * @param url {@code http://host[:port]} or {@code https://host[:port]}
     * @param caCerts for https: PEM certificates to trust instead of the JDK's authorities (a
     *     private CA, a self-signed server)
     * @throws RecopsException.InvalidInput for a URL that is not plain http or https
     * @throws RecopsException.PreconditionFailed when nothing accepts connections there, or the TLS handshake fails
     */
    public static HttpTarget connect(String url, Optional<Path> caCerts) {
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new RecopsException.InvalidInput("bad_url", "not a URL: " + url);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || (uri.getPath() != null && !uri.getPath().isEmpty())) {
            throw new RecopsException.InvalidInput("bad_url", "the target must be http(s)://host[:port], not " + url);
        }
        HttpTarget target = new HttpTarget(uri, uri.getScheme().equals("https") ? Optional.of(sslContext(caCerts)) : Optional.empty());
        // Only to fail early and clearly (exit 4); load opens its own connections.
        try (HttpConnection probe = HttpConnection.open(target.address, 2_000, target.tls)) {
            Objects.requireNonNull(probe);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("target_unreachable", "cannot connect to " + url + ": " + e.getMessage());
        }
        return target;
    }

    /** Reuses no connection idle longer than this (tests); {@link #MAX_IDLE} by default. */
    HttpTarget maxIdle(Duration maxIdle) {
        this.maxIdleNanos = maxIdle.toNanos();
        return this;
    }

    /** The {@code Host} header value. */
    public String hostHeader() {
        return address.getHostString() + ":" + address.getPort();
    }

    /**
     * One request, never retried: a request that was written and failed is a failure, counted by
     * kind ({@code connect}, {@code timeout}, {@code reset}, {@code eof}, {@code io}), even on a
     * kept-alive connection the server closed while it was idle. Hiding such a failure would hide
     * from bench and from every drill exactly the losses a client of the server sees.
     */
    @Override
    public Outcome call(Workload.Call call, long deadlineNanos) {
        long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (leftMillis <= 0) {
            return Outcome.TIMEOUT;
        }
        HttpConnection c = idle.pollFirst();
        while (c != null && System.nanoTime() - c.lastUsedNanos() > maxIdleNanos) {
            c.close(); // idle too long: the server may be closing it right now
            c = idle.pollFirst();
        }
        if (c != null) {
            reused.increment();
        } else {
            try {
                c = HttpConnection.open(address, (int) Math.min(leftMillis, 5_000), tls);
                opened.increment();
            } catch (SocketTimeoutException e) {
                return Outcome.TIMEOUT;
            } catch (IOException e) {
                return Outcome.CONNECT;
            }
        }
        try {
            int status = c.exchange(call.http(), (int) Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
            if (c.reusable()) {
                idle.addFirst(c);
            } else {
                c.close();
            }
            return new Outcome(status, "", c.degraded());
        } catch (IOException e) {
            c.close();
            return Outcome.of(e);
        }
    }

    @Override
    public Connections connections() {
        return new Connections(opened.sum(), reused.sum());
    }

    private static SSLContext sslContext(Optional<Path> caCerts) {
        try {
            if (caCerts.isEmpty()) {
                return SSLContext.getDefault();
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (var in = Files.newInputStream(caCerts.get())) {
                int i = 0;
                for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("ca-" + i++, cert);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "CA certificate file " + caCerts.orElseThrow() + " not found");
        } catch (IOException | GeneralSecurityException e) {
            throw new RecopsException.InvalidInput("bad_ca", "cannot use " + caCerts.orElseThrow() + " as trusted certificates: " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return base.toString();
    }

    @Override
    public Optional<Facts> facts() {
        return get("/v1/models").map(n -> {
            JsonNode s = n.path("serving");
            return new Facts(n.path("model").asText(""), n.path("primary_version").asText(""), s.path("batch_max").asInt(0),
                    s.path("batch_delay_ms").asDouble(0), s.path("workers").asInt(0), s.path("threads").asInt(0),
                    n.path("catalog_products").asInt(0), n.path("index").path("kind").asText(""), s.path("cpus").asInt(0));
        });
    }

    @Override
    public Optional<Counters> counters() {
        return getText("/metrics").map(Counters::parse);
    }

    private Optional<JsonNode> get(String path) {
        return getText(path).flatMap(body -> {
            try {
                return Optional.of(JSON.readTree(body));
            } catch (IOException e) {
                return Optional.empty();
            }
        });
    }

    private Optional<String> getText(String path) {
        try {
            HttpResponse<String> r = sideClient.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        for (HttpConnection c; (c = idle.poll()) != null; ) {
            c.close();
        }
        sideClient.close();
    }
}
