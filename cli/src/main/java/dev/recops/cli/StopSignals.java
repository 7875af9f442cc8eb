package dev.recops.cli;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns SIGTERM and SIGINT into a request to stop that the server handles on its own thread,
 * instead of letting the JVM begin shutting down at once.
 *
 * <p>Why not a shutdown hook: ONNX Runtime registers its own hook that frees its native
 * environment, and JVM hooks run concurrently, so a model call or a model load still running
 * when the hooks start can crash the process (seen here: SIGSEGV in createSession). With these
 * handlers the server drains first and the JVM exits normally afterwards.
 *
 * <p>{@code sun.misc.Signal} is reached reflectively: it is supported (module jdk.unsupported)
 * but javac warns on every direct use, and the build treats warnings as errors.
 */
final class StopSignals {
    private static final Logger LOG = Logger.getLogger(StopSignals.class.getName());

    private final Semaphore received = new Semaphore(0);
    private volatile String signal = "";

    /** Installs handlers for TERM and INT; returns false if this JVM cannot, then hooks are the fallback. */
    boolean install() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            signal = String.valueOf(args[0]);
                            received.release();
                        }
                        return null;
                    });
            for (String name : new String[] {"TERM", "INT"}) {
                Object sig = signalClass.getConstructor(String.class).newInstance(name);
                signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, sig, handler);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "cannot handle SIGTERM/SIGINT in this JVM; stopping through shutdown hooks instead", e);
            return false;
        }
    }

    /** Blocks until a stop signal arrives; returns its name (for example {@code SIGTERM}). */
    String await() throws InterruptedException {
        received.acquire();
        return signal;
    }

    /** The name of the last signal received (for example {@code SIGINT}). */
    String last() {
        return signal;
    }

    /** Waits up to {@code timeout} for another signal; true if one came (the operator insists). */
    boolean awaitAnother(Duration timeout) throws InterruptedException {
        return received.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
