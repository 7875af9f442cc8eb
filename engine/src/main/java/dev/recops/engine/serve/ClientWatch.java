package dev.recops.engine.serve;

import io.helidon.common.socket.HelidonSocket;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tells whether the client of an HTTP/1.1 request has closed its connection, so that the request's
 * queued work can be withdrawn.
 *
 * <p>A blocking server notices a disconnect only when it reads or writes. Helidon's blocking
 * socket has the tool for this, {@link HelidonSocket#idle()}: a background read that marks the
 * socket closed at end of stream and keeps any byte it reads (a pipelined request) for the next
 * read. Two details of Helidon 4.5 need reflection, each looked up once per class: a request does
 * not expose its connection; and the background read gives up, marking the socket closed, after
 * the socket's read timeout, which is 0 on server sockets (giving up after 101 ms). The watch
 * therefore sets a read timeout of {@link #READ_TIMEOUT} first, longer than any request may wait
 * ({@code X-Request-Timeout-Ms} is at most a minute); a keep-alive connection then left idle that
 * long is closed. When reflection fails (another protocol, another Helidon, the NIO sockets whose
 * {@code idle()} does nothing) the watch reports "still there" and requests are bounded by their
 * deadline alone.
 *
 * <p>The watch starts on the first {@link #getAsBoolean()} call, which {@link SearchService}
 * makes only after a request has waited {@link Waits#CALLER_CHECK_NANOS}: requests
 * answered quickly never pay for it. It must start only after the request body has been read, on
 * the request's thread; later calls may come from {@link Waits}' thread.
 */
final class ClientWatch implements BooleanSupplier {
    private static final Logger LOG = Logger.getLogger(ClientWatch.class.getName());
    static final Duration READ_TIMEOUT = Duration.ofMinutes(10);
    private static final ClassValue<Field> CONNECTION_FIELD = fieldOfType(ConnectionContext.class);
    private static final ClassValue<Field> SOCKET_FIELD = fieldOfType(Socket.class);

    private final ServerRequest request;
    private HelidonSocket socket;
    private boolean started;

    ClientWatch(ServerRequest request) {
        this.request = request;
    }

    /** True once the client has closed the connection; first called by the request's own thread. */
    @Override
    public boolean getAsBoolean() {
        if (!started) {
            started = true;
            socket = socketOf(request);
            return false;
        }
        return socket != null && !socket.isConnected();
    }

    /** The request's socket, watching for the client to leave; null when that is not possible. */
    private static HelidonSocket socketOf(ServerRequest request) {
        Field connection = CONNECTION_FIELD.get(request.getClass());
        if (connection == null) {
            return null;
        }
        try {
            HelidonSocket socket = ((ConnectionContext) connection.get(request)).serverSocket();
            Field delegate = SOCKET_FIELD.get(socket.getClass());
            if (delegate == null) {
                return null;
            }
            Socket s = (Socket) delegate.get(socket);
            if (s.getSoTimeout() == 0) {
                s.setSoTimeout((int) READ_TIMEOUT.toMillis());
            }
            socket.idle();
            return socket;
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            LOG.log(Level.FINE, "cannot watch a connection for disconnects", e);
            return null;
        }
    }

    /** The first field of the given type in a class or its superclasses, made accessible; null when there is none. */
    private static ClassValue<Field> fieldOfType(Class<?> fieldType) {
        return new ClassValue<>() {
            @Override
            protected Field computeValue(Class<?> type) {
                for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                    for (Field f : c.getDeclaredFields()) {
                        if (fieldType.isAssignableFrom(f.getType())) {
                            try {
                                f.setAccessible(true);
                                return f;
                            } catch (RuntimeException e) {
                                return missing(type);
                            }
                        }
                    }
                }
                return missing(type);
            }

            private Field missing(Class<?> type) {
                LOG.log(Level.INFO, "cannot watch " + type.getName() + " for clients that disconnect; their queued requests run until"
                        + " their deadline");
                return null;
            }
        };
    }
}
