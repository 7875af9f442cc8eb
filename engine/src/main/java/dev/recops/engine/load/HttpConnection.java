package dev.recops.engine.load;

import dev.recops.engine.serve.ServeServer;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One keep-alive HTTP/1.1 connection that sends pre-encoded requests and reads whole responses,
 * discarding the body. Written for the load generator: no allocation per response beyond what
 * the socket streams do, no header objects, one write per request. Understands Content-Length
 * and chunked bodies and {@code Connection: close}.
 *
 * <p>Not thread-safe: one exchange at a time.
 */
final class HttpConnection implements Closeable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int lim;
    /** The server's header on an answer from its fallback, as {@link #headerIs} matches it. */
    private static final String DEGRADED = ServeServer.DEGRADED_HEADER.toLowerCase(Locale.ROOT) + ":";
    private boolean reusable = true;
    private boolean degraded;
    private long lastUsedNanos = System.nanoTime();

    private HttpConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static HttpConnection open(InetSocketAddress address, int connectTimeoutMillis) throws IOException {
        return open(address, connectTimeoutMillis, Optional.empty());
    }

    /** @param tls for https: the handshake, with host name verification, happens here, within the connect timeout */
    static HttpConnection open(InetSocketAddress address, int connectTimeoutMillis, Optional<SSLSocketFactory> tls)
            throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, connectTimeoutMillis);
            if (tls.isEmpty()) {
                return new HttpConnection(s);
            }
            SSLSocket ssl = (SSLSocket) tls.get().createSocket(s, address.getHostString(), address.getPort(), true);
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(parameters);
            ssl.setSoTimeout(Math.max(1, connectTimeoutMillis));
            ssl.startHandshake();
            return new HttpConnection(ssl);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** False once the server said {@code Connection: close} or an exchange failed. */
    boolean reusable() {
        return reusable;
    }

    /** Whether the last response said it came from the fallback, not the model ({@code X-Recops-Degraded}). */
    boolean degraded() {
        return degraded;
    }

    /** {@link System#nanoTime()} when the last exchange ended (or the connection opened). */
    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /**
     * Sends one request and reads its response.
     *
     * @param request a complete HTTP/1.1 request, headers and body
     * @param timeoutMillis the longest wait for the response, at least 1
     * @return the response status code
     * @throws java.net.SocketTimeoutException when the response does not come in time
     * @throws IOException when the connection fails or the response is not HTTP/1.x
     */
    int exchange(byte[] request, int timeoutMillis) throws IOException {
        reusable = false; // until the whole response has been read
        degraded = false;
        socket.setSoTimeout(Math.max(1, timeoutMillis));
        out.write(request);
        out.flush();
        int status = statusLine();
        long contentLength = -1;
        boolean chunked = false;
        boolean close = false;
        while (true) {
            int start = lineEnd();
            int end = pos - 2;
            if (end == start) {
                break;
            }
            if (headerIs(start, end, "content-length:")) {
                contentLength = parseDecimal(start + 15, end);
            } else if (headerIs(start, end, "transfer-encoding:") && contains(start, end, "chunked")) {
                chunked = true;
            } else if (headerIs(start, end, "connection:") && contains(start, end, "close")) {
                close = true;
            } else if (headerIs(start, end, DEGRADED)) {
                degraded = true;
            }
        }
        if (chunked) {
            skipChunks();
        } else if (contentLength >= 0) {
            skip(contentLength);
        } else if (status >= 200 && status != 204 && status != 304) {
            throw new IOException("response without Content-Length or chunked encoding");
        }
        reusable = !close;
        lastUsedNanos = System.nanoTime();
        return status;
    }

    private int statusLine() throws IOException {
        int start = lineEnd();
        int end = pos - 2;
        if (end - start < 12 || buf[start] != 'H' || buf[start + 4] != '/' || buf[start + 8] != ' ') {
            throw new IOException("not an HTTP/1.x response");
        }
        return (int) parseDecimal(start + 9, start + 12);
    }

    /** Reads up to and including the next CRLF; returns the line's start, leaves pos after the CRLF. */
    private int lineEnd() throws IOException {
        int scan = pos;
        while (true) {
            for (; scan + 1 < lim; scan++) {
                if (buf[scan] == '\r' && buf[scan + 1] == '\n') {
                    int start = pos;
                    pos = scan + 2;
                    return start;
                }
            }
            int shift = pos;
            if (!fill()) {
                throw new EOFException("the server closed the connection");
            }
            scan -= shift - pos; // fill() compacted the buffer
        }
    }

    /** Compacts the buffer and reads more; false at end of stream. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        if (lim == buf.length) {
            throw new IOException("response header line longer than " + buf.length + " bytes");
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) {
            return false;
        }
        lim += n;
        return true;
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            if (pos == lim) {
                pos = 0;
                lim = 0;
                int r = in.read(buf, 0, buf.length);
                if (r < 0) {
                    throw new EOFException("the server closed the connection mid-body");
                }
                lim = r;
            }
            int take = (int) Math.min(left, lim - pos);
            pos += take;
            left -= take;
        }
    }

    private void skipChunks() throws IOException {
        while (true) {
            int start = lineEnd();
            int end = pos - 2;
            long size = 0;
            for (int i = start; i < end && buf[i] != ';'; i++) {
                int d = Character.digit(buf[i], 16);
                if (d < 0) {
                    throw new IOException("bad chunk size");
                }
                size = size * 16 + d;
            }
            if (size == 0) {
                while (lineEnd() != pos - 2) {
                    // trailers, up to the empty line
                }
                return;
            }
            skip(size + 2);
        }
    }

    private boolean headerIs(int start, int end, String lowerName) {
        if (end - start < lowerName.length()) {
            return false;
        }
        for (int i = 0; i < lowerName.length(); i++) {
            if (Character.toLowerCase(buf[start + i]) != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean contains(int start, int end, String lower) {
        outer:
        for (int i = start; i + lower.length() <= end; i++) {
            for (int j = 0; j < lower.length(); j++) {
                if (Character.toLowerCase(buf[i + j]) != lower.charAt(j)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private long parseDecimal(int from, int to) throws IOException {
        long v = 0;
        boolean any = false;
        for (int i = from; i < to; i++) {
            byte b = buf[i];
            if (b == ' ' || b == '\t') {
                if (any) {
                    break;
                }
                continue;
            }
            if (b < '0' || b > '9') {
                throw new IOException("bad number in response");
            }
            v = v * 10 + (b - '0');
            any = true;
        }
        if (!any) {
            throw new IOException("missing number in response");
        }
        return v;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a failed socket
        }
    }
}
