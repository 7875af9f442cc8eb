package dev.recops.engine.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sends bytes no HTTP client would (broken frames, pipelines) and reads the status codes that come back. */
final class RawHttp {
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    private RawHttp() {}

    /**
     * Writes {@code request} on a new connection, optionally half-closes it (the client stops
     * sending), and reads until the server closes the connection or stays silent for 5 s.
     *
     * @return the status code of every response seen, in order
     */
    static List<String> statuses(int port, String request, boolean halfClose) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            if (halfClose) {
                s.shutdownOutput();
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // silence or a reset ends the answer; what arrived before counts
            }
            List<String> statuses = new ArrayList<>();
            Matcher m = STATUS.matcher(got.toString(StandardCharsets.ISO_8859_1));
            while (m.find()) {
                statuses.add(m.group(1));
            }
            return statuses;
        }
    }
}
